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
}
