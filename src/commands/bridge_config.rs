//! `knet bridge-config`: the host configuration that turns a NIC into a
//! bridge port, so guests can sit on the LAN (the "bridged networking"
//! recipe of Ubuntu's KVM/Networking guide and libvirt's Networking wiki),
//! for each of the five ways Linux distributions configure networking.
//!
//! Never opens a libvirt connection (it starts without loading libvirt) and
//! never touches the host's network: `--apply` works only inside a network
//! namespace other than PID 1's, where it uses iproute2.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::context::Ctx;
use crate::exit::Exit;
use crate::ipnet::Subnet;
use crate::host;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Debian/Ubuntu /etc/network/interfaces (with bridge-utils)
    Ifupdown,
    /// RHEL/Fedora network-scripts ifcfg files
    Ifcfg,
    /// Ubuntu's netplan YAML
    Netplan,
    /// nmcli commands for NetworkManager
    Networkmanager,
    /// systemd-networkd .netdev/.network files
    SystemdNetworkd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// Print (or apply in a namespace) the host config that bridges a NIC for guests
///
/// Turns --uplink into a port of a new bridge --bridge that takes over the
/// uplink's IP configuration (DHCP by default, or --address/--gateway/--dns),
/// so that guests with <interface type='bridge'> (or a libvirt network made
/// with `knet net-new NAME --bridge BR`) appear on the LAN.
///
/// Also printed: the net.bridge.bridge-nf-call-* sysctls set to 0, so bridged
/// guest traffic is not filtered by the host's iptables (the libvirt wiki's
/// advice; they exist once br_netfilter is loaded).
///
/// --pin-mac gives the bridge the uplink's MAC address. Otherwise a Linux
/// bridge takes the lowest MAC of its ports, so starting or stopping a guest
/// can change the host's MAC and the LAN loses the host for a while (the
/// "host freezes when a guest starts" symptom).
///
/// Refused: a wireless uplink (an 802.11 client cannot carry frames for other
/// MAC addresses, so bridging does not work over Wi-Fi; use a NAT or routed
/// network instead); an uplink that does not exist, is itself a bridge, or is
/// a tun/tap device (a guest's vnetN); a --bridge that belongs to a libvirt
/// network (libvirt's virbrN names, a bridge libvirt's dnsmasq serves, or one
/// with libvirt's 52:54:00 MAC and only guests' taps as ports) or that exists
/// and is not a bridge; a name libvirt generates for its own
/// devices (virbrN, vnetN, macvtapN). Warned: an uplink carrying the default
/// route, since applying the config over a remote session on it cuts the
/// session.
///
/// --for-other-host prepares a configuration for another machine: the
/// checks of this host's interfaces are skipped (the name rules still apply).
///
/// --apply builds the bridge with iproute2, but only inside a network
/// namespace other than the host's (e.g. `ip netns exec NS knet ...`);
/// on the host itself, install the printed configuration instead.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet bridge-config --uplink enp1s0 --bridge br0 --format netplan\n  knet bridge-config --uplink eno1 --bridge br0 --address 192.168.1.10/24 --gateway 192.168.1.1 \\\n      --dns 192.168.1.1 --pin-mac --format systemd-networkd --output-dir /tmp/br0\n  ip netns exec lab knet bridge-config --uplink eth1 --bridge br0 --dhcp --format ifupdown --apply")]
pub struct Args {
    /// The NIC that becomes the bridge's port
    #[arg(long, value_name = "IFACE", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::uplinks()))]
    pub uplink: String,
    /// Name of the bridge to create
    #[arg(long, value_name = "BR")]
    pub bridge: String,
    /// The bridge gets its address by DHCP (the default)
    #[arg(long, conflicts_with = "address")]
    pub dhcp: bool,
    /// Static address of the bridge, e.g. 192.168.1.10/24
    #[arg(long, value_name = "CIDR", requires = "gateway")]
    pub address: Option<String>,
    /// Default gateway (with --address)
    #[arg(long, value_name = "IP", requires = "address")]
    pub gateway: Option<Ipv4Addr>,
    /// DNS server (repeatable; with --address)
    #[arg(long, value_name = "IP", requires = "address")]
    pub dns: Vec<Ipv4Addr>,
    /// Spanning Tree Protocol on the bridge
    #[arg(long, value_enum, default_value_t = OnOff::Off)]
    pub stp: OnOff,
    /// Forward delay in seconds (default 0, or 15 with --stp on; 2-30 with STP)
    #[arg(long, value_name = "N")]
    pub forward_delay: Option<u32>,
    /// Give the bridge the uplink's MAC address (read from this host)
    #[arg(long)]
    pub pin_mac: bool,
    /// Which configuration system to write for
    #[arg(long, value_enum, required_unless_present = "apply")]
    pub format: Option<Format>,
    /// Write the files under DIR (as DIR/etc/...) instead of printing them
    #[arg(long, value_name = "DIR", conflicts_with = "apply", value_hint = clap::ValueHint::DirPath)]
    pub output_dir: Option<PathBuf>,
    /// Build the bridge now with iproute2 (only inside a network namespace)
    #[arg(long)]
    pub apply: bool,
    /// The configuration is for another machine: skip the checks of this host's interfaces
    #[arg(long, conflicts_with_all = ["apply", "pin_mac"])]
    pub for_other_host: bool,
}

/// What the bridge should look like, resolved from the arguments.
#[derive(Debug, Clone)]
struct Spec {
    uplink: String,
    bridge: String,
    /// `None`: DHCP.
    address: Option<(Ipv4Addr, u8)>,
    gateway: Option<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
    stp: bool,
    forward_delay: u32,
    mac: Option<String>,
}

impl Spec {
    fn cidr(&self) -> Option<String> {
        self.address.map(|(a, p)| format!("{a}/{p}"))
    }
}

/// One generated file: where it goes on the target host, and its text.
#[derive(Debug, serde::Serialize)]
pub struct File {
    pub path: String,
    pub content: String,
}

const BRIDGE_NF: &[&str] = &["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables"];

fn sysctl_file() -> File {
    let mut c = String::from("# Bridged guests' frames bypass the host firewall (libvirt Networking wiki).\n# Effective once br_netfilter is loaded; apply with: sysctl --system\n");
    for k in BRIDGE_NF {
        let _ = writeln!(c, "{k} = 0");
    }
    File { path: "/etc/sysctl.d/99-knet-bridge-nf.conf".into(), content: c }
}

fn ifupdown(s: &Spec) -> Vec<File> {
    let mut c = format!("# {} becomes a port of {}; the bridge carries the host's address.\n# Needs the bridge-utils package.\n", s.uplink, s.bridge);
    let _ = write!(c, "auto {u}\niface {u} inet manual\n\nauto {b}\n", u = s.uplink, b = s.bridge);
    match s.cidr() {
        None => {
            let _ = writeln!(c, "iface {} inet dhcp", s.bridge);
        }
        Some(cidr) => {
            let _ = write!(c, "iface {} inet static\n    address {cidr}\n", s.bridge);
            if let Some(g) = s.gateway {
                let _ = writeln!(c, "    gateway {g}");
            }
            if !s.dns.is_empty() {
                let _ = writeln!(c, "    dns-nameservers {}", join(&s.dns, " "));
            }
        }
    }
    if let Some(m) = &s.mac {
        let _ = writeln!(c, "    hwaddress ether {m}");
    }
    let _ = write!(
        c,
        "    bridge_ports {}\n    bridge_stp {}\n    bridge_fd {}\n    bridge_maxwait 0\n",
        s.uplink,
        if s.stp { "on" } else { "off" },
        s.forward_delay
    );
    vec![File { path: format!("/etc/network/interfaces.d/{}", s.bridge), content: c }]
}

fn ifcfg(s: &Spec) -> Vec<File> {
    let mut br = format!("DEVICE={}\nTYPE=Bridge\nONBOOT=yes\nNM_CONTROLLED=no\n", s.bridge);
    match s.address {
        None => br.push_str("BOOTPROTO=dhcp\n"),
        Some((a, p)) => {
            let _ = write!(br, "BOOTPROTO=none\nIPADDR={a}\nPREFIX={p}\n");
            if let Some(g) = s.gateway {
                let _ = writeln!(br, "GATEWAY={g}");
            }
            for (i, d) in s.dns.iter().enumerate() {
                let _ = writeln!(br, "DNS{}={d}", i + 1);
            }
        }
    }
    let _ = write!(br, "STP={}\nDELAY={}\n", if s.stp { "on" } else { "off" }, s.forward_delay);
    if let Some(m) = &s.mac {
        let _ = writeln!(br, "MACADDR={m}");
    }
    let port = format!("DEVICE={}\nTYPE=Ethernet\nONBOOT=yes\nNM_CONTROLLED=no\nBRIDGE={}\n", s.uplink, s.bridge);
    let dir = "/etc/sysconfig/network-scripts";
    vec![File { path: format!("{dir}/ifcfg-{}", s.bridge), content: br }, File { path: format!("{dir}/ifcfg-{}", s.uplink), content: port }]
}

fn netplan(s: &Spec) -> Vec<File> {
    let mut c = format!(
        "# {} becomes a port of {}; the bridge carries the host's address.\nnetwork:\n  version: 2\n  renderer: networkd\n  ethernets:\n    {}:\n      dhcp4: false\n      dhcp6: false\n  bridges:\n    {}:\n      interfaces: [{}]\n",
        s.uplink, s.bridge, s.uplink, s.bridge, s.uplink
    );
    match s.cidr() {
        None => c.push_str("      dhcp4: true\n"),
        Some(cidr) => {
            let _ = write!(c, "      dhcp4: false\n      addresses: [{cidr}]\n");
            if let Some(g) = s.gateway {
                let _ = write!(c, "      routes:\n        - to: default\n          via: {g}\n");
            }
            if !s.dns.is_empty() {
                let _ = write!(c, "      nameservers:\n        addresses: [{}]\n", join(&s.dns, ", "));
            }
        }
    }
    if let Some(m) = &s.mac {
        let _ = writeln!(c, "      macaddress: \"{m}\"");
    }
    let _ = write!(c, "      parameters:\n        stp: {}\n        forward-delay: {}\n", s.stp, s.forward_delay);
    vec![File { path: format!("/etc/netplan/60-knet-{}.yaml", s.bridge), content: c }]
}

fn networkmanager(s: &Spec) -> Vec<File> {
    // The kernel allows `$`, `;`, quotes... in interface names, and the
    // admin runs this script as root: every name is one quoted word.
    let q = |w: &str| shell_words::quote(w).into_owned();
    let (qb, qu, qport) = (q(&s.bridge), q(&s.uplink), q(&format!("{}-port-{}", s.bridge, s.uplink)));
    let mut add = format!("nmcli connection add type bridge con-name {qb} ifname {qb} bridge.stp {}", if s.stp { "yes" } else { "no" });
    if s.stp {
        // NetworkManager accepts 2-30 only, and the delay only matters with STP
        let _ = write!(add, " bridge.forward-delay {}", s.forward_delay);
    }
    if let Some(m) = &s.mac {
        let _ = write!(add, " bridge.mac-address {m}");
    }
    match s.cidr() {
        None => add.push_str(" ipv4.method auto"),
        Some(cidr) => {
            let _ = write!(add, " ipv4.method manual ipv4.addresses {cidr}");
            if let Some(g) = s.gateway {
                let _ = write!(add, " ipv4.gateway {g}");
            }
            if !s.dns.is_empty() {
                let _ = write!(add, " ipv4.dns {}", join(&s.dns, ","));
            }
        }
    }
    let c = format!(
        "#!/bin/sh\n# {u} becomes a port of {b}; run from a console, not over {u}.\nset -e\n{add}\nnmcli connection add type bridge-slave con-name {qport} ifname {qu} master {qb}\nnmcli connection up {qb}\n",
        u = s.uplink,
        b = s.bridge
    );
    vec![File { path: format!("knet-{}-nmcli.sh", s.bridge), content: c }]
}

fn networkd(s: &Spec) -> Vec<File> {
    let dir = "/etc/systemd/network";
    let mut netdev = format!("[NetDev]\nName={}\nKind=bridge\n", s.bridge);
    if let Some(m) = &s.mac {
        let _ = writeln!(netdev, "MACAddress={m}");
    }
    let _ = write!(netdev, "\n[Bridge]\nSTP={}\nForwardDelaySec={}\n", if s.stp { "yes" } else { "no" }, s.forward_delay);
    let port = format!("[Match]\nName={}\n\n[Network]\nBridge={}\n", s.uplink, s.bridge);
    let mut br = format!("[Match]\nName={}\n\n[Network]\n", s.bridge);
    match s.cidr() {
        None => br.push_str("DHCP=ipv4\n"),
        Some(cidr) => {
            let _ = writeln!(br, "Address={cidr}");
            if let Some(g) = s.gateway {
                let _ = writeln!(br, "Gateway={g}");
            }
            for d in &s.dns {
                let _ = writeln!(br, "DNS={d}");
            }
        }
    }
    vec![
        File { path: format!("{dir}/60-knet-{}.netdev", s.bridge), content: netdev },
        File { path: format!("{dir}/60-knet-{}-port-{}.network", s.bridge, s.uplink), content: port },
        File { path: format!("{dir}/60-knet-{}.network", s.bridge), content: br },
    ]
}

fn join(v: &[Ipv4Addr], sep: &str) -> String {
    v.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
}

fn valid_ifname(n: &str) -> bool {
    // the kernel's dev_valid_name: 1-15 bytes, no '/', ':' or whitespace
    !n.is_empty() && n.len() < 16 && n != "." && n != ".." && !n.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

fn spec(args: &Args) -> Result<Spec> {
    for (what, n) in [("--uplink", &args.uplink), ("--bridge", &args.bridge)] {
        if !valid_ifname(n) {
            return Err(Exit::usage(format!("{what} '{n}' is not a valid interface name (1-15 characters, no '/', ':' or spaces)")));
        }
    }
    if args.uplink == args.bridge {
        return Err(Exit::usage("--uplink and --bridge must differ"));
    }
    let address = match &args.address {
        None => None,
        Some(a) => {
            let s: Subnet = a.parse().map_err(Exit::usage)?;
            let ip: Ipv4Addr = a.split('/').next().unwrap_or("").parse().map_err(|_| Exit::usage(format!("'{a}' is not an IPv4 address")))?;
            if ip == s.net || ip == s.broadcast() {
                return Err(Exit::usage(format!("--address {a} is the network or broadcast address of {s}")));
            }
            if let Some(g) = args.gateway {
                if !s.contains(g) || g == ip {
                    return Err(Exit::usage(format!("--gateway {g} must be another address inside {s}")));
                }
            }
            Some((ip, s.prefix))
        }
    };
    let stp = args.stp == OnOff::On;
    let forward_delay = args.forward_delay.unwrap_or(if stp { 15 } else { 0 });
    // the kernel refuses other delays while STP runs (br_set_forward_delay)
    if (stp && !(2..=30).contains(&forward_delay)) || forward_delay > 30 {
        return Err(Exit::usage(format!("--forward-delay {forward_delay}: the kernel accepts 2-30 seconds with STP on, 0-30 with it off")));
    }
    let mac = if args.pin_mac {
        Some(host::mac_of(&args.uplink).with_context(|| format!("--pin-mac: cannot read the MAC address of {}: it does not exist on this host", args.uplink))?)
    } else {
        None
    };
    Ok(Spec { uplink: args.uplink.clone(), bridge: args.bridge.clone(), address, gateway: args.gateway, dns: args.dns.clone(), stp, forward_delay, mac })
}

/// Generate the files for `format`.
fn generate(s: &Spec, format: Format) -> Vec<File> {
    let mut files = match format {
        Format::Ifupdown => ifupdown(s),
        Format::Ifcfg => ifcfg(s),
        Format::Netplan => netplan(s),
        Format::Networkmanager => networkmanager(s),
        Format::SystemdNetworkd => networkd(s),
    };
    files.push(sysctl_file());
    files
}

/// The names libvirt keeps for itself: wrong on any host.
fn name_rules(s: &Spec) -> Result<()> {
    for (what, n) in [("--uplink", &s.uplink), ("--bridge", &s.bridge)] {
        match host::libvirt_generated_name(n) {
            Some("virbr") => bail!(
                "{what} {n} is a name libvirt gives its own networks' bridges (virbrN; the NAT network 'default' uses virbr0): \
                 libvirt owns that bridge, and guests on it are behind NAT, not on the LAN; use another name such as br0"
            ),
            Some(p) => bail!("{what} {n} is a name libvirt gives guests' NICs ({p}N): such a device comes and goes with its guest"),
            None => {}
        }
    }
    Ok(())
}

/// What this host's interfaces make impossible.
fn host_rules(s: &Spec) -> Result<()> {
    let other = "to prepare a configuration for another machine, add --for-other-host";
    if !host::iface_exists(&s.uplink) {
        bail!("uplink {} does not exist on this host; {other}", s.uplink);
    }
    if host::is_bridge(&s.uplink) {
        bail!(
            "uplink {u} is itself a bridge: Linux cannot make a bridge the port of another bridge; \
             guests can use {u} directly (<source bridge='{u}'/>, or knet net-new NAME --bridge {u})",
            u = s.uplink
        );
    }
    if host::is_tap(&s.uplink) {
        bail!("uplink {} is a tun/tap device (a guest's NIC or a VPN's), not a NIC on the LAN: it comes and goes with its user", s.uplink);
    }
    if host::libvirt_dnsmasq_bridges().contains(&s.bridge) {
        bail!(
            "{} is the bridge of a running libvirt network (libvirt's dnsmasq serves it): libvirt owns it and tears it down with the network; \
             use another name such as br0",
            s.bridge
        );
    }
    if host::looks_like_libvirt_bridge(&s.bridge) {
        bail!(
            "{} looks like a libvirt network's bridge (libvirt's 52:54:00 MAC, no port but guests' taps): libvirt owns it; \
             use another name such as br0",
            s.bridge
        );
    }
    if host::iface_exists(&s.bridge) && !host::is_bridge(&s.bridge) {
        bail!("{} already exists on this host and is not a bridge", s.bridge);
    }
    Ok(())
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let s = spec(&args)?;
    name_rules(&s)?;
    if !args.for_other_host {
        host_rules(&s)?;
    }
    if !args.for_other_host && host::is_wireless(&s.uplink) {
        bail!(
            "{} is a wireless interface: bridging does not work over Wi-Fi (an 802.11 client may only send frames from its own MAC address, so guests' frames are dropped by the access point); use a NAT or routed network (knet net-new NAME --nat|--routed) instead",
            s.uplink
        );
    }
    if !args.for_other_host && host::default_route_ifaces().contains(&s.uplink) {
        eprintln!(
            "warning: {} carries this host's default route: applying this configuration moves it to {}, which cuts any remote session running over {} until the bridge is up; apply it from a console",
            s.uplink, s.bridge, s.uplink
        );
    }
    if args.apply {
        return apply(&s, ctx);
    }
    let Some(format) = args.format else { return Err(Exit::usage("--format is required")) };
    let files = generate(&s, format);
    if let Some(dir) = &args.output_dir {
        for f in &files {
            let p = dir.join(f.path.trim_start_matches('/'));
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&p, &f.content).with_context(|| format!("cannot write {}", p.display()))?;
            if !ctx.quiet() {
                println!("{}", p.display());
            }
        }
        return Ok(());
    }
    if ctx.json() {
        return output::print_json(&files);
    }
    let mut out = String::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "# ==> {} <==\n{}", f.path, f.content);
    }
    output::print(&out)?;
    Ok(())
}

fn ip(args: &[&str]) -> Result<()> {
    let o = Command::new("ip").args(args).output().context("cannot run ip (iproute2)")?;
    if !o.status.success() {
        bail!("ip {} failed: {}", args.join(" "), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(())
}

/// Build the bridge in the current (private) namespace. On failure, the
/// bridge is deleted again (which frees the uplink) and the uplink's
/// addresses are put back.
fn apply(s: &Spec, ctx: &Ctx) -> Result<()> {
    if !host::in_private_netns() {
        bail!(
            "--apply only works inside a network namespace of its own (ip netns exec NS knet ...): this is the host's namespace, whose network knet never changes; install the printed configuration instead"
        );
    }
    if !host::iface_exists(&s.uplink) {
        bail!("uplink {} does not exist in this namespace", s.uplink);
    }
    if host::iface_exists(&s.bridge) {
        bail!("{} already exists in this namespace", s.bridge);
    }
    if let Some(m) = host::master_of(&s.uplink) {
        bail!("{} is already a port of {m}", s.uplink);
    }
    let old_addrs: Vec<String> = host::output_of("ip", &["-o", "-4", "addr", "show", "dev", &s.uplink])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1).map(str::to_string))
        .collect();
    let fd = (s.forward_delay * 100).to_string();
    ip(&["link", "add", &s.bridge, "type", "bridge", "stp_state", if s.stp { "1" } else { "0" }, "forward_delay", &fd])?;
    let steps = || -> Result<()> {
        if let Some(m) = &s.mac {
            ip(&["link", "set", &s.bridge, "address", m])?;
        }
        ip(&["link", "set", &s.uplink, "master", &s.bridge])?;
        ip(&["link", "set", &s.uplink, "up"])?;
        ip(&["link", "set", &s.bridge, "up"])?;
        if let Some(cidr) = s.cidr() {
            ip(&["-4", "addr", "flush", "dev", &s.uplink])?;
            ip(&["addr", "add", &cidr, "dev", &s.bridge])?;
            if let Some(g) = s.gateway {
                ip(&["route", "replace", "default", "via", &g.to_string(), "dev", &s.bridge])?;
            }
        }
        Ok(())
    };
    if let Err(e) = steps() {
        let _ = ip(&["link", "del", &s.bridge]);
        for a in &old_addrs {
            let _ = ip(&["addr", "replace", a, "dev", &s.uplink]);
        }
        return Err(e.context(format!("failed to build bridge {} (rolled back)", s.bridge)));
    }
    if !ctx.quiet() {
        let mut m = format!("Bridge {} created with port {}\n", s.bridge, s.uplink);
        if s.address.is_none() {
            let _ = writeln!(m, "note: start a DHCP client on {} (e.g. dhclient {}); knet does not run one", s.bridge, s.bridge);
        }
        if !s.dns.is_empty() {
            m.push_str("note: DNS servers are not applied by --apply (they belong to the resolver configuration)\n");
        }
        output::print(&m)?;
    }
    Ok(())
}
