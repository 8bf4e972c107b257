//! `knet list`: virsh's `list` (tools/virsh-domain-monitor.c, cmdList):
//! guests with their id and state, the same table byte for byte; with
//! several hosts a `Host` column first (src/fleet.rs).

use anyhow::{Context as _, Result};

use crate::context::Ctx;
use crate::libvirt::{list_flags, state_name, DomainInfo};
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List inactive domains
    #[arg(long)]
    pub inactive: bool,
    /// List inactive and active domains
    #[arg(long)]
    pub all: bool,
    /// List transient domains
    #[arg(long)]
    pub transient: bool,
    /// List persistent domains
    #[arg(long)]
    pub persistent: bool,
    /// List domains with an existing snapshot
    #[arg(long = "with-snapshot")]
    pub with_snapshot: bool,
    /// List domains without a snapshot
    #[arg(long = "without-snapshot")]
    pub without_snapshot: bool,
    /// List domains with an existing checkpoint
    #[arg(long = "with-checkpoint")]
    pub with_checkpoint: bool,
    /// List domains without a checkpoint
    #[arg(long = "without-checkpoint")]
    pub without_checkpoint: bool,
    /// List domains in running state
    #[arg(long = "state-running")]
    pub state_running: bool,
    /// List domains in paused state
    #[arg(long = "state-paused")]
    pub state_paused: bool,
    /// List domains in shutoff state
    #[arg(long = "state-shutoff")]
    pub state_shutoff: bool,
    /// List domains in other states
    #[arg(long = "state-other")]
    pub state_other: bool,
    /// List domains with autostart enabled
    #[arg(long)]
    pub autostart: bool,
    /// List domains with autostart disabled
    #[arg(long = "no-autostart")]
    pub no_autostart: bool,
    /// List domains with a managed save state
    #[arg(long = "with-managed-save")]
    pub with_managed_save: bool,
    /// List domains without a managed save
    #[arg(long = "without-managed-save")]
    pub without_managed_save: bool,
    /// List domain UUIDs only (with --name/--id: "UUID ID NAME")
    #[arg(long)]
    pub uuid: bool,
    /// List domain names only
    #[arg(long)]
    pub name: bool,
    /// List domain IDs only (running domains, unless with --uuid/--name)
    #[arg(long)]
    pub id: bool,
    /// List table (default)
    #[arg(long)]
    pub table: bool,
    /// Show inactive domains with a managed save state as "saved"
    #[arg(long = "managed-save")]
    pub managed_save: bool,
    /// Show the domain title
    #[arg(long)]
    pub title: bool,
}

/// One listed guest.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    info: DomainInfo,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

impl Args {
    /// virsh's filter flags (cmdList): active only by default; --inactive
    /// or --state-shutoff mean inactive only, --all both; the other filters
    /// are added on top and libvirt applies them.
    fn flags(&self) -> u32 {
        use list_flags::*;
        let mut f = ACTIVE;
        if self.inactive || self.state_shutoff {
            f = INACTIVE;
        }
        if self.all {
            f = INACTIVE | ACTIVE;
        }
        for (on, flag) in [
            (self.persistent, PERSISTENT),
            (self.transient, TRANSIENT),
            (self.with_managed_save, MANAGEDSAVE),
            (self.without_managed_save, NO_MANAGEDSAVE),
            (self.autostart, AUTOSTART),
            (self.no_autostart, NO_AUTOSTART),
            (self.with_snapshot, HAS_SNAPSHOT),
            (self.without_snapshot, NO_SNAPSHOT),
            (self.with_checkpoint, HAS_CHECKPOINT),
            (self.without_checkpoint, NO_CHECKPOINT),
            (self.state_running, RUNNING),
            (self.state_paused, PAUSED),
            (self.state_shutoff, SHUTOFF),
            (self.state_other, OTHER),
        ] {
            if on {
                f |= flag;
            }
        }
        f
    }

    /// A table unless only --uuid/--name/--id lines were asked for.
    fn table(&self) -> bool {
        self.table || !(self.uuid || self.name || self.id)
    }
}

fn exclusive(args: &Args) -> Result<()> {
    // virsh's order of checks (VSH_EXCLUSIVE_OPTIONS in cmdList)
    crate::virsh_args::exclusive(&[("table", args.table, "name", args.name), ("table", args.table, "uuid", args.uuid), ("table", args.table, "id", args.id)])
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let work = |h: &Ctx| domains(&args, h);
    if ctx.json() {
        return crate::fleet::json(&ctx.fan_out(work)?, |doms| crate::fleet::values(doms));
    }
    if !args.table() {
        return crate::fleet::lines(ctx, work, |d| d.iter().filter_map(|d| line(&args, d)).collect());
    }
    crate::fleet::stream_table(ctx, work, &headers(&args), |doms| doms.iter().map(row).collect()).map(drop)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let doms = domains(&args, ctx)?;
    if ctx.json() {
        return output::print_json(&doms);
    }
    if !args.table() {
        let mut s: String = doms.iter().filter_map(|d| line(&args, d)).map(|l| l + "\n").collect();
        if !ctx.quiet() {
            s.push('\n');
        }
        return Ok(output::print(&s)?);
    }
    let rows: Vec<Vec<String>> = doms.iter().map(row).collect();
    output::print(&output::table(&headers(&args), &rows, ctx.quiet()))?;
    Ok(())
}

fn headers(args: &Args) -> Vec<&'static str> {
    let mut h = vec!["Id", "Name", "State"];
    if args.title {
        h.push("Title");
    }
    h
}

/// The guests to show, in virsh's order (virshDomainSorter): running ones
/// by id, then the others by name, ignoring ASCII case (vshStrcasecmp).
fn domains(args: &Args, ctx: &Ctx) -> Result<Vec<Listed>> {
    let conn = ctx.conn()?;
    let mut doms = conn.list_domains_where(args.flags()).context("Failed to list domains")?;
    doms.sort_by(|a, b| match (a.id, b.id) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => crate::output::strcasecmp(&a.name, &b.name),
    });
    // lines of names, UUIDs or IDs need no state (JSON always shows it)
    if !args.table() && !ctx.json() {
        return Ok(doms.into_iter().map(|info| Listed { info, state: "", title: None }).collect());
    }
    // every state in one RPC, where virsh asks each domain (virshDomainState);
    // a domain defined between the two calls is asked on its own
    let states = if doms.is_empty() { Default::default() } else { conn.domain_states()? };
    let mut out = Vec::with_capacity(doms.len());
    for info in doms {
        let raw = match states.get(&info.name) {
            Some(s) => *s,
            // gone in the meantime: virsh skips it
            None => match conn.domain_state(&info.name) {
                Ok(s) => s,
                Err(_) => continue,
            },
        };
        let mut state = state_name(raw);
        if args.managed_save && raw == SHUTOFF && conn.has_managed_save(&info.name).unwrap_or(false) {
            state = "saved";
        }
        let title = if args.title { Some(conn.domain_title(&info.name)?) } else { None };
        out.push(Listed { info, state, title });
    }
    Ok(out)
}

/// `virDomainState`'s shut-off value.
const SHUTOFF: u32 = 5;

fn row(d: &Listed) -> Vec<String> {
    let mut r = vec![d.info.id.map_or_else(|| "-".to_string(), |i| i.to_string()), d.info.name.clone(), d.state.to_string()];
    if let Some(t) = &d.title {
        r.push(t.clone());
    }
    r
}

/// One `--uuid`/`--id`/`--name` line (virsh's order: UUID, ID, name);
/// `--id` alone skips inactive domains.
fn line(args: &Args, d: &Listed) -> Option<String> {
    let mut parts = Vec::new();
    if args.uuid {
        parts.push(d.info.uuid.clone());
    }
    if args.id {
        if d.info.id.is_none() && !args.uuid && !args.name {
            return None;
        }
        parts.push(d.info.id.map_or_else(|| "-".to_string(), |i| i.to_string()));
    }
    if args.name {
        parts.push(d.info.name.clone());
    }
    Some(parts.join(" "))
}
