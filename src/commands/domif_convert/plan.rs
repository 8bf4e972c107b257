//! Planning: what would change in each guest, read-only. A plan is the
//! guest's persistent XML before and after, and the NICs that move; making
//! one never changes anything in libvirt.

use anyhow::Result;
use serde::Serialize;

use super::report::{GuestReport, Status};
use super::select::Selection;
use crate::guest;
use crate::libvirt::{Conn, DomainInfo};
use crate::xml::edit::{self, Target};

/// One NIC to move: where it is and where it goes, as targets (JSON shows
/// them as `network default` / `bridge br0`).
#[derive(Debug, Clone, Serialize)]
pub(super) struct NicChange {
    pub index: usize,
    pub mac: Option<String>,
    #[serde(serialize_with = "as_text")]
    pub from: Target,
    #[serde(serialize_with = "as_text")]
    pub to: Target,
}

fn as_text<S: serde::Serializer>(t: &Target, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// One guest's planned change.
#[derive(Debug)]
pub(super) struct Plan {
    pub guest: String,
    /// Running when planned (re-checked at apply time for --live/--restart).
    pub active: bool,
    pub original: String,
    pub converted: String,
    pub nics: Vec<NicChange>,
    /// What the moved NICs lose (a portgroup, a pinned nwfilter address):
    /// shown with the plan, the dry run and the result.
    pub warnings: Vec<String>,
}

/// Which NICs of this XML to move ([`Selection::picks`]), and the converted
/// XML; the document is parsed once.
/// `network_xml` gives a libvirt network's XML (none offline), for what the
/// NICs lose ([`super::losses`]).
pub(super) fn plan_guest(guest: &str, xml: String, sel: &Selection, target: &Target, network_xml: &dyn Fn(&str) -> Option<String>) -> Result<Option<Plan>> {
    let (converted, picked) = edit::retarget_selected(&xml, target, |ifc| sel.picks(ifc, target))?;
    let mut warnings = Vec::new();
    let nics: Vec<NicChange> = picked
        .into_iter()
        .filter_map(|(ifc, _)| {
            let from = Target::of(&ifc)?;
            warnings.extend(super::losses::of(&xml, &ifc, &from, target, network_xml).into_iter().map(|w| format!("{guest}: {w}")));
            Some(NicChange { index: ifc.index, from, to: target.clone(), mac: ifc.mac })
        })
        .collect();
    if nics.is_empty() {
        return Ok(None);
    }
    Ok(Some(Plan { guest: guest.to_string(), active: false, original: xml, converted, nics, warnings }))
}

/// Read one guest's persistent XML and plan it; a report when there is
/// nothing to do or it cannot be planned (the report is the result, not an
/// error to propagate, hence its size in `Err`).
#[allow(clippy::result_large_err)]
pub(super) fn plan_one(conn: &dyn Conn, name: &str, info: Option<DomainInfo>, sel: &Selection, target: &Target) -> Result<Plan, GuestReport> {
    // a guest given by UUID is reported and backed up under its name
    let canonical = info.as_ref().map_or_else(|| name.to_string(), |i| i.name.clone());
    let name = canonical.as_str();
    if info.as_ref().is_some_and(|i| !i.persistent) {
        // its "inactive" XML is the live one: defining it would make a
        // transient guest persistent behind the admin's back
        return Err(GuestReport::new(name, Status::Failed, Some("transient guest: no persistent config to convert (use update-device)".into())));
    }
    let xml = guest::domain_xml(conn, name, true).map_err(|e| GuestReport::new(name, Status::Failed, Some(format!("{e:#}"))))?;
    match plan_guest(name, xml, sel, target, &|net| conn.network_xml(net, false).ok()) {
        Ok(Some(mut p)) => {
            p.active = info.is_some_and(|i| i.active);
            Ok(p)
        }
        Ok(None) => Err(GuestReport::new(name, Status::NothingToConvert, None)),
        Err(e) => Err(GuestReport::new(name, Status::Failed, Some(format!("{e:#}")))),
    }
}
