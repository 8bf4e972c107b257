//! What a run shows: the per-guest results (a virsh-style table, or JSON),
//! the `--dry-run` diffs, the confirmation question, and the message after
//! Ctrl-C. Prints only; never touches libvirt.

use std::io::IsTerminal;

use anyhow::Result;
use serde::Serialize;

use super::plan::{NicChange, Plan};
use crate::context::Ctx;
use crate::exit::{self, Exit};
use crate::output;
use super::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Status {
    Converted,
    NothingToConvert,
    Skipped,
    Failed,
    /// Ctrl-C came before knet got to it: untouched.
    NotStarted,
}

#[derive(Debug, Serialize)]
pub(super) struct GuestReport {
    pub guest: String,
    pub status: Status,
    /// live+config, config, config+restart, config (next boot)
    pub applied: Option<String>,
    pub detail: Option<String>,
    pub backup: Option<String>,
    pub nics: Vec<NicChange>,
    /// What the moved NICs lost (see the plan's warnings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl GuestReport {
    pub fn new(guest: &str, status: Status, detail: Option<String>) -> Self {
        GuestReport { guest: guest.to_string(), status, applied: None, detail, backup: None, nics: Vec::new(), warnings: Vec::new() }
    }
    pub fn ok(&self) -> bool {
        matches!(self.status, Status::Converted | Status::NothingToConvert)
    }
}

/// What [`convert`] did on one host.
pub(super) struct Done {
    /// Every guest's report, in the order named (or by name with --all).
    pub reports: Vec<GuestReport>,
    /// With --dry-run: the plans, nothing applied.
    pub preview: Option<Vec<Plan>>,
    /// No guest needed a change.
    pub nothing_planned: bool,
    /// Ctrl-C stopped the run between two guests.
    pub interrupted: bool,
    /// The connection was lost: the guests after it were not started.
    pub lost: bool,
}

impl Done {
    /// The previewed plans (none when applied).
    pub fn plans(&self) -> &[Plan] {
        self.preview.as_deref().unwrap_or_default()
    }

    pub fn ok(&self) -> bool {
        self.reports.iter().all(GuestReport::ok)
    }
}

/// The command's output on one host (virsh-style table, diff or JSON);
/// exit 1 unless every guest is fine.
pub(super) fn render(done: &Done, ctx: &Ctx) -> Result<()> {
    if let Some(plans) = &done.preview {
        if ctx.json() {
            return output::print_json(&serde_json::json!({ "changed": false, "guests": preview_json(plans) }));
        }
        output::print(&preview_text(plans))?;
    } else if ctx.json() {
        output::print_json(&report_json(&done.reports))?;
    } else {
        print_warnings(done.reports.iter().filter(|r| r.status == Status::Converted).flat_map(|r| &r.warnings));
        let mut s = summary(&done.reports, ctx.quiet());
        if done.nothing_planned {
            s.push_str("nothing to convert\n");
        }
        output::print(&s)?;
    }
    if done.reports.iter().any(|r| r.status == Status::Converted && r.applied.as_deref().is_some_and(|a| a.contains("next boot")) && r.nics.iter().any(|n| n.model_to.is_some())) {
        eprintln!("note: libvirt cannot change a running guest's NIC model: running guests get the new model at their next boot (--restart: now)");
    }
    if done.interrupted {
        eprintln!("{}", interrupted(&done.reports));
        return Err(crate::interrupt::cancelled());
    }
    if done.lost {
        eprintln!("{}", output::escape_text(&lost_connection(ctx.uris().ok().and_then(|u| u.first()).map(String::as_str), &done.reports)));
    }
    if done.ok() {
        Ok(())
    } else {
        Err(Exit::silent(exit::FAILURE))
    }
}

/// `--json` of an applied run: `{changed, guests}`, changed when a guest was
/// converted (a re-run finds them converted: `nothing-to-convert`).
pub(super) fn report_json(reports: &[GuestReport]) -> serde_json::Value {
    serde_json::json!({ "changed": reports.iter().any(|r| r.status == Status::Converted), "guests": reports })
}

/// After Ctrl-C (exit 130; SIGTERM, SIGHUP alike): what was done, on one host or all of them.
pub(super) fn interrupted<'a>(reports: impl IntoIterator<Item = &'a GuestReport> + Clone) -> String {
    let count = |s: Status| reports.clone().into_iter().filter(|r| r.status == s).count();
    format!(
        "Interrupted: {} guest(s) converted, {} not started; run the same command again to finish (converted guests are skipped)",
        count(Status::Converted),
        count(Status::NotStarted)
    )
}

/// After the connection to a host was lost mid-run: what was done, and the
/// commands that finish the job or undo it.
pub(super) fn lost_connection(uri: Option<&str>, reports: &[GuestReport]) -> String {
    let c = uri.map(|u| format!("-c {} ", shell_words::quote(u))).unwrap_or_default();
    let done: Vec<String> = reports.iter().filter(|r| r.status == Status::Converted).map(|r| shell_words::quote(&r.guest).into_owned()).collect();
    let mut s = format!(
        "Connection to the hypervisor{} lost: {}; once it is back, run the same command again to finish (converted guests are skipped)",
        uri.map(|u| format!(" {u}")).unwrap_or_default(),
        counts(reports)
    );
    if !done.is_empty() {
        s.push_str(&format!(", or undo the conversions with: knet {c}domif-rollback --yes {}", done.join(" ")));
    }
    s
}

/// One host's guests in a few words: `3 converted, 1 failed`.
pub(super) fn counts(reports: &[GuestReport]) -> String {
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

/// `--dry-run`: every plan's diff.
pub(super) fn preview_text(plans: &[Plan]) -> String {
    let mut s: String = plans.iter().map(diff).collect();
    if plans.is_empty() {
        s.push_str("nothing to convert\n");
    }
    s
}

pub(super) fn preview_json(plans: &[Plan]) -> Vec<serde_json::Value> {
    plans.iter().map(|p| serde_json::json!({"guest": p.guest, "nics": p.nics, "warnings": p.warnings, "diff": diff(p)})).collect()
}

/// What the moved NICs lose, on stderr (stdout keeps the table or the diff).
pub(super) fn print_warnings<'w>(warnings: impl IntoIterator<Item = &'w String>) {
    for w in warnings {
        eprintln!("warning: {}", output::escape(w));
    }
}

pub(super) fn diff(p: &Plan) -> String {
    let d = similar::TextDiff::from_lines(&p.original, &p.converted);
    let s = d.unified_diff().context_radius(3).header(&format!("{} (persistent config)", p.guest), &format!("{} (converted)", p.guest)).to_string();
    s
}

pub(super) fn confirm(plans: &[Plan], target: &Change) -> Result<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Exit::usage(format!(
            "refusing to convert {} guest(s) without confirmation: no terminal to ask on (pass --yes, or --dry-run to see the changes)",
            plans.len()
        )));
    }
    let mut list = String::new();
    for p in plans {
        for n in &p.nics {
            list.push_str(&format!("  {}  {}  {} -> {}\n", p.guest, n.mac.as_deref().unwrap_or("-"), n.side(true), n.side(false)));
        }
    }
    eprint!("{list}");
    print_warnings(plans.iter().flat_map(|p| &p.warnings));
    Ok(dialoguer::Confirm::new()
        .with_prompt(format!("Convert {} guest(s) to {target}?", plans.len()))
        .default(false)
        .interact()?)
}

fn summary(reports: &[GuestReport], quiet: bool) -> String {
    output::table(&["Guest", "MAC", "From", "To", "Applied", "Result"], &summary_rows(reports), quiet)
}

/// One row per NIC (or per guest without one): Guest, MAC, From, To, Applied, Result.
pub(super) fn summary_rows(reports: &[GuestReport]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in reports {
        let result = match (r.status, &r.detail) {
            (Status::Converted, _) => "converted".to_string(),
            (Status::NothingToConvert, _) => "nothing to convert".to_string(),
            (Status::Skipped, d) => format!("skipped: {}", d.as_deref().unwrap_or("")),
            (Status::Failed, d) => format!("failed: {}", d.as_deref().unwrap_or("")),
            (Status::NotStarted, d) => format!("not started ({})", d.as_deref().unwrap_or(crate::interrupt::cause())),
        };
        let applied = r.applied.clone().filter(|_| r.status == Status::Converted).unwrap_or_else(|| "-".into());
        if r.nics.is_empty() {
            rows.push(vec![r.guest.clone(), "-".into(), "-".into(), "-".into(), applied.clone(), result.clone()]);
        }
        for n in &r.nics {
            rows.push(vec![r.guest.clone(), n.mac.clone().unwrap_or_else(|| "-".into()), n.side(true), n.side(false), applied.clone(), result.clone()]);
        }
    }
    rows
}
