//! Networks: what knet asks libvirt about `<network>` objects.

use super::VirtResult;

/// What `net-list` / `net-info` show of a network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NetworkInfo {
    pub name: String,
    pub uuid: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    /// `None` when the network has no bridge (e.g. hostdev/macvtap pools) or
    /// libvirt cannot say.
    pub bridge: Option<String>,
}

pub trait NetworkApi {
    /// Every network (active and inactive, persistent and transient).
    fn list_networks(&self) -> VirtResult<Vec<NetworkInfo>>;
    /// Look a network up by name, then by UUID, as virsh does.
    fn lookup_network(&self, name_or_uuid: &str) -> VirtResult<NetworkInfo>;
    /// `virNetworkGetXMLDesc`; `inactive` asks for the persistent config.
    fn network_xml(&self, name: &str, inactive: bool) -> VirtResult<String>;

    // --- host help (issue 6): the writes net-new and port-forward need.
    // Kept apart so the network helper's own define/update methods can
    // replace them when both branches meet.

    /// `virNetworkDefineXML`: a persistent, inactive network.
    fn define_network(&self, xml: &str) -> VirtResult<NetworkInfo>;
    /// `virNetworkCreate` (virsh net-start).
    fn start_network(&self, name: &str) -> VirtResult<()>;
    /// `virNetworkSetAutostart` (virsh net-autostart [--disable]).
    fn set_network_autostart(&self, name: &str, on: bool) -> VirtResult<()>;
    /// `net-update NAME add-last ip-dhcp-host XML --config`, plus `--live`
    /// when the network runs, so dnsmasq learns the host at once.
    fn add_dhcp_host(&self, name: &str, host_xml: &str) -> VirtResult<()>;
}
