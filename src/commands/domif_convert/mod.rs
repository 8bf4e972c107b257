//! `knet domif-convert`: move guest NICs between a libvirt network (NAT) and
//! a host bridge, offline, live or by restart, one guest or hundreds.
//!
//! The order of work per guest is what makes it safe to run unattended:
//! plan everything first (read-only), confirm, then per guest: re-read the
//! persistent XML and skip the guest if it changed since the plan, save a
//! backup (0600), define the edited XML (an atomic replace in libvirt), and
//! only then touch the running guest. With `--yes` there is no pause between
//! reading and defining, so each guest is read, planned and applied in one
//! go (the read is the one "just before define"). A failed live update re-defines the
//! original, so a failure leaves that guest exactly as it was. The XML edit is
//! [`crate::xml::edit::retarget_interface`]: only the NIC's type and source
//! change; every other byte is the guest's own.
//!
//! virt-xml (virtxml.py) is the closest tool: one guest per call, no backup,
//! no concurrent-change check, no bulk. This command never prints before the
//! connection is open (see `Ctx::conn`).
//!
//! Parts: [`select`] (which guests and NICs), [`plan`] (read-only: the XML
//! before and after), [`checks`] (is the target usable, from host.rs's
//! facts), [`apply`] (one guest: backup, define, live/restart, undo),
//! [`report`] (tables, diffs, JSON), [`fleet`] (several hosts). This file
//! is the command: its arguments and the order of work on one host.

mod apply;
mod checks;
mod fleet;
mod plan;
mod report;
mod select;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, Result};
use clap::ArgGroup;

use crate::backup;
use crate::context::Ctx;
use crate::exit::{self, Exit};
use crate::libvirt::Conn;
use crate::output;
use crate::xml::edit::{self, Target};
use report::{Done, GuestReport, Status};
use select::Selection;

/// Convert guest NICs between a libvirt network and a host bridge.
///
/// Rewrites `<interface type='network'><source network='default'/>` into
/// `<interface type='bridge'><source bridge='br0'/>` (or back, or to another
/// libvirt network), keeping the MAC, model, target, PCI address, boot order
/// and everything else. The persistent config is always changed; --live also
/// moves running guests without downtime, --restart shuts them down (ACPI,
/// then destroy after the timeout) and starts them again. The original XML is
/// saved first under $XDG_STATE_HOME/knet/backups (see domif-rollback).
///
/// Ctrl-C stops the run between two guests, never inside one: the guests
/// done are converted, the rest untouched and listed as "not started";
/// exit status 130. Running the same command again finishes the job.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("to").required(true).args(["to_bridge", "to_network"])))]
pub struct Args {
    /// Guests to convert (name or UUID)
    #[arg(value_name = "DOMAIN", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domains: Vec<String>,
    /// Every defined guest
    #[arg(long)]
    pub all: bool,
    /// Only NICs now on this libvirt network (alone: every guest using it)
    #[arg(long, value_name = "NET", conflicts_with = "from_bridge", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub from_network: Option<String>,
    /// Only NICs now on this host bridge (alone: every guest using it)
    #[arg(long, value_name = "BR", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::bridges()))]
    pub from_bridge: Option<String>,
    /// Only the NIC with this MAC address
    #[arg(long, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::macs()))]
    pub mac: Option<String>,
    /// Put the NICs on this host bridge
    #[arg(long, value_name = "BR", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::bridges()))]
    pub to_bridge: Option<String>,
    /// Put the NICs on this libvirt network
    #[arg(long, value_name = "NET", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub to_network: Option<String>,
    /// Also move running guests now (update-device: the tap moves, no downtime)
    #[arg(long, conflicts_with = "restart")]
    pub live: bool,
    /// Change the persistent config (always done; accepted for virsh habits)
    #[arg(long)]
    pub config: bool,
    /// Restart running guests to apply: ACPI shutdown, destroy after the timeout, start (paused ones paused)
    #[arg(long)]
    pub restart: bool,
    /// Seconds to wait for an ACPI shutdown with --restart before destroying
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub shutdown_timeout: u64,
    /// Print a unified diff per guest and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Convert even to a bridge the host does not have (yet)
    #[arg(long)]
    pub force: bool,
    /// Offline: convert the domain XML in FILE (`-`: stdin) and print the
    /// result (with --dry-run: the diff); no connection, nothing checked
    #[arg(long, value_name = "FILE", conflicts_with_all = ["domains", "all", "live", "restart", "jobs"], value_hint = clap::ValueHint::FilePath)]
    pub file: Option<String>,
}

impl Args {
    pub(super) fn target(&self) -> Target {
        match (&self.to_bridge, &self.to_network) {
            (Some(b), _) => Target::Bridge(b.clone()),
            (_, Some(n)) => Target::Network(n.clone()),
            _ => unreachable!("clap group 'to' is required"),
        }
    }

    pub(super) fn from(&self) -> Option<Target> {
        self.from_network.clone().map(Target::Network).or_else(|| self.from_bridge.clone().map(Target::Bridge))
    }
}

/// The target's name is checked before anything else, even offline: it
/// goes into XML and, on the host, names an interface.
fn check_target_name(args: &Args) -> Result<()> {
    edit::check_target_name(args.target().name()).map_err(|e| Exit::usage(format!("--to-{}: {e}", args.target().kind())))
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    if args.file.is_some() {
        return run(args, ctx);
    }
    check_target_name(&args)?;
    fleet::fleet(&args, ctx)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    check_target_name(&args)?;
    if let Some(f) = &args.file {
        return run_offline(&args, f);
    }
    let done = convert(&args, ctx)?;
    report::render(&done, ctx)
}

/// `--file`: the same edit on a document, no libvirt involved.
fn run_offline(args: &Args, file: &str) -> Result<()> {
    let xml = if file == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow!("cannot read {file}: {e}"))?
    };
    let sel = Selection::nics(args)?;
    let plan = plan::plan_guest(file, xml.clone(), &sel, &args.target())?;
    let out = match (&plan, args.dry_run) {
        (Some(p), true) => report::diff(p),
        (Some(p), false) => p.converted.clone(),
        (None, true) => "nothing to convert\n".to_string(),
        (None, false) => xml,
    };
    output::print(&out)?;
    Ok(())
}

/// Plan, confirm and apply on the context's one host; prints nothing
/// (but the confirmation question, on stderr).
fn convert(args: &Args, ctx: &Ctx) -> Result<Done> {
    let conn = ctx.conn()?;
    let sel = Selection::of(args)?;
    let target = args.target();
    checks::check_target(conn, &target, args.force)?;

    // plan: read-only
    let infos = conn.list_domains()?;
    let names = select::guests(args, &infos);
    let info_of = |name: &str| infos.iter().find(|d| d.name == name || d.uuid == name).cloned();
    let mut reports: Vec<GuestReport> = Vec::new();
    let mut plans = Vec::new();
    // With --yes nothing waits between reading a guest and defining it, so
    // each worker plans and applies guest by guest (one read per guest, and
    // the reads run in parallel with --jobs). Otherwise everything is planned
    // first, shown, confirmed, and re-read before define.
    let one_pass = args.yes && !args.dry_run;
    if !one_pass {
        for name in &names {
            match plan::plan_one(conn, name, info_of(name), &sel, &target) {
                Ok(p) => plans.push(p),
                Err(r) => reports.push(r),
            }
        }
    }

    if args.dry_run {
        return Ok(Done { reports, nothing_planned: plans.is_empty(), preview: Some(plans), interrupted: false });
    }

    if !plans.is_empty() && !args.yes && !report::confirm(&plans, &target)? {
        eprintln!("Aborted: no guest was changed.");
        return Err(Exit::silent(exit::FAILURE));
    }

    // apply: `jobs` workers, each over its own connection, pulling guests in order
    let total = if one_pass { names.len() } else { plans.len() };
    // several hosts at once: one bar per host would garble the terminal
    let bar = if std::io::stderr().is_terminal() && !ctx.quiet() && !ctx.json() && ctx.host().is_none() {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, GuestReport)>> = Mutex::new(Vec::new());
    // Ctrl-C from here on only raises a flag, read between two guests: a
    // guest is converted (backup, define, live move or restart) or untouched
    let interrupt = crate::interrupt::Guard::new();
    let work = |c: &dyn Conn| loop {
        if crate::interrupt::requested() {
            break;
        }
        let i = next.fetch_add(1, Ordering::SeqCst);
        let r = if one_pass {
            let Some(name) = names.get(i) else { break };
            bar.set_message(name.clone());
            match plan::plan_one(c, name, info_of(name), &sel, &target) {
                Ok(p) => apply::apply(c, &p, args, &target, false),
                Err(r) => r,
            }
        } else {
            let Some(p) = plans.get(i) else { break };
            bar.set_message(p.guest.clone());
            apply::apply(c, p, args, &target, true)
        };
        bar.inc(1);
        done.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
    };
    // the global --jobs: parallel connections to this one host
    let jobs = usize::from(ctx.opts.jobs.unwrap_or(1)).min(total.max(1));
    let mut extra = Vec::new();
    for _ in 1..jobs {
        extra.push(ctx.open_conn()?);
    }
    std::thread::scope(|s| {
        for c in extra {
            let work = &work;
            s.spawn(move || work(c.as_ref()));
        }
        work(conn);
    });
    bar.finish_and_clear();
    if apply::reports_have_backups(&done) {
        if let Err(e) = backup::sync() {
            eprintln!("warning: {e:#}");
        }
    }
    let mut applied = done.into_inner().unwrap_or_else(|e| e.into_inner());
    let interrupted = crate::interrupt::requested();
    drop(interrupt);
    if interrupted {
        let started: std::collections::HashSet<usize> = applied.iter().map(|(i, _)| *i).collect();
        for i in (0..total).filter(|i| !started.contains(i)) {
            let guest = if one_pass { info_of(&names[i]).map_or_else(|| names[i].clone(), |d| d.name) } else { plans[i].guest.clone() };
            let mut r = GuestReport::new(&guest, Status::NotStarted, None);
            if !one_pass {
                r.nics = plans[i].nics.clone();
            }
            applied.push((i, r));
        }
    }
    applied.sort_by_key(|(i, _)| *i);
    reports.extend(applied.into_iter().map(|(_, r)| r));
    let order: std::collections::HashMap<String, usize> = names.iter().enumerate().map(|(k, n)| (info_of(n).map_or_else(|| n.clone(), |i| i.name), k)).collect();
    reports.sort_by_key(|r| order.get(&r.guest).copied().unwrap_or(usize::MAX));

    let nothing_planned = reports.iter().all(|r| r.status == Status::NothingToConvert);
    Ok(Done { reports, nothing_planned, preview: None, interrupted })
}
