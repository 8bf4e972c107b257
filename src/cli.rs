//! The command-line tree: global options and one variant per command.
//!
//! Each command's own arguments live beside its code, in
//! `src/commands/<command>.rs`, as `pub struct Args`; its `///` comments are
//! the help text (and the man page).
//!
//! The command table itself is src/commands/mod.rs; this file only turns
//! argv into a parsed command and an exit code. It never runs a command's
//! logic, never decides which commands connect (the table does), and never
//! prints except clap's own messages and virsh's failure newline.

use clap::{Args, CommandFactory, FromArgMatches, Parser};

use crate::commands;

/// libvirt networking from the command line, speaking virsh's language.
///
/// Validate network and interface XML offline, manage libvirt networks and
/// guest NICs, and convert guests from NAT to bridged networking.
#[derive(Debug, Parser)]
// bin_name: usage lines say `knet` whatever argv[0] is (knet-libvirt run
// directly, or under another name)
#[command(name = "knet", bin_name = "knet", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
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

    /// Also work on every URI listed in FILE (one per line; # comments and
    /// blank lines ignored), after the -c ones: see SEVERAL HOSTS in knet(1)
    #[arg(long, value_name = "FILE", global = true, value_hint = clap::ValueHint::FilePath)]
    pub hosts: Option<std::path::PathBuf>,

    /// Work over at most N libvirt connections at once: with several hosts,
    /// N hosts at a time (default: all, up to 16); on one host, domif-convert's
    /// parallel connections (default 1 to this machine, 8 to a remote host)
    #[arg(long, value_name = "N", global = true, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,

    /// Give up on a host that has not answered within SECONDS, when connecting
    /// and (through libvirt's keepalive) at any later moment [default: 30]
    #[arg(long, value_name = "SECONDS", global = true, value_parser = clap::value_parser!(u32).range(1..=86400))]
    pub timeout: Option<u32>,
}

impl GlobalOpts {
    /// The options as commands see them (src/context.rs knows no clap).
    pub fn resolve(self) -> crate::context::Options {
        let GlobalOpts { connect, readonly, quiet, json, hosts, jobs, timeout } = self;
        let timeout = timeout.map(|t| std::time::Duration::from_secs(t.into()));
        crate::context::Options { connect, readonly, quiet, json, hosts, jobs, timeout }
    }
}

pub use crate::commands::Command;

/// The clap tree users meet (parsing, help, man pages, completion): [`Cli`]
/// with the fleet options shown only where they apply.
pub fn command() -> clap::Command {
    hide_fleet_options(Cli::command())
}

/// `--hosts` and `--jobs` are global so that they parse anywhere on the line,
/// but only the commands of the table that work on several hosts use them:
/// every other command's help, man page and completion leaves them out (they
/// still parse there, and the command refuses several hosts with exit 2).
/// clap copies a global option into a subcommand only when that subcommand
/// has none of the same id, so those subcommands get a hidden copy first.
pub fn hide_fleet_options(mut cmd: clap::Command) -> clap::Command {
    let hidden: Vec<clap::Arg> = cmd.get_arguments().filter(|a| a.get_id() == "hosts" || a.get_id() == "jobs").map(|a| a.clone().hide(true)).collect();
    let single: Vec<String> =
        cmd.get_subcommands().map(|s| s.get_name().to_string()).filter(|n| crate::commands::spec(n).is_none_or(|s| !s.many_hosts)).collect();
    for name in single {
        cmd = cmd.mut_subcommand(name, |sub| sub.args(hidden.iter().cloned()));
    }
    cmd
}

/// Parse the command line, run the command, return the exit code.
///
/// Shared by both binaries; `connector` decides how libvirt is reached.
pub fn main(connector: &dyn crate::libvirt::Connector) -> i32 {
    // shell completion (COMPLETE=bash knet -- ...) answers and exits here
    crate::complete::engine::env_complete();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let name = command_name(&args);
    if name.and_then(commands::spec).is_some_and(|s| s.connects) {
        // The light binary becomes knet-libvirt here, before clap builds its
        // tree of every command: that tree is most of the light binary's
        // work, and the exec would throw it away. knet-libvirt parses the
        // same argv with the same tree, so every message and exit code is
        // the same. In knet-libvirt this does nothing; if the exec fails,
        // the normal path below reports it when the command connects.
        let _ = connector.link();
    }
    if let Some(code) = name.and_then(|n| one_command_path(&args, n, connector)) {
        return code;
    }
    // virsh's grammar for the shared commands (src/virsh_args.rs)
    let mut args = match crate::virsh_args::rewrite(args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    // usage lines say `knet` in knet-libvirt too
    if let Some(a0) = args.first_mut() {
        *a0 = "knet".into();
    }
    let parsed = command().try_get_matches_from(&args).and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(p) => p,
        Err(e) => {
            if let Some(code) = crate::shell::try_sequence(&e, connector) {
                return code;
            }
            return crate::virsh_args::clap_error(&e);
        }
    };
    let mut ctx = crate::context::Ctx::new(cli.global.resolve(), connector);
    match cli.command {
        None | Some(Command::Shell(_)) => crate::shell::run(ctx),
        Some(cmd @ Command::CompleteNames(_)) => {
            ctx.remember_uri = false;
            run_command(matches.subcommand_name(), cmd, &ctx)
        }
        Some(cmd) => run_command(matches.subcommand_name(), cmd, &ctx),
    }
}

/// A one-shot run parses with a tree of the global options and the one
/// command named on the line ([`commands::one_tree`]), not every command's:
/// building the whole tree was most of a short command's own work (~60 % of
/// `knet validate FILE`, which editors and CI loops run per file and which
/// is measured against virt-xml-validate), and a connecting command paid it
/// again in knet-libvirt. Anything this parse refuses (errors, --help,
/// --version) goes down the normal path for the normal messages, as do the
/// shell and completion (`None`).
fn one_command_path(args: &[std::ffi::OsString], name: &str, connector: &dyn crate::libvirt::Connector) -> Option<i32> {
    if matches!(name, "shell" | "complete-names") {
        return None;
    }
    let tree = GlobalOpts::augment_args(clap::Command::new("knet").bin_name("knet").max_term_width(100)).subcommand(commands::one_tree(name)?);
    let m = tree.try_get_matches_from(args).ok()?;
    let global = GlobalOpts::from_arg_matches(&m).ok()?;
    let cmd = Command::from_arg_matches(&m).ok()?;
    let ctx = crate::context::Ctx::new(global.resolve(), connector);
    Some(run_command(m.subcommand_name(), cmd, &ctx))
}

/// The command word of a command line, found without clap
/// (src/virsh_args.rs, which parses the shared commands' words).
fn command_name(args: &[std::ffi::OsString]) -> Option<&str> {
    crate::virsh_args::command_index(args).and_then(|i| args[i].to_str())
}

/// Run one parsed command (`name` as typed) and report its error the way
/// virsh does; the exit code. Shared by one-shot runs and the shell.
pub fn run_command(name: Option<&str>, cmd: Command, ctx: &crate::context::Ctx) -> i32 {
    match commands::run(cmd, ctx) {
        Ok(()) => crate::exit::SUCCESS,
        Err(e) => {
            let code = crate::exit::report(&e);
            if code == crate::exit::FAILURE && name.and_then(commands::spec).is_some_and(|s| s.virsh) && !ctx.opts.quiet && !ctx.opts.json && !ctx.connect_failed() && ctx.fleet().is_ok_and(|many| !many) {
                error_newline();
            }
            code
        }
    }
}

/// virsh's lone newline on stdout after a failed command (see
/// [`commands::Spec::virsh`]). A command that never reached its body (bad
/// usage, no connection) gets none, as in virsh; nor does `--json` output,
/// which must stay parseable, nor a run over several hosts (src/fleet.rs:
/// knet's own output).
fn error_newline() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"\n").and_then(|()| out.flush());
}
