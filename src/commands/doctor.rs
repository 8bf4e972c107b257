//! `knet doctor`: the troubleshooting sections of Ubuntu's KVM/Networking
//! guide and libvirt's Networking wiki, as checks with a verdict and a fix.
//!
//! Reads only: libvirt through the port, the host through src/host.rs and
//! read-only firewall listings (`iptables -S`, `nft list ruleset`). Host
//! checks run only when the connection's hypervisor is this machine, and
//! they look at the network namespace knet runs in.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

use crate::context::Ctx;
use crate::exit::Exit;
use crate::xml::facts::{self, NetFacts, Nic};
use crate::host;
use crate::libvirt::{Conn, DomainInfo, NetworkInfo};
use crate::mac::Mac;
use crate::output;

/// Check libvirt networking for the guides' classic problems
///
/// Checks, each with a verdict (OK, WARN, FAIL, SKIP) and a fix:
/// networks active and autostarted; their bridge exists and is up; dnsmasq
/// runs for them; net.ipv4.ip_forward=1 for NAT and routed networks; NAT
/// MASQUERADE rules present; libvirt's FORWARD accept rules present for NAT
/// and routed networks (a firewall reload flushes them), and no FORWARD
/// DROP policy without them; net.bridge.bridge-nf-call-* sysctls; a physical
/// NIC enslaved to a libvirt-managed bridge such as virbr0; a wireless NIC in
/// any bridge; guests whose tap is not on the bridge their XML names; guests
/// on a missing or inactive network or a missing host bridge; duplicate and multicast MAC addresses;
/// NIC models other than virtio.
///
/// With NETWORK or DOM only that network (and its guests) or that guest (and
/// its networks) is checked. Host checks (bridges, dnsmasq, sysctls,
/// firewall) run only when the hypervisor is this machine, in the network
/// namespace knet runs in; over a remote URI they are skipped.
///
/// Exit status: 0 when nothing failed (warnings allowed), 1 when a check
/// failed. With -q only warnings and failures are printed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet doctor\n  knet doctor default\n  knet -q doctor vm1\n  knet --json doctor | jq '.checks[] | select(.status == \"fail\")'")]
pub struct Args {
    /// A network or domain (name or UUID) to check; default: everything
    #[arg(value_name = "NETWORK|DOM", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks_and_domains()))]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skip,
    Warn,
    Fail,
}

#[derive(Debug, serde::Serialize)]
pub struct Finding {
    /// Stable id: `network-active`, `ip-forward`, `duplicate-mac`, ...
    pub check: &'static str,
    /// What was checked: `network default`, `domain vm1`, `host`, `bridge virbr0`.
    pub subject: String,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Default)]
struct Report(Vec<Finding>);

impl Report {
    fn add(&mut self, check: &'static str, subject: impl Into<String>, status: Status, message: impl Into<String>, fix: Option<String>) {
        self.0.push(Finding { check, subject: subject.into(), status, message: message.into(), fix });
    }
    fn ok(&mut self, check: &'static str, subject: impl Into<String>, message: impl Into<String>) {
        self.add(check, subject, Status::Ok, message, None);
    }
}

struct Net {
    info: NetworkInfo,
    facts: NetFacts,
}

struct Dom {
    info: DomainInfo,
    /// Inactive (persistent) config: what the admin defined.
    config: Vec<Nic>,
    /// Live XML of a running guest: taps and bridges really in use.
    live: Vec<Nic>,
}

fn load(conn: &dyn Conn) -> Result<(Vec<Net>, Vec<Dom>)> {
    let mut nets = Vec::new();
    for info in conn.list_networks().context("failed to list networks")? {
        let x = conn.network_xml(&info.name, false).with_context(|| format!("failed to get network '{}'", info.name))?;
        nets.push(Net { facts: facts::network(&x), info });
    }
    let mut doms = Vec::new();
    for info in conn.list_domains().context("failed to list domains")? {
        let xml = |inactive| conn.domain_xml(&info.name, inactive).with_context(|| format!("failed to get domain '{}'", info.name));
        let config = facts::nics(&xml(info.persistent)?);
        // a transient guest's config is its live XML: fetched once
        let live = match (info.active, info.persistent) {
            (true, true) => facts::nics(&xml(false)?),
            (true, false) => config.clone(),
            (false, _) => Vec::new(),
        };
        doms.push(Dom { info, config, live });
    }
    nets.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    doms.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    Ok((nets, doms))
}

/// A libvirt-managed bridge: libvirt creates it and owns its ports.
fn managed(f: &NetFacts) -> bool {
    matches!(f.forward.as_deref(), None | Some("nat" | "route" | "open"))
}

fn network_checks(r: &mut Report, n: &Net, local: bool, doms: &[Dom]) {
    let name = &n.info.name;
    // fixes are commands to paste into a shell: a name is one quoted word
    let q = shell_words::quote(name);
    let subj = format!("network {name}");
    if n.info.active {
        r.ok("network-active", &subj, "active");
    } else {
        r.add("network-active", &subj, Status::Fail, "inactive: guests on it cannot start", Some(format!("knet net-start {q}")));
    }
    if n.info.autostart {
        r.ok("network-autostart", &subj, "starts at boot");
    } else if n.info.persistent {
        r.add("network-autostart", &subj, Status::Warn, "autostart is off: after a reboot its guests fail to start", Some(format!("knet net-autostart {q}")));
    }
    if !local || !n.info.active {
        return;
    }
    if n.facts.forward.as_deref() == Some("bridge") {
        // libvirt does not create (nor check) the host bridge of such a
        // network: guests on it fail to start until the admin builds it
        if let Some(br) = &n.facts.bridge {
            if host::is_bridge(br) {
                r.ok("bridge-up", format!("bridge {br}"), format!("host bridge of network {name} exists"));
            } else {
                r.add("bridge-up", format!("bridge {br}"), Status::Fail, format!("host bridge {br} of network {name} does not exist: its guests cannot start"), Some(format!("build it (knet bridge-config --uplink NIC --bridge {br} ...)")));
            }
        }
        return;
    }
    if !managed(&n.facts) {
        return;
    }
    // libvirt writes the bridge name of every managed network into its XML
    // at define time, so the XML is the whole truth here
    let Some(br) = n.facts.bridge.clone() else { return };
    let restart = format!("knet net-restart {q} (the libvirt way: virsh net-destroy {q} && virsh net-start {q}, then reconnect the running guests' NICs)");
    if !host::iface_exists(&br) {
        r.add("bridge-up", format!("bridge {br}"), Status::Fail, format!("bridge {br} of network {name} does not exist"), Some(restart.clone()));
    } else if !host::is_up(&br) {
        r.add("bridge-up", format!("bridge {br}"), Status::Fail, format!("bridge {br} of network {name} is down"), Some(format!("ip link set {br} up")));
    } else {
        r.ok("bridge-up", format!("bridge {br}"), "exists and is up");
    }
    // libvirt runs dnsmasq for a network with an address unless it has
    // neither DNS nor DHCP to serve (bridge_driver.c, networkStartDhcpDaemon)
    let dhcp = n.facts.ipv4.iter().any(|ip| !ip.ranges.is_empty() || !ip.hosts.is_empty());
    if !n.facts.ipv4.is_empty() && (n.facts.dns_enabled || dhcp) {
        dnsmasq_check(r, n, &restart);
    }
    if n.facts.forward.as_deref() == Some("nat") {
        masquerade_check(r, n, &restart);
    }
    if matches!(n.facts.forward.as_deref(), Some("nat" | "route")) {
        forward_check(r, n, &br, &restart);
    }
    foreign_port_check(r, n, &br, doms);
}

/// libvirt runs one dnsmasq per network with an IP, started with its own
/// conf file (src/network/bridge_driver.c, networkBuildDhcpDaemonCommandLine).
/// Only a dnsmasq in this network namespace counts: another host (or test
/// sandbox) on the same kernel may run one with the same conf path.
fn dnsmasq_check(r: &mut Report, n: &Net, restart: &str) {
    let conf = format!("--conf-file=/var/lib/libvirt/dnsmasq/{}.conf", n.info.name);
    let me = host::netns_of(std::process::id());
    // a process whose namespace cannot be read (hidepid, ptrace rules) is
    // given the benefit of the doubt rather than reported missing
    let found = host::processes()
        .into_iter()
        .find(|(pid, argv)| argv[0].ends_with("dnsmasq") && argv.contains(&conf) && host::netns_of(*pid).map_or(true, |ns| Some(ns) == me));
    let subj = format!("network {}", n.info.name);
    match found {
        Some((pid, _)) => r.ok("dnsmasq", subj, format!("dnsmasq runs (pid {pid})")),
        None => r.add(
            "dnsmasq",
            subj,
            Status::Fail,
            "no dnsmasq runs for it: guests get no DHCP lease or DNS",
            Some(format!("{restart}; if it dies again, see libvirtd's log: another DNS/DHCP server bound to port 53/67 on the bridge address is the usual cause")),
        ),
    }
}

fn masquerade_check(r: &mut Report, n: &Net, restart: &str) {
    let subj = format!("network {}", n.info.name);
    let ipt = host::output_of("iptables", &["-w", "-t", "nat", "-S"]);
    let nft = host::output_of("nft", &["list", "ruleset"]);
    if ipt.is_none() && nft.is_none() {
        r.add("nat-masquerade", subj, Status::Skip, "neither iptables nor nft could list the NAT rules (run as root)", None);
        return;
    }
    for ip in &n.facts.ipv4 {
        let s = ip.subnet().to_string();
        let in_ipt = ipt.as_deref().is_some_and(|t| t.lines().any(|l| l.contains(&format!("-s {s} ")) && l.contains("MASQUERADE")));
        let in_nft = nft.as_deref().is_some_and(|t| t.lines().any(|l| l.contains(&format!("ip saddr {s}")) && l.contains("masquerade")));
        if in_ipt || in_nft {
            r.ok("nat-masquerade", &subj, format!("MASQUERADE rule for {s} present"));
        } else {
            r.add(
                "nat-masquerade",
                &subj,
                Status::Fail,
                format!("no MASQUERADE rule for {s}: guests cannot reach beyond the host"),
                Some(format!("{restart}; a firewall reload (firewalld, ufw, iptables-restore) flushes libvirt's rules, so restart the network after it")),
            );
        }
    }
}

/// The filter rules libvirt adds so a NAT or routed network's traffic may be
/// forwarded (src/network/network_iptables.c): for each IPv4 subnet S on
/// bridge BR, `LIBVIRT_FWO -s S -i BR -j ACCEPT` (out of the guests) and
/// `LIBVIRT_FWI -d S -o BR ... -j ACCEPT` (back in), with FORWARD jumping to
/// both chains; libvirt's own nftables backend (libvirt >= 10.4) keeps them
/// in table `ip libvirt_network` (chains guest_output, guest_input). A
/// firewall reload (firewalld, ufw, iptables-restore, `nft flush ruleset`)
/// removes them; under a FORWARD DROP policy (Docker sets one) the guests
/// are then cut off, and any other nftables forward hook with a drop policy
/// drops them whatever libvirt accepts.
fn forward_check(r: &mut Report, n: &Net, br: &str, restart: &str) {
    let subj = format!("network {}", n.info.name);
    let ipt = host::output_of("iptables", &["-w", "-S"]);
    let nft = host::output_of("nft", &["list", "ruleset"]);
    if ipt.is_none() && nft.is_none() {
        r.add("forward-rules", subj, Status::Skip, "neither iptables nor nft could list the filter rules (run as root)", None);
        return;
    }
    let fw = Firewall::read(ipt.as_deref(), nft.as_deref());
    for ip in &n.facts.ipv4 {
        let s = ip.subnet().to_string();
        // libvirt creates its LIBVIRT_* chains only when the daemon starts
        // (and then re-adds every active network's rules); a network start
        // fails while they are missing
        let fix = Some(if fw.ipt_chains_missing() {
            "restart libvirt's daemon (systemctl restart libvirtd, or virtnetworkd): it recreates its LIBVIRT_* chains and the rules of every active network, which a firewall reload deleted".to_string()
        } else {
            format!("{restart}; it re-adds libvirt's rules, which a firewall reload (firewalld, ufw, iptables-restore) flushes")
        });
        if !fw.libvirt_accepts(br, &s) {
            let (status, why) = if fw.ipt_forward_drop {
                (Status::Fail, "and the FORWARD policy is DROP: guests cannot reach beyond the host".to_string())
            } else {
                (Status::Warn, "(LIBVIRT_FWI/FWO flushed or missing); traffic flows only because the FORWARD policy is ACCEPT, without libvirt's isolation".to_string())
            };
            r.add("forward-rules", &subj, status, format!("libvirt's FORWARD accept rules for {s} on {br} are gone {why}"), fix);
            continue;
        }
        if let Some(chain) = fw.nft_drops.iter().find(|c| !c.body.contains(&format!("\"{br}\""))) {
            r.add(
                "forward-rules",
                &subj,
                Status::Fail,
                format!("nftables chain {} drops forwarded packets by policy and accepts nothing for {br}: guests cannot reach beyond the host, whatever libvirt's rules accept", chain.name),
                Some(format!("accept {br}'s traffic in that chain (iifname \"{br}\" accept; oifname \"{br}\" ct state established,related accept), or change its policy")),
            );
            continue;
        }
        r.ok("forward-rules", &subj, format!("libvirt's FORWARD accept rules for {s} on {br} present"));
    }
}

/// A base chain of nftables hooked on forward with a drop policy, outside
/// the tables libvirt's rules live in.
struct NftChain {
    name: String,
    body: String,
}

/// The parts of the host firewall forward_check needs.
struct Firewall {
    /// `iptables -S` (filter table) text, when iptables could list it.
    ipt: Option<String>,
    /// libvirt's own nftables table, when there is one.
    nft_libvirt: Option<String>,
    ipt_forward_drop: bool,
    nft_drops: Vec<NftChain>,
}

impl Firewall {
    fn read(ipt: Option<&str>, nft: Option<&str>) -> Firewall {
        let ipt_forward_drop = ipt.is_some_and(|t| t.lines().any(|l| l.trim() == "-P FORWARD DROP"));
        let mut nft_libvirt = None;
        let mut nft_drops = Vec::new();
        for (table, body) in nft.map(nft_tables).unwrap_or_default() {
            if table == "ip libvirt_network" {
                nft_libvirt = Some(body);
                continue;
            }
            // iptables-nft's own tables are judged through iptables -S
            if ipt.is_some() && matches!(table.as_str(), "ip filter" | "ip6 filter") {
                continue;
            }
            for (chain, cbody) in nft_blocks(&body, "chain ") {
                if cbody.contains("hook forward") && cbody.contains("policy drop;") {
                    nft_drops.push(NftChain { name: format!("{chain} of table {table}"), body: cbody });
                }
            }
        }
        Firewall { ipt: ipt.map(str::to_string), nft_libvirt, ipt_forward_drop, nft_drops }
    }

    /// iptables is libvirt's backend here and its chains are gone.
    fn ipt_chains_missing(&self) -> bool {
        self.nft_libvirt.is_none() && self.ipt.as_deref().is_some_and(|t| ["LIBVIRT_FWI", "LIBVIRT_FWO", "LIBVIRT_FWX"].iter().any(|c| !t.lines().any(|l| l.trim() == format!("-N {c}"))))
    }

    fn libvirt_accepts(&self, br: &str, subnet: &str) -> bool {
        let ipt = self.ipt.as_deref().is_some_and(|t| {
            let jumps = |c: &str| t.lines().any(|l| l.trim() == format!("-A FORWARD -j {c}"));
            let rule = |chain: &str, addr: &str, dir: &str| {
                t.lines().any(|l| {
                    let w: Vec<&str> = l.split_whitespace().collect();
                    let has = |k: &str, v: &str| w.windows(2).any(|p| p[0] == k && p[1] == v);
                    w.get(1) == Some(&chain) && has(addr, subnet) && has(dir, br) && has("-j", "ACCEPT")
                })
            };
            jumps("LIBVIRT_FWO") && jumps("LIBVIRT_FWI") && rule("LIBVIRT_FWO", "-s", "-i") && rule("LIBVIRT_FWI", "-d", "-o")
        });
        let nft = self.nft_libvirt.as_deref().is_some_and(|t| {
            let chains = nft_blocks(t, "chain ");
            let rule = |chain: &str, addr: &str| {
                chains.iter().any(|(c, body)| {
                    c == chain && body.lines().any(|l| l.contains(&format!("\"{br}\"")) && l.contains(&format!("{addr} {subnet}")) && l.contains("accept"))
                })
            };
            rule("guest_output", "ip saddr") && rule("guest_input", "ip daddr")
        });
        ipt || nft
    }
}

/// `nft list ruleset` split into its tables: ("FAMILY NAME", body).
fn nft_tables(text: &str) -> Vec<(String, String)> {
    nft_blocks(text, "table ")
}

/// The `KEYWORD NAME { ... }` blocks at the top level of `text`.
fn nft_blocks(text: &str, keyword: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let t = line.trim();
        if depth == 0 {
            if let Some(head) = t.strip_prefix(keyword).and_then(|h| h.strip_suffix('{')) {
                current = Some((head.trim().to_string(), String::new()));
                depth = 1;
            }
            continue;
        }
        depth += t.matches('{').count();
        depth = depth.saturating_sub(t.matches('}').count());
        if depth == 0 {
            out.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Ports of a libvirt-managed bridge should be guest taps only (or veths of
/// LXC guests, which the live XML names as their target).
fn foreign_port_check(r: &mut Report, n: &Net, br: &str, doms: &[Dom]) {
    let targets: BTreeSet<&str> = doms.iter().flat_map(|d| d.live.iter().filter_map(|i| i.target.as_deref())).collect();
    let mut clean = true;
    for port in host::bridge_ports(br) {
        if host::is_tap(&port) || targets.contains(port.as_str()) {
            continue;
        }
        clean = false;
        let kind = n.facts.forward.as_deref().map_or("isolated", |m| if m == "route" { "routed" } else { m }).to_uppercase();
        r.add(
            "foreign-port",
            format!("bridge {br}"),
            Status::Fail,
            format!("{port} is enslaved to {br}, the bridge of {kind} network {}: libvirt manages that bridge, its DHCP and firewall rules then leak onto {port}'s LAN", n.info.name),
            Some(format!("ip link set {port} nomaster; to put guests on {port}'s LAN, build a separate bridge (knet bridge-config --uplink {port} --bridge br0 ...)")),
        );
    }
    if clean {
        r.ok("foreign-port", format!("bridge {br}"), "only guest NICs are ports");
    }
}

fn host_checks(r: &mut Report, nets: &[&Net]) {
    if nets.iter().any(|n| n.info.active && matches!(n.facts.forward.as_deref(), Some("nat" | "route"))) {
        match host::sysctl("net.ipv4.ip_forward").as_deref() {
            Some("1") => r.ok("ip-forward", "host", "net.ipv4.ip_forward = 1"),
            v => r.add(
                "ip-forward",
                "host",
                Status::Fail,
                format!("net.ipv4.ip_forward = {}: NAT and routed guests cannot reach beyond the host", v.unwrap_or("?")),
                Some("sysctl -w net.ipv4.ip_forward=1, and keep it in /etc/sysctl.d/ (a later sysctl --system may reset it)".into()),
            ),
        }
    }
    for k in ["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables"] {
        match host::sysctl(k).as_deref() {
            None => r.ok("bridge-nf-call", "host", format!("{k}: br_netfilter not loaded, bridged frames skip the firewall")),
            Some("0") => r.ok("bridge-nf-call", "host", format!("{k} = 0")),
            Some(v) => r.add(
                "bridge-nf-call",
                "host",
                Status::Warn,
                format!("{k} = {v}: frames of bridged guests go through the host's FORWARD chain; a DROP policy there (Docker sets one) silently cuts them off"),
                Some(format!("sysctl -w {k}=0, persisted in /etc/sysctl.d/ (knet bridge-config prints the lines)")),
            ),
        }
    }
    let mut wifi_ok = true;
    for br in host::interfaces().into_iter().filter(|i| host::is_bridge(i)) {
        for port in host::bridge_ports(&br).into_iter().filter(|p| host::is_wireless(p)) {
            wifi_ok = false;
            r.add(
                "wireless-port",
                format!("bridge {br}"),
                Status::Fail,
                format!("{port} is a wireless NIC in bridge {br}: bridging does not work over Wi-Fi (the access point drops frames from guests' MAC addresses)"),
                Some(format!("ip link set {port} nomaster; give guests a NAT or routed network instead (knet net-new NAME --nat)")),
            );
        }
    }
    if wifi_ok {
        r.ok("wireless-port", "host", "no wireless NIC in a bridge");
    }
}

fn domain_checks(r: &mut Report, d: &Dom, nets: &[Net], local: bool, owners: &BTreeMap<Mac, BTreeSet<String>>) {
    let name = &d.info.name;
    // fixes are commands to paste into a shell: a name is one quoted word
    let q = shell_words::quote(name);
    let subj = format!("domain {name}");
    for nic in &d.config {
        let mac_s = nic.mac.clone().unwrap_or_default();
        let mac: Option<Mac> = nic.mac.as_deref().and_then(|m| m.parse().ok());
        if let Some(m) = mac {
            if m.is_multicast() {
                r.add("multicast-mac", &subj, Status::Fail, format!("{m} is a multicast address (odd first octet): the NIC cannot work"), Some(format!("virt-xml {q} --edit mac.address={m} --network mac.address=$(knet mac-gen)")));
            }
            let users = &owners[&m];
            if users.len() > 1 {
                let others: Vec<&str> = users.iter().map(String::as_str).filter(|u| u != name).collect();
                r.add(
                    "duplicate-mac",
                    &subj,
                    Status::Fail,
                    format!("{m} is also used by {}: both guests cannot be on one LAN", if others.is_empty() { "another NIC of this guest".to_string() } else { others.join(", ") }),
                    Some(format!("virt-xml {q} --edit mac.address={m} --network mac.address=$(knet mac-gen)")),
                );
            }
        }
        match nic.model.as_deref() {
            Some("virtio") => {}
            m => r.add(
                "nic-model",
                &subj,
                Status::Warn,
                format!("NIC {mac_s} uses {}: emulated NICs are much slower than virtio", m.map_or("the hypervisor's default model (rtl8139 on x86 QEMU)".to_string(), |m| format!("model {m}"))),
                Some(format!("virt-xml {q} --edit mac.address={mac_s} --network model.type=virtio (the guest needs virtio-net drivers)")),
            ),
        }
        if let (true, "bridge", Some(br)) = (local, nic.kind.as_str(), nic.bridge.as_deref()) {
            if !host::is_bridge(br) {
                r.add(
                    "nic-bridge",
                    &subj,
                    Status::Fail,
                    format!("NIC {mac_s} uses host bridge {br}, which {}: the guest cannot start", if host::iface_exists(br) { "is not a bridge" } else { "does not exist" }),
                    Some(format!("create it (knet bridge-config --uplink NIC --bridge {br} ...) or point the NIC at another bridge or network")),
                );
            }
        }
        if let Some(net) = nic.network.as_deref() {
            match nets.iter().find(|n| n.info.name == net) {
                None => r.add("nic-network", &subj, Status::Fail, format!("NIC {mac_s} uses network {net}, which does not exist: the guest cannot start"), Some(format!("define it (knet net-new {net} --nat) or point the NIC at another network"))),
                Some(n) if !n.info.active => r.add("nic-network", &subj, Status::Fail, format!("NIC {mac_s} uses network {net}, which is inactive: the guest cannot start"), Some(format!("knet net-start {}", shell_words::quote(net)))),
                Some(_) => {}
            }
        }
    }
    if local {
        for nic in &d.live {
            let (Some(tap), Some(br)) = (nic.target.as_deref(), nic.bridge.as_deref()) else { continue };
            let mac = nic.mac.as_deref().unwrap_or("?");
            match host::master_of(tap) {
                Some(m) if m == br => r.ok("tap-bridge", &subj, format!("{tap} ({mac}) is on {br}")),
                m => r.add(
                    "tap-bridge",
                    &subj,
                    Status::Fail,
                    format!("{tap} ({mac}) is {} but the guest's XML names bridge {br}: the guest is cut off from it", m.map_or(if host::iface_exists(tap) { "on no bridge".to_string() } else { "missing".to_string() }, |m| format!("on {m}"))),
                    // through libvirt, so it works over any URI and libvirt's records follow
                    Some(match nic.network.as_deref() {
                        Some(net) => format!("knet net-reconnect {net}"),
                        None => format!("ip link set {tap} master {br} (or restart the guest)"),
                    }),
                ),
            }
        }
    }
}

/// Every check for this connection: its URI, whether it is this machine,
/// the findings.
fn diagnose(args: &Args, ctx: &Ctx) -> Result<(String, bool, Report)> {
    let conn = ctx.conn()?;
    let uri = conn.uri()?;
    let local = host::is_local_uri(&uri);
    let (nets, doms) = load(conn)?;

    // the scope: everything, or one network and its guests, or one guest and its networks
    let (net_scope, dom_scope): (Vec<&Net>, Vec<&Dom>) = match &args.target {
        None => (nets.iter().collect(), doms.iter().collect()),
        Some(t) => {
            let on_net = |d: &Dom, n: &str| d.config.iter().chain(&d.live).any(|i| i.network.as_deref() == Some(n));
            if let Some(n) = nets.iter().find(|n| &n.info.name == t || &n.info.uuid == t) {
                (vec![n], doms.iter().filter(|d| on_net(d, &n.info.name)).collect())
            } else if let Some(d) = doms.iter().find(|d| &d.info.name == t || &d.info.uuid == t) {
                let used: BTreeSet<&str> = d.config.iter().chain(&d.live).filter_map(|i| i.network.as_deref()).collect();
                (nets.iter().filter(|n| used.contains(n.info.name.as_str())).collect(), vec![d])
            } else {
                return Err(anyhow::anyhow!("no network or domain named '{t}' on {uri}"));
            }
        }
    };

    // duplicates are judged across all guests, whatever the scope
    let mut owners: BTreeMap<Mac, BTreeSet<String>> = BTreeMap::new();
    let mut twice: BTreeSet<(String, Mac)> = BTreeSet::new();
    for d in &doms {
        let mut seen = BTreeSet::new();
        for m in d.config.iter().filter_map(|i| i.mac.as_deref()?.parse::<Mac>().ok()) {
            if !seen.insert(m) {
                twice.insert((d.info.name.clone(), m));
            }
            owners.entry(m).or_default().insert(d.info.name.clone());
        }
    }

    let mut r = Report::default();
    for n in &net_scope {
        network_checks(&mut r, n, local, &doms);
    }
    if local {
        host_checks(&mut r, &net_scope);
    } else {
        r.add("host", "host", Status::Skip, format!("{uri} is not this machine: bridge, dnsmasq, sysctl and firewall checks skipped"), Some("run knet doctor on the hypervisor itself".into()));
    }
    for d in &dom_scope {
        domain_checks(&mut r, d, &nets, local, &owners);
        for (_, m) in twice.iter().filter(|(n, _)| n == &d.info.name) {
            if owners[m].len() == 1 {
                r.add("duplicate-mac", format!("domain {}", d.info.name), Status::Fail, format!("{m} is used by two NICs of this guest"), Some(format!("virt-xml {} --edit mac.address={m} --network mac.address=$(knet mac-gen)", shell_words::quote(&d.info.name))));
            }
        }
        if !r.0.iter().any(|f| f.subject == format!("domain {}", d.info.name) && matches!(f.check, "duplicate-mac" | "multicast-mac")) && !d.config.is_empty() {
            r.ok("mac", format!("domain {}", d.info.name), "MAC addresses unique and unicast");
        }
    }
    Ok((uri, local, r))
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    fleet(&args, ctx)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let (uri, local, r) = diagnose(&args, ctx)?;
    let failed = r.0.iter().any(|f| f.status == Status::Fail);
    if ctx.json() {
        output::print_json(&serde_json::json!({ "uri": uri, "local": local, "checks": r.0 }))?;
    } else {
        let mut out = String::new();
        for f in r.0.iter().filter(|f| !ctx.quiet() || f.status >= Status::Warn) {
            let tag = f.status.tag();
            out.push_str(&format!("{tag} {}: {}\n", f.subject, f.message));
            if let (Some(fix), true) = (&f.fix, f.status != Status::Ok) {
                out.push_str(&format!("       fix: {fix}\n"));
            }
        }
        if !ctx.quiet() {
            let count = |s| r.0.iter().filter(|f| f.status == s).count();
            out.push_str(&format!("\n{} checks: {} ok, {} warnings, {} failed, {} skipped\n", r.0.len(), count(Status::Ok), count(Status::Warn), count(Status::Fail), count(Status::Skip)));
        }
        // names come from libvirt: never a terminal escape
        output::print(&output::escape_text(&out))?;
    }
    if failed {
        return Err(Exit::silent(crate::exit::FAILURE));
    }
    Ok(())
}

impl Status {
    fn tag(self) -> &'static str {
        match self {
            Status::Ok => "[ OK ]",
            Status::Skip => "[SKIP]",
            Status::Warn => "[WARN]",
            Status::Fail => "[FAIL]",
        }
    }
}

/// Several hosts: every host's findings in one table (Host, Verdict,
/// Subject, Finding with its fix), or with --json `[{host, uri, local,
/// checks}]`; exit 1 when any check failed or a host could not be checked.
fn fleet(args: &Args, ctx: &Ctx) -> Result<()> {
    let results = ctx.fan_out(|h| diagnose(args, h))?;
    let shown = |f: &&Finding| !ctx.quiet() || f.status >= Status::Warn;
    let rows = |(_, _, r): &(String, bool, Report)| -> Vec<Vec<String>> {
        r.0.iter()
            .filter(shown)
            .map(|f| {
                let finding = match (&f.fix, f.status != Status::Ok) {
                    (Some(fix), true) => format!("{} (fix: {fix})", f.message),
                    _ => f.message.clone(),
                };
                vec![f.status.tag().to_string(), f.subject.clone(), finding]
            })
            .collect()
    };
    let listed = if ctx.json() {
        crate::fleet::json(&results, |(uri, local, r)| Ok(vec![serde_json::json!({ "uri": uri, "local": local, "checks": r.0 })]))
    } else {
        crate::fleet::table(ctx, &results, &["Verdict", "Subject", "Finding"], rows)
    };
    let failed = results.iter().any(|h| h.result.as_ref().is_ok_and(|(_, _, r)| r.0.iter().any(|f| f.status == Status::Fail)));
    listed?;
    if failed {
        return Err(Exit::silent(crate::exit::FAILURE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libvirt >= 10.4's own nftables backend (table ip libvirt_network),
    /// which no daemon of the test machines (libvirt 9.0) creates; and an
    /// admin's nftables forward chain that drops by policy.
    #[test]
    fn libvirts_nftables_backend_and_foreign_drop_chains() {
        let nft = "table ip libvirt_network {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tcounter packets 0 bytes 0 jump guest_output\n\t}\n\
                   \tchain guest_output {\n\t\tip saddr 192.168.122.0/24 iif \"virbr0\" counter packets 0 bytes 0 accept\n\t\tiif \"virbr0\" counter packets 0 bytes 0 reject\n\t}\n\
                   \tchain guest_input {\n\t\toif \"virbr0\" ip daddr 192.168.122.0/24 ct state established,related counter packets 0 bytes 0 accept\n\t}\n}\n\
                   table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t\tiifname \"docker0\" accept\n\t}\n}\n";
        let fw = Firewall::read(None, Some(nft));
        assert!(fw.libvirt_accepts("virbr0", "192.168.122.0/24"));
        assert!(!fw.libvirt_accepts("virbr1", "192.168.122.0/24"));
        assert!(!fw.libvirt_accepts("virbr0", "192.168.100.0/24"));
        assert!(!fw.ipt_chains_missing());
        assert_eq!(fw.nft_drops.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["forward of table inet filter"]);
        // a flushed libvirt table: nothing accepted
        let flushed = Firewall::read(None, Some("table ip libvirt_network {\n\tchain guest_output {\n\t}\n}\n"));
        assert!(!flushed.libvirt_accepts("virbr0", "192.168.122.0/24"));
    }

    // libvirt >= 1.0 refuses to define a multicast MAC, so no daemon can hold
    // one for an integration test; the check still guards older hosts and
    // hand-copied XML
    #[test]
    fn multicast_mac_fails() {
        let dom = Dom {
            info: DomainInfo { name: "g".into(), uuid: "u".into(), id: None, active: false, persistent: true },
            config: facts::nics("<domain><devices><interface type='network'><mac address='01:00:5e:00:00:01'/><source network='n'/><model type='virtio'/></interface></devices></domain>"),
            live: Vec::new(),
        };
        let m: Mac = "01:00:5e:00:00:01".parse().unwrap();
        let owners = BTreeMap::from([(m, BTreeSet::from(["g".to_string()]))]);
        let mut r = Report::default();
        domain_checks(&mut r, &dom, &[], false, &owners);
        let f = r.0.iter().find(|f| f.check == "multicast-mac").expect("finding");
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("01:00:5e:00:00:01 is a multicast address"));
    }
}
