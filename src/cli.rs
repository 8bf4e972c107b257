//! The command-line tree: global options and one variant per command.
//!
//! Each command's own arguments live beside its code, in
//! `src/commands/<command>.rs`, as `pub struct Args`; its `///` comments are
//! the help text (and the man page).

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

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

    /// Also work on every URI listed in FILE (one per line; `#` comments and
    /// blank lines ignored), after the -c ones: see "Several hosts"
    #[arg(long, value_name = "FILE", global = true, value_hint = clap::ValueHint::FilePath)]
    pub hosts: Option<std::path::PathBuf>,

    /// Work over at most N libvirt connections at once: with several hosts,
    /// N hosts at a time (default: all, up to 16); on one host, domif-convert's
    /// parallel connections (default 1)
    #[arg(long, value_name = "N", global = true, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List networks
    #[command(name = "net-list")]
    NetList(commands::net_list::Args),
    #[command(name = "validate")]
    Validate(commands::validate::Args),
    /// Show basic information about a network
    #[command(name = "net-info")]
    NetInfo(commands::net_info::Args),
    /// Print a network's UUID
    #[command(name = "net-uuid")]
    NetUuid(commands::net_uuid::Args),
    /// Print the name of the network with this UUID
    #[command(name = "net-name")]
    NetName(commands::net_name::Args),
    /// Print a network's XML (live, or --inactive), optionally filtered by XPath
    #[command(name = "net-dumpxml")]
    NetDumpxml(commands::net_dumpxml::Args),
    /// Define (or redefine) a persistent network from an XML file, validated first
    #[command(name = "net-define")]
    NetDefine(commands::net_define::Args),
    /// Create and start a transient network from an XML file, validated first
    #[command(name = "net-create")]
    NetCreate(commands::net_create::Args),
    /// Start an inactive network
    #[command(name = "net-start")]
    NetStart(commands::net_start::Args),
    /// Stop an active network
    #[command(name = "net-destroy")]
    NetDestroy(commands::net_destroy::Args),
    /// Remove a network's persistent definition
    #[command(name = "net-undefine")]
    NetUndefine(commands::net_undefine::Args),
    /// Start a network when libvirt starts (--disable: don't)
    #[command(name = "net-autostart")]
    NetAutostart(commands::net_autostart::Args),
    /// Edit a network's persistent XML in $VISUAL/$EDITOR
    #[command(name = "net-edit")]
    NetEdit(commands::net_edit::Args),
    /// Change one part of a network, live and/or persistent (virsh net-update)
    #[command(name = "net-update")]
    NetUpdate(commands::net_update::Args),
    /// Add, remove or list static DHCP hosts, idempotently and with conflict checks
    #[command(name = "net-dhcp-host")]
    NetDhcpHost(commands::net_dhcp_host::Args),
    /// Show a network's DHCP leases
    #[command(name = "net-dhcp-leases")]
    NetDhcpLeases(commands::net_dhcp_leases::Args),
    /// List a guest's network interfaces
    #[command(name = "domiflist")]
    Domiflist(commands::domiflist::Args),
    /// Show a guest's interface addresses
    #[command(name = "domifaddr")]
    Domifaddr(commands::domifaddr::Args),
    /// Attach a network interface to a guest (refuses duplicate MACs)
    #[command(name = "attach-interface")]
    AttachInterface(commands::attach_interface::Args),
    /// Detach a network interface from a guest
    #[command(name = "detach-interface")]
    DetachInterface(commands::detach_interface::Args),
    #[command(name = "domif-convert")]
    DomifConvert(commands::domif_convert::Args),
    #[command(name = "domif-rollback")]
    DomifRollback(commands::domif_rollback::Args),

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

    /// List guests (virsh list); with several hosts, from every host
    #[command(name = "list")]
    List(commands::list::Args),

    #[command(name = "net-restart")]
    NetRestart(commands::net_restart::Args),
    #[command(name = "net-reconnect")]
    NetReconnect(commands::net_reconnect::Args),

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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let name = command_name(&args);
    if name.is_some_and(always_connects) {
        // The light binary becomes knet-libvirt here, before clap builds its
        // tree of every command: that tree is most of the light binary's
        // work, and the exec would throw it away. knet-libvirt parses the
        // same argv with the same tree, so every message and exit code is
        // the same. In knet-libvirt this does nothing; if the exec fails,
        // the normal path below reports it when the command connects.
        let _ = connector.link();
    }
    if name == Some("validate") {
        if let Some(code) = validate_fast_path(&args, connector) {
            return code;
        }
    }
    let parsed = Cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(p) => p,
        Err(e) => {
            if let Some(code) = crate::shell::try_sequence(&e, connector) {
                return code;
            }
            let _ = e.print();
            return e.exit_code();
        }
    };
    let mut ctx = crate::context::Ctx::new(cli.global, connector);
    match cli.command {
        None | Some(Command::Shell(_)) => crate::shell::run(ctx),
        Some(cmd @ Command::CompleteNames(_)) => {
            ctx.remember_uri = false;
            run_command(matches.subcommand_name(), cmd, &ctx)
        }
        Some(cmd) => run_command(matches.subcommand_name(), cmd, &ctx),
    }
}

/// `knet validate` runs in editors' save hooks and CI loops and is measured
/// against virt-xml-validate: building clap's tree of every command costs
/// most of such a run (~1 ms). When the command named on the line is
/// `validate`, parse with a tree of the global options and that one command
/// (the same `Args`, so the same grammar). Anything this parse refuses
/// (errors, --help, --version) goes down the normal path for the normal
/// messages. `None`: not validate, or not parsed here.
fn validate_fast_path(args: &[std::ffi::OsString], connector: &dyn crate::libvirt::Connector) -> Option<i32> {
    let tree = GlobalOpts::augment_args(clap::Command::new("knet").max_term_width(100))
        .subcommand(commands::validate::Args::augment_args(clap::Command::new("validate")));
    let m = tree.try_get_matches_from(args).ok()?;
    let global = GlobalOpts::from_arg_matches(&m).ok()?;
    let sub = commands::validate::Args::from_arg_matches(m.subcommand_matches("validate")?).ok()?;
    let ctx = crate::context::Ctx::new(global, connector);
    Some(run_command(Some("validate"), Command::Validate(sub), &ctx))
}

/// The command word of a command line, found without clap: the first word
/// that is not an option, skipping the values of the global options that
/// take one (`-c`/`--connect`, `--hosts`, `--jobs`). A guess for the fast
/// paths above only: a wrong guess costs speed, never correctness.
fn command_name(args: &[std::ffi::OsString]) -> Option<&str> {
    let mut rest = args.iter().skip(1);
    loop {
        let a = rest.next()?.to_str()?;
        match a {
            "-c" | "--connect" | "--hosts" | "--jobs" => {
                rest.next()?;
            }
            _ if a.starts_with('-') => {}
            _ => return Some(a),
        }
    }
}

/// Commands that open a libvirt connection on every run (see
/// [`command_name`]'s use in [`main`]): virsh's, and two of knet's
/// (`domif-rollback --list` reads local files only: not listed).
fn always_connects(name: &str) -> bool {
    is_virsh_command(name) || matches!(name, "domif-convert" | "net-dhcp-host")
}

/// Run one parsed command (`name` as typed) and report its error the way
/// virsh does; the exit code. Shared by one-shot runs and the shell.
pub fn run_command(name: Option<&str>, cmd: Command, ctx: &crate::context::Ctx) -> i32 {
    match commands::run(cmd, ctx) {
        Ok(()) => crate::exit::SUCCESS,
        Err(e) => {
            let code = crate::exit::report(&e);
            if code == crate::exit::FAILURE && name.is_some_and(is_virsh_command) && !ctx.opts.quiet && !ctx.opts.json && !ctx.connect_failed() && ctx.fleet().is_ok_and(|many| !many) {
                error_newline();
            }
            code
        }
    }
}

/// Commands that carry virsh's name and so owe virsh's exact stdout.
///
/// virsh ends every command it ran with `vshPrintExtra("\n")` (tools/vsh.c,
/// vshCommandRun), success or failure, unless `-q`; on failure that lone
/// newline is all stdout gets. Commands print their own trailing blank line
/// on success; this list decides who gets it on failure. A command that
/// never reached its body (bad usage, no connection) gets none, as in virsh;
/// nor does `--json` output, which must stay parseable.
/// knet-only commands (validate, net-dhcp-host, ...) are not listed, and
/// runs over several hosts (src/fleet.rs) are knet's own output.
pub const VIRSH_COMMANDS: &[&str] = &[
    "net-autostart",
    "net-create",
    "net-define",
    "net-destroy",
    "net-dhcp-leases",
    "net-dumpxml",
    "net-edit",
    "net-info",
    "net-list",
    "net-name",
    "net-start",
    "net-undefine",
    "net-update",
    "net-uuid",
    "attach-interface",
    "detach-interface",
    "domiflist",
    "domifaddr",
    "list",
];

pub fn is_virsh_command(name: &str) -> bool {
    VIRSH_COMMANDS.contains(&name)
}

fn error_newline() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"\n").and_then(|()| out.flush());
}
