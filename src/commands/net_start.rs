//! `knet net-start`: virsh's `net-start` (cmdNetworkStart).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Inactive)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if ctx.fleet()? {
        return crate::fleet::each_host(ctx, |h| start(&args, h));
    }
    start(&args, ctx)
}

fn start(args: &Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    // virsh names the network as the user typed it in these messages
    ctx.conn()?.start_network(&name).with_context(|| format!("Failed to start network {}", args.network))?;
    net_shared::done(ctx, &format!("Network {} started", args.network))
}
