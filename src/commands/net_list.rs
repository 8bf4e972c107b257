//! `knet net-list`: virsh's `net-list` (tools/virsh-network.c, cmdNetworkList).

use anyhow::Result;

use crate::context::Ctx;
use crate::libvirt::NetworkInfo;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List inactive networks only
    #[arg(long)]
    pub inactive: bool,
    /// List inactive and active networks
    #[arg(long)]
    pub all: bool,
    /// List persistent networks
    #[arg(long)]
    pub persistent: bool,
    /// List transient networks
    #[arg(long)]
    pub transient: bool,
    /// List networks with autostart enabled
    #[arg(long)]
    pub autostart: bool,
    /// List networks with autostart disabled
    #[arg(long = "no-autostart")]
    pub no_autostart: bool,
    /// List network UUIDs only
    #[arg(long)]
    pub uuid: bool,
    /// List network names only
    #[arg(long)]
    pub name: bool,
    /// List table (default)
    #[arg(long)]
    pub table: bool,
}

impl Args {
    /// virsh's filter: state from --all/--inactive (active only by default),
    /// the other flags ANDed on top; a pair like --persistent --transient
    /// means "either", as virsh's flag pairs do.
    fn keep(&self, n: &NetworkInfo) -> bool {
        let state = if self.all {
            true
        } else if self.inactive {
            !n.active
        } else {
            n.active
        };
        let persist = self.persistent == self.transient || (n.persistent && self.persistent) || (!n.persistent && self.transient);
        let auto = self.autostart == self.no_autostart || (n.autostart && self.autostart) || (!n.autostart && self.no_autostart);
        state && persist && auto
    }
}

fn exclusive(args: &Args) -> Result<()> {
    if [args.table, args.name, args.uuid].iter().filter(|b| **b).count() > 1 {
        return Err(anyhow::anyhow!("Only one argument from --table, --name and --uuid may be specified."));
    }
    Ok(())
}

pub fn run_hosts(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let work = |h: &Ctx| networks(&args, h);
    if ctx.json() {
        return crate::fleet::json(&ctx.fan_out(work)?, |nets| crate::fleet::values(nets));
    }
    if args.name || args.uuid {
        return crate::fleet::lines(ctx, work, |nets| nets.iter().map(|n| if args.name { n.name.clone() } else { n.uuid.clone() }).collect());
    }
    crate::fleet::stream_table(ctx, work, &HEADERS, |nets| nets.iter().map(row).collect()).map(drop)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    exclusive(&args)?;
    let nets = networks(&args, ctx)?;

    if ctx.json() {
        return output::print_json(&nets);
    }
    if args.name || args.uuid {
        let mut s = String::new();
        for n in &nets {
            s.push_str(if args.name { &n.name } else { &n.uuid });
            s.push('\n');
        }
        // virsh's closing blank line is vshPrintExtra: gone with -q
        if !ctx.quiet() {
            s.push('\n');
        }
        return Ok(output::print(&s)?);
    }
    let rows: Vec<Vec<String>> = nets.iter().map(row).collect();
    output::print(&output::table(&HEADERS, &rows, ctx.quiet()))?;
    Ok(())
}

const HEADERS: [&str; 4] = ["Name", "State", "Autostart", "Persistent"];

/// The networks to show, in virsh's order.
fn networks(args: &Args, ctx: &Ctx) -> Result<Vec<NetworkInfo>> {
    let mut nets: Vec<NetworkInfo> = ctx.conn()?.list_networks()?.into_iter().filter(|n| args.keep(n)).collect();
    // virsh sorts by name ignoring ASCII case (virshNetworkSorter)
    nets.sort_by(|a, b| output::strcasecmp(&a.name, &b.name));
    if ctx.json() {
        // only the JSON shows bridges: one RPC per listed network
        let conn = ctx.conn()?;
        for n in &mut nets {
            n.bridge = conn.network_bridge(&n.name)?;
        }
    }
    Ok(nets)
}

fn row(n: &NetworkInfo) -> Vec<String> {
    vec![
        n.name.clone(),
        if n.active { "active" } else { "inactive" }.to_string(),
        output::yes_no(n.autostart).to_string(),
        output::yes_no(n.persistent).to_string(),
    ]
}
