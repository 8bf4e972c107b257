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
pub mod validate;
pub mod net_autostart;
pub mod net_create;
pub mod net_define;
pub mod net_destroy;
pub mod net_dhcp_host;
pub mod net_dhcp_leases;
pub mod net_dumpxml;
pub mod net_edit;
pub mod net_info;
pub mod net_name;
pub mod net_shared;
pub mod net_start;
pub mod net_undefine;
pub mod net_update;
pub mod net_uuid;

// host help (issue 6)
pub mod mac_gen;
pub mod net_new;
pub mod bridge_config;
pub mod doctor;
pub mod port_forward;

// several hosts (issue 7)
pub mod list;

// changing a running network
pub mod net_apply;
pub mod net_reconnect;
pub mod net_restart;

pub fn run(cmd: Command, ctx: &Ctx) -> Result<()> {
    match cmd {
        Command::NetList(args) => net_list::run(args, ctx),
        Command::Validate(args) => validate::run(args, ctx),
        Command::NetInfo(args) => net_info::run(args, ctx),
        Command::NetUuid(args) => net_uuid::run(args, ctx),
        Command::NetName(args) => net_name::run(args, ctx),
        Command::NetDumpxml(args) => net_dumpxml::run(args, ctx),
        Command::NetDefine(args) => net_define::run(args, ctx),
        Command::NetCreate(args) => net_create::run(args, ctx),
        Command::NetStart(args) => net_start::run(args, ctx),
        Command::NetDestroy(args) => net_destroy::run(args, ctx),
        Command::NetUndefine(args) => net_undefine::run(args, ctx),
        Command::NetAutostart(args) => net_autostart::run(args, ctx),
        Command::NetEdit(args) => net_edit::run(args, ctx),
        Command::NetUpdate(args) => net_update::run(args, ctx),
        Command::NetDhcpHost(args) => net_dhcp_host::run(args, ctx),
        Command::NetDhcpLeases(args) => net_dhcp_leases::run(args, ctx),
        Command::Domiflist(args) => domiflist::run(args, ctx),
        Command::Domifaddr(args) => domifaddr::run(args, ctx),
        Command::AttachInterface(args) => attach_interface::run(args, ctx),
        Command::DetachInterface(args) => detach_interface::run(args, ctx),
        Command::DomifConvert(args) => domif_convert::run(args, ctx),
        Command::DomifRollback(args) => domif_rollback::run(args, ctx),
        Command::MacGen(args) => mac_gen::run(args, ctx),
        Command::NetNew(args) => net_new::run(args, ctx),
        Command::BridgeConfig(args) => bridge_config::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx),
        Command::PortForward(args) => port_forward::run(args, ctx),
        Command::List(args) => list::run(args, ctx),
        Command::NetRestart(args) => net_restart::run(args, ctx),
        Command::NetReconnect(args) => net_reconnect::run(args, ctx),
        // cli::main opens the shell itself; this is `shell` typed inside it
        Command::Shell(_) => Err(crate::exit::Exit::usage("already in the knet shell")),
        Command::CompleteNames(args) => crate::complete::names(args, ctx),
        Command::GenerateAssets(args) => crate::assets::run(args),
    }
}
