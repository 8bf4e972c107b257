//! Domains (guests): what knet asks libvirt about `<domain>` objects.

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
    /// Every domain, active and inactive.
    fn list_domains(&self) -> VirtResult<Vec<DomainInfo>>;
    /// `virDomainGetXMLDesc`; `inactive` asks for the persistent config.
    fn domain_xml(&self, name: &str, inactive: bool) -> VirtResult<String>;
}
