//! Lossless editing of domain XML: find the `<devices>/<interface>` elements
//! and rewrite one of them by splicing bytes.
//!
//! The document is never re-serialised. roxmltree gives the byte range of
//! every element and attribute value; an edit replaces exactly those ranges,
//! so comments, attribute order and quoting, whitespace, unknown elements and
//! every other device stay byte-identical. This is what `domif-convert` and
//! `domif-rollback` rely on: the only difference between a guest's XML
//! before and after is the NIC that was asked to change.
//!
//! This module knows nothing of libvirt connections or the command line.

use std::ops::Range;

use serde::Serialize;

use super::write;

/// One `<interface>` of a domain, as domiflist and selection see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// Position among the domain's `<devices>/<interface>` elements.
    pub index: usize,
    /// The `type` attribute (network, bridge, direct, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// What virsh's domiflist shows as Source: the first, in document order,
    /// of the source's bridge, dev, network, name and path attributes
    /// (virsh-domain-monitor.c, cmdDomiflist, evaluates that XPath union).
    pub source: Option<String>,
    pub mac: Option<String>,
    pub model: Option<String>,
    /// `<target dev=.../>`: the host-side tap (vnetN) of a running guest.
    pub target: Option<String>,
    pub alias: Option<String>,
    /// Byte range of the whole element in the document.
    #[serde(skip)]
    pub range: Range<usize>,
}

/// Where a converted NIC goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `<interface type='bridge'><source bridge='BR'/>`: a host bridge.
    Bridge(String),
    /// `<interface type='network'><source network='NET'/>`: a libvirt network.
    Network(String),
}

impl Target {
    /// The interface `type` attribute for this target.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Bridge(_) => "bridge",
            Target::Network(_) => "network",
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Target::Bridge(n) | Target::Network(n) => n,
        }
    }
    /// The target an existing NIC of type network or bridge points at.
    pub fn of(iface: &Interface) -> Option<Target> {
        let src = iface.source.clone()?;
        match iface.kind.as_str() {
            "bridge" => Some(Target::Bridge(src)),
            "network" => Some(Target::Network(src)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind(), self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// Not well-formed, or refused by knet's parser limits (size, depth,
    /// node count, DTDs): message with line:column.
    #[error("malformed domain XML: {0}")]
    Parse(String),
    #[error("the domain has no interface number {0}")]
    NoSuchInterface(usize),
    #[error("interface {0} has no type attribute")]
    NoType(usize),
    #[error("{0:?} cannot be a bridge or network name: it is empty or holds characters XML cannot carry (control characters)")]
    BadTargetName(String),
}

/// Can `name` go into `<source bridge|network='...'/>`? XML 1.0 has no way
/// to write most control characters, and tab/CR/LF in an attribute come back
/// as spaces; no bridge or libvirt network is named like that.
pub fn check_target_name(name: &str) -> Result<(), EditError> {
    if name.is_empty() || name.chars().any(|c| c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}') {
        return Err(EditError::BadTargetName(name.to_string()));
    }
    Ok(())
}

/// Through knet's one hostile-input gate ([`crate::xml::parse`]): a guest's
/// XML comes from libvirt, a remote host or a user's file, so DTDs (entity
/// expansion), huge and deeply nested documents are refused here too.
fn parse(xml: &str) -> Result<roxmltree::Document<'_>, EditError> {
    crate::xml::parse(xml).map_err(|e| {
        let (line, col) = match e.at {
            crate::xml::ParseAt::Offset(o) => crate::xml::LineIndex::new(xml).line_col(o),
            crate::xml::ParseAt::LineCol(l, c) => (l, c),
        };
        EditError::Parse(format!("{} at {line}:{col}", e.message))
    })
}

/// The `<interface>` elements directly under `<domain>/<devices>`.
fn interface_nodes<'a, 'i>(doc: &'a roxmltree::Document<'i>) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    let root = doc.root_element();
    root.children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|d| d.children())
        .filter(|n| n.has_tag_name("interface"))
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(tag))
}

/// The editing view of one NIC, read through the shared model
/// ([`super::interface::Interface`]) plus what only this view has: its index,
/// domiflist's single Source and the element's byte range.
fn read_interface(index: usize, n: roxmltree::Node) -> Interface {
    let source = child(n, "source").and_then(|s| {
        s.attributes()
            .find(|a| a.namespace().is_none() && matches!(a.name(), "bridge" | "dev" | "network" | "name" | "path"))
            .map(|a| a.value().to_string())
    });
    let m = super::interface::Interface::read(n);
    let s = |v: Option<super::Val>| v.map(|v| v.text.to_string());
    Interface { index, kind: m.kind.map_or("", |k| k.text).to_string(), source, mac: s(m.mac), model: s(m.model), target: s(m.target), alias: s(m.alias), range: n.range() }
}

/// Every `<devices>/<interface>` of a domain document, in document order.
pub fn interfaces(xml: &str) -> Result<Vec<Interface>, EditError> {
    let doc = parse(xml)?;
    let v = interface_nodes(&doc).enumerate().map(|(i, n)| read_interface(i, n)).collect();
    Ok(v)
}

/// Replace byte ranges of `src`; ranges must not overlap.
pub fn splice(src: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    for (r, text) in edits {
        out.push_str(&src[at..r.start]);
        out.push_str(&text);
        at = r.end;
    }
    out.push_str(&src[at..]);
    out
}

/// End (just past `>`) of the start tag that begins at `start`, and
/// whether it is self-closing (`/>`). Quoted attribute values are skipped:
/// `>` is legal inside them.
fn start_tag_end(src: &str, start: usize) -> (usize, bool) {
    let b = src.as_bytes();
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(start) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return (i + 1, i > start && b[i - 1] == b'/'),
            _ => {}
        }
    }
    (src.len(), false)
}

/// End of the element name (with any prefix) of the start tag at `start`.
fn tag_name_end(src: &str, start: usize) -> usize {
    src[start + 1..].find(|c: char| c.is_whitespace() || c == '/' || c == '>').map_or(src.len(), |i| start + 1 + i)
}

/// The whitespace that precedes `pos` on its line (the element's indent).
fn indent_before(src: &str, pos: usize) -> &str {
    let line_start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    let ind = &src[line_start..pos];
    if ind.chars().all(|c| c == ' ' || c == '\t') {
        ind
    } else {
        ""
    }
}

/// Point interface number `index` at `target`: its `type` attribute becomes
/// the target's kind and its `<source>` becomes `<source bridge|network=.../>`.
/// Everything else (mac, model, target dev, PCI address, boot order,
/// bandwidth, filterref, comments...) is kept byte for byte, as is every
/// byte outside that element.
///
/// The old `<source>` is replaced whole: its other attributes (portgroup,
/// portid, the live `bridge=` of a network NIC) belong to the old kind and
/// would be dropped or misread by libvirt under the new one.
pub fn retarget_interface(xml: &str, index: usize, target: &Target) -> Result<String, EditError> {
    check_target_name(target.name())?;
    let doc = parse(xml)?;
    let n = interface_nodes(&doc).nth(index).ok_or(EditError::NoSuchInterface(index))?;
    Ok(splice(xml, retarget_edits(xml, n, index, target)?))
}

/// Retarget every interface `select` picks, parsing the document once (a
/// guest with several NICs, or a running guest's XML searched NIC by NIC,
/// costs one parse): the edited document, and each picked interface as it
/// was read with its element's new text (what `update-device` takes), in
/// document order.
pub fn retarget_selected(xml: &str, target: &Target, mut select: impl FnMut(&Interface) -> bool) -> Result<(String, Vec<(Interface, String)>), EditError> {
    check_target_name(target.name())?;
    let doc = parse(xml)?;
    let mut edits = Vec::new();
    let mut picked = Vec::new();
    for (index, n) in interface_nodes(&doc).enumerate() {
        let ifc = read_interface(index, n);
        if !select(&ifc) {
            continue;
        }
        let own = retarget_edits(xml, n, index, target)?;
        let at = n.range().start;
        let local = own.iter().map(|(r, t)| (r.start - at..r.end - at, t.clone())).collect();
        picked.push((ifc, splice(&xml[n.range()], local)));
        edits.extend(own);
    }
    Ok((splice(xml, edits), picked))
}

/// Set the NIC model of every interface `select` picks to `model`
/// (`<model type='virtio'/>`), byte for byte otherwise: an existing
/// `<model>`'s type value is replaced, a missing one is added after the
/// `<source>` (else the `<mac>`, else first), with its sibling's indent.
/// The edited document and each picked interface as it was read, in
/// document order.
pub fn set_model_selected(xml: &str, model: &str, mut select: impl FnMut(&Interface) -> bool) -> Result<(String, Vec<Interface>), EditError> {
    let doc = parse(xml)?;
    let mut edits = Vec::new();
    let mut picked = Vec::new();
    for (index, n) in interface_nodes(&doc).enumerate() {
        let ifc = read_interface(index, n);
        if !select(&ifc) {
            continue;
        }
        edits.extend(model_edits(xml, n, model));
        picked.push(ifc);
    }
    Ok((splice(xml, edits), picked))
}

/// The byte edits that make interface node `n`'s model `model`.
fn model_edits(xml: &str, n: roxmltree::Node, model: &str) -> Vec<(Range<usize>, String)> {
    let quote_of = |at: usize| if xml.as_bytes().get(at.wrapping_sub(1)) == Some(&b'"') { write::Quote::Double } else { write::Quote::Single };
    if let Some(m) = child(n, "model") {
        return match m.attributes().find(|a| a.name() == "type" && a.namespace().is_none()) {
            Some(t) => vec![(t.range_value(), write::escape(model))],
            // `<model/>` without a type: libvirt ignores it; it becomes the one
            None => vec![(m.range(), write::element("model", [("type", Some(model))], write::Quote::Single))],
        };
    }
    let quote = n.attributes().next().map_or(write::Quote::Single, |a| quote_of(a.range_value().start));
    let el = write::element("model", [("type", Some(model))], quote);
    match child(n, "source").or_else(|| child(n, "mac")) {
        Some(after) => {
            let indent = indent_before(xml, after.range().start);
            let sep = if indent.is_empty() { String::new() } else { format!("\n{indent}") };
            vec![(after.range().end..after.range().end, format!("{sep}{el}"))]
        }
        None => {
            let (tag_end, self_closing) = start_tag_end(xml, n.range().start);
            if self_closing {
                vec![(tag_end - 2..tag_end, format!(">{el}</{}>", &xml[n.range().start + 1..tag_name_end(xml, n.range().start)]))]
            } else {
                let indent = n.children().find(|c| c.is_element()).map(|c| indent_before(xml, c.range().start)).unwrap_or_default();
                let sep = if indent.is_empty() { String::new() } else { format!("\n{indent}") };
                vec![(tag_end..tag_end, format!("{sep}{el}"))]
            }
        }
    }
}

/// The byte edits that retarget interface node `n` (all inside its range).
fn retarget_edits(xml: &str, n: roxmltree::Node, index: usize, target: &Target) -> Result<Vec<(Range<usize>, String)>, EditError> {
    let ty = n.attributes().find(|a| a.name() == "type" && a.namespace().is_none()).ok_or(EditError::NoType(index))?;
    let vr = ty.range_value();
    // keep the document's quoting style: the byte before the value is its quote
    let quote = if xml.as_bytes().get(vr.start.wrapping_sub(1)) == Some(&b'"') { write::Quote::Double } else { write::Quote::Single };
    let new_source = write::element("source", [(target.kind(), Some(target.name()))], quote);
    let mut edits = vec![(vr, target.kind().to_string())];
    let sources: Vec<_> = n.children().filter(|c| c.has_tag_name("source")).collect();
    if let Some(first) = sources.first() {
        edits.push((first.range(), new_source));
    } else {
        // no <source> yet (e.g. a bare NIC): put it after <mac>, as libvirt
        // formats it, or first in the element, with the sibling's indent
        let (tag_end, self_closing) = start_tag_end(xml, n.range().start);
        match child(n, "mac") {
            Some(m) => {
                let indent = indent_before(xml, m.range().start);
                let sep = if indent.is_empty() { String::new() } else { format!("\n{indent}") };
                edits.push((m.range().end..m.range().end, format!("{sep}{new_source}")));
            }
            // `<interface type='user'/>`: the element gets a body and an end tag
            None if self_closing => edits.push((tag_end - 2..tag_end, format!(">{new_source}</{}>", &xml[n.range().start + 1..tag_name_end(xml, n.range().start)]))),
            None => {
                let first_el = n.children().find(|c| c.is_element());
                let indent = first_el.map(|c| indent_before(xml, c.range().start)).unwrap_or_default();
                let sep = if indent.is_empty() { String::new() } else { format!("\n{indent}") };
                edits.push((tag_end..tag_end, format!("{sep}{new_source}")));
            }
        }
    }
    Ok(edits)
}

/// The text of one interface element, e.g. for `update-device`.
pub fn interface_xml(xml: &str, iface: &Interface) -> String {
    xml[iface.range.clone()].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOM: &str = "<domain type='kvm'>\n  <!-- keep me -->\n  <name>vm1</name>\n  <devices>\n    <disk type=\"file\" device='disk'><source file='/x'/></disk>\n    <interface type='network'>\n      <mac address='52:54:00:aa:bb:01'/>\n      <source network='default' portgroup='web'/>\n      <model type='virtio'/>\n      <boot order='1'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n      <frob z='1' a='2'/>\n    </interface>\n    <interface type=\"bridge\"><mac address=\"52:54:00:aa:bb:02\"/><source dev='ignored' bridge=\"br1\"/><target dev='vnet3'/><alias name='ua-x'/></interface>\n    <interface type='user'>\n      <mac address='52:54:00:aa:bb:03'/>\n    </interface>\n  </devices>\n</domain>\n";

    /// One parse for several NICs gives what retargeting them one by one
    /// gives, and each picked element's new text is its part of that document.
    #[test]
    fn retarget_selected_is_retarget_one_by_one() {
        let br = Target::Bridge("br0".into());
        let mut one_by_one = DOM.to_string();
        for i in [0, 2] {
            one_by_one = retarget_interface(&one_by_one, i, &br).unwrap();
        }
        let (doc, picked) = retarget_selected(DOM, &br, |i| i.index != 1).unwrap();
        assert_eq!(doc, one_by_one);
        assert_eq!(picked.iter().map(|(i, _)| i.index).collect::<Vec<_>>(), vec![0, 2]);
        let after = interfaces(&doc).unwrap();
        for (ifc, el) in &picked {
            assert_eq!(el, &interface_xml(&doc, &after[ifc.index]));
        }
    }

    /// Found by the edit fuzzer: a self-closing NIC got its <source> after
    /// the element, and a `>` inside an attribute value was taken for the
    /// end of the start tag.
    #[test]
    fn bare_nics_get_their_source_inside() {
        let br = Target::Bridge("br0".into());
        let dom = "<domain><devices><interface type='user'/></devices></domain>";
        assert_eq!(retarget_interface(dom, 0, &br).unwrap(), "<domain><devices><interface type='bridge'><source bridge='br0'/></interface></devices></domain>");
        let dom = "<domain><devices><interface x='a>b' type=\"user\"></interface></devices></domain>";
        assert_eq!(retarget_interface(dom, 0, &br).unwrap(), "<domain><devices><interface x='a>b' type=\"bridge\"><source bridge=\"br0\"/></interface></devices></domain>");
        let dom = "<domain><devices><interface x=\"/>\" type='user' /></devices></domain>";
        let out = retarget_interface(dom, 0, &br).unwrap();
        assert_eq!(out, "<domain><devices><interface x=\"/>\" type='bridge' ><source bridge='br0'/></interface></devices></domain>");
        assert_eq!(interfaces(&out).unwrap()[0].source.as_deref(), Some("br0"));
    }

    #[test]
    fn reads_interfaces_like_domiflist() {
        let v = interfaces(DOM).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].kind, "network");
        assert_eq!(v[0].source.as_deref(), Some("default"));
        assert_eq!(v[0].model.as_deref(), Some("virtio"));
        assert_eq!(v[0].target, None);
        // first attribute in document order wins, as virsh's XPath union
        assert_eq!(v[1].source.as_deref(), Some("ignored"));
        assert_eq!(v[1].target.as_deref(), Some("vnet3"));
        assert_eq!(v[1].alias.as_deref(), Some("ua-x"));
        assert_eq!(v[2].source, None);
        assert_eq!(v[2].mac.as_deref(), Some("52:54:00:aa:bb:03"));
    }

    #[test]
    fn retarget_changes_only_type_and_source() {
        let out = retarget_interface(DOM, 0, &Target::Bridge("br0".into())).unwrap();
        let expect = DOM
            .replacen("<interface type='network'>", "<interface type='bridge'>", 1)
            .replacen("<source network='default' portgroup='web'/>", "<source bridge='br0'/>", 1);
        assert_eq!(out, expect);
    }

    #[test]
    fn retarget_keeps_double_quotes() {
        let out = retarget_interface(DOM, 1, &Target::Network("default".into())).unwrap();
        assert!(out.contains("<interface type=\"network\"><mac address=\"52:54:00:aa:bb:02\"/><source network=\"default\"/><target dev='vnet3'/>"), "{out}");
    }

    #[test]
    fn retarget_inserts_missing_source_after_mac() {
        let out = retarget_interface(DOM, 2, &Target::Bridge("br0".into())).unwrap();
        assert!(out.contains("<interface type='bridge'>\n      <mac address='52:54:00:aa:bb:03'/>\n      <source bridge='br0'/>\n    </interface>"), "{out}");
        let v = interfaces(&out).unwrap();
        assert_eq!(Target::of(&v[2]), Some(Target::Bridge("br0".into())));
    }

    #[test]
    fn set_model_replaces_or_adds_only_the_model() {
        let (out, picked) = set_model_selected(DOM, "e1000", |_| true).unwrap();
        assert_eq!(picked.len(), 3);
        let expect = DOM
            .replacen("<model type='virtio'/>", "<model type='e1000'/>", 1)
            .replacen("<source dev='ignored' bridge=\"br1\"/>", "<source dev='ignored' bridge=\"br1\"/><model type=\"e1000\"/>", 1)
            .replacen("<mac address='52:54:00:aa:bb:03'/>\n", "<mac address='52:54:00:aa:bb:03'/>\n      <model type='e1000'/>\n", 1);
        assert_eq!(out, expect);
        assert!(interfaces(&out).unwrap().iter().all(|i| i.model.as_deref() == Some("e1000")));
        let (out, _) = set_model_selected("<domain><devices><interface type='user'/></devices></domain>", "virtio", |_| true).unwrap();
        assert_eq!(out, "<domain><devices><interface type='user'><model type='virtio'/></interface></devices></domain>");
        let (out, _) = set_model_selected(DOM, "virtio", |i| i.index == 1).unwrap();
        assert_eq!(interfaces(&out).unwrap().iter().map(|i| i.model.as_deref()).collect::<Vec<_>>(), vec![Some("virtio"), Some("virtio"), None]);
    }

    #[test]
    fn escapes_names() {
        let out = retarget_interface(DOM, 0, &Target::Bridge("a'b&".into())).unwrap();
        assert!(out.contains("<source bridge='a&apos;b&amp;'/>"));
        assert_eq!(interfaces(&out).unwrap()[0].source.as_deref(), Some("a'b&"));
    }

    #[test]
    fn missing_interface_is_an_error() {
        assert!(matches!(retarget_interface(DOM, 9, &Target::Bridge("b".into())), Err(EditError::NoSuchInterface(9))));
        assert!(matches!(retarget_interface("<domain", 0, &Target::Bridge("b".into())), Err(EditError::Parse(_))));
    }

    /// Tiny deterministic generator (xorshift), so the property test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
            v[(self.next() % v.len() as u64) as usize]
        }
    }

    /// A random domain document: random devices, comments, quoting and
    /// whitespace around interfaces of random kinds.
    fn random_domain(r: &mut Rng) -> String {
        let ws = ["", " ", "\n  ", "\n\t\t", "  \n    "];
        let q = ["'", "\""];
        let mut s = String::from("<?xml version='1.0'?>\n<!-- head -->\n<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>");
        s.push_str(r.pick(&ws));
        s.push_str("<name>g</name><unknown a='1'><deep/></unknown><devices>");
        for i in 0..(r.next() % 6) {
            s.push_str(r.pick(&ws));
            match r.next() % 4 {
                0 => s.push_str("<!-- <interface type='network'/> -->"),
                1 => s.push_str("<disk type='file'><source file='/d'/></disk>"),
                _ => {
                    let qq = r.pick(&q);
                    let kind = r.pick(&["network", "bridge", "user", "direct"]);
                    s.push_str(&format!("<interface  type={qq}{kind}{qq} x='y'>"));
                    s.push_str(r.pick(&ws));
                    s.push_str(&format!("<mac address={qq}52:54:00:00:00:{i:02x}{qq}/>"));
                    if r.next() % 3 != 0 {
                        s.push_str(r.pick(&ws));
                        let attr = r.pick(&["network", "bridge", "dev"]);
                        s.push_str(&format!("<source {attr}={qq}s{i}{qq} portgroup='p'/>"));
                    }
                    s.push_str(r.pick(&ws));
                    s.push_str("<model type='virtio'/><!-- c --><address type='pci' slot='0x03'/><boot order='2'/>");
                    s.push_str(r.pick(&ws));
                    s.push_str("</interface>");
                }
            }
        }
        s.push_str(r.pick(&ws));
        s.push_str("</devices><qemu:commandline/></domain>\n");
        s
    }

    #[test]
    fn property_edit_keeps_every_byte_outside_the_interface() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let mut edited = 0;
        for _ in 0..3000 {
            let doc = random_domain(&mut r);
            let before = interfaces(&doc).unwrap();
            for ifc in &before {
                let t = if r.next() % 2 == 0 { Target::Bridge(format!("br{}", r.next() % 9)) } else { Target::Network("net&1".into()) };
                let out = retarget_interface(&doc, ifc.index, &t).unwrap();
                edited += 1;
                // bytes before and after the element are untouched
                assert_eq!(&out[..ifc.range.start], &doc[..ifc.range.start]);
                let tail = doc.len() - ifc.range.end;
                assert_eq!(&out[out.len() - tail..], &doc[ifc.range.end..]);
                // the result parses, and only that interface changed
                let after = interfaces(&out).unwrap();
                assert_eq!(after.len(), before.len());
                for (a, b) in after.iter().zip(&before) {
                    if a.index == ifc.index {
                        assert_eq!(Target::of(a).as_ref(), Some(&t));
                        assert_eq!((&a.mac, &a.model, &a.target, &a.alias), (&b.mac, &b.model, &b.target, &b.alias));
                        let new_el = &out[a.range.clone()];
                        for keep in ["<model type='virtio'/><!-- c --><address type='pci' slot='0x03'/><boot order='2'/>", " x='y'>"] {
                            assert!(new_el.contains(keep), "{new_el}");
                        }
                    } else {
                        assert_eq!(&out[a.range.clone()], &doc[b.range.clone()]);
                    }
                }
                // converting again to the same target changes nothing more
                assert_eq!(retarget_interface(&out, ifc.index, &t).unwrap(), out);
            }
        }
        assert!(edited > 1000, "generator produced too few interfaces: {edited}");
    }
}
