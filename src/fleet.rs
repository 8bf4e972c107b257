//! What commands share when they run on several hosts (`-c` more than once,
//! `--hosts FILE`; the fan-out itself is `Ctx::fan_out`).
//!
//! - Listing commands print one table with a `Host` column first ([`table`]),
//!   and JSON items carrying a `host` field ([`json`]); a host that failed is reported on stderr
//!   after the table (`error: HOST: ...`) and makes the exit code 1, without
//!   hiding the other hosts' rows.
//! - Write commands print a per-host summary (Host, Result, Detail) and exit
//!   0 only when every host succeeded.
//!
//! A host is labelled by its URI exactly as given: the only name that is
//! always unique (two daemons on one machine differ only in their socket or
//! driver) and the one to paste back into `-c`. This module never opens a
//! connection and never runs with a single host: one URI keeps every
//! command's virsh output byte for byte.

use anyhow::Result;
use serde_json::Value;

use crate::context::{Batch, Ctx, HostResult};
use crate::exit::Exit;
use crate::output;

/// An error chain on one line: `outer: inner: libvirt's reason`.
pub fn chain(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = e.chain().map(|c| c.to_string()).filter(|c| !c.is_empty()).collect();
    parts.extend(crate::libvirt::unanswered_note(e).map(str::to_string));
    parts.join(": ")
}

/// `item` with a `host` field added (objects), or `{host, value}` (anything else).
pub fn with_host(host: &str, item: Value) -> Value {
    match item {
        Value::Object(mut m) => {
            m.insert("host".into(), Value::String(host.into()));
            Value::Object(m)
        }
        other => serde_json::json!({ "host": host, "value": other }),
    }
}

/// Print a listing from every host as one table, `Host` first, then one
/// `error:` line per failed host on stderr (exit 1 if any). `rows` turns
/// one host's result into its table rows.
pub fn table<T>(ctx: &Ctx, results: &[HostResult<T>], headers: &[&str], rows: impl Fn(&T) -> Vec<Vec<String>>) -> Result<()> {
    let mut heads = vec!["Host"];
    heads.extend_from_slice(headers);
    output::print(&output::table(&heads, &host_rows(results.iter(), &rows), ctx.quiet()))?;
    report_failures(results)
}

/// Run `work` on every host ([`Ctx::fan_out_streamed`]) and print its
/// listing as [`table`] does, as the hosts answer: when every host is quick,
/// exactly [`table`]'s output; else the table of the hosts that answered
/// within [`crate::context::PATIENCE`], then each later host's rows in the
/// same columns (the Host column already as wide as every host's label) and
/// each failed host's `error:` line as it comes. Returns every host's
/// result for what the command does next.
pub fn stream_table<T: Send>(
    ctx: &Ctx,
    work: impl Fn(&Ctx) -> Result<T> + Sync,
    headers: &[&str],
    rows: impl Fn(&T) -> Vec<Vec<String>>,
) -> Result<Vec<HostResult<T>>> {
    let mut table = Streamed::new(ctx, headers)?;
    let results = ctx.fan_out_streamed(work, |batch| {
        table.show(&batch, &rows)?;
        if table.streaming() {
            for r in &batch.results {
                report_failure(r);
            }
        }
        Ok(())
    })?;
    if table.streaming() {
        // the errors went out as they came
        exit_code(&results)?;
    } else {
        report_failures(&results)?;
    }
    Ok(results)
}

/// A table with a `Host` column, printed batch by batch as
/// [`Ctx::fan_out_streamed`] hands the hosts' results over (see
/// [`stream_table`]); failed hosts are the caller's to report.
pub struct Streamed<'h> {
    heads: Vec<&'h str>,
    host_width: usize,
    quiet: bool,
    parts: Option<output::TableParts>,
}

impl<'h> Streamed<'h> {
    pub fn new(ctx: &Ctx, headers: &[&'h str]) -> Result<Self> {
        let mut heads = vec!["Host"];
        heads.extend_from_slice(headers);
        let host_width = ctx.uris()?.iter().map(|u| output::safe_encode(u, output::utf8_locale()).1).max().unwrap_or(0);
        Ok(Streamed { heads, host_width, quiet: ctx.quiet(), parts: None })
    }

    /// Print one batch's rows: all of them as one table when it is the
    /// only batch, else the header with the first, later ones below.
    pub fn show<T>(&mut self, batch: &Batch<'_, T>, rows: &impl Fn(&T) -> Vec<Vec<String>>) -> Result<()> {
        let body = host_rows(batch.results.iter().copied(), rows);
        if batch.first && batch.last {
            return Ok(output::print(&output::table(&self.heads, &body, self.quiet))?);
        }
        let text = match &self.parts {
            Some(p) => p.rows(&body),
            None => {
                let (p, text) = output::TableParts::head(&self.heads, &body, self.quiet, &[self.host_width]);
                self.parts = Some(p);
                text
            }
        };
        output::print(&text)?;
        if let (true, Some(p)) = (batch.last, &self.parts) {
            output::print(p.end())?;
        }
        Ok(())
    }

    /// Has the table been printed in parts (hosts answered at different times)?
    pub fn streaming(&self) -> bool {
        self.parts.is_some()
    }
}

fn host_rows<'r, T: 'r>(results: impl Iterator<Item = &'r HostResult<T>>, rows: &impl Fn(&T) -> Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut table = Vec::new();
    for r in results {
        if let Ok(t) = &r.result {
            for row in rows(t) {
                table.push(std::iter::once(r.host.clone()).chain(row).collect());
            }
        }
    }
    table
}

/// `--json` of a listing from every host: one array of every host's items,
/// each with its `host`; failed hosts as in [`table`].
pub fn json<T>(results: &[HostResult<T>], items: impl Fn(&T) -> Result<Vec<Value>>) -> Result<()> {
    let mut all = Vec::new();
    for r in results {
        if let Ok(t) = &r.result {
            all.extend(items(t)?.into_iter().map(|v| with_host(&r.host, v)));
        }
    }
    output::print_json(&all)?;
    report_failures(results)
}

/// Items as JSON values, for [`json`].
pub fn values<I: serde::Serialize>(items: impl IntoIterator<Item = I>) -> Result<Vec<Value>> {
    Ok(items.into_iter().map(serde_json::to_value).collect::<serde_json::Result<_>>()?)
}

/// Plain lines (`--name`, `--uuid`) from every host, each as `HOST VALUE`,
/// printed as the hosts answer (see [`stream_table`]), then the closing
/// blank line; failed hosts as in [`table`].
pub fn lines<T: Send>(ctx: &Ctx, work: impl Fn(&Ctx) -> Result<T> + Sync, values: impl Fn(&T) -> Vec<String>) -> Result<()> {
    let mut streamed = false;
    let results = ctx.fan_out_streamed(work, |batch| {
        let mut s = String::new();
        for r in &batch.results {
            if let Ok(t) = &r.result {
                for v in values(t) {
                    s.push_str(&format!("{} {v}\n", r.host));
                }
            }
        }
        streamed |= !batch.last;
        if streamed {
            for r in &batch.results {
                report_failure(r);
            }
        }
        if batch.last && !ctx.quiet() {
            s.push('\n');
        }
        Ok(output::print(&s)?)
    })?;
    if streamed {
        exit_code(&results)
    } else {
        report_failures(&results)
    }
}

/// `error: HOST: reason` on stderr for every failed host; exit 1 if any.
pub fn report_failures<T>(results: &[HostResult<T>]) -> Result<()> {
    for r in results {
        report_failure(r);
    }
    exit_code(results)
}

/// `error: HOST: reason` on stderr if this host failed.
fn report_failure<T>(r: &HostResult<T>) {
    if let Err(e) = &r.result {
        if let Some(Exit { message: None, .. }) = e.downcast_ref::<Exit>() {
            // the host's work printed its own verdict (doctor's FAIL)
        } else {
            eprintln!("error: {}: {}", r.host, chain(e));
        }
    }
}

/// Exit 1 (silently: the hosts' errors are out already) if any host failed.
fn exit_code<T>(results: &[HostResult<T>]) -> Result<()> {
    if results.iter().any(|r| r.result.is_err()) {
        Err(Exit::silent(crate::exit::FAILURE))
    } else {
        Ok(())
    }
}

/// One host's outcome of a write command.
#[derive(Debug)]
pub struct Outcome {
    pub ok: bool,
    /// One line for the summary's Detail column.
    pub detail: String,
    /// The command's own JSON for this host, under `report`.
    pub report: Option<Value>,
}

/// The per-host summary of a write command (Host, Result, Detail; or JSON
/// `[{host, result, detail, report}]`); exit 0 only when every host
/// succeeded. Result is `ok`, `failed`, or `unreachable` when its
/// connection never opened.
pub fn summary(ctx: &Ctx, results: &[HostResult<Outcome>]) -> Result<()> {
    let verdict = |r: &HostResult<Outcome>| -> (&'static str, String) {
        match &r.result {
            Ok(o) => (if o.ok { "ok" } else { "failed" }, o.detail.clone()),
            Err(e) => (if r.reached { "failed" } else { "unreachable" }, chain(e)),
        }
    };
    if ctx.json() {
        let v: Vec<Value> = results
            .iter()
            .map(|r| {
                let (result, detail) = verdict(r);
                let report = r.result.as_ref().ok().and_then(|o| o.report.clone()).unwrap_or(Value::Null);
                serde_json::json!({ "host": r.host, "result": result, "detail": detail, "report": report })
            })
            .collect();
        output::print_json(&v)?;
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| {
                let (result, detail) = verdict(r);
                vec![r.host.clone(), result.to_string(), if detail.is_empty() { "-".into() } else { detail }]
            })
            .collect();
        output::print(&output::table(&["Host", "Result", "Detail"], &rows, ctx.quiet()))?;
    }
    if results.iter().all(|r| r.result.as_ref().is_ok_and(|o| o.ok)) {
        Ok(())
    } else {
        Err(Exit::silent(crate::exit::FAILURE))
    }
}

/// Run a single-host write command on every host: its own code, unchanged,
/// in each host's context; what it would have printed becomes the host's
/// Detail (its success message), its error the failure's Detail.
/// With `--json` what it printed is its JSON report: it becomes the host's
/// `report` (with its `changed`) and its `message` the Detail.
pub fn each_host(ctx: &Ctx, work: impl Fn(&Ctx) -> Result<()> + Sync) -> Result<()> {
    let json = ctx.json();
    let results = ctx.fan_out(|h| {
        let (r, printed) = output::capture(|| work(h));
        r.map(|()| match serde_json::from_str::<Value>(&printed) {
            Ok(report) if json => {
                let detail = report.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
                Outcome { ok: true, detail, report: Some(report) }
            }
            _ => Outcome { ok: true, detail: one_line(&printed), report: None },
        })
    })?;
    summary(ctx, &results)
}

/// A command's printed message as one Detail line.
pub fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}
