//! `knet domiflist`: virsh's `domiflist` (tools/virsh-domain-monitor.c,
//! cmdDomiflist): one row per `<devices>/<interface>`.

use anyhow::Result;

use crate::context::Ctx;
use crate::guest;
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

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let xml = guest::domain_xml(conn, &args.domain, args.inactive)?;
    let ifaces = edit::interfaces(&xml)?;
    if ctx.json() {
        let rows: Vec<Row> = ifaces
            .iter()
            .map(|i| Row {
                interface: i.target.as_deref(),
                kind: &i.kind,
                source: i.source.as_deref(),
                model: i.model.as_deref(),
                mac: i.mac.as_deref(),
                alias: i.alias.as_deref(),
            })
            .collect();
        return output::print_json(&rows);
    }
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let rows: Vec<Vec<String>> = ifaces.iter().map(|i| vec![dash(&i.target), i.kind.clone(), dash(&i.source), dash(&i.model), dash(&i.mac)]).collect();
    output::print(&output::table(&["Interface", "Type", "Source", "Model", "MAC"], &rows, ctx.quiet()))?;
    Ok(())
}
