//! `knet host-dns`: let the host itself resolve a libvirt network's guest
//! names (the guides' "DNS and DHCP guests": `host vm1`, `ssh vm1`), by
//! sending the network's domain to the network's dnsmasq, in the words of
//! the resolver the host uses; `--check` asks that dnsmasq directly.
//!
//! Prints configuration; never changes the host's resolver (the admin
//! applies what it prints). The only traffic it makes is `--check`'s DNS
//! questions, to the network's own address.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde::Serialize;

use super::net_shared;
use crate::context::Ctx;
use crate::dns::{self, Answer};
use crate::exit::{self, Exit};
use crate::host::{self, Resolver};
use crate::output;

/// Resolve a network's guest names from the host
///
/// Prints the host-side configuration that sends lookups of the network's
/// domain (<domain name=.../>) to the network's DNS server (its dnsmasq, on
/// the network's address), for the resolver this host uses:
///
///   systemd-resolved: `resolvectl dns BRIDGE ADDR` and `resolvectl domain
///   BRIDGE '~DOMAIN'`, and a libvirt network hook that runs them again each
///   time the network starts (the settings go with the bridge);
///
///   NetworkManager's dnsmasq plugin: `server=/DOMAIN/ADDR`;
///
///   resolvconf: `nameserver ADDR` first, in resolvconf's head file.
///
/// The resolver is detected on this machine (/etc/resolv.conf, NetworkManager's
/// configuration); for a remote hypervisor, name it with --resolver. A network
/// without a domain gets advice on adding one instead.
///
/// --check asks the network's DNS server directly, for every name the network
/// defines (its DNS host entries, and its DHCP hosts' and leases' host names
/// that have a lease), and reports which resolve: exit 0 only when all do.
/// It needs the hypervisor to be this machine.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet host-dns default\n  knet host-dns lab --check\n  knet host-dns lab --resolver networkmanager")]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// Ask the network's DNS server for every name it should know
    #[arg(long)]
    pub check: bool,
    /// The host's resolver (default: detected on this machine)
    #[arg(long, value_enum)]
    pub resolver: Option<Resolver>,
}

/// What a network offers the host's resolver.
#[derive(Debug, Serialize)]
struct NetDns {
    network: String,
    bridge: String,
    address: IpAddr,
    domain: Option<String>,
    local_only: bool,
}

/// A file to write, as part of the configuration.
#[derive(Debug, Serialize)]
struct File {
    path: String,
    /// `0755` for the hook; `None`: an ordinary configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    /// Where the content goes (`whole file`, `first lines`).
    placement: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
struct Config {
    #[serde(flatten)]
    net: NetDns,
    resolver: Resolver,
    /// Why this resolver (the file that says so), or "given".
    detected_from: String,
    /// Run now (as root).
    commands: Vec<String>,
    files: Vec<File>,
    /// Run after writing the files.
    then: Vec<String>,
    notes: Vec<String>,
}

/// One name `--check` asked for.
#[derive(Debug, Serialize)]
struct Checked {
    name: String,
    query: String,
    /// dns-host, dhcp-host or lease.
    source: &'static str,
    expected: IpAddr,
    answer: Answer,
    resolves: bool,
}

/// `'...'` for sh, unless the word needs no quoting.
fn sh(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:~".contains(c)) && !word.starts_with('~') {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

fn net_dns(name: &str, xml: &str) -> Result<NetDns> {
    let doc = crate::xml::parse(xml).map_err(|e| anyhow::anyhow!("network '{name}': cannot read its XML: {}", e.message))?;
    let root = doc.root_element();
    let f = crate::xml::facts::network(xml);
    if !matches!(f.forward.as_deref(), None | Some("nat" | "route" | "open")) {
        bail!("network '{name}' (forward mode {}) runs no DNS server: libvirt runs dnsmasq only for NAT, routed, open and isolated networks", f.forward.as_deref().unwrap_or("?"));
    }
    if !f.dns_enabled {
        bail!("network '{name}' has <dns enable='no'/>: its dnsmasq answers no DNS questions");
    }
    let bridge = f.bridge.clone().with_context(|| format!("network '{name}' has no bridge name"))?;
    // dnsmasq listens on every address of the network; IPv4 first, as
    // libvirt's guests get it in DHCP
    let v6 = root
        .children()
        .filter(|n| n.has_tag_name("ip"))
        .filter_map(|n| n.attribute("address")?.parse::<IpAddr>().ok())
        .find(IpAddr::is_ipv6);
    let address = f.ipv4.first().map(|i| IpAddr::V4(i.address)).or(v6).with_context(|| format!("network '{name}' has no IP address: no DNS server runs on it"))?;
    let dom = root.children().find(|n| n.has_tag_name("domain"));
    // the domain goes into resolver files and shell lines: a DNS name only
    if let Some(d) = dom.and_then(|d| d.attribute("name")) {
        if !dns_name_ok(d) {
            bail!("network '{name}' has the domain name {d:?}, which is not a DNS name (letters, digits, '-', '_' and dots)");
        }
    }
    Ok(NetDns {
        network: name.to_string(),
        bridge,
        address,
        domain: dom.and_then(|d| d.attribute("name")).map(|s| s.trim_end_matches('.').to_string()).filter(|s| !s.is_empty()),
        local_only: dom.and_then(|d| d.attribute("localOnly")) == Some("yes"),
    })
}

fn dns_name_ok(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    !d.is_empty() && d.len() <= 253 && d.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// The hook that re-applies the resolvectl settings when the network
/// starts: libvirt runs every executable in hooks/network.d with the
/// network's name and the operation (`started`: the bridge exists).
fn hook(n: &NetDns, domain: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # libvirt network hook written by `knet host-dns {net}`: send lookups of\n\
         # {domain} to network {net}'s DNS server each time the network starts\n\
         # (systemd-resolved forgets a link's settings when the bridge goes away).\n\
         #   $1 network name, $2 operation\n\
         PATH=$PATH:/usr/bin:/bin\n\
         [ \"$1\" = {qnet} ] && [ \"$2\" = started ] || exit 0\n\
         resolvectl dns {br} {addr}\n\
         resolvectl domain {br} {dom}\n\
         exit 0\n",
        net = n.network.escape_debug(),
        qnet = sh(&n.network),
        br = sh(&n.bridge),
        addr = n.address,
        dom = sh(&format!("~{domain}")),
    )
}

/// A file name from a network name: libvirt allows nearly any character.
fn file_part(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect()
}

fn config(n: NetDns, resolver: Resolver, detected_from: String) -> Config {
    let domain = n.domain.clone().unwrap_or_default();
    let (commands, files, then) = match resolver {
        Resolver::SystemdResolved => (
            vec![format!("resolvectl dns {} {}", sh(&n.bridge), n.address), format!("resolvectl domain {} {}", sh(&n.bridge), sh(&format!("~{domain}")))],
            vec![File { path: format!("/etc/libvirt/hooks/network.d/knet-dns-{}", file_part(&n.network)), mode: Some("0755".into()), placement: "whole file", content: hook(&n, &domain) }],
            // libvirt looks for hook scripts when it starts
            vec!["systemctl reload libvirtd   # or virtnetworkd, with modular daemons".to_string()],
        ),
        Resolver::NetworkManager => (
            Vec::new(),
            vec![File { path: format!("/etc/NetworkManager/dnsmasq.d/knet-{}.conf", file_part(&n.network)), mode: None, placement: "whole file", content: format!("server=/{domain}/{}\n", n.address) }],
            vec!["systemctl reload NetworkManager".to_string()],
        ),
        Resolver::Resolvconf => (
            Vec::new(),
            vec![File { path: "/etc/resolvconf/resolv.conf.d/head".into(), mode: None, placement: "first lines", content: format!("nameserver {}\nsearch {domain}\n", n.address) }],
            vec!["resolvconf -u".to_string()],
        ),
    };
    let mut notes = Vec::new();
    if !n.local_only {
        notes.push(format!("{domain} is not localOnly: names dnsmasq does not know are forwarded to the host's resolver, which sends them back (add localOnly='yes' to <domain>)"));
    }
    if resolver == Resolver::Resolvconf {
        notes.push(format!("the network's server then answers every lookup of this host, and only while network {} runs", n.network));
    }
    Config { net: n, resolver, detected_from, commands, files, then, notes }
}

fn render(c: &Config) -> String {
    let n = &c.net;
    let mut s = format!(
        "Network {}: DNS server {} on {}, domain {}\nHost resolver: {} ({})\n",
        n.network,
        n.address,
        n.bridge,
        n.domain.as_deref().unwrap_or("-"),
        match c.resolver {
            Resolver::SystemdResolved => "systemd-resolved",
            Resolver::NetworkManager => "NetworkManager's dnsmasq",
            Resolver::Resolvconf => "resolvconf",
        },
        c.detected_from
    );
    if !c.commands.is_empty() {
        s.push_str(&format!("\nSend lookups of {} to the network now (until it stops):\n", n.domain.as_deref().unwrap_or("")));
        for cmd in &c.commands {
            s.push_str(&format!("  {cmd}\n"));
        }
    }
    for f in &c.files {
        let what = match (c.resolver, f.placement) {
            (Resolver::SystemdResolved, _) => "\nAnd each time the network starts: save as".to_string(),
            (_, "first lines") => "\nPut these lines first in".to_string(),
            _ => "\nWrite".to_string(),
        };
        let mode = f.mode.as_deref().map_or(String::new(), |m| format!(" (chmod {m})"));
        s.push_str(&format!("{what} {}{mode}:\n", f.path));
        s.push_str(&f.content);
    }
    if !c.then.is_empty() {
        s.push_str("\nThen:\n");
        for t in &c.then {
            s.push_str(&format!("  {t}\n"));
        }
    }
    for note in &c.notes {
        s.push_str(&format!("\nnote: {note}\n"));
    }
    s
}

/// Every name the network defines that its dnsmasq should answer for.
fn names(ctx: &Ctx, name: &str, xml: &str) -> Result<Vec<(String, &'static str, IpAddr)>> {
    let doc = crate::xml::parse(xml).map_err(|e| anyhow::anyhow!("network '{name}': cannot read its XML: {}", e.message))?;
    let mut out: Vec<(String, &'static str, IpAddr)> = Vec::new();
    let mut add = |n: &str, src, ip| {
        if !n.is_empty() && !out.iter().any(|(x, _, _)| x == n) {
            out.push((n.to_string(), src, ip));
        }
    };
    for h in doc.descendants().filter(|n| n.has_tag_name("host") && n.parent().is_some_and(|p| p.has_tag_name("dns"))) {
        let Some(ip) = h.attribute("ip").and_then(|i| i.parse::<IpAddr>().ok()) else { continue };
        for hn in h.children().filter(|c| c.has_tag_name("hostname")) {
            add(hn.text().unwrap_or("").trim(), "dns-host", ip);
        }
    }
    let leases = ctx.conn()?.network_dhcp_leases(name, None).with_context(|| format!("failed to get the DHCP leases of network '{name}'"))?;
    let f = crate::xml::facts::network(xml);
    for h in f.ipv4.iter().flat_map(|i| &i.hosts) {
        let (Some(hn), Some(mac)) = (&h.name, &h.mac) else { continue };
        if let Some(l) = leases.iter().find(|l| l.mac.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(mac))) {
            if let Ok(ip) = l.ip.parse() {
                add(hn, "dhcp-host", ip);
            }
        }
    }
    for l in &leases {
        if let (Some(hn), Ok(ip)) = (&l.hostname, l.ip.parse()) {
            add(hn, "lease", ip);
        }
    }
    Ok(out)
}

fn check(ctx: &Ctx, n: &NetDns, xml: &str) -> Result<()> {
    let todo = names(ctx, &n.network, xml)?;
    let results: Vec<Checked> = todo
        .into_iter()
        .map(|(name, source, expected)| {
            // the host asks with its search domain appended: ask the same
            let query = match &n.domain {
                Some(d) if !name.contains('.') => format!("{name}.{d}"),
                _ => name.clone(),
            };
            let answer = dns::query(n.address, &query, expected, Duration::from_secs(2));
            let resolves = matches!(&answer, Answer::Addresses(a) if a.contains(&expected));
            Checked { name, query, source, expected, answer, resolves }
        })
        .collect();
    let all = results.iter().all(|c| c.resolves);
    if ctx.json() {
        output::print_json(&serde_json::json!({"network": n.network, "server": n.address, "names": results, "all_resolve": all}))?;
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|c| {
                let (answer, result) = match &c.answer {
                    Answer::Addresses(a) if a.is_empty() => ("-".to_string(), "no address".to_string()),
                    Answer::Addresses(a) => (a.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(","), if c.resolves { "ok".into() } else { "wrong address".into() }),
                    Answer::NoSuchName => ("-".into(), "unknown name (NXDOMAIN)".into()),
                    Answer::Error(rc) => ("-".into(), format!("DNS error {rc}")),
                    Answer::NoReply(why) => ("-".into(), why.clone()),
                };
                vec![c.name.clone(), c.query.clone(), c.expected.to_string(), answer, result]
            })
            .collect();
        let mut s = output::table(&["Name", "Query", "Expected", "Answer", "Result"], &rows, ctx.quiet());
        if !ctx.quiet() {
            let bad = results.iter().filter(|c| !c.resolves).count();
            s.push_str(&if results.is_empty() {
                format!("network {} defines no names (no DNS hosts, no DHCP host with a lease)\n", n.network)
            } else if bad == 0 {
                format!("all {} names resolve at {}\n", results.len(), n.address)
            } else {
                format!("{bad} of {} names do not resolve at {}\n", results.len(), n.address)
            });
        }
        output::print(&s)?;
    }
    if all {
        Ok(())
    } else {
        Err(Exit::silent(exit::FAILURE))
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    let conn = ctx.conn()?;
    let local = host::is_local_uri(&conn.uri()?);
    let active = conn.network_is_active(&name)?;
    // the running network's XML is what its dnsmasq was started with
    let xml = conn.network_xml(&name, !active).with_context(|| format!("failed to get network '{name}'"))?;
    let n = net_dns(&name, &xml)?;
    if args.check {
        if !local {
            bail!("--check asks network '{name}'s DNS server at {} directly: run it on the hypervisor", n.address);
        }
        if !active {
            bail!("network '{name}' is not active: its DNS server is not running");
        }
        return check(ctx, &n, &xml);
    }
    if n.domain.is_none() {
        bail!(
            "network '{name}' has no <domain name=.../>: the host has no domain to send to its DNS server.\n\
             Add one, e.g. <domain name='{}.lan' localOnly='yes'/> after <bridge/>, with:\n  knet net-edit {} --apply\n\
             (localOnly='yes': dnsmasq answers for the domain itself and never forwards it)",
            file_part(&name),
            sh(&name)
        );
    }
    let (resolver, from) = match args.resolver {
        Some(r) => (r, "given".to_string()),
        None if local => host::resolver(),
        None => return Err(Exit::usage(format!("{} is not this machine: its resolver cannot be seen from here; name it with --resolver", conn.uri()?))),
    };
    let c = config(n, resolver, from);
    if ctx.json() {
        return output::print_json(&c);
    }
    output::print(&render(&c)).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dns_names_reach_resolver_files() {
        assert!(dns_name_ok("lab.lan") && dns_name_ok("lab.lan.") && dns_name_ok("a_b-c"));
        for bad in ["", "a..b", "lab.lan\nserver=/x/1.2.3.4", "a b", "a/b", &"x".repeat(64)] {
            assert!(!dns_name_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn sh_quotes_what_sh_would_expand() {
        assert_eq!(sh("virbr0"), "virbr0");
        assert_eq!(sh("~lab.lan"), "'~lab.lan'");
        assert_eq!(sh("a'b$(x)"), "'a'\\''b$(x)'");
    }

    /// A hostile network name is data to the hook: sh runs it for that
    /// network and another, and nothing in the name runs.
    #[test]
    fn the_hook_never_executes_a_network_name() {
        let dir = tempfile::tempdir().unwrap();
        let evil = "n';touch pwned;'$(touch pwned2)`touch pwned3`";
        let n = NetDns { network: evil.into(), bridge: "virbr9".into(), address: "10.9.0.1".parse().unwrap(), domain: Some("lab.lan".into()), local_only: true };
        let hook_file = dir.path().join("hook");
        std::fs::write(&hook_file, hook(&n, "lab.lan")).unwrap();
        // resolvectl: a stand-in that records its arguments
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("resolvectl"), "#!/bin/sh\necho \"$@\" >> \"$LOG\"\n").unwrap();
        std::fs::set_permissions(bin.join("resolvectl"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let log = dir.path().join("log");
        for (net, op) in [(evil, "started"), ("other", "started"), (evil, "stopped")] {
            let st = std::process::Command::new("/bin/sh")
                .arg(&hook_file)
                .args([net, op, "begin", "-"])
                .current_dir(dir.path())
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .env("LOG", &log)
                .output()
                .unwrap();
            assert!(st.status.success(), "{st:?}");
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "dns virbr9 10.9.0.1\ndomain virbr9 ~lab.lan\n", "applied once, for its own network's start");
        let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["bin", "hook", "log"], "the hook executed part of a network name");
    }
}
