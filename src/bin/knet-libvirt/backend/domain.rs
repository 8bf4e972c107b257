//! `DomainApi` over virt's `Domain`.
//!
//! Translation only: never command logic or output.

use knet::libvirt::{AddrSource, DomainApi, DomainInfo, DomainWriteApi, IfaceAddrs, IpAddr, VirtResult};
use virt::domain::Domain;
use virt::sys;

use super::{err, VirtConn};

fn dom_info(d: &Domain) -> VirtResult<DomainInfo> {
    let active = d.is_active().map_err(err)?;
    Ok(DomainInfo {
        name: d.name().map_err(err)?,
        uuid: d.uuid_string().map_err(err)?,
        id: if active { d.id() } else { None },
        active,
        persistent: d.is_persistent().map_err(err)?,
    })
}

/// `virConnectGetAllDomainStats` for the `state.state` field: the virt
/// crate's wrapper returns raw records and never frees them, so this reads
/// the one field it needs and frees the whole list itself.
fn all_domain_states(c: &virt::connect::Connect) -> VirtResult<std::collections::HashMap<String, u32>> {
    let mut recs: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: valid connection; libvirt fills `recs` with a NULL-terminated
    // list of `n` records that virDomainStatsRecordListFree releases below.
    let n = unsafe { sys::virConnectGetAllDomainStats(c.as_ptr(), sys::VIR_DOMAIN_STATS_STATE, &mut recs, 0) };
    if n < 0 {
        return Err(err(virt::error::Error::last_error()));
    }
    let mut out = std::collections::HashMap::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: i < n; each record, its domain and its parameters live
        // until the list is freed, after this loop; the name is copied out.
        unsafe {
            let r = &**recs.add(i);
            let name = sys::virDomainGetName(r.dom);
            let mut state: std::os::raw::c_int = 0;
            if !name.is_null() && sys::virTypedParamsGetInt(r.params, r.nparams, c"state.state".as_ptr(), &mut state) == 1 {
                out.insert(std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned(), state as u32);
            }
        }
    }
    if !recs.is_null() {
        // SAFETY: the list libvirt gave us, freed once.
        unsafe { sys::virDomainStatsRecordListFree(recs) };
    }
    Ok(out)
}

impl VirtConn {
    pub(super) fn domain(&self, name_or_uuid: &str) -> VirtResult<Domain> {
        if let Some(d) = self.doms.borrow().get(name_or_uuid) {
            return Ok(d.clone());
        }
        // virsh's order (virshLookupDomainBy): a number that is not negative
        // is tried as an ID, then 36 characters as a UUID, then the name;
        // the name lookup's error is the one reported
        let by_id = knet::virsh_args::str_to_i32(name_or_uuid).and_then(|id| u32::try_from(id).ok()).and_then(|id| self.c.lookup_domain_by_id(id).ok());
        // an ID names another domain once this one stops: never cached
        if let Some(d) = by_id {
            return Ok(d);
        }
        let by_uuid = || (name_or_uuid.len() == 36).then(|| self.c.lookup_domain_by_uuid_string(name_or_uuid).ok()).flatten();
        let d = match by_uuid() {
            Some(d) => d,
            None => self.c.lookup_domain_by_name(name_or_uuid).map_err(err)?,
        };
        self.doms.borrow_mut().insert(name_or_uuid.to_string(), d.clone());
        Ok(d)
    }
}

impl DomainApi for VirtConn {
    fn list_domains(&self) -> VirtResult<Vec<DomainInfo>> {
        // Two list RPCs instead of two state RPCs per domain: on a host
        // with hundreds of guests this is what makes bulk commands cheap.
        // Name, UUID and id travel with the handle (no RPC), and the id is
        // what says a domain runs: libvirt gives inactive ones id -1, which
        // is how virsh's `list` prints "-" (virDomainGetID, no RPC).
        let doms = self.c.list_all_domains(0).map_err(err)?;
        let persistent: std::collections::HashSet<String> =
            self.c.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT).map_err(err)?.iter().map(|d| d.uuid_string().map_err(err)).collect::<VirtResult<_>>()?;
        let mut out = Vec::with_capacity(doms.len());
        let mut cache = self.doms.borrow_mut();
        for d in doms {
            let uuid = d.uuid_string().map_err(err)?;
            let name = d.name().map_err(err)?;
            let id = d.id();
            out.push(DomainInfo { id, active: id.is_some(), persistent: persistent.contains(&uuid), name: name.clone(), uuid });
            // later calls by name reuse the handle instead of a lookup RPC
            cache.entry(name).or_insert(d);
        }
        Ok(out)
    }

    fn domain_names(&self, active: Option<bool>) -> VirtResult<Vec<String>> {
        let flags = match active {
            None => 0,
            Some(true) => sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE,
            Some(false) => sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE,
        };
        self.c.list_all_domains(flags).map_err(err)?.iter().map(|d| d.name().map_err(err)).collect()
    }

    fn resolve_domain(&self, name_or_uuid: &str) -> VirtResult<String> {
        self.domain(name_or_uuid)?.name().map_err(err)
    }

    fn domain_xml(&self, name: &str, inactive: bool) -> VirtResult<String> {
        let flags = if inactive { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
        self.domain(name)?.xml_desc(flags).map_err(err)
    }

    fn domain_is_active(&self, name: &str) -> VirtResult<bool> {
        self.domain(name)?.is_active().map_err(err)
    }

    fn domain_states(&self) -> VirtResult<std::collections::HashMap<String, u32>> {
        all_domain_states(&self.c)
    }

    fn domain_state(&self, name: &str) -> VirtResult<u32> {
        Ok(self.domain(name)?.state().map_err(err)?.0.to_raw())
    }

    fn list_domains_where(&self, flags: u32) -> VirtResult<Vec<DomainInfo>> {
        let doms = self.c.list_all_domains(flags).map_err(err)?;
        let persistent_known = flags & (sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT | sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT);
        let mut out = Vec::with_capacity(doms.len());
        let mut cache = self.doms.borrow_mut();
        for d in doms {
            let name = d.name().map_err(err)?;
            let id = d.id();
            let persistent = match persistent_known {
                sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT => true,
                sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT => false,
                _ => d.is_persistent().map_err(err)?,
            };
            out.push(DomainInfo { id, active: id.is_some(), persistent, name: name.clone(), uuid: d.uuid_string().map_err(err)? });
            cache.entry(name).or_insert(d);
        }
        Ok(out)
    }

    fn domain_title(&self, name: &str) -> VirtResult<String> {
        let d = self.domain(name)?;
        // SAFETY: a valid domain handle; libvirt returns a malloc'd string
        // (freed here) or NULL with the error set.
        let p = unsafe { sys::virDomainGetMetadata(d.as_ptr(), sys::VIR_DOMAIN_METADATA_TITLE as i32, std::ptr::null(), 0) };
        if !p.is_null() {
            // SAFETY: NUL-terminated string from libvirt, freed once.
            let s = unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned();
            unsafe { libc::free(p as *mut libc::c_void) };
            return Ok(s);
        }
        let e = virt::error::Error::last_error();
        match e.code().to_raw() {
            sys::VIR_ERR_NO_DOMAIN_METADATA => Ok(String::new()),
            sys::VIR_ERR_NO_SUPPORT => {
                let xml = d.xml_desc(0).map_err(err)?;
                let doc = roxmltree::Document::parse(&xml).map_err(|e| knet::libvirt::VirtError::new(knet::libvirt::code::XML_ERROR, e.to_string()))?;
                Ok(doc.root_element().children().find(|c| c.has_tag_name("title")).map(|t| t.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect()).unwrap_or_default())
            }
            _ => Err(err(e)),
        }
    }

    fn has_managed_save(&self, name: &str) -> VirtResult<bool> {
        self.domain(name)?.has_managed_save(0).map_err(err)
    }
}

impl DomainWriteApi for VirtConn {
    fn define_domain(&self, xml: &str) -> VirtResult<String> {
        let d = self.write(|| self.c.define_domain_xml(xml).map_err(err))?;
        let name = d.name().map_err(err)?;
        self.doms.borrow_mut().insert(name.clone(), d);
        Ok(name)
    }

    fn update_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()> {
        let d = self.domain(name)?;
        self.write(|| d.update_device_flags(xml, flags).map_err(err))
    }

    fn attach_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()> {
        let d = self.domain(name)?;
        self.write(|| attach(&d, xml, flags))
    }

    fn detach_device(&self, name: &str, xml: &str, flags: u32) -> VirtResult<()> {
        let d = self.domain(name)?;
        self.write(|| {
            if flags == knet::libvirt::affect::UNFLAGGED {
                return d.detach_device(xml).map_err(err);
            }
            d.detach_device_flags(xml, flags).map_err(err)
        })
    }

    fn lookup_domain(&self, name: &str) -> VirtResult<DomainInfo> {
        dom_info(&self.domain(name)?)
    }

    fn shutdown_domain(&self, name: &str) -> VirtResult<()> {
        let d = self.domain(name)?;
        self.write(|| d.shutdown().map_err(err))
    }

    fn destroy_domain(&self, name: &str) -> VirtResult<()> {
        let d = self.domain(name)?;
        self.write(|| d.destroy().map_err(err))
    }

    fn is_paused(&self, name: &str) -> VirtResult<bool> {
        let (state, _) = self.domain(name)?.state().map_err(err)?;
        Ok(state.to_raw() == sys::VIR_DOMAIN_PAUSED)
    }

    fn start_domain(&self, name: &str, paused: bool) -> VirtResult<()> {
        let flags = if paused { sys::VIR_DOMAIN_START_PAUSED } else { 0 };
        let d = self.domain(name)?;
        self.write(|| d.create_with_flags(flags).map(|_| ()).map_err(err))
    }

    fn interface_addresses(&self, name: &str, source: AddrSource) -> VirtResult<Vec<IfaceAddrs>> {
        let src = match source {
            AddrSource::Lease => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
            AddrSource::Agent => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
            AddrSource::Arp => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
        };
        let ifaces = self.domain(name)?.interface_addresses(src, 0).map_err(err)?;
        Ok(ifaces
            .into_iter()
            .map(|i| IfaceAddrs {
                name: i.name,
                hwaddr: i.hwaddr,
                addrs: i
                    .addrs
                    .into_iter()
                    .map(|a| IpAddr {
                        protocol: if a.typed == sys::VIR_IP_ADDR_TYPE_IPV6 as i64 { "ipv6" } else { "ipv4" }.to_string(),
                        addr: a.addr,
                        prefix: a.prefix as u32,
                    })
                    .collect(),
            })
            .collect())
    }
}

/// virDomainAttachDevice(Flags): the virt crate's attach_device drops
/// libvirt's error, so the unflagged call is made here.
fn attach(d: &Domain, xml: &str, flags: u32) -> VirtResult<()> {
    if flags == knet::libvirt::affect::UNFLAGGED {
        // the virt crate's attach_device drops libvirt's error: call it here
        let x = std::ffi::CString::new(xml).map_err(|e| knet::libvirt::VirtError::new(knet::libvirt::code::INTERNAL_ERROR, e.to_string()))?;
        // SAFETY: a valid domain handle and a NUL-terminated string.
        if unsafe { sys::virDomainAttachDevice(d.as_ptr(), x.as_ptr()) } < 0 {
            return Err(err(virt::error::Error::last_error()));
        }
        return Ok(());
    }
    d.attach_device_flags(xml, flags).map_err(err)
}
