//! Putting running guests' NICs back on their network's bridge after the
//! network was stopped and started again (by knet's `net-restart`, or by
//! anyone's `virsh net-destroy` + `net-start`), through libvirt's API only,
//! so it works over remote URIs and never restarts a daemon.
//!
//! Why two `virDomainUpdateDeviceFlags(LIVE)` calls (measured on libvirt 9.0
//! and read in its qemu_hotplug.c, qemuDomainChangeNet): libvirt moves a
//! running tap (`qemuDomainChangeNetBridge`: remove it from the old bridge,
//! add it to the new one) only when the NIC's type, network name or actual
//! bridge name changes. An unchanged NIC, or one whose link state is only
//! toggled, is "no change" for the bridge and stays cut off. So:
//!
//! 1. the NIC is switched to its *other form on the same bridge*: a
//!    `type='network'` NIC becomes `<interface type='bridge'><source
//!    bridge='BR'/>` on the network's (new) bridge, a `type='bridge'` NIC on
//!    a libvirt network's bridge becomes `type='network'`. The type change
//!    makes libvirt add the tap to BR: from here on the guest is connected;
//! 2. the NIC's original element goes back (for a network NIC without the
//!    live-only `portid=`/`bridge=`), which moves the tap on the same bridge
//!    once more and gives the NIC a fresh port in the network (what libvirt's
//!    bandwidth accounting and `net-port-list` rely on).
//!
//! Rejected: a detour through a temporary network (the same two calls, plus a
//! network to create and clean up; an interruption leaves the guest on the
//! wrong bridge and a stray network behind); the network port API
//! (`virNetworkPortCreateXML` with RECLAIM only records a port, libvirt's
//! network driver never plugs taps); libvirt's own re-attach
//! (`virDomainNetNotifyActualDevice`) runs only when the daemon restarts.
//! With this order an interruption between the two calls leaves the guest
//! connected, its live XML naming the bridge instead of the network; the
//! next run finds such a NIC (its persistent definition still names the
//! network) and finishes it.
//!
//! Whether a NIC is cut off: on the machine knet runs on, when the tap is
//! visible here, the kernel says (the tap's master); otherwise libvirt's own
//! record: a running NIC on a network whose `portid` is not among the
//! network's ports lost it in a restart (libvirt deletes every port of a
//! network it stops). A `type='bridge'` NIC on a network's bridge has no
//! port, so only the local check can see it cut off.
//!
//! Never changes a guest's persistent definition, and never touches a NIC
//! that is not on the given network.

use std::collections::HashSet;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::host;
use crate::libvirt::{affect, Conn};
use crate::xml::edit::{self, Target};

/// How a running guest's NIC is on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    /// `type='network'`, `<source network='NET'/>`
    Network,
    /// `type='bridge'` on the network's bridge
    Bridge,
    /// `type='bridge'` on the network's bridge in the live XML while the
    /// persistent definition names the network: left between the two steps
    /// by an interrupted run. Holds the persistent `<interface>` element.
    HalfWay(String),
}

/// One NIC of a running guest that is on the network.
#[derive(Debug, Clone)]
pub struct LiveNic {
    pub guest: String,
    pub mac: String,
    /// The tap (`<target dev=>`), when libvirt reports one.
    pub tap: Option<String>,
    form: Form,
    /// The live `<interface>` element, as libvirt printed it.
    element: String,
    /// The live `<source portid=>` of a network NIC.
    portid: Option<String>,
}

/// What happened to one NIC; a row of the commands' report.
#[derive(Debug, Clone, Serialize)]
pub struct NicReport {
    pub guest: String,
    pub mac: String,
    pub tap: Option<String>,
    /// `reconnected`, `connected` (nothing to do), `failed`, `not done`
    /// (stopped by Ctrl-C before this NIC), `unchecked` (a bridge-type NIC
    /// whose tap cannot be seen from here).
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NicReport {
    fn new(nic: &LiveNic, result: &'static str, reason: Option<String>) -> Self {
        NicReport { guest: nic.guest.clone(), mac: nic.mac.clone(), tap: nic.tap.clone(), result, reason }
    }
    pub fn failed(&self) -> bool {
        self.result == "failed"
    }
}

/// The table every command of this family prints: Guest, MAC, Tap, Result.
pub fn table(reports: &[NicReport], quiet: bool) -> String {
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            row(r)
        })
        .collect();
    crate::output::table(&["Guest", "MAC", "Tap", "Result"], &rows, quiet)
}

/// One report as table cells (guest, MAC, tap, result): what libvirt named
/// is escaped, so a guest name never writes to the terminal.
pub fn row(r: &NicReport) -> Vec<String> {
    use crate::output::escape;
    let result = match &r.reason {
        Some(why) => format!("{}: {}", r.result, escape(why)),
        None => r.result.to_string(),
    };
    vec![escape(&r.guest).into_owned(), escape(&r.mac).into_owned(), r.tap.as_deref().map_or("-".into(), |t| escape(t).into_owned()), result]
}

/// The `<source>` of an `<interface>` element: (network, bridge, portid).
fn source_of(element: &str) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(doc) = crate::xml::parse(element) else { return (None, None, None) };
    let Some(src) = crate::xml::kid(doc.root_element(), "source") else { return (None, None, None) };
    let a = |n: &str| src.attribute(n).map(str::to_string);
    (a("network"), a("bridge"), a("portid"))
}

/// Every NIC of a running guest that is on network `net` (bridge `bridge`):
/// `type='network'` naming it, or `type='bridge'` on its bridge. Sorted by
/// guest, then MAC.
pub fn nics_on(conn: &dyn Conn, net: &str, bridge: &str) -> Result<Vec<LiveNic>> {
    let mut out = Vec::new();
    for d in conn.list_domains().context("failed to list domains")? {
        if !d.active {
            continue;
        }
        let live = match conn.domain_xml(&d.name, false) {
            Ok(x) => x,
            // stopped meanwhile: nothing of it is on the bridge any more
            Err(e) if e.is(crate::libvirt::code::NO_DOMAIN) => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("failed to get domain '{}'", d.name))),
        };
        let Ok(ifaces) = edit::interfaces(&live) else { continue };
        let mut config: Option<Vec<(String, String)>> = None;
        for i in ifaces {
            let element = live[i.range.clone()].to_string();
            let (Some(mac), (network, src_bridge, portid)) = (i.mac.clone(), source_of(&element)) else { continue };
            let mac = mac.to_ascii_lowercase();
            let form = match i.kind.as_str() {
                "network" if network.as_deref() == Some(net) => Form::Network,
                "bridge" if src_bridge.as_deref() == Some(bridge) => {
                    // an interrupted run leaves the live NIC in bridge form
                    // while the persistent definition names the network
                    let cfg = config.get_or_insert_with(|| persistent_network_nics(conn, &d.name, d.persistent, net));
                    match cfg.iter().find(|(m, _)| *m == mac) {
                        Some((_, el)) => Form::HalfWay(el.clone()),
                        None => Form::Bridge,
                    }
                }
                _ => continue,
            };
            out.push(LiveNic { guest: d.name.clone(), mac, tap: i.target.clone(), form, element, portid });
        }
    }
    out.sort_by(|a, b| (&a.guest, &a.mac).cmp(&(&b.guest, &b.mac)));
    Ok(out)
}

/// (MAC, element) of the persistent definition's NICs on network `net`.
fn persistent_network_nics(conn: &dyn Conn, guest: &str, persistent: bool, net: &str) -> Vec<(String, String)> {
    if !persistent {
        return Vec::new();
    }
    let Ok(xml) = conn.domain_xml(guest, true) else { return Vec::new() };
    let Ok(ifaces) = edit::interfaces(&xml) else { return Vec::new() };
    ifaces
        .into_iter()
        .filter(|i| i.kind == "network")
        .filter_map(|i| {
            let el = xml[i.range.clone()].to_string();
            (source_of(&el).0.as_deref() == Some(net)).then(|| Some((i.mac?.to_ascii_lowercase(), el))).flatten()
        })
        .collect()
}

/// The network's port UUIDs, or `None` when libvirt cannot list them (the
/// test driver, a libvirt older than 5.5).
pub fn ports(conn: &dyn Conn, net: &str) -> Option<HashSet<String>> {
    conn.network_port_uuids(net).ok().map(|v| v.into_iter().collect())
}

/// Why `nic` is cut off from `bridge`, or `None` when it is connected (or
/// nobody can tell: a bridge-form NIC seen from another machine).
pub fn cut_off(nic: &LiveNic, bridge: &str, ports: Option<&HashSet<String>>, local: bool) -> Option<String> {
    if let Form::HalfWay(_) = nic.form {
        return Some(format!("its live definition was left on bridge {bridge} by an interrupted reconnect"));
    }
    if let Some(tap) = nic.tap.as_deref().filter(|t| local && host::iface_exists(t)) {
        return match host::master_of(tap) {
            Some(m) if m == bridge => None,
            Some(m) => Some(format!("{tap} is on {m}, not {bridge}")),
            None => Some(format!("{tap} is on no bridge")),
        };
    }
    match (&nic.form, ports) {
        (Form::Network, Some(ports)) if !nic.portid.as_ref().is_some_and(|p| ports.contains(p)) => {
            Some("the network has no port for it: the network was restarted under it".into())
        }
        _ => None,
    }
}

/// Whether [`cut_off`] can tell for `nic`: its tap seen from here, or, for a
/// network NIC, the network's ports (a bridge-form NIC has none).
fn checkable(nic: &LiveNic, local: bool, have_ports: bool) -> bool {
    let tap_here = nic.tap.as_deref().is_some_and(|t| local && host::iface_exists(t));
    match nic.form {
        Form::Bridge => tap_here,
        Form::Network => tap_here || have_ports,
        Form::HalfWay(_) => true,
    }
}

/// The NIC's element as it goes back in step 2: a network NIC without the
/// attributes libvirt adds to a running one (`portid`, `bridge`), which
/// belong to the port it lost; anything else as it was.
fn original_form(nic: &LiveNic) -> Result<String> {
    if let Form::HalfWay(config) = &nic.form {
        return Ok(config.clone());
    }
    if nic.form != Form::Network {
        return Ok(nic.element.clone());
    }
    let doc = crate::xml::parse(&nic.element).map_err(|e| anyhow::anyhow!("{}", e.describe(&nic.element)))?;
    let mut cuts = Vec::new();
    if let Some(src) = crate::xml::kid(doc.root_element(), "source") {
        for a in src.attributes().filter(|a| a.namespace().is_none() && matches!(a.name(), "portid" | "bridge")) {
            // the attribute with the whitespace before it
            let r = a.range();
            let start = nic.element[..r.start].trim_end().len();
            cuts.push((start..r.end, String::new()));
        }
    }
    Ok(edit::splice(&nic.element, cuts))
}

/// The NIC's element in its other form on `bridge` (step 1).
fn other_form(nic: &LiveNic, net: &str, bridge: &str) -> Result<String> {
    let target = match nic.form {
        Form::Network => Target::Bridge(bridge.to_string()),
        Form::Bridge => Target::Network(net.to_string()),
        Form::HalfWay(_) => unreachable!("a half-way NIC is in its other form already"),
    };
    // a one-device document, so the edit is the one domif-convert makes
    let doc = format!("<domain><devices>{}</devices></domain>", nic.element);
    let out = edit::retarget_interface(&doc, 0, &target)?;
    let i = edit::interfaces(&out)?.into_iter().next().context("the edited NIC vanished")?;
    Ok(out[i.range].to_string())
}

/// Put one NIC back on `bridge` (see the module docs); `Err` is the reason,
/// for the report.
pub fn reattach(conn: &dyn Conn, nic: &LiveNic, net: &str, bridge: &str) -> std::result::Result<(), String> {
    let back = original_form(nic).map_err(|e| format!("{e:#}"))?;
    if !matches!(nic.form, Form::HalfWay(_)) {
        let other = other_form(nic, net, bridge).map_err(|e| format!("{e:#}"))?;
        conn.update_device(&nic.guest, &other, affect::LIVE).map_err(|e| format!("libvirt refused to move it: {e}"))?;
    }
    conn.update_device(&nic.guest, &back, affect::LIVE).map_err(|e| {
        format!("it is on {bridge} again, but libvirt refused to restore its network form ({e}); its live XML names bridge {bridge} until the guest restarts, and a rerun retries")
    })
}

/// Reattach the NICs of `nics` that are cut off, and those `force` names
/// whatever they look like, in order, stopping between two NICs on Ctrl-C.
/// One report per NIC of `nics`.
pub fn reattach_all(conn: &dyn Conn, net: &str, bridge: &str, nics: &[LiveNic], force: &dyn Fn(&LiveNic) -> bool, local: bool) -> Vec<NicReport> {
    let ports = ports(conn, net);
    let mut out = Vec::with_capacity(nics.len());
    for nic in nics {
        let force = force(nic);
        if crate::interrupt::requested() {
            out.push(NicReport::new(nic, "not done", Some(format!("stopped by {}", crate::interrupt::cause()))));
            continue;
        }
        if !force && cut_off(nic, bridge, ports.as_ref(), local).is_none() {
            out.push(match (checkable(nic, local, ports.is_some()), &nic.form) {
                (true, _) => NicReport::new(nic, "connected", None),
                (false, Form::Bridge) => NicReport::new(nic, "unchecked", Some(format!("a type='bridge' NIC: only knet on the hypervisor itself sees whether its tap is on {bridge}"))),
                (false, _) => NicReport::new(nic, "unchecked", Some("libvirt lists no ports of this network, and the tap is not visible from here".into())),
            });
            continue;
        }
        out.push(match reattach(conn, nic, net, bridge) {
            Ok(()) => {
                crate::interrupt::record(format!("guest '{}' NIC {} reconnected to network '{net}'", nic.guest, nic.mac));
                NicReport::new(nic, "reconnected", None)
            }
            Err(why) => NicReport::new(nic, "failed", Some(why)),
        });
    }
    out
}

/// Re-apply the port forwards of the guests that were reconnected
/// (`port-forward`'s hook, run as libvirt runs it on a reconnect), on this
/// machine only and only when the network's bridge is visible from here (a
/// knet running outside the hypervisor's network namespace must never write
/// firewall rules into its own). A line for the user, or `None` when there
/// was nothing to re-apply.
pub fn reapply_forwards(conn: &dyn Conn, net: &str, hooks_dir: &std::path::Path, uri: &str, bridge: &str, reports: &[NicReport]) -> Option<String> {
    let guests: Vec<String> = {
        let mut g: Vec<String> = reports.iter().filter(|r| r.result == "reconnected").map(|r| r.guest.clone()).collect();
        g.dedup();
        g
    };
    if guests.is_empty() || !host::is_local_uri(uri) {
        return None;
    }
    let forwarded = crate::commands::port_forward::forwarded_guests(hooks_dir, &guests);
    if forwarded.is_empty() {
        return None;
    }
    if !is_here(conn, net, bridge) {
        return Some(format!("note: port forwards of {} not re-applied: the network's bridge {bridge} is not visible from here (run knet where libvirt runs)", forwarded.join(", ")));
    }
    Some(match crate::commands::port_forward::reapply(hooks_dir, &forwarded) {
        Ok(()) => format!("Port forwards of {} re-applied (their rules are in front of libvirt's again)", forwarded.join(", ")),
        Err(e) => format!("warning: port forwards of {} not re-applied: {e:#}", forwarded.join(", ")),
    })
}

/// Whether the network's bridge is visible from here: an interface of that
/// name with the MAC address libvirt gave the bridge (the `<mac>` of the
/// network's XML), so another namespace's or machine's bridge of the same
/// name never counts.
fn is_here(conn: &dyn Conn, net: &str, bridge: &str) -> bool {
    if !host::iface_exists(bridge) {
        return false;
    }
    let xml = conn.network_xml(net, false).unwrap_or_default();
    let want = crate::xml::parse(&xml).ok().and_then(|d| crate::xml::kid(d.root_element(), "mac").and_then(|m| m.attribute("address")).map(str::to_ascii_lowercase));
    match want {
        Some(mac) => host::mac_of(bridge).is_some_and(|m| m.eq_ignore_ascii_case(&mac)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic(form: Form, element: &str) -> LiveNic {
        LiveNic { guest: "g".into(), mac: "52:54:00:00:00:01".into(), tap: Some("vnet0".into()), form, element: element.into(), portid: None }
    }

    const NET_NIC: &str = "<interface type='network'>\n      <mac address='52:54:00:00:00:01'/>\n      <source network='default' portgroup='web' portid='c7b67bd3-1f74-487d-bcd2-b246b5b7c429' bridge='virbr0'/>\n      <target dev='vnet0'/>\n      <model type='virtio'/>\n      <alias name='net0'/>\n    </interface>";

    #[test]
    fn a_network_nic_goes_over_its_bridge_form_and_back_without_its_port() {
        let n = nic(Form::Network, NET_NIC);
        let other = other_form(&n, "default", "virbr7").unwrap();
        assert_eq!(other, NET_NIC.replace("type='network'", "type='bridge'").replace("<source network='default' portgroup='web' portid='c7b67bd3-1f74-487d-bcd2-b246b5b7c429' bridge='virbr0'/>", "<source bridge='virbr7'/>"));
        let back = original_form(&n).unwrap();
        assert_eq!(back, NET_NIC.replace(" portid='c7b67bd3-1f74-487d-bcd2-b246b5b7c429' bridge='virbr0'", ""));
    }

    #[test]
    fn a_bridge_nic_goes_over_the_network_and_back_unchanged() {
        let el = "<interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='virbr0'/><target dev='vnet0'/></interface>";
        let n = nic(Form::Bridge, el);
        assert_eq!(other_form(&n, "default", "virbr0").unwrap(), "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><target dev='vnet0'/></interface>");
        assert_eq!(original_form(&n).unwrap(), el);
    }

    #[test]
    fn a_lost_port_means_cut_off_when_the_kernel_cannot_be_asked() {
        let mut n = nic(Form::Network, NET_NIC);
        // a tap no namespace here has: libvirt's record decides
        n.tap = Some("knet-no-such-tap0".into());
        n.portid = Some("p1".into());
        let ports: HashSet<String> = ["p1".to_string()].into();
        assert_eq!(cut_off(&n, "virbr0", Some(&ports), true), None);
        assert!(cut_off(&n, "virbr0", Some(&HashSet::new()), true).unwrap().contains("restarted"));
        assert_eq!(cut_off(&n, "virbr0", None, false), None);
        let half = nic(Form::HalfWay("<interface type='network'/>".into()), "<interface type='bridge'/>");
        assert!(cut_off(&half, "virbr0", Some(&ports), false).unwrap().contains("interrupted"));
    }
}
