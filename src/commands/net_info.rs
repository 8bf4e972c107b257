//! `knet net-info`: virsh's `net-info` (tools/virsh-network.c, cmdNetworkInfo).

use anyhow::Result;

use super::net_shared;
use crate::context::Ctx;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let n = net_shared::lookup(ctx, &args.network)?;
    if ctx.json() {
        return output::print_json(&n);
    }
    // virsh: "%-15s %s" per line; Bridge only when the network has one
    let mut s = String::new();
    let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<15} {v}\n"));
    // a name from libvirt may hold control characters: never a terminal escape
    line("Name:", &output::escape(&n.name));
    line("UUID:", &n.uuid);
    line("Active:", output::yes_no(n.active));
    line("Persistent:", output::yes_no(n.persistent));
    line("Autostart:", output::yes_no(n.autostart));
    if let Some(b) = &n.bridge {
        line("Bridge:", b);
    }
    net_shared::print_then_blank(ctx, &s)
}
