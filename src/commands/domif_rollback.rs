//! `knet domif-rollback`: put back the XML a guest had before
//! `domif-convert` changed it (the backups of [`crate::backup`]).
//!
//! Restoring a backup overwrites the guest's persistent config, so it is
//! only done when that config is still what knet defined (the backups'
//! records): a change made since (more memory, a new NIC) makes rollback
//! refuse, show what changed and name `--force`. Whatever a rollback
//! overwrites is backed up first, so a rollback can be rolled back (`--to`
//! that backup). Without `--to`, the target is the newest backup taken by
//! domif-convert, so running the same rollback again finishes what a
//! failure left undone (the running NICs) and never undoes the rollback.
//!
//! Never touches a guest before its checks passed, and never leaves one
//! half-restored: the config define is atomic in libvirt, and a live NIC
//! that could not be moved back is reported with the command that finishes.

use std::io::IsTerminal;

use anyhow::{anyhow, Context, Result};

use crate::backup;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::guest;
use crate::libvirt::{affect, Conn};
use crate::mac::Mac;
use crate::output;
use crate::xml::edit::{self, Target};
use crate::xml::interface::Domain;

/// Restore a guest's persistent XML from a domif-convert backup.
///
/// Without --to the newest backup domif-convert took of each guest is used.
/// The guest's config must still be what knet defined: if it was changed
/// since (by virsh edit, virt-manager, ...), rollback refuses, shows what
/// changed, and restores only with --force. The config a rollback overwrites
/// is backed up first (--list shows it; restore it with --to). With --live,
/// NICs of a running guest are also moved back to where the backup has them.
/// On a terminal, rollback asks before changing anything (--yes: don't).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Guests to restore
    #[arg(value_name = "DOMAIN", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domains: Vec<String>,
    /// Every guest that has a backup
    #[arg(long, conflicts_with = "domains")]
    pub all: bool,
    /// Only guests with a NIC now on this host bridge (alone: every such guest with a backup)
    #[arg(long, value_name = "BR", conflicts_with = "from_network", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::bridges()))]
    pub from_bridge: Option<String>,
    /// Only guests with a NIC now on this libvirt network (alone: every such guest with a backup)
    #[arg(long, value_name = "NET", add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub from_network: Option<String>,
    /// Backup to restore: a file name in the guest's backup directory, or a path to one of its files (nothing outside it)
    #[arg(long, value_name = "BACKUP")]
    pub to: Option<String>,
    /// Also move the running guest's NICs back (update-device)
    #[arg(long)]
    pub live: bool,
    /// Restore even though the guest was changed since knet defined it (the changed config is backed up first)
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// List the guest's backups (oldest first) instead of restoring
    #[arg(long)]
    pub list: bool,
}

impl Args {
    fn from(&self) -> Option<Target> {
        self.from_network.clone().map(Target::Network).or_else(|| self.from_bridge.clone().map(Target::Bridge))
    }

    /// Guests chosen by a selection rather than by name.
    fn selects(&self) -> bool {
        self.all || self.from().is_some()
    }
}

/// One guest, checked and ready to restore.
struct Plan {
    guest: String,
    backup: std::path::PathBuf,
    /// The backup's XML: what is defined.
    xml: String,
    /// The guest's persistent XML when checked.
    current: String,
    active: bool,
}

/// What happened to one guest.
enum Outcome {
    /// The backup's path, and whether anything changed (a guest whose config
    /// and running NICs already are the backup's is left alone).
    Restored(String, bool),
    /// Config restored (or already), the running guest not.
    LiveFailed(String),
    Failed(anyhow::Error),
}

/// Check one guest: the backup to restore and whether the guest's config is
/// still what knet defined. Reads only.
fn check(conn: &dyn Conn, dom: &str, args: &Args) -> Result<Plan> {
    let info = conn.lookup_domain(dom).map_err(|e| guest::lookup_error(dom, e))?;
    let uuid = info.uuid.to_ascii_lowercase();
    let path = match &args.to {
        Some(_) => backup::resolve(dom, &uuid, args.to.as_deref())?,
        None => backup::newest(dom, &uuid, |r| r.map_or(true, |r| r.made_by != "domif-rollback"))?,
    };
    let xml = crate::input::read_text(&path.to_string_lossy()).with_context(|| format!("cannot read backup {}", path.display()))?;
    let doc = crate::xml::parse(&xml).map_err(|e| anyhow!(e.describe(&xml))).with_context(|| format!("backup {} is not valid XML", path.display()))?;
    let name = Domain::read(doc.root_element()).name.map_or("", |n| n.text);
    if name != dom {
        return Err(anyhow!("backup {} is of guest '{name}', not '{dom}'", path.display()));
    }
    let current = guest::domain_xml(conn, dom, true)?;
    if !args.force && !same_xml(&current, &xml) {
        // what knet itself defined last: anything else is someone's later work
        let latest = backup::newest(dom, &uuid, |_| true)?;
        // the state before that last change counts too: it is where a
        // change that never reached libvirt (the connection died) left it
        let before_latest = || crate::input::read_text(&latest.to_string_lossy()).is_ok_and(|b| same_xml(&b, &current));
        match backup::record_of(&latest) {
            Some(r) if same_xml(&r.defined, &current) || before_latest() => {}
            Some(r) => {
                return Err(anyhow!(
                    "guest '{dom}' was changed after knet defined it ({}), and restoring {} would discard that:\n{}\
                     nothing was changed; to restore anyway, rerun with --force (the current config is backed up first)",
                    latest.display(),
                    path.display(),
                    changes(&r.defined, &current)
                ))
            }
            None => {
                return Err(anyhow!(
                    "backup {} has no record of what knet defined after it (taken by hand or by an older knet), so knet cannot tell whether guest '{dom}' was changed since; nothing was changed; compare it with `virsh dumpxml --inactive {dom}` and rerun with --force",
                    latest.display()
                ))
            }
        }
    }
    Ok(Plan { guest: dom.to_string(), backup: path, xml, current, active: info.active })
}

/// Restore one checked guest: back up what is overwritten, define, move the
/// running NICs (--live). The config is re-read first: a change between
/// the check (and the question) and now is not overwritten.
fn restore(conn: &dyn Conn, plan: &Plan, args: &Args) -> Outcome {
    let dom = plan.guest.as_str();
    let shown = plan.backup.display().to_string();
    let mut changed = !same_xml(&plan.current, &plan.xml);
    if changed {
        match guest::domain_xml(conn, dom, true) {
            Ok(now) if now == plan.current => {}
            Ok(_) => return Outcome::Failed(anyhow!("guest '{dom}' was changed since knet checked it; nothing was changed, run the command again")),
            Err(e) => return Outcome::Failed(e),
        }
        let saved = match backup::save(dom, &plan.current, &backup::Record { made_by: "domif-rollback".into(), defined: plan.xml.clone() }) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e.context(format!("cannot back up guest '{dom}''s current config; nothing was changed"))),
        };
        if let Err(e) = conn.define_domain(&plan.xml) {
            if conn.alive() {
                // libvirt answered "no": nothing was overwritten. With the
                // connection gone the define may have happened: keep the copy.
                backup::discard(&saved);
            }
            return Outcome::Failed(anyhow::Error::new(e).context(format!("cannot restore guest '{dom}' from {shown}")));
        }
    }
    if args.live && plan.active {
        match move_live(conn, dom, &plan.xml) {
            Ok(moved) => changed |= moved > 0,
            Err(e) => return Outcome::LiveFailed(format!("{e:#}")),
        }
    }
    Outcome::Restored(shown, changed)
}

/// Move the running guest's NICs to where `xml` (the restored config) has
/// them; how many moved.
fn move_live(conn: &dyn Conn, dom: &str, xml: &str) -> Result<usize> {
    let live = guest::domain_xml(conn, dom, false)?;
    let live_ifaces = edit::interfaces(&live)?;
    let mut moved = 0;
    for want in edit::interfaces(xml)? {
        let Some(target) = Target::of(&want) else { continue };
        let m = want.mac.as_deref().and_then(|x| x.parse::<Mac>().ok());
        let Some(now) = live_ifaces.iter().find(|i| m.is_some() && i.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) == m) else { continue };
        if Target::of(now).as_ref() == Some(&target) {
            continue;
        }
        let doc = edit::retarget_interface(&live, now.index, &target)?;
        let el = edit::interface_xml(&doc, &edit::interfaces(&doc)?[now.index]);
        conn.update_device(dom, &el, affect::LIVE).map_err(|e| anyhow::Error::new(e).context(format!("moving the running NIC {} back failed", want.mac.as_deref().unwrap_or("-"))))?;
        moved += 1;
    }
    Ok(moved)
}

/// Two domain XML texts with the same content: the same elements,
/// attributes (in any order) and text, whitespace between elements aside.
/// libvirt may format what knet defined differently from knet's text.
fn same_xml(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Ok(da), Ok(db)) = (crate::xml::parse(a), crate::xml::parse(b)) else { return false };
    same_node(da.root_element(), db.root_element())
}

fn same_node(a: roxmltree::Node, b: roxmltree::Node) -> bool {
    if a.tag_name() != b.tag_name() {
        return false;
    }
    let attrs = |n: roxmltree::Node| {
        let mut v: Vec<(String, String)> = n.attributes().map(|x| (x.name().to_string(), x.value().to_string())).collect();
        v.sort();
        v
    };
    if attrs(a) != attrs(b) {
        return false;
    }
    let (ka, kb) = (content(a), content(b));
    ka.len() == kb.len()
        && ka.iter().zip(&kb).all(|(x, y)| match (x.is_element(), y.is_element()) {
            (true, true) => same_node(*x, *y),
            (false, false) => x.text().map(str::trim) == y.text().map(str::trim),
            _ => false,
        })
}

/// Child elements and non-blank text of `n`.
fn content<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element() || (c.is_text() && !c.text().unwrap_or("").trim().is_empty())).collect()
}

/// What changed from `was` to `now`, as a few diff lines (at most 12).
fn changes(was: &str, now: &str) -> String {
    const SHOWN: usize = 12;
    let d = similar::TextDiff::from_lines(was, now);
    let lines: Vec<String> = d
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| format!("  {}{}", if c.tag() == similar::ChangeTag::Delete { "- " } else { "+ " }, c.value().trim()))
        .collect();
    let mut s: String = lines.iter().take(SHOWN).map(|l| format!("{l}\n")).collect();
    if lines.len() > SHOWN {
        s.push_str(&format!("  ... and {} more changed line(s)\n", lines.len() - SHOWN));
    }
    if lines.is_empty() {
        s.push_str("  (formatting only)\n");
    }
    s
}

/// The guests to work on: those named, or the selection's (guests with a
/// backup; with --from-*, only those with a NIC there now).
fn selected(conn: &dyn Conn, args: &Args) -> Result<Vec<String>> {
    if !args.selects() {
        return Ok(args.domains.clone());
    }
    let mut names: Vec<String> = conn.list_domains()?.into_iter().filter(|d| d.persistent).map(|d| d.name).collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        if backup::list(&n)?.is_empty() {
            continue;
        }
        if let Some(from) = args.from() {
            let xml = guest::domain_xml(conn, &n, true)?;
            if !edit::interfaces(&xml)?.iter().any(|i| Target::of(i).as_ref() == Some(&from)) {
                continue;
            }
        }
        if args.domains.is_empty() || args.domains.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

fn check_usage(args: &Args) -> Result<()> {
    if args.domains.is_empty() && !args.selects() {
        return Err(Exit::usage("name the guests to restore, or select them with --all, --from-bridge or --from-network"));
    }
    if args.to.is_some() && (args.domains.len() != 1 || args.selects()) {
        return Err(Exit::usage("--to names one backup: give a single guest with it"));
    }
    Ok(())
}

/// Ask on a terminal; without one, a selection needs --yes (as
/// domif-convert), while guests given by name are restored (as virsh define).
fn confirm(plans: &[Plan], args: &Args) -> Result<bool> {
    if args.yes || plans.is_empty() {
        return Ok(true);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        if args.selects() {
            return Err(Exit::usage(format!("refusing to restore {} guest(s) chosen by a selection without confirmation: no terminal to ask on (pass --yes)", plans.len())));
        }
        return Ok(true);
    }
    for p in plans {
        eprintln!("  {}  <- {}", output::escape(&p.guest), output::escape(&p.backup.display().to_string()));
    }
    Ok(dialoguer::Confirm::new().with_prompt(format!("Restore {} guest(s) from these backups?", plans.len())).default(false).interact()?)
}

/// Several hosts: each host restores its own guests (one connection each);
/// --yes is required, as no one question fits every host's guests.
pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    if args.list {
        return run(args, ctx);
    }
    check_usage(&args)?;
    if !args.yes {
        return Err(Exit::usage("refusing to restore guests on several hosts without --yes"));
    }
    crate::fleet::each_host(ctx, |h| one_host(&args, h))
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if args.list {
        if args.domains.is_empty() {
            return Err(Exit::usage("--list: name the guests whose backups to list"));
        }
        let mut backups = Vec::new();
        for d in &args.domains {
            backups.extend(backup::list(d)?.into_iter().map(|p| (d.as_str(), p)));
        }
        if ctx.json() {
            let v: Vec<_> = backups
                .iter()
                .map(|(d, p)| serde_json::json!({ "guest": d, "backup": p, "made_by": backup::record_of(p).map(|r| r.made_by) }))
                .collect();
            return output::print_json(&v);
        }
        let s: String = backups.iter().map(|(d, p)| format!("{}\t{}\n", output::escape(d), output::escape(&p.display().to_string()))).collect();
        output::print(&s)?;
        return Ok(());
    }
    check_usage(&args)?;
    one_host(&args, ctx)
}

/// Check every guest, confirm, restore; prints the result lines, and a
/// summary with the next step when not every guest was restored. With
/// --json the result is `{changed, guests}`, one `{guest, backup, changed}`
/// or `{guest, error}` per guest (errors are on stderr too).
fn one_host(args: &Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let names = selected(conn, args)?;
    let mut failed = 0;
    let mut plans = Vec::new();
    let mut items: Vec<serde_json::Value> = Vec::new();
    let print_json = |items: &[serde_json::Value]| {
        let changed = items.iter().any(|i| i["changed"] == true);
        output::print_json(&serde_json::json!({ "changed": changed, "guests": items }))
    };
    for d in &names {
        match check(conn, d, args) {
            Ok(p) => plans.push(p),
            Err(e) => {
                items.push(serde_json::json!({ "guest": d, "error": crate::fleet::chain(&e) }));
                crate::exit::report(&e);
                failed += 1;
            }
        }
    }
    if !confirm(&plans, args)? {
        eprintln!("Aborted: no guest was changed.");
        return Err(Exit::silent(crate::exit::FAILURE));
    }
    let mut out = String::new();
    let (mut restored, mut live_failed) = (0, Vec::new());
    let mut not_started: Vec<&str> = Vec::new();
    let mut in_flight: Option<&str> = None;
    // Ctrl-C stops between two guests, never inside one's define + live move
    let _interrupt = crate::interrupt::Guard::new();
    let mut lost = None;
    for (k, p) in plans.iter().enumerate() {
        if crate::interrupt::requested() {
            if ctx.json() {
                print_json(&items)?;
            } else {
                output::print(&output::escape_text(&out))?;
            }
            eprintln!("{}", output::escape_text(&format!("Interrupted: {k} of {} guest(s) handled; not started: {}", plans.len(), plans[k..].iter().map(|p| shell_words::quote(&p.guest)).collect::<Vec<_>>().join(" "))));
            return Err(crate::interrupt::cancelled());
        }
        if lost.is_some() {
            not_started.push(&p.guest);
            continue;
        }
        match restore(conn, p, args) {
            Outcome::Restored(path, changed) => {
                crate::interrupt::record(format!("guest '{}' restored from {path}", p.guest));
                items.push(serde_json::json!({ "guest": p.guest, "backup": path, "changed": changed }));
                restored += 1;
                if !ctx.quiet() {
                    out.push_str(&format!("Domain '{}' restored from {path}\n", p.guest));
                }
            }
            Outcome::LiveFailed(why) => {
                crate::interrupt::record(format!("guest '{}' config restored, running NICs not", p.guest));
                items.push(serde_json::json!({ "guest": p.guest, "backup": p.backup, "changed": true, "error": format!("config restored, but the running guest was not: {why}") }));
                if !ctx.json() {
                    output::print(&output::escape_text(&out))?;
                }
                out.clear();
                eprintln!("{}", output::escape_text(&format!("error: guest '{}': config restored from {}, but the running guest was not: {why}", p.guest, p.backup.display())));
                live_failed.push(p.guest.as_str());
            }
            Outcome::Failed(e) => {
                items.push(serde_json::json!({ "guest": p.guest, "error": crate::fleet::chain(&e) }));
                if !ctx.json() {
                    output::print(&output::escape_text(&out))?;
                }
                out.clear();
                crate::exit::report(&e);
                failed += 1;
                if !conn.alive() {
                    // the guest in flight when the connection went: the rerun takes it too
                    in_flight = Some(p.guest.as_str());
                }
            }
        }
        if !conn.alive() {
            // every later guest would fail the same way: say so once
            lost = Some(());
        }
    }
    if ctx.json() {
        print_json(&items)?;
    } else {
        if !out.is_empty() {
            out.push('\n');
        }
        output::print(&output::escape_text(&out))?;
    }
    if failed == 0 && live_failed.is_empty() && not_started.is_empty() {
        return Ok(());
    }
    let mut s = format!("Rollback: {restored} restored");
    if !live_failed.is_empty() {
        s.push_str(&format!(", {} with the config restored but not the running guest", live_failed.len()));
    }
    s.push_str(&format!(", {failed} failed"));
    if lost.is_some() {
        s.push_str(&format!(", {} not started (the connection was lost)", not_started.len()));
    }
    let pending: Vec<&str> = live_failed.iter().copied().chain(in_flight).chain(not_started.iter().copied()).collect();
    if !pending.is_empty() {
        s.push_str(&format!("; to finish, run: knet domif-rollback {}{}", if args.live { "--live " } else { "" }, pending.iter().map(|n| shell_words::quote(n)).collect::<Vec<_>>().join(" ")));
    }
    // names from libvirt: one shell word each, never a terminal escape
    eprintln!("{}", output::escape_text(&s));
    Err(Exit::silent(crate::exit::FAILURE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_is_no_change_but_content_is() {
        let a = "<domain type='kvm'><name>v</name><memory unit='KiB'>1024</memory></domain>";
        let b = "<domain type=\"kvm\">\n  <name>v</name>\n  <memory unit='KiB'>1024</memory>\n</domain>\n";
        assert!(same_xml(a, b));
        assert!(!same_xml(a, &a.replace("1024", "2048")));
        assert!(!same_xml(a, &a.replace("</domain>", "<devices/></domain>")));
        assert!(changes(a, &a.replace("1024", "2048")).contains("+ <domain"));
    }
}
