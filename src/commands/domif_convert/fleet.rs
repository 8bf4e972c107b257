//! Several hosts: the same conversion on every host at once, one
//! connection each, then one table of every guest with its host and the
//! per-host summary (src/fleet.rs). Never asks a question: each host has
//! its own plan, so `--yes` (or `--dry-run`) is required.

use anyhow::Result;

use super::report::{counts, interrupted, lost_connection, preview_json, preview_text, report_json, summary_rows, Done};
use super::select::Selection;
use super::{convert, Args};
use crate::context::{Ctx, HostResult};
use crate::exit::{self, Exit};
use crate::fleet::Outcome;
use crate::output;

/// Several hosts: the same conversion on every host at once, one
/// connection each. No question is asked (each host has its own plan):
/// --yes is required, --dry-run shows every host's plan. Prints every
/// guest's row with its host, then the per-host summary; exit 0 only when
/// every guest on every host is fine.
pub(super) fn fleet(args: &Args, ctx: &Ctx) -> Result<()> {
    Selection::of(args)?;
    if !args.yes && !args.dry_run {
        return Err(Exit::usage(
            "refusing to convert guests on several hosts without --yes (each host has its own plan: see them with --dry-run)",
        ));
    }
    // one guard over every host's run (theirs nest in it): Ctrl-C stops
    // each host between two guests
    let _interrupt = crate::interrupt::Guard::new();
    let work = |h: &Ctx| convert(args, h);
    if args.dry_run {
        return fleet_preview(ctx, &ctx.fan_out(work)?);
    }
    let results = if ctx.json() {
        ctx.fan_out(work)?
    } else {
        // each host's guests as soon as that host is done, so a slow or
        // hung host never holds back what the others changed
        let mut table = crate::fleet::Streamed::new(ctx, &["Guest", "MAC", "From", "To", "Applied", "Result"])?;
        ctx.fan_out_streamed(work, |batch| table.show(&batch, &|done: &Done| summary_rows(&done.reports)))?
    };
    let stopped = crate::interrupt::requested().then(|| interrupted(results.iter().filter_map(|r| r.result.as_ref().ok()).flat_map(|d| &d.reports)));
    let lost: Vec<String> = results.iter().filter_map(|r| r.result.as_ref().ok().filter(|d| d.lost).map(|d| lost_connection(Some(&r.host), &d.reports))).collect();
    let outcomes: Vec<HostResult<Outcome>> = results
        .into_iter()
        .map(|r| HostResult {
            host: r.host,
            reached: r.reached,
            result: r.result.map(|done| Outcome { ok: done.ok(), detail: counts(&done.reports), report: Some(report_json(&done.reports)) }),
        })
        .collect();
    let summary = crate::fleet::summary(ctx, &outcomes);
    for msg in lost {
        eprintln!("{msg}");
    }
    if let Some(msg) = stopped {
        eprintln!("{msg}");
        return Err(crate::interrupt::cancelled());
    }
    summary
}

/// `--dry-run` on several hosts: each host's diffs under a `# HOST` line
/// (JSON: the hosts' plans, each with its `host`).
fn fleet_preview(ctx: &Ctx, results: &[HostResult<Done>]) -> Result<()> {
    if ctx.json() {
        crate::fleet::json(results, |d| Ok(preview_json(d.plans())))?;
    } else {
        let mut s = String::new();
        for r in results {
            if let Ok(done) = &r.result {
                s.push_str(&format!("# {}\n{}", r.host, preview_text(done.plans())));
            }
        }
        output::print(&s)?;
        crate::fleet::report_failures(results)?;
    }
    let ok = results.iter().all(|r| r.result.as_ref().is_ok_and(Done::ok));
    if ok {
        Ok(())
    } else {
        Err(Exit::silent(exit::FAILURE))
    }
}
