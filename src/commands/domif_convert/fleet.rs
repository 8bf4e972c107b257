//! Several hosts: the same conversion on every host at once, one
//! connection each, then one table of every guest with its host and the
//! per-host summary (src/fleet.rs). Never asks a question: each host has
//! its own plan, so `--yes` (or `--dry-run`) is required.

use anyhow::Result;

use super::report::{interrupted, preview_json, preview_text, summary_rows, Done, GuestReport, Status};
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
    let results = ctx.fan_out(|h| convert(args, h))?;
    if args.dry_run {
        return fleet_preview(ctx, &results);
    }
    if !ctx.json() {
        let mut rows = Vec::new();
        for r in &results {
            if let Ok(done) = &r.result {
                for row in summary_rows(&done.reports) {
                    rows.push(std::iter::once(r.host.clone()).chain(row).collect());
                }
            }
        }
        output::print(&output::table(&["Host", "Guest", "MAC", "From", "To", "Applied", "Result"], &rows, ctx.quiet()))?;
    }
    let stopped = crate::interrupt::requested().then(|| interrupted(results.iter().filter_map(|r| r.result.as_ref().ok()).flat_map(|d| &d.reports)));
    let outcomes: Vec<HostResult<Outcome>> = results
        .into_iter()
        .map(|r| HostResult {
            host: r.host,
            reached: r.reached,
            result: r.result.map(|done| Outcome { ok: done.ok(), detail: counts(&done.reports), report: serde_json::to_value(&done.reports).ok() }),
        })
        .collect();
    let summary = crate::fleet::summary(ctx, &outcomes);
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

/// One host's guests in a few words: `3 converted, 1 failed`.
fn counts(reports: &[GuestReport]) -> String {
    let mut parts = Vec::new();
    for (status, label) in [(Status::Converted, "converted"), (Status::NothingToConvert, "nothing to convert"), (Status::Skipped, "skipped"), (Status::Failed, "failed"), (Status::NotStarted, "not started")] {
        let n = reports.iter().filter(|r| r.status == status).count();
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    if parts.is_empty() {
        "no guest selected".into()
    } else {
        parts.join(", ")
    }
}
