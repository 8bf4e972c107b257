//! What the user sees: virsh-style tables, JSON, quiet mode.
//!
//! Table layout is virsh's (tools/vsh-table.c): every row starts with a space,
//! each column is padded to its widest cell plus three spaces except the last,
//! a dash line as long as the sum of (width + 3), and a blank line after.
//! Widths are display widths, with control characters escaped as virsh does.
//!
//! Never decides what to show (commands do) and never reads libvirt: it
//! only formats and writes, and a closed pipe is not an error (src/exit.rs).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Text from a file, libvirt or a guest made safe to print on a terminal, as
/// virsh's tables do (tools/vsh-table.c vshTableSafeEncode): every control
/// character (C0, DEL, C1) becomes `\xNN` per byte, and a literal `\x` beside
/// them has its backslash encoded too, so the output cannot be mistaken for
/// an escape; text without control characters is left as virsh prints it.
/// Everything else, non-ASCII text included, is kept. What knet's
/// diagnostics and messages that quote what they read call; virsh's tables
/// themselves go through [`safe_encode`], which also depends on the locale
/// as virsh's does.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, &[])
}

/// [`escape`] for text of several lines (messages, a quoted source line):
/// line breaks and tabs are kept, every other control character escaped.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_but(s, &['\n', '\t'])
}

fn escape_but<'s>(s: &'s str, keep: &[char]) -> Cow<'s, str> {
    let control = |c: char| c.is_control() && !keep.contains(&c);
    // text with nothing to escape is printed as it is, as virsh prints its
    // messages (a literal `\x` only needs encoding beside real escapes)
    if !s.chars().any(control) {
        return Cow::Borrowed(s);
    }
    let needs = |(i, c): (usize, char)| control(c) || (c == '\\' && s[i + 1..].starts_with('x'));
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
/// header row before measuring). Cells are escaped and measured as
/// [`safe_encode`] does.
pub fn table(headers: &[&str], rows: &[Vec<String>], quiet: bool) -> String {
    let (parts, mut out) = TableParts::head(headers, rows, quiet, &[]);
    out.push_str(parts.end());
    out
}

/// A [`table`] printed in parts, for rows that arrive over time (hosts
/// answering one after another): [`TableParts::head`] is the header and the
/// first rows, [`TableParts::rows`] later rows in the same columns, and
/// [`TableParts::end`] the closing blank line. Put together with nothing
/// in between, the parts are exactly [`table`]'s output for the first rows.
pub struct TableParts {
    widths: Vec<usize>,
    quiet: bool,
    utf8: bool,
}

impl TableParts {
    /// The header (unless `quiet`) and `rows`, each column as wide as its
    /// widest cell or `min`'s entry for it (room for rows still to come).
    pub fn head(headers: &[&str], rows: &[Vec<String>], quiet: bool, min: &[usize]) -> (TableParts, String) {
        let utf8 = utf8_locale();
        let enc = |c: &str| safe_encode(c, utf8);
        let head: Vec<(String, usize)> = headers.iter().map(|h| enc(h)).collect();
        let mut widths: Vec<usize> = head.iter().map(|h| if quiet { 0 } else { h.1 }).collect();
        for (w, m) in widths.iter_mut().zip(min) {
            *w = (*w).max(*m);
        }
        let body: Vec<Vec<(String, usize)>> = rows.iter().map(|r| r.iter().map(|c| enc(c)).collect()).collect();
        for row in &body {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.1);
            }
        }
        let mut out = String::new();
        if !quiet {
            table_row(&mut out, &widths, &head);
            out.push_str(&"-".repeat(widths.iter().map(|w| w + 3).sum()));
            out.push('\n');
        }
        for row in &body {
            table_row(&mut out, &widths, row);
        }
        (TableParts { widths, quiet, utf8 }, out)
    }

    /// More rows in the head's columns (a wider cell pushes the rest of its
    /// row to the right rather than re-laying what is already printed).
    pub fn rows(&self, rows: &[Vec<String>]) -> String {
        let mut out = String::new();
        for row in rows {
            let cells: Vec<(String, usize)> = row.iter().map(|c| safe_encode(c, self.utf8)).collect();
            table_row(&mut out, &self.widths, &cells);
        }
        out
    }

    /// The blank line that closes a table (none with `quiet`).
    pub fn end(&self) -> &'static str {
        if self.quiet {
            ""
        } else {
            "\n"
        }
    }
}

fn table_row(out: &mut String, widths: &[usize], cells: &[(String, usize)]) {
    for (i, (cell, w)) in cells.iter().enumerate() {
        out.push(' ');
        out.push_str(cell);
        if i + 1 < widths.len() {
            let pad = widths[i].saturating_sub(*w) + 2;
            out.extend(std::iter::repeat(' ').take(pad));
        }
    }
    out.push('\n');
}

/// A table cell as virsh's vshTableSafeEncode writes it, and its display
/// width: control characters, and a backslash before `x`, become `\xNN`;
/// in a UTF-8 locale other characters count their terminal width (two for
/// East Asian wide ones, none for combining marks) and unprintable ones are
/// escaped byte by byte; in any other locale every non-ASCII byte becomes
/// `\xff` (virsh prints the byte as a signed char into four characters).
pub fn safe_encode(s: &str, utf8: bool) -> (String, usize) {
    fn hex(b: u8, out: &mut String) {
        if b < 0x80 {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            out.push_str("\\xff");
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut width = 0;
    for (i, c) in s.char_indices() {
        let next_is_x = s[i + c.len_utf8()..].starts_with('x');
        if (c == '\\' && next_is_x) || c.is_ascii_control() {
            hex(c as u8, &mut out);
            width += 4;
        } else if c.is_ascii() {
            out.push(c);
            width += 1;
        } else if !utf8 {
            for _ in 0..c.len_utf8() {
                out.push_str("\\xff");
                width += 4;
            }
        } else if !printable(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                hex(b, &mut out);
                width += 4;
            }
        } else {
            out.push(c);
            width += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
    }
    (out, width)
}

/// `iswprint` in the locale virsh would run in.
fn printable(c: char) -> bool {
    extern "C" {
        fn iswprint(wc: u32) -> libc::c_int;
    }
    // SAFETY: iswprint reads no memory; utf8_locale() has set LC_CTYPE.
    unsafe { iswprint(c as u32) != 0 }
}

/// Whether the user's locale (LC_ALL, LC_CTYPE, LANG: as virsh's
/// `setlocale(LC_ALL, "")` finds it) is a UTF-8 one that exists here. Sets
/// this process's LC_CTYPE to it once, as virsh does, so [`printable`]
/// answers as virsh's iswprint.
pub fn utf8_locale() -> bool {
    static UTF8: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *UTF8.get_or_init(|| {
        // SAFETY: called once, before any table is drawn; the returned
        // strings are read at once and not kept.
        unsafe {
            if libc::setlocale(libc::LC_CTYPE, c"".as_ptr()).is_null() {
                return false;
            }
            let cs = libc::nl_langinfo(libc::CODESET);
            !cs.is_null() && std::ffi::CStr::from_ptr(cs).to_bytes().eq_ignore_ascii_case(b"UTF-8")
        }
    })
}

/// virsh's vshStrcasecmp (strcasecmp): bytes compared after ASCII
/// lower-casing, the order of its name listings.
pub fn strcasecmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
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
    let mut s = json_terminal_safe(serde_json::to_string_pretty(value)?);
    s.push('\n');
    print(&s)?;
    Ok(())
}

/// The `--json` report of a command that can change something: its own
/// `fields` (an object) plus `changed` (whether anything changed: false when
/// the command found the wanted state already there, so Ansible's
/// `changed_when` can use it) and `message` (virsh's success line). Each
/// command's fields are listed in README "JSON".
pub fn print_change(fields: serde_json::Value, changed: bool, message: &str) -> anyhow::Result<()> {
    let mut v = fields;
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("changed".into(), changed.into());
        m.insert("message".into(), message.into());
    }
    print_json(&v)
}

/// JSON with DEL and the C1 controls written as `\u00XX`: serde_json
/// escapes only what JSON requires (C0), and a terminal shown U+009B takes
/// it for CSI. The same value for every JSON reader; these characters can
/// only occur inside strings.
pub fn json_terminal_safe(s: String) -> String {
    if !s.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
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
    fn a_table_in_parts_keeps_its_columns() {
        let rows = |v: &[[&str; 2]]| v.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>();
        let first = rows(&[["h1", "default"]]);
        // head + end with nothing in between is the table itself
        let (parts, head) = TableParts::head(&["Host", "Name"], &first, false, &[]);
        assert_eq!(format!("{head}{}", parts.end()), table(&["Host", "Name"], &first, false));
        // room for a longer host to come: later rows line up under the header
        let (parts, head) = TableParts::head(&["Host", "Name"], &first, false, &[9]);
        let all = format!("{head}{}{}", parts.rows(&rows(&[["host-nine", "lab"]])), parts.end());
        assert_eq!(all, " Host        Name\n----------------------\n h1          default\n host-nine   lab\n\n");
        let (parts, head) = TableParts::head(&["Host", "Name"], &first, true, &[]);
        assert_eq!(format!("{head}{}", parts.end()), " h1   default\n");
    }

    #[test]
    fn cells_are_escaped_and_measured_as_virsh_does() {
        assert_eq!(safe_encode("vnet0", true), ("vnet0".into(), 5));
        // control characters, and a backslash only before 'x'
        assert_eq!(safe_encode("a\tb\\xc\\d", true), ("a\\x09b\\x5cxc\\d".into(), 14));
        // UTF-8 locale: display width; wide characters count two (virsh's
        // iswprint needs the locale, as in utf8_locale)
        // SAFETY: LC_CTYPE only, set to a locale every glibc has.
        unsafe { libc::setlocale(libc::LC_CTYPE, c"C.UTF-8".as_ptr()) };
        assert_eq!(safe_encode("caf\u{e9}\u{4e2d}", true), ("caf\u{e9}\u{4e2d}".into(), 6));
        // any other locale: every non-ASCII byte is "\xff"
        assert_eq!(safe_encode("\u{e9}", false), ("\\xff\\xff".into(), 8));
    }

    #[test]
    fn names_sort_ignoring_ascii_case() {
        let mut v = vec!["default", "Zed", "alpha", "Beta"];
        v.sort_by(|a, b| strcasecmp(a, b));
        assert_eq!(v, ["alpha", "Beta", "default", "Zed"]);
    }

    #[test]
    fn escape_is_virshs_table_encoding() {
        assert_eq!(escape("plain wörds"), "plain wörds");
        assert_eq!(escape("a\x1b[31mb\x07"), "a\\x1b[31mb\\x07");
        assert_eq!(escape("tab\there"), "tab\\x09here");
        assert_eq!(escape("C1\u{9b}2J"), "C1\\xc2\\x9b2J");
        // a literal \x would read as an escape beside real ones: its
        // backslash is encoded then; alone, the text is virsh's
        assert_eq!(escape("C:\\xdir\x07"), "C:\\x5cxdir\\x07");
        assert_eq!(escape("C:\\xdir \\n"), "C:\\xdir \\n");
        assert_eq!(escape_text("one\n\ttwo\x1b"), "one\n\ttwo\\x1b");
        let t = table(&["Name"], &[vec!["a\x1bb".into()]], false);
        assert_eq!(t, " Name\n---------\n a\\x1bb\n\n");
        assert_eq!((article("ethernet"), article("bond"), article("openvswitch")), ("an", "a", "an"));
    }
}
