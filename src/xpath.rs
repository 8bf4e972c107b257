//! `--xpath` for `net-dumpxml` (and any other dump command): XPath 1.0 via
//! the `sxd-xpath` crate over an `sxd-document` tree, and output formatted
//! the way virsh prints selected nodes.
//!
//! virsh (virshDumpXML) re-parses libvirt's XML without blank text nodes
//! and dumps each selected node with libxml2's `xmlNodeDump(format=1)`:
//! attributes in double quotes, two-space indentation, an attribute node as
//! ` name="value"`. `--wrap` puts the selection under one `<nodes>` element
//! (selected attributes become its attributes). This module reproduces that
//! output so `knet net-dumpxml --xpath` prints what virsh prints.
//!
//! Departures from virsh, on purpose: an expression that does not parse is
//! an error (virsh prints libxml's complaint and exits 0), and an expression
//! whose value is a string, number or boolean (`count(//host)`,
//! `string(//bridge/@name)`) prints that value instead of failing.
//!
//! Never touches libvirt; pure text in, text out.

use sxd_document::dom;
use sxd_xpath::nodeset::Node;
use sxd_xpath::{Context, Factory, Value};

#[derive(Debug, thiserror::Error)]
pub enum XPathError {
    #[error("invalid XPath expression '{expr}': {reason}")]
    Syntax { expr: String, reason: String },
    #[error("cannot evaluate XPath expression '{expr}': {reason}")]
    Eval { expr: String, reason: String },
    #[error("cannot parse the XML document: {0}")]
    Document(String),
}

/// Evaluate `expr` on `xml` and render the result as virsh would print it
/// (each selected node followed by a newline, or one `<nodes>` element with
/// `wrap`).
pub fn select(xml: &str, expr: &str, wrap: bool) -> Result<String, XPathError> {
    // sxd-document keeps attributes in a hash map, so elements are printed
    // from roxmltree's tree of the same text, which keeps their order. It is
    // parsed first: xml::parse is knet's gate against hostile input (DTDs,
    // size, depth), and sxd-document has no such limits.
    let tree = crate::xml::parse(xml).map_err(|e| XPathError::Document(e.describe(xml)))?;
    let package = sxd_document::parser::parse(xml).map_err(|e| XPathError::Document(format!("{e:?}")))?;
    let doc = package.as_document();
    let xpath = Factory::new()
        .build(expr)
        .map_err(|e| XPathError::Syntax { expr: expr.to_string(), reason: parser_reason(&e) })?
        .ok_or_else(|| XPathError::Syntax { expr: expr.to_string(), reason: "empty expression".into() })?;
    let mut ctx = Context::new();
    // Let expressions use the document's own prefixes (e.g. dnsmasq:options).
    if let Some(root) = doc.root().children().into_iter().find_map(|c| c.element()) {
        for ns in root.namespaces_in_scope() {
            ctx.set_namespace(ns.prefix(), ns.uri());
        }
    }
    let value = xpath.evaluate(&ctx, doc.root()).map_err(|e| XPathError::Eval { expr: expr.to_string(), reason: e.to_string() })?;
    let mut nodes = match value {
        Value::Nodeset(set) => set.document_order(),
        other => return Ok(format!("{}\n", other.string())),
    };
    attributes_in_source_order(&tree, &mut nodes);
    let mut out = String::new();
    if wrap {
        out.push_str("<nodes");
        // libxml2 adds each copied attribute to <nodes>, replacing one of
        // the same name, which moves to the end (xmlAddChild): so virsh
        // shows the last of several same-named attributes, once
        let mut attrs: Vec<(Option<&str>, &str, dom::Attribute)> = Vec::new();
        for n in &nodes {
            if let Node::Attribute(a) = n {
                let key = (a.name().namespace_uri(), a.name().local_part());
                attrs.retain(|(ns, local, _)| (*ns, *local) != key);
                attrs.push((key.0, key.1, *a));
            }
        }
        for (_, _, a) in attrs {
            sxd_attribute(&mut out, a);
        }
        let children: Vec<Node> = nodes.iter().copied().filter(|n| !matches!(n, Node::Attribute(_) | Node::Namespace(_))).collect();
        if children.is_empty() {
            out.push_str("/>\n");
        } else {
            out.push('>');
            let formatted = !children.iter().any(|c| matches!(c, Node::Text(_)));
            for c in &children {
                if formatted {
                    out.push_str("\n  ");
                }
                selected(&mut out, &tree, *c, usize::from(formatted));
            }
            out.push_str(if formatted { "\n</nodes>\n" } else { "</nodes>\n" });
        }
    } else {
        for n in &nodes {
            selected(&mut out, &tree, *n, 0);
            out.push('\n');
        }
    }
    Ok(out)
}

/// sxd-xpath's parser errors without data print only their variant name
/// (`TrailingSlash`); say it in words.
fn parser_reason(e: &sxd_xpath::ParserError) -> String {
    // ParserError wraps a private enum; its Debug form names the variant.
    let debug = format!("{e:?}");
    let words = [
        ("EmptyPredicate", "empty predicate '[]'"),
        ("ExtraUnparsedTokens", "unexpected text after the expression"),
        ("RanOutOfInput", "the expression ends too early"),
        ("RightHandSideExpressionMissing", "an operator is missing its right-hand side"),
        ("ArgumentMissing", "a function argument is missing"),
        ("TrailingSlash", "a path ends with '/'"),
    ];
    match words.iter().find(|(v, _)| debug.contains(&format!("({v})")) || debug == *v) {
        Some((_, w)) => w.to_string(),
        None => e.to_string(),
    }
}

/// sxd-document keeps an element's attributes in a hash map, so "document
/// order" among one element's attributes is arbitrary; libxml2 (virsh) uses
/// their order in the source. Put each run of one element's attributes in
/// that order.
fn attributes_in_source_order(tree: &roxmltree::Document, nodes: &mut [Node]) {
    let source_index = |a: dom::Attribute| -> usize {
        let Some(r) = a.parent().and_then(|p| find(tree, p)) else { return usize::MAX };
        r.attributes().position(|ra| ra.name() == a.name().local_part() && ra.namespace() == a.name().namespace_uri()).unwrap_or(usize::MAX)
    };
    let mut i = 0;
    while i < nodes.len() {
        let Node::Attribute(first) = nodes[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < nodes.len() && matches!(nodes[j], Node::Attribute(a) if a.parent() == first.parent()) {
            j += 1;
        }
        nodes[i..j].sort_by_key(|n| if let Node::Attribute(a) = n { source_index(*a) } else { usize::MAX });
        i = j;
    }
}

/// Print one selected node at indentation `level`.
fn selected(out: &mut String, tree: &roxmltree::Document, n: Node, level: usize) {
    match n {
        Node::Element(e) => match find(tree, e) {
            Some(r) => element(out, r, level),
            None => out.push_str(&n.string_value()),
        },
        Node::Root(_) => element(out, tree.root_element(), level),
        Node::Attribute(a) => sxd_attribute(out, a),
        Node::Text(t) => crate::xml::write::libxml2_text(out, t.text()),
        Node::Comment(c) => {
            out.push_str("<!--");
            out.push_str(c.text());
            out.push_str("-->");
        }
        Node::ProcessingInstruction(p) => {
            out.push_str("<?");
            out.push_str(p.target());
            if let Some(v) = p.value() {
                out.push(' ');
                out.push_str(v);
            }
            out.push_str("?>");
        }
        Node::Namespace(ns) => {
            out.push_str(&format!(" xmlns:{}=\"", ns.prefix()));
            crate::xml::write::libxml2_attr(out, ns.uri());
            out.push('"');
        }
    }
}

/// The roxmltree element at the same place as `e`: both parsers keep the
/// order of child elements, so the path of element-child indices matches.
fn find<'a, 'i>(tree: &'a roxmltree::Document<'i>, e: dom::Element) -> Option<roxmltree::Node<'a, 'i>> {
    let mut path = Vec::new();
    let mut cur = e;
    while let Some(dom::ParentOfChild::Element(p)) = cur.parent() {
        let idx = p.children().into_iter().filter_map(|c| c.element()).position(|c| c == cur)?;
        path.push(idx);
        cur = p;
    }
    let mut node = tree.root_element();
    for idx in path.into_iter().rev() {
        node = node.children().filter(|c| c.is_element()).nth(idx)?;
    }
    Some(node)
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat("  ").take(level));
}

/// libxml2's xmlNodeDump(format=1) after a parse without blank text nodes:
/// an element whose children include text stays on one line, otherwise
/// each child goes on its own line, indented two spaces per level.
fn element(out: &mut String, n: roxmltree::Node, level: usize) {
    let name = crate::xml::write::libxml2_open(out, n);
    let children: Vec<roxmltree::Node> = n.children().filter(|c| !(c.is_text() && c.text().is_some_and(|t| t.trim().is_empty()))).collect();
    if children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let formatted = !children.iter().any(|c| c.is_text());
    for c in &children {
        if formatted {
            out.push('\n');
            indent(out, level + 1);
        }
        if c.is_element() {
            element(out, *c, if formatted { level + 1 } else { 0 });
        } else if c.is_text() {
            crate::xml::write::libxml2_text(out, c.text().unwrap_or(""));
        } else if c.is_comment() {
            out.push_str(&format!("<!--{}-->", c.text().unwrap_or("")));
        } else if let Some(pi) = c.pi() {
            out.push_str(&format!("<?{}{}?>", pi.target, pi.value.map(|v| format!(" {v}")).unwrap_or_default()));
        }
    }
    if formatted {
        out.push('\n');
        indent(out, level);
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

fn sxd_attribute(out: &mut String, a: dom::Attribute) {
    out.push(' ');
    match Node::Attribute(a).prefixed_name() {
        Some(n) => out.push_str(&n),
        None => out.push_str(a.name().local_part()),
    }
    out.push_str("=\"");
    crate::xml::write::libxml2_attr(out, a.value());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "<network>\n  <name>default</name>\n  <ip address='192.168.122.1'>\n    <dhcp>\n      <range start='a' end='b'/>\n    </dhcp>\n  </ip>\n</network>\n";

    #[test]
    fn elements_are_reindented_with_double_quotes() {
        assert_eq!(
            select(NET, "//ip", false).unwrap(),
            "<ip address=\"192.168.122.1\">\n  <dhcp>\n    <range start=\"a\" end=\"b\"/>\n  </dhcp>\n</ip>\n"
        );
    }

    #[test]
    fn attributes_and_wrap() {
        assert_eq!(select(NET, "//ip/@address", false).unwrap(), " address=\"192.168.122.1\"\n");
        assert_eq!(select(NET, "//range|//ip/@address", true).unwrap(), "<nodes address=\"192.168.122.1\">\n  <range start=\"a\" end=\"b\"/>\n</nodes>\n");
        assert_eq!(select(NET, "//nosuch", true).unwrap(), "<nodes/>\n");
        assert_eq!(select(NET, "//nosuch", false).unwrap(), "");
    }

    #[test]
    fn attribute_order_is_the_documents() {
        let xml = "<network><ip address='1' netmask='2' prefix='3' family='4' localPtr='5'/></network>";
        assert_eq!(select(xml, "//ip", false).unwrap(), "<ip address=\"1\" netmask=\"2\" prefix=\"3\" family=\"4\" localPtr=\"5\"/>\n");
    }

    #[test]
    fn scalars_and_errors() {
        assert_eq!(select(NET, "count(//range)", false).unwrap(), "1\n");
        assert_eq!(select(NET, "//name/text()", false).unwrap(), "default\n");
        let err = select(NET, "///[[", false).unwrap_err();
        assert!(matches!(err, XPathError::Syntax { .. }));
        assert_eq!(err.to_string(), "invalid XPath expression '///[[': a path ends with '/'");
    }
}
