//! Structural rules: a document checked against the grammar in
//! [`super::schema`], as strictly as libvirt's RelaxNG schema. libvirt's
//! parser silently ignores what it does not know, so a typo'd element or
//! attribute is a setting that quietly never happens; here it is an error
//! with a "did you mean" hint.
//!
//! Rule ids (all structural, see [`super::is_structural`]):
//! - `unknown-element`, `unknown-attribute`: not allowed at that place;
//! - `missing-element`, `missing-attribute`: required and absent;
//! - `duplicate-element`: more than the one allowed;
//! - `invalid-value`: value not of the attribute's type (enums list theirs);
//! - `unexpected-text`: text where only elements (or nothing) may be.
//!
//! Recursion follows the grammar, which is a few levels deep, so hostile
//! nesting never reaches the stack: unknown elements are not descended into.

use roxmltree::Node;

use super::schema::{At, El};
use super::types::Ty;
use super::version::{Fit, Span};
use super::Sink;
use crate::ipnet as ip;

/// Check `node` and everything under it against `def`.
pub fn check(node: Node, def: &El, sink: &mut Sink) {
    let (def, switch_attr) = match resolve(node, def, sink) {
        Some(x) => x,
        None => return,
    };
    check_attrs(node, def, switch_attr, sink);
    if def.any {
        return;
    }
    if let Some(ty) = def.text {
        for child in node.children().filter(|c| c.is_element()) {
            let allowed: Vec<&str> = Vec::new();
            unknown_element(child, node, &allowed, sink);
        }
        let value: String = node
            .children()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect();
        if !ty.accepts(&value) {
            let at = node
                .children()
                .find(|c| c.is_text())
                .map_or(node.range().start, |t| t.range().start);
            let (msg, help) =
                describe_bad_value(&format!("<{}>", node.tag_name().name()), &value, ty);
            sink.error("invalid-value", at, msg, help);
        }
        return;
    }
    check_children(node, def, sink);
}

/// Pick the definition an attribute-switched element uses.
fn resolve<'d>(node: Node, def: &'d El, sink: &mut Sink) -> Option<(&'d El, Option<&'static str>)> {
    let Some(sw) = &def.switch else {
        return Some((def, None));
    };
    match node.attribute_node(sw.attr) {
        Some(a) => match sw.cases.iter().find(|(v, _)| *v == super::types::collapse(a.value())) {
            Some((v, case)) => {
                padded_value(node, a, true, sink);
                if let Some((_, span)) = sw.spans.iter().find(|(sv, _)| sv == v) {
                    let what = format!("<{} {}='{v}'>", node.tag_name().name(), sw.attr);
                    if !version_fit(*span, what, a.range_value().start, sink) {
                        return None;
                    }
                }
                Some((case, Some(sw.attr)))
            }
            None => {
                let values: Vec<&str> = sw.cases.iter().map(|(v, _)| *v).collect();
                let (msg, help) = describe_bad_switch(&format!("{}=", sw.attr), a.value(), &values);
                let msg = format!("<{}>: {msg}", node.tag_name().name());
                sink.error("invalid-value", a.range_value().start, msg, help);
                // The variants share nothing to check further.
                None
            }
        },
        None => match sw.default {
            Some(d) => Some((d, Some(sw.attr))),
            None => {
                sink.error(
                    "missing-attribute",
                    node.range().start,
                    format!(
                        "<{}> is missing the required {}= attribute",
                        node.tag_name().name(),
                        sw.attr
                    ),
                    Some(format!(
                        "one of: {}",
                        sw.cases
                            .iter()
                            .map(|(v, _)| *v)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                None
            }
        },
    }
}

fn find_attr<'d>(def: &'d El, name: &str) -> Option<&'d At> {
    def.attrs
        .iter()
        .flat_map(|g| g.iter())
        .find(|a| a.name == name)
}

fn check_attrs(node: Node, def: &El, switch_attr: Option<&'static str>, sink: &mut Sink) {
    let elem = node.tag_name().name();
    for a in node.attributes() {
        if a.namespace().is_none() && Some(a.name()) == switch_attr {
            continue;
        }
        let spec = if a.namespace().is_none() {
            find_attr(def, a.name())
        } else {
            None
        };
        match spec {
            Some(spec) => {
                if !version_fit(spec.span, format!("{}= on <{elem}>", a.name()), a.range().start, sink) {
                    continue;
                }
                let wider = spec.wider.filter(|(_, t)| !spec.ty.accepts(a.value()) && t.accepts(a.value()));
                if let Some((_, span)) = spec.values.iter().find(|(v, _)| *v == a.value()) {
                    version_fit(*span, format!("<{elem} {}='{}'>", a.name(), a.value()), a.range_value().start, sink);
                } else if let Some((span, _)) = wider {
                    version_fit(span, format!("<{elem} {}='{}'>", a.name(), a.value()), a.range_value().start, sink);
                } else if spec.ty.accepts(a.value()) {
                    // Words and numbers: libvirt parses both as written (a
                    // name-like type such as a filter's is kept as a string).
                    let padded = a.value().starts_with([' ', '\t', '\n', '\r']) || a.value().ends_with([' ', '\t', '\n', '\r']);
                    let number = || matches!(spec.ty, Ty::Check(_, _, rng) if ["\"int", "\"unsigned", "\"long", "\"positive", "\"integer", "\"short"].iter().any(|t| rng.contains(t)));
                    if padded && spec.ty.collapses() && (matches!(spec.ty, Ty::Enum(_)) || number()) {
                        padded_value(node, a, matches!(spec.ty, Ty::Enum(_)), sink);
                    }
                } else {
                    let (msg, help) =
                        describe_bad_value(&format!("{}=", a.name()), a.value(), spec.ty);
                    sink.error(
                        "invalid-value",
                        a.range_value().start,
                        format!("<{elem}>: {msg}"),
                        help,
                    );
                }
            }
            None => {
                let mut allowed: Vec<&str> = def
                    .attrs
                    .iter()
                    .flat_map(|g| g.iter())
                    .map(|a| a.name)
                    .collect();
                allowed.extend(switch_attr);
                let shown = match a.namespace() {
                    Some(_) => format!(
                        "{}:{}",
                        node.lookup_prefix(a.namespace().unwrap_or(""))
                            .unwrap_or("?"),
                        a.name()
                    ),
                    None => a.name().to_string(),
                };
                let help = allowed_list(&format!("attributes of <{elem}>"), &allowed, "");
                let msg = match suggest(a.name(), &allowed) {
                    Some(s) => {
                        format!("unknown attribute {shown}= on <{elem}>; did you mean {s}=?")
                    }
                    None => format!("unknown attribute {shown}= on <{elem}>"),
                };
                sink.unknown("unknown-attribute", a.range().start, msg, help);
            }
        }
    }
    for spec in def.attrs.iter().flat_map(|g| g.iter()) {
        let Some(key) = spec.with else { continue };
        if let (Some(a), None) = (node.attribute_node(spec.name), node.attribute(key)) {
            sink.error(
                "attribute-needs-attribute",
                a.range().start,
                format!("{}= on <{elem}> is only allowed together with {key}=", spec.name),
                Some(format!("add {key}= or drop {}=", spec.name)),
            );
        }
    }
    let target = sink.target;
    for spec in def
        .attrs
        .iter()
        .flat_map(|g| g.iter())
        .filter(|s| s.req || s.req_before.is_some_and(|v| target < v))
    {
        if node.attribute(spec.name).is_none() {
            let (later, help) = match spec.req_before {
                Some(v) => (format!(" (libvirt {v} and later make it optional; validating for {target})"), Some(format!("add {}=", spec.name))),
                None => (String::new(), expected_help(spec.ty).map(|h| format!("add {}=: {h}", spec.name))),
            };
            sink.error(
                "missing-attribute",
                node.range().start,
                format!("<{elem}> is missing the required {}= attribute{later}", spec.name),
                help,
            );
        }
    }
}

fn check_children(node: Node, def: &El, sink: &mut Sink) {
    let all = || def.kids.iter().flat_map(|g| g.iter());
    let mut counts = vec![0usize; all().count()];
    for child in node.children() {
        if child.is_text() {
            let t = child.text().unwrap_or("");
            if !t.trim().is_empty() {
                sink.error(
                    "unexpected-text",
                    child.range().start + (t.len() - t.trim_start().len()),
                    format!(
                        "text {:?} is not allowed inside <{}>",
                        ellipsize(t.trim()),
                        node.tag_name().name()
                    ),
                    Some("only child elements (and comments) belong here".into()),
                );
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        let name = child.tag_name();
        match all().position(|k| k.el.name == name.name() && k.el.ns == name.namespace()) {
            Some(i) => {
                counts[i] += 1;
                let k = all().nth(i).expect("index from position");
                let what = format!("<{}> in <{}>", name.name(), node.tag_name().name());
                if !version_fit(k.span, what, child.range().start, sink) {
                    continue;
                }
                if !k.many && counts[i] == 2 {
                    sink.error(
                        "duplicate-element",
                        child.range().start,
                        format!(
                            "<{}> may appear only once in <{}>",
                            name.name(),
                            node.tag_name().name()
                        ),
                        Some("libvirt would silently use the first one and ignore this one".into()),
                    );
                }
                check(child, k.el, sink);
            }
            None => {
                // Namespaced children are shown with the prefix libvirt documents use.
                let names: Vec<String> = all()
                    .map(|k| {
                        if k.el.ns.is_some() {
                            format!("dnsmasq:{}", k.el.name)
                        } else {
                            k.el.name.to_string()
                        }
                    })
                    .collect();
                let allowed: Vec<&str> = names.iter().map(String::as_str).collect();
                unknown_element(child, node, &allowed, sink);
            }
        }
    }
    let target = sink.target;
    for (i, k) in all().enumerate() {
        if (k.req || k.req_before.is_some_and(|v| target < v)) && counts[i] == 0 {
            sink.error(
                "missing-element",
                node.range().start,
                format!(
                    "<{}> is missing the required <{}> element{}",
                    node.tag_name().name(),
                    k.el.name,
                    match k.req_before {
                        Some(v) => format!(" (libvirt {v} and later make it optional; validating for {target})"),
                        None => String::new(),
                    }
                ),
                None,
            );
        }
    }
}

/// A value the schema takes once its blanks are collapsed, which libvirt's
/// parser then reads as written: a word (`mode=' nat'`) matches none of its
/// names, a number with trailing blanks is not a number (strtoul stops at
/// them). A few words libvirt compares leniently or not at all.
fn padded_value(node: Node, a: roxmltree::Attribute, word: bool, sink: &mut Sink) {
    // (element, attribute): network_conf.c tests stp against "off", a
    // portgroup's default= and <forward managed=> against "yes"; a hostdev
    // NIC's managed= is read with errors ignored.
    const LENIENT: &[(&str, &str)] = &[("bridge", "stp"), ("portgroup", "default"), ("forward", "managed"), ("interface", "managed")];
    let v = a.value();
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let el = node.tag_name().name();
    if v.trim_matches(ws).len() == v.len() || LENIENT.contains(&(el, a.name())) || unparsed_driver_setting(node, a.name()) {
        return;
    }
    if word || v.trim_end_matches(ws).len() != v.len() {
        sink.error(
            "value-whitespace",
            a.range_value().start,
            format!("{}={:?} on <{}> has blanks around it, which libvirt's parser does not drop", a.name(), v, node.tag_name().name()),
            Some(format!("write {}='{}'", a.name(), v.trim_matches(ws))),
        );
    }
}

/// virDomainNetDefParseXMLDriver reads a NIC's `<driver>` settings (and its
/// `<host>`/`<guest>` offloads) only for a virtio model on a type other
/// than hostdev; the virtio transport options are read always.
fn unparsed_driver_setting(node: Node, attr: &str) -> bool {
    let driver = match node.tag_name().name() {
        "driver" => Some(node),
        "host" | "guest" => node.parent_element().filter(|p| p.has_tag_name("driver")),
        _ => None,
    };
    let Some(nic) = driver.and_then(|d| d.parent_element()).filter(|n| n.has_tag_name("interface")) else {
        return false;
    };
    if node.has_tag_name("driver") && ["iommu", "ats", "packed", "page_per_vq"].contains(&attr) {
        return false;
    }
    let virtio = nic
        .children()
        .find(|c| c.has_tag_name("model"))
        .and_then(|m| m.attribute("type"))
        .is_some_and(|t| ["virtio", "virtio-transitional", "virtio-non-transitional"].iter().any(|v| v.eq_ignore_ascii_case(t)));
    !(virtio && nic.attribute("type") != Some("hostdev"))
}

/// Whether `what` exists in the release checked for; reports it when not
/// (an error, or a warning when knet cannot tell). `false`: not there, so
/// its content is not checked further.
fn version_fit(span: Span, what: String, at: usize, sink: &mut Sink) -> bool {
    let target = sink.target;
    match span.fit(target) {
        Fit::Yes => true,
        Fit::TooOld(need) => {
            sink.error(
                "newer-libvirt",
                at,
                format!("{what} needs {need} (validating for {target})"),
                Some("validate for the release that will run it with --libvirt-version X.Y, or leave it out".into()),
            );
            false
        }
        Fit::Unsure(need) => {
            sink.warn(
                "newer-libvirt",
                at,
                format!("{what} may need {need} (validating for {target})"),
                None,
            );
            true
        }
        Fit::Removed(v) => {
            sink.error(
                "removed-in-libvirt",
                at,
                format!("{what} was removed in libvirt {v} (validating for {target})"),
                None,
            );
            false
        }
    }
}

/// An element's name as written, with its namespace prefix if it has one.
fn shown_name(n: Node) -> String {
    let name = n.tag_name();
    match name.namespace().and_then(|ns| n.lookup_prefix(ns)) {
        Some(p) if !p.is_empty() => format!("{p}:{}", name.name()),
        _ => name.name().to_string(),
    }
}

fn unknown_element(child: Node, parent: Node, allowed: &[&str], sink: &mut Sink) {
    let shown = shown_name(child);
    let parent_name = shown_name(parent);
    // Compare local names, so `dnsmasq:optoin` still finds `dnsmasq:option`.
    let local: Vec<&str> = allowed
        .iter()
        .map(|a| a.rsplit(':').next().unwrap_or(a))
        .collect();
    let hint = suggest(child.tag_name().name(), &local)
        .and_then(|l| allowed.iter().find(|a| a.rsplit(':').next() == Some(l)));
    let msg = match hint {
        Some(s) => format!("unknown element <{shown}> in <{parent_name}>; did you mean <{s}>?"),
        None => format!("unknown element <{shown}> in <{parent_name}>"),
    };
    let help = if allowed.is_empty() {
        Some(format!("<{parent_name}> takes no child elements"))
    } else {
        allowed_list(&format!("children of <{parent_name}>"), allowed, "<")
    };
    sink.unknown("unknown-element", child.range().start, msg, help);
}

fn allowed_list(what: &str, names: &[&str], open: &str) -> Option<String> {
    if names.is_empty() {
        return Some(format!("no {what} are allowed"));
    }
    let mut v: Vec<&str> = names.to_vec();
    v.sort_unstable();
    v.dedup();
    let close = if open == "<" { ">" } else { "" };
    Some(format!(
        "allowed {what}: {}",
        v.iter()
            .map(|n| format!("{open}{n}{close}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn expected_help(ty: Ty) -> Option<String> {
    match ty {
        Ty::Enum(v) | Ty::Words(v) => Some(format!("allowed values: {}", v.join(", "))),
        Ty::Check(_, what, _) => Some(format!("expected {what}")),
    }
}

/// Message and help for a value `v` of `what` (`mode=` or `<uuid>`) that `ty` refuses.
pub fn describe_bad_value(what: &str, v: &str, ty: Ty) -> (String, Option<String>) {
    match ty {
        Ty::Enum(vals) | Ty::Words(vals) if !vals.is_empty() => {
            let msg = format!("invalid value {:?} for {what}", ellipsize(v));
            let help = match suggest(v, vals) {
                Some(s) => format!("did you mean '{s}'? allowed values: {}", vals.join(", ")),
                None => format!("allowed values: {}", vals.join(", ")),
            };
            (msg, Some(help))
        }
        Ty::Enum(_) | Ty::Words(_) => (format!("invalid value {:?} for {what}", ellipsize(v)), None),
        Ty::Check(_, desc, _) => {
            let mut help = format!("expected {desc}");
            if ip::is_short_ipv4(v) {
                help = format!("'{v}' is a short IPv4 form that libvirt would read as a different address; write all four parts (e.g. 192.168.1.0)");
            }
            (
                format!("invalid value {:?} for {what}", ellipsize(v)),
                Some(help),
            )
        }
    }
}

/// Variant for switch-case tables, whose words are `'static` already.
pub fn describe_bad_switch(
    what: &str,
    v: &str,
    cases: &[&'static str],
) -> (String, Option<String>) {
    let msg = format!("invalid value {:?} for {what}", ellipsize(v));
    let help = match suggest(v, cases) {
        Some(s) => format!("did you mean '{s}'? allowed values: {}", cases.join(", ")),
        None => format!("allowed values: {}", cases.join(", ")),
    };
    (msg, Some(help))
}

/// A user value shortened for a message (the caret line shows where it is).
pub fn ellipsize(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The closest allowed name, if close enough to be a typo: case-insensitive
/// equality, or an optimal-string-alignment distance of 1 (names up to 4
/// characters), 2 (up to 8) or 3.
pub fn suggest<'n>(name: &str, allowed: &[&'n str]) -> Option<&'n str> {
    if name.chars().count() > 64 {
        return None;
    }
    let lower = name.to_lowercase();
    let max = match name.chars().count() {
        0..=2 => 1,
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    allowed
        .iter()
        .filter(|a| **a != name)
        .map(|a| (osa(&lower, &a.to_lowercase()), *a))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps, so
/// `mdoe` is one edit from `mode`).
fn osa(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("brige", &["bridge", "forward"]), Some("bridge"));
        assert_eq!(suggest("mdoe", &["mode", "dev"]), Some("mode"));
        assert_eq!(suggest("NAT", &["nat", "route"]), Some("nat"));
        assert_eq!(suggest("zzzzzz", &["nat", "route"]), None);
    }
}
