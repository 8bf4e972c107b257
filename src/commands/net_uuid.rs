//! `knet net-uuid`: virsh's `net-uuid` (name to UUID; by name only, as virsh).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    crate::virsh_args::non_empty("network", Some(&args.network))?;
    let n = ctx.conn()?.lookup_network_by_name(&args.network).with_context(|| net_shared::not_found(&args.network))?;
    net_shared::print_id(ctx, &n, &n.uuid)
}
