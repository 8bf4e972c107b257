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
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true)]
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

    // --- host help (issue 6) ---
    #[command(name = "mac-gen")]
    MacGen(commands::mac_gen::Args),
    #[command(name = "net-new")]
    NetNew(commands::net_new::Args),
    #[command(name = "bridge-config")]
    BridgeConfig(commands::bridge_config::Args),
    Doctor(commands::doctor::Args),
    #[command(name = "port-forward")]
    PortForward(commands::port_forward::Args),
}

/// Parse the command line, run the command, return the exit code.
///
/// Shared by both binaries; `connector` decides how libvirt is reached.
pub fn main(connector: &dyn crate::libvirt::Connector) -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let ctx = crate::context::Ctx::new(cli.global, connector);
    let result = match cli.command {
        Some(cmd) => commands::run(cmd, &ctx),
        None => Err(crate::exit::Exit::usage("no command given (try 'knet --help')")),
    };
    match result {
        Ok(()) => crate::exit::SUCCESS,
        Err(e) => crate::exit::report(&e),
    }
}
