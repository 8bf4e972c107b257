//! `knet attach-interface`: virsh's `attach-interface` (tools/virsh-domain.c,
//! cmdAttachInterface), same options and XML, plus what virsh lacks: a MAC
//! another defined guest already uses is refused, and without `--mac` a
//! collision-free 52:54:00 MAC is generated (so the printed XML, the live NIC
//! and the persistent one all get the same MAC instead of libvirt picking a
//! different random one per definition).

use anyhow::{anyhow, Result};

use crate::context::Ctx;
use crate::guest::{self, AffectArgs};
use crate::mac::{self, Mac};
use crate::output;
use crate::xml::write::{self, Quote};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Domain name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domain: String,
    /// Interface type: network, bridge or direct
    #[arg(value_name = "TYPE")]
    pub kind: String,
    /// Source: network name (network), host bridge (bridge) or host device (direct)
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::iface_sources()))]
    pub source: String,
    /// Host-side device name (tap) for the NIC
    #[arg(long)]
    pub target: Option<String>,
    /// MAC address (default: a fresh 52:54:00 one no defined guest uses)
    #[arg(long)]
    pub mac: Option<String>,
    /// Script used to bridge the network interface
    #[arg(long)]
    pub script: Option<String>,
    /// NIC model, e.g. virtio
    #[arg(long)]
    pub model: Option<String>,
    /// Custom alias name of the interface device (ua-...)
    #[arg(long)]
    pub alias: Option<String>,
    /// Inbound bandwidth: average,peak,burst[,floor] (KiB/s, KiB)
    #[arg(long)]
    pub inbound: Option<String>,
    /// Outbound bandwidth: average,peak,burst
    #[arg(long)]
    pub outbound: Option<String>,
    /// macvtap mode for type direct (vepa, bridge, private, passthrough)
    #[arg(long = "source-mode")]
    pub source_mode: Option<String>,
    #[command(flatten)]
    pub affect: AffectArgs,
    /// Print the XML that would be attached instead of attaching it
    #[arg(long = "print-xml")]
    pub print_xml: bool,
}

/// `average,peak,burst[,floor]` as virsh's virshParseRateStr reads it.
fn rate(dir: &str, spec: &str, allow_floor: bool) -> Result<String> {
    let parts: Vec<&str> = spec.split(',').collect();
    let names = ["average", "peak", "burst", "floor"];
    let max = if allow_floor { 4 } else { 3 };
    if parts.is_empty() || parts.len() > max || parts[0].is_empty() {
        return Err(anyhow!("inbound rate format is incorrect").context(format!("{dir} rate format is incorrect")));
    }
    let mut s = format!("    <{dir}");
    for (n, v) in names.iter().zip(&parts) {
        if v.is_empty() {
            continue;
        }
        v.parse::<u64>().map_err(|_| anyhow!("{dir} rate format is incorrect"))?;
        write::attr(&mut s, n, v, Quote::Single);
    }
    s.push_str("/>\n");
    Ok(s)
}

/// The `<interface>` element, children in the order virsh writes them.
fn interface_xml(a: &Args, mac: Option<Mac>) -> Result<String> {
    let src = Some(a.source.as_str());
    let source = match a.kind.as_str() {
        "network" => write::element("source", [("network", src)], Quote::Single),
        "bridge" => write::element("source", [("bridge", src)], Quote::Single),
        "direct" => write::element("source", [("dev", src), ("mode", Some(a.source_mode.as_deref().unwrap_or("vepa")))], Quote::Single),
        other => return Err(anyhow!("No support for {other} in command 'attach-interface'")),
    };
    let mut x = String::from("<interface");
    write::attr(&mut x, "type", &a.kind, Quote::Single);
    x.push_str(&format!(">\n  {source}\n"));
    let mac = mac.map(|m| m.to_string());
    for (el, at, v) in [("target", "dev", a.target.as_deref()), ("mac", "address", mac.as_deref()), ("script", "path", a.script.as_deref()), ("model", "type", a.model.as_deref()), ("alias", "name", a.alias.as_deref())] {
        if v.is_some() {
            x.push_str(&format!("  {}\n", write::element(el, [(at, v)], Quote::Single)));
        }
    }
    if a.inbound.is_some() || a.outbound.is_some() {
        x.push_str("  <bandwidth>\n");
        if let Some(i) = &a.inbound {
            x.push_str(&rate("inbound", i, true)?);
        }
        if let Some(o) = &a.outbound {
            x.push_str(&rate("outbound", o, false)?);
        }
        x.push_str("  </bandwidth>\n");
    }
    x.push_str("</interface>\n");
    Ok(x)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let flags = args.affect.flags(conn, &args.domain)?;
    let fail = |e: anyhow::Error| e.context("Failed to attach interface");
    // the domain must exist before anything else is said about it
    conn.resolve_domain(&args.domain).map_err(|e| guest::lookup_error(&args.domain, e))?;
    let used = mac::used_macs(conn, false)?;
    let mac = match &args.mac {
        Some(s) => {
            let m = mac::parse_unicast(s).map_err(|e| fail(anyhow!("XML error: {e}")))?;
            let guests: Vec<String> = used.get(&m).into_iter().flatten().filter(|u| matches!(u, mac::User::Guest(_))).map(|u| u.to_string()).collect();
            if !guests.is_empty() {
                return Err(fail(anyhow!("MAC address {m} is already used by {}; pick another or omit --mac for a free one", guests.join(", "))));
            }
            m
        }
        None => mac::allocate(&used, &mac::Prefix::default(), 1)?[0],
    };
    let xml = interface_xml(&args, Some(mac))?;
    if args.print_xml {
        output::print(&format!("{xml}\n"))?;
        return Ok(());
    }
    conn.attach_device(&args.domain, &xml, flags).map_err(|e| fail(e.into()))?;
    if !ctx.quiet() {
        output::print("Interface attached successfully\n\n")?;
    }
    Ok(())
}
