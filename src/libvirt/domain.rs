//! Domains (guests): what knet asks libvirt about `<domain>` objects.
//!
//! Declarations only: no libvirt is linked here (knet-libvirt implements them).

use super::VirtResult;

/// What `list` shows of a domain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DomainInfo {
    pub name: String,
    pub uuid: String,
    /// `None` when inactive.
    pub id: Option<u32>,
    pub active: bool,
    pub persistent: bool,
}

pub trait DomainApi {
    /// Every domain, active and inactive. The handles are kept, so later
    /// calls by name cost no lookup RPC.
    fn list_domains(&self) -> VirtResult<Vec<DomainInfo>>;
    /// Names only, in one RPC, as [`super::NetworkApi::network_names`].
    fn domain_names(&self, active: Option<bool>) -> VirtResult<Vec<String>>;
    /// Check a domain exists, as virsh's virshLookupDomainBy does (by name,
    /// then UUID): one lookup RPC, handle kept for the next call. Returns
    /// its name.
    fn resolve_domain(&self, name_or_uuid: &str) -> VirtResult<String>;
    /// `virDomainGetXMLDesc`; `inactive` asks for the persistent config.
    fn domain_xml(&self, name: &str, inactive: bool) -> VirtResult<String>;
    /// `virDomainIsActive` (one RPC; [`DomainWriteApi::lookup_domain`]
    /// also asks whether it is persistent).
    fn domain_is_active(&self, name: &str) -> VirtResult<bool>;
    /// Every domain's raw `virDomainState` by name, in one RPC
    /// (`virConnectGetAllDomainStats`, state group only), where
    /// [`DomainApi::domain_state`] costs one per domain.
    fn domain_states(&self) -> VirtResult<std::collections::HashMap<String, u32>>;
    /// `virDomainGetState`: the raw `virDomainState` (see [`state_name`]).
    fn domain_state(&self, name: &str) -> VirtResult<u32>;
    /// `virConnectListAllDomains` with [`list_flags`]: libvirt does the
    /// filtering, as for virsh's `list`. Unsorted.
    fn list_domains_where(&self, flags: u32) -> VirtResult<Vec<DomainInfo>>;
    /// The `<title>` as virsh's `list --title` reads it
    /// (virshGetDomainDescription): the metadata API, empty when there is
    /// none, the XML's `<title>` where the driver has no metadata API.
    fn domain_title(&self, name: &str) -> VirtResult<String>;
    /// `virDomainHasManagedSaveImage`.
    fn has_managed_save(&self, name: &str) -> VirtResult<bool>;
}

/// `virConnectListAllDomainsFlags` (libvirt-domain.h).
pub mod list_flags {
    pub const ACTIVE: u32 = 1 << 0;
    pub const INACTIVE: u32 = 1 << 1;
    pub const PERSISTENT: u32 = 1 << 2;
    pub const TRANSIENT: u32 = 1 << 3;
    pub const RUNNING: u32 = 1 << 4;
    pub const PAUSED: u32 = 1 << 5;
    pub const SHUTOFF: u32 = 1 << 6;
    pub const OTHER: u32 = 1 << 7;
    pub const MANAGEDSAVE: u32 = 1 << 8;
    pub const NO_MANAGEDSAVE: u32 = 1 << 9;
    pub const AUTOSTART: u32 = 1 << 10;
    pub const NO_AUTOSTART: u32 = 1 << 11;
    pub const HAS_SNAPSHOT: u32 = 1 << 12;
    pub const NO_SNAPSHOT: u32 = 1 << 13;
    pub const HAS_CHECKPOINT: u32 = 1 << 14;
    pub const NO_CHECKPOINT: u32 = 1 << 15;
}

/// A `virDomainState` as virsh prints it (virshDomainStateToString).
pub fn state_name(state: u32) -> &'static str {
    match state {
        1 => "running",
        2 => "idle",
        3 => "paused",
        4 => "in shutdown",
        5 => "shut off",
        6 => "crashed",
        7 => "pmsuspended",
        _ => "no state",
    }
}

/// Which definition a device or lifecycle change affects
/// (`virDomainModificationImpact`): virsh's --current/--live/--config.
pub mod affect {
    pub const CURRENT: u32 = 0;
    pub const LIVE: u32 = 1;
    pub const CONFIG: u32 = 2;
    /// Not a libvirt flag: make the flag-less call (virDomainAttachDevice,
    /// virDomainDetachDevice) as virsh does when given none of
    /// --current/--live/--config/--persistent. Drivers run it as a live
    /// change; a driver without it says so in the call's own name.
    pub const UNFLAGGED: u32 = u32::MAX;
}

/// Where `domifaddr` gets its addresses (`virDomainInterfaceAddressesSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AddrSource {
    /// DHCP leases of libvirt's own dnsmasq
    Lease,
    /// The QEMU guest agent inside the guest
    Agent,
    /// The host's ARP table
    Arp,
}

/// One guest NIC as `virDomainInterfaceAddresses` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IfaceAddrs {
    pub name: String,
    pub hwaddr: Option<String>,
    pub addrs: Vec<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IpAddr {
    /// "ipv4" or "ipv6", as virsh prints the protocol.
    pub protocol: String,
    pub addr: String,
    pub prefix: u32,
}

/// Guest changes: definitions, devices, lifecycle. Kept apart from
/// [`DomainApi`]'s reads so a reader sees at a glance what can write.
pub trait DomainWriteApi {
    /// `virDomainDefineXML`; returns the domain's name.
    fn define_domain(&self, xml: &str) -> VirtResult<String>;
    /// `virDomainUpdateDeviceFlags` with [`affect`] flags.
    fn update_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()>;
    /// `virDomainAttachDeviceFlags`.
    fn attach_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()>;
    /// `virDomainDetachDeviceFlags`.
    fn detach_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()>;
    /// One domain's state.
    fn lookup_domain(&self, name: &str) -> VirtResult<DomainInfo>;
    /// ACPI shutdown request (`virDomainShutdown`); returns at once.
    fn shutdown_domain(&self, name: &str) -> VirtResult<()>;
    /// Hard power-off (`virDomainDestroy`).
    fn destroy_domain(&self, name: &str) -> VirtResult<()>;
    /// Whether a running domain is paused (`virDomainGetState`).
    fn is_paused(&self, name: &str) -> VirtResult<bool>;
    /// Start a defined domain, optionally paused (`virDomainCreateWithFlags`).
    fn start_domain(&self, name: &str, paused: bool) -> VirtResult<()>;
    /// `virDomainInterfaceAddresses`.
    fn interface_addresses(&self, name: &str, source: AddrSource) -> VirtResult<Vec<IfaceAddrs>>;
}
