//! `knet domiflist`: virsh's `domiflist` (tools/virsh-domain-monitor.c,
//! cmdDomiflist): one row per `<devices>/<interface>`.

use anyhow::Result;

use crate::context::Ctx;
use crate::guest;
use crate::libvirt::code;
use crate::output;
use crate::xml::edit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Domain name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domain: String,
    /// Show the persistent config (next boot) instead of the running guest
    #[arg(long)]
    pub inactive: bool,
}

#[derive(serde::Serialize)]
struct Row<'a> {
    interface: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    source: Option<&'a str>,
    model: Option<&'a str>,
    mac: Option<&'a str>,
    alias: Option<&'a str>,
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    fleet(&args, ctx)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let xml = guest::domain_xml(conn, &args.domain, args.inactive)?;
    let ifaces = edit::interfaces(&xml)?;
    if ctx.json() {
        return output::print_json(&json_rows(&ifaces));
    }
    let rows: Vec<Vec<String>> = ifaces.iter().map(table_row).collect();
    output::print(&output::table(&HEADERS, &rows, ctx.quiet()))?;
    Ok(())
}

const HEADERS: [&str; 5] = ["Interface", "Type", "Source", "Model", "MAC"];

fn json_rows(ifaces: &[edit::Interface]) -> Vec<Row<'_>> {
    ifaces
        .iter()
        .map(|i| Row {
            interface: i.target.as_deref(),
            kind: &i.kind,
            source: i.source.as_deref(),
            model: i.model.as_deref(),
            mac: i.mac.as_deref(),
            alias: i.alias.as_deref(),
        })
        .collect()
}

fn table_row(i: &edit::Interface) -> Vec<String> {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    vec![dash(&i.target), i.kind.clone(), dash(&i.source), dash(&i.model), dash(&i.mac)]
}

/// Several hosts: the guest's NICs on every host that has it (a guest
/// usually lives on one host of a fleet: the others are no error); an
/// error only when no host has it, or for hosts that could not answer.
fn fleet(args: &Args, ctx: &Ctx) -> Result<()> {
    let results = ctx.fan_out(|h| match h.conn()?.domain_xml(&args.domain, args.inactive) {
        Ok(xml) => Ok(Some(edit::interfaces(&xml)?)),
        Err(e) if e.is(code::NO_DOMAIN) => Ok(None),
        Err(e) => Err(guest::lookup_error(&args.domain, e)),
    })?;
    let found = results.iter().any(|r| r.result.as_ref().is_ok_and(Option::is_some));
    let answered = results.iter().all(|r| r.result.is_ok());
    if !found && answered {
        return Err(anyhow::anyhow!("failed to get domain '{}' on any of the {} hosts", args.domain, results.len()));
    }
    if ctx.json() {
        return crate::fleet::json(&results, |i| crate::fleet::values(json_rows(i.as_deref().unwrap_or_default())));
    }
    crate::fleet::table(ctx, &results, &HEADERS, |i| i.iter().flatten().map(table_row).collect())
}
