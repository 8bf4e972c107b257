//! One module per command, named after it: `net-list` is `net_list.rs`.
//!
//! Every module has `pub struct Args` (clap) and `pub fn run(args, ctx)`.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

pub mod net_list;

// host help (issue 6)
pub mod mac_gen;
pub mod net_new;
pub mod bridge_config;
pub mod doctor;
pub mod port_forward;

pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::NetList(args) => net_list::run(args, ctx),
        Command::MacGen(args) => mac_gen::run(args, ctx),
        Command::NetNew(args) => net_new::run(args, ctx),
        Command::BridgeConfig(args) => bridge_config::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx),
        Command::PortForward(args) => port_forward::run(args, ctx),
    }
}
