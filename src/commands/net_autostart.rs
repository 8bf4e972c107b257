//! `knet net-autostart`: virsh's `net-autostart` (cmdNetworkAutostart).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// Disable autostarting
    #[arg(long)]
    pub disable: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    autostart(&args, ctx)
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    crate::fleet::each_host(ctx, |h| autostart(&args, h))
}

fn autostart(args: &Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    let on = !args.disable;
    let un = if on { "" } else { "un" };
    // the flag before, for --json's `changed` only: the plain path makes
    // virsh's calls and no more. The call is made either way, as virsh does.
    let before = if ctx.json() { Some(net_shared::lookup(ctx, &name)?.autostart) } else { None };
    ctx.conn()?.set_network_autostart(&name, on).with_context(|| format!("failed to {un}mark network {} as autostarted", args.network))?;
    let msg = format!("Network {} {un}marked as autostarted", args.network);
    net_shared::report(ctx, &msg, before != Some(on), serde_json::json!({ "network": name, "autostart": on }))
}
