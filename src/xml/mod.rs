//! The libvirt XML model: parsed documents whose every element and attribute
//! keeps its byte offset, and typed views of `<network>`, `<domain>` and
//! domain `<interface>` documents built on them.
//!
//! Parsing refuses hostile input up front (size, node count, nesting depth,
//! DTDs and so entity expansion) so nothing above it has to care. This layer
//! knows nothing of rules or of the command line; positions are byte offsets
//! until [`LineIndex`] turns one into a 1-based line and character column.

pub mod edit;
pub mod encoding;
pub mod facts;
pub mod interface;
pub mod network;
pub mod write;

use roxmltree::{Document, Node, ParsingOptions};

/// Largest document accepted: virsh refuses XML files over 10 MiB too
/// (VSH_MAX_XML_FILE).
pub const MAX_INPUT: usize = 10 * 1024 * 1024;
/// More elements than any real libvirt document has, fewer than hurt.
pub const MAX_NODES: u32 = 2_000_000;
/// libxml2's own default nesting limit is 256.
pub const MAX_DEPTH: usize = 256;

/// Why a document could not be read.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub rule: &'static str,
    pub message: String,
    /// Byte offset, or `None` when the error has a line:column only.
    pub at: ParseAt,
}

impl ParseError {
    /// 1-based line and character column in `src`, the text that was parsed.
    pub fn line_col(&self, src: &str) -> (u32, u32) {
        match self.at {
            ParseAt::Offset(o) => LineIndex::new(src).line_col(o),
            ParseAt::LineCol(l, c) => (l, c),
        }
    }

    /// The message with where it happened (`... at LINE:COL`), for errors
    /// about XML that is not the user's file (libvirt's, a backup's).
    pub fn describe(&self, src: &str) -> String {
        let (line, col) = self.line_col(src);
        format!("{} at {line}:{col}", self.message)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum ParseAt {
    Offset(usize),
    LineCol(u32, u32),
}

/// Parse `src` with knet's limits.
pub fn parse(src: &str) -> Result<Document<'_>, ParseError> {
    if src.len() > MAX_INPUT {
        return Err(ParseError {
            rule: "input-too-large",
            message: crate::input::too_large_message(),
            at: ParseAt::Offset(0),
        });
    }
    let opts = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(src, opts).map_err(|e| {
        if matches!(e, roxmltree::Error::DtdDetected) {
            return ParseError {
                rule: "xml-dtd",
                message: "a <!DOCTYPE> is not accepted: libvirt XML needs none, and its entities can expand without bound".into(),
                at: ParseAt::Offset(src.find("<!DOCTYPE").unwrap_or(0)),
            };
        }
        let p = e.pos();
        // roxmltree ends its messages with " at LINE:COL"; the position is printed already.
        let msg = e.to_string();
        let msg = match msg.rfind(" at ") {
            Some(i) if msg[i + 4..].bytes().all(|b| b.is_ascii_digit() || b == b':') => msg[..i].to_string(),
            _ => msg,
        };
        ParseError { rule: "xml-syntax", message: msg, at: ParseAt::LineCol(p.row, p.col) }
    })?;
    // Depth in document order: a node's depth is its parent's plus one.
    let mut depth = vec![0u16; doc.descendants().count()];
    for n in doc.descendants() {
        if let Some(parent) = n.parent() {
            let d = depth[parent.id().get_usize()].saturating_add(1);
            depth[n.id().get_usize()] = d;
            if d as usize > MAX_DEPTH {
                return Err(ParseError {
                    rule: "nesting-too-deep",
                    message: format!("elements nested more than {MAX_DEPTH} deep"),
                    at: ParseAt::Offset(n.range().start),
                });
            }
        }
    }
    Ok(doc)
}

/// 1-based line and column (in characters) of byte offsets in one text.
pub struct LineIndex<'s> {
    src: &'s str,
    /// Where each line starts; built on the first lookup, since most
    /// documents (valid ones) never need a position.
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'s> LineIndex<'s> {
    pub fn new(src: &'s str) -> Self {
        LineIndex { src, starts: std::cell::OnceCell::new() }
    }

    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let starts = self.starts.get_or_init(|| {
            let mut v = vec![0];
            v.extend(self.src.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
            v
        });
        let offset = offset.min(self.src.len());
        let line = starts.partition_point(|s| *s <= offset) - 1;
        let start = starts[line];
        let col = self.src.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }
}

/// An attribute value, or an element's text, with where it starts.
#[derive(Debug, Clone, Copy)]
pub struct Val<'a> {
    pub text: &'a str,
    /// Byte offset of the attribute (its name) or of the text.
    pub at: usize,
    /// Byte offset of the value itself.
    pub value_at: usize,
}

impl<'a> Val<'a> {
    pub fn as_str(&self) -> &'a str {
        self.text
    }
}

/// An attribute of `node` (no namespace), with positions.
pub fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<Val<'a>> {
    let a = node.attribute_node(name)?;
    Some(Val { text: a.value(), at: a.range().start, value_at: a.range_value().start })
}

/// The text content of a leaf element (all its text children joined; the
/// first one's borrowed text when there is just one).
pub fn text<'a>(node: Node<'a, '_>) -> Option<Val<'a>> {
    let mut texts = node.children().filter(|c| c.is_text());
    let first = texts.next()?;
    Some(Val { text: first.text().unwrap_or(""), at: first.range().start, value_at: first.range().start })
}

/// The text of an element that must have some (`<name>`, `<hostname>`): an
/// empty one reads as "" at the element, so rules can say it is empty.
pub fn text_or_empty<'a>(node: Node<'a, '_>) -> Val<'a> {
    text(node).unwrap_or(Val { text: "", at: at(node), value_at: at(node) })
}

/// Child elements of `node` named `name` (no namespace).
pub fn kids<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().namespace().is_none() && c.tag_name().name() == name)
}

pub fn kid<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    kids(node, name).next()
}

/// Where an element starts (its `<`).
pub fn at(node: Node) -> usize {
    node.range().start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let ix = LineIndex::new("ab\né<x/>\n");
        assert_eq!(ix.line_col(0), (1, 1));
        assert_eq!(ix.line_col(3), (2, 1));
        assert_eq!(ix.line_col(5), (2, 2));
    }

    #[test]
    fn refuses_entities_and_depth() {
        let bomb = "<!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><network>&b;</network>";
        assert!(parse(bomb).is_err());
        let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
        assert_eq!(parse(&deep).unwrap_err().rule, "nesting-too-deep");
    }
}
