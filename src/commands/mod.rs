//! One module per command, named after it: `net-list` is `net_list.rs`.
//!
//! Every module has `pub struct Args` (clap) and `pub fn run(args, ctx)`.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

pub mod net_list;

pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::NetList(args) => net_list::run(args, ctx),
        // cli::main opens the shell itself; this is `shell` typed inside it
        Command::Shell(_) => Err(crate::exit::Exit::usage("already in the knet shell")),
        Command::CompleteNames(args) => crate::complete::names(args, ctx),
        Command::GenerateAssets(args) => crate::assets::run(args),
    }
}
