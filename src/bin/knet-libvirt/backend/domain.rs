//! `DomainApi` over virt's `Domain`.

use knet::libvirt::{DomainApi, DomainInfo, VirtResult};
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

impl VirtConn {
    pub(super) fn domain(&self, name_or_uuid: &str) -> VirtResult<Domain> {
        if let Some(d) = self.doms.borrow().get(name_or_uuid) {
            return Ok(d.clone());
        }
        // virsh (virshLookupDomainBy): by name, then by UUID
        let d = match self.c.lookup_domain_by_name(name_or_uuid) {
            Ok(d) => d,
            Err(e) => match self.c.lookup_domain_by_uuid_string(name_or_uuid) {
                Ok(d) => d,
                Err(_) => return Err(err(e)),
            },
        };
        self.doms.borrow_mut().insert(name_or_uuid.to_string(), d.clone());
        Ok(d)
    }
}

impl DomainApi for VirtConn {
    fn list_domains(&self) -> VirtResult<Vec<DomainInfo>> {
        let doms = self.c.list_all_domains(0).map_err(err)?;
        doms.iter().map(dom_info).collect()
    }

    fn domain_xml(&self, name: &str, inactive: bool) -> VirtResult<String> {
        let flags = if inactive { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
        self.domain(name)?.xml_desc(flags).map_err(err)
    }
}
