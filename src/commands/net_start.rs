//! `knet net-start`: virsh's `net-start` (cmdNetworkStart).

use anyhow::Result;

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Inactive)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    start(&args, ctx)
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    crate::fleet::each_host(ctx, |h| start(&args, h))
}

fn start(args: &Args, ctx: &Ctx) -> Result<()> {
    net_shared::change(ctx, &args.network, "start", "started", |c, n| c.start_network(n))
}
