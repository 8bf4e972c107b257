//! `knet list`: virsh's `list` (tools/virsh-domain-monitor.c, cmdList):
//! guests with their id and state, the same table byte for byte; with
//! several hosts a `Host` column first (src/fleet.rs).

use anyhow::{bail, Result};

use crate::context::Ctx;
use crate::libvirt::{state_name, DomainInfo};
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List inactive domains
    #[arg(long)]
    pub inactive: bool,
    /// List inactive and active domains
    #[arg(long)]
    pub all: bool,
    /// List domain names only
    #[arg(long)]
    pub name: bool,
    /// List domain UUIDs only (with --name: "UUID NAME")
    #[arg(long)]
    pub uuid: bool,
    /// List table (default)
    #[arg(long)]
    pub table: bool,
}

/// One listed guest.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    info: DomainInfo,
    state: &'static str,
}

fn exclusive(args: &Args) -> Result<()> {
    // virsh's order of checks (VSH_EXCLUSIVE_OPTIONS in cmdList)
    for (set, other) in [(args.name, "--name"), (args.uuid, "--uuid")] {
        if args.table && set {
            bail!("Options --table and {other} are mutually exclusive");
        }
    }
    Ok(())
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let results = ctx.fan_out(|h| domains(&args, h))?;
    if ctx.json() {
        return crate::fleet::json(&results, |doms| crate::fleet::values(doms));
    }
    if args.name || args.uuid {
        return crate::fleet::lines(ctx, &results, |d| d.iter().map(|d| line(&args, d)).collect());
    }
    crate::fleet::table(ctx, &results, &HEADERS, |doms| doms.iter().map(row).collect())
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let doms = domains(&args, ctx)?;
    if ctx.json() {
        return output::print_json(&doms);
    }
    if args.name || args.uuid {
        let mut s: String = doms.iter().map(|d| line(&args, d) + "\n").collect();
        if !ctx.quiet() {
            s.push('\n');
        }
        return Ok(output::print(&s)?);
    }
    let rows: Vec<Vec<String>> = doms.iter().map(row).collect();
    output::print(&output::table(&HEADERS, &rows, ctx.quiet()))?;
    Ok(())
}

const HEADERS: [&str; 3] = ["Id", "Name", "State"];

/// The guests to show, in virsh's order (virshDomainSorter): running ones
/// by id, then the others by name, ignoring ASCII case.
fn domains(args: &Args, ctx: &Ctx) -> Result<Vec<Listed>> {
    let conn = ctx.conn()?;
    let mut doms: Vec<DomainInfo> = conn
        .list_domains()?
        .into_iter()
        .filter(|d| args.all || if args.inactive { !d.active } else { d.active })
        .collect();
    doms.sort_by_key(|d| (d.id.is_none(), d.id, d.name.to_ascii_lowercase()));
    // every state in one RPC, where virsh asks each domain (virshDomainState);
    // a domain defined between the two calls is asked on its own
    let states = if doms.is_empty() { Default::default() } else { conn.domain_states()? };
    doms.into_iter()
        .map(|info| {
            let raw = match states.get(&info.name) {
                Some(s) => *s,
                None => conn.domain_state(&info.name)?,
            };
            Ok(Listed { info, state: state_name(raw) })
        })
        .collect()
}

fn row(d: &Listed) -> Vec<String> {
    vec![d.info.id.map_or_else(|| "-".to_string(), |i| i.to_string()), d.info.name.clone(), d.state.to_string()]
}

fn line(args: &Args, d: &Listed) -> String {
    match (args.uuid, args.name) {
        (true, true) => format!("{} {}", d.info.uuid, d.info.name),
        (true, false) => d.info.uuid.clone(),
        _ => d.info.name.clone(),
    }
}
