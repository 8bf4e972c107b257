//! Structural and semantic rules for network, domain and interface XML.
//!
//! The public contract other modules rely on (net-define, net-edit,
//! domif-convert): [`validate`] returns a [`Report`]; [`Report::has_errors`]
//! decides, [`Report::render`] prints `FILE:LINE:COL: error: MESSAGE`, the
//! source line, a caret and `help:`. Never panics, whatever the input.
//!
//! NOTE: this first version checks well-formedness only; the rules arrive
//! with the foundation issue's validator.

use serde::Serialize;

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

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule id, e.g. `xml-syntax`, `unknown-element`, `dhcp-range-outside-subnet`.
    pub rule: &'static str,
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
    pub kind: Option<DocKind>,
    pub valid: bool,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    source: String,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// Human-readable diagnostics, compiler style.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!("{}:{}:{}: {sev}: {}\n", self.file, d.line, d.column, d.message));
            if let Some(line) = self.source.lines().nth(d.line.saturating_sub(1) as usize) {
                let pad: String = line.chars().take(d.column.saturating_sub(1) as usize).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                out.push_str(&format!("  {line}\n  {pad}^\n"));
            }
            if let Some(h) = &d.help {
                out.push_str(&format!("  help: {h}\n"));
            }
        }
        out
    }
}

/// Check `src` (named `file` in messages). `expect` forces the document kind;
/// `None` detects it from the root element.
pub fn validate(src: &str, file: &str, expect: Option<DocKind>) -> Report {
    let mut diagnostics = Vec::new();
    let mut kind = expect;
    match roxmltree::Document::parse(src) {
        Ok(doc) => {
            let root = doc.root_element();
            let found = match root.tag_name().name() {
                "network" => Some(DocKind::Network),
                "domain" => Some(DocKind::Domain),
                "interface" => Some(DocKind::Interface),
                _ => None,
            };
            let pos = doc.text_pos_at(root.range().start);
            match (expect, found) {
                (_, None) => diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    rule: "unknown-document",
                    message: format!("unknown document root <{}>: expected <network>, <domain> or <interface>", root.tag_name().name()),
                    help: None,
                    line: pos.row,
                    column: pos.col,
                }),
                (Some(e), Some(f)) if e != f => diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    rule: "wrong-document",
                    message: format!("expected a <{}> document, found <{}>", name_of(e), root.tag_name().name()),
                    help: None,
                    line: pos.row,
                    column: pos.col,
                }),
                _ => kind = found,
            }
        }
        Err(e) => {
            let pos = e.pos();
            diagnostics.push(Diagnostic { severity: Severity::Error, rule: "xml-syntax", message: e.to_string(), help: None, line: pos.row, column: pos.col });
        }
    }
    let valid = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    Report { file: file.to_string(), kind, valid, diagnostics, source: src.to_string() }
}

fn name_of(k: DocKind) -> &'static str {
    match k {
        DocKind::Network => "network",
        DocKind::Domain => "domain",
        DocKind::Interface => "interface",
    }
}
