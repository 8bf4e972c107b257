//! `knet net-create`: virsh's `net-create` (a transient network, started at
//! once), with net-define's validation (see net_define.rs).

use anyhow::Result;

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// File containing an XML network description
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub file: String,
    /// Skip knet's own checks (libvirt still validates against its schema)
    #[arg(long)]
    pub no_validate: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let define = super::net_define::Args { file: args.file, no_validate: args.no_validate, apply: Default::default() };
    super::net_define::define_or_create(define, ctx, true)
}
