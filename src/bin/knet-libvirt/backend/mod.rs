//! The `virt`-crate implementation of knet's libvirt port (`knet::libvirt`),
//! one file per object, mirroring src/libvirt/.
//!
//! The only code that calls libvirt. It translates, never decides: no
//! command logic, no output, and libvirt's errors go back as
//! `knet::libvirt::VirtError` for the commands to word.

use std::cell::RefCell;
use std::collections::HashMap;

use knet::libvirt::{code, Conn, Connector, HostApi, VirtError, VirtResult};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::network::Network;

mod domain;
mod network;

pub struct Virt;

impl Connector for Virt {
    fn open(&self, uri: Option<&str>, readonly: bool) -> anyhow::Result<Box<dyn Conn>> {
        let c = if readonly { Connect::open_read_only(uri) } else { Connect::open(uri) };
        // virsh: "error: failed to connect to the hypervisor" then libvirt's reason
        let c = c.map_err(|e| anyhow::Error::new(err(e)).context("failed to connect to the hypervisor"))?;
        Ok(Box::new(VirtConn { nets: RefCell::default(), doms: RefCell::default(), c }))
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
    VirtError { code: e.code().to_raw() as i32, domain: e.domain().to_raw() as i32, message: e.message().to_string() }
}

impl Conn for VirtConn {
    fn uri(&self) -> VirtResult<String> {
        self.c.uri().map_err(err)
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
