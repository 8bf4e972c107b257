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

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use clap::ArgGroup;
use serde::Serialize;

use crate::backup;
use crate::context::{Ctx, HostResult};
use crate::fleet::Outcome;
use crate::exit::Exit;
use crate::guest;
use crate::libvirt::{affect, code, Conn, DomainInfo};
use crate::mac::Mac;
use crate::output;
use crate::xml::edit::{self, Target};

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
/// exit status 130. Running the same command again finishes the job. When
/// the connection is lost (the daemon died or stopped answering within
/// --timeout), the remaining guests are "not started" too, and a summary
/// names the command that finishes the job and the one that undoes it.
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

/// One NIC to move.
#[derive(Debug, Clone, Serialize)]
struct NicChange {
    index: usize,
    mac: Option<String>,
    from: String,
    to: String,
}

/// One guest's planned change.
#[derive(Debug)]
struct Plan {
    guest: String,
    /// Running when planned (re-checked at apply time for --live/--restart).
    active: bool,
    original: String,
    converted: String,
    nics: Vec<NicChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Status {
    Converted,
    NothingToConvert,
    Skipped,
    Failed,
    /// Ctrl-C came before knet got to it: untouched.
    NotStarted,
}

#[derive(Debug, Serialize)]
struct GuestReport {
    guest: String,
    status: Status,
    /// live+config, config, config+restart, config (next boot)
    applied: Option<String>,
    detail: Option<String>,
    backup: Option<String>,
    nics: Vec<NicChange>,
}

impl GuestReport {
    fn new(guest: &str, status: Status, detail: Option<String>) -> Self {
        GuestReport { guest: guest.to_string(), status, applied: None, detail, backup: None, nics: Vec::new() }
    }
    fn ok(&self) -> bool {
        matches!(self.status, Status::Converted | Status::NothingToConvert)
    }
}

fn describe(t: &Target) -> String {
    t.to_string()
}

impl Args {
    fn target(&self) -> Target {
        match (&self.to_bridge, &self.to_network) {
            (Some(b), _) => Target::Bridge(b.clone()),
            (_, Some(n)) => Target::Network(n.clone()),
            _ => unreachable!("clap group 'to' is required"),
        }
    }

    fn from(&self) -> Option<Target> {
        self.from_network.clone().map(Target::Network).or_else(|| self.from_bridge.clone().map(Target::Bridge))
    }
}

/// libvirt's `scheme://host/...`: local when there is no host part.
fn uri_scheme_and_local(uri: &str) -> (String, bool) {
    let (scheme, rest) = uri.split_once("://").unwrap_or((uri, ""));
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let transport_remote = scheme.contains('+') && !scheme.ends_with("+unix");
    (scheme.split('+').next().unwrap_or(scheme).to_string(), host.is_empty() && !transport_remote)
}

fn is_wireless(dev: &str) -> bool {
    let base = std::path::Path::new("/sys/class/net").join(dev);
    base.join("wireless").exists() || base.join("phy80211").exists()
}

/// Refuse targets that cannot work (see the list): a libvirt
/// network's own bridge used as a host bridge, a bridge the host lacks
/// (unless --force), something that is not a bridge, a wireless uplink.
fn check_target(conn: &dyn Conn, target: &Target, force: bool) -> Result<()> {
    match target {
        Target::Network(net) => {
            conn.resolve_network(net).map_err(|e| anyhow::Error::new(e).context(format!("failed to get network '{net}'")))?;
        }
        Target::Bridge(br) => {
            for n in conn.list_networks()? {
                if conn.network_bridge(&n.name)?.as_deref() != Some(br.as_str()) {
                    continue;
                }
                let xml = conn.network_xml(&n.name, false)?;
                let mode = crate::xml::facts::network(&xml).forward;
                // a forward mode='bridge' network merely names a host bridge
                if mode.as_deref() != Some("bridge") {
                    bail!(
                        "'{br}' is the bridge of libvirt network '{}' ({}): guests plugged into it directly bypass libvirt's DHCP and firewall set-up; use --to-network {} or a host bridge",
                        n.name,
                        mode.map_or("isolated".to_string(), |m| format!("forward mode {m}")),
                        n.name
                    );
                }
            }
            let uri = conn.uri()?;
            let (scheme, local) = uri_scheme_and_local(&uri);
            // the test driver has no host: nothing to check against
            if scheme == "test" {
                return Ok(());
            }
            let kind = match conn.host_interface_type(br) {
                Ok(k) => k,
                Err(e) if e.is(code::NO_SUPPORT) && local => {
                    std::path::Path::new("/sys/class/net").join(br).exists().then(|| {
                        if std::path::Path::new("/sys/class/net").join(br).join("bridge").exists() { "bridge" } else { "ethernet" }.to_string()
                    })
                }
                Err(e) if e.is(code::NO_SUPPORT) => return Ok(()),
                Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot check host interface '{br}'"))),
            };
            if local && is_wireless(br) {
                bail!("'{br}' is a wireless interface: Wi-Fi links cannot be bridged (access points drop frames from guest MACs); keep such guests on NAT or use a routed network");
            }
            if local {
                let ports = std::path::Path::new("/sys/class/net").join(br).join("brif");
                if let Ok(rd) = std::fs::read_dir(ports) {
                    for p in rd.flatten() {
                        let port = p.file_name().to_string_lossy().into_owned();
                        if is_wireless(&port) {
                            bail!("bridge '{br}' has the wireless uplink '{port}': Wi-Fi links cannot be bridged (access points drop frames from guest MACs)");
                        }
                    }
                }
            }
            match kind.as_deref() {
                Some("bridge") => {}
                Some(other) if !force => bail!("host interface '{br}' is a {other} interface, not a bridge (use --force to convert anyway)"),
                None if !force => bail!("the host has no bridge '{br}' (create it first, or use --force to convert anyway)"),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Which NICs of this XML to move, and the converted XML.
fn plan_guest(guest: &str, xml: String, args: &Args, target: &Target, mac: Option<Mac>) -> Result<Option<Plan>> {
    let from = args.from();
    let mut converted = xml.clone();
    let mut nics = Vec::new();
    for ifc in edit::interfaces(&xml)? {
        let Some(now) = Target::of(&ifc) else { continue };
        if from.as_ref().is_some_and(|f| f != &now) {
            continue;
        }
        if let Some(m) = mac {
            if ifc.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) != Some(m) {
                continue;
            }
        }
        if &now == target {
            continue;
        }
        converted = edit::retarget_interface(&converted, ifc.index, target)?;
        nics.push(NicChange { index: ifc.index, mac: ifc.mac.clone(), from: describe(&now), to: describe(target) });
    }
    if nics.is_empty() {
        return Ok(None);
    }
    Ok(Some(Plan { guest: guest.to_string(), active: false, original: xml, converted, nics }))
}

/// Read one guest's persistent XML and plan it; a report when there is
/// nothing to do or it cannot be planned (the report is the result, not an
/// error to propagate, hence its size in `Err`).
#[allow(clippy::result_large_err)]
fn plan_one(conn: &dyn Conn, name: &str, info: Option<DomainInfo>, args: &Args, target: &Target, mac: Option<Mac>) -> Result<Plan, GuestReport> {
    // a guest given by UUID is reported and backed up under its name
    let canonical = info.as_ref().map_or_else(|| name.to_string(), |i| i.name.clone());
    let name = canonical.as_str();
    if info.as_ref().is_some_and(|i| !i.persistent) {
        // its "inactive" XML is the live one: defining it would make a
        // transient guest persistent behind the admin's back
        return Err(GuestReport::new(name, Status::Failed, Some("transient guest: no persistent config to convert (use update-device)".into())));
    }
    let xml = guest::domain_xml(conn, name, true).map_err(|e| GuestReport::new(name, Status::Failed, Some(format!("{e:#}"))))?;
    match plan_guest(name, xml, args, target, mac) {
        Ok(Some(mut p)) => {
            p.active = info.is_some_and(|i| i.active);
            Ok(p)
        }
        Ok(None) => Err(GuestReport::new(name, Status::NothingToConvert, None)),
        Err(e) => Err(GuestReport::new(name, Status::Failed, Some(format!("{e:#}")))),
    }
}

/// The live interface element of the NIC with `mac`, retargeted, for
/// update-device; `None` when the running guest lacks that NIC (one added
/// with --config only: it gets the new target at its next boot).
fn live_element(live_xml: &str, mac: &str, target: &Target) -> Result<Option<String>> {
    let want = mac.parse::<Mac>().ok();
    let Some(ifc) = edit::interfaces(live_xml)?.into_iter().find(|i| want.is_some() && i.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) == want) else {
        return Ok(None);
    };
    if Target::of(&ifc).as_ref() == Some(target) {
        return Ok(None);
    }
    let doc = edit::retarget_interface(live_xml, ifc.index, target)?;
    let new = edit::interfaces(&doc)?.into_iter().nth(ifc.index).ok_or_else(|| anyhow!("lost interface {}", ifc.index))?;
    Ok(Some(edit::interface_xml(&doc, &new)))
}

/// Move one running NIC (if the running guest has it).
fn move_live(conn: &dyn Conn, guest: &str, live_xml: &str, mac: &str, target: &Target) -> Result<()> {
    if let Some(el) = live_element(live_xml, mac, target)? {
        conn.update_device(guest, &el, affect::LIVE)?;
    }
    Ok(())
}

fn wait_shutdown(conn: &dyn Conn, guest: &str, timeout: Duration) -> Result<()> {
    match conn.shutdown_domain(guest) {
        // a paused guest cannot act on ACPI: libvirt says "not running"
        Err(e) if e.is(code::OPERATION_INVALID) => return Ok(conn.destroy_domain(guest)?),
        r => r?,
    }
    let start = Instant::now();
    while start.elapsed() < timeout {
        if !conn.domain_is_active(guest)? {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // the classic procedure's last resort: ACPI ignored (no guest OS, hung)
    match conn.destroy_domain(guest) {
        Err(e) if e.is(code::OPERATION_INVALID) => Ok(()),
        r => Ok(r?),
    }
}

/// Apply one plan over `conn`. Never leaves the guest half-changed: every
/// failure after the define puts the original back.
/// With `reread`, the persistent XML is read again first and the guest
/// skipped if it differs from the plan's (the plan was made before a
/// confirmation prompt; without a prompt the plan was read just now).
fn apply(conn: &dyn Conn, plan: &Plan, args: &Args, target: &Target, reread: bool) -> GuestReport {
    let mut rep = GuestReport::new(&plan.guest, Status::Failed, None);
    rep.nics = plan.nics.clone();
    if reread {
        let now = match conn.domain_xml(&plan.guest, true) {
            Ok(x) => x,
            Err(e) => {
                rep.detail = Some(format!("cannot re-read its XML: {e}"));
                return rep;
            }
        };
        if now != plan.original {
            rep.status = Status::Skipped;
            rep.detail = Some("its XML changed since knet read it (someone else edited it); not touched".into());
            return rep;
        }
    }
    match backup::save(&plan.guest, &plan.original, &backup::Record { made_by: "domif-convert".into(), defined: plan.converted.clone() }) {
        Ok(p) => rep.backup = Some(p.display().to_string()),
        Err(e) => {
            rep.detail = Some(format!("{e:#}; not touched"));
            return rep;
        }
    }
    // the running state decides what is done only for --live/--restart;
    // otherwise the planned one labels the result (one RPC less per guest)
    let active = if args.live || args.restart {
        match conn.domain_is_active(&plan.guest) {
            Ok(a) => a,
            Err(e) => {
                rep.detail = Some(format!("{e}; not touched"));
                return rep;
            }
        }
    } else {
        plan.active
    };
    if let Err(e) = conn.define_domain(&plan.converted) {
        // libvirt answered "no": nothing changed, and a backup of an
        // unchanged guest would pass for the state before a change. With
        // the connection gone the define may have happened: keep it.
        if conn.alive() {
            discard(&mut rep);
            rep.detail = Some(format!("define refused: {e}; not touched"));
        } else {
            rep.detail = Some(format!("define failed: {e}; the connection was lost, so the guest is either untouched or converted (the backup is kept)"));
        }
        return rep;
    }
    let restore = |why: String, rep: &mut GuestReport| -> String {
        match conn.define_domain(&plan.original) {
            Ok(_) => {
                discard(rep);
                format!("{why}; persistent config restored")
            }
            Err(e) => format!("{why}; restoring the persistent config ALSO failed ({e}): use domif-rollback"),
        }
    };
    rep.applied = Some(if !active { "config" } else if args.live { "live+config" } else if args.restart { "config+restart" } else { "config (next boot)" }.into());
    if active && args.live {
        let live_xml = match conn.domain_xml(&plan.guest, false) {
            Ok(x) => x,
            Err(e) => {
                rep.detail = Some(restore(format!("cannot read the running guest: {e}"), &mut rep));
                return rep;
            }
        };
        for (k, nic) in plan.nics.iter().enumerate() {
            let mac = nic.mac.clone().unwrap_or_default();
            if let Err(e) = move_live(conn, &plan.guest, &live_xml, &mac, target) {
                // move back the NICs already moved, then the config
                for done in &plan.nics[..k] {
                    if let Some(from) = plan_from_target(done) {
                        let _ = move_back(conn, &plan.guest, done.mac.as_deref().unwrap_or_default(), &from);
                    }
                }
                rep.detail = Some(restore(format!("live update of NIC {mac} refused: {e:#}"), &mut rep));
                return rep;
            }
        }
    } else if active && args.restart {
        let timeout = Duration::from_secs(args.shutdown_timeout);
        // a guest paused before comes back paused: it was stopped on purpose
        let paused = conn.is_paused(&plan.guest).unwrap_or(false);
        if let Err(e) = wait_shutdown(conn, &plan.guest, timeout).and_then(|_| Ok(conn.start_domain(&plan.guest, paused)?)) {
            rep.detail = Some(format!("config converted, but the restart failed: {e:#}"));
            return rep;
        }
    }
    rep.status = Status::Converted;
    rep
}

/// Drop the backup taken for a change that was not made (see [`backup::discard`]).
fn discard(rep: &mut GuestReport) {
    if let Some(b) = rep.backup.take() {
        backup::discard(std::path::Path::new(&b));
    }
}

/// Move a NIC of the running guest back to `from`, reading its current live XML.
fn move_back(conn: &dyn Conn, guest: &str, mac: &str, from: &Target) -> Result<()> {
    let live = conn.domain_xml(guest, false)?;
    move_live(conn, guest, &live, mac, from)
}

fn reports_have_backups(done: &Mutex<Vec<(usize, GuestReport)>>) -> bool {
    done.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|(_, r)| r.backup.is_some())
}

/// The target a NIC came from, to move it back.
fn plan_from_target(n: &NicChange) -> Option<Target> {
    let (kind, name) = n.from.split_once(' ')?;
    match kind {
        "bridge" => Some(Target::Bridge(name.into())),
        "network" => Some(Target::Network(name.into())),
        _ => None,
    }
}

fn confirm(plans: &[Plan], target: &Target) -> Result<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Exit::usage(format!(
            "refusing to convert {} guest(s) without confirmation: no terminal to ask on (pass --yes, or --dry-run to see the changes)",
            plans.len()
        )));
    }
    let mut list = String::new();
    for p in plans {
        for n in &p.nics {
            list.push_str(&format!("  {}  {}  {} -> {}\n", p.guest, n.mac.as_deref().unwrap_or("-"), n.from, n.to));
        }
    }
    eprint!("{list}");
    Ok(dialoguer::Confirm::new()
        .with_prompt(format!("Convert {} guest(s) to {target}?", plans.len()))
        .default(false)
        .interact()?)
}

fn summary(reports: &[GuestReport], quiet: bool) -> String {
    output::table(&["Guest", "MAC", "From", "To", "Applied", "Result"], &summary_rows(reports), quiet)
}

/// One row per NIC (or per guest without one): Guest, MAC, From, To, Applied, Result.
fn summary_rows(reports: &[GuestReport]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in reports {
        let result = match (r.status, &r.detail) {
            (Status::Converted, _) => "converted".to_string(),
            (Status::NothingToConvert, _) => "nothing to convert".to_string(),
            (Status::Skipped, d) => format!("skipped: {}", d.as_deref().unwrap_or("")),
            (Status::Failed, d) => format!("failed: {}", d.as_deref().unwrap_or("")),
            (Status::NotStarted, d) => format!("not started ({})", d.as_deref().unwrap_or("Ctrl-C")),
        };
        let applied = r.applied.clone().filter(|_| r.status == Status::Converted).unwrap_or_else(|| "-".into());
        if r.nics.is_empty() {
            rows.push(vec![r.guest.clone(), "-".into(), "-".into(), "-".into(), applied.clone(), result.clone()]);
        }
        for n in &r.nics {
            rows.push(vec![r.guest.clone(), n.mac.clone().unwrap_or_else(|| "-".into()), n.from.clone(), n.to.clone(), applied.clone(), result.clone()]);
        }
    }
    rows
}

/// `--file`: the same edit on a document, no libvirt involved.
fn run_offline(args: &Args, file: &str) -> Result<()> {
    let xml = crate::input::read_text(file)?;
    let mac = args.mac.as_deref().map(|m| m.parse::<Mac>()).transpose().map_err(|e| Exit::usage(format!("--mac: {e}")))?;
    let plan = plan_guest(file, xml.clone(), args, &args.target(), mac)?;
    let out = match (&plan, args.dry_run) {
        (Some(p), true) => diff(p),
        (Some(p), false) => p.converted.clone(),
        (None, true) => "nothing to convert\n".to_string(),
        (None, false) => xml,
    };
    output::print(&out)?;
    Ok(())
}

fn diff(p: &Plan) -> String {
    let d = similar::TextDiff::from_lines(&p.original, &p.converted);
    let s = d.unified_diff().context_radius(3).header(&format!("{} (persistent config)", p.guest), &format!("{} (converted)", p.guest)).to_string();
    s
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    edit::check_target_name(args.target().name()).map_err(|e| Exit::usage(format!("--to-{}: {e}", args.target().kind())))?;
    if let Some(f) = &args.file {
        return run_offline(&args, f);
    }
    if ctx.fleet()? {
        return fleet(&args, ctx);
    }
    let done = convert(&args, ctx)?;
    render(&done, ctx)
}

/// What [`convert`] did on one host.
struct Done {
    /// Every guest's report, in the order named (or by name with --all).
    reports: Vec<GuestReport>,
    /// With --dry-run: the plans, nothing applied.
    preview: Option<Vec<Plan>>,
    /// No guest needed a change.
    nothing_planned: bool,
    /// Ctrl-C stopped the run between two guests.
    interrupted: bool,
    /// The connection was lost: the guests after it were not started.
    lost: bool,
}

impl Done {
    /// The previewed plans (none when applied).
    fn plans(&self) -> &[Plan] {
        self.preview.as_deref().unwrap_or_default()
    }

    fn ok(&self) -> bool {
        self.reports.iter().all(GuestReport::ok)
    }
}

/// The command's output on one host (virsh-style table, diff or JSON);
/// exit 1 unless every guest is fine.
fn render(done: &Done, ctx: &Ctx) -> Result<()> {
    if let Some(plans) = &done.preview {
        if ctx.json() {
            return output::print_json(&preview_json(plans));
        }
        output::print(&preview_text(plans))?;
    } else if ctx.json() {
        output::print_json(&done.reports)?;
    } else {
        let mut s = summary(&done.reports, ctx.quiet());
        if done.nothing_planned {
            s.push_str("nothing to convert\n");
        }
        output::print(&s)?;
    }
    if done.interrupted {
        eprintln!("{}", interrupted(&done.reports));
        return Err(crate::interrupt::cancelled());
    }
    if done.lost {
        eprintln!("{}", lost_connection(ctx.uris().ok().and_then(|u| u.first()).map(String::as_str), &done.reports));
    }
    if done.ok() {
        Ok(())
    } else {
        Err(Exit::silent(1))
    }
}

/// After Ctrl-C (exit 130): what was done, on one host or all of them.
fn interrupted<'a>(reports: impl IntoIterator<Item = &'a GuestReport> + Clone) -> String {
    let count = |s: Status| reports.clone().into_iter().filter(|r| r.status == s).count();
    format!(
        "Interrupted: {} guest(s) converted, {} not started; run the same command again to finish (converted guests are skipped)",
        count(Status::Converted),
        count(Status::NotStarted)
    )
}

/// After the connection to a host was lost mid-run: what was done, and the
/// commands that finish the job or undo it.
fn lost_connection(uri: Option<&str>, reports: &[GuestReport]) -> String {
    let c = uri.map(|u| format!("-c {} ", shell_words::quote(u))).unwrap_or_default();
    let done: Vec<String> = reports.iter().filter(|r| r.status == Status::Converted).map(|r| shell_words::quote(&r.guest).into_owned()).collect();
    let mut s = format!(
        "Connection to the hypervisor{} lost: {}; once it is back, run the same command again to finish (converted guests are skipped)",
        uri.map(|u| format!(" {u}")).unwrap_or_default(),
        counts(reports)
    );
    if !done.is_empty() {
        s.push_str(&format!(", or undo the conversions with: knet {c}domif-rollback --yes {}", done.join(" ")));
    }
    s
}

/// `--dry-run`: every plan's diff.
fn preview_text(plans: &[Plan]) -> String {
    let mut s: String = plans.iter().map(diff).collect();
    if plans.is_empty() {
        s.push_str("nothing to convert\n");
    }
    s
}

fn preview_json(plans: &[Plan]) -> Vec<serde_json::Value> {
    plans.iter().map(|p| serde_json::json!({"guest": p.guest, "nics": p.nics, "diff": diff(p)})).collect()
}

/// Plan, confirm and apply on the context's one host; prints nothing
/// (but the confirmation question, on stderr).
fn convert(args: &Args, ctx: &Ctx) -> Result<Done> {
    let conn = ctx.conn()?;
    let mac = check_usage(args)?;
    let target = args.target();
    check_target(conn, &target, args.force)?;

    // plan: read-only
    let infos = conn.list_domains()?;
    let names: Vec<String> = if args.domains.is_empty() {
        let mut all: Vec<_> = infos.iter().filter(|d| d.persistent).map(|d| d.name.clone()).collect();
        all.sort();
        all
    } else {
        args.domains.clone()
    };
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
            match plan_one(conn, name, info_of(name), args, &target, mac) {
                Ok(p) => plans.push(p),
                Err(r) => reports.push(r),
            }
        }
    }

    if args.dry_run {
        return Ok(Done { reports, nothing_planned: plans.is_empty(), preview: Some(plans), interrupted: false, lost: false });
    }
    if ctx.opts.readonly {
        // checked before any backup is written: no backup for a change that cannot be made
        bail!("the connection is read-only (-r): domif-convert changes guests; nothing was changed (see the changes with --dry-run)");
    }

    if !plans.is_empty() && !args.yes && !confirm(&plans, &target)? {
        eprintln!("Aborted: no guest was changed.");
        return Err(Exit::silent(1));
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
    let host_label = ctx.host().map(|h| format!("{h}: ")).unwrap_or_default();
    let lost = std::sync::atomic::AtomicBool::new(false);
    let work = |c: &dyn Conn| loop {
        if crate::interrupt::requested() || lost.load(Ordering::SeqCst) {
            break;
        }
        let i = next.fetch_add(1, Ordering::SeqCst);
        let r = if one_pass {
            let Some(name) = names.get(i) else { break };
            bar.set_message(name.clone());
            match plan_one(c, name, info_of(name), args, &target, mac) {
                Ok(p) => apply(c, &p, args, &target, false),
                Err(r) => r,
            }
        } else {
            let Some(p) = plans.get(i) else { break };
            bar.set_message(p.guest.clone());
            apply(c, p, args, &target, true)
        };
        bar.inc(1);
        if r.status == Status::Converted {
            crate::interrupt::record(format!("{host_label}guest '{}' converted ({}); backup {}", r.guest, r.applied.as_deref().unwrap_or("config"), r.backup.as_deref().unwrap_or("-")));
        }
        let failed = !r.ok();
        done.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
        if failed && !c.alive() {
            // every later guest would fail the same way: they are "not started"
            lost.store(true, Ordering::SeqCst);
            break;
        }
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
    if reports_have_backups(&done) {
        if let Err(e) = backup::sync() {
            eprintln!("warning: {e:#}");
        }
    }
    let mut applied = done.into_inner().unwrap_or_else(|e| e.into_inner());
    let interrupted = crate::interrupt::requested();
    let lost = lost.into_inner();
    drop(interrupt);
    if interrupted || lost {
        let started: std::collections::HashSet<usize> = applied.iter().map(|(i, _)| *i).collect();
        for i in (0..total).filter(|i| !started.contains(i)) {
            let guest = if one_pass { info_of(&names[i]).map_or_else(|| names[i].clone(), |d| d.name) } else { plans[i].guest.clone() };
            let why = (!interrupted).then(|| "connection lost".to_string());
            let mut r = GuestReport::new(&guest, Status::NotStarted, why);
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
    Ok(Done { reports, nothing_planned, preview: None, interrupted, lost })
}

/// Usage errors, before any host is touched; the parsed --mac.
fn check_usage(args: &Args) -> Result<Option<Mac>> {
    if args.domains.is_empty() && !args.all && args.from().is_none() {
        return Err(Exit::usage("name the guests to convert, or select them with --all, --from-network or --from-bridge"));
    }
    if !args.domains.is_empty() && args.all {
        return Err(Exit::usage("give guest names or --all, not both"));
    }
    args.mac.as_deref().map(|m| m.parse::<Mac>()).transpose().map_err(|e| Exit::usage(format!("--mac: {e}")))
}

/// Several hosts: the same conversion on every host at once, one
/// connection each. No question is asked (each host has its own plan):
/// --yes is required, --dry-run shows every host's plan. Prints every
/// guest's row with its host, then the per-host summary; exit 0 only when
/// every guest on every host is fine.
fn fleet(args: &Args, ctx: &Ctx) -> Result<()> {
    check_usage(args)?;
    if !args.yes && !args.dry_run {
        return Err(Exit::usage(
            "refusing to convert guests on several hosts without --yes (each host has its own plan: see them with --dry-run)",
        ));
    }
    // one guard over every host's run (theirs nest in it): Ctrl-C stops
    // each host between two guests
    let _interrupt = crate::interrupt::Guard::new();
    let results = ctx.fan_out(|h| convert(args, h))?;
    if args.dry_run {
        return fleet_preview(ctx, &results);
    }
    if !ctx.json() {
        let mut rows = Vec::new();
        for r in &results {
            if let Ok(done) = &r.result {
                for row in summary_rows(&done.reports) {
                    rows.push(std::iter::once(r.host.clone()).chain(row).collect());
                }
            }
        }
        output::print(&output::table(&["Host", "Guest", "MAC", "From", "To", "Applied", "Result"], &rows, ctx.quiet()))?;
    }
    let stopped = crate::interrupt::requested().then(|| interrupted(results.iter().filter_map(|r| r.result.as_ref().ok()).flat_map(|d| &d.reports)));
    let lost: Vec<String> = results.iter().filter_map(|r| r.result.as_ref().ok().filter(|d| d.lost).map(|d| lost_connection(Some(&r.host), &d.reports))).collect();
    let outcomes: Vec<HostResult<Outcome>> = results
        .into_iter()
        .map(|r| HostResult {
            host: r.host,
            reached: r.reached,
            result: r.result.map(|done| Outcome { ok: done.ok(), detail: counts(&done.reports), report: serde_json::to_value(&done.reports).ok() }),
        })
        .collect();
    let summary = crate::fleet::summary(ctx, &outcomes);
    for msg in lost {
        eprintln!("{msg}");
    }
    if let Some(msg) = stopped {
        eprintln!("{msg}");
        return Err(crate::interrupt::cancelled());
    }
    summary
}

/// `--dry-run` on several hosts: each host's diffs under a `# HOST` line
/// (JSON: the hosts' plans, each with its `host`).
fn fleet_preview(ctx: &Ctx, results: &[HostResult<Done>]) -> Result<()> {
    if ctx.json() {
        crate::fleet::json(results, |d| Ok(preview_json(d.plans())))?;
    } else {
        let mut s = String::new();
        for r in results {
            if let Ok(done) = &r.result {
                s.push_str(&format!("# {}\n{}", r.host, preview_text(done.plans())));
            }
        }
        output::print(&s)?;
        crate::fleet::report_failures(results)?;
    }
    let ok = results.iter().all(|r| r.result.as_ref().is_ok_and(Done::ok));
    if ok {
        Ok(())
    } else {
        Err(Exit::silent(1))
    }
}

/// One host's guests in a few words: `3 converted, 1 failed`.
fn counts(reports: &[GuestReport]) -> String {
    let mut parts = Vec::new();
    for (status, label) in [(Status::Converted, "converted"), (Status::NothingToConvert, "nothing to convert"), (Status::Skipped, "skipped"), (Status::Failed, "failed"), (Status::NotStarted, "not started")] {
        let n = reports.iter().filter(|r| r.status == status).count();
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    if parts.is_empty() {
        "no guest selected".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_uris_are_this_host() {
        assert_eq!(uri_scheme_and_local("qemu:///system"), ("qemu".into(), true));
        assert_eq!(uri_scheme_and_local("qemu:///system?socket=/tmp/x/sock"), ("qemu".into(), true));
        assert_eq!(uri_scheme_and_local("qemu+unix:///system"), ("qemu".into(), true));
        assert_eq!(uri_scheme_and_local("qemu+ssh://root@kvm1/system"), ("qemu".into(), false));
        assert_eq!(uri_scheme_and_local("qemu+tcp://127.0.0.1:16509/system"), ("qemu".into(), false));
        assert_eq!(uri_scheme_and_local("test:///default"), ("test".into(), true));
    }

    #[test]
    fn a_moved_nic_knows_where_it_came_from() {
        let n = NicChange { index: 0, mac: None, from: "network default".into(), to: "bridge br0".into() };
        assert_eq!(plan_from_target(&n), Some(Target::Network("default".into())));
    }
}
