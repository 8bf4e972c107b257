//! `knet net-update`: virsh's `net-update` (cmdNetworkUpdate): every command
//! (add = add-last, add-first, delete, modify) and section libvirt knows,
//! XML given literally (starts with `<`) or as a file name, virsh's flag
//! rules and messages. libvirt itself refuses some sections for some
//! networks (bridge, domain, ip, forward); its error is passed on.

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;
use crate::libvirt::{update_flags, update_section, UpdateCommand};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// add (= add-last), add-first, add-last, delete or modify
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::update_commands()))]
    pub command: String,
    /// bridge, domain, ip, ip-dhcp-host, ip-dhcp-range, forward,
    /// forward-interface, forward-pf, portgroup, dns-host, dns-txt or dns-srv
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::update_sections()))]
    pub section: String,
    /// The XML element to add, delete or modify, or a file containing it
    pub xml: String,
    /// Which parent element (e.g. which <ip>) to act on, counting from 0
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub parent_index: Option<String>,
    /// Affect the persistent configuration
    #[arg(long)]
    pub config: bool,
    /// Affect the running network
    #[arg(long)]
    pub live: bool,
    /// Affect the current state of the network (live if running, else config)
    #[arg(long)]
    pub current: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    net_shared::check_current_exclusive(args.current, args.live, args.config)?;
    let name = net_shared::resolve(ctx, &args.network)?;
    crate::virsh_args::non_empty("command", Some(&args.command))?;
    let command = UpdateCommand::parse(&args.command).ok_or_else(|| anyhow::anyhow!("unrecognized command name '{}'", args.command))?;
    crate::virsh_args::non_empty("section", Some(&args.section))?;
    let section = update_section(&args.section).ok_or_else(|| anyhow::anyhow!("unrecognized section name '{}'", args.section))?;
    let parent_index = match &args.parent_index {
        Some(v) => crate::virsh_args::int_option("parent-index", v)?,
        None => -1,
    };
    crate::virsh_args::non_empty("xml", Some(&args.xml))?;
    let xml = if args.xml.starts_with('<') { args.xml.clone() } else { net_shared::read_file(&args.xml)? };
    let mut flags = update_flags::CURRENT;
    if args.config {
        flags |= update_flags::CONFIG;
    }
    if args.live {
        flags |= update_flags::LIVE;
    }
    let conn = ctx.conn()?;
    // --json's `changed`: both definitions before and after (an add of what
    // is there fails in libvirt, but a modify to the same value or a
    // re-add after a failed delete can be no change). Only with --json.
    let both = || (conn.network_xml(&name, false).ok(), conn.network_xml(&name, true).ok());
    let before = ctx.json().then(both);
    conn.update_network(&name, command, section, parent_index, &xml, flags).with_context(|| format!("Failed to update network {name}"))?;
    let affected = match (args.config, args.live) {
        (true, true) => "persistent config and live state",
        (true, false) => "persistent config",
        (false, true) => "live state",
        (false, false) if conn.network_is_active(&name).unwrap_or(false) => "live state",
        (false, false) => "persistent config",
    };
    let msg = format!("Updated network {name} {affected}");
    if let Some(before) = before {
        let changed = before != both();
        return crate::output::print_change(serde_json::json!({ "network": name, "affected": affected }), changed, &msg);
    }
    // virsh prints this one without a newline of its own: only the closing
    // blank line follows it (and -q drops both)
    if !ctx.quiet() {
        crate::output::print(&format!("{msg}\n"))?;
    }
    Ok(())
}
