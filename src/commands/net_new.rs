//! `knet net-new`: the network kinds of the KVM networking guides (NAT,
//! isolated, routed, host bridge, SR-IOV VF pool, macvtap pool) as one
//! command, with a free subnet and bridge name chosen for the admin, and
//! network boot (PXE) for the kinds that run DHCP.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use anyhow::{bail, Context, Result};

use crate::xml::write;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::xml::facts;
use crate::ipnet::{self, Subnet};
use crate::host;
use crate::libvirt::code;
use crate::output;
use crate::validate::{validate, DocKind};

/// Define a NAT, isolated, routed or host-bridge network in one step
///
/// Builds the network XML the libvirt Networking guides describe, checks it
/// with knet's validator, and defines it (or prints it with --print-xml).
///
/// For --nat, --isolated and --routed, the subnet defaults to the first free
/// 192.168.N.0/24 (N from 100) and the bridge to the first free virbrN: free
/// means used by no network on the connection and, when the hypervisor is this
/// machine, by no host route or interface. The host takes the subnet's first
/// address; DHCP hands out the rest unless --dhcp-range narrows it. A given
/// --subnet that overlaps a network or a host route is refused.
///
/// --bridge BR makes a network of an existing host bridge (forward
/// mode='bridge'): guests then sit on the LAN, and libvirt runs no DHCP or NAT
/// for it. Create the bridge first (see knet bridge-config).
///
/// --hostdev-pf IFACE makes a pool of the SR-IOV virtual functions of IFACE
/// (forward mode='hostdev' managed='yes'): each guest NIC on the network gets
/// a VF of its own, passed through. On this host, a PF with no VFs enabled is
/// refused (enable them first: echo N > /sys/class/net/IFACE/device/sriov_numvfs).
///
/// --macvtap IFACE... makes a pool of host NICs that guests attach to
/// directly with macvtap (forward mode='bridge' with one <interface dev=.../>
/// per NIC). Guests then cannot reach the host itself through it. Wireless
/// NICs (macvtap needs a NIC that accepts several MAC addresses) and bridges
/// (use --bridge) are refused.
///
/// --pxe FILE makes DHCP offer FILE for network boot (<bootp file=.../>).
/// The file comes from this host's TFTP server, rooted at --tftp-root DIR,
/// or from another TFTP server, --next-server IP; one of them is needed.
///
/// Routed networks need a route on the LAN router towards the subnet, via
/// this host.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("kind").required(true).args(["nat", "isolated", "routed", "bridge", "hostdev_pf", "macvtap"])),
    after_long_help = "Examples:\n  knet net-new lab --nat --autostart --start\n  knet net-new backend --isolated --subnet 10.20.0.0/24 --dhcp-range 10.20.0.100-10.20.0.199\n  knet net-new lan --bridge br0 --print-xml\n  knet net-new pxe --isolated --pxe pxelinux.0 --tftp-root /srv/tftp\n  knet net-new vfpool --hostdev-pf eth3\n  knet net-new direct --macvtap eth1 eth2"
)]
pub struct Args {
    /// Name of the new network
    pub name: String,
    /// Guests reach outside through NAT on the host (libvirt's "default" kind)
    #[arg(long)]
    pub nat: bool,
    /// Guests reach each other and the host only
    #[arg(long)]
    pub isolated: bool,
    /// Guests are routed, not NATed (the LAN needs a route back)
    #[arg(long)]
    pub routed: bool,
    /// Use this existing host bridge (guests on the LAN)
    #[arg(long, value_name = "BR", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::bridges()))]
    pub bridge: Option<String>,
    /// Pool of this SR-IOV NIC's virtual functions, one per guest NIC
    #[arg(long, value_name = "IFACE", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::uplinks()))]
    pub hostdev_pf: Option<String>,
    /// Pool of host NICs guests attach to directly (macvtap)
    #[arg(long, value_name = "IFACE", num_args = 1.., add = clap_complete::engine::ArgValueCandidates::new(crate::complete::uplinks()))]
    pub macvtap: Vec<String>,
    /// IPv4 subnet, e.g. 192.168.150.0/24 (default: first free /24)
    #[arg(long, value_name = "CIDR", conflicts_with_all = ["bridge", "hostdev_pf", "macvtap"])]
    pub subnet: Option<Subnet>,
    /// DHCP range inside the subnet, e.g. 192.168.150.100-192.168.150.199
    #[arg(long, value_name = "A-B", conflicts_with_all = ["bridge", "hostdev_pf", "macvtap"])]
    pub dhcp_range: Option<String>,
    /// Network boot: the file DHCP offers (path relative to the TFTP root)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["bridge", "hostdev_pf", "macvtap"])]
    pub pxe: Option<String>,
    /// Serve --pxe's file from this host's TFTP server, rooted here
    #[arg(long, value_name = "DIR", requires = "pxe", value_hint = clap::ValueHint::DirPath)]
    pub tftp_root: Option<String>,
    /// Another TFTP server that serves --pxe's file
    #[arg(long, value_name = "IP", requires = "pxe")]
    pub next_server: Option<Ipv4Addr>,
    /// Start the network when the host boots
    #[arg(long, conflicts_with = "print_xml")]
    pub autostart: bool,
    /// Start the network now
    #[arg(long, conflicts_with = "print_xml")]
    pub start: bool,
    /// Print the XML instead of defining the network
    #[arg(long)]
    pub print_xml: bool,
}

#[derive(Debug, serde::Serialize)]
struct Plan {
    name: String,
    forward: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bridge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dhcp_range: Option<(Ipv4Addr, Ipv4Addr)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pf: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    interfaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pxe: Option<Pxe>,
    #[serde(skip)]
    xml: String,
}

/// Network boot: what DHCP offers and where the file comes from.
#[derive(Debug, serde::Serialize)]
struct Pxe {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tftp_root: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_server: Option<Ipv4Addr>,
}

impl Pxe {
    fn from_args(args: &Args) -> Result<Option<Pxe>> {
        let Some(file) = &args.pxe else { return Ok(None) };
        if file.is_empty() {
            return Err(Exit::usage("--pxe: the boot file name is empty"));
        }
        if args.tftp_root.is_none() && args.next_server.is_none() {
            // libvirt's bootp server defaults to the DHCP server itself,
            // which serves no TFTP without a <tftp root/>: guests would get
            // a file name nobody serves
            return Err(Exit::usage("--pxe needs --tftp-root DIR (this host serves the file) or --next-server IP (another TFTP server does)"));
        }
        if let Some(root) = &args.tftp_root {
            if !root.starts_with('/') {
                return Err(Exit::usage(format!("--tftp-root '{root}': must be an absolute path (dnsmasq runs from another directory)")));
            }
        }
        if let Some(ip) = args.next_server {
            if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
                return Err(Exit::usage(format!("--next-server {ip}: not a host address")));
            }
        }
        Ok(Some(Pxe { file: file.clone(), tftp_root: args.tftp_root.clone(), next_server: args.next_server }))
    }

    /// `<tftp root/>`, before `<dhcp>` (where libvirt writes it).
    fn tftp_xml(&self) -> String {
        self.tftp_root.as_deref().map_or(String::new(), |r| format!("    {}\n", write::element("tftp", [("root", Some(r))], write::Quote::Single)))
    }

    /// `<bootp file server/>`, last in `<dhcp>` (where libvirt writes it).
    fn bootp_xml(&self) -> String {
        let server = self.next_server.map(|s| s.to_string());
        format!("      {}\n", write::element("bootp", [("file", Some(self.file.as_str())), ("server", server.as_deref())], write::Quote::Single))
    }
}

/// Subnets and bridge names already in use, on the connection and the host.
struct Taken {
    subnets: Vec<Subnet>,
    bridges: BTreeSet<String>,
}

fn taken(ctx: &Ctx, local: bool) -> Result<Taken> {
    let conn = ctx.conn()?;
    let mut t = Taken { subnets: Vec::new(), bridges: BTreeSet::new() };
    for n in conn.list_networks().context("failed to list networks")? {
        let f = facts::network(&conn.network_xml(&n.name, false).with_context(|| format!("failed to get network '{}'", n.name))?);
        t.subnets.extend(f.ipv4.iter().map(facts::NetIp::subnet));
        t.bridges.extend(f.bridge);
    }
    if local {
        // the default route (prefix 0) overlaps everything and says nothing
        t.subnets.extend(host::routes4().iter().filter(|r| r.prefix > 0).map(|r| Subnet::new(r.dest, r.prefix)));
        t.bridges.extend(host::interfaces());
    }
    Ok(t)
}

fn parse_range(s: &str, subnet: &Subnet, gateway: Ipv4Addr) -> Result<(Ipv4Addr, Ipv4Addr)> {
    let bad = || Exit::usage(format!("--dhcp-range '{s}': expected START-END, two IPv4 addresses inside {subnet}"));
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let (a, b): (Ipv4Addr, Ipv4Addr) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if !subnet.contains(a) || !subnet.contains(b) {
        return Err(bad());
    }
    if u32::from(a) > u32::from(b) {
        return Err(Exit::usage(format!("--dhcp-range '{s}' is reversed: its start {a} is above its end {b}")));
    }
    for x in [a, b] {
        if x == subnet.net || x == subnet.broadcast() {
            return Err(Exit::usage(format!("--dhcp-range '{s}': {x} is the network or broadcast address of {subnet}")));
        }
    }
    if ipnet::in_range(gateway, (a, b)) {
        return Err(Exit::usage(format!("--dhcp-range '{s}' contains the host's own address {gateway}")));
    }
    Ok((a, b))
}

fn plan(args: &Args, taken: &Taken) -> Result<Plan> {
    let name = write::text("name", &args.name);
    if let Some(br) = &args.bridge {
        let bridge = write::element("bridge", [("name", Some(br.as_str()))], write::Quote::Single);
        let xml = format!("<network>\n  {name}\n  <forward mode='bridge'/>\n  {bridge}\n</network>\n");
        return Ok(Plan { name: args.name.clone(), forward: Some("bridge"), bridge: Some(br.clone()), subnet: None, address: None, dhcp_range: None, pf: None, interfaces: Vec::new(), pxe: None, xml });
    }
    if let Some(pf) = &args.hostdev_pf {
        let pf_el = write::element("pf", [("dev", Some(pf.as_str()))], write::Quote::Single);
        let xml = format!("<network>\n  {name}\n  <forward mode='hostdev' managed='yes'>\n    {pf_el}\n  </forward>\n</network>\n");
        return Ok(Plan { name: args.name.clone(), forward: Some("hostdev"), bridge: None, subnet: None, address: None, dhcp_range: None, pf: Some(pf.clone()), interfaces: Vec::new(), pxe: None, xml });
    }
    if !args.macvtap.is_empty() {
        let mut seen = BTreeSet::new();
        let mut devs = String::new();
        for dev in &args.macvtap {
            if !seen.insert(dev.as_str()) {
                return Err(Exit::usage(format!("--macvtap: {dev} is given twice")));
            }
            devs.push_str(&format!("    {}\n", write::element("interface", [("dev", Some(dev.as_str()))], write::Quote::Single)));
        }
        let xml = format!("<network>\n  {name}\n  <forward mode='bridge'>\n{devs}  </forward>\n</network>\n");
        return Ok(Plan { name: args.name.clone(), forward: Some("bridge"), bridge: None, subnet: None, address: None, dhcp_range: None, pf: None, interfaces: args.macvtap.clone(), pxe: None, xml });
    }
    let pxe = Pxe::from_args(args)?;
    let forward = if args.nat {
        Some("nat")
    } else if args.routed {
        Some("route")
    } else {
        None
    };
    let subnet = match args.subnet {
        Some(s) => {
            if s.prefix > 30 {
                return Err(Exit::usage(format!("--subnet {s}: too small for a host address and guests (at most /30)")));
            }
            if let Some(o) = taken.subnets.iter().find(|t| t.overlaps(&s)) {
                bail!("subnet {s} overlaps {o}, already used by a network or a host route");
            }
            s
        }
        None => (100..=254u8)
            .map(|n| Subnet::new(Ipv4Addr::new(192, 168, n, 0), 24))
            .find(|s| !taken.subnets.iter().any(|t| t.overlaps(s)))
            .context("no free 192.168.N.0/24 subnet left (N 100-254): give one with --subnet")?,
    };
    let bridge = (1..1000).map(|n| format!("virbr{n}")).find(|b| !taken.bridges.contains(b)).context("no free virbrN bridge name")?;
    let gateway = subnet.nth(1);
    let range = match &args.dhcp_range {
        Some(r) => parse_range(r, &subnet, gateway)?,
        None => (subnet.nth(2), Ipv4Addr::from(u32::from(subnet.broadcast()) - 1)),
    };
    let fwd = forward.map_or(String::new(), |m| format!("  <forward mode='{m}'/>\n"));
    let xml = format!(
        "<network>\n  {name}\n{fwd}  <bridge name='{bridge}' stp='on' delay='0'/>\n  <ip address='{gateway}' netmask='{}'>\n{}    <dhcp>\n      <range start='{}' end='{}'/>\n{}    </dhcp>\n  </ip>\n</network>\n",
        subnet.mask(),
        pxe.as_ref().map_or(String::new(), Pxe::tftp_xml),
        range.0,
        range.1,
        pxe.as_ref().map_or(String::new(), Pxe::bootp_xml),
    );
    Ok(Plan { name: args.name.clone(), forward, bridge: Some(bridge), subnet: Some(subnet.to_string()), address: Some(gateway), dhcp_range: Some(range), pf: None, interfaces: Vec::new(), pxe, xml })
}

/// What this host says about the NICs and directories the network names
/// (a remote hypervisor's are not here to look at).
fn local_checks(args: &Args) -> Result<()> {
    if let Some(pf) = &args.hostdev_pf {
        if !host::iface_exists(pf) {
            bail!("--hostdev-pf {pf}: no such interface on this host");
        }
        match host::sriov_numvfs(pf) {
            None => bail!("--hostdev-pf {pf}: not an SR-IOV physical function (no sriov_numvfs in its device)"),
            Some(0) => {
                let total = host::sriov_totalvfs(pf).map_or(String::new(), |t| format!(" (it supports up to {t})"));
                bail!("--hostdev-pf {pf}: no virtual functions enabled{total}; enable some first: echo N > /sys/class/net/{pf}/device/sriov_numvfs");
            }
            Some(_) => {}
        }
    }
    for dev in &args.macvtap {
        if !host::iface_exists(dev) {
            bail!("--macvtap {dev}: no such interface on this host");
        }
        if host::is_wireless(dev) {
            bail!("--macvtap {dev}: a wireless NIC cannot carry macvtap guests (an access point accepts one MAC address per station); use --nat or --routed");
        }
        if host::is_bridge(dev) {
            bail!("--macvtap {dev}: a bridge; attach guests to it with --bridge {dev}");
        }
    }
    if let Some(root) = &args.tftp_root {
        if !host::is_dir(root) {
            eprintln!("warning: {root} is not a directory on this host; the network cannot start until it exists");
        }
    }
    Ok(())
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    match crate::validate::network::name_problem(&args.name) {
        Some((_, msg, help, true)) => return Err(Exit::usage(format!("{msg}{}", help.map_or(String::new(), |h| format!(": {h}"))))),
        Some((_, msg, help, false)) => eprintln!("warning: {msg}{}", help.map_or(String::new(), |h| format!(": {h}"))),
        None => {}
    }
    let conn = ctx.conn()?;
    let local = host::is_local_uri(&conn.uri()?);
    match conn.lookup_network(&args.name) {
        Ok(_) => bail!("network '{}' already exists", args.name),
        Err(e) if e.is(code::NO_NETWORK) => {}
        Err(e) => return Err(anyhow::Error::new(e).context(format!("failed to look up network '{}'", args.name))),
    }
    if local {
        local_checks(&args)?;
    }
    let plan = plan(&args, &taken(ctx, local)?)?;
    let report = validate(&plan.xml, "net-new", Some(DocKind::Network));
    if report.has_errors() {
        bail!("knet built invalid network XML (a bug, please report it):\n{}{}", report.render(), plan.xml);
    }
    if let (Some(br), true) = (&args.bridge, local) {
        if !host::is_bridge(br) {
            eprintln!("warning: {br} is not a bridge on this host yet; guests on '{}' cannot start until it exists (see knet bridge-config)", args.name);
        }
    }
    // --json: the plan (name, forward, bridge, subnet, address, dhcp_range)
    // plus xml, changed and message; --print-xml defines nothing
    let report = |changed: bool, msg: &str| {
        let mut v = serde_json::to_value(&plan)?;
        v["xml"] = plan.xml.clone().into();
        output::print_change(v, changed, msg)
    };
    if args.print_xml {
        if ctx.json() {
            return report(false, "");
        }
        return output::print(&plan.xml).map_err(Into::into);
    }
    conn.define_network(&plan.xml, true).with_context(|| format!("failed to define network '{}'", args.name))?;
    let mut msg = format!("Network {} defined\n", args.name);
    if args.autostart {
        if let Err(e) = conn.set_network_autostart(&args.name, true) {
            // what was done is said before what failed
            if !ctx.quiet() {
                output::print(&msg)?;
            }
            return Err(anyhow::Error::new(e).context(format!("failed to mark network {} as autostarted (it stays defined)", args.name)));
        }
        msg.push_str(&format!("Network {} marked as autostarted\n", args.name));
    }
    if args.start {
        if let Err(e) = conn.start_network(&args.name) {
            if !ctx.quiet() {
                output::print(&msg)?;
            }
            return Err(anyhow::Error::new(e).context(format!("failed to start network {} (it stays defined)", args.name)));
        }
        msg.push_str(&format!("Network {} started\n", args.name));
    }
    if ctx.json() {
        return report(true, &msg.trim_end().replace('\n', "; "));
    }
    if !ctx.quiet() {
        output::print(&msg)?;
    }
    Ok(())
}
