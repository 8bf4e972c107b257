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
/// Several NICs, several subnets: give --uplink and --bridge once per bridge
/// (the Nth --uplink becomes the port of the Nth --bridge), and --metric once
/// per bridge so only the lowest metric's default route is used. --address
/// and --gateway, when given, are also given once per bridge, in order.
///
/// --vlan ID (once per bridge, in order; or write the uplink as eth0.10)
/// bridges the 802.1Q sub-interface UPLINK.ID instead of the NIC itself:
/// guests on the bridge are in that VLAN, untagged.
///
/// --apply builds the bridge with iproute2, but only inside a network
/// namespace other than the host's (e.g. `ip netns exec NS knet ...`);
/// on the host itself, install the printed configuration instead.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet bridge-config --uplink enp1s0 --bridge br0 --format netplan\n  knet bridge-config --uplink eno1 --bridge br0 --address 192.168.1.10/24 --gateway 192.168.1.1 \\\n      --dns 192.168.1.1 --pin-mac --format systemd-networkd --output-dir /tmp/br0\n  ip netns exec lab knet bridge-config --uplink eth1 --bridge br0 --dhcp --format ifupdown --apply\n  knet bridge-config --uplink eth0 --bridge br0 --metric 100 --uplink eth1 --bridge br1 --metric 200 --format netplan\n  knet bridge-config --uplink eth0 --vlan 10 --bridge br10 --format systemd-networkd")]
pub struct Args {
    /// The NIC that becomes the bridge's port (once per bridge)
    #[arg(long, value_name = "IFACE", required = true, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::uplinks()))]
    pub uplink: Vec<String>,
    /// Name of the bridge to create (once per --uplink)
    #[arg(long, value_name = "BR", required = true)]
    pub bridge: Vec<String>,
    /// Metric of the bridge's routes (once per bridge; the lowest wins)
    #[arg(long, value_name = "N")]
    pub metric: Vec<u32>,
    /// Bridge the 802.1Q sub-interface UPLINK.ID (once per bridge)
    #[arg(long, value_name = "ID", value_parser = clap::value_parser!(u16).range(1..4095))]
    pub vlan: Vec<u16>,
    /// The bridge gets its address by DHCP (the default)
    #[arg(long, conflicts_with = "address")]
    pub dhcp: bool,
    /// Static address of the bridge, e.g. 192.168.1.10/24 (once per bridge)
    #[arg(long, value_name = "CIDR", requires = "gateway")]
    pub address: Vec<String>,
    /// Default gateway (with --address; once per bridge)
    #[arg(long, value_name = "IP", requires = "address")]
    pub gateway: Vec<Ipv4Addr>,
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
    /// The NIC (for a VLAN: the sub-interface's parent).
    uplink: String,
    /// 802.1Q: the bridge's port is `uplink.vlan`.
    vlan: Option<u16>,
    bridge: String,
    /// Metric of the bridge's routes (the default route among them).
    metric: Option<u32>,
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

    /// The bridge's port: the NIC, or its VLAN sub-interface.
    fn port(&self) -> String {
        match self.vlan {
            Some(v) => format!("{}.{v}", self.uplink),
            None => self.uplink.clone(),
        }
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
    let mut c = format!("# {} becomes a port of {}; the bridge carries the host's address.\n# Needs the bridge-utils package{}.\n", s.port(), s.bridge, if s.vlan.is_some() { " and the vlan package" } else { "" });
    match s.vlan {
        None => {
            let _ = write!(c, "auto {u}\niface {u} inet manual\n\nauto {b}\n", u = s.uplink, b = s.bridge);
        }
        Some(_) => {
            let _ = write!(c, "auto {p}\niface {p} inet manual\n    vlan-raw-device {u}\n\nauto {b}\n", p = s.port(), u = s.uplink, b = s.bridge);
        }
    }
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
    if let Some(m) = s.metric {
        let _ = writeln!(c, "    metric {m}");
    }
    if let Some(m) = &s.mac {
        let _ = writeln!(c, "    hwaddress ether {m}");
    }
    let _ = write!(
        c,
        "    bridge_ports {}\n    bridge_stp {}\n    bridge_fd {}\n    bridge_maxwait 0\n",
        s.port(),
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
    if let Some(m) = s.metric {
        let _ = writeln!(br, "METRIC={m}");
    }
    let _ = write!(br, "STP={}\nDELAY={}\n", if s.stp { "on" } else { "off" }, s.forward_delay);
    if let Some(m) = &s.mac {
        let _ = writeln!(br, "MACADDR={m}");
    }
    let port = match s.vlan {
        None => format!("DEVICE={}\nTYPE=Ethernet\nONBOOT=yes\nNM_CONTROLLED=no\nBRIDGE={}\n", s.uplink, s.bridge),
        // ifup-eth brings PHYSDEV up itself
        Some(_) => format!("DEVICE={}\nVLAN=yes\nPHYSDEV={}\nONBOOT=yes\nNM_CONTROLLED=no\nBRIDGE={}\n", s.port(), s.uplink, s.bridge),
    };
    let dir = "/etc/sysconfig/network-scripts";
    vec![File { path: format!("{dir}/ifcfg-{}", s.bridge), content: br }, File { path: format!("{dir}/ifcfg-{}", s.port()), content: port }]
}

fn netplan(s: &Spec) -> Vec<File> {
    let mut c = format!(
        "# {} becomes a port of {}; the bridge carries the host's address.\nnetwork:\n  version: 2\n  renderer: networkd\n  ethernets:\n    {}:\n      dhcp4: false\n      dhcp6: false\n",
        s.port(),
        s.bridge,
        s.uplink
    );
    if let Some(v) = s.vlan {
        let _ = write!(c, "  vlans:\n    {}:\n      id: {v}\n      link: {}\n      dhcp4: false\n      dhcp6: false\n", s.port(), s.uplink);
    }
    let _ = write!(c, "  bridges:\n    {}:\n      interfaces: [{}]\n", s.bridge, s.port());
    match s.cidr() {
        None => {
            c.push_str("      dhcp4: true\n");
            if let Some(m) = s.metric {
                let _ = write!(c, "      dhcp4-overrides:\n        route-metric: {m}\n");
            }
        }
        Some(cidr) => {
            let _ = write!(c, "      dhcp4: false\n      addresses: [{cidr}]\n");
            if let Some(g) = s.gateway {
                let _ = write!(c, "      routes:\n        - to: default\n          via: {g}\n");
                if let Some(m) = s.metric {
                    let _ = writeln!(c, "          metric: {m}");
                }
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
    let (qb, qu, qport) = (q(&s.bridge), q(&s.port()), q(&format!("{}-port-{}", s.bridge, s.port())));
    let mut add = format!("nmcli connection add type bridge con-name {qb} ifname {qb} bridge.stp {}", if s.stp { "yes" } else { "no" });
    if s.stp {
        // NetworkManager accepts 2-30 only, and the delay only matters with STP
        let _ = write!(add, " bridge.forward-delay {}", s.forward_delay);
    }
    if let Some(m) = &s.mac {
        let _ = write!(add, " bridge.mac-address {m}");
    }
    if let Some(m) = s.metric {
        let _ = write!(add, " ipv4.route-metric {m}");
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
    let port = match s.vlan {
        None => format!("nmcli connection add type bridge-slave con-name {qport} ifname {qu} master {qb}"),
        Some(v) => format!("nmcli connection add type vlan con-name {qport} ifname {qu} vlan.parent {} vlan.id {v} master {qb} slave-type bridge", q(&s.uplink)),
    };
    let c = format!("#!/bin/sh\n# {u} becomes a port of {b}; run from a console, not over {u}.\nset -e\n{add}\n{port}\nnmcli connection up {qb}\n", u = s.port(), b = s.bridge);
    vec![File { path: format!("knet-{}-nmcli.sh", s.bridge), content: c }]
}

fn networkd(s: &Spec) -> Vec<File> {
    let dir = "/etc/systemd/network";
    let mut netdev = format!("[NetDev]\nName={}\nKind=bridge\n", s.bridge);
    if let Some(m) = &s.mac {
        let _ = writeln!(netdev, "MACAddress={m}");
    }
    let _ = write!(netdev, "\n[Bridge]\nSTP={}\nForwardDelaySec={}\n", if s.stp { "yes" } else { "no" }, s.forward_delay);
    let port = format!("[Match]\nName={}\n\n[Network]\nBridge={}\n", s.port(), s.bridge);
    let mut br = format!("[Match]\nName={}\n\n[Network]\n", s.bridge);
    let mut tail = String::new();
    match s.cidr() {
        None => {
            br.push_str("DHCP=ipv4\n");
            if let Some(m) = s.metric {
                let _ = write!(tail, "\n[DHCPv4]\nRouteMetric={m}\n");
            }
        }
        Some(cidr) => {
            let _ = writeln!(br, "Address={cidr}");
            match (s.gateway, s.metric) {
                (Some(g), Some(m)) => {
                    let _ = write!(tail, "\n[Route]\nGateway={g}\nMetric={m}\n");
                }
                (Some(g), None) => {
                    let _ = writeln!(br, "Gateway={g}");
                }
                _ => {}
            }
            for d in &s.dns {
                let _ = writeln!(br, "DNS={d}");
            }
        }
    }
    br.push_str(&tail);
    let mut files = vec![
        File { path: format!("{dir}/60-knet-{}.netdev", s.bridge), content: netdev },
        File { path: format!("{dir}/60-knet-{}-port-{}.network", s.bridge, s.port()), content: port },
        File { path: format!("{dir}/60-knet-{}.network", s.bridge), content: br },
    ];
    if let Some(v) = s.vlan {
        files.push(File { path: format!("{dir}/60-knet-{}.netdev", s.port()), content: format!("[NetDev]\nName={}\nKind=vlan\n\n[VLAN]\nId={v}\n", s.port()) });
    }
    files
}

/// systemd-networkd creates a VLAN from the `.network` of its parent NIC,
/// and uses only the first `.network` that matches a NIC: every VLAN= of a
/// parent goes into one file, the parent's port file when it is itself a
/// bridge port, else a file of its own.
fn networkd_vlan_parents(specs: &[Spec], files: &mut Vec<File>) {
    let dir = "/etc/systemd/network";
    let mut parents: Vec<&str> = specs.iter().filter(|s| s.vlan.is_some()).map(|s| s.uplink.as_str()).collect();
    parents.dedup();
    for parent in parents {
        let vlans: String = specs.iter().filter(|s| s.vlan.is_some() && s.uplink == parent).map(|s| format!("VLAN={}\n", s.port())).collect();
        match specs.iter().find(|s| s.vlan.is_none() && s.uplink == parent) {
            Some(owner) => {
                let path = format!("{dir}/60-knet-{}-port-{}.network", owner.bridge, parent);
                if let Some(f) = files.iter_mut().find(|f| f.path == path) {
                    f.content.push_str(&vlans);
                }
            }
            None => files.push(File { path: format!("{dir}/60-knet-vlan-{parent}.network"), content: format!("[Match]\nName={parent}\n\n[Network]\nLinkLocalAddressing=no\n{vlans}") }),
        }
    }
}

fn join(v: &[Ipv4Addr], sep: &str) -> String {
    v.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
}

fn valid_ifname(n: &str) -> bool {
    // the kernel's dev_valid_name: 1-15 bytes, no '/', ':' or whitespace
    !n.is_empty() && n.len() < 16 && n != "." && n != ".." && !n.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

/// One bridge per --uplink/--bridge pair, with the per-bridge options
/// matched by order; no NIC, port or bridge used twice.
fn specs(args: &Args) -> Result<Vec<Spec>> {
    let n = args.bridge.len();
    if args.uplink.len() != n {
        return Err(Exit::usage(format!("{} --uplink for {n} --bridge: give one --uplink per --bridge, in the same order", args.uplink.len())));
    }
    for (what, count) in [("--metric", args.metric.len()), ("--vlan", args.vlan.len()), ("--address", args.address.len()), ("--gateway", args.gateway.len())] {
        if count != 0 && count != n {
            return Err(Exit::usage(format!("{count} {what} for {n} bridges: give {what} once per bridge (in --bridge order), or not at all")));
        }
    }
    let mut out: Vec<Spec> = Vec::new();
    for i in 0..n {
        let (mut uplink, mut vlan) = (args.uplink[i].clone(), args.vlan.get(i).copied());
        // eth0.10: the VLAN written the way the kernel names it
        if let Some((parent, id)) = uplink.rsplit_once('.').and_then(|(p, id)| Some((p.to_string(), id.parse::<u16>().ok().filter(|v| (1..4095).contains(v))?))) {
            if vlan.is_some() {
                return Err(Exit::usage(format!("--uplink {uplink} already names VLAN {id}: drop its --vlan, or give the NIC itself")));
            }
            (uplink, vlan) = (parent, Some(id));
        }
        let s = spec(args, &uplink, vlan, &args.bridge[i], args.metric.get(i).copied(), args.address.get(i), args.gateway.get(i).copied())?;
        if let Some(o) = out.iter().find(|o| o.bridge == s.bridge || o.port() == s.port() || o.bridge == s.port() || o.port() == s.bridge) {
            let (what, name) = if o.bridge == s.bridge { ("bridge", &s.bridge) } else { ("port", &s.port()) };
            return Err(Exit::usage(format!("{what} {name} is given twice (with bridges {} and {})", o.bridge, s.bridge)));
        }
        if s.port().len() >= 16 {
            return Err(Exit::usage(format!("VLAN interface {} is longer than the kernel's 15 characters", s.port())));
        }
        out.push(s);
    }
    Ok(out)
}

fn spec(args: &Args, uplink: &str, vlan: Option<u16>, bridge: &str, metric: Option<u32>, address: Option<&String>, gateway: Option<Ipv4Addr>) -> Result<Spec> {
    for (what, n) in [("--uplink", uplink), ("--bridge", bridge)] {
        if !valid_ifname(n) {
            return Err(Exit::usage(format!("{what} '{n}' is not a valid interface name (1-15 characters, no '/', ':' or spaces)")));
        }
    }
    if uplink == bridge {
        return Err(Exit::usage("--uplink and --bridge must differ"));
    }
    let address = match address {
        None => None,
        Some(a) => {
            let s: Subnet = a.parse().map_err(Exit::usage)?;
            let ip: Ipv4Addr = a.split('/').next().unwrap_or("").parse().map_err(|_| Exit::usage(format!("'{a}' is not an IPv4 address")))?;
            if ip == s.net || ip == s.broadcast() {
                return Err(Exit::usage(format!("--address {a} is the network or broadcast address of {s}")));
            }
            if let Some(g) = gateway {
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
    // a VLAN sub-interface has its parent's MAC address
    let mac = if args.pin_mac {
        Some(host::mac_of(uplink).with_context(|| format!("--pin-mac: cannot read the MAC address of {uplink}: it does not exist on this host"))?)
    } else {
        None
    };
    Ok(Spec { uplink: uplink.to_string(), vlan, bridge: bridge.to_string(), metric, address, gateway, dns: args.dns.clone(), stp, forward_delay, mac })
}

/// Generate the files for `format`, every bridge's, then the sysctls.
fn generate(specs: &[Spec], format: Format) -> Vec<File> {
    let mut files: Vec<File> = specs
        .iter()
        .flat_map(|s| match format {
            Format::Ifupdown => ifupdown(s),
            Format::Ifcfg => ifcfg(s),
            Format::Netplan => netplan(s),
            Format::Networkmanager => networkmanager(s),
            Format::SystemdNetworkd => networkd(s),
        })
        .collect();
    if format == Format::SystemdNetworkd {
        networkd_vlan_parents(specs, &mut files);
    }
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
    let specs = specs(&args)?;
    for s in &specs {
        name_rules(s)?;
        if !args.for_other_host {
            host_rules(s)?;
        }
        if !args.for_other_host && host::is_wireless(&s.uplink) {
            bail!(
                "{} is a wireless interface: bridging does not work over Wi-Fi (an 802.11 client may only send frames from its own MAC address, so guests' frames are dropped by the access point); use a NAT or routed network (knet net-new NAME --nat|--routed) instead",
                s.uplink
            );
        }
        // a VLAN of the NIC leaves the NIC's own (untagged) traffic alone
        if !args.for_other_host && s.vlan.is_none() && host::default_route_ifaces().contains(&s.uplink) {
            eprintln!(
                "warning: {} carries this host's default route: applying this configuration moves it to {}, which cuts any remote session running over {} until the bridge is up; apply it from a console",
                s.uplink, s.bridge, s.uplink
            );
        }
    }
    if args.apply {
        let mut done: Vec<&Spec> = Vec::new();
        for s in &specs {
            if let Err(e) = apply(s, ctx) {
                // all or nothing: the bridges built before this one go too
                for d in done.iter().rev() {
                    let _ = ip(&["link", "del", &d.bridge]);
                    if d.vlan.is_some() {
                        let _ = ip(&["link", "del", &d.port()]);
                    }
                }
                let undone = done.iter().map(|d| d.bridge.as_str()).collect::<Vec<_>>();
                return Err(if undone.is_empty() { e } else { e.context(format!("bridges {} removed again", undone.join(", "))) });
            }
            done.push(s);
        }
        return Ok(());
    }
    let Some(format) = args.format else { return Err(Exit::usage("--format is required")) };
    let files = generate(&specs, format);
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
    let port = s.port();
    if s.vlan.is_some() && host::iface_exists(&port) {
        bail!("{port} already exists in this namespace");
    }
    if let Some(m) = host::master_of(&port) {
        bail!("{port} is already a port of {m}");
    }
    let old_addrs: Vec<String> = host::output_of("ip", &["-o", "-4", "addr", "show", "dev", &port])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1).map(str::to_string))
        .collect();
    let fd = (s.forward_delay * 100).to_string();
    if let Some(v) = s.vlan {
        ip(&["link", "add", "link", &s.uplink, "name", &port, "type", "vlan", "id", &v.to_string()])?;
    }
    if let Err(e) = ip(&["link", "add", &s.bridge, "type", "bridge", "stp_state", if s.stp { "1" } else { "0" }, "forward_delay", &fd]) {
        if s.vlan.is_some() {
            let _ = ip(&["link", "del", &port]);
        }
        return Err(e);
    }
    let metric = s.metric.map(|m| m.to_string());
    let steps = || -> Result<()> {
        if let Some(m) = &s.mac {
            ip(&["link", "set", &s.bridge, "address", m])?;
        }
        ip(&["link", "set", &port, "master", &s.bridge])?;
        if s.vlan.is_some() {
            ip(&["link", "set", &s.uplink, "up"])?;
        }
        ip(&["link", "set", &port, "up"])?;
        ip(&["link", "set", &s.bridge, "up"])?;
        if let Some(cidr) = s.cidr() {
            ip(&["-4", "addr", "flush", "dev", &port])?;
            let mut add = vec!["addr", "add", &cidr, "dev", &s.bridge];
            if let Some(m) = &metric {
                add.extend(["metric", m.as_str()]);
            }
            ip(&add)?;
            if let Some(g) = s.gateway {
                let g = g.to_string();
                let mut route = vec!["route", "replace", "default", "via", &g, "dev", &s.bridge];
                if let Some(m) = &metric {
                    route.extend(["metric", m.as_str()]);
                }
                ip(&route)?;
            }
        }
        Ok(())
    };
    if let Err(e) = steps() {
        let _ = ip(&["link", "del", &s.bridge]);
        if s.vlan.is_some() {
            let _ = ip(&["link", "del", &port]);
        }
        for a in &old_addrs {
            let _ = ip(&["addr", "replace", a, "dev", &port]);
        }
        return Err(e.context(format!("failed to build bridge {} (rolled back)", s.bridge)));
    }
    if !ctx.quiet() {
        let mut m = format!("Bridge {} created with port {port}\n", s.bridge);
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
