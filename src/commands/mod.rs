//! Every command knet has: one module per command, named after it
//! (`net-list` is `net_list.rs`), and the table (below) that describes
//! them all once.
//!
//! Every module has `pub struct Args` (clap; its `///` comments are the help
//! text and the man page) and `pub fn run(args, ctx)`, the one-host run. A
//! command that works on several hosts at once (`hosts: many` in the table)
//! also has `pub fn run_hosts(args, ctx)`: the dispatcher calls it instead of
//! `run` when `-c` is given more than once or `--hosts FILE` lists hosts, so
//! no command asks "several hosts?" itself.
//!
//! Adding a command: its file here, and one line in the table below. The
//! clap tree ([`Command`]), the dispatcher ([`run`]), the light binary's
//! early exec ([`spec`]`.connects`), virsh's failure newline
//! ([`Spec::virsh`]) and the list of multi-host commands all come from that
//! line. Nothing here prints or connects by itself.
//!
//! What a command module must never do: parse argv or build the clap tree
//! itself (cli.rs does), ask "several hosts?" (the dispatcher does), exit
//! the process (return an error: src/exit.rs words it), print before
//! opening a connection it will need (the light binary execs knet-libvirt
//! there, and the output would come twice), read host facts other than through
//! src/host.rs, or write XML other than through src/xml/write.rs.

use anyhow::Result;

use crate::context::Ctx;

/// What knet knows about a command besides its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The command's name as typed (`net-list`).
    pub name: &'static str,
    /// It carries virsh's name and so owes virsh's exact stdout: virsh ends
    /// every command it ran with a lone newline, success or failure, unless
    /// `-q` (tools/vsh.c, vshCommandRun); on failure that newline is all
    /// stdout gets, and [`crate::cli::run_command`] prints it.
    pub virsh: bool,
    /// It opens a libvirt connection on every run, so the light `knet`
    /// becomes `knet-libvirt` before even parsing the command line.
    pub connects: bool,
    /// It works on several hosts at once (its module has `run_hosts`).
    pub many_hosts: bool,
    /// It honours `--json`.
    pub json: bool,
}

impl Spec {
    /// virsh's option table for a command that carries virsh's name
    /// (src/virsh_args.rs): how its words are parsed, and in whose words it
    /// is refused.
    pub fn virsh_options(&self) -> Option<&'static crate::virsh_args::Table> {
        crate::virsh_args::table(self.name).filter(|_| self.virsh)
    }
}

/// The descriptor of the command named `name` (as typed), if knet has one.
/// A table lookup: no clap tree is built.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// The commands that work on several hosts, in table order.
pub fn many_host_names() -> impl Iterator<Item = &'static str> {
    SPECS.iter().filter(|s| s.many_hosts).map(|s| s.name)
}

/// Run one parsed command: on every host when it works on several and
/// several were given, else on the one.
pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    cmd.dispatch(ctx).map_err(|e| match e.downcast_ref::<crate::context::OneHostOnly>() {
        Some(one) => crate::exit::Exit::usage(format!("{one}; the commands that take several are {}", english_list(many_host_names()))),
        None => e,
    })
}

/// `a, b and c`.
fn english_list(items: impl Iterator<Item = &'static str>) -> String {
    let v: Vec<&str> = items.collect();
    match v.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    }
}

macro_rules! hosts {
    (one) => {
        false
    };
    (many) => {
        true
    };
}

macro_rules! dispatch {
    ($m:ident, $args:expr, $ctx:expr, one) => {
        $m::run($args, $ctx)
    };
    ($m:ident, $args:expr, $ctx:expr, many) => {
        // hosts that cannot be listed (a bad --hosts file) are reported
        // by the one-host run, where its own checks come first
        if $ctx.fleet().unwrap_or(false) {
            $m::run_hosts($args, $ctx)
        } else {
            $m::run($args, $ctx)
        }
    };
}

macro_rules! commands {
    ($(
        $(#[$meta:meta])*
        $name:literal => $variant:ident($m:ident) { virsh: $virsh:literal, connects: $connects:literal, hosts: $hosts:ident, json: $json:literal }
    )*) => {
        $(pub mod $m;)*

        /// One variant per command, in the order `knet --help` lists them.
        #[derive(Debug, clap::Subcommand)]
        pub enum Command {
            $(
                $(#[$meta])*
                #[command(name = $name)]
                $variant($m::Args),
            )*
        }

        /// Every command's descriptor, in the table's order.
        pub const SPECS: &[Spec] = &[
            $(Spec { name: $name, virsh: $virsh, connects: $connects, many_hosts: hosts!($hosts), json: $json },)*
        ];

        /// The clap tree of the one command named `name` (as typed), none
        /// of the others: what a one-shot run parses with (see
        /// [`crate::cli::main`]). The same `Args`, so the same grammar; the
        /// table's attributes (help text, hiding) only matter to help,
        /// which the full tree prints.
        pub fn one_tree(name: &str) -> Option<clap::Command> {
            match name {
                $($name => Some(<$m::Args as clap::Args>::augment_args(clap::Command::new($name))),)*
                _ => None,
            }
        }

        impl Command {
            /// The command's descriptor.
            pub fn spec(&self) -> &'static Spec {
                let name = match self {
                    $(Command::$variant(_) => $name,)*
                };
                spec(name).expect("every variant is in SPECS")
            }

            fn dispatch(self, ctx: &Ctx) -> Result<()> {
                match self {
                    $(Command::$variant(args) => dispatch!($m, args, ctx, $hosts),)*
                }
            }
        }
    };
}

// The table: one line per command. virsh: owes virsh's stdout; connects:
// always opens a connection (`domif-rollback --list` reads local files only,
// so it does not); hosts: `many` when it works on several hosts at once.
commands! {
    /// List networks
    "net-list" => NetList(net_list) { virsh: true, connects: true, hosts: many, json: true }
    "validate" => Validate(validate) { virsh: false, connects: false, hosts: one, json: true }
    /// Show basic information about a network
    "net-info" => NetInfo(net_info) { virsh: true, connects: true, hosts: one, json: true }
    /// Print a network's UUID
    "net-uuid" => NetUuid(net_uuid) { virsh: true, connects: true, hosts: one, json: true }
    /// Print the name of the network with this UUID
    "net-name" => NetName(net_name) { virsh: true, connects: true, hosts: one, json: true }
    /// Print a network's XML (live, or --inactive), optionally filtered by XPath
    "net-dumpxml" => NetDumpxml(net_dumpxml) { virsh: true, connects: true, hosts: one, json: true }
    /// Define (or redefine) a persistent network from an XML file, validated first
    "net-define" => NetDefine(net_define) { virsh: true, connects: true, hosts: one, json: true }
    /// Create and start a transient network from an XML file, validated first
    "net-create" => NetCreate(net_create) { virsh: true, connects: true, hosts: one, json: true }
    /// Start an inactive network
    "net-start" => NetStart(net_start) { virsh: true, connects: true, hosts: many, json: true }
    /// Stop an active network
    "net-destroy" => NetDestroy(net_destroy) { virsh: true, connects: true, hosts: one, json: true }
    /// Remove a network's persistent definition
    "net-undefine" => NetUndefine(net_undefine) { virsh: true, connects: true, hosts: one, json: true }
    /// Start a network when libvirt starts (--disable: don't)
    "net-autostart" => NetAutostart(net_autostart) { virsh: true, connects: true, hosts: many, json: true }
    /// Edit a network's persistent XML in $VISUAL/$EDITOR
    "net-edit" => NetEdit(net_edit) { virsh: true, connects: true, hosts: one, json: true }
    /// Change one part of a network, live and/or persistent (virsh net-update)
    "net-update" => NetUpdate(net_update) { virsh: true, connects: true, hosts: one, json: true }
    /// Add, remove or list static DHCP hosts, idempotently and with conflict checks
    "net-dhcp-host" => NetDhcpHost(net_dhcp_host) { virsh: false, connects: true, hosts: many, json: true }
    /// Show a network's DHCP leases
    "net-dhcp-leases" => NetDhcpLeases(net_dhcp_leases) { virsh: true, connects: true, hosts: one, json: true }
    "net-restart" => NetRestart(net_restart) { virsh: false, connects: true, hosts: many, json: true }
    "net-reconnect" => NetReconnect(net_reconnect) { virsh: false, connects: true, hosts: many, json: true }
    /// List a guest's network interfaces
    "domiflist" => Domiflist(domiflist) { virsh: true, connects: true, hosts: many, json: true }
    /// Show a guest's interface addresses
    "domifaddr" => Domifaddr(domifaddr) { virsh: true, connects: true, hosts: one, json: true }
    /// Attach a network interface to a guest (refuses duplicate MACs)
    "attach-interface" => AttachInterface(attach_interface) { virsh: true, connects: true, hosts: one, json: true }
    /// Detach a network interface from a guest
    "detach-interface" => DetachInterface(detach_interface) { virsh: true, connects: true, hosts: one, json: true }
    "domif-convert" => DomifConvert(domif_convert) { virsh: false, connects: true, hosts: many, json: true }
    "domif-rollback" => DomifRollback(domif_rollback) { virsh: false, connects: false, hosts: many, json: true }
    "mac-gen" => MacGen(mac_gen) { virsh: false, connects: false, hosts: one, json: true }
    "net-new" => NetNew(net_new) { virsh: false, connects: false, hosts: one, json: true }
    "bridge-config" => BridgeConfig(bridge_config) { virsh: false, connects: false, hosts: one, json: true }
    "doctor" => Doctor(doctor) { virsh: false, connects: false, hosts: many, json: true }
    "port-forward" => PortForward(port_forward) { virsh: false, connects: false, hosts: one, json: true }
    "host-dns" => HostDns(host_dns) { virsh: false, connects: true, hosts: one, json: true }
    /// List guests (virsh list); with several hosts, from every host
    "list" => List(list) { virsh: true, connects: true, hosts: many, json: true }
    /// Interactive terminal (also what `knet` with no command opens)
    "shell" => Shell(shell) { virsh: false, connects: false, hosts: one, json: false }
    /// Print live names for shell completion (used by completion; not for users)
    #[command(hide = true)]
    "complete-names" => CompleteNames(complete_names) { virsh: false, connects: false, hosts: one, json: false }
    /// Write completions/ and man/ (for knet's maintainers: see README)
    #[command(hide = true)]
    "generate-assets" => GenerateAssets(generate_assets) { virsh: false, connects: false, hosts: one, json: false }
}

/// Helpers several network commands share (not a command).
pub mod net_shared;

/// `--apply` of net-edit and net-define (not a command).
pub mod net_apply;
