//! The `virt`-crate implementation of knet's libvirt port (`knet::libvirt`),
//! one file per object, mirroring src/libvirt/.
//!
//! The only code that calls libvirt. It translates, never decides: no
//! command logic, no output, and libvirt's errors go back as
//! `knet::libvirt::VirtError` for the commands to word.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use knet::libvirt::{code, Conn, Connector, HostApi, VirtError, VirtResult};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::network::Network;

mod domain;
mod network;

pub struct Virt;

impl Connector for Virt {
    fn open(&self, uri: Option<&str>, readonly: bool) -> anyhow::Result<Box<dyn Conn>> {
        start_event_loop();
        let c = open_within(uri, readonly, knet::libvirt::timeout())
            // virsh: "error: failed to connect to the hypervisor" then the reason
            .map_err(|e| e.context("failed to connect to the hypervisor"))?;
        let (interval, count) = knet::libvirt::keepalive(knet::libvirt::timeout());
        // Only remote connections (every qemu:///, +ssh, +tcp) have the
        // keepalive protocol; the test driver refuses it and needs none.
        let _ = c.set_keep_alive(interval, count);
        Ok(Box::new(VirtConn { nets: RefCell::default(), doms: RefCell::default(), c }))
    }
}

/// libvirt's default event loop, run in a thread of its own as virsh runs
/// it: without one, libvirt cannot watch a connection's socket between
/// calls, so keepalive cannot be enabled (libvirt's remote driver refuses
/// it) and a daemon that went away goes unnoticed until the next call.
/// Started once, before the first connection (libvirt requires that order).
fn start_event_loop() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        if virt::event::event_register_default_impl().is_err() {
            return;
        }
        let _ = std::thread::Builder::new().name("libvirt-events".into()).spawn(|| loop {
            if virt::event::event_run_default_impl().is_err() {
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    });
}

/// virConnectOpen with a deadline and Ctrl-C. Opening a connection to a
/// daemon that accepts the socket but never answers (stopped, overloaded,
/// a dead ssh peer) blocks inside libvirt with no timeout of its own and no
/// way to cancel it, so the open runs in a thread of its own and this one
/// gives up after `deadline`, or at once when Ctrl-C was pressed under an
/// interrupt guard. The abandoned thread stays blocked until the process
/// exits (nothing else waits for it); a connection it opens late is
/// leaked, never used.
fn open_within(uri: Option<&str>, readonly: bool, deadline: Duration) -> anyhow::Result<Connect> {
    let (tx, rx) = mpsc::channel();
    let owned = uri.map(str::to_string);
    std::thread::Builder::new().name("libvirt-open".into()).spawn(move || {
        let u = owned.as_deref();
        let c = if readonly { Connect::open_read_only(u) } else { Connect::open(u) };
        if let Err(mpsc::SendError(Ok(late))) = tx.send(c.map_err(err)) {
            // given up on: closing could block on the same unanswering daemon
            std::mem::forget(late);
        }
    })?;
    let start = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => return Ok(r?),
            Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the connection attempt ended without a result"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if knet::interrupt::requested() {
                    return Err(knet::interrupt::cancelled());
                }
                if start.elapsed() >= deadline {
                    return Err(anyhow::Error::new(VirtError::new(code::RPC, knet::libvirt::no_answer(deadline))));
                }
            }
        }
    }
}

pub struct VirtConn {
    /// Handles already looked up, by name (see the port's docs). Declared
    /// before `c` so they are released before the connection closes.
    nets: RefCell<HashMap<String, Network>>,
    doms: RefCell<HashMap<String, Domain>>,
    c: Connect,
}

pub fn err(e: virt::error::Error) -> VirtError {
    VirtError { code: e.code().to_raw() as i32, domain: e.domain().to_raw() as i32, message: e.message().to_string(), unanswered: false }
}

impl VirtConn {
    /// Run one call that changes something (define, start, update, ...).
    /// When it fails with the connection open before and closed after, the
    /// request went out and its answer was lost: the error says so
    /// (`VirtError::unanswered`). Lookups belong outside `call`: a lookup
    /// lost with the connection changed nothing.
    pub(super) fn write<T>(&self, call: impl FnOnce() -> VirtResult<T>) -> VirtResult<T> {
        let open_before = self.alive();
        call().map_err(|mut e| {
            e.unanswered = open_before && !self.alive();
            e
        })
    }
}

impl Conn for VirtConn {
    fn uri(&self) -> VirtResult<String> {
        self.c.uri().map_err(err)
    }
    fn lib_version(&self) -> VirtResult<knet::validate::Version> {
        self.c.lib_version().map(|v| knet::validate::Version::from_lib_version(v.into())).map_err(err)
    }

    fn alive(&self) -> bool {
        // an error (a closed connection) counts as dead, as in virsh
        self.c.is_alive().unwrap_or(false)
    }
}

impl HostApi for VirtConn {
    fn host_interface_type(&self, name: &str) -> VirtResult<Option<String>> {
        let i = match self.c.lookup_interface_by_name(name) {
            Ok(i) => i,
            Err(e) => {
                let e = err(e);
                // VIR_ERR_NO_INTERFACE
                return if e.code == code::NO_INTERFACE { Ok(None) } else { Err(e) };
            }
        };
        let xml = i.xml_desc(0).map_err(err)?;
        let doc = knet::xml::parse(&xml).map_err(|e| VirtError::new(code::XML_ERROR, e.describe(&xml)))?;
        Ok(doc.root_element().attribute("type").map(str::to_string))
    }
}
