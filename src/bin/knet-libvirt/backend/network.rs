//! `NetworkApi` over virt's `Network`.

use knet::libvirt::{NetworkApi, NetworkInfo, VirtResult};
use virt::network::Network;
use virt::sys;

use super::{err, VirtConn};

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
    pub(super) fn network(&self, name_or_uuid: &str) -> VirtResult<Network> {
        if let Some(n) = self.nets.borrow().get(name_or_uuid) {
            return Ok(n.clone());
        }
        // virsh (virshCommandOptNetworkBy): by name, then by UUID
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

impl NetworkApi for VirtConn {
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
