//! `knet shell`: the interactive terminal (src/shell.rs runs it; this is
//! only its place in the command table). Never runs a session itself.

use anyhow::Result;

use crate::context::Ctx;

/// `knet shell`: no options of its own (the global ones choose the connection).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// `shell` typed inside the shell (cli::main opens the shell itself).
pub fn run(_: Args, _: &Ctx) -> Result<()> {
    Err(crate::exit::Exit::usage("already in the knet shell"))
}
