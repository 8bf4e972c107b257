//! Writing XML: the one place text becomes markup, so every value knet puts
//! into a document is escaped the same way.
//!
//! Two styles, each copying the tool whose output knet must match:
//! - libvirt's ([`attr`], [`element`], [`text`]): attribute values in single
//!   quotes (virsh's `--print-xml` and libvirt's own formatting), with
//!   `& < > ' "` all escaped (libvirt's virBufferEscapeString), so a value
//!   is safe in either quote style;
//! - libxml2's serializer ([`libxml2_text`], [`libxml2_attr`]): what virsh
//!   prints for `--xpath` (double quotes, and the whitespace that attribute
//!   normalisation would eat written as character references).
//!
//! This module only builds strings: it never parses, and never decides what
//! goes into a document.

/// How an attribute value is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    Single,
    Double,
}

impl Quote {
    pub fn char(self) -> char {
        match self {
            Quote::Single => '\'',
            Quote::Double => '"',
        }
    }
}

/// An attribute or text value escaped libvirt's way (safe in either quote).
pub fn escape(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c => s.push(c),
        }
    }
    s
}

/// ` name='value'` (with its leading space), in `quote`.
pub fn attr(out: &mut String, name: &str, value: &str, quote: Quote) {
    let q = quote.char();
    out.push(' ');
    out.push_str(name);
    out.push('=');
    out.push(q);
    out.push_str(&escape(value));
    out.push(q);
}

/// An empty element, `<name a='v' b='w'/>`; attributes given as `None` are
/// left out (an optional attribute is a common case).
pub fn element<'a>(name: &str, attrs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>, quote: Quote) -> String {
    let mut s = format!("<{name}");
    for (k, v) in attrs {
        if let Some(v) = v {
            attr(&mut s, k, v, quote);
        }
    }
    s.push_str("/>");
    s
}

/// `<name>text</name>`.
pub fn text(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", escape(value))
}

/// libxml2's text escaping (xmlEscapeContent).
/// An element's start tag as libxml2 writes it, up to (not including) its
/// `>` or `/>`: the qualified name, the namespace declarations the element
/// makes itself, its attributes double-quoted. Returns the qualified name,
/// for the end tag. Shared by `--xpath` output and `--print-xml`.
pub fn libxml2_open(out: &mut String, n: roxmltree::Node) -> String {
    let name = libxml2_qname(n, n.tag_name().namespace(), n.tag_name().name());
    out.push('<');
    out.push_str(&name);
    for ns in n.namespaces().filter(|ns| n.parent_element().map_or(true, |p| !p.namespaces().any(|q| q == *ns))) {
        match ns.name() {
            Some(p) => out.push_str(&format!(" xmlns:{p}=\"")),
            None => out.push_str(" xmlns=\""),
        }
        libxml2_attr(out, ns.uri());
        out.push('"');
    }
    for a in n.attributes() {
        out.push(' ');
        out.push_str(&libxml2_qname(n, a.namespace(), a.name()));
        out.push_str("=\"");
        libxml2_attr(out, a.value());
        out.push('"');
    }
    name
}

/// `prefix:local` as the document at `n` names namespace `ns`; the default
/// namespace has no prefix.
fn libxml2_qname(n: roxmltree::Node, ns: Option<&str>, local: &str) -> String {
    match ns.and_then(|u| n.lookup_prefix(u)) {
        Some(p) if !p.is_empty() => format!("{p}:{local}"),
        _ => local.to_string(),
    }
}

pub fn libxml2_text(out: &mut String, s: &str) {
    libxml2(out, s, false);
}

/// libxml2's attribute value escaping, for a double-quoted value: also the
/// quote and the whitespace that attribute normalisation would eat.
pub fn libxml2_attr(out: &mut String, s: &str) {
    libxml2(out, s, true);
}

fn libxml2(out: &mut String, s: &str, attr: bool) {
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markup_character_is_escaped_in_both_quote_styles() {
        assert_eq!(element("host", [("mac", Some("52:54:00:00:00:01")), ("name", Some("a'b\"<c>&")), ("ip", None)], Quote::Single), "<host mac='52:54:00:00:00:01' name='a&apos;b&quot;&lt;c&gt;&amp;'/>");
        assert_eq!(element("source", [("bridge", Some("br>0"))], Quote::Double), "<source bridge=\"br&gt;0\"/>");
        assert_eq!(text("name", "x<y>&"), "<name>x&lt;y&gt;&amp;</name>");
        let mut s = String::new();
        libxml2_attr(&mut s, "a\"b\nc>");
        libxml2_text(&mut s, "'\"\n");
        assert_eq!(s, "a&quot;b&#10;c&gt;'\"\n");
    }
}
