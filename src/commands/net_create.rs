//! `knet net-create`: virsh's `net-create` (a transient network, started at
//! once), with net-define's validation (see net_define.rs).

use anyhow::Result;

use crate::context::Ctx;

pub use super::net_define::Source as Args;

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    super::net_define::define_or_create(args, &Default::default(), ctx, true)
}
