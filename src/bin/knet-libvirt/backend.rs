//! The `virt`-crate implementation of knet's libvirt port (`knet::libvirt`).

use std::cell::RefCell;
use std::collections::HashMap;

use knet::libvirt::{Conn, Connector, NetworkInfo, VirtError, VirtResult};
use virt::connect::Connect;
use virt::network::Network;
use virt::sys;

pub struct Virt;

impl Connector for Virt {
    fn open(&self, uri: Option<&str>, readonly: bool) -> anyhow::Result<Box<dyn Conn>> {
        let c = if readonly { Connect::open_read_only(uri) } else { Connect::open(uri) };
        // virsh: "error: failed to connect to the hypervisor" then libvirt's reason
        let c = c.map_err(|e| anyhow::Error::new(err(e)).context("failed to connect to the hypervisor"))?;
        Ok(Box::new(VirtConn { nets: RefCell::new(HashMap::new()), c }))
    }
}

pub struct VirtConn {
    /// Handles already looked up, by name (see the port's docs). Declared
    /// before `c` so they are released before the connection closes.
    nets: RefCell<HashMap<String, Network>>,
    c: Connect,
}

pub fn err(e: virt::error::Error) -> VirtError {
    VirtError { code: e.code().to_raw() as i32, domain: e.domain().to_raw() as i32, message: e.message().to_string() }
}

fn net_info(n: &Network) -> VirtResult<NetworkInfo> {
    Ok(NetworkInfo {
        name: n.name().map_err(err)?,
        uuid: n.uuid_string().map_err(err)?,
        active: n.is_active().map_err(err)?,
        persistent: n.is_persistent().map_err(err)?,
        autostart: n.autostart().map_err(err)?,
        bridge: n.bridge_name().ok(),
    })
}

impl VirtConn {
    fn network(&self, name_or_uuid: &str) -> VirtResult<Network> {
        if let Some(n) = self.nets.borrow().get(name_or_uuid) {
            return Ok(n.clone());
        }
        // virsh (virshNetworkLookupBy): by UUID when it parses as one, then by name
        let n = match self.c.lookup_network_by_name(name_or_uuid) {
            Ok(n) => n,
            Err(e) => match self.c.lookup_network_by_uuid_string(name_or_uuid) {
                Ok(n) => n,
                Err(_) => return Err(err(e)),
            },
        };
        self.nets.borrow_mut().insert(name_or_uuid.to_string(), n.clone());
        Ok(n)
    }
}

impl Conn for VirtConn {
    fn uri(&self) -> VirtResult<String> {
        self.c.uri().map_err(err)
    }

    fn list_networks(&self) -> VirtResult<Vec<NetworkInfo>> {
        let nets = self.c.list_all_networks(0).map_err(err)?;
        nets.iter().map(net_info).collect()
    }

    fn lookup_network(&self, name_or_uuid: &str) -> VirtResult<NetworkInfo> {
        net_info(&self.network(name_or_uuid)?)
    }

    fn network_xml(&self, name: &str, inactive: bool) -> VirtResult<String> {
        let flags = if inactive { sys::VIR_NETWORK_XML_INACTIVE } else { 0 };
        self.network(name)?.xml_desc(flags).map_err(err)
    }
}
