//! `knet net-destroy`: virsh's `net-destroy` (cmdNetworkDestroy).

use anyhow::Result;

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::Active)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    net_shared::change(ctx, &args.network, "destroy", "destroyed", |c, n| c.destroy_network(n))
}
