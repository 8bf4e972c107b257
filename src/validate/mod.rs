//! Structural and semantic rules for network, domain and interface XML.
//!
//! The public contract other modules rely on (net-define, net-edit,
//! domif-convert): [`validate`] returns a [`Report`]; [`Report::has_errors`]
//! decides, [`Report::render`] prints `FILE:LINE:COL: error: MESSAGE`, the
//! source line, a caret and `help:`. Never panics, whatever the input.
//!
//! Where a rule lives, by rule id:
//! - parsing (`xml-syntax`, `xml-dtd`, `input-too-large`, `nesting-too-deep`;
//!   the limits are in crate::xml) and the document kind
//!   (`unknown-document`, `wrong-document`): here;
//! - the grammar (`unknown-element`, `unknown-attribute`, `missing-*`,
//!   `duplicate-element`, `invalid-value`, `unexpected-text`):
//!   [`structure`] over the data in [`schema`] and [`types`];
//! - everything about `<network>`, and static routes: [`network`];
//! - domain `<interface>` and `<domain>`: [`interface`];
//! - address arithmetic: [`crate::ipnet`] (shared with the commands);
//! - the same grammar as RelaxNG for xml-schemas/: [`rng`];
//! - one example document per rule id: tests.rs;
//! - every rule id with its stage and the libvirt function it mirrors:
//!   [`rules`];
//! - the libvirt releases knet knows, and which one a check targets:
//!   [`version`].
//!
//! Every id is a string literal at the place that reports it, so
//! `grep -rn '"dhcp-range-reversed"' src/validate` lands on the rule.
//!
//! Rules never see the command line; the document kind comes from the root
//! element unless the caller forces it.

pub mod interface;
pub mod network;
pub mod rng;
pub mod rules;
pub mod schema;
pub mod structure;
pub mod types;
pub mod version;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::xml::{self, LineIndex, ParseAt};
pub use version::Version;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of document was (or should be) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Network,
    Domain,
    /// A lone domain `<interface>` element.
    Interface,
}

/// When libvirt itself would refuse what a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// libvirt's schema or XML parser: every `define` refuses it, whatever the driver.
    Define,
    /// The network driver's own check when a network is defined
    /// (bridge_driver.c's networkValidate); other drivers accept it.
    Driver,
    /// Only starting the network fails (the network driver, dnsmasq or the
    /// kernel refuses it); define accepts it.
    Start,
}

/// The stage a rule's mistake is refused at by libvirt (see [`Stage`] and
/// [`rules::RULES`]); `netmask-noncontiguous` is the one rule whose stage
/// also depends on the document, and it sets its own.
pub fn stage_of(rule: &str) -> Stage {
    rules::find(rule).map_or(Stage::Define, |r| r.stage)
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule id, e.g. `xml-syntax`, `unknown-element`, `dhcp-range-outside-subnet`.
    pub rule: &'static str,
    /// When libvirt would refuse it: `define`, `driver` or `start`.
    pub stage: Stage,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// 1-based line and column (in characters) of the offending node.
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file name as the user gave it (`-` for stdin).
    pub file: String,
    /// The libvirt release the file was checked for.
    pub libvirt_version: Version,
    pub kind: Option<DocKind>,
    pub valid: bool,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    source: String,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Human-readable diagnostics, compiler style.
    pub fn render(&self) -> String {
        use crate::output::{escape, escape_text};
        let mut out = String::new();
        let lines: Vec<&str> = if self.diagnostics.is_empty() {
            Vec::new()
        } else {
            self.source.lines().collect()
        };
        for d in &self.diagnostics {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            // the file's own text (and names quoted from it) may hold
            // terminal control characters: shown escaped, as virsh does
            out.push_str(&format!(
                "{}:{}:{}: {sev}: {}\n",
                escape(&self.file),
                d.line,
                d.column,
                escape(&d.message)
            ));
            if let Some(line) = lines.get(d.line.saturating_sub(1) as usize) {
                // Long lines (minified XML) are cut around the caret.
                let chars: Vec<char> = line.chars().collect();
                let col = d.column.saturating_sub(1) as usize;
                let from = col.saturating_sub(60);
                let to = (col + 60).min(chars.len());
                let shown: String = chars[from.min(to)..to].iter().collect();
                let pad: String = chars[from.min(col).min(chars.len())..col.min(chars.len())]
                    .iter()
                    .map(|c| if *c == '\t' { "\t".to_string() } else { " ".repeat(escape_text(c.encode_utf8(&mut [0; 4])).chars().count()) })
                    .collect();
                out.push_str(&format!("  {}\n  {pad}^\n", escape_text(&shown)));
            }
            if let Some(h) = &d.help {
                out.push_str(&format!("  help: {}\n", escape(h)));
            }
        }
        out
    }
}

impl Report {
    /// A file that is not UTF-8 (libvirt XML always is): one `xml-syntax`
    /// error at the first bad byte. `lossy` is the text shown in the caret line.
    /// A file over the input limit (`crate::input`), reported like the
    /// parser's own check would, without holding its bytes.
    pub fn too_large(file: &str, target: Version) -> Report {
        let mut sink = Sink::new("", target);
        sink.error("input-too-large", 0, crate::input::too_large_message(), None);
        Report { file: file.to_string(), libvirt_version: target, kind: None, valid: false, diagnostics: sink.diags, source: String::new() }
    }

    pub fn not_utf8(file: &str, valid_up_to: usize, lossy: &str, target: Version) -> Report {
        let mut sink = Sink::new(lossy, target);
        let at = lossy
            .char_indices()
            .map(|(i, _)| i)
            .take_while(|i| *i <= valid_up_to)
            .last()
            .unwrap_or(0);
        sink.error(
            "xml-syntax",
            at,
            format!("the file is not UTF-8 (invalid byte at offset {valid_up_to})"),
            Some("libvirt XML is UTF-8; convert it (e.g. iconv -t UTF-8)".into()),
        );
        Report {
            file: file.to_string(),
            libvirt_version: target,
            kind: None,
            valid: false,
            diagnostics: sink.diags,
            source: lossy.to_string(),
        }
    }
}

impl Report {
    /// A declared encoding libxml2 does not know, or bytes not valid in it:
    /// one `xml-encoding` error at byte `at` of `text` (the file as far as
    /// it could be read).
    pub fn bad_encoding(file: &str, text: &str, at: usize, message: &str, target: Version) -> Report {
        let mut sink = Sink::new(text, target);
        sink.error("xml-encoding", at, message.to_string(), Some(crate::xml::encoding::HELP.into()));
        Report { file: file.to_string(), libvirt_version: target, kind: None, valid: false, diagnostics: sink.diags, source: text.to_string() }
    }
}

/// Rules a RelaxNG schema can express: knet's xml-schemas/*.rng refuse a
/// document exactly when one of these fires (tests/test_validate.rs checks
/// it with xmllint on the corpus). Everything else is a rule of libvirt's
/// parser or network driver that no schema states.
pub const STRUCTURAL_RULES: &[&str] = &[
    "xml-syntax",
    "xml-encoding",
    "xml-dtd",
    "input-too-large",
    "nesting-too-deep",
    "unknown-document",
    "wrong-document",
    "unknown-element",
    "unknown-attribute",
    "attribute-needs-attribute",
    "newer-libvirt",
    "removed-in-libvirt",
    "missing-element",
    "missing-attribute",
    "duplicate-element",
    "invalid-value",
    "unexpected-text",
    "ip-netmask-and-prefix",
    "dhcp-host-mac-and-id",
    "dhcp-host-no-identity",
    "forward-interface-and-address",
    "hostdev-source-incomplete",
    "ccw-address-incomplete",
    "host-interface",
];

pub fn is_structural(rule: &str) -> bool {
    STRUCTURAL_RULES.contains(&rule)
}

/// Collects diagnostics, turning byte offsets into line:column.
pub struct Sink<'s> {
    ix: LineIndex<'s>,
    diags: Vec<Diagnostic>,
    /// The release checked for: constructs outside it are refused.
    pub target: Version,
}

impl<'s> Sink<'s> {
    fn new(src: &'s str, target: Version) -> Self {
        Sink {
            ix: LineIndex::new(src),
            diags: Vec::new(),
            target,
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        at: usize,
        message: String,
        help: Option<String>,
    ) {
        self.push_staged(severity, stage_of(rule), rule, at, message, help)
    }

    fn push_staged(
        &mut self,
        severity: Severity,
        stage: Stage,
        rule: &'static str,
        at: usize,
        message: String,
        help: Option<String>,
    ) {
        // Hostile input can produce one diagnostic per node; a few hundred
        // say everything a human reads.
        if self.diags.len() >= 500 {
            return;
        }
        let (line, column) = self.ix.line_col(at);
        self.diags.push(Diagnostic {
            severity,
            rule,
            stage,
            message,
            help,
            line,
            column,
        });
    }

    pub fn error(&mut self, rule: &'static str, at: usize, message: String, help: Option<String>) {
        self.push(Severity::Error, rule, at, message, help);
    }

    pub fn warn(&mut self, rule: &'static str, at: usize, message: String, help: Option<String>) {
        self.push(Severity::Warning, rule, at, message, help);
    }

    /// An error whose stage depends on the document, not only on the rule.
    pub fn error_at(&mut self, stage: Stage, rule: &'static str, at: usize, message: String, help: Option<String>) {
        self.push_staged(Severity::Error, stage, rule, at, message, help);
    }

    /// An unknown element or attribute: an error for a release knet knows;
    /// for a newer one a warning, since that release may well have added it
    /// and its own schema check (VIR_NETWORK_DEFINE_VALIDATE) decides.
    pub fn unknown(&mut self, rule: &'static str, at: usize, message: String, help: Option<String>) {
        let sev = if self.target.is_beyond_known() { Severity::Warning } else { Severity::Error };
        self.push(sev, rule, at, message, help);
    }
}

/// Check `src` (named `file` in messages). `expect` forces the document kind;
/// `None` detects it from the root element.
pub fn validate(src: &str, file: &str, expect: Option<DocKind>) -> Report {
    validate_for(src, file, expect, version::default_target())
}

/// [`validate`] for the given libvirt release.
pub fn validate_for(src: &str, file: &str, expect: Option<DocKind>, target: Version) -> Report {
    let mut sink = Sink::new(src, target);
    let kind = check_document(src, expect, &mut sink);
    let mut diagnostics = sink.diags;
    // A construct the target release lacks explains the errors around it
    // (a later release also relaxed what it needs): say that first.
    diagnostics.sort_by_key(|d| (!matches!(d.rule, "newer-libvirt" | "newer-libvirt-parser" | "removed-in-libvirt"), d.line, d.column));
    let valid = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    Report {
        file: file.to_string(),
        libvirt_version: target,
        kind,
        valid,
        diagnostics,
        source: src.to_string(),
    }
}

fn check_document(src: &str, expect: Option<DocKind>, sink: &mut Sink) -> Option<DocKind> {
    let doc = match xml::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            match e.at {
                ParseAt::Offset(o) => {
                    let help = (e.rule == "xml-dtd")
                        .then(|| "remove the <!DOCTYPE ...> declaration".to_string());
                    sink.error(e.rule, o, e.message, help)
                }
                ParseAt::LineCol(line, column) => sink.diags.push(Diagnostic {
                    severity: Severity::Error,
                    rule: e.rule,
                    stage: Stage::Define,
                    message: e.message,
                    help: None,
                    line,
                    column,
                }),
            }
            return expect;
        }
    };
    let root = doc.root_element();
    let found = match (root.tag_name().namespace(), root.tag_name().name()) {
        (None, "network") => Some(DocKind::Network),
        (None, "domain") => Some(DocKind::Domain),
        (None, "interface") => Some(DocKind::Interface),
        _ => None,
    };
    let at = root.range().start;
    let kind = match (expect, found) {
        (_, None)
            if root.tag_name().namespace().is_some()
                && ["network", "domain", "interface"].contains(&root.tag_name().name()) =>
        {
            sink.error(
                "unknown-document",
                at,
                format!(
                    "<{}> is in namespace {:?}; libvirt documents use no namespace",
                    root.tag_name().name(),
                    root.tag_name().namespace().unwrap_or("")
                ),
                Some("remove the xmlns= attribute from the root element".into()),
            );
            return expect;
        }
        (_, None) => {
            let name = root.tag_name().name();
            let hint = structure::suggest(name, &["network", "domain", "interface"]);
            sink.error(
                "unknown-document",
                at,
                format!(
                    "unknown document root <{name}>: expected <network>, <domain> or <interface>"
                ),
                hint.map(|h| format!("did you mean <{h}>?")),
            );
            return expect;
        }
        (Some(e), Some(f)) if e != f => {
            sink.error(
                "wrong-document",
                at,
                format!(
                    "expected a <{}> document, found <{}>",
                    name_of(e),
                    root.tag_name().name()
                ),
                Some("drop --kind to detect the kind from the root element".into()),
            );
            return expect;
        }
        (_, Some(f)) => f,
    };
    match kind {
        DocKind::Network => {
            structure::check(root, &schema::NETWORK, sink);
            network::check(&xml::network::Network::read(root), sink);
        }
        // virsh iface-define documents are <interface name=...>; a guest NIC never has name=.
        DocKind::Interface if expect.is_none() && root.has_attribute("name") => sink.error(
            "host-interface",
            at,
            "this is a host interface definition (virsh iface-define), not a guest <interface>".into(),
            Some("knet checks guest NICs; for host interfaces use virt-xml-validate FILE interface".into()),
        ),
        DocKind::Interface => interface::check_interface(root, None, sink),
        DocKind::Domain => interface::check_domain(root, sink),
    }
    Some(kind)
}

fn name_of(k: DocKind) -> &'static str {
    match k {
        DocKind::Network => "network",
        DocKind::Domain => "domain",
        DocKind::Interface => "interface",
    }
}
