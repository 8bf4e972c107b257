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
use crate::virsh_args;
use crate::xml::write::{self, Quote};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Domain name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domain: String,
    /// Interface type: network, bridge, direct, hostdev or vhostuser
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
    /// Mode of a vhostuser socket: server or client
    #[arg(long = "source-mode")]
    pub source_mode: Option<String>,
    #[command(flatten)]
    pub affect: AffectArgs,
    /// Print the XML that would be attached instead of attaching it
    #[arg(long = "print-xml")]
    pub print_xml: bool,
    /// Let libvirt detach the host device from the host and reattach it (hostdev)
    #[arg(long)]
    pub managed: bool,
}

/// One bandwidth direction as virsh's virshParseRateStr reads
/// `average,peak,burst,floor` (empty fields skipped).
#[derive(Debug, Default)]
struct Rate {
    average: u64,
    peak: u64,
    burst: u64,
    floor: u64,
}

impl Rate {
    /// `<inbound average=.../>` with the fields virsh writes (those above 0;
    /// floor only inbound).
    fn element(&self, name: &str, with_floor: bool) -> String {
        let nums = [("average", self.average), ("peak", self.peak), ("burst", self.burst), ("floor", if with_floor { self.floor } else { 0 })].map(|(k, v)| (k, (v > 0).then(|| v.to_string())));
        write::element(name, nums.iter().map(|(k, v)| (*k, v.as_deref())), Quote::Single)
    }
}

fn rate(spec: &str) -> Result<Rate> {
    let parts: Vec<&str> = spec.split(',').collect();
    if parts.len() > 4 {
        return Err(anyhow!("Rate string '{spec}' has too many fields"));
    }
    let mut r = Rate::default();
    for ((name, slot), v) in [("average", &mut r.average), ("peak", &mut r.peak), ("burst", &mut r.burst), ("floor", &mut r.floor)].into_iter().zip(&parts) {
        if !v.is_empty() {
            *slot = virsh_args::str_to_u64(v).ok_or_else(|| anyhow!("field '{name}' is malformed"))?;
        }
    }
    Ok(r)
}

/// libvirt's interface types (virDomainNetType); virsh refuses the ones it
/// cannot build XML for with the same message as an unknown one.
const NET_TYPES: &[&str] = &["user", "ethernet", "vhostuser", "server", "client", "mcast", "network", "bridge", "internal", "direct", "hostdev", "udp", "vdpa", "null", "vds"];

/// The `<interface>` element, children in the order virsh writes them, with
/// virsh's checks in virsh's order (cmdAttachInterface).
fn interface_xml(a: &Args, mac: Option<Mac>) -> Result<String> {
    let no_support = || anyhow!("No support for {} in command 'attach-interface'", a.kind);
    if !NET_TYPES.contains(&a.kind.as_str()) {
        return Err(no_support());
    }
    let source_mode = match a.source_mode.as_deref() {
        None => None,
        Some(m @ ("server" | "client")) => Some(m),
        Some(m) => return Err(anyhow!("Invalid source mode: {m}")),
    };
    let inbound = match &a.inbound {
        Some(spec) => {
            let r = rate(spec)?;
            if r.average == 0 && r.floor == 0 {
                return Err(anyhow!("either inbound average or floor is mandatory"));
            }
            Some(r)
        }
        None => None,
    };
    let outbound = match &a.outbound {
        Some(spec) => {
            let r = rate(spec)?;
            if r.average == 0 {
                return Err(anyhow!("outbound average is mandatory"));
            }
            if r.floor != 0 {
                return Err(anyhow!("outbound floor is unsupported yet"));
            }
            Some(r)
        }
        None => None,
    };
    let src = Some(a.source.as_str());
    let source = match a.kind.as_str() {
        "network" => write::element("source", [("network", src)], Quote::Single),
        "bridge" => write::element("source", [("bridge", src)], Quote::Single),
        "direct" => write::element("source", [("dev", src)], Quote::Single),
        "hostdev" => {
            let addr = pci_address(&a.source).ok_or_else(|| anyhow!("cannot parse pci address '{}' for network interface", a.source))?;
            format!("<source>\n    {addr}\n  </source>")
        }
        "vhostuser" => {
            let mode = source_mode.ok_or_else(|| anyhow!("source-mode is mandatory"))?;
            write::element("source", [("type", Some("unix")), ("path", src), ("mode", Some(mode))], Quote::Single)
        }
        _ => return Err(no_support()),
    };
    let mut x = String::from("<interface");
    write::attr(&mut x, "type", &a.kind, Quote::Single);
    if a.managed {
        write::attr(&mut x, "managed", "yes", Quote::Single);
    }
    x.push_str(&format!(">\n  {source}\n"));
    let mac = mac.map(|m| m.to_string());
    for (el, at, v) in [("target", "dev", a.target.as_deref()), ("mac", "address", mac.as_deref()), ("script", "path", a.script.as_deref()), ("model", "type", a.model.as_deref()), ("alias", "name", a.alias.as_deref())] {
        if v.is_some() {
            x.push_str(&format!("  {}\n", write::element(el, [(at, v)], Quote::Single)));
        }
    }
    if inbound.is_some() || outbound.is_some() {
        x.push_str("  <bandwidth>\n");
        if let Some(r) = &inbound {
            x.push_str(&format!("    {}\n", r.element("inbound", true)));
        }
        if let Some(r) = &outbound {
            x.push_str(&format!("    {}\n", r.element("outbound", false)));
        }
        x.push_str("  </bandwidth>\n");
    }
    x.push_str("</interface>\n");
    Ok(x)
}

/// A hostdev source as virsh's virshAddressParse reads `pci:SOURCE`: four
/// hex numbers (domain, bus, slot, function), each followed by any one
/// separator character; the `<address>` element virsh writes for it.
fn pci_address(s: &str) -> Option<String> {
    let mut rest = s;
    let mut n = [0u32; 4];
    for (i, slot) in n.iter_mut().enumerate() {
        if i > 0 {
            let mut chars = rest.chars();
            chars.next()?;
            rest = chars.as_str();
        }
        let t = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        let t = t.strip_prefix('+').unwrap_or(t);
        let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).filter(|x| x.starts_with(|c: char| c.is_ascii_hexdigit())).unwrap_or(t);
        let len = t.bytes().take_while(u8::is_ascii_hexdigit).count();
        if len == 0 {
            return None;
        }
        *slot = u32::from_str_radix(&t[..len], 16).ok()?;
        rest = &t[len..];
    }
    let [domain, bus, slot, function] = n;
    Some(format!("<address type='pci' domain='0x{domain:04x}' bus='0x{bus:02x}' slot='0x{slot:02x}' function='0x{function:x}'/>"))
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    args.affect.check()?;
    for (name, v) in [
        ("type", Some(&args.kind)),
        ("source", Some(&args.source)),
        ("target", args.target.as_ref()),
        ("mac", args.mac.as_ref()),
        ("script", args.script.as_ref()),
        ("model", args.model.as_ref()),
        ("alias", args.alias.as_ref()),
        ("inbound", args.inbound.as_ref()),
        ("outbound", args.outbound.as_ref()),
        ("source-mode", args.source_mode.as_ref()),
    ] {
        virsh_args::non_empty(name, v.map(String::as_str))?;
    }
    // virsh's own checks of the options come before any libvirt call
    interface_xml(&args, None)?;
    let conn = ctx.conn()?;
    let fail = |e: anyhow::Error| e.context("Failed to attach interface");
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
    // --json: {domain, mac, xml, changed, message}; --print-xml changes nothing
    let report = |domain: &str, changed: bool, msg: &str| output::print_change(serde_json::json!({ "domain": domain, "mac": mac.to_string(), "xml": xml }), changed, msg);
    if args.print_xml {
        if ctx.json() {
            return report(&args.domain, false, "");
        }
        // virsh's blank line after a command is the one -q drops
        return crate::commands::net_shared::print_then_blank(ctx, &xml);
    }
    let dom = guest::resolve(conn, &args.domain)?;
    let flags = args.affect.flags(conn, &dom)?;
    conn.attach_device(&dom, &xml, flags).map_err(|e| fail(e.into()))?;
    if ctx.json() {
        return report(&dom, true, "Interface attached successfully");
    }
    if !ctx.quiet() {
        output::print("Interface attached successfully\n\n")?;
    }
    Ok(())
}
