//! `knet net-new`: the four network kinds of the KVM networking guides
//! (NAT, isolated, routed, host bridge) as one command, with a free subnet
//! and bridge name chosen for the admin.

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
/// Routed networks need a route on the LAN router towards the subnet, via
/// this host.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("kind").required(true).args(["nat", "isolated", "routed", "bridge"])),
    after_long_help = "Examples:\n  knet net-new lab --nat --autostart --start\n  knet net-new backend --isolated --subnet 10.20.0.0/24 --dhcp-range 10.20.0.100-10.20.0.199\n  knet net-new lan --bridge br0 --print-xml"
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
    /// IPv4 subnet, e.g. 192.168.150.0/24 (default: first free /24)
    #[arg(long, value_name = "CIDR", conflicts_with = "bridge")]
    pub subnet: Option<Subnet>,
    /// DHCP range inside the subnet, e.g. 192.168.150.100-192.168.150.199
    #[arg(long, value_name = "A-B", conflicts_with = "bridge")]
    pub dhcp_range: Option<String>,
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
    bridge: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dhcp_range: Option<(Ipv4Addr, Ipv4Addr)>,
    #[serde(skip)]
    xml: String,
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
        return Ok(Plan { name: args.name.clone(), forward: Some("bridge"), bridge: br.clone(), subnet: None, address: None, dhcp_range: None, xml });
    }
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
        "<network>\n  {name}\n{fwd}  <bridge name='{bridge}' stp='on' delay='0'/>\n  <ip address='{gateway}' netmask='{}'>\n    <dhcp>\n      <range start='{}' end='{}'/>\n    </dhcp>\n  </ip>\n</network>\n",
        subnet.mask(),
        range.0,
        range.1
    );
    Ok(Plan { name: args.name.clone(), forward, bridge, subnet: Some(subnet.to_string()), address: Some(gateway), dhcp_range: Some(range), xml })
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
    if args.print_xml {
        return output::print(&plan.xml).map_err(Into::into);
    }
    conn.define_network(&plan.xml, true).with_context(|| format!("failed to define network '{}'", args.name))?;
    let mut msg = format!("Network {} defined\n", args.name);
    if args.autostart {
        conn.set_network_autostart(&args.name, true).with_context(|| format!("failed to mark network {} as autostarted", args.name))?;
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
        return output::print_json(&plan);
    }
    if !ctx.quiet() {
        output::print(&msg)?;
    }
    Ok(())
}
