//! `knet net-dhcp-host`: static DHCP hosts for scripts (knet's own; virsh
//! only has the raw, non-idempotent `net-update ... ip-dhcp-host`).
//!
//! - `add` is idempotent: the same entry again is a no-op (exit 0).
//! - A conflict (the MAC already has another IP or name, the IP belongs to
//!   another MAC's static host or to another MAC's current lease) is an
//!   error unless `--replace`, which removes the conflicting entries first
//!   (a lease cannot be removed: its guest is warned about, and dnsmasq
//!   refuses its next renewal).
//! - What can never work is always an error: an IP outside every IPv4
//!   subnet of the network, its network or broadcast address, the host's
//!   own address, a name dnsmasq would not use (src/dnsmasq.rs). An IP
//!   inside a dynamic `<range>` is fine: dnsmasq never leases a reserved
//!   address to another client.
//! - An active persistent network gets the change in its live state and
//!   its persistent config; an inactive one in its config; a transient one
//!   live. Each side is checked and changed on its own, so a host present
//!   on one side only is completed, not duplicated.
//!
//! All changes go through `virNetworkUpdate` (section ip-dhcp-host), so
//! libvirt rewrites dnsmasq's hosts file and signals it, exactly as
//! `virsh net-update` would.

use std::net::Ipv4Addr;

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::libvirt::{update_flags, update_section, UpdateCommand};
use crate::mac::{self, MacError};
use crate::output;
use crate::xml::facts::{self, NetIp};
use crate::xml::network::Network;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    /// Add (or keep) a static host
    Add,
    /// Remove the host with this MAC (no-op when absent)
    Remove,
    /// Print the static hosts (table, or JSON with --json)
    List,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// What to do
    pub action: Action,
    /// The guest NIC's MAC address (required by add and remove; filters list)
    #[arg(long, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::macs()))]
    pub mac: Option<String>,
    /// The fixed IPv4 address to hand out: inside the network's subnet (the dynamic range is fine), not its network, broadcast or gateway address
    #[arg(long)]
    pub ip: Option<String>,
    /// The host name dnsmasq gives the guest: a first label of letters, digits, '-' and '_' starting with a letter or digit; no ',', quotes or control characters
    #[arg(long)]
    pub name: Option<String>,
    /// Remove entries that conflict with the new one instead of failing; also take an address another MAC holds a current lease on
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Host {
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub name: Option<String>,
    /// Index of the `<ip>` element holding it (net-update's --parent-index).
    #[serde(skip)]
    pub parent: usize,
}

struct Doc {
    hosts: Vec<Host>,
    /// The IPv4 `<ip>` elements whose subnet libvirt can work out.
    subnets: Vec<NetIp>,
}

fn parse(xml: &str) -> Result<Doc> {
    let doc = crate::xml::parse(xml).map_err(|e| anyhow::anyhow!(e.describe(xml))).context("libvirt returned XML knet cannot parse")?;
    let net = Network::read(doc.root_element());
    // hosts keep their attributes as libvirt has them: a delete must name
    // the entry exactly, even one whose ip the facts view would skip
    let hosts = net
        .ips
        .iter()
        .enumerate()
        .flat_map(|(parent, ip)| ip.dhcp.iter().flat_map(|d| &d.hosts).map(move |h| (parent, h)))
        .map(|(parent, h)| Host {
            mac: h.mac.map(|m| m.text.to_ascii_lowercase()),
            ip: h.ip.map(|i| i.text.to_string()),
            name: h.name.map(|n| n.text.to_string()),
            parent,
        })
        .collect();
    Ok(Doc { hosts, subnets: facts::network_of(&net).ipv4 })
}

/// virsh's MAC rule (virMacAddrParse plus the unicast check libvirt applies
/// to guest NICs); returns the lower-case form libvirt stores.
fn check_mac(mac: &str) -> Result<String> {
    match mac::parse_unicast(mac) {
        Ok(m) => Ok(m.to_string()),
        Err(MacError::Syntax(_)) => Err(Exit::usage(format!("invalid MAC address '{mac}' (expected six hex pairs like 52:54:00:12:34:56)"))),
        Err(e @ MacError::Multicast(_)) => Err(Exit::usage(e.to_string())),
    }
}

fn host_xml(h: &Host) -> String {
    crate::xml::write::element("host", [("mac", h.mac.as_deref()), ("name", h.name.as_deref()), ("ip", h.ip.as_deref())], crate::xml::write::Quote::Single)
}

/// What one side (live or config) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    delete: Vec<Host>,
    add: Option<Host>,
}

/// The checked --mac and --ip (usage errors before any connection).
fn inputs(args: &Args) -> Result<(Option<String>, Option<Ipv4Addr>)> {
    let mac = match (&args.mac, args.action) {
        (Some(m), _) => Some(check_mac(m)?),
        (None, Action::List) => None,
        (None, _) => return Err(Exit::usage("--mac is required for add and remove")),
    };
    let ip = args.ip.as_deref().map(|s| s.parse::<Ipv4Addr>().map_err(|_| Exit::usage(format!("invalid IPv4 address '{s}'")))).transpose()?;
    if args.action == Action::Add && ip.is_none() && args.name.is_none() {
        return Err(Exit::usage("add needs --ip and/or --name"));
    }
    if let Some(problem) = args.name.as_deref().and_then(crate::dnsmasq::host_name_problem) {
        // the error printer escapes control characters for the terminal
        return Err(Exit::usage(format!("host name '{}' {problem}: dnsmasq would not give it to the guest", args.name.as_deref().unwrap_or(""))));
    }
    Ok((mac, ip))
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    inputs(&args)?;
    on_host(&args, ctx)
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    inputs(&args)?;
    if args.action != Action::List {
        return crate::fleet::each_host(ctx, |h| on_host(&args, h));
    }
    let work = |h: &Ctx| listed(&args, h);
    if ctx.json() {
        return crate::fleet::json(&ctx.fan_out(work)?, |hosts| crate::fleet::values(hosts));
    }
    crate::fleet::stream_table(ctx, work, &LIST_HEADERS, |hosts| hosts.iter().map(list_row).collect()).map(drop)
}

const LIST_HEADERS: [&str; 3] = ["MAC", "IP", "Name"];

fn list_row(h: &Host) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    vec![opt(&h.mac), opt(&h.ip), opt(&h.name)]
}

/// What `list` shows: the static hosts of the live view when the network
/// runs, else of its persistent config; only --mac's when given.
fn listed(args: &Args, ctx: &Ctx) -> Result<Vec<Host>> {
    let (mac, _) = inputs(args)?;
    let (name, active, persistent) = net_shared::state(ctx, &args.network)?;
    if !active && !persistent {
        return Ok(Vec::new());
    }
    let xml = ctx.conn()?.network_xml(&name, !active)?;
    Ok(parse(&xml)?.hosts.into_iter().filter(|h| mac.is_none() || h.mac == mac).collect())
}

/// The whole command on one host.
fn on_host(args: &Args, ctx: &Ctx) -> Result<()> {
    let (mac, ip) = inputs(args)?;
    if args.action == Action::List {
        let hosts = listed(args, ctx)?;
        if ctx.json() {
            return output::print_json(&hosts);
        }
        let rows: Vec<Vec<String>> = hosts.iter().map(list_row).collect();
        output::print(&output::table(&LIST_HEADERS, &rows, ctx.quiet()))?;
        return Ok(());
    }
    let (name, active, persistent) = net_shared::state(ctx, &args.network)?;
    let conn = ctx.conn()?;

    // The sides to keep in step: (flag, label, document)
    let mut sides = Vec::new();
    if active {
        sides.push((update_flags::LIVE, "live state", parse(&conn.network_xml(&name, false)?)?));
    }
    if persistent {
        sides.push((update_flags::CONFIG, "persistent config", parse(&conn.network_xml(&name, true)?)?));
    }

    if args.action == Action::Add {
        if let (Some(ip), true) = (ip, active) {
            lease_check(args, ctx, &name, mac.as_deref(), ip)?;
        }
    }
    let mut plans = Vec::new();
    for (flag, label, doc) in &sides {
        let plan = match args.action {
            Action::Remove => Plan { delete: doc.hosts.iter().filter(|h| h.mac == mac).cloned().collect(), add: None },
            _ => plan_add(args, &name, label, doc, mac.clone(), ip)?,
        };
        plans.push((*flag, plan));
    }

    // One call for both sides when they need the same change (libvirt then
    // applies it to both at once), else side by side.
    let same = plans.windows(2).all(|w| w[0].1 == w[1].1);
    let batches: Vec<(u32, &Plan)> = if same && !plans.is_empty() { vec![(plans.iter().fold(0, |f, p| f | p.0), &plans[0].1)] } else { plans.iter().map(|(f, p)| (*f, p)).collect() };
    let section = update_section("ip-dhcp-host").expect("known section");
    let mut changed = false;
    // each call made so far, for the report when a later one fails: the
    // half of a --replace (old entry gone, new one not in) must be said
    let mut done: Vec<String> = Vec::new();
    let side_names = |flags: u32| sides.iter().filter(|s| flags & s.0 != 0).map(|s| s.1).collect::<Vec<_>>().join(" and ");
    let failed = |e: crate::libvirt::VirtError, done: &[String]| -> anyhow::Error {
        let e = anyhow::Error::new(e).context(format!("Failed to update network {name}"));
        if done.is_empty() {
            e
        } else {
            e.context(format!("network {name} partly changed: {}; then", done.join(", ")))
        }
    };
    // --replace is a delete then an add, possibly on each side: Ctrl-C must
    // not land between them (the host would be gone). It is noted, the few
    // calls finish, then the command reports and exits 130.
    let interrupt = crate::interrupt::Guard::new();
    for (flags, plan) in batches {
        for h in &plan.delete {
            // libvirt matches a delete on the MAC alone when there is one
            let key = if h.mac.is_some() { Host { ip: None, name: None, ..h.clone() } } else { h.clone() };
            conn.update_network(&name, UpdateCommand::Delete, section, h.parent as i32, &host_xml(&key), flags).map_err(|e| failed(e, &done))?;
            done.push(format!("{} removed ({})", host_xml(h), side_names(flags)));
            changed = true;
        }
        if let Some(h) = &plan.add {
            conn.update_network(&name, UpdateCommand::AddLast, section, h.parent as i32, &host_xml(h), flags).map_err(|e| failed(e, &done))?;
            done.push(format!("{} added ({})", host_xml(h), side_names(flags)));
            changed = true;
        }
    }
    let where_ = sides.iter().map(|s| s.1).collect::<Vec<_>>().join(" and ");
    let mac = mac.unwrap_or_default();
    let msg = match (args.action, changed) {
        (Action::Add, true) => format!("DHCP host {mac} added to network {name} ({where_})"),
        (Action::Add, false) => format!("DHCP host {mac} already in network {name}, nothing to do"),
        (_, true) => format!("DHCP host {mac} removed from network {name} ({where_})"),
        (_, false) => format!("DHCP host {mac} not in network {name}, nothing to do"),
    };
    let interrupted = crate::interrupt::requested();
    drop(interrupt);
    let action = if args.action == Action::Add { "add" } else { "remove" };
    let fields = serde_json::json!({ "network": name, "action": action, "mac": mac, "ip": ip.map(|a| a.to_string()), "name": args.name, "affected": where_ });
    net_shared::report(ctx, &msg, changed, fields)?;
    if interrupted {
        return Err(crate::interrupt::cancelled());
    }
    Ok(())
}

/// A current lease of `ip` held by another MAC: that guest uses the address
/// now, and dnsmasq refuses its next renewal once the address is reserved
/// for `mac`. Refused unless --replace, then a warning.
fn lease_check(args: &Args, ctx: &Ctx, net: &str, mac: Option<&str>, ip: Ipv4Addr) -> Result<()> {
    // a driver without leases (libvirt's test driver) has none to conflict
    let Ok(leases) = ctx.conn()?.network_dhcp_leases(net, None) else { return Ok(()) };
    let ip = ip.to_string();
    let other = leases.iter().find(|l| l.ip == ip && l.mac.as_deref().map(str::to_ascii_lowercase).as_deref() != mac);
    let Some(l) = other else { return Ok(()) };
    let holder = match (&l.mac, &l.hostname) {
        (Some(m), Some(h)) => format!("{m} ({h})"),
        (Some(m), None) => m.clone(),
        (None, _) => l.client_id.clone().unwrap_or_else(|| "another client".into()),
    };
    if !args.replace {
        anyhow::bail!(
            "IP {ip} is currently leased to {holder} on network {net}: that guest is using it; \
             use --replace to reserve it anyway (dnsmasq then refuses that guest's next renewal and gives it another address)"
        );
    }
    let warning = format!("warning: IP {ip} is currently leased to {holder} on network {net}; it keeps the address until its next renewal, which dnsmasq then refuses");
    eprintln!("{}", output::escape(&warning));
    Ok(())
}

fn plan_add(args: &Args, net: &str, side: &str, doc: &Doc, mac: Option<String>, ip: Option<Ipv4Addr>) -> Result<Plan> {
    let subnet = match ip {
        Some(ip) => {
            let all: Vec<String> = doc.subnets.iter().map(|s| s.subnet().to_string()).collect();
            let s = doc.subnets.iter().find(|s| s.subnet().contains(ip)).ok_or_else(|| {
                anyhow::anyhow!("IP {ip} is outside network {net}'s subnets ({})", if all.is_empty() { "none with IPv4".into() } else { all.join(", ") })
            })?;
            // dnsmasq serves a static host inside the dynamic range too (it
            // never leases a reserved address to another client), so only
            // addresses no guest can ever use are refused.
            let sub = s.subnet();
            if ip == s.address {
                anyhow::bail!("IP {ip} is the host's own address on network {net} (the guests' gateway)");
            }
            if sub.prefix <= 30 && ip == sub.net {
                anyhow::bail!("IP {ip} is the network address of {sub} (network {net}); no guest can use it");
            }
            if sub.prefix <= 30 && ip == sub.broadcast() {
                anyhow::bail!("IP {ip} is the broadcast address of {sub} (network {net}); no guest can use it");
            }
            Some(s)
        }
        None => doc.subnets.first(),
    };
    let parent = subnet.map_or(0, |s| s.index);
    let want = Host { mac, ip: ip.map(|i| i.to_string()), name: args.name.clone(), parent };
    let mut delete = Vec::new();
    for h in &doc.hosts {
        let same_mac = h.mac.is_some() && h.mac == want.mac;
        let same_ip = want.ip.is_some() && h.ip == want.ip;
        let same_name = want.name.is_some() && h.name == want.name;
        if same_mac && h.ip == want.ip && h.name == want.name {
            return Ok(Plan { delete: Vec::new(), add: None });
        }
        let conflict = if same_mac {
            Some(format!("MAC {} already has a DHCP host entry ({}) in the {side} of network {net}", h.mac.as_deref().unwrap_or(""), host_xml(h)))
        } else if same_ip {
            Some(format!("IP {} is already given to {} in the {side} of network {net}", h.ip.as_deref().unwrap_or(""), host_xml(h)))
        } else if same_name {
            Some(format!("name {} is already used by {} in the {side} of network {net}", h.name.as_deref().unwrap_or(""), host_xml(h)))
        } else {
            None
        };
        if let Some(c) = conflict {
            if !args.replace {
                anyhow::bail!("{c}; use --replace to overwrite it");
            }
            delete.push(h.clone());
        }
    }
    Ok(Plan { delete, add: Some(want) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_libvirts_text_and_subnets_follow_libvirts_prefix_rules() {
        let d = parse(
            "<network><ip family='ipv6' address='fd00::1' prefix='64'/>\
             <ip address='10.0.0.1'><dhcp><range start='10.0.0.2' end='10.0.0.9'/>\
             <host mac='52:54:00:AA:00:01' ip='10.0.0.300' name='a'/></dhcp></ip></network>",
        )
        .unwrap();
        // the delete key must be the entry as libvirt has it, even an ip the subnet view cannot read
        assert_eq!(d.hosts, vec![Host { mac: Some("52:54:00:aa:00:01".into()), ip: Some("10.0.0.300".into()), name: Some("a".into()), parent: 1 }]);
        // no prefix or netmask: libvirt's classful default (10/8), parent index counts the IPv6 <ip>
        assert_eq!(d.subnets.len(), 1);
        assert_eq!((d.subnets[0].index, d.subnets[0].subnet().to_string()), (1, "10.0.0.0/8".to_string()));
        assert_eq!(d.subnets[0].ranges, vec![("10.0.0.2".parse().unwrap(), "10.0.0.9".parse().unwrap())]);
        assert!(parse("<network><ip").is_err());
    }

    #[test]
    fn mac_checks_keep_virsh_wording() {
        assert_eq!(check_mac("52:54:0:AA:b:1").unwrap(), "52:54:00:aa:0b:01");
        assert!(check_mac("52:54:00:aa:bb").unwrap_err().to_string().contains("invalid MAC address '52:54:00:aa:bb'"));
        assert_eq!(check_mac("01:00:5e:00:00:01").unwrap_err().to_string(), "expected unicast mac address, found multicast '01:00:5e:00:00:01'");
    }
}
