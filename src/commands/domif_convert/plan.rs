//! Planning: what would change in each guest, read-only. A plan is the
//! guest's persistent XML before and after, and the NICs that move; making
//! one never changes anything in libvirt.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::report::{GuestReport, Status};
use super::select::Selection;
use super::Change;
use crate::guest;
use crate::libvirt::{Conn, DomainInfo};
use crate::validate::{validate, DocKind, Severity};
use crate::xml::edit::{self, Target};

/// One NIC to change: where it is and where it goes, as targets (JSON shows
/// them as `network default` / `bridge br0`; the same when only the model
/// changes), and its model before and after when that changes.
#[derive(Debug, Clone, Serialize)]
pub(super) struct NicChange {
    pub index: usize,
    pub mac: Option<String>,
    #[serde(serialize_with = "as_text")]
    pub from: Target,
    #[serde(serialize_with = "as_text")]
    pub to: Target,
    /// The model it had (`None`: none given, the hypervisor's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_to: Option<String>,
}

impl NicChange {
    /// It moves to another network or bridge (not only a model change).
    pub fn moves(&self) -> bool {
        self.from != self.to
    }

    /// `network default` or `network default, model e1000`: a table cell.
    pub fn side(&self, before: bool) -> String {
        let (t, m) = if before { (&self.from, &self.model_from) } else { (&self.to, &self.model_to) };
        match (self.model_to.is_some(), m) {
            (false, _) => t.to_string(),
            (true, Some(m)) => format!("{t}, model {m}"),
            (true, None) => format!("{t}, default model"),
        }
    }
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

/// Which NICs of this XML change ([`Selection::picks`]), and the converted
/// XML: moved first (only the NICs not on the target yet, so a NIC whose
/// model alone changes keeps its source whole), then given the model. Every
/// changed NIC is checked with knet's validator: a conversion never defines
/// a NIC libvirt would refuse.
/// `network_xml` gives a libvirt network's XML (none offline), for what the
/// moved NICs lose ([`super::losses`]).
pub(super) fn plan_guest(guest: &str, xml: String, sel: &Selection, change: &Change, network_xml: &dyn Fn(&str) -> Option<String>) -> Result<Option<Plan>> {
    let picked: Vec<edit::Interface> = edit::interfaces(&xml)?.into_iter().filter(|i| sel.picks(i, change)).collect();
    if picked.is_empty() {
        return Ok(None);
    }
    let is_picked = |i: &edit::Interface| picked.iter().any(|p| p.index == i.index);
    let mut converted = xml.clone();
    if let Some(t) = &change.target {
        converted = edit::retarget_selected(&converted, t, |i| is_picked(i) && Target::of(i).as_ref() != Some(t))?.0;
    }
    if let Some(m) = &change.model {
        converted = edit::set_model_selected(&converted, m, |i| is_picked(i) && i.model.as_ref() != Some(m))?.0;
    }
    let after = edit::interfaces(&converted)?;
    let mut nics = Vec::new();
    let mut warnings = Vec::new();
    for ifc in picked {
        let Some(from) = Target::of(&ifc) else { continue };
        if change.model.is_some() {
            let el = after.get(ifc.index).map(|a| edit::interface_xml(&converted, a)).unwrap_or_default();
            let mac = ifc.mac.as_deref().unwrap_or("-");
            let new = new_diagnostics(guest, &edit::interface_xml(&xml, &ifc), &el).with_context(|| format!("the converted NIC {mac} would be invalid"))?;
            warnings.extend(new.into_iter().map(|w| format!("{guest}: NIC {mac}: {w}")));
        }
        let to = change.target.clone().unwrap_or_else(|| from.clone());
        if to != from {
            warnings.extend(super::losses::of(&xml, &ifc, &from, &to, network_xml).into_iter().map(|w| format!("{guest}: {w}")));
        }
        let (model_from, model_to) = match &change.model {
            Some(m) => (ifc.model.clone(), Some(m.clone())),
            None => (None, None),
        };
        nics.push(NicChange { index: ifc.index, to, from, mac: ifc.mac, model_from, model_to });
    }
    Ok(Some(Plan { guest: guest.to_string(), active: false, original: xml, converted, nics, warnings }))
}

/// What the validator says of the changed NIC `after` that it did not say
/// of the NIC `before`: a new error refuses the change (a model change must
/// not make a valid NIC invalid; what was wrong before is libvirt's to judge
/// at define, as without knet), a new warning is returned (`--model e1000`:
/// an emulated, slow NIC).
fn new_diagnostics(guest: &str, before: &str, after: &str) -> Result<Vec<String>> {
    let key = |d: &crate::validate::Diagnostic| (d.rule, d.message.clone());
    let old: Vec<_> = validate(before, guest, Some(DocKind::Interface)).diagnostics.iter().map(key).collect();
    let report = validate(after, guest, Some(DocKind::Interface));
    let new: Vec<_> = report.diagnostics.iter().filter(|d| !old.contains(&key(d))).collect();
    if new.iter().any(|d| d.severity == Severity::Error) {
        anyhow::bail!("{}", report.render().trim_end());
    }
    Ok(new.iter().map(|d| d.message.clone()).collect())
}

/// Read one guest's persistent XML and plan it; a report when there is
/// nothing to do or it cannot be planned (the report is the result, not an
/// error to propagate, hence its size in `Err`).
#[allow(clippy::result_large_err)]
pub(super) fn plan_one(conn: &dyn Conn, name: &str, info: Option<DomainInfo>, sel: &Selection, target: &Change) -> Result<Plan, GuestReport> {
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
