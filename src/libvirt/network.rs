//! Networks: what knet asks libvirt about `<network>` objects.
//!
//! Declarations only: no libvirt is linked here (knet-libvirt implements them).

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
    /// libvirt cannot say. Always `None` from [`NetworkApi::list_networks`],
    /// which saves one RPC per network for the many callers that never look
    /// at it: ask [`NetworkApi::network_bridge`] for the ones you need.
    pub bridge: Option<String>,
}

/// A network's identity only: what the handle carries, no further RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkId {
    pub name: String,
    pub uuid: String,
}

/// One DHCP lease as libvirt reports it (`virNetworkDHCPLease`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DhcpLease {
    /// The network's bridge the lease was given on.
    pub iface: String,
    /// Seconds since the epoch.
    pub expiry_time: i64,
    /// `ipv4` or `ipv6` (empty when libvirt gives another type).
    pub protocol: String,
    pub mac: Option<String>,
    pub iaid: Option<String>,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
    pub client_id: Option<String>,
}

/// `virNetworkUpdateCommand`; the values are libvirt's (stable ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateCommand {
    Modify = 1,
    Delete = 2,
    AddLast = 3,
    AddFirst = 4,
}

impl UpdateCommand {
    /// virsh's spelling (`virNetworkUpdateCommandTypeFromString`, plus its
    /// `add` synonym for `add-last`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "add" | "add-last" => Self::AddLast,
            "add-first" => Self::AddFirst,
            "delete" => Self::Delete,
            "modify" => Self::Modify,
            _ => return None,
        })
    }
}

/// `virNetworkUpdateSection`, in libvirt's order: the index + 1 is the value.
pub const UPDATE_SECTIONS: [&str; 12] = [
    "bridge",
    "domain",
    "ip",
    "ip-dhcp-host",
    "ip-dhcp-range",
    "forward",
    "forward-interface",
    "forward-pf",
    "portgroup",
    "dns-host",
    "dns-txt",
    "dns-srv",
];

/// The libvirt value of a section name (`virNetworkSectionTypeFromString`).
pub fn update_section(name: &str) -> Option<u32> {
    UPDATE_SECTIONS.iter().position(|s| *s == name).map(|i| i as u32 + 1)
}

/// `virNetworkUpdateFlags`.
pub mod update_flags {
    pub const CURRENT: u32 = 0;
    pub const LIVE: u32 = 1;
    pub const CONFIG: u32 = 2;
}

pub trait NetworkApi {
    /// Every network (active and inactive, persistent and transient), with
    /// `bridge` left `None` (see [`NetworkInfo::bridge`]). The handles are
    /// kept, so later calls by name cost no lookup RPC.
    fn list_networks(&self) -> VirtResult<Vec<NetworkInfo>>;
    /// Names only, in one RPC (libvirt filters): every network, or only the
    /// active (`Some(true)`) or inactive (`Some(false)`) ones. For
    /// completion, which may run over a slow link within a deadline. The
    /// handles are kept, as by [`NetworkApi::list_networks`].
    fn network_names(&self, active: Option<bool>) -> VirtResult<Vec<String>>;
    /// `virNetworkGetBridgeName`: `None` when the network has no bridge.
    fn network_bridge(&self, name: &str) -> VirtResult<Option<String>>;
    /// Look a network up as virsh does (virshCommandOptNetworkBy): by UUID
    /// when the string is one, then by name; the error is the last lookup's.
    fn lookup_network(&self, name_or_uuid: &str) -> VirtResult<NetworkInfo>;
    /// By UUID only (`net-name`): one RPC, as virsh.
    fn lookup_network_by_uuid(&self, uuid: &str) -> VirtResult<NetworkId>;
    /// By name only (`net-uuid`): one RPC, as virsh.
    fn lookup_network_by_name(&self, name: &str) -> VirtResult<NetworkId>;
    /// Like [`NetworkApi::lookup_network`] but only checks the network
    /// exists (one RPC, handle kept for the next call); returns its name.
    fn resolve_network(&self, name_or_uuid: &str) -> VirtResult<String>;
    /// `virNetworkIsActive` (one RPC, where [`NetworkApi::lookup_network`]
    /// asks four things).
    fn network_is_active(&self, name: &str) -> VirtResult<bool>;
    /// `virNetworkIsPersistent` (one RPC).
    fn network_is_persistent(&self, name: &str) -> VirtResult<bool>;
    /// `virNetworkGetXMLDesc`; `inactive` asks for the persistent config.
    fn network_xml(&self, name: &str, inactive: bool) -> VirtResult<String>;
    /// `virNetworkDefineXMLFlags`; `validate` asks libvirt to check the XML
    /// against its RelaxNG schema first. Returns the network's name.
    fn define_network(&self, xml: &str, validate: bool) -> VirtResult<String>;
    /// `virNetworkCreateXMLFlags` (a transient, started network).
    fn create_network(&self, xml: &str, validate: bool) -> VirtResult<String>;
    /// `virNetworkCreate`.
    fn start_network(&self, name: &str) -> VirtResult<()>;
    /// `virNetworkDestroy`.
    fn destroy_network(&self, name: &str) -> VirtResult<()>;
    /// `virNetworkUndefine`.
    fn undefine_network(&self, name: &str) -> VirtResult<()>;
    /// `virNetworkSetAutostart`.
    fn set_network_autostart(&self, name: &str, autostart: bool) -> VirtResult<()>;
    /// `virNetworkUpdate`; `section` from [`update_section`], `flags` from
    /// [`update_flags`], `parent_index` -1 for "any".
    fn update_network(&self, name: &str, command: UpdateCommand, section: u32, parent_index: i32, xml: &str, flags: u32) -> VirtResult<()>;
    /// `virNetworkGetDHCPLeases`, optionally for one MAC.
    fn network_dhcp_leases(&self, name: &str, mac: Option<&str>) -> VirtResult<Vec<DhcpLease>>;
    /// The UUIDs of the network's ports (`virNetworkListAllPorts`): one per
    /// guest NIC libvirt has plugged into it. A running guest's NIC whose
    /// live `<source portid=>` is not listed was cut off by a restart of the
    /// network (libvirt deletes every port when it stops one).
    fn network_port_uuids(&self, name: &str) -> VirtResult<Vec<String>>;
}
