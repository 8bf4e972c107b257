//! `knet net-name`: virsh's `net-name` (UUID to name; by UUID only, as virsh).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;

/// `VIR_UUID_STRING_BUFLEN - 1`: 32 hex digits and 4 dashes.
const UUID_STRING_LEN: usize = 36;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network UUID
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    crate::virsh_args::non_empty("network", Some(&args.network))?;
    let conn = ctx.conn()?;
    // virsh (virshCommandOptNetworkBy with VIRSH_BYUUID) looks up only a
    // string of a UUID's length; anything else fails without asking libvirt,
    // so with virsh's one error line, not libvirt's "must be a valid UUID"
    if args.network.len() != UUID_STRING_LEN {
        anyhow::bail!(net_shared::not_found(&args.network));
    }
    let n = conn.lookup_network_by_uuid(&args.network).with_context(|| net_shared::not_found(&args.network))?;
    net_shared::print_id(ctx, &n, &n.name)
}
