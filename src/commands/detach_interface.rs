//! `knet detach-interface`: virsh's `detach-interface` (tools/virsh-domain.c,
//! cmdDetachInterface / virshDomainDetachInterface): same matching, same
//! messages. The element handed to libvirt is the guest's own, byte for byte.

use anyhow::{anyhow, Result};

use crate::context::Ctx;
use crate::guest::{self, AffectArgs};
use crate::libvirt::affect;
use crate::virsh_args;
use crate::output;
use crate::xml::edit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Domain name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domain: String,
    /// Interface type (network, bridge, direct, ...)
    #[arg(value_name = "TYPE")]
    pub kind: String,
    /// MAC address of the interface to detach (needed when several match)
    #[arg(long, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::macs()))]
    pub mac: Option<String>,
    #[command(flatten)]
    pub affect: AffectArgs,
    /// Print the XML that would be detached instead of detaching it
    #[arg(long = "print-xml")]
    pub print_xml: bool,
}

/// libvirt's virMacAddrCompare: the strings equal ignoring case and every
/// '0' that a hex digit follows (no parsing: any text just fails to match).
fn same_mac(p: &str, q: &str) -> bool {
    fn norm(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        for (i, c) in b.iter().enumerate() {
            if *c == b'0' && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
                continue;
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }
    norm(p) == norm(q)
}

/// virsh's virshDomainDetachInterface on one definition: the element to
/// detach, or virsh's reason why there is none.
fn pick(xml: &str, kind: &str, mac: Option<&str>) -> Result<String> {
    let of_type: Vec<_> = edit::interfaces(xml).map_err(|_| anyhow!("Failed to get interface information"))?.into_iter().filter(|i| i.kind == kind).collect();
    if of_type.is_empty() {
        return Err(anyhow!("No interface found whose type is {kind}"));
    }
    let chosen = match mac {
        Some(m) => {
            let hits: Vec<_> = of_type.iter().filter(|i| i.mac.as_deref().is_some_and(|x| same_mac(x, m))).collect();
            match hits.as_slice() {
                [one] => (*one).clone(),
                [] => return Err(anyhow!("No interface with MAC address {m} was found")),
                _ => {
                    return Err(anyhow!(
                        "Domain has multiple interfaces matching MAC address {m}. You must use detach-device and specify the device pci address to remove it."
                    ))
                }
            }
        }
        None if of_type.len() > 1 => return Err(anyhow!("Domain has {} interfaces. Please specify which one to detach using --mac", of_type.len())),
        None => of_type[0].clone(),
    };
    Ok(edit::interface_xml(xml, &chosen))
}

/// An element as libxml2's xmlNodeDump writes it, which is what virsh's
/// `--print-xml` shows (virXMLNodeToString): double-quoted attributes,
/// text kept as it is, childless elements as `<x/>`.
fn libxml_dump(element_xml: &str) -> String {
    fn dump(n: roxmltree::Node, out: &mut String) {
        match n.node_type() {
            roxmltree::NodeType::Element => {
                let name = crate::xml::write::libxml2_open(out, n);
                if !n.has_children() {
                    out.push_str("/>");
                    return;
                }
                out.push('>');
                for c in n.children() {
                    dump(c, out);
                }
                out.push_str("</");
                out.push_str(&name);
                out.push('>');
            }
            roxmltree::NodeType::Text => crate::xml::write::libxml2_text(out, n.text().unwrap_or("")),
            roxmltree::NodeType::Comment => {
                out.push_str("<!--");
                out.push_str(n.text().unwrap_or(""));
                out.push_str("-->");
            }
            _ => {}
        }
    }
    match roxmltree::Document::parse(element_xml) {
        Ok(doc) => {
            let mut out = String::new();
            dump(doc.root_element(), &mut out);
            out
        }
        Err(_) => element_xml.to_string(),
    }
}

/// As virsh (cmdDetachInterface): with --config (or --persistent) the
/// persistent definition's own element is detached from it, then the live
/// definition's own element from the running guest, so a NIC whose two
/// copies differ (another PCI slot, a live-only alias) still goes from both.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let a = &args.affect;
    a.check()?;
    let conn = ctx.conn()?;
    let dom = guest::resolve(conn, &args.domain)?;
    let failed = |e: anyhow::Error| e.context("Failed to detach interface");
    // virsh's own findings first, then its generic line
    // (with --print-xml virsh returns before printing the generic line)
    let not_found = |e: anyhow::Error| if args.print_xml { e } else { anyhow!("Failed to detach interface").context(e.to_string()) };
    let bad_option = |e: anyhow::Error| anyhow!("Failed to detach interface").context(e.to_string());
    virsh_args::non_empty("type", Some(&args.kind)).map_err(bad_option)?;
    virsh_args::non_empty("mac", args.mac.as_deref()).map_err(bad_option)?;
    let mut printed = String::new();
    // the device detached (or shown), for --json
    let mut device = None;
    let affect_config = a.config || a.persistent;
    if affect_config {
        let xml = guest::domain_xml(conn, &dom, true).map_err(failed)?;
        let dev = pick(&xml, &args.kind, args.mac.as_deref()).map_err(not_found)?;
        device.get_or_insert_with(|| dev.clone());
        if args.print_xml {
            printed.push_str(&libxml_dump(&dev));
        } else {
            conn.detach_device(&dom, &dev, affect::CONFIG).map_err(|e| failed(e.into()))?;
        }
    }
    let affect_live = a.live || (a.persistent && conn.domain_is_active(&dom).unwrap_or(false));
    if affect_live || !affect_config {
        let xml = guest::domain_xml(conn, &dom, false).map_err(failed)?;
        let dev = pick(&xml, &args.kind, args.mac.as_deref()).map_err(not_found)?;
        device.get_or_insert_with(|| dev.clone());
        if args.print_xml {
            printed.push_str(&libxml_dump(&dev));
        } else {
            // no flag at all: virsh's flag-less call, a live change in libvirt
            let flags = match (affect_live, a.current) {
                (true, _) => affect::LIVE,
                (false, true) => affect::CURRENT,
                (false, false) => affect::UNFLAGGED,
            };
            conn.detach_device(&dom, &dev, flags).map_err(|e| failed(e.into()))?;
        }
    }
    if ctx.json() {
        // --json: {domain, mac, xml, changed, message}; --print-xml changes nothing
        let mac = device.as_deref().and_then(|d| edit::interfaces(&format!("<domain><devices>{d}</devices></domain>")).ok()).and_then(|i| i.into_iter().next()).and_then(|i| i.mac);
        let (changed, msg) = if args.print_xml { (false, "") } else { (true, "Interface detached successfully") };
        return output::print_change(serde_json::json!({ "domain": dom, "mac": mac, "xml": device }), changed, msg);
    }
    if args.print_xml {
        // virXMLNodeToString ends without a line break: under -q, where
        // virsh drops its blank line after a command, nothing ends the text
        return crate::commands::net_shared::print_then_blank(ctx, &printed);
    }
    if !ctx.quiet() {
        output::print("Interface detached successfully\n\n")?;
    }
    Ok(())
}
