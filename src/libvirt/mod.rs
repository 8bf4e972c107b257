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
}

impl VirtError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        VirtError { code, domain: 0, message: message.into() }
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
