//! What the user sees: virsh-style tables, JSON, quiet mode.
//!
//! Table layout is virsh's (tools/vsh-table.c): every row starts with a space,
//! each column is padded to its widest cell plus three spaces except the last,
//! a dash line as long as the sum of (width + 3), and a blank line after.
//! Widths count characters, not bytes.
//!
//! Never decides what to show (commands do) and never reads libvirt: it
//! only formats and writes, and a closed pipe is not an error (src/exit.rs).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Text from a file, libvirt or a guest made safe to print on a terminal, as
/// virsh's tables do (tools/vsh-table.c vshTableSafeEncode): every control
/// character (C0, DEL, C1) becomes `\xNN` per byte, and a literal `\x` has
/// its backslash encoded too, so the output cannot be mistaken for an
/// escape. Everything else, non-ASCII text included, is kept. The one place
/// knet escapes for the terminal: tables, diagnostics and messages that
/// quote what they read all call it.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, &[])
}

/// [`escape`] for text of several lines (messages, a quoted source line):
/// line breaks and tabs are kept, every other control character escaped.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_but(s, &['\n', '\t'])
}

fn escape_but<'s>(s: &'s str, keep: &[char]) -> Cow<'s, str> {
    let needs = |(i, c): (usize, char)| (c.is_control() && !keep.contains(&c)) || (c == '\\' && s[i + 1..].starts_with('x'));
    if !s.char_indices().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        if needs((i, c)) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Render a virsh table. With `quiet` it is `virsh -q`'s: no header, no dash
/// line, no blank line after, and widths from the rows alone (virsh drops the
/// header row before measuring).
pub fn table(headers: &[&str], rows: &[Vec<String>], quiet: bool) -> String {
    let rows: Vec<Vec<Cow<str>>> = rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| if quiet { 0 } else { h.chars().count() }).collect();
    for row in &rows {
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
    for row in &rows {
        table_row(&mut out, &widths, row.iter().map(|c| c.as_ref()));
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

/// "a" or "an" before `word` (by its first letter: the words knet names,
/// interface kinds like ethernet, bond, vlan, openvswitch, are pronounced
/// as spelt).
pub fn article(word: &str) -> &'static str {
    if word.starts_with(|c: char| "aeiouAEIOU".contains(c)) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_is_virshs_table_encoding() {
        assert_eq!(escape("plain wörds"), "plain wörds");
        assert_eq!(escape("a\x1b[31mb\x07"), "a\\x1b[31mb\\x07");
        assert_eq!(escape("tab\there"), "tab\\x09here");
        assert_eq!(escape("C1\u{9b}2J"), "C1\\xc2\\x9b2J");
        // a literal \x would read as an escape: its backslash is encoded
        assert_eq!(escape("C:\\xdir \\n"), "C:\\x5cxdir \\n");
        assert_eq!(escape_text("one\n\ttwo\x1b"), "one\n\ttwo\\x1b");
        let t = table(&["Name"], &[vec!["a\x1bb".into()]], false);
        assert_eq!(t, " Name\n---------\n a\\x1bb\n\n");
        assert_eq!((article("ethernet"), article("bond"), article("openvswitch")), ("an", "a", "an"));
    }
}
