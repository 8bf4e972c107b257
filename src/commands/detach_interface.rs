//! `knet detach-interface`: virsh's `detach-interface` (tools/virsh-domain.c,
//! cmdDetachInterface / virshDomainDetachInterface): same matching, same
//! messages. The element handed to libvirt is the guest's own, byte for byte.

use anyhow::{anyhow, Result};

use crate::context::Ctx;
use crate::guest::{self, AffectArgs};
use crate::mac::Mac;
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

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let flags = args.affect.flags(conn, &args.domain)?;
    let inactive = args.affect.reads_config(conn, &args.domain, flags)?;
    let xml = guest::domain_xml(conn, &args.domain, inactive)?;
    let fail = |e: anyhow::Error| e.context("Failed to detach interface");
    // virsh prints its own findings first, then the generic line
    let not_found = |msg: String| anyhow!("Failed to detach interface").context(msg);
    let want_mac = match &args.mac {
        Some(m) => Some(m.parse::<Mac>().map_err(|e| fail(anyhow!("XML error: {e}")))?),
        None => None,
    };
    let of_type: Vec<_> = edit::interfaces(&xml)?.into_iter().filter(|i| i.kind == args.kind).collect();
    if of_type.is_empty() {
        return Err(not_found(format!("No interface found whose type is {}", args.kind)));
    }
    let chosen = match want_mac {
        Some(m) => {
            let hits: Vec<_> = of_type.iter().filter(|i| i.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) == Some(m)).collect();
            match hits.as_slice() {
                [one] => (*one).clone(),
                [] => return Err(not_found(format!("No interface with MAC address {} was found", args.mac.as_deref().unwrap_or_default()))),
                _ => return Err(not_found(format!("Multiple interfaces with MAC address {} were found", args.mac.as_deref().unwrap_or_default()))),
            }
        }
        None if of_type.len() > 1 => {
            return Err(not_found(format!("Domain has {} interfaces. Please specify which one to detach using --mac", of_type.len())));
        }
        None => of_type[0].clone(),
    };
    let dev = edit::interface_xml(&xml, &chosen);
    // --json: {domain, mac, xml, changed, message}; --print-xml changes nothing
    let report = |changed: bool, msg: &str| output::print_change(serde_json::json!({ "domain": args.domain, "mac": chosen.mac, "xml": dev }), changed, msg);
    if args.print_xml {
        if ctx.json() {
            return report(false, "");
        }
        output::print(&format!("{dev}\n"))?;
        return Ok(());
    }
    conn.detach_device(&args.domain, &dev, flags).map_err(|e| fail(e.into()))?;
    if ctx.json() {
        return report(true, "Interface detached successfully");
    }
    if !ctx.quiet() {
        output::print("Interface detached successfully\n\n")?;
    }
    Ok(())
}
