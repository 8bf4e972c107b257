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

    // --- host help (issue 6), see the trait ---

    fn define_network(&self, xml: &str) -> VirtResult<NetworkInfo> {
        let n = self.c.define_network_xml(xml).map_err(err)?;
        net_info(&n)
    }

    fn start_network(&self, name: &str) -> VirtResult<()> {
        self.network(name)?.create().map_err(err)
    }

    fn set_network_autostart(&self, name: &str, on: bool) -> VirtResult<()> {
        self.network(name)?.set_autostart(on).map_err(err)
    }

    fn add_dhcp_host(&self, name: &str, host_xml: &str) -> VirtResult<()> {
        let n = self.network(name)?;
        let mut flags = sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG;
        if n.is_active().map_err(err)? {
            flags |= sys::VIR_NETWORK_UPDATE_AFFECT_LIVE;
        }
        n.update(sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, sys::VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host_xml, flags).map_err(err)
    }
}
