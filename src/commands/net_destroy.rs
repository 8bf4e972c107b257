//! `knet net-destroy`: virsh's `net-destroy` (cmdNetworkDestroy).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Active)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    ctx.conn()?.destroy_network(&name).with_context(|| format!("Failed to destroy network {}", args.network))?;
    net_shared::done(ctx, &format!("Network {} destroyed", args.network))
}
