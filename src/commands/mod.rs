//! One module per command, named after it: `net-list` is `net_list.rs`.
//!
//! Every module has `pub struct Args` (clap) and `pub fn run(args, ctx)`.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

pub mod attach_interface;
pub mod detach_interface;
pub mod domif_convert;
pub mod domif_rollback;
pub mod domifaddr;
pub mod domiflist;
pub mod net_list;

pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::NetList(args) => net_list::run(args, ctx),
        Command::Domiflist(args) => domiflist::run(args, ctx),
        Command::Domifaddr(args) => domifaddr::run(args, ctx),
        Command::AttachInterface(args) => attach_interface::run(args, ctx),
        Command::DetachInterface(args) => detach_interface::run(args, ctx),
        Command::DomifConvert(args) => domif_convert::run(args, ctx),
        Command::DomifRollback(args) => domif_rollback::run(args, ctx),
    }
}
