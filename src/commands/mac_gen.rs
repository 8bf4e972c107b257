//! `knet mac-gen`: fresh guest MAC addresses that collide with nothing
//! (see src/mac.rs for what "nothing" covers).

use anyhow::Result;

use crate::context::Ctx;
use crate::mac::{self, Prefix};
use crate::output;

/// Generate random unicast MAC addresses for new guest NICs
///
/// Each address is unique across everything defined on the connection (the
/// NICs of every domain, running and inactive config, and the static DHCP
/// hosts of every network) and, when the hypervisor is this machine, the
/// host's neighbour table (ARP/NDP) and own interfaces. Addresses are drawn
/// from QEMU's range 52:54:00 unless --prefix says otherwise; a multicast
/// prefix (odd first octet) is refused.
///
/// Example: knet mac-gen --count 3
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  knet mac-gen\n  knet mac-gen --count 3 --prefix 52:54:00:ab\n  knet -c qemu+ssh://root@kvm1/system --json mac-gen")]
pub struct Args {
    /// How many addresses to generate
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub count: u32,
    /// Leading octets of every address (one to five, unicast)
    #[arg(long, default_value = mac::QEMU_PREFIX, value_name = "OCTETS")]
    pub prefix: Prefix,
}

impl clap::builder::ValueParserFactory for Prefix {
    type Parser = fn(&str) -> Result<Prefix, String>;
    fn value_parser() -> Self::Parser {
        |s| s.parse()
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let local = crate::host::is_local_uri(&conn.uri()?);
    let used = mac::used_macs(conn, local)?;
    let macs = mac::allocate(&used, &args.prefix, args.count as usize)?;
    if ctx.json() {
        return output::print_json(&macs.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    output::print(&macs.iter().map(|m| format!("{m}\n")).collect::<String>())?;
    Ok(())
}
