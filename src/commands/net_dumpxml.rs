//! `knet net-dumpxml`: virsh's `net-dumpxml` (cmdNetworkDumpXML), with
//! `--xpath`/`--wrap` evaluated by knet (see `crate::xpath` for the XPath
//! engine and where it departs from virsh).

use anyhow::Result;

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// Print the persistent configuration, not the live one
    #[arg(long)]
    pub inactive: bool,
    /// Print only the nodes selected by this XPath 1.0 expression (a string,
    /// number or boolean result is printed as is; a bad expression fails)
    #[arg(long, value_name = "EXPR")]
    pub xpath: Option<String>,
    /// With --xpath, wrap the selected nodes in one <nodes> element
    /// (without --xpath it does nothing, as in virsh)
    #[arg(long)]
    pub wrap: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    // virsh (vshCommandOptStringQuiet) fails on an empty --xpath and says nothing
    if args.xpath.as_deref() == Some("") {
        return Err(crate::exit::Exit::silent(crate::exit::FAILURE));
    }
    // virsh prints libvirt's own error here, with no "failed to" line
    let xml = ctx.conn()?.network_xml(&name, args.inactive)?;
    let body = match &args.xpath {
        Some(expr) => crate::xpath::select(&xml, expr, args.wrap)?,
        None => xml,
    };
    if ctx.json() {
        return crate::output::print_json(&serde_json::json!({ "network": name, "xml": body }));
    }
    net_shared::print_then_blank(ctx, &body)
}
