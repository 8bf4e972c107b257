//! `knet domifaddr`: virsh's `domifaddr` (tools/virsh-domain-monitor.c,
//! cmdDomIfAddr), including its fixed printf widths, which are not the table
//! layout of the other listings.

use anyhow::Result;

use crate::context::Ctx;
use crate::guest;
use crate::libvirt::AddrSource;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Domain name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::Active)))]
    pub domain: String,
    /// Only this guest interface (its host-side name, e.g. vnet0)
    #[arg(long)]
    pub interface: Option<String>,
    /// Repeat the name and MAC on every address line
    #[arg(long)]
    pub full: bool,
    /// Where the addresses come from: lease (default), agent or arp
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    // virsh's order (cmdDomIfAddr): the options, then the domain
    crate::virsh_args::non_empty("interface", args.interface.as_deref())?;
    let source = match crate::virsh_args::non_empty("source", args.source.as_deref())? {
        None | Some("lease") => AddrSource::Lease,
        Some("agent") => AddrSource::Agent,
        Some("arp") => AddrSource::Arp,
        Some(other) => anyhow::bail!("Unknown data source '{other}'"),
    };
    let conn = ctx.conn()?;
    let dom = guest::resolve(conn, &args.domain)?;
    let mut ifaces = conn
        .interface_addresses(&dom, source)
        .map_err(|e| anyhow::Error::new(e).context("Failed to query for interfaces addresses"))?;
    if let Some(only) = &args.interface {
        ifaces.retain(|i| &i.name == only);
    }
    if ctx.json() {
        return output::print_json(&ifaces);
    }
    let mut s = String::new();
    if !ctx.quiet() {
        s.push_str(&format!(" {:<10} {:<20} {:<8}     {}\n{}\n", "Name", "MAC address", "Protocol", "Address", "-".repeat(79)));
    }
    for i in &ifaces {
        let hw = i.hwaddr.as_deref().unwrap_or("");
        if i.addrs.is_empty() {
            s.push_str(&format!(" {} {}    {:<12} {}\n", pad(&i.name, 10), pad(i.hwaddr.as_deref().unwrap_or("N/A"), 17), "N/A", "N/A"));
            continue;
        }
        for (j, a) in i.addrs.iter().enumerate() {
            let addr = format!("{} {}/{}", pad(&a.protocol, 12), a.addr, a.prefix);
            // virsh prints the name and MAC on the first address line only
            let (n, m) = if args.full || j == 0 { (i.name.as_str(), hw) } else { ("-", "-") };
            s.push_str(&format!(" {} {}    {addr}\n", pad(n, 10), pad(m, 17)));
        }
    }
    // virsh's closing blank line is vshPrintExtra: gone with -q
    if !ctx.quiet() {
        s.push('\n');
    }
    output::print(&s)?;
    Ok(())
}

/// printf's `%-Ns`, which virsh uses here: padded to N bytes, not characters.
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.len())))
}
