//! The hypervisor host itself, as libvirt sees it: its network interfaces
//! (libvirt's interface driver runs where the daemon runs, so this is the
//! truth for remote hosts and network namespaces too).
//!
//! Declarations only: no libvirt is linked here (knet-libvirt implements
//! them); facts about the machine knet runs on are src/host.rs's.

use super::VirtResult;

pub trait HostApi {
    /// The `type` of host interface `name` (bridge, ethernet, bond, vlan...)
    /// as `virInterfaceGetXMLDesc` reports it; `Ok(None)` when the host has
    /// no such interface.
    fn host_interface_type(&self, name: &str) -> VirtResult<Option<String>>;
}
