//! `knet port-forward`: reach a service of a NAT guest from outside the host,
//! the libvirt wiki's "Forwarding Incoming Connections" recipe: a qemu hook
//! that adds DNAT and FORWARD rules when the guest starts (or libvirtd
//! reconnects to it) and removes them when it stops.
//!
//! The hook is knet's own file in libvirt's hooks.d-style directory
//! (`qemu.d/`, libvirt >= 6.5), so an admin's existing `qemu` hook is never
//! rewritten; both run. knet edits only the rule table inside its file.
//! Never runs iptables itself: rules change when libvirt runs the hook, or
//! when knet runs the installed hook as libvirt would ([`reapply`], after
//! `net-restart` or `net-reconnect` put a guest back on its network).

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::context::Ctx;
use crate::guest;
use crate::host;
use crate::ipnet;
use crate::libvirt::{update_flags, update_section, Conn, UpdateCommand};
use crate::output;
use crate::xml::facts::{self, NetIp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Forward a host port to a NAT guest, through a libvirt qemu hook
///
/// Installs (or updates) the hook script HOOKS_DIR/qemu.d/knet-port-forward,
/// which libvirt runs on every guest start, stop and daemon reconnect. For
/// DOM it inserts, while DOM runs:
///
///   iptables -t nat -I PREROUTING -m addrtype --dst-type LOCAL \
///       -p PROTO --dport HP -j DNAT --to-destination GUEST_IP:GP
///   iptables -I FORWARD -d GUEST_IP/32 -o BRIDGE -p PROTO --dport GP -j ACCEPT
///
/// and deletes them when DOM stops. Only connections to the host's own
/// addresses are forwarded: a guest's connection to port HP of another
/// machine goes where it was sent. An existing HOOKS_DIR/qemu script is left
/// as it is: libvirt runs it and the qemu.d scripts alike.
///
/// The guest's address must not change, so its NIC on the NAT network needs a
/// static DHCP lease: knet uses the one the network has, or adds one (a free
/// address of the subnet, outside the DHCP range when possible) with the
/// equivalent of `virsh net-update NET add-last ip-dhcp-host --live --config`.
/// The guest picks it up at its next DHCP renewal.
///
/// libvirt looks for hook scripts when it starts or reloads: after the first
/// forward is installed, reload libvirtd (or virtqemud) once, e.g.
/// `systemctl reload libvirtd`. Rules apply at the guest's next start.
/// Connections from the host itself are not forwarded (they do not pass
/// PREROUTING): reach the guest's address directly.
///
/// --public-ip IP gives the guest an external address of its own (the
/// guides' "IP aliases"): everything sent to IP goes to the guest, and the
/// guest's outgoing traffic leaves from IP instead of the host's address:
///
///   iptables -t nat -I PREROUTING -d IP/32 -j DNAT --to-destination GUEST_IP
///   iptables -t nat -I OUTPUT -d IP/32 -j DNAT --to-destination GUEST_IP
///   iptables -t nat -I POSTROUTING -s GUEST_IP/32 ! -d SUBNET -j SNAT --to-source IP
///   iptables -I FORWARD -d GUEST_IP/32 -o BRIDGE -j ACCEPT
///
/// IP must reach this host: an address of its uplink (ip addr add IP/32 dev
/// UPLINK) or routed to it by the LAN's router. One public IP per guest.
///
/// The hook lives on the hypervisor: for a remote connection, use --print and
/// install the script there.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
#[command(after_long_help = "Examples:\n  knet port-forward web1 --host-port 8080 --guest-port 80\n  knet port-forward dns1 --host-port 5353 --guest-port 53 --proto udp --print\n  knet port-forward web1 --host-port 8080 --remove\n  knet port-forward mail1 --public-ip 203.0.113.25")]
pub struct Args {
    /// The guest (name or UUID)
    #[arg(value_name = "DOM", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domain: String,
    /// Port on the host that is forwarded
    #[arg(long, value_name = "HP", value_parser = clap::value_parser!(u16).range(1..), required_unless_present = "public_ip")]
    pub host_port: Option<u16>,
    /// Forward all traffic for this address to the guest, and send the guest's traffic from it
    #[arg(long, value_name = "IP", conflicts_with_all = ["host_port", "guest_port", "proto"])]
    pub public_ip: Option<Ipv4Addr>,
    /// Port on the guest (default: the host port)
    #[arg(long, value_name = "GP", value_parser = clap::value_parser!(u16).range(1..), conflicts_with = "remove")]
    pub guest_port: Option<u16>,
    /// Protocol
    #[arg(long, value_enum, default_value_t = Proto::Tcp)]
    pub proto: Proto,
    /// Remove the forward instead of adding it
    #[arg(long)]
    pub remove: bool,
    /// Print the resulting hook script; install nothing, change nothing
    #[arg(long)]
    pub print: bool,
    /// libvirt's hooks directory
    #[arg(long, value_name = "DIR", default_value = "/etc/libvirt/hooks", value_hint = clap::ValueHint::DirPath)]
    pub hooks_dir: PathBuf,
}

/// One forward, as stored in the hook's rule table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    domain: String,
    proto: String,
    host_port: u16,
    guest_ip: Ipv4Addr,
    guest_port: u16,
    bridge: String,
}

impl Rule {
    fn line(&self) -> String {
        format!("{} {} {} {} {} {}", self.domain, self.proto, self.host_port, self.guest_ip, self.guest_port, self.bridge)
    }
    fn parse(l: &str) -> Option<Rule> {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 6 || f[0].starts_with('#') {
            return None;
        }
        Some(Rule { domain: f[0].into(), proto: f[1].into(), host_port: f[2].parse().ok()?, guest_ip: f[3].parse().ok()?, guest_port: f[4].parse().ok()?, bridge: f[5].into() })
    }
    /// The iptables commands the hook runs, with `action` `-I` or `-D`.
    fn iptables(&self, action: &str) -> [String; 2] {
        [
            format!("iptables -w -t nat {action} PREROUTING {LOCAL_DST} -p {p} --dport {} -j DNAT --to-destination {}:{}", self.host_port, self.guest_ip, self.guest_port, p = self.proto),
            format!("iptables -w {action} FORWARD -d {}/32 -o {} -p {p} --dport {} -j ACCEPT", self.guest_ip, self.bridge, self.guest_port, p = self.proto),
        ]
    }
}

/// The DNAT's destination match: only packets addressed to this host. Without
/// it, every packet to port HP crossing PREROUTING is redirected, a NAT
/// guest's own connection to that port on any outside machine included.
const LOCAL_DST: &str = "-m addrtype --dst-type LOCAL";

/// A guest's own public address, stored in the same table as
/// `DOMAIN ip PUBLIC_IP GUEST_IP SUBNET BRIDGE` (a port rule's parser skips
/// it: its third field is no port).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicRule {
    domain: String,
    public_ip: Ipv4Addr,
    guest_ip: Ipv4Addr,
    /// The guest's network: its traffic inside it keeps its own address.
    subnet: crate::ipnet::Subnet,
    bridge: String,
}

impl PublicRule {
    fn line(&self) -> String {
        format!("{} ip {} {} {} {}", self.domain, self.public_ip, self.guest_ip, self.subnet, self.bridge)
    }
    fn parse(l: &str) -> Option<PublicRule> {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 6 || f[0].starts_with('#') || f[1] != "ip" {
            return None;
        }
        Some(PublicRule { domain: f[0].into(), public_ip: f[2].parse().ok()?, guest_ip: f[3].parse().ok()?, subnet: f[4].parse().ok()?, bridge: f[5].into() })
    }
    /// The iptables commands the hook runs, with `action` `-I` or `-D`.
    fn iptables(&self, action: &str) -> [String; 4] {
        let (p, g) = (self.public_ip, self.guest_ip);
        [
            format!("iptables -w -t nat {action} PREROUTING -d {p}/32 -j DNAT --to-destination {g}"),
            format!("iptables -w -t nat {action} OUTPUT -d {p}/32 -j DNAT --to-destination {g}"),
            format!("iptables -w -t nat {action} POSTROUTING -s {g}/32 ! -d {} -j SNAT --to-source {p}", self.subnet),
            format!("iptables -w {action} FORWARD -d {g}/32 -o {} -j ACCEPT", self.bridge),
        ]
    }
}

fn read_public(text: &str) -> Vec<PublicRule> {
    match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if b < e => text[b + BEGIN.len()..e].lines().filter_map(|l| PublicRule::parse(l.trim())).collect(),
        _ => Vec::new(),
    }
}

const BEGIN: &str = "# --- knet rules: DOMAIN PROTO HOST_PORT GUEST_IP GUEST_PORT BRIDGE ---";
const END: &str = "# --- end of knet rules ---";

fn hook_path(dir: &Path) -> PathBuf {
    dir.join("qemu.d/knet-port-forward")
}

fn read_rules(text: &str) -> Result<Vec<Rule>> {
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else { bail!("the hook has no knet rule table (was it edited by hand?)") };
    Ok(text[b + BEGIN.len()..e].lines().filter_map(|l| Rule::parse(l.trim())).collect())
}

/// Can `s` be one field of the hook's rule table? The table is data in a
/// quoted here-document, read with `read -r`: nothing in it is ever expanded
/// or evaluated, whatever the characters, as long as a field holds no
/// whitespace or control character (which would split or end a line) and
/// does not start with `#` (a comment). libvirt allows almost anything in a
/// guest name (`'`, `$`, `;`, backquotes): names are data, never code.
fn table_field_ok(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('#') && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The here-document's end marker; no table line can equal it (a table
/// line has six fields).
const HEREDOC_END: &str = "KNET_RULES_END";

/// The whole hook. The rule table is a quoted here-document: the shell
/// performs no expansion in it, so a guest named `x';reboot;'` is a string,
/// not a command (knet before 2026-11 put it in '...' and ran it as root).
fn script(rules: &[Rule], public: &[PublicRule]) -> String {
    let mut table = String::new();
    for r in rules {
        let _ = writeln!(table, "{}", r.line());
    }
    for r in public {
        let _ = writeln!(table, "{}", r.line());
    }
    format!(
        r#"#!/bin/sh
# libvirt qemu hook installed by `knet port-forward`: forwards host ports to
# NAT guests (libvirt wiki, "Forwarding Incoming Connections"). Change the
# table with knet port-forward [--remove]; other hooks in this directory and
# ../qemu run as before.
#   $1 guest name, $2 operation (prepare start started stopped release reconnect ...)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
guest=$1
op=$2

table() {{ # the rules: data only, never expanded (quoted here-document)
    cat <<'{HEREDOC_END}'
{BEGIN}
{table}{END}
{HEREDOC_END}
}}

rules() {{ # $1: -I or -D
    table | while read -r g proto hport ip gport br; do
        case "$g" in ''|'#'*) continue ;; esac
        [ "$g" = "$guest" ] || continue
        if [ "$proto" = ip ]; then # a public address: hport is it, gport the guest's subnet
            iptables -w -t nat "$1" PREROUTING -d "$hport/32" -j DNAT --to-destination "$ip"
            iptables -w -t nat "$1" OUTPUT -d "$hport/32" -j DNAT --to-destination "$ip"
            iptables -w -t nat "$1" POSTROUTING -s "$ip/32" ! -d "$gport" -j SNAT --to-source "$hport"
            iptables -w "$1" FORWARD -d "$ip/32" -o "$br" -j ACCEPT
            continue
        fi
        iptables -w -t nat "$1" PREROUTING {LOCAL_DST} -p "$proto" --dport "$hport" -j DNAT --to-destination "$ip:$gport"
        # the form without a destination match, from older hooks
        [ "$1" = -D ] && iptables -w -t nat -D PREROUTING -p "$proto" --dport "$hport" -j DNAT --to-destination "$ip:$gport" 2>/dev/null
        iptables -w "$1" FORWARD -d "$ip/32" -o "$br" -p "$proto" --dport "$gport" -j ACCEPT
    done
}}

case "$op" in
    # delete first so a restart or reconnect never leaves duplicates
    start|reconnect) rules -D 2>/dev/null; rules -I ;;
    stopped) rules -D 2>/dev/null ;;
esac
exit 0
"#
    )
}

/// Those of `guests` that have a forward in the hook installed in
/// `hooks_dir` (none when there is no hook, or it cannot be read).
pub fn forwarded_guests(hooks_dir: &Path, guests: &[String]) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(hook_path(hooks_dir)) else { return Vec::new() };
    let rules = read_rules(&text).unwrap_or_default();
    guests.iter().filter(|g| rules.iter().any(|r| &r.domain == *g)).cloned().collect()
}

/// Seconds one run of the hook may take (iptables waits for the xtables
/// lock with -w: never forever here).
const HOOK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Run the installed hook for each of `guests` as libvirt does when it
/// reconnects to a running guest (`GUEST reconnect begin -`): the hook
/// deletes the guest's rules and inserts them again, first in their chains.
/// After a network restart libvirt has reloaded its own rules; this puts
/// the forwards back in front of them.
pub fn reapply(hooks_dir: &Path, guests: &[String]) -> Result<()> {
    let hook = hook_path(hooks_dir);
    for g in guests {
        let mut child = std::process::Command::new(&hook)
            .args([g.as_str(), "reconnect", "begin", "-"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", hook.display()))?;
        let t0 = std::time::Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break st;
            }
            if t0.elapsed() > HOOK_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{} {g} reconnect did not finish within {} s", hook.display(), HOOK_DEADLINE.as_secs());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        if !status.success() {
            bail!("{} {g} reconnect failed ({status})", hook.display());
        }
    }
    Ok(())
}

/// A guest's NIC on a NAT network.
struct NatNic {
    domain: String,
    network: String,
    ip: NetIp,
    mac: String,
    bridge: String,
}

fn nat_nic(conn: &dyn Conn, dom: &str) -> Result<NatNic> {
    let info = conn.lookup_domain(dom).map_err(|e| guest::lookup_error(dom, e))?;
    if !table_field_ok(&info.name) {
        bail!("domain name '{}' contains whitespace or control characters (or starts with '#'), which the hook's rule table cannot hold", info.name.escape_debug());
    }
    let xml = guest::domain_xml(conn, &info.name, info.persistent)?;
    for nic in facts::nics(&xml) {
        let (Some(network), Some(mac)) = (nic.network, nic.mac) else { continue };
        let Ok(nx) = conn.network_xml(&network, false) else { continue };
        let f = facts::network(&nx);
        if f.forward.as_deref() != Some("nat") {
            continue;
        }
        if let (Some(ip), Some(bridge)) = (f.ipv4.into_iter().next(), f.bridge) {
            if !table_field_ok(&bridge) {
                bail!("network '{network}' has the bridge name '{}', which the hook's rule table cannot hold", bridge.escape_debug());
            }
            return Ok(NatNic { domain: info.name, network, ip, mac, bridge });
        }
    }
    bail!("domain '{}' has no NIC on a NAT network: port forwarding is for NAT guests (a bridged guest is reachable on the LAN directly)", info.name)
}

/// `virsh net-update NET add-last ip-dhcp-host XML --config`, plus `--live`
/// when the network runs so dnsmasq knows the host at once.
fn add_dhcp_host(conn: &dyn Conn, net: &str, host_xml: &str) -> Result<()> {
    let mut flags = update_flags::CONFIG;
    if conn.lookup_network(net)?.active {
        flags |= update_flags::LIVE;
    }
    let section = update_section("ip-dhcp-host").expect("libvirt section");
    conn.update_network(net, UpdateCommand::AddLast, section, -1, host_xml, flags)?;
    Ok(())
}

/// A free address for a new static lease: outside the DHCP range first
/// (dnsmasq may have leased any address inside it), then from the top of it.
fn free_ip(ip: &NetIp) -> Option<Ipv4Addr> {
    let s = ip.subnet();
    let taken = |a: Ipv4Addr| a == ip.address || ip.hosts.iter().any(|h| h.ip == Some(a));
    let in_range = |a: Ipv4Addr| ip.ranges.iter().any(|r| ipnet::in_range(a, *r));
    let all: Vec<Ipv4Addr> = (1..s.size().saturating_sub(1) as u32).map(|n| s.nth(n)).filter(|a| !taken(*a)).collect();
    all.iter().find(|a| !in_range(**a)).or_else(|| all.iter().rev().find(|a| in_range(**a))).copied()
}

/// The guest's address on its NAT network: its static lease, or a new one
/// (added unless `print`; `notes` says which).
fn guest_address(conn: &dyn Conn, nic: &NatNic, print: bool, notes: &mut String) -> Result<(Ipv4Addr, bool)> {
    let NatNic { domain: name, network: net, ip, mac, .. } = nic;
    if let Some(a) = ip.hosts.iter().find(|h| h.mac.as_deref() == Some(mac.as_str())).and_then(|h| h.ip) {
        return Ok((a, false));
    }
    let a = free_ip(ip).with_context(|| format!("network '{net}' has no free address for a static lease"))?;
    // dnsmasq hands the name out as the guest's hostname: only a valid one
    let hostname_ok = !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !name.starts_with('-');
    let ip_text = a.to_string();
    let host_xml = crate::xml::write::element(
        "host",
        [("mac", Some(mac.as_str())), ("name", hostname_ok.then_some(name.as_str())), ("ip", Some(ip_text.as_str()))],
        crate::xml::write::Quote::Single,
    );
    if print {
        let _ = writeln!(notes, "note: {name} ({mac}) has no static lease on '{net}'; without --print knet adds {host_xml}");
    } else {
        add_dhcp_host(conn, net, &host_xml).with_context(|| format!("failed to add a static DHCP lease for {name} to network '{net}'"))?;
        let _ = writeln!(notes, "Static DHCP lease {a} added for {name} ({mac}) on network {net}; the guest takes it at its next DHCP renewal");
    }
    Ok((a, !print))
}

/// `--json` of either form of the command: `fields` plus `hook`, `notes`
/// (the lines it would print besides `message`), `changed` (the hook's text
/// changed, or a static lease was added) and `message`. With --print,
/// `script` instead, and nothing changed.
#[allow(clippy::too_many_arguments)]
fn json_report(mut fields: serde_json::Value, args: &Args, path: &Path, existing: Option<&str>, text: &str, lease_added: bool, notes: &str, message: &str) -> Result<()> {
    fields["notes"] = notes.lines().filter(|l| *l != message).collect::<Vec<_>>().into();
    if args.print {
        fields["script"] = text.into();
        return output::print_change(fields, false, "");
    }
    fields["hook"] = path.display().to_string().into();
    let hook_changed = if text.is_empty() { existing.is_some() } else { existing != Some(text) };
    output::print_change(fields, hook_changed || lease_added, message)
}

/// Install the hook with this table (remove it when the table is empty).
fn install(path: &Path, rules: &[Rule], public: &[PublicRule]) -> Result<()> {
    if rules.is_empty() && public.is_empty() {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
        return Ok(());
    }
    let text = script(rules, public);
    let dir = path.parent().expect("has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // write then rename: libvirt may run the hook at any moment. A
    // fresh O_EXCL temp file (never a fixed name another user could
    // plant a symlink at); 0755 only once written: root runs it.
    let mut tmp = tempfile::Builder::new().prefix(".knet-port-forward.").tempfile_in(dir).with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).with_context(|| format!("cannot write {}", tmp.path().display()))?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    tmp.persist(path).map_err(|e| anyhow::Error::new(e.error)).with_context(|| format!("cannot install {}", path.display()))?;
    Ok(())
}

/// `--public-ip`: the guest's own external address, in the same hook.
fn run_public(args: &Args, ctx: &Ctx, public_ip: Ipv4Addr, path: &Path, existing: Option<&str>, rules: Vec<Rule>) -> Result<()> {
    let conn = ctx.conn()?;
    let mut public = existing.map(read_public).unwrap_or_default();
    if public_ip.is_unspecified() || public_ip.is_loopback() || public_ip.is_multicast() || public_ip.is_broadcast() {
        return Err(crate::exit::Exit::usage(format!("--public-ip {public_ip}: not an address a guest can have")));
    }
    let mut notes = String::new();
    let mut lease_added = false;
    let (dom_name, running, changed);
    if args.remove {
        let info = conn.lookup_domain(&args.domain).ok();
        dom_name = info.as_ref().map_or(args.domain.clone(), |d| d.name.clone());
        running = info.is_some_and(|d| d.active);
        let (gone, kept): (Vec<PublicRule>, Vec<PublicRule>) = public.into_iter().partition(|r| r.domain == dom_name && r.public_ip == public_ip);
        if gone.is_empty() {
            bail!("no public IP {public_ip} for '{dom_name}' in {}", path.display());
        }
        public = kept;
        changed = gone.into_iter().next();
    } else {
        let nic = nat_nic(conn, &args.domain)?;
        let subnet = nic.ip.subnet();
        if subnet.contains(public_ip) {
            bail!("--public-ip {public_ip} is inside network '{}' ({subnet}): give the external address the guest should have", nic.network);
        }
        if let Some(o) = public.iter().find(|r| r.public_ip == public_ip && r.domain != nic.domain) {
            bail!("public IP {public_ip} already belongs to '{}' ({})", o.domain, o.guest_ip);
        }
        if let Some(o) = public.iter().find(|r| r.domain == nic.domain && r.public_ip != public_ip) {
            // the guest's outgoing traffic can leave from one address only
            bail!("'{}' already has the public IP {}: remove it first (--public-ip {} --remove)", nic.domain, o.public_ip, o.public_ip);
        }
        let guest_ip;
        (guest_ip, lease_added) = guest_address(conn, &nic, args.print, &mut notes)?;
        public.retain(|r| r.domain != nic.domain);
        let rule = PublicRule { domain: nic.domain.clone(), public_ip, guest_ip, subnet, bridge: nic.bridge.clone() };
        public.push(rule.clone());
        changed = Some(rule);
        running = conn.lookup_domain(&nic.domain).map_err(|e| guest::lookup_error(&nic.domain, e))?.active;
        if host::is_local_uri(&conn.uri()?) && !host::addresses4().contains(&public_ip) {
            let _ = writeln!(notes, "note: {public_ip} is no address of this host: add it to the uplink (ip addr add {public_ip}/32 dev UPLINK) or have the LAN's router route it here");
        }
        dom_name = nic.domain;
    }
    // --json: {domain, public_ip, guest_ip, ...}; guest_ip is null after --remove
    let fields = || {
        let rule = changed.as_ref().filter(|_| !args.remove);
        serde_json::json!({ "domain": dom_name, "public_ip": public_ip.to_string(), "guest_ip": rule.map(|r| r.guest_ip.to_string()) })
    };
    let what = if args.remove { "removed from" } else { "installed in" };
    let message = format!("Public IP {public_ip} for {dom_name} {what} {}", path.display());
    let apply_now = changed.as_ref().filter(|_| running).map(|r| r.iptables(if args.remove { "-D" } else { "-I" }).to_vec());
    finish(args, ctx, path, existing, &rules, &public, lease_added, notes, fields(), &message, &dom_name, apply_now)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let uri = conn.uri()?;
    if !args.print && !host::is_local_uri(&uri) {
        bail!("{uri} is not this machine: the hook must be installed on the hypervisor; use --print and install the script there");
    }
    let path = hook_path(&args.hooks_dir);
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    };
    let mut rules = match &existing {
        Some(t) => read_rules(t).with_context(|| format!("cannot update {}", path.display()))?,
        None => Vec::new(),
    };
    if let Some(ip) = args.public_ip {
        return run_public(&args, ctx, ip, &path, existing.as_deref(), rules);
    }
    let public = existing.as_deref().map(read_public).unwrap_or_default();
    let host_port = args.host_port.expect("clap: --host-port is required without --public-ip");
    let proto = args.proto.as_str();
    let mut notes = String::new();
    let mut lease_added = false;
    let (dom_name, running, changed);
    if args.remove {
        let before = rules.len();
        // a forward may outlive its guest: remove by name when it is gone
        let info = conn.lookup_domain(&args.domain).ok();
        dom_name = info.as_ref().map_or(args.domain.clone(), |d| d.name.clone());
        running = info.is_some_and(|d| d.active);
        let (gone, kept): (Vec<Rule>, Vec<Rule>) = rules.into_iter().partition(|r| r.domain == dom_name && r.proto == proto && r.host_port == host_port);
        rules = kept;
        changed = gone.into_iter().next();
        if rules.len() == before {
            bail!("no forward of host port {host_port}/{proto} to '{dom_name}' in {}", path.display());
        }
    } else {
        let nic = nat_nic(conn, &args.domain)?;
        let guest_ip;
        (guest_ip, lease_added) = guest_address(conn, &nic, args.print, &mut notes)?;
        let NatNic { domain: name, bridge, .. } = nic;
        if let Some(other) = rules.iter().find(|r| r.proto == proto && r.host_port == host_port && r.domain != name) {
            bail!("host port {}/{proto} is already forwarded to '{}' ({}:{})", host_port, other.domain, other.guest_ip, other.guest_port);
        }
        rules.retain(|r| !(r.domain == name && r.proto == proto && r.host_port == host_port));
        let rule = Rule { domain: name.clone(), proto: proto.into(), host_port, guest_ip, guest_port: args.guest_port.unwrap_or(host_port), bridge };
        rules.push(rule.clone());
        changed = Some(rule);
        running = conn.lookup_domain(&name).map_err(|e| guest::lookup_error(&name, e))?.active;
        dom_name = name;
    }
    // --json: {domain, proto, host_port, guest_ip, guest_port, ...}; the
    // forward's own fields are null after --remove
    let fields = || {
        let rule = changed.as_ref().filter(|_| !args.remove);
        serde_json::json!({ "domain": dom_name, "proto": proto, "host_port": host_port, "guest_ip": rule.map(|r| r.guest_ip.to_string()), "guest_port": rule.map(|r| r.guest_port) })
    };
    let what = if args.remove { "removed from" } else { "installed in" };
    let message = format!("Forward of host port {}/{proto} to {dom_name} {what} {}", host_port, path.display());
    let apply_now = changed.as_ref().filter(|_| running).map(|r| r.iptables(if args.remove { "-D" } else { "-I" }).to_vec());
    finish(&args, ctx, &path, existing.as_deref(), &rules, &public, lease_added, notes, fields(), &message, &dom_name, apply_now)
}

/// The end forwards and public IPs share: print the hook (`--print`) or
/// install it, then `message` and what the admin still has to do (reload
/// libvirt for a new hook; `apply_now`, the rules to run by hand for a
/// running guest), as text or JSON.
#[allow(clippy::too_many_arguments)]
fn finish(args: &Args, ctx: &Ctx, path: &Path, existing: Option<&str>, rules: &[Rule], public: &[PublicRule], lease_added: bool, mut notes: String, fields: serde_json::Value, message: &str, dom_name: &str, apply_now: Option<Vec<String>>) -> Result<()> {
    // the hook's text; empty when no forward is left (the hook is removed)
    let text = if rules.is_empty() && public.is_empty() { String::new() } else { script(rules, public) };
    if args.print {
        if ctx.json() {
            return json_report(fields, args, path, existing, &script(rules, public), lease_added, &notes, "");
        }
        eprint!("{notes}");
        return output::print(&script(rules, public)).map_err(Into::into);
    }
    install(path, rules, public)?;
    if ctx.quiet() && !ctx.json() {
        return Ok(());
    }
    let _ = writeln!(notes, "{message}");
    if existing.is_none() {
        notes.push_str("note: libvirt looks for hook scripts when it starts or reloads: run `systemctl reload libvirtd` (virtqemud with modular daemons) once\n");
    }
    if let Some(cmds) = apply_now {
        let _ = writeln!(notes, "note: {dom_name} is running: the change applies at its next start (or when libvirtd reconnects to it); to apply it now:");
        for c in cmds {
            let _ = writeln!(notes, "  {c}");
        }
    }
    if ctx.json() {
        return json_report(fields, args, path, existing, &text, lease_added, &notes, message);
    }
    output::print(&notes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_table_round_trips_through_the_script() {
        let r = Rule { domain: "web".into(), proto: "tcp".into(), host_port: 8080, guest_ip: Ipv4Addr::new(192, 168, 122, 10), guest_port: 80, bridge: "virbr0".into() };
        assert_eq!(read_rules(&script(std::slice::from_ref(&r), &[])).unwrap(), vec![r]);
        assert!(read_rules(&script(&[], &[])).unwrap().is_empty());
        assert!(read_rules("#!/bin/sh\n").is_err());
    }

    /// A hostile guest name is data to the hook: run the script with sh as
    /// libvirt would (for that guest and another) and nothing it names runs.
    #[test]
    fn hostile_names_in_the_table_are_never_executed() {
        let dir = tempfile::tempdir().unwrap();
        let evil = "w';touch${IFS}pwned;'$(touch${IFS}pwned2)`touch${IFS}pwned3`\\c";
        assert!(table_field_ok(evil));
        let r = Rule { domain: evil.into(), proto: "tcp".into(), host_port: 8080, guest_ip: Ipv4Addr::new(10, 0, 0, 2), guest_port: 80, bridge: "br$(x)".into() };
        let hook = dir.path().join("hook");
        std::fs::write(&hook, script(std::slice::from_ref(&r), &[])).unwrap();
        assert_eq!(read_rules(&script(std::slice::from_ref(&r), &[])).unwrap(), vec![r]);
        for guest in [evil, "other"] {
            // iptables is absent from this PATH-less run: only expansion could create files
            let st = std::process::Command::new("/bin/sh").arg(&hook).args([guest, "start"]).current_dir(dir.path()).output().unwrap();
            assert!(st.status.success(), "{st:?}");
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("hook")], "the hook executed part of a guest name");
        for bad in ["a b", "a\nb", "#x", "", "a\tb", "a\u{7}"] {
            assert!(!table_field_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn lease_address_prefers_outside_the_range() {
        let n = facts::network("<network><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.100'/><host mac='52:54:00:00:00:01' ip='10.0.0.101'/></dhcp></ip></network>");
        assert_eq!(free_ip(&n.ipv4[0]), Some(Ipv4Addr::new(10, 0, 0, 102)));
        let n = facts::network("<network><ip address='10.0.0.1' prefix='30'><dhcp><range start='10.0.0.2' end='10.0.0.2'/></dhcp></ip></network>");
        assert_eq!(free_ip(&n.ipv4[0]), Some(Ipv4Addr::new(10, 0, 0, 2)));
    }
}
