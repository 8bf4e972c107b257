//! `knet net-restart`: stop and start a network and put every running
//! guest's NIC on it back on its bridge (src/reattach.rs), with a rollback
//! to the previous definition when the network does not start again.
//!
//! The restart itself ([`restart`]) is shared with `net-edit --apply` and
//! `net-define --apply` (src/commands/net_apply.rs). Never changes a guest's
//! persistent definition; the network's persistent definition is the same
//! after a run as before it, whatever happened.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::net_shared;
use crate::context::{Ctx, HostResult};
use crate::exit::Exit;
use crate::fleet::Outcome;
use crate::libvirt::Conn;
use crate::output;
use crate::reattach::{self, NicReport};

/// Restart a network and reconnect its running guests
///
/// Stops the network (virsh net-destroy) and starts it again (net-start),
/// which brings a changed persistent definition live, then puts every
/// running guest's NIC on it back on the network's bridge: libvirt itself
/// leaves them cut off (see "Changing a running network" in knet(1)).
/// Prints one row per NIC: guest, MAC, tap, result.
///
/// The guests lose traffic for a moment: on a terminal knet asks first;
/// elsewhere --yes is required. When the network does not start again, its
/// previous definition is started instead and the guests reconnected to it
/// (exit 1). On this machine, the port forwards of `knet port-forward` for
/// the reconnected guests are applied again (in front of libvirt's rules).
///
/// Exit status: 0 every NIC reconnected, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet net-restart default\n  knet net-restart default --yes --json\n  knet -c qemu+ssh://kvm1/system -c qemu+ssh://kvm2/system net-restart default --yes")]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Active)))]
    pub network: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// libvirt's hooks directory, where `knet port-forward` keeps its hook
    #[arg(long, value_name = "DIR", default_value = "/etc/libvirt/hooks", value_hint = clap::ValueHint::DirPath)]
    pub hooks_dir: PathBuf,
}

/// What a restart did.
#[derive(Debug, serde::Serialize)]
pub struct Reconnection {
    pub network: String,
    /// Set when the network's new definition did not start: libvirt's
    /// reason. The previous definition runs again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<String>,
    pub nics: Vec<NicReport>,
    /// The port-forward line (re-applied, or why not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwards: Option<String>,
    /// The network was destroyed and started (net-restart, --apply's
    /// restart); net-reconnect only moves NICs.
    pub restarted: bool,
}

impl Reconnection {
    /// What `--json` prints: the report with `changed` (a restart, or a
    /// NIC put back; a net-reconnect with nothing to do is no change, so a
    /// re-run reports false) and `message`.
    pub fn json(&self, message: &str) -> serde_json::Value {
        let changed = self.restarted || self.nics.iter().any(|n| n.result == "reconnected");
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("changed".into(), changed.into());
            m.insert("message".into(), message.into());
        }
        v
    }

    pub fn ok(&self) -> bool {
        self.rolled_back.is_none() && self.nics.iter().all(|n| matches!(n.result, "reconnected" | "connected" | "unchecked"))
    }
}

/// Checks before anything changes: the network runs and has a bridge.
/// Returns its bridge.
pub fn check_restartable(conn: &dyn Conn, name: &str) -> Result<String> {
    if !conn.network_is_active(name)? {
        bail!("network '{name}' is not active: nothing to restart (start it with knet net-start {name})");
    }
    match conn.network_bridge(name)? {
        Some(b) => Ok(b),
        None => bail!("network '{name}' has no bridge (a macvtap or hostdev pool): its guests' NICs are not taps on a bridge, and knet cannot reconnect them"),
    }
}

/// Stop network `name` and start it again from its persistent definition
/// (a transient one from its live definition), then reconnect every
/// running guest's NIC on it. When it does not start, its previous live
/// definition is started instead, and its persistent definition is set to
/// `restore_config` (default: what it was before this call).
///
/// The caller holds a Ctrl-C guard: between the stop and the start nothing
/// checks it; the reconnection stops between two NICs.
pub fn restart(conn: &dyn Conn, name: &str, restore_config: Option<&str>, hooks_dir: &Path) -> Result<Reconnection> {
    let bridge_before = check_restartable(conn, name)?;
    let live_old = conn.network_xml(name, false)?;
    let persistent = conn.network_is_persistent(name)?;
    // libvirt's test driver cannot give the inactive XML; its networks
    // have no pending definition, so the live one is the persistent one
    let config_now = if persistent { Some(conn.network_xml(name, true).or_else(|_| conn.network_xml(name, false))?) } else { None };
    // the NICs the restart cuts off; a guest started meanwhile is judged by
    // what it looks like afterwards
    let before: std::collections::HashSet<(String, String)> = reattach::nics_on(conn, name, &bridge_before)?.into_iter().map(|n| (n.guest, n.mac)).collect();
    let uri = conn.uri()?;

    conn.destroy_network(name).with_context(|| format!("Failed to destroy network {name}"))?;
    // what a second Ctrl-C reports if it ends the process before the start
    crate::interrupt::record(format!("network '{name}' stopped for its restart (knet net-start {name} if nothing says it started again)"));
    let started = if persistent { conn.start_network(name) } else { conn.create_network(&live_old, false).map(|_| ()) };
    let rolled_back = match started {
        Ok(()) => {
            crate::interrupt::record(format!("network '{name}' started again; its running guests' NICs are cut off until reconnected (knet net-reconnect {name})"));
            None
        }
        Err(e) => {
            rollback(conn, name, &live_old, restore_config.or(config_now.as_deref()))?;
            crate::interrupt::record(format!("network '{name}' did not start; the definition it ran before was started again (knet net-reconnect {name} reconnects its guests)"));
            Some(e.to_string())
        }
    };
    let after = || -> Result<(String, Vec<reattach::LiveNic>)> {
        let bridge = conn.network_bridge(name)?.unwrap_or(bridge_before);
        let nics = reattach::nics_on(conn, name, &bridge)?;
        Ok((bridge, nics))
    };
    let (bridge, nics) = after().with_context(|| format!("network '{name}' was restarted, but its guests could not be listed: knet net-reconnect {name} reconnects them"))?;
    let local = crate::host::is_local_uri(&uri);
    let reports = reattach::reattach_all(conn, name, &bridge, &nics, &|n| before.contains(&(n.guest.clone(), n.mac.clone())), local);
    let forwards = reattach::reapply_forwards(conn, name, hooks_dir, &uri, &bridge, &reports);
    Ok(Reconnection { network: name.to_string(), rolled_back, nics: reports, forwards, restarted: true })
}

/// The new definition did not start: run the previous one again, and leave
/// the persistent definition as `config`. When that fails too, the previous
/// definition is saved to a file, so nothing is lost, and the error names it.
fn rollback(conn: &dyn Conn, name: &str, live_old: &str, config: Option<&str>) -> Result<()> {
    let attempt = || -> Result<()> {
        match config {
            Some(config) => {
                conn.define_network(live_old, false).context("cannot define the previous definition again")?;
                let started = conn.start_network(name).context("cannot start the previous definition");
                // whatever happened, the persistent definition is the one asked for
                conn.define_network(config, false).context("cannot restore the persistent definition")?;
                started
            }
            None => conn.create_network(live_old, false).map(|_| ()).context("cannot create the previous definition again"),
        }
    };
    attempt().map_err(|e| {
        let saved = save(name, live_old);
        e.context(format!("network '{name}' did not start, nor did its previous definition: it is stopped; {saved}"))
    })
}

/// Save `xml` in a private file; a sentence naming it for the user.
fn save(name: &str, xml: &str) -> String {
    let kept = tempfile::Builder::new().prefix(&format!("knet-{}-", name.replace('/', "_"))).suffix(".xml").tempfile().and_then(|mut f| {
        std::io::Write::write_all(&mut f, xml.as_bytes())?;
        f.keep().map(|(_, p)| p).map_err(|e| e.error)
    });
    match kept {
        Ok(p) => format!("its previous definition is saved in {} (knet net-create {} starts it)", p.display(), p.display()),
        Err(e) => format!("its previous definition could not be saved either ({e})"),
    }
}

/// Ask on a terminal; refuse off one without --yes (nothing changed yet).
pub fn confirm(question: &str, nics: usize) -> Result<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Exit::usage(format!("refusing to restart without confirmation: no terminal to ask on (pass --yes); {nics} running guest NIC(s) would lose traffic for a moment")));
    }
    Ok(dialoguer::Confirm::new().with_prompt(question).default(false).interact()?)
}

/// What a restart printed, for one host: the network line, the table, the
/// port-forward line.
pub fn render(done: &Reconnection, quiet: bool, first: &str) -> String {
    let mut s = String::new();
    if !quiet {
        // names from libvirt may hold control characters: never a terminal escape
        s.push_str(&crate::output::escape_text(first));
        s.push_str("\n\n");
    }
    if done.nics.is_empty() {
        if !quiet {
            s.push_str("No running guest is on it.\n\n");
        }
    } else {
        s.push_str(&reattach::table(&done.nics, quiet));
    }
    if let (Some(f), false) = (&done.forwards, quiet) {
        s.push_str(&crate::output::escape_text(f));
        s.push('\n');
    }
    s
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    let conn = ctx.conn()?;
    check_restartable(conn, &name)?;
    if !args.yes {
        let bridge = conn.network_bridge(&name)?.unwrap_or_default();
        let n = reattach::nics_on(conn, &name, &bridge)?.len();
        if !confirm(&format!("Restart network {name}? {n} running guest NIC(s) on it lose traffic for a moment"), n)? {
            eprintln!("Aborted: nothing was changed.");
            return Err(Exit::silent(crate::exit::FAILURE));
        }
    }
    let _interrupt = crate::interrupt::Guard::new();
    let done = restart(conn, &name, None, &args.hooks_dir)?;
    finish(ctx, &done, "restarted")
}

/// Print one host's result (text or JSON) and turn it into the exit code.
pub fn finish(ctx: &Ctx, done: &Reconnection, verb: &str) -> Result<()> {
    let first = match &done.rolled_back {
        None if verb.is_empty() => format!("Network {}: {}", done.network, counts(&done.nics, "nothing to reconnect")),
        None => format!("Network {} {verb}", done.network),
        Some(why) => format!("Network {} did not start ({why}); the definition it ran before was started again, and its persistent definition restored", done.network),
    };
    if ctx.json() {
        output::print_json(&done.json(&first))?;
    } else {
        output::print(&render(done, ctx.quiet(), &first))?;
    }
    if crate::interrupt::requested() {
        let net = crate::output::escape(&done.network);
        eprintln!("Interrupted: network {net} runs; the NICs marked 'not done' are still cut off: knet net-reconnect {net} reconnects them");
        return Err(crate::interrupt::cancelled());
    }
    if done.ok() {
        Ok(())
    } else {
        Err(Exit::silent(crate::exit::FAILURE))
    }
}

/// A one-line summary of the NIC results, for a fleet's Detail column
/// (`empty` when there are none).
pub fn counts(nics: &[NicReport], empty: &str) -> String {
    let mut parts = Vec::new();
    for what in ["reconnected", "connected", "unchecked", "failed", "not done"] {
        let n = nics.iter().filter(|r| r.result == what).count();
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        empty.into()
    } else {
        parts.join(", ")
    }
}

/// Several hosts: --yes required (no question per host), every NIC's row
/// with its host, then the per-host summary.
pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    if !args.yes {
        return Err(Exit::usage("refusing to restart a network on several hosts without --yes"));
    }
    let _interrupt = crate::interrupt::Guard::new();
    let results = ctx.fan_out(|h| {
        let name = net_shared::resolve(h, &args.network)?;
        restart(h.conn()?, &name, None, &args.hooks_dir)
    })?;
    fleet_report(ctx, results, "no running guest on it")
}

/// The fleet output shared with net-reconnect.
pub fn fleet_report(ctx: &Ctx, results: Vec<HostResult<Reconnection>>, empty: &str) -> Result<()> {
    if !ctx.json() {
        let mut rows = Vec::new();
        for r in &results {
            if let Ok(done) = &r.result {
                for n in &done.nics {
                    rows.push(std::iter::once(r.host.clone()).chain(reattach::row(n)).collect());
                }
            }
        }
        output::print(&output::table(&["Host", "Guest", "MAC", "Tap", "Result"], &rows, ctx.quiet()))?;
    }
    let outcomes: Vec<HostResult<Outcome>> = results
        .into_iter()
        .map(|r| HostResult {
            host: r.host,
            reached: r.reached,
            result: r.result.map(|d| {
                let mut detail = counts(&d.nics, empty);
                if let Some(why) = &d.rolled_back {
                    detail = format!("rolled back ({why}); {detail}");
                }
                Outcome { ok: d.ok(), report: Some(d.json(&detail)), detail }
            }),
        })
        .collect();
    let summary = crate::fleet::summary(ctx, &outcomes);
    if crate::interrupt::requested() {
        eprintln!("Interrupted: the NICs marked 'not done' are still cut off: knet net-reconnect reconnects them");
        return Err(crate::interrupt::cancelled());
    }
    summary
}
