//! `knet net-edit`: virsh's `net-edit` (cmdNetworkEdit + tools/virsh-edit.c),
//! without its sharp edges.
//!
//! - The inactive XML goes into a file of mode 0600 inside a fresh private
//!   directory (0700), so other local users never read or swap it.
//! - `$VISUAL`, then `$EDITOR`, then `vi`, run directly (no shell): the
//!   variable is split into words with shell quoting rules, the file name
//!   is the last argument.
//! - knet's validator checks the result, and libvirt defines it with its
//!   own schema check on.
//! - Before defining, the network's XML is read again; if it differs from
//!   what was opened, someone else changed it meanwhile and knet refuses
//!   to overwrite that change (`The XML configuration was changed by
//!   another user.`).
//! - Ctrl-C while the editor runs (it reaches knet too) defines nothing:
//!   the edit is kept if there is one, exit 130 (git's editor rule).
//! - On any failure, on a terminal: virsh's `Failed. Try again? [y,n,f,?]:`
//!   (y edit again, n discard, f force the define). Off a terminal: exit 1
//!   and nothing changed; an edit that could not be defined (daemon gone,
//!   invalid XML) is kept in its private file and the error names it, so
//!   the admin's work is never lost (virsh deletes it). virsh prints
//!   "Network (null) XML configuration edited." and exits 0 off a terminal,
//!   a bug not copied.
//! - `--apply` then brings the edit live on a running network
//!   (src/commands/net_apply.rs); when it cannot, the previous definition
//!   is restored and the edit kept in its private file, named.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::validate::{validate_for, DocKind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network name or UUID
    #[arg(add = clap_complete::engine::ArgValueCandidates::new(crate::complete::networks(crate::complete::State::All)))]
    pub network: String,
    #[command(flatten)]
    pub apply: super::net_apply::ApplyArgs,
}

/// The XML to edit, as virsh's virshNetworkGetXMLDesc gets it: the
/// persistent definition, or the live one from a driver that refuses the
/// flag as an invalid argument (libvirt's test driver does).
fn persistent_xml(conn: &dyn crate::libvirt::Conn, name: &str) -> Result<String> {
    match conn.network_xml(name, true) {
        Err(e) if e.is(crate::libvirt::code::INVALID_ARG) => Ok(conn.network_xml(name, false)?),
        r => Ok(r?),
    }
}

enum Choice {
    Again,
    Discard,
    Force,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let name = net_shared::resolve(ctx, &args.network)?;
    let conn = ctx.conn()?;
    let mut original = persistent_xml(conn, &name)?;

    let dir = tempfile::Builder::new()
        .prefix("knet-edit-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .context("cannot create a private temporary directory")?;
    let path = dir.path().join(format!("{}.xml", safe_file_name(&name)));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(original.as_bytes()))
        .with_context(|| format!("cannot write {}", path.display()))?;

    let mut force = false;
    loop {
        if !force && run_editor(&path)? {
            let edited = crate::input::read_text(&path.to_string_lossy()).unwrap_or_default();
            if edited != original {
                let kept = dir.keep().join(path.file_name().unwrap_or_default());
                eprintln!("Interrupted: network {name} left unchanged; your edited XML is kept in {}", kept.display());
            } else {
                eprintln!("Interrupted: network {name} left unchanged");
            }
            return Err(crate::interrupt::cancelled());
        }
        if !path.exists() {
            // an editor that deletes the file (some do on a failed save) leaves nothing to define
            anyhow::bail!("the editor removed {}; network {name} left unchanged", path.display());
        }
        let edited = crate::input::read_text(&path.to_string_lossy()).with_context(|| format!("cannot read {}; network {name} left unchanged", path.display()))?;
        if edited == original && !force {
            // --apply still brings a definition that is not live yet live
            if args.apply.apply && conn.network_is_active(&name)? {
                if !ctx.json() {
                    net_shared::done(ctx, &format!("Network {name} XML configuration not changed."))?;
                }
                let b = super::net_apply::Before { name: name.clone(), config: original.clone() };
                return super::net_apply::apply(ctx, &b, args.apply.yes, &|| None);
            }
            return net_shared::report(ctx, &format!("Network {name} XML configuration not changed."), false, serde_json::json!({ "network": name }));
        }
        let attempt = (|| -> Result<String> {
            let report = validate_for(&edited, &path.display().to_string(), Some(DocKind::Network), net_shared::daemon_release(conn));
            eprint!("{}", report.render());
            if report.has_errors() {
                anyhow::bail!("the edited XML is not a valid network definition");
            }
            let current = persistent_xml(conn, &name)?;
            if current != original && !force {
                original = current;
                anyhow::bail!("The XML configuration was changed by another user.");
            }
            Ok(conn.define_network(&edited, true)?)
        })();
        match attempt {
            Ok(new_name) if args.apply.apply => {
                if !ctx.json() {
                    net_shared::done(ctx, &format!("Network {new_name} XML configuration edited."))?;
                }
                // what was opened is what the edit replaced (checked just above)
                let b = super::net_apply::Before { name: new_name.clone(), config: original.clone() };
                if !conn.network_is_active(&new_name)? {
                    return super::net_apply::not_running(ctx, &new_name);
                }
                let named = std::cell::Cell::new(false);
                let keep = || {
                    named.set(true);
                    Some(format!("your edited XML is kept in {}", path.display()))
                };
                let r = super::net_apply::apply(ctx, &b, args.apply.yes, &keep);
                if named.get() {
                    // the message named the file: it must outlive this run
                    let _ = dir.keep();
                }
                return r;
            }
            Ok(new_name) => {
                // an edit libvirt canonicalises back to what was there (a
                // reformatted attribute) changed nothing
                let changed = !ctx.json() || conn.network_xml(&new_name, true).ok().as_deref() != Some(original.as_str());
                return net_shared::report(ctx, &format!("Network {new_name} XML configuration edited."), changed, serde_json::json!({ "network": new_name }));
            }
            Err(e) => {
                crate::exit::report(&e);
                match ask_reedit()? {
                    Some(Choice::Again) => force = false,
                    Some(Choice::Force) => force = true,
                    Some(Choice::Discard) => return Err(Exit::silent(crate::exit::FAILURE)),
                    // the admin's work survives: the file stays (0600 in its 0700 directory)
                    None => {
                        // a define whose answer was lost may have happened
                        let state = if crate::libvirt::unanswered_note(&e).is_some() { "may or may not have been changed" } else { "left unchanged" };
                        if edited != original {
                            let kept = dir.keep().join(path.file_name().unwrap_or_default());
                            anyhow::bail!("Failed. Network {name} {state}; your edited XML is kept in {}", kept.display())
                        }
                        anyhow::bail!("Failed. Network {name} {state}")
                    }
                }
            }
        }
    }
}

/// The network name as a file name (libvirt names may hold '/').
fn safe_file_name(name: &str) -> String {
    name.chars().map(|c| if c == '/' || c.is_control() { '_' } else { c }).collect()
}

fn editor_command() -> String {
    ["VISUAL", "EDITOR"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty())).unwrap_or_else(|| "vi".into())
}

fn editor_words(raw: &str) -> Result<Vec<String>> {
    let words = shell_words::split(raw).map_err(|e| anyhow::anyhow!("cannot parse editor command '{raw}': {e}"))?;
    if words.is_empty() {
        anyhow::bail!("empty editor command");
    }
    Ok(words)
}

/// The editor's command line as virsh's error names it (tools/vsh.c
/// vshEditFile runs an editor with shell characters through `sh -c`;
/// libvirt's virCommandToString quotes each word as virBufferEscapeShell).
fn virsh_command_line(raw: &str, path: &Path) -> String {
    const PLAIN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_.:@";
    let file = path.display().to_string();
    let words = if raw.chars().all(|c| PLAIN.contains(c)) { vec![raw.to_string(), file] } else { vec!["sh".into(), "-c".into(), format!("{raw} {file}")] };
    let quote = |w: &String| {
        if w.is_empty() {
            "''".to_string()
        } else if w.contains(|c: char| "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~".contains(c)) {
            format!("'{}'", w.replace('\'', "'\\''"))
        } else {
            w.clone()
        }
    };
    words.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Run the editor on `path`; `true` when Ctrl-C was pressed meanwhile.
///
/// Ctrl-C at the terminal reaches knet and the editor alike (one process
/// group). Like git (editor.c), knet survives it while the editor runs and
/// then stops without defining anything; the editor, started with SIGINT's
/// default action, decides for itself. A failed editor is reported in
/// virsh's words (libvirt's virCommandWait); nothing is defined.
fn run_editor(path: &Path) -> Result<bool> {
    use std::os::unix::process::ExitStatusExt;
    let raw = editor_command();
    let words = editor_words(&raw)?;
    let unexpected = |what: String| anyhow::anyhow!("internal error: Child process ({}) unexpected {what}", virsh_command_line(&raw, path));
    let guard = crate::interrupt::Guard::for_child();
    let status = match std::process::Command::new(&words[0]).args(&words[1..]).arg(path).status() {
        Ok(s) => s,
        Err(e) => {
            // what libvirt's child prints before it exits 127
            let reason = e.to_string();
            let reason = reason.split(" (os error").next().unwrap_or_default();
            eprintln!("libvirt:  error : cannot execute binary {}: {reason}", words[0]);
            return Err(unexpected("exit status 127".into()));
        }
    };
    let interrupted = crate::interrupt::requested() || status.signal() == Some(libc::SIGINT);
    drop(guard);
    if interrupted {
        return Ok(true);
    }
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(false),
        (Some(n), _) => Err(unexpected(format!("exit status {n}"))),
        (None, Some(sig)) => Err(unexpected(format!("fatal signal {sig}"))),
        _ => Err(unexpected(format!("invalid value {}", status.into_raw()))),
    }
}

/// virsh's vshAskReedit; `None` off a terminal.
fn ask_reedit() -> Result<Option<Choice>> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Ok(None);
    }
    let term = dialoguer::console::Term::stdout();
    loop {
        term.write_str("Failed. Try again? [y,n,f,?]:")?;
        let c = term.read_char()?;
        term.write_line("")?;
        match c {
            'y' | 'Y' => return Ok(Some(Choice::Again)),
            'n' | 'N' => return Ok(Some(Choice::Discard)),
            'f' | 'F' => return Ok(Some(Choice::Force)),
            _ => term.write_line(
                "y - yes, start editor again\nn - no, throw away my changes\nf - force, try to redefine again\n? - print this help",
            )?,
        }
    }
}
