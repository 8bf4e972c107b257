//! Writes knet's grammar ([`super::schema`]) as RelaxNG for one libvirt
//! release, for editors (nxml-mode, VS Code XML) and for xmllint. The
//! checked-in files xml-schemas/libvirt-X.Y/{network,interface}.rng (one
//! directory per release knet knows; xml-schemas/*.rng is the newest) are
//! this output;
//! tests/test_validate.rs fails when they are stale (regenerate with
//! `KNET_UPDATE_SCHEMAS=1 cargo test --test tests rng_files_are_current`) and
//! checks that xmllint with them agrees with knet on the corpus.
//!
//! Generating instead of hand-writing keeps one source of truth: the
//! schemas say exactly what knet accepts structurally.
//!
//! Never the source of a rule: it only writes down [`super::schema`].

use std::collections::HashMap;
use std::fmt::Write;

use super::schema::{At, El, Kid, Special};
use super::types::Ty;
use super::version::{Fit, Span, Version};

const IPV4: &str = r"((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const H: &str = "[0-9a-fA-F]{1,4}";

fn ipv6() -> String {
    let v4 = IPV4;
    [
        format!("({H}:){{7}}{H}"),
        format!("({H}:){{1,7}}:"),
        format!("({H}:){{1,6}}:{H}"),
        format!("({H}:){{1,5}}(:{H}){{1,2}}"),
        format!("({H}:){{1,4}}(:{H}){{1,3}}"),
        format!("({H}:){{1,3}}(:{H}){{1,4}}"),
        format!("({H}:){{1,2}}(:{H}){{1,5}}"),
        format!("{H}:(:{H}){{1,6}}"),
        format!(":((:{H}){{1,7}}|:)"),
        format!("({H}:){{6}}{v4}"),
        format!("(({H}:){{0,4}}{H})?::({H}:){{0,5}}{v4}"),
    ]
    .join("|")
}

struct Gen {
    target: Version,
    /// Define name of each element definition, by address.
    names: HashMap<usize, String>,
    used: HashMap<String, usize>,
    defines: Vec<String>,
    ipv6: String,
}

fn key(el: &El) -> usize {
    el as *const El as usize
}

impl Gen {
    fn new(target: Version) -> Self {
        Gen {
            target,
            names: HashMap::new(),
            used: HashMap::new(),
            defines: Vec::new(),
            ipv6: ipv6(),
        }
    }

    /// Whether the release written for knows a construct (one knet cannot
    /// tell about is allowed: knet only warns about it).
    fn has(&self, span: Span) -> bool {
        matches!(span.fit(self.target), Fit::Yes | Fit::Unsure(_))
    }

    /// A `<ref>` to `el`'s define, writing the define on first use.
    fn reference(&mut self, el: &El) -> String {
        if let Some(n) = self.names.get(&key(el)) {
            return format!("<ref name=\"{n}\"/>");
        }
        let base = el.name.to_string();
        let count = self.used.entry(base.clone()).or_insert(0);
        *count += 1;
        let name = if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
        self.names.insert(key(el), name.clone());
        let body = pretty(&self.element(el), 2);
        self.defines
            .push(format!("  <define name=\"{name}\">\n{body}  </define>\n"));
        format!("<ref name=\"{name}\"/>")
    }

    fn element(&mut self, el: &El) -> String {
        let open = match el.ns {
            Some(ns) => format!("<element name=\"{}\" ns=\"{ns}\">", el.name),
            None => format!("<element name=\"{}\">", el.name),
        };
        format!("{open}{}</element>", self.content(el))
    }

    fn content(&mut self, el: &El) -> String {
        if el.any {
            return "<zeroOrMore><choice><text/><ref name=\"any-element\"/></choice></zeroOrMore>"
                .into();
        }
        if let Some(sw) = &el.switch {
            let mut out = String::from("<choice>");
            for (value, case) in sw.cases {
                if sw.spans.iter().any(|(v, span)| v == value && !self.has(*span)) {
                    continue;
                }
                let _ = write!(
                    out,
                    "<group><attribute name=\"{}\"><value>{value}</value></attribute>{}</group>",
                    sw.attr,
                    self.content(case)
                );
            }
            if let Some(d) = sw.default {
                let _ = write!(out, "<group>{}</group>", self.content(d));
            }
            out.push_str("</choice>");
            return format!("{}{out}", self.attrs(el));
        }
        let mut out = self.attrs(el);
        if let Some(ty) = el.text {
            out.push_str(&self.ty(ty));
            return out;
        }
        let kids: Vec<&Kid> = el.kids.iter().flat_map(|g| g.iter()).filter(|k| self.has(k.span)).collect();
        let mut parts: Vec<String> = Vec::new();
        match el.special {
            Some(Special::ForwardPool) => {
                let pool: Vec<&Kid> = kids
                    .iter()
                    .copied()
                    .filter(|k| k.el.name == "interface" || k.el.name == "address")
                    .collect();
                let alts: Vec<String> = pool.iter().map(|k| self.kid(k)).collect();
                parts.push(format!("<choice>{}</choice>", alts.join("")));
                for k in kids
                    .iter()
                    .filter(|k| k.el.name != "interface" && k.el.name != "address")
                {
                    parts.push(self.kid(k));
                }
            }
            Some(Special::HostdevSource) => {
                let vendor = self.reference(&super::schema::USB_VENDOR);
                let product = self.reference(&super::schema::USB_PRODUCT);
                let usb = self.reference(&super::schema::HD_ADDR_USB_UNTYPED);
                // The typed address: the switch's cases without its untyped default.
                let typed = {
                    let sw = super::schema::HD_ADDRESS
                        .switch
                        .as_ref()
                        .expect("HD_ADDRESS is a switch");
                    let mut c = String::from("<element name=\"address\"><choice>");
                    for (value, case) in sw.cases {
                        let _ = write!(c, "<group><attribute name=\"{}\"><value>{value}</value></attribute>{}</group>", sw.attr, self.content(case));
                    }
                    c.push_str("</choice></element>");
                    c
                };
                parts.push(format!("<choice><group>{vendor}{product}<optional>{usb}</optional></group>{typed}</choice>"));
            }
            _ => {
                for k in &kids {
                    parts.push(self.kid(k));
                }
            }
        }
        match parts.len() {
            0 => out.push_str("<empty/>"),
            1 => out.push_str(&parts[0]),
            _ => {
                out.push_str("<interleave>");
                out.push_str(&parts.concat());
                out.push_str("</interleave>");
            }
        }
        out
    }

    fn kid(&mut self, k: &Kid) -> String {
        let r = self.reference(k.el);
        let req = k.req || k.req_before.is_some_and(|v| self.target < v);
        match (req, k.many) {
            (true, false) => r,
            (false, false) => format!("<optional>{r}</optional>"),
            (false, true) => format!("<zeroOrMore>{r}</zeroOrMore>"),
            (true, true) => format!("<oneOrMore>{r}</oneOrMore>"),
        }
    }

    fn attr(&self, a: &At) -> String {
        let ty = match a.ty {
            Ty::Enum(vals) if !a.values.is_empty() => {
                let kept: String = vals
                    .iter()
                    .filter(|v| a.values.iter().all(|(x, span)| x != *v || self.has(*span)))
                    .map(|v| format!("<value>{v}</value>"))
                    .collect();
                format!("<choice>{kept}</choice>")
            }
            ty => match a.wider {
                Some((span, wide)) if matches!(span.fit(self.target), Fit::Yes) => self.ty(wide),
                _ => self.ty(ty),
            },
        };
        format!("<attribute name=\"{}\">{ty}</attribute>", a.name)
    }

    fn attrs(&mut self, el: &El) -> String {
        // An attribute none of whose values the release knows cannot appear.
        let live = |a: &&At| {
            self.has(a.span)
                && match a.ty {
                    Ty::Enum(vals) => vals.iter().any(|v| a.values.iter().all(|(x, span)| x != v || self.has(*span))),
                    Ty::Words(_) | Ty::Check(..) => true,
                }
        };
        let all: Vec<&At> = el.attrs.iter().flat_map(|g| g.iter()).filter(live).collect();
        let mut out = String::new();
        let find = |n: &str| all.iter().copied().find(|a| a.name == n);
        match el.special {
            Some(Special::NetmaskOrPrefix) => {
                for a in all
                    .iter()
                    .filter(|a| a.name != "netmask" && a.name != "prefix")
                {
                    out.push_str(&self.opt_attr(a));
                }
                if let (Some(m), Some(p)) = (find("netmask"), find("prefix")) {
                    let _ = write!(
                        out,
                        "<optional><choice>{}{}</choice></optional>",
                        self.attr(m),
                        self.attr(p)
                    );
                }
            }
            Some(Special::DhcpHostIdentity) => {
                for a in all
                    .iter()
                    .filter(|a| !["mac", "id", "name"].contains(&a.name))
                {
                    out.push_str(&self.opt_attr(a));
                }
                if let (Some(mac), Some(id), Some(name)) = (find("mac"), find("id"), find("name")) {
                    let _ = write!(
                        out,
                        "<choice><group><choice>{}{}</choice><optional>{}</optional></group>{}</choice>",
                        self.attr(mac),
                        self.attr(id),
                        self.attr(name),
                        self.attr(name)
                    );
                }
            }
            Some(Special::AllOrNoAttrs) => {
                let group: String = all.iter().map(|a| self.attr(a)).collect();
                let _ = write!(out, "<optional><group>{group}</group></optional>");
            }
            _ => {
                for a in all.iter().filter(|a| a.with.is_none()) {
                    let deps: String = all
                        .iter()
                        .filter(|d| d.with == Some(a.name))
                        .map(|d| self.opt_attr(d))
                        .collect();
                    if deps.is_empty() {
                        out.push_str(&self.opt_attr(a));
                    } else {
                        let _ = write!(out, "<optional>{}{deps}</optional>", self.attr(a));
                    }
                }
            }
        }
        out
    }

    fn opt_attr(&self, a: &At) -> String {
        if a.req || a.req_before.is_some_and(|v| self.target < v) {
            self.attr(a)
        } else {
            format!("<optional>{}</optional>", self.attr(a))
        }
    }

    fn ty(&self, ty: Ty) -> String {
        match ty {
            Ty::Words(vals) => format!(
                "<data type=\"string\"><param name=\"pattern\">{}</param></data>",
                vals.iter().map(|v| format!("({v})")).collect::<Vec<_>>().join("|")
            ),
            Ty::Enum(vals) => format!(
                "<choice>{}</choice>",
                vals.iter()
                    .map(|v| format!("<value>{v}</value>"))
                    .collect::<String>()
            ),
            Ty::Check(_, _, rng) => rng.replace("IPV4", IPV4).replace("IPV6", &self.ipv6),
        }
    }
}

/// One tag per line, indented; `<x>text</x>` stays on one line. The input
/// is this module's own output: tags and short texts, no comments.
fn pretty(xml: &str, depth: usize) -> String {
    let mut tokens: Vec<&str> = Vec::new();
    let mut rest = xml;
    while !rest.is_empty() {
        let end = if rest.starts_with('<') {
            rest.find('>').map_or(rest.len(), |i| i + 1)
        } else {
            rest.find('<').unwrap_or(rest.len())
        };
        tokens.push(&rest[..end]);
        rest = &rest[end..];
    }
    let mut out = String::new();
    let mut d = depth;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let pad = "  ".repeat(d);
        if t.starts_with("</") {
            d = d.saturating_sub(1);
            let _ = writeln!(out, "{}{t}", "  ".repeat(d));
        } else if t.ends_with("/>") {
            let _ = writeln!(out, "{pad}{t}");
        } else if i + 2 < tokens.len()
            && !tokens[i + 1].starts_with('<')
            && tokens[i + 2].starts_with("</")
        {
            let _ = writeln!(out, "{pad}{t}{}{}", tokens[i + 1], tokens[i + 2]);
            i += 2;
        } else {
            let _ = writeln!(out, "{pad}{t}");
            d += 1;
        }
        i += 1;
    }
    out
}

/// The RelaxNG grammar whose start is `root`.
pub fn grammar(root: &El, title: &str, target: Version) -> String {
    let mut g = Gen::new(target);
    let start = g.reference(root);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\"?>\n<!-- {title}\n     Generated by knet from src/validate/schema.rs (src/validate/rng.rs); do not edit.\n     It describes exactly the structure `knet validate` accepts. -->\n<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" datatypeLibrary=\"http://www.w3.org/2001/XMLSchema-datatypes\">\n  <start>{start}</start>\n"
    );
    for d in &g.defines {
        out.push_str(d);
    }
    out.push_str("  <define name=\"any-element\">\n");
    out.push_str(&pretty("<element><anyName/><zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name=\"any-element\"/></choice></zeroOrMore></element>", 2));
    out.push_str("  </define>\n");
    out.push_str("</grammar>\n");
    out
}

pub fn network_rng(target: Version) -> String {
    grammar(
        &super::schema::NETWORK,
        &format!("knet: libvirt <network> XML as libvirt {target} and knet accept it"),
        target,
    )
}

pub fn interface_rng(target: Version) -> String {
    grammar(
        &super::schema::INTERFACE,
        &format!("knet: a libvirt {target} domain <interface> device on its own"),
        target,
    )
}
