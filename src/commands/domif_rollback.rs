//! `knet domif-rollback`: put back the XML a guest had before
//! `domif-convert` changed it (the backups of [`crate::backup`]).

use anyhow::{anyhow, Context, Result};

use crate::backup;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::guest;
use crate::libvirt::affect;
use crate::mac::Mac;
use crate::output;
use crate::xml::edit::{self, Target};
use crate::xml::interface::Domain;

/// Restore a guest's persistent XML from a domif-convert backup.
///
/// Without --to the newest backup of each guest is used. With --live, NICs of
/// a running guest are also moved back to where the backup has them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Guests to restore
    #[arg(value_name = "DOMAIN", required = true, add = clap_complete::engine::ArgValueCandidates::new(crate::complete::domains(crate::complete::State::All)))]
    pub domains: Vec<String>,
    /// Backup to restore: a file name in the guest's backup directory, or a path to one of its files (nothing outside it)
    #[arg(long, value_name = "BACKUP")]
    pub to: Option<String>,
    /// Also move the running guest's NICs back (update-device)
    #[arg(long)]
    pub live: bool,
    /// List the guest's backups (oldest first) instead of restoring
    #[arg(long)]
    pub list: bool,
}

fn restore(ctx: &Ctx, dom: &str, args: &Args) -> Result<String> {
    let conn = ctx.conn()?;
    let info = conn.lookup_domain(dom).map_err(|e| guest::lookup_error(dom, e))?;
    let path = backup::resolve(dom, &info.uuid.to_ascii_lowercase(), args.to.as_deref())?;
    let xml = std::fs::read_to_string(&path).with_context(|| format!("cannot read backup {}", path.display()))?;
    let doc = crate::xml::parse(&xml).map_err(|e| anyhow!(e.describe(&xml))).with_context(|| format!("backup {} is not valid XML", path.display()))?;
    let name = Domain::read(doc.root_element()).name.map_or("", |n| n.text);
    if name != dom {
        return Err(anyhow!("backup {} is of guest '{name}', not '{dom}'", path.display()));
    }
    let active = info.active;
    conn.define_domain(&xml).map_err(|e| anyhow::Error::new(e).context(format!("cannot restore guest '{dom}' from {}", path.display())))?;
    if args.live && active {
        let live = guest::domain_xml(conn, dom, false)?;
        let live_ifaces = edit::interfaces(&live)?;
        for want in edit::interfaces(&xml)? {
            let Some(target) = Target::of(&want) else { continue };
            let m = want.mac.as_deref().and_then(|x| x.parse::<Mac>().ok());
            let Some(now) = live_ifaces.iter().find(|i| m.is_some() && i.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) == m) else { continue };
            if Target::of(now).as_ref() == Some(&target) {
                continue;
            }
            let doc = edit::retarget_interface(&live, now.index, &target)?;
            let el = edit::interface_xml(&doc, &edit::interfaces(&doc)?[now.index]);
            conn.update_device(dom, &el, affect::LIVE).map_err(|e| anyhow::Error::new(e).context(format!("config restored, but moving the running NIC {} back failed", want.mac.as_deref().unwrap_or("-"))))?;
        }
    }
    Ok(path.display().to_string())
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if args.to.is_some() && args.domains.len() > 1 {
        return Err(Exit::usage("--to names one backup: give a single guest with it"));
    }
    if args.list {
        let mut backups = Vec::new();
        for d in &args.domains {
            backups.extend(backup::list(d)?.into_iter().map(|p| (d.as_str(), p)));
        }
        if ctx.json() {
            let v: Vec<_> = backups.iter().map(|(d, p)| serde_json::json!({ "guest": d, "backup": p })).collect();
            return output::print_json(&v);
        }
        let s: String = backups.iter().map(|(d, p)| format!("{d}\t{}\n", p.display())).collect();
        output::print(&s)?;
        return Ok(());
    }
    ctx.conn()?;
    let mut failed = false;
    let mut out = String::new();
    // Ctrl-C stops between two guests, never inside one's define + live move
    let _interrupt = crate::interrupt::Guard::new();
    for (k, d) in args.domains.iter().enumerate() {
        if crate::interrupt::requested() {
            output::print(&out)?;
            eprintln!("Interrupted: {k} of {} guest(s) handled; not started: {}", args.domains.len(), args.domains[k..].join(" "));
            return Err(crate::interrupt::cancelled());
        }
        match restore(ctx, d, &args) {
            Ok(p) => {
                if !ctx.quiet() {
                    out.push_str(&format!("Domain '{d}' restored from {p}\n"));
                }
            }
            Err(e) => {
                output::print(&out)?;
                out.clear();
                crate::exit::report(&e);
                failed = true;
            }
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    output::print(&out)?;
    if failed {
        Err(Exit::silent(crate::exit::FAILURE))
    } else {
        Ok(())
    }
}
