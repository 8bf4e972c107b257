//! One module per command, named after it: `net-list` is `net_list.rs`.
//!
//! Every module has `pub struct Args` (clap) and `pub fn run(args, ctx)`.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

pub mod net_list;
pub mod validate;

pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::NetList(args) => net_list::run(args, ctx),
        Command::Validate(args) => validate::run(args, ctx),
    }
}
