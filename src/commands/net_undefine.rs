//! `knet net-undefine`: virsh's `net-undefine` (cmdNetworkUndefine).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    ctx.conn()?.undefine_network(&name).with_context(|| format!("Failed to undefine network {}", args.network))?;
    net_shared::done(ctx, &format!("Network {} has been undefined", args.network))
}
