//! `knet net-dhcp-leases`: virsh's `net-dhcp-leases` (cmdNetworkDHCPLeases):
//! leases sorted by MAC, expiry in local time, virsh's table.

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    /// Only the lease(s) of this MAC address
    #[arg(long, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::macs()))]
    pub mac: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    crate::virsh_args::non_empty("mac", args.mac.as_deref())?;
    let name = net_shared::resolve(ctx, &args.network)?;
    let mut leases = ctx.conn()?.network_dhcp_leases(&name, args.mac.as_deref()).with_context(|| format!("Failed to get leases info for {}", args.network))?;
    // virshNetworkDHCPLeaseSorter: case-insensitive MAC order
    leases.sort_by(|a, b| output::strcasecmp(a.mac.as_deref().unwrap_or(""), b.mac.as_deref().unwrap_or("")));
    if ctx.json() {
        return output::print_json(&leases);
    }
    let dash = |s: &Option<String>| s.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "-".into());
    let rows: Vec<Vec<String>> = leases
        .iter()
        .map(|l| {
            vec![
                local_time(l.expiry_time),
                dash(&l.mac),
                if l.protocol.is_empty() { "-".into() } else { l.protocol.clone() },
                format!("{}/{}", l.ip, l.prefix),
                dash(&l.hostname),
                dash(&l.client_id),
            ]
        })
        .collect();
    let headers = ["Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"];
    output::print(&output::table(&headers, &rows, ctx.quiet()))?;
    Ok(())
}

/// `%Y-%m-%d %H:%M:%S` in the local time zone, as virsh's strftime.
fn local_time(epoch: i64) -> String {
    let t = epoch as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return epoch.to_string();
    }
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
}
