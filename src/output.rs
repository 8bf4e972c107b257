//! What the user sees: virsh-style tables, JSON, quiet mode.
//!
//! Table layout is virsh's (tools/vsh-table.c): every row starts with a space,
//! each column is padded to its widest cell plus three spaces except the last,
//! a dash line as long as the sum of (width + 3), and a blank line after.
//! Widths count characters, not bytes.
//!
//! Never decides what to show (commands do) and never reads libvirt: it
//! only formats and writes, and a closed pipe is not an error (src/exit.rs).

use std::cell::RefCell;
use std::io::{self, Write};

/// Render a virsh table. With `quiet` it is `virsh -q`'s: no header, no dash
/// line, no blank line after, and widths from the rows alone (virsh drops the
/// header row before measuring).
pub fn table(headers: &[&str], rows: &[Vec<String>], quiet: bool) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| if quiet { 0 } else { h.chars().count() }).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    if !quiet {
        table_row(&mut out, &widths, headers.iter().copied());
        out.push_str(&"-".repeat(widths.iter().map(|w| w + 3).sum()));
        out.push('\n');
    }
    for row in rows {
        table_row(&mut out, &widths, row.iter().map(String::as_str));
    }
    if !quiet {
        out.push('\n');
    }
    out
}

fn table_row<'s>(out: &mut String, widths: &[usize], cells: impl Iterator<Item = &'s str>) {
    for (i, cell) in cells.enumerate() {
        out.push(' ');
        out.push_str(cell);
        if i + 1 < widths.len() {
            let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
            out.extend(std::iter::repeat(' ').take(pad));
        }
    }
    out.push('\n');
}

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's [`print`] going to a buffer instead of stdout;
/// `f`'s result and what it printed. A fleet run (src/fleet.rs) gathers each
/// host's output this way, to show it in one summary.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, String) {
    let outer = CAPTURE.with(|c| c.replace(Some(String::new())));
    let r = f();
    let text = CAPTURE.with(|c| c.replace(outer)).unwrap_or_default();
    (r, text)
}

/// Print `s` to stdout in one write (or to the [`capture`] buffer).
pub fn print(s: &str) -> io::Result<()> {
    let captured = CAPTURE.with(|c| c.borrow_mut().as_mut().map(|buf| buf.push_str(s)).is_some());
    if captured {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// Print a value as pretty JSON followed by a newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    print(&s)?;
    Ok(())
}

/// "yes"/"no" as virsh prints booleans in tables and info output.
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
