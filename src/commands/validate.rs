//! `knet validate FILE...`: offline checks of network, domain and lone
//! `<interface>` XML (src/validate), in the spirit of virt-xml-validate.
//!
//! Never opens a libvirt connection: it runs in the light `knet` binary.
//! Output follows virt-xml-validate: diagnostics on stderr, `FILE validates`
//! on stdout for each valid file (not with -q). Exit codes are knet's own
//! (0 valid, 1 invalid, 2 usage or I/O) rather than virt-xml-validate's
//! 0/1/2/3/4, so scripts can tell "bad XML" from "no such file".

use std::io::Write;

use anyhow::Result;

use crate::context::Ctx;
use crate::exit::{Exit, FAILURE, SUCCESS, USAGE};
use crate::input::InputError;
use crate::validate::{self, DocKind, Report, Version};
use crate::xml::encoding::DecodeError;

/// Check network, domain or domain <interface> XML without libvirt
///
/// Each FILE is checked against libvirt's schema (misspelled elements and
/// attributes, bad values) and against the rules libvirt's parser and
/// network driver apply at define and start time (DHCP ranges inside the
/// subnet, contiguous netmasks, bridge names of at most 15 characters,
/// duplicate DHCP hosts, ...). A lone <interface> element is checked as a
/// domain device. Errors print as FILE:LINE:COL with the source line, a caret
/// and a hint; warnings (slow NIC model, MAC outside 52:54:00) do not make a
/// file invalid.
///
/// XML is checked for one libvirt release (--libvirt-version, default the
/// libvirt installed here): a construct newer than it is refused, naming
/// the release that added it. Each diagnostic says when libvirt itself would
/// refuse the mistake: at define, in the network driver, or only at start.
///
/// Diagnostics go to stderr; each valid file is announced on stdout as
/// `FILE validates`, as virt-xml-validate does (-q silences it). With --json,
/// one JSON object per file and line on stdout instead.
///
/// Exit status: 0 all files valid (warnings allowed), 1 some file invalid,
/// 2 usage error or unreadable file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// XML files to check; `-` reads standard input
    #[arg(value_name = "FILE", required = true, value_hint = clap::ValueHint::FilePath)]
    pub files: Vec<String>,

    /// Check as this kind of document instead of detecting it from the root element
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<Kind>,

    /// Check for this libvirt release (e.g. 9.0, 11.3): constructs newer than it
    /// are refused with the release that added them. Default: the libvirt
    /// installed here (read from its library name or pkg-config data), else
    /// the newest release knet knows
    #[arg(long, value_name = "X.Y", value_parser = parse_version, env = "KNET_LIBVIRT_VERSION")]
    pub libvirt_version: Option<Version>,
}

fn parse_version(s: &str) -> std::result::Result<Version, String> {
    Version::parse(s).ok_or_else(|| {
        format!("'{s}' is not a libvirt release number (X.Y or X.Y.Z, e.g. 9.0 or 11.3.0)")
    })
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Network,
    Domain,
    Interface,
}

impl From<Kind> for DocKind {
    fn from(k: Kind) -> DocKind {
        match k {
            Kind::Network => DocKind::Network,
            Kind::Domain => DocKind::Domain,
            Kind::Interface => DocKind::Interface,
        }
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Exit::usage("standard input ('-') can be given only once"));
    }
    let kind = args.kind.map(DocKind::from);
    let target = args.libvirt_version.unwrap_or_else(validate::version::default_target);
    let mut code = SUCCESS;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for file in &args.files {
        let report = match crate::input::read_bytes(file) {
            // decoded as libvirt's libxml2 would: BOM, UTF-16, or the
            // declaration's encoding; positions stay the file's own
            Ok(bytes) => match crate::xml::encoding::decode(&bytes) {
                Ok(src) => validate::validate_for(&src, file, kind, target),
                Err(DecodeError::NotUtf8 { valid_up_to }) => validate::Report::not_utf8(file, valid_up_to, &String::from_utf8_lossy(&bytes), target),
                Err(e) => {
                    let message = e.to_string();
                    let (DecodeError::Unknown { text, at, .. } | DecodeError::Malformed { text, at, .. }) = e else { unreachable!("NotUtf8 is matched above") };
                    validate::Report::bad_encoding(file, &text, at, &message, target)
                }
            },
            Err(InputError::TooLarge { .. }) => validate::Report::too_large(file, target),
            Err(e) => {
                // virt-xml-validate's shape: the file name, then the system's reason
                let msg = e.reason();
                let _ = writeln!(stderr.lock(), "error: {file}: {msg}");
                if ctx.json() {
                    // Still one object per file, so a script can zip them with its arguments.
                    let obj = serde_json::json!({"file": file, "libvirt_version": target, "kind": null, "valid": false, "error": msg, "diagnostics": []});
                    writeln!(stdout.lock(), "{obj}")?;
                }
                code = USAGE;
                continue;
            }
        };
        if report.has_errors() && code == SUCCESS {
            code = FAILURE;
        }
        print_report(&report, ctx, &mut stdout.lock(), &mut stderr.lock())?;
    }
    if code == SUCCESS {
        Ok(())
    } else {
        Err(Exit::silent(code))
    }
}

fn print_report(
    report: &Report,
    ctx: &Ctx,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    if ctx.json() {
        writeln!(out, "{}", crate::output::json_terminal_safe(serde_json::to_string(report)?))?;
        return Ok(());
    }
    err.write_all(report.render().as_bytes())?;
    if !report.has_errors() && !ctx.quiet() {
        writeln!(out, "{} validates", report.file)?;
    }
    Ok(())
}

