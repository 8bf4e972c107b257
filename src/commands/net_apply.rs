//! `--apply` of `net-edit` and `net-define`: after a running network's
//! persistent definition changed, bring the change live, the gentlest way
//! libvirt allows.
//!
//! The new persistent definition is compared with the live one, section by
//! section. When they differ only in what `virNetworkUpdate` changes on a
//! running network (DHCP hosts and ranges, DNS hosts, TXT and SRV records,
//! portgroups: the libvirt Networking guide's "changes to only the static
//! hosts entries"), the differences go live as `net-update --live` calls,
//! deletions first (a range is deleted and added: libvirt cannot modify
//! one); guests notice nothing. Anything else needs the network restarted,
//! which src/commands/net_restart.rs does with its guests reconnected and a
//! rollback when the new definition does not start. The persistent
//! definition is never changed here, except to restore the previous one
//! when a restart is refused or fails.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::net_restart;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::libvirt::{update_flags, update_section, Conn, UpdateCommand};
use crate::output;

/// `--apply` and its `--yes`, shared by net-edit and net-define.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ApplyArgs {
    /// When the network runs, bring the new definition live: with net-update
    /// when only DHCP hosts or ranges, DNS records or portgroups changed,
    /// else by restarting the network with its guests reconnected (see
    /// net-restart); a definition that does not start is rolled back
    #[arg(long)]
    pub apply: bool,
    /// With --apply: restart the network without asking when that is needed
    // (no -y: these commands take virsh's grammar, which has no short options)
    #[arg(long, requires = "apply")]
    pub yes: bool,
}

/// The network as it was before the define: what a refusal or a failed
/// start goes back to.
pub struct Before {
    pub name: String,
    pub config: String,
}

/// Before defining `xml`: the network it names, when that one exists and
/// runs (only then is there something to apply).
pub fn before(conn: &dyn Conn, xml: &str) -> Option<Before> {
    let doc = crate::xml::parse(xml).ok()?;
    let root = doc.root_element();
    let by_uuid = crate::xml::kid(root, "uuid").and_then(|u| u.text()).and_then(|u| conn.lookup_network_by_uuid(u.trim()).ok()).map(|id| id.name);
    let name = by_uuid.or_else(|| crate::xml::kid(root, "name").and_then(|n| n.text()).map(|n| n.trim().to_string()))?;
    if !conn.network_is_active(&name).ok()? || !conn.network_is_persistent(&name).ok()? {
        return None;
    }
    Some(Before { config: conn.network_xml(&name, true).ok()?, name })
}

/// One `net-update --live` call.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Update {
    command: UpdateCommand,
    section: &'static str,
    /// The `<ip>` index for the DHCP sections, -1 for the others.
    parent: i32,
    xml: String,
}

impl Update {
    fn describe(&self) -> String {
        let c = match self.command {
            UpdateCommand::Delete => "delete",
            _ => "add",
        };
        format!("{c} {}", self.section)
    }
}

/// How the live network differs from the new definition.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    Same,
    Updates(Vec<Update>),
    /// Named: the top-level elements that differ outside those sections.
    Restart(Vec<String>),
}

/// An element in a comparable form: name, sorted attributes, children,
/// trimmed text; comments and layout ignored, and what libvirt adds to a
/// running network's XML left out (`connections=` counts, the NAT port
/// range it fills in by default).
fn canon(n: roxmltree::Node) -> String {
    let mut attrs: Vec<String> = n.attributes().filter(|a| a.name() != "connections").map(|a| format!("{}={:?}", a.name(), a.value())).collect();
    attrs.sort();
    let mut s = format!("<{} {}>", n.tag_name().name(), attrs.join(" "));
    for c in n.children() {
        if c.is_element() {
            if is_default_nat_port(c) {
                continue;
            }
            let inner = canon(c);
            // a <nat> left empty by the default port range is no <nat>
            if c.has_tag_name("nat") && inner == "<nat ></nat>" {
                continue;
            }
            s.push_str(&inner);
        } else if let Some(t) = c.text().map(str::trim).filter(|t| !t.is_empty() && c.is_text()) {
            s.push_str(&format!("{t:?}"));
        }
    }
    s.push_str(&format!("</{}>", n.tag_name().name()));
    s
}

fn is_default_nat_port(n: roxmltree::Node) -> bool {
    n.has_tag_name("port") && n.parent().is_some_and(|p| p.has_tag_name("nat")) && n.attribute("start") == Some("1024") && n.attribute("end") == Some("65535")
}

/// Which live-updatable section an element is in, and its parent index:
/// (section, parent) or `None`.
fn section_of(n: roxmltree::Node, ip_index: &dyn Fn(roxmltree::Node) -> i32) -> Option<(&'static str, i32)> {
    let parent = n.parent()?;
    let grand = parent.parent();
    let name = n.tag_name().name();
    match (name, parent.tag_name().name(), grand.map(|g| g.tag_name().name())) {
        ("host", "dhcp", Some("ip")) => Some(("ip-dhcp-host", ip_index(grand?))),
        ("range", "dhcp", Some("ip")) => Some(("ip-dhcp-range", ip_index(grand?))),
        ("host", "dns", Some("network")) => Some(("dns-host", -1)),
        ("txt", "dns", Some("network")) => Some(("dns-txt", -1)),
        ("srv", "dns", Some("network")) => Some(("dns-srv", -1)),
        ("portgroup", "network", _) => Some(("portgroup", -1)),
        _ => None,
    }
}

/// A network document split into its live-updatable items ((section,
/// parent, canonical form) -> element text) and the canonical rest, per
/// top-level element.
struct Split {
    items: BTreeMap<(&'static str, i32, String), String>,
    rest: BTreeMap<String, String>,
}

fn split(xml: &str) -> Result<Split> {
    let doc = crate::xml::parse(xml).map_err(|e| anyhow::anyhow!("{}", e.describe(xml)))?;
    let root = doc.root_element();
    let ips: Vec<roxmltree::NodeId> = root.children().filter(|c| c.has_tag_name("ip")).map(|c| c.id()).collect();
    let ip_index = |ip: roxmltree::Node| ips.iter().position(|i| *i == ip.id()).map_or(-1, |i| i as i32);
    let mut items = BTreeMap::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        if let Some((section, parent)) = section_of(n, &ip_index) {
            items.insert((section, parent, canon(n)), xml[n.range()].to_string());
        }
    }
    // the rest: each top-level element without the items above
    // (keyed by name and rank among its namesakes, so an element added
    // or removed names itself and nothing after it)
    let mut rest = BTreeMap::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for c in root.children().filter(|c| c.is_element() && section_of(*c, &ip_index).is_none()) {
        let rank = seen.entry(c.tag_name().name()).or_default();
        let mut text = String::new();
        strip_items(c, &ip_index, &mut text);
        rest.insert(format!("{}#{rank}", c.tag_name().name()), text);
        *rank += 1;
    }
    let mut attrs: Vec<String> = root.attributes().filter(|a| a.name() != "connections").map(|a| format!("{}={:?}", a.name(), a.value())).collect();
    attrs.sort();
    rest.insert("network#attributes".into(), attrs.join(" "));
    Ok(Split { items, rest })
}

fn strip_items(n: roxmltree::Node, ip_index: &dyn Fn(roxmltree::Node) -> i32, out: &mut String) {
    if section_of(n, ip_index).is_some() {
        return;
    }
    let mut attrs: Vec<String> = n.attributes().filter(|a| a.name() != "connections").map(|a| format!("{}={:?}", a.name(), a.value())).collect();
    attrs.sort();
    out.push_str(&format!("<{} {}>", n.tag_name().name(), attrs.join(" ")));
    for c in n.children() {
        if c.is_element() {
            if is_default_nat_port(c) {
                continue;
            }
            let mut inner = String::new();
            strip_items(c, ip_index, &mut inner);
            if c.has_tag_name("nat") && inner == "<nat ></nat>" {
                continue;
            }
            out.push_str(&inner);
        } else if let Some(t) = c.text().map(str::trim).filter(|t| !t.is_empty() && c.is_text()) {
            out.push_str(&format!("{t:?}"));
        }
    }
    out.push_str(&format!("</{}>", n.tag_name().name()));
}

fn plan(live: &str, config: &str) -> Result<Plan> {
    let (l, c) = (split(live)?, split(config)?);
    if l.rest != c.rest {
        let mut names: Vec<String> = l.rest.iter().filter(|(k, v)| c.rest.get(*k) != Some(*v)).chain(c.rest.iter().filter(|(k, _)| !l.rest.contains_key(*k))).map(|(k, _)| k.split('#').next().unwrap_or(k).to_string()).collect();
        names.dedup();
        return Ok(Plan::Restart(names));
    }
    let mut updates: Vec<Update> = l
        .items
        .iter()
        .filter(|(k, _)| !c.items.contains_key(*k))
        .map(|((section, parent, _), xml)| Update { command: UpdateCommand::Delete, section, parent: *parent, xml: xml.clone() })
        .collect();
    updates.extend(
        c.items.iter().filter(|(k, _)| !l.items.contains_key(*k)).map(|((section, parent, _), xml)| Update { command: UpdateCommand::AddLast, section, parent: *parent, xml: xml.clone() }),
    );
    Ok(if updates.is_empty() { Plan::Same } else { Plan::Updates(updates) })
}

/// Apply network `b.name`'s new persistent definition to the running
/// network (see the module docs) and say which way it was done. `yes`
/// skips the question before a restart. When a needed restart is refused
/// (or cannot be asked), the previous persistent definition is restored.
///
/// `kept` is called when the new definition ends up not live and the
/// previous one restored: net-edit keeps the edited XML and names it.
pub fn apply(ctx: &Ctx, b: &Before, yes: bool, kept: &dyn Fn() -> Option<String>) -> Result<()> {
    let conn = ctx.conn()?;
    let name = &b.name;
    // Ctrl-C stops between two libvirt calls, never inside the restart
    let _interrupt = crate::interrupt::Guard::new();
    let config = conn.network_xml(name, true)?;
    let live = conn.network_xml(name, false)?;
    let reason = match plan(&live, &config)? {
        Plan::Same => return say(ctx, &format!("Network {name}: the running network already matches its definition; nothing to apply")),
        Plan::Updates(updates) => match update_live(conn, name, &updates) {
            Err(e) if crate::interrupt::requested() => {
                let n = output::escape(name);
                eprintln!("Interrupted: network {n} runs with part of its new definition ({}); knet net-edit {n} --apply, closed without a change, brings the rest live", output::escape_text(&format!("{e:#}")));
                return Err(crate::interrupt::cancelled());
            }
            Ok(()) => {
                let what: Vec<String> = updates.iter().map(Update::describe).collect();
                return say(ctx, &format!("Network {name}: changes applied live with net-update ({}); guests stay connected", what.join(", ")));
            }
            Err(e) => format!("net-update could not apply it live ({e:#})"),
        },
        Plan::Restart(parts) => format!("<{}> changed, which only a restart brings live", parts.join(">, <")),
    };
    if !yes {
        let bridge = conn.network_bridge(name)?.unwrap_or_default();
        let n = crate::reattach::nics_on(conn, name, &bridge)?.len();
        let asked = net_restart::confirm(&format!("Network {name}: {reason}. Restart it now? {n} running guest NIC(s) on it lose traffic for a moment"), n);
        if !matches!(asked, Ok(true)) {
            conn.define_network(&b.config, false).context("cannot restore the previous persistent definition")?;
            let note = kept().map(|k| format!("; {k}")).unwrap_or_default();
            let msg = |why: &str| format!("network {name}: {reason}; {why}: its previous definition is restored, nothing was changed{note}");
            return Err(match asked {
                // no terminal to ask on: a usage error, as without --yes elsewhere
                Err(e) => Exit::usage(msg(&format!("{e:#}"))),
                _ => anyhow::anyhow!(msg("not confirmed")),
            });
        }
    }
    let done = net_restart::restart(conn, name, Some(&b.config), Path::new("/etc/libvirt/hooks"))?;
    if !ctx.quiet() && !ctx.json() {
        output::print(&format!("{}\n", output::escape_text(&format!("Network {name}: {reason}"))))?;
    }
    if let (Some(_), Some(k)) = (&done.rolled_back, kept()) {
        eprintln!("{k}");
    }
    net_restart::finish(ctx, &done, "restarted with its new definition")
}

/// The updates, in order, live only (the persistent definition has them).
fn update_live(conn: &dyn Conn, name: &str, updates: &[Update]) -> Result<()> {
    for (i, u) in updates.iter().enumerate() {
        if crate::interrupt::requested() {
            let done: Vec<String> = updates[..i].iter().map(Update::describe).collect();
            anyhow::bail!("stopped after {} of {} changes ({})", i, updates.len(), if done.is_empty() { "none".to_string() } else { done.join(", ") });
        }
        let section = update_section(u.section).expect("a libvirt section");
        conn.update_network(name, u.command, section, u.parent, &u.xml, update_flags::LIVE).with_context(|| format!("{} {}", u.describe(), u.xml))?;
        crate::interrupt::record(format!("network '{name}': {} {} live", u.describe(), u.xml));
    }
    // what libvirt made of them must be the new definition
    match plan(&conn.network_xml(name, false)?, &conn.network_xml(name, true)?)? {
        Plan::Same => Ok(()),
        _ => anyhow::bail!("the live network still differs from its definition"),
    }
}

/// `--apply` on a network that does not run: nothing to bring live.
pub fn not_running(ctx: &Ctx, name: &str) -> Result<()> {
    say(ctx, &format!("Network {name} is not running: its definition takes effect when it starts"))
}

fn say(ctx: &Ctx, msg: &str) -> Result<()> {
    if ctx.json() {
        return output::print_json(&serde_json::json!({ "applied": msg }));
    }
    super::net_shared::done(ctx, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: &str = "<network connections='3'>\n  <name>default</name>\n  <forward mode='nat'>\n    <nat>\n      <port start='1024' end='65535'/>\n    </nat>\n  </forward>\n  <bridge name='virbr0' stp='on' delay='0'/>\n  <ip address='192.168.122.1' netmask='255.255.255.0'>\n    <dhcp>\n      <range start='192.168.122.2' end='192.168.122.254'/>\n      <host mac='52:54:00:aa:bb:01' name='vm1' ip='192.168.122.10'/>\n    </dhcp>\n  </ip>\n</network>";

    fn config() -> String {
        LIVE.replace(" connections='3'", "").replace("<forward mode='nat'>\n    <nat>\n      <port start='1024' end='65535'/>\n    </nat>\n  </forward>", "<forward mode='nat'/>")
    }

    #[test]
    fn what_libvirt_adds_to_a_running_network_is_no_change() {
        assert_eq!(plan(LIVE, &config()).unwrap(), Plan::Same);
    }

    #[test]
    fn a_new_range_is_a_delete_and_an_add_in_its_ip() {
        let new = config().replace("192.168.122.2' end='192.168.122.254'", "192.168.122.100' end='192.168.122.200'");
        let Plan::Updates(u) = plan(LIVE, &new).unwrap() else { panic!() };
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].command, u[0].section, u[0].parent), (UpdateCommand::Delete, "ip-dhcp-range", 0));
        assert_eq!(u[0].xml, "<range start='192.168.122.2' end='192.168.122.254'/>");
        assert_eq!((u[1].command, u[1].section, u[1].xml.as_str()), (UpdateCommand::AddLast, "ip-dhcp-range", "<range start='192.168.122.100' end='192.168.122.200'/>"));
    }

    #[test]
    fn hosts_dns_and_portgroups_go_live_anything_else_restarts() {
        let new = config().replace("</ip>", "</ip>\n  <dns><host ip='192.168.122.5'><hostname>x</hostname></host></dns>\n  <portgroup name='web'/>");
        // a <dns> that was not there is a new top-level element: a restart
        assert_eq!(plan(LIVE, &new).unwrap(), Plan::Restart(vec!["dns".into()]));
        let with_dns = |s: &str| s.replace("</ip>", "</ip>\n  <dns enable='yes'/>");
        let new = with_dns(&config()).replace("<dns enable='yes'/>", "<dns enable='yes'><host ip='192.168.122.5'><hostname>x</hostname></host></dns>\n  <portgroup name='web'/>");
        let Plan::Updates(u) = plan(&with_dns(LIVE), &new).unwrap() else { panic!() };
        assert_eq!(u.iter().map(|u| u.section).collect::<Vec<_>>(), vec!["dns-host", "portgroup"]);
        let new = config().replace("<bridge name='virbr0'", "<bridge name='virbr9'");
        assert_eq!(plan(LIVE, &new).unwrap(), Plan::Restart(vec!["bridge".into()]));
        let new = config().replace("<forward mode='nat'/>", "<forward mode='route'/>");
        assert_eq!(plan(LIVE, &new).unwrap(), Plan::Restart(vec!["forward".into()]));
    }
}
