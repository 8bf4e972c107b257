//! `knet complete-names` (hidden): the child side of live completion. The
//! shells' completion runs it in `knet-libvirt` with a deadline and reads
//! `value<TAB>help` lines (src/complete/live.rs explains why a child). Not for
//! users; never prints anything but candidates.

use anyhow::Result;

use crate::complete::{answer, Query, State};
use crate::context::Ctx;

/// Arguments of the hidden `complete-names` command (the child side of
/// live completion; not for users).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_parser = ["networks", "domains", "macs"])]
    pub kind: String,
    #[arg(long, value_enum, default_value = "all")]
    pub state: State,
    #[arg(long)]
    pub domain: Vec<String>,
    #[arg(long)]
    pub network: Option<String>,
}

/// `knet complete-names`: print `value<TAB>help` lines for a live provider.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let conn = ctx.conn()?;
    let q = match args.kind.as_str() {
        "networks" => Query::Networks(args.state),
        "domains" => Query::Domains(args.state),
        _ => Query::Macs { domains: args.domain, network: args.network },
    };
    let mut s = String::new();
    for (v, h) in answer(conn, &q) {
        s.push_str(&v);
        if let Some(h) = h {
            s.push('\t');
            s.push_str(&h);
        }
        s.push('\n');
    }
    crate::output::print(&s)?;
    Ok(())
}

