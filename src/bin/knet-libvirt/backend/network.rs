//! `NetworkApi` over virt's `Network`, plus the few raw `virt::sys` calls the
//! crate has no safe wrapper for (define/create with flags, DHCP leases),
//! each in one small documented function below.
//!
//! Translation only: never command logic or output.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use knet::libvirt::{code, DhcpLease, NetworkApi, NetworkId, NetworkInfo, UpdateCommand, VirtError, VirtResult};
use virt::connect::Connect;
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

/// libvirt's virUUIDIsValid: 32 hex digits, dashes and spaces ignored.
fn net_id(n: &Network) -> VirtResult<NetworkId> {
    Ok(NetworkId { name: n.name().map_err(err)?, uuid: n.uuid_string().map_err(err)? })
}

fn looks_like_uuid(s: &str) -> bool {
    let hex: Vec<char> = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    hex.len() == 32 && hex.iter().all(|c| c.is_ascii_hexdigit())
}

fn c_string(s: &str) -> VirtResult<CString> {
    CString::new(s).map_err(|_| VirtError::new(code::XML_ERROR, "XML error: the document contains a NUL byte"))
}

/// `virNetworkDefineXMLFlags` / `virNetworkCreateXMLFlags` (libvirt >= 7.8):
/// the virt crate only wraps the flagless calls, which cannot ask libvirt to
/// validate against its schema. `create` picks the call; `flags` is
/// `VIR_NETWORK_{DEFINE,CREATE}_VALIDATE` or 0 (both are 1).
fn network_from_xml(c: &Connect, xml: &str, flags: u32, create: bool) -> VirtResult<Network> {
    let xml = c_string(xml)?;
    // SAFETY: the connection pointer is valid for the borrow of `c`; `xml`
    // outlives the call; libvirt returns a new reference or NULL.
    let ptr = unsafe {
        // without flags the plain call, as virsh makes it (cmdNetworkDefine):
        // libvirt's refusals name the API, "read only access prevents
        // virNetworkDefineXML"
        match (create, flags) {
            (true, 0) => sys::virNetworkCreateXML(c.as_ptr(), xml.as_ptr()),
            (true, _) => sys::virNetworkCreateXMLFlags(c.as_ptr(), xml.as_ptr(), flags),
            (false, 0) => sys::virNetworkDefineXML(c.as_ptr(), xml.as_ptr()),
            (false, _) => sys::virNetworkDefineXMLFlags(c.as_ptr(), xml.as_ptr(), flags),
        }
    };
    if ptr.is_null() {
        return Err(err(virt::error::Error::last_error()));
    }
    // SAFETY: non-null pointer we own one reference to; Network frees it.
    Ok(unsafe { Network::from_ptr(ptr) })
}

fn opt_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: libvirt gives NUL-terminated strings that live until the
        // lease is freed, which happens after this copy.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// `virNetworkGetDHCPLeases` (not wrapped by the virt crate): copies every
/// lease out, then frees libvirt's array and each element.
fn dhcp_leases(n: &Network, mac: Option<&str>) -> VirtResult<Vec<DhcpLease>> {
    let mac = mac.map(c_string).transpose()?;
    let mut arr: *mut sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    // SAFETY: valid network handle; `arr` receives a malloc'ed array of
    // `count` lease pointers that we free below.
    let count = unsafe { sys::virNetworkGetDHCPLeases(n.as_ptr(), mac.as_ref().map_or(std::ptr::null(), |m| m.as_ptr()), &mut arr, 0) };
    if count < 0 {
        return Err(err(virt::error::Error::last_error()));
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: i < count, each element is a valid lease until freed.
        unsafe {
            let l = *arr.add(i);
            let r = &*l;
            out.push(DhcpLease {
                iface: opt_string(r.iface).unwrap_or_default(),
                expiry_time: r.expirytime,
                protocol: match r.type_ as u32 {
                    sys::VIR_IP_ADDR_TYPE_IPV4 => "ipv4",
                    sys::VIR_IP_ADDR_TYPE_IPV6 => "ipv6",
                    _ => "",
                }
                .to_string(),
                mac: opt_string(r.mac),
                iaid: opt_string(r.iaid),
                ip: opt_string(r.ipaddr).unwrap_or_default(),
                prefix: r.prefix,
                hostname: opt_string(r.hostname),
                client_id: opt_string(r.clientid),
            });
            sys::virNetworkDHCPLeaseFree(l);
        }
    }
    if !arr.is_null() {
        // SAFETY: the array itself was allocated by libvirt with malloc.
        unsafe { libc::free(arr.cast()) };
    }
    Ok(out)
}

/// `virNetworkListAllPorts` (not wrapped by the virt crate): the ports'
/// UUIDs, then every port and libvirt's array freed.
fn port_uuids(n: &Network) -> VirtResult<Vec<String>> {
    let mut arr: *mut sys::virNetworkPortPtr = std::ptr::null_mut();
    // SAFETY: valid network handle; `arr` receives a malloc'ed array of
    // `count` port references that we free below.
    let count = unsafe { sys::virNetworkListAllPorts(n.as_ptr(), &mut arr, 0) };
    if count < 0 {
        return Err(err(virt::error::Error::last_error()));
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: i < count; each element is a port reference we own once;
        // the buffer is VIR_UUID_STRING_BUFLEN (37) bytes as libvirt asks.
        unsafe {
            let p = *arr.add(i);
            let mut buf = [0 as c_char; 37];
            if sys::virNetworkPortGetUUIDString(p, buf.as_mut_ptr()) == 0 {
                out.push(CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned());
            }
            sys::virNetworkPortFree(p);
        }
    }
    if !arr.is_null() {
        // SAFETY: the array itself was allocated by libvirt with malloc.
        unsafe { libc::free(arr.cast()) };
    }
    Ok(out)
}

impl VirtConn {
    pub(super) fn network(&self, name_or_uuid: &str) -> VirtResult<Network> {
        if let Some(n) = self.nets.borrow().get(name_or_uuid) {
            return Ok(n.clone());
        }
        // virsh (virshCommandOptNetworkBy): by UUID when it parses as one,
        // then by name; the error reported is the last lookup's.
        if looks_like_uuid(name_or_uuid) {
            if let Ok(n) = self.c.lookup_network_by_uuid_string(name_or_uuid) {
                return Ok(self.remember(name_or_uuid, n));
            }
        }
        let n = self.c.lookup_network_by_name(name_or_uuid).map_err(err)?;
        Ok(self.remember(name_or_uuid, n))
    }

    /// Cache under what the user typed and under the network's own name,
    /// which is what commands pass on to the next call.
    fn remember(&self, key: &str, n: Network) -> Network {
        let mut nets = self.nets.borrow_mut();
        if let Ok(name) = n.name() {
            nets.insert(name, n.clone());
        }
        nets.insert(key.to_string(), n.clone());
        n
    }

    /// Cache a listed handle under its own name (listing never replaces a
    /// handle already looked up).
    fn remember_as_named(&self, n: Network) {
        if let Ok(name) = n.name() {
            self.nets.borrow_mut().entry(name).or_insert(n);
        }
    }

    /// Handles of undefined or destroyed transient networks are dead.
    fn forget_networks(&self) {
        self.nets.borrow_mut().clear();
    }
}

impl NetworkApi for VirtConn {
    fn list_networks(&self) -> VirtResult<Vec<NetworkInfo>> {
        // State comes from three filtered listings (one RPC each) instead of
        // three RPCs per network as virsh does, and the bridge name is left
        // to `network_bridge`: four RPCs whatever the number of networks.
        let uuids = |flags| -> VirtResult<std::collections::HashSet<String>> {
            self.c.list_all_networks(flags).map_err(err)?.iter().map(|n| n.uuid_string().map_err(err)).collect()
        };
        let active = uuids(sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)?;
        let persistent = uuids(sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT)?;
        let autostart = uuids(sys::VIR_CONNECT_LIST_NETWORKS_AUTOSTART)?;
        let nets = self.c.list_all_networks(0).map_err(err)?;
        let mut out = Vec::with_capacity(nets.len());
        for n in nets {
            let uuid = n.uuid_string().map_err(err)?;
            let name = n.name().map_err(err)?;
            out.push(NetworkInfo {
                active: active.contains(&uuid),
                persistent: persistent.contains(&uuid),
                autostart: autostart.contains(&uuid),
                bridge: None,
                name,
                uuid,
            });
            // later calls by name reuse the handle instead of a lookup RPC
            self.remember_as_named(n);
        }
        Ok(out)
    }

    fn network_names(&self, active: Option<bool>) -> VirtResult<Vec<String>> {
        let flags = match active {
            None => 0,
            Some(true) => sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE,
            Some(false) => sys::VIR_CONNECT_LIST_NETWORKS_INACTIVE,
        };
        let nets = self.c.list_all_networks(flags).map_err(err)?;
        let names = nets.iter().map(|n| n.name().map_err(err)).collect::<VirtResult<Vec<_>>>()?;
        // later calls by name reuse the handle instead of a lookup RPC
        nets.into_iter().for_each(|n| self.remember_as_named(n));
        Ok(names)
    }

    fn network_bridge(&self, name: &str) -> VirtResult<Option<String>> {
        Ok(self.network(name)?.bridge_name().ok())
    }

    fn lookup_network(&self, name_or_uuid: &str) -> VirtResult<NetworkInfo> {
        net_info(&self.network(name_or_uuid)?)
    }

    fn lookup_network_by_uuid(&self, uuid: &str) -> VirtResult<NetworkId> {
        net_id(&self.c.lookup_network_by_uuid_string(uuid).map_err(err)?)
    }

    fn lookup_network_by_name(&self, name: &str) -> VirtResult<NetworkId> {
        net_id(&self.c.lookup_network_by_name(name).map_err(err)?)
    }

    fn resolve_network(&self, name_or_uuid: &str) -> VirtResult<String> {
        self.network(name_or_uuid)?.name().map_err(err)
    }

    fn network_is_active(&self, name: &str) -> VirtResult<bool> {
        self.network(name)?.is_active().map_err(err)
    }

    fn network_is_persistent(&self, name: &str) -> VirtResult<bool> {
        self.network(name)?.is_persistent().map_err(err)
    }

    fn network_xml(&self, name: &str, inactive: bool) -> VirtResult<String> {
        let flags = if inactive { sys::VIR_NETWORK_XML_INACTIVE } else { 0 };
        self.network(name)?.xml_desc(flags).map_err(err)
    }

    fn define_network(&self, xml: &str, validate: bool) -> VirtResult<String> {
        let flags = if validate { sys::VIR_NETWORK_DEFINE_VALIDATE } else { 0 };
        self.write(|| network_from_xml(&self.c, xml, flags, false))?.name().map_err(err)
    }

    fn create_network(&self, xml: &str, validate: bool) -> VirtResult<String> {
        let flags = if validate { sys::VIR_NETWORK_CREATE_VALIDATE } else { 0 };
        self.write(|| network_from_xml(&self.c, xml, flags, true))?.name().map_err(err)
    }

    fn start_network(&self, name: &str) -> VirtResult<()> {
        let n = self.network(name)?;
        self.write(|| n.create().map_err(err))
    }

    fn destroy_network(&self, name: &str) -> VirtResult<()> {
        let n = self.network(name)?;
        let r = self.write(|| n.destroy().map_err(err));
        self.forget_networks();
        r
    }

    fn undefine_network(&self, name: &str) -> VirtResult<()> {
        let n = self.network(name)?;
        let r = self.write(|| n.undefine().map_err(err));
        self.forget_networks();
        r
    }

    fn set_network_autostart(&self, name: &str, autostart: bool) -> VirtResult<()> {
        let n = self.network(name)?;
        self.write(|| n.set_autostart(autostart).map(drop).map_err(err))
    }

    fn update_network(&self, name: &str, command: UpdateCommand, section: u32, parent_index: i32, xml: &str, flags: u32) -> VirtResult<()> {
        let n = self.network(name)?;
        self.write(|| n.update(command as u32, section, parent_index, xml, flags).map_err(err))
    }

    fn network_dhcp_leases(&self, name: &str, mac: Option<&str>) -> VirtResult<Vec<DhcpLease>> {
        dhcp_leases(&self.network(name)?, mac)
    }

    fn network_port_uuids(&self, name: &str) -> VirtResult<Vec<String>> {
        port_uuids(&self.network(name)?)
    }
}
