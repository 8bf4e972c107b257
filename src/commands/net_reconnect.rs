//! `knet net-reconnect`: put back on their network's bridge the running
//! guests' NICs that a restart of the network cut off (someone's `virsh
//! net-destroy` + `net-start`), without restarting anything. The mechanism
//! and how a cut-off NIC is recognised are src/reattach.rs's.

use std::path::PathBuf;

use anyhow::Result;

use super::net_restart::{self, Reconnection};
use super::net_shared;
use crate::context::Ctx;
use crate::output;
use crate::reattach;

/// Reconnect the guest NICs a network restart cut off
///
/// After `virsh net-destroy NET; virsh net-start NET` every running guest on
/// NET is cut off from it: libvirt re-creates the bridge but leaves the
/// guests' taps outside it. This puts each such NIC back, through libvirt's
/// API only (so it works over remote URIs too), and leaves connected NICs
/// alone. Prints one row per reconnected NIC: guest, MAC, tap, result;
/// "Nothing to reconnect" when every NIC is connected.
///
/// A NIC counts as cut off when its tap is on no bridge or another one (on
/// this machine), or when libvirt has no port for it in the network (any
/// machine). On this machine, the port forwards of `knet port-forward` for
/// the reconnected guests are applied again.
///
/// Exit status: 0 nothing to do or every NIC reconnected, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet net-reconnect default\n  knet --json net-reconnect default\n  knet --hosts hosts.txt net-reconnect default")]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Active)))]
    pub network: String,
    /// libvirt's hooks directory, where `knet port-forward` keeps its hook
    #[arg(long, value_name = "DIR", default_value = "/etc/libvirt/hooks", value_hint = clap::ValueHint::DirPath)]
    pub hooks_dir: PathBuf,
}

/// Reconnect network `typed`'s cut-off NICs on this context's host.
fn reconnect(args: &Args, ctx: &Ctx) -> Result<Reconnection> {
    let name = net_shared::resolve(ctx, &args.network)?;
    let conn = ctx.conn()?;
    if !conn.network_is_active(&name)? {
        anyhow::bail!("network '{name}' is not active: its guests cannot run, so none is cut off (start it with knet net-start {name})");
    }
    let Some(bridge) = conn.network_bridge(&name)? else {
        anyhow::bail!("network '{name}' has no bridge (a macvtap or hostdev pool): its guests' NICs are not taps on a bridge");
    };
    let uri = conn.uri()?;
    let nics = reattach::nics_on(conn, &name, &bridge)?;
    let reports = reattach::reattach_all(conn, &name, &bridge, &nics, &|_| false, crate::host::is_local_uri(&uri));
    let forwards = reattach::reapply_forwards(conn, &name, &args.hooks_dir, &uri, &bridge, &reports);
    Ok(Reconnection { network: name, rolled_back: None, nics: reports, forwards, restarted: false })
}

/// Several hosts: each host's reconnected NICs with its host, then the
/// per-host summary.
pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    let _interrupt = crate::interrupt::Guard::new();
    let results = ctx.fan_out(|h| {
        let mut done = reconnect(&args, h)?;
        // connected NICs are not news on a fleet's table
        done.nics.retain(|n| n.result != "connected");
        Ok(done)
    })?;
    net_restart::fleet_report(ctx, results, "nothing to reconnect")
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let _interrupt = crate::interrupt::Guard::new();
    let mut done = reconnect(&args, ctx)?;
    if ctx.json() {
        return net_restart::finish(ctx, &done, "");
    }
    done.nics.retain(|n| n.result != "connected");
    let unchecked = done.nics.iter().filter(|n| n.result == "unchecked").count();
    if done.nics.len() == unchecked {
        let mut msg = format!("Nothing to reconnect on network {}", done.network);
        if unchecked > 0 {
            msg.push_str(&format!(" ({unchecked} NIC(s) not checked: run knet on the hypervisor itself to check them)"));
        }
        return net_shared::done(ctx, &msg);
    }
    let mut s = String::new();
    if !ctx.quiet() {
        s.push_str(&format!("Network {}: {}\n\n", crate::output::escape(&done.network), net_restart::counts(&done.nics, "")));
    }
    s.push_str(&reattach::table(&done.nics, ctx.quiet()));
    if let (Some(f), false) = (&done.forwards, ctx.quiet()) {
        s.push_str(&crate::output::escape_text(f));
        s.push('\n');
    }
    output::print(&s)?;
    if crate::interrupt::requested() {
        eprintln!("Interrupted: the NICs marked 'not done' are still cut off: run knet net-reconnect {} again", crate::output::escape(&done.network));
        return Err(crate::interrupt::cancelled());
    }
    if done.ok() {
        Ok(())
    } else {
        Err(crate::exit::Exit::silent(crate::exit::FAILURE))
    }
}
