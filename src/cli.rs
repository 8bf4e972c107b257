//! The command-line tree: global options and one variant per command.
//!
//! Each command's own arguments live beside its code, in
//! `src/commands/<command>.rs`, as `pub struct Args`; its `///` comments are
//! the help text (and the man page).

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// libvirt networking from the command line, speaking virsh's language.
///
/// Validate network and interface XML offline, manage libvirt networks and
/// guest NICs, and convert guests from NAT to bridged networking.
#[derive(Debug, Parser)]
#[command(name = "knet", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOpts {
    /// Hypervisor connection URI (default: $LIBVIRT_DEFAULT_URI, then libvirt's own default)
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true,
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::uris()))]
    pub connect: Vec<String>,

    /// Open a read-only connection; every write command then fails
    #[arg(short = 'r', long, global = true)]
    pub readonly: bool,

    /// Quiet mode: no table headers, no success messages
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Machine-readable JSON output
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List networks
    #[command(name = "net-list")]
    NetList(commands::net_list::Args),

    /// Interactive terminal (also what `knet` with no command opens)
    #[command(name = "shell")]
    Shell(crate::shell::Args),

    /// Print live names for shell completion (used by completion; not for users)
    #[command(name = "complete-names", hide = true)]
    CompleteNames(crate::complete::NamesArgs),

    /// Write completions/ and man/ (for knet's maintainers: see README)
    #[command(name = "generate-assets", hide = true)]
    GenerateAssets(crate::assets::Args),
}

/// Parse the command line, run the command, return the exit code.
///
/// Shared by both binaries; `connector` decides how libvirt is reached.
pub fn main(connector: &dyn crate::libvirt::Connector) -> i32 {
    // shell completion (COMPLETE=bash knet -- ...) answers and exits here
    crate::complete::env_complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(code) = crate::shell::try_sequence(&e, connector) {
                return code;
            }
            let _ = e.print();
            return e.exit_code();
        }
    };
    let mut ctx = crate::context::Ctx::new(cli.global, connector);
    let result = match cli.command {
        None | Some(Command::Shell(_)) => return crate::shell::run(ctx),
        Some(cmd @ Command::CompleteNames(_)) => {
            ctx.remember_uri = false;
            commands::run(cmd, &ctx)
        }
        Some(cmd) => commands::run(cmd, &ctx),
    };
    match result {
        Ok(()) => crate::exit::SUCCESS,
        Err(e) => crate::exit::report(&e),
    }
}
