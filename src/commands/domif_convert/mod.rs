//! `knet domif-convert`: move guest NICs between a libvirt network (NAT) and
//! a host bridge, offline, live or by restart, one guest or hundreds.
//!
//! The order of work is what makes it safe to run unattended: plan every
//! guest first (read-only), confirm, write every guest's backup (0600) and
//! sync them to disk once, then per guest: re-read the persistent XML and
//! skip the guest if it changed since the plan, define the edited XML (an
//! atomic replace in libvirt), and only then touch the running guest. So
//! each backup is durable before the define it protects, for one disk flush
//! per run; the backup of a guest left untouched is removed again. A failed
//! live update re-defines the original, so a failure leaves that guest
//! exactly as it was. The XML edit is
//! [`crate::xml::edit::retarget_interface`]: only the NIC's type and source
//! change; every other byte is the guest's own. Over a link the reads and
//! defines run on several connections at once (see `REMOTE_CONNECTIONS`).
//!
//! virt-xml (virtxml.py) is the closest tool: one guest per call, no backup,
//! no concurrent-change check, no bulk. This command never prints before the
//! connection is open (see `Ctx::conn`).
//!
//! Parts: `select` (which guests and NICs), `plan` (read-only: the XML
//! before and after), `checks` (is the target usable, from host.rs's
//! facts), `apply` (one guest: backup, define, live/restart, undo),
//! `losses` (what a moved NIC loses: portgroup, pinned nwfilter address),
//! `report` (tables, diffs, JSON), `fleet` (several hosts). This file
//! is the command: its arguments and the order of work on one host.

mod apply;
mod checks;
mod fleet;
mod losses;
mod plan;
mod report;
mod select;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Result};
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
/// --model MODEL also sets the NIC model (e.g. virtio, the fast paravirtual
/// NIC the guides recommend), with or without a move: alone, it changes the
/// model of the selected network and bridge NICs and nothing else. libvirt
/// cannot change a running guest's NIC model, so a running guest gets it at
/// its next boot (or now with --restart); --live moves the NIC now and leaves
/// the model to the next boot.
///
/// Warned (on stderr, in the confirmation list, the dry run and the result):
/// a NIC leaving a network loses its <source portgroup=...> (and the
/// bandwidth limits or VLAN the portgroup gave), and an nwfilter IP
/// parameter pinning its address on that network then drops its traffic.
///
/// Ctrl-C stops the run between two guests, never inside one: the guests
/// done are converted, the rest untouched and listed as "not started";
/// exit status 130. Running the same command again finishes the job. When
/// the connection is lost (the daemon died or stopped answering within
/// --timeout), the remaining guests are "not started" too, and a summary
/// names the command that finishes the job and the one that undoes it.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("to").required(true).multiple(true).args(["to_bridge", "to_network", "model"])))]
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
    #[arg(long, value_name = "BR", conflicts_with = "to_network", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::bridges()))]
    pub to_bridge: Option<String>,
    /// Put the NICs on this libvirt network
    #[arg(long, value_name = "NET", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub to_network: Option<String>,
    /// Set the NIC model too (e.g. virtio); alone, change only the model
    #[arg(long, value_name = "MODEL", add = clap_complete::engine::ArgValueCandidates::new(|| ["virtio", "e1000e", "e1000", "rtl8139"].into_iter().map(clap_complete::engine::CompletionCandidate::new).collect::<Vec<_>>()))]
    pub model: Option<String>,
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

/// What a run changes on every NIC it picks: where it goes, its model, or
/// both (at least one: clap's group `to` is required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub target: Option<Target>,
    pub model: Option<String>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.target, &self.model) {
            (Some(t), Some(m)) => write!(f, "{t} with model {m}"),
            (Some(t), None) => write!(f, "{t}"),
            (None, Some(m)) => write!(f, "model {m}"),
            (None, None) => write!(f, "nothing"),
        }
    }
}

impl Args {
    pub(super) fn target(&self) -> Option<Target> {
        match (&self.to_bridge, &self.to_network) {
            (Some(b), _) => Some(Target::Bridge(b.clone())),
            (_, Some(n)) => Some(Target::Network(n.clone())),
            _ => None,
        }
    }

    pub(super) fn change(&self) -> Change {
        Change { target: self.target(), model: self.model.clone() }
    }

    pub(super) fn from(&self) -> Option<Target> {
        self.from_network.clone().map(Target::Network).or_else(|| self.from_bridge.clone().map(Target::Bridge))
    }
}

/// The target's name and the model are checked before anything else, even
/// offline: they go into XML and, on the host, the target names an interface.
fn check_target_name(args: &Args) -> Result<()> {
    if let Some(m) = &args.model {
        if !crate::validate::types::MODEL_TYPE.accepts(m) {
            return Err(Exit::usage(format!("--model '{m}': a NIC model name is letters, digits, '-' and '_' (e.g. virtio)")));
        }
    }
    let Some(t) = args.target() else { return Ok(()) };
    edit::check_target_name(t.name()).map_err(|e| Exit::usage(format!("--to-{}: {e}", t.kind())))
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
    let xml = crate::input::read_text(file)?;
    let sel = Selection::nics(args)?;
    let plan = plan::plan_guest(file, xml.clone(), &sel, &args.change(), &|_| None)?;
    if let Some(p) = &plan {
        report::print_warnings(&p.warnings);
    }
    let out = match (&plan, args.dry_run) {
        (Some(p), true) => report::diff(p),
        (Some(p), false) => p.converted.clone(),
        (None, true) => "nothing to convert\n".to_string(),
        (None, false) => xml,
    };
    output::print(&out)?;
    Ok(())
}

/// Connections to a remote host when `--jobs` is not given. Over a link
/// every call waits a round trip, and one connection carries one call at a
/// time: a guest costs three round trips (read, re-read, define), so N
/// connections divide the run by about N. Eight brings a 50-guest run at
/// 20 ms from ~3 s to ~0.5 s, where the fixed part (connecting, the target
/// check, the listing) already weighs as much; more would buy little and
/// would take more of libvirtd's defaults: 20 worker threads shared by
/// every client (`max_workers`) and 20 connections still authenticating
/// (`max_anonymous_clients`). A local daemon answers in microseconds and
/// its defines queue on one disk, so one connection stays the default there
/// (the raw floor of the benchmarks is one connection too).
const REMOTE_CONNECTIONS: usize = 8;

/// Plan, confirm and apply on the context's one host; prints nothing
/// (but the confirmation question, on stderr).
///
/// Plan every guest (read-only, over every connection), confirm, write
/// every backup and sync them once, then per guest re-read, compare and
/// define. Writing all backups before the first define costs one `syncfs`
/// for the run, where syncing per guest would cost a disk flush per guest
/// (and unsynced backups rode along with each of libvirt's own fsyncs).
fn convert(args: &Args, ctx: &Ctx) -> Result<Done> {
    let conn = ctx.conn()?;
    let sel = Selection::of(args)?;
    let change = args.change();
    let uri = conn.uri()?;
    let explicit = ctx.opts.jobs.map(usize::from);
    let mut want = explicit.unwrap_or(if crate::host::is_local_uri(&uri) || crate::host::is_test_uri(&uri) { 1 } else { REMOTE_CONNECTIONS });
    if !args.domains.is_empty() {
        want = want.min(args.domains.len());
    }

    // The other connections open while this one checks the target and
    // lists the guests (over a link, connecting is several round trips).
    let (connector, given, readonly) = (ctx.connector(), ctx.one_uri()?, ctx.opts.readonly);
    let (checked, opened) = std::thread::scope(|s| {
        let openers: Vec<_> = (1..want).map(|_| s.spawn(|| open_extra(connector, given.as_deref(), &uri, explicit.is_some(), readonly))).collect();
        let checked = change.target.as_ref().map_or(Ok(()), |t| checks::check_target(conn, t, args.force)).and_then(|_| Ok(conn.list_domains()?));
        let opened: Vec<Result<Option<Box<dyn Conn>>>> = openers.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a connection thread panicked")))).collect();
        (checked, opened)
    });
    let mut conns = Vec::new();
    let mut failed = None;
    for o in opened {
        match o {
            Ok(c) => conns.extend(c),
            Err(e) => failed = Some(e),
        }
    }
    let infos = match (checked, failed) {
        (Ok(infos), None) => infos,
        (Err(e), _) | (Ok(_), Some(e)) => {
            close(conns);
            return Err(e);
        }
    };
    let names = select::guests(args, &infos);
    // no more connections than guests
    let surplus = conns.split_off(conns.len().min(names.len().saturating_sub(1)));
    close(surplus);
    let info_of = |name: &str| infos.iter().find(|d| d.name == name || d.uuid == name).cloned();
    let lost = AtomicBool::new(false);
    // a failure on a dead connection stops every worker: each later guest
    // would fail the same way, so they are "not started"
    let note_lost = |c: &dyn Conn, failed: bool| {
        if failed && !c.alive() {
            lost.store(true, Ordering::SeqCst);
        }
    };

    // plan: read-only, every connection reading (a guest's report is the
    // result when it cannot be planned, not an error to propagate)
    #[allow(clippy::result_large_err)]
    let (planned, conns) = on_each(conn, conns, true, &lost, names.len(), |c, i| {
        let r = plan::plan_one(c, &names[i], info_of(&names[i]), &sel, &change);
        note_lost(c, r.as_ref().is_err_and(|r| !r.ok()));
        r
    });
    let mut reports: Vec<GuestReport> = Vec::new();
    let mut plans = Vec::new();
    for (i, r) in planned.into_iter().enumerate() {
        match r {
            Some(Ok(p)) => plans.push(p),
            Some(Err(r)) => reports.push(r),
            None => reports.push(GuestReport::new(&info_of(&names[i]).map_or_else(|| names[i].clone(), |d| d.name), Status::NotStarted, Some("connection lost".into()))),
        }
    }
    if lost.load(Ordering::SeqCst) {
        // nothing was changed yet
        close(conns);
        reports.sort_by_key(|r| names.iter().position(|n| info_of(n).map_or_else(|| n.clone(), |d| d.name) == r.guest).unwrap_or(usize::MAX));
        return Ok(Done { reports, nothing_planned: false, preview: None, interrupted: false, lost: true });
    }

    if args.dry_run {
        close(conns);
        if !ctx.json() {
            report::print_warnings(plans.iter().flat_map(|p| &p.warnings));
        }
        return Ok(Done { reports, nothing_planned: plans.is_empty(), preview: Some(plans), interrupted: false, lost: false });
    }
    if ctx.opts.readonly {
        close(conns);
        // checked before any backup is written: no backup for a change that cannot be made
        bail!("the connection is read-only (-r): domif-convert changes guests; nothing was changed (see the changes with --dry-run)");
    }

    if !plans.is_empty() && !args.yes && !report::confirm(&plans, &change)? {
        close(conns);
        eprintln!("Aborted: no guest was changed.");
        return Err(Exit::silent(exit::FAILURE));
    }

    // Ctrl-C from here on only raises a flag, read between two backups and
    // between two guests: a guest is converted (backup, define, live move or
    // restart) or untouched, and no backup is left half-written
    let interrupt = crate::interrupt::Guard::new();
    // every backup written and on disk before the first define
    let mut saved: Vec<Option<Result<String, String>>> = Vec::with_capacity(plans.len());
    for p in &plans {
        if crate::interrupt::requested() {
            saved.push(None);
            continue;
        }
        let record = backup::Record { made_by: "domif-convert".into(), defined: p.converted.clone() };
        saved.push(Some(backup::save(&p.guest, &p.original, &record).map(|b| b.display().to_string()).map_err(|e| format!("{e:#}; not touched"))));
    }
    if saved.iter().any(|s| matches!(s, Some(Ok(_)))) {
        if let Err(e) = backup::sync() {
            close(conns);
            for b in saved.iter().flatten().flatten() {
                backup::discard(std::path::Path::new(b));
            }
            return Err(e.context("no guest was changed: the backups could not be made durable"));
        }
    }

    // apply: every connection, guests in plan order
    let total = plans.len();
    // several hosts at once: one bar per host would garble the terminal
    let bar = if std::io::stderr().is_terminal() && !ctx.quiet() && !ctx.json() && ctx.host().is_none() {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let host_label = ctx.host().map(|h| format!("{h}: ")).unwrap_or_default();
    let (applied, _) = on_each(conn, conns, false, &lost, total, |c, i| {
        let p = &plans[i];
        bar.set_message(p.guest.clone());
        let r = match &saved[i] {
            Some(Ok(b)) => apply::apply(c, p, b, args, &change),
            failed => {
                let mut r = match failed {
                    Some(Err(why)) => GuestReport::new(&p.guest, Status::Failed, Some(why.clone())),
                    _ => GuestReport::new(&p.guest, Status::NotStarted, None),
                };
                r.nics = p.nics.clone();
                r
            }
        };
        bar.inc(1);
        if r.status == Status::Converted {
            crate::interrupt::record(format!("{host_label}guest '{}' converted ({}); backup {}", r.guest, r.applied.as_deref().unwrap_or("config"), r.backup.as_deref().unwrap_or("-")));
        }
        note_lost(c, !r.ok());
        r
    });
    bar.finish_and_clear();
    let interrupted = crate::interrupt::requested();
    let lost = lost.into_inner();
    drop(interrupt);
    for (i, r) in applied.into_iter().enumerate() {
        if let (None, Some(Some(Ok(b)))) = (&r, saved.get(i)) {
            // not started (Ctrl-C, connection lost): its backup records no change
            backup::discard(std::path::Path::new(b));
        }
        reports.push(r.unwrap_or_else(|| {
            let why = (!interrupted).then(|| "connection lost".to_string());
            let mut r = GuestReport::new(&plans[i].guest, Status::NotStarted, why);
            r.nics = plans[i].nics.clone();
            r
        }));
    }
    let order: std::collections::HashMap<String, usize> = names.iter().enumerate().map(|(k, n)| (info_of(n).map_or_else(|| n.clone(), |i| i.name), k)).collect();
    reports.sort_by_key(|r| order.get(&r.guest).copied().unwrap_or(usize::MAX));

    let nothing_planned = reports.iter().all(|r| r.status == Status::NothingToConvert);
    Ok(Done { reports, nothing_planned, preview: None, interrupted, lost })
}

/// One more connection for the workers. With `--jobs` a failure is the
/// command's error; the default connections of a remote run are a speed-up
/// only, so one that cannot open (`None`) is done without, and over ssh they
/// never ask for a password (`no_tty`: ssh's BatchMode): the user answered
/// one prompt for the first connection, not one per connection.
///
/// Each lists the guests once as it opens: the listing keeps every guest's
/// handle, so the reads and defines on it need no lookup call per guest.
fn open_extra(connector: &dyn crate::libvirt::Connector, given: Option<&str>, uri: &str, explicit: bool, readonly: bool) -> Result<Option<Box<dyn Conn>>> {
    let ssh = uri.split("://").next().is_some_and(|scheme| matches!(scheme.split_once('+').map(|(_, t)| t), Some("ssh" | "ext")));
    let c = if explicit {
        connector.open(given, readonly)?
    } else {
        let opened = if ssh {
            let sep = if uri.contains('?') { '&' } else { '?' };
            connector.open(Some(&format!("{uri}{sep}no_tty=1")), readonly)
        } else {
            connector.open(given, readonly)
        };
        match opened {
            Ok(c) => c,
            Err(_) => return Ok(None),
        }
    };
    // a failed listing only costs the lookups it would have saved
    let _ = c.list_domains();
    Ok(Some(c))
}

/// Run `work` for items `0..n` over `conn` and the `extra` connections at
/// once, each pulling the next item; results in item order (`None`: not
/// run, after Ctrl-C or once `stop` is set). The extra connections come
/// back when `keep`; else each is closed by its own thread when done
/// (closing is a round trip too).
#[allow(clippy::type_complexity)]
fn on_each<R: Send>(conn: &dyn Conn, extra: Vec<Box<dyn Conn>>, keep: bool, stop: &AtomicBool, n: usize, work: impl Fn(&dyn Conn, usize) -> R + Sync) -> (Vec<Option<R>>, Vec<Box<dyn Conn>>) {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    let run = |c: &dyn Conn| loop {
        if crate::interrupt::requested() || stop.load(Ordering::SeqCst) {
            break;
        }
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= n {
            break;
        }
        let r = work(c, i);
        done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
    };
    let back = std::thread::scope(|s| {
        let workers: Vec<_> = extra
            .into_iter()
            .map(|c| {
                let run = &run;
                s.spawn(move || {
                    run(c.as_ref());
                    keep.then_some(c)
                })
            })
            .collect();
        run(conn);
        workers.into_iter().filter_map(|w| w.join().ok().flatten()).collect()
    });
    (done.into_inner().unwrap_or_else(|e| e.into_inner()), back)
}

/// Close connections at once (each close is a round trip).
fn close(conns: Vec<Box<dyn Conn>>) {
    std::thread::scope(|s| {
        for c in conns {
            s.spawn(move || drop(c));
        }
    });
}
