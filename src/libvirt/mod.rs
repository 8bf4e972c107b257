//! The port: every libvirt call knet makes goes through [`Conn`].
//!
//! This module never links libvirt. The `knet-libvirt` binary implements
//! [`Connector`]/[`Conn`] with the `virt` crate (src/bin/knet-libvirt/); the
//! light `knet` binary implements [`Connector`] by exec'ing `knet-libvirt`
//! with the same arguments, so commands that never open a connection never
//! pay libvirt's start-up cost.
//!
//! The API is by name, not by handle, so commands stay plain; the backend
//! caches handles it has already looked up, so bulk work costs one RPC per
//! real operation, not two.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A libvirt error as libvirt reported it (`virGetLastError`).
///
/// `Display` is libvirt's own message, which is what virsh prints after
/// `error: `; commands add their own first line as context, as virsh does
/// (`failed to get network 'x'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtError {
    /// `virErrorNumber` (see [`code`]).
    pub code: i32,
    /// `virErrorDomain`.
    pub domain: i32,
    pub message: String,
    /// A change libvirt was asked for, whose answer never came: the
    /// connection was open when the request went out and closed when it
    /// failed (the daemon died or stopped answering keepalive probes), so
    /// libvirt may have made the change. See [`unanswered_note`].
    pub unanswered: bool,
}

impl VirtError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        VirtError { code, domain: 0, message: message.into(), unanswered: false }
    }
    pub fn is(&self, code: i32) -> bool {
        self.code == code
    }
}

impl fmt::Display for VirtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VirtError {}

/// The `virErrorNumber` values knet branches on (libvirt's virterror.h).
pub mod code {
    pub const INTERNAL_ERROR: i32 = 1;
    pub const NO_SUPPORT: i32 = 3;
    pub const INVALID_ARG: i32 = 8;
    pub const NO_CONNECT: i32 = 5;
    pub const OPERATION_FAILED: i32 = 9;
    pub const XML_ERROR: i32 = 27;
    pub const SYSTEM_ERROR: i32 = 38;
    pub const RPC: i32 = 39;
    pub const NO_DOMAIN: i32 = 42;
    pub const NO_NETWORK: i32 = 43;
    pub const OPERATION_INVALID: i32 = 55;
    pub const NO_NETWORK_PORT: i32 = 104;
    pub const NO_INTERFACE: i32 = 57;
    pub const OPERATION_DENIED: i32 = 66;
    pub const OPERATION_UNSUPPORTED: i32 = 84;
    pub const XML_INVALID_SCHEMA: i32 = 92;
    pub const AUTH_FAILED: i32 = 45;
}

pub type VirtResult<T> = Result<T, VirtError>;

mod domain;
mod host;
mod network;

pub use domain::*;
pub use host::*;
pub use network::*;

/// How long knet waits for a host before giving up on it, unless
/// `--timeout` says otherwise: long enough for a loaded host or a slow ssh
/// login, short enough that a script notices a dead host within a minute.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

static TIMEOUT_MS: AtomicU64 = AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64);

/// Set the deadline every connection of this process gets (`--timeout`).
pub fn set_timeout(t: Duration) {
    TIMEOUT_MS.store(t.as_millis().max(1) as u64, Ordering::SeqCst);
}

/// The deadline for opening a connection, and (through [`keepalive`]) for
/// noticing that a host stopped answering while one is open.
pub fn timeout() -> Duration {
    Duration::from_millis(TIMEOUT_MS.load(Ordering::SeqCst))
}

/// virConnectSetKeepAlive's (interval seconds, count) for a deadline: libvirt
/// declares the peer dead after about interval * (count + 1) seconds without
/// a packet from it, which this keeps within the deadline (at least 1 s
/// apart, at least one probe).
pub fn keepalive(deadline: Duration) -> (i32, u32) {
    let t = deadline.as_secs().max(1);
    let interval = (t / 4).max(1);
    let count = (t / interval).saturating_sub(1).max(1);
    (interval as i32, count as u32)
}

/// What to add to an error whose chain holds a change libvirt never
/// answered ([`VirtError::unanswered`]): its failure message alone would
/// claim nothing happened, which nobody knows.
pub fn unanswered_note(err: &anyhow::Error) -> Option<&'static str> {
    err.chain().filter_map(|c| c.downcast_ref::<VirtError>()).any(|v| v.unanswered).then_some(
        "the connection was lost before libvirt answered: the change may or may not have been made; look again once the host answers",
    )
}

/// The error text for a host that did not answer within the deadline.
pub fn no_answer(deadline: Duration) -> String {
    format!("no answer within {} s (--timeout)", deadline.as_secs_f64())
}

/// One open connection to one libvirt URI: the union of the per-object APIs,
/// each in its own file (network.rs, domain.rs) and implemented in the same
/// file name under src/bin/knet-libvirt/. `Send` so bulk commands can run
/// one connection per worker thread (`--jobs`).
pub trait Conn: NetworkApi + DomainApi + DomainWriteApi + HostApi + Send {
    /// The canonical URI libvirt reports for this connection.
    fn uri(&self) -> VirtResult<String>;
    /// The release of libvirt behind this connection (virConnectGetLibVersion:
    /// the daemon's, for a remote or daemon-backed URI).
    fn lib_version(&self) -> VirtResult<crate::validate::Version>;

    /// False once libvirt has closed the connection (the daemon exited or
    /// restarted, or stopped answering its keepalive probes).
    fn alive(&self) -> bool {
        true
    }
}

/// Opens connections. Implemented by each binary (see module docs). `Sync`
/// so several hosts can be opened at once, each in its own worker thread
/// (`Ctx::fan_out`).
pub trait Connector: Sync {
    /// `uri: None` lets libvirt choose (`LIBVIRT_DEFAULT_URI`, then its own
    /// default), exactly as virsh without `-c`.
    fn open(&self, uri: Option<&str>, readonly: bool) -> anyhow::Result<Box<dyn Conn>>;

    /// Make sure this process can open connections, without opening one:
    /// the light binary becomes `knet-libvirt` here (and never returns on
    /// success). For work that opens its connections elsewhere, in worker
    /// threads.
    fn link(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn keepalive_gives_up_within_the_deadline() {
        for t in [1, 2, 3, 5, 10, 30, 60, 600] {
            let (interval, count) = super::keepalive(Duration::from_secs(t));
            assert!(interval >= 1 && count >= 1, "{t}");
            let dead_after = interval as u64 * (count as u64 + 1);
            assert!(dead_after <= t.max(2), "{t}: {interval} x {count}");
            assert!(dead_after * 2 >= t, "{t}: too eager ({interval} x {count})");
        }
    }
}
