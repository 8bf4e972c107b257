//! virsh's command-line grammar for the commands knet shares with virsh.
//!
//! virsh does not parse with getopt: each command has a table of options
//! (`vshCmdOptDef` in tools/virsh-network.c, virsh-domain.c,
//! virsh-domain-monitor.c) and one parser for all of them (tools/vsh.c,
//! vshCommandParse). Every option that takes a value and is not marked
//! "named only" may also be given by position, in table order; every
//! positional may also be given by name (`net-info --network default`), and
//! `--opt=value` works for options that take a value. [`TABLES`] mirrors
//! those tables; [`normalize`] parses a command's words as virsh does, with
//! virsh's error lines, and returns one canonical form that the clap tree in
//! src/cli.rs accepts: named options as `--name=value`, then `--`, then the
//! values clap takes by position. Commands therefore keep plain clap `Args`.
//!
//! This module never looks at what the values mean (a bad number or enum is
//! the command's to report, as virsh reports it from inside the command),
//! and never touches knet's own commands.

/// How virsh treats one option (`vshCmdOptType` plus `VSH_OFLAG_REQ_OPT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `VSH_OT_BOOL`: a flag, never takes a value.
    Bool,
    /// `VSH_OT_DATA` / `VSH_OT_STRING`: a string, also given by position.
    Str,
    /// `VSH_OT_INT`: a number, also given by position.
    Int,
    /// `VSH_OT_STRING` with `VSH_OFLAG_REQ_OPT`: only as `--name VALUE`.
    Named,
}

/// One entry of a command's option table, in virsh's order.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub name: &'static str,
    pub kind: Kind,
    /// `VSH_OFLAG_REQ`: virsh refuses the command without it.
    pub required: bool,
    /// knet's clap `Args` takes this one by position (else as `--name`).
    pub clap_positional: bool,
}

/// A shared command's table.
#[derive(Debug)]
pub struct Table {
    pub command: &'static str,
    pub opts: &'static [Opt],
}

const fn data(name: &'static str) -> Opt {
    Opt { name, kind: Kind::Str, required: true, clap_positional: true }
}
const fn string(name: &'static str) -> Opt {
    Opt { name, kind: Kind::Str, required: false, clap_positional: false }
}
const fn int(name: &'static str) -> Opt {
    Opt { name, kind: Kind::Int, required: false, clap_positional: false }
}
const fn named(name: &'static str) -> Opt {
    Opt { name, kind: Kind::Named, required: false, clap_positional: false }
}
const fn flag(name: &'static str) -> Opt {
    Opt { name, kind: Kind::Bool, required: false, clap_positional: false }
}

/// The options of [`TABLES`] that are knet's, not virsh's: what virsh
/// itself would refuse.
pub const KNET_OPTIONS: &[&str] = &["no-validate", "apply", "yes"];

const NETWORK: Opt = data("network");
const DOMAIN: Opt = data("domain");
const AFFECT_NET: [Opt; 3] = [flag("config"), flag("live"), flag("current")];

/// virsh 9.0's tables for the shared commands, option for option and in
/// virsh's order (the order decides which value a position fills). knet's
/// own additions (`--no-validate`, `--apply`, `--yes`) come last: they are flags, so they never
/// shift a position.
pub static TABLES: &[Table] = &[
    Table { command: "net-list", opts: &[flag("inactive"), flag("all"), flag("persistent"), flag("transient"), flag("autostart"), flag("no-autostart"), flag("uuid"), flag("name"), flag("table")] },
    Table { command: "net-info", opts: &[NETWORK] },
    Table { command: "net-uuid", opts: &[NETWORK] },
    Table { command: "net-name", opts: &[NETWORK] },
    Table { command: "net-dumpxml", opts: &[NETWORK, flag("inactive"), named("xpath"), flag("wrap")] },
    Table { command: "net-define", opts: &[data("file"), flag("validate"), flag("no-validate"), flag("apply"), flag("yes")] },
    Table { command: "net-create", opts: &[data("file"), flag("validate"), flag("no-validate")] },
    Table { command: "net-start", opts: &[NETWORK] },
    Table { command: "net-destroy", opts: &[NETWORK] },
    Table { command: "net-undefine", opts: &[NETWORK] },
    Table { command: "net-autostart", opts: &[NETWORK, flag("disable")] },
    Table { command: "net-edit", opts: &[NETWORK, flag("apply"), flag("yes")] },
    Table {
        command: "net-update",
        opts: &[NETWORK, data("command"), data("section"), data("xml"), int("parent-index"), AFFECT_NET[0], AFFECT_NET[1], AFFECT_NET[2]],
    },
    Table { command: "net-dhcp-leases", opts: &[NETWORK, string("mac")] },
    Table { command: "domiflist", opts: &[DOMAIN, flag("inactive")] },
    Table { command: "domifaddr", opts: &[DOMAIN, string("interface"), flag("full"), string("source")] },
    Table {
        command: "attach-interface",
        opts: &[
            DOMAIN,
            data("type"),
            data("source"),
            string("target"),
            string("mac"),
            string("script"),
            string("model"),
            string("alias"),
            string("inbound"),
            string("outbound"),
            flag("persistent"),
            flag("config"),
            flag("live"),
            flag("current"),
            flag("print-xml"),
            flag("managed"),
            string("source-mode"),
        ],
    },
    Table {
        command: "detach-interface",
        opts: &[DOMAIN, data("type"), string("mac"), flag("persistent"), flag("config"), flag("live"), flag("current"), flag("print-xml")],
    },
    Table {
        command: "list",
        opts: &[
            flag("inactive"),
            flag("all"),
            flag("transient"),
            flag("persistent"),
            flag("with-snapshot"),
            flag("without-snapshot"),
            flag("with-checkpoint"),
            flag("without-checkpoint"),
            flag("state-running"),
            flag("state-paused"),
            flag("state-shutoff"),
            flag("state-other"),
            flag("autostart"),
            flag("no-autostart"),
            flag("with-managed-save"),
            flag("without-managed-save"),
            flag("uuid"),
            flag("name"),
            flag("id"),
            flag("table"),
            flag("managed-save"),
            flag("title"),
        ],
    },
];

pub fn table(command: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.command == command)
}

/// knet's global options, accepted after the command word as clap allows
/// (virsh takes its own before the command only); `true`: takes a value.
const GLOBALS: &[(&str, bool)] = &[
    ("-c", true),
    ("--connect", true),
    ("--hosts", true),
    ("--jobs", true),
    ("--timeout", true),
    ("-r", false),
    ("--readonly", false),
    ("-q", false),
    ("--quiet", false),
    ("--json", false),
];

/// What [`normalize`] made of a command's words.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Not a shared command, or a request for help: clap's to parse as typed.
    AsTyped,
    /// The canonical words, starting with the command word.
    Words(Vec<String>),
}

/// Parse `words` (the command word first) as virsh would. `Err`: virsh's
/// error lines (without `error: `), in virsh's order; the command must not
/// run (virsh exits before running anything).
pub fn normalize(words: &[String]) -> Result<Parsed, Vec<String>> {
    let Some(t) = words.first().and_then(|w| crate::commands::spec(w)).and_then(|s| s.virsh_options()) else {
        return Ok(Parsed::AsTyped);
    };
    // knet's help (which says knet) rather than virsh's; virsh also treats
    // --help anywhere as a request for help
    if words[1..].iter().take_while(|w| *w != "--").any(|w| w == "--help" || w == "-h") {
        return Ok(Parsed::AsTyped);
    }
    let mut globals: Vec<String> = Vec::new();
    let mut values: Vec<Option<String>> = vec![None; t.opts.len()];
    let mut seen = vec![false; t.opts.len()];
    // positions still open, in table order (virsh's opts_need_arg)
    let mut open: Vec<usize> = (0..t.opts.len()).filter(|&i| matches!(t.opts[i].kind, Kind::Str | Kind::Int)).collect();
    let mut data_only = false;
    let mut rest = words[1..].iter();
    while let Some(w) = rest.next() {
        let b = w.as_bytes();
        if !data_only && b.len() > 2 && b.starts_with(b"--") && b[2].is_ascii_alphanumeric() {
            let (name, inline) = match w[2..].split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (&w[2..], None),
            };
            let Some(i) = t.opts.iter().position(|o| o.name == name) else {
                if let Some(&(g, takes)) = GLOBALS.iter().find(|(g, _)| &g[2..] == name && g.starts_with("--")) {
                    globals.push(g.to_string());
                    if takes {
                        match inline.or_else(|| rest.next().cloned()) {
                            Some(v) => globals.push(v),
                            None => return Err(vec![format!("expected syntax: {g} <string>")]),
                        }
                    } else if inline.is_some() {
                        return Err(vec![format!("invalid '=' after option {g}")]);
                    }
                    continue;
                }
                return Err(vec![format!("command '{}' doesn't support option --{name}", t.command)]);
            };
            let o = &t.opts[i];
            if seen[i] {
                return Err(vec![format!("option --{name} already seen")]);
            }
            seen[i] = true;
            if o.kind == Kind::Bool {
                if inline.is_some() {
                    return Err(vec![format!("invalid '=' after option --{name}")]);
                }
                values[i] = Some(String::new());
            } else {
                let Some(v) = inline.or_else(|| rest.next().cloned()) else {
                    let what = if o.kind == Kind::Int { "number" } else { "string" };
                    return Err(vec![format!("expected syntax: --{name} <{what}>")]);
                };
                values[i] = Some(v);
                open.retain(|&j| j != i);
            }
        } else if !data_only && w == "--" {
            data_only = true;
        } else if !data_only && GLOBALS.iter().any(|(g, _)| g == w && !g.starts_with("--")) {
            // -c URI, -r, -q: knet's, as anywhere on knet's command line
            globals.push(w.clone());
            if GLOBALS.iter().any(|(g, takes)| g == w && *takes) {
                match rest.next() {
                    Some(v) => globals.push(v.clone()),
                    None => return Err(vec![format!("expected syntax: {w} <string>")]),
                }
            }
        } else {
            if open.is_empty() {
                return Err(vec![format!("unexpected data '{w}'")]);
            }
            let i = open.remove(0);
            seen[i] = true;
            values[i] = Some(w.clone());
        }
    }
    let missing: Vec<String> = t
        .opts
        .iter()
        .zip(&seen)
        .filter(|(o, s)| o.required && !**s)
        .map(|(o, _)| match o.kind {
            Kind::Str | Kind::Int if o.clap_positional => format!("command '{}' requires <{}> option", t.command, o.name),
            _ => format!("command '{}' requires --{} option", t.command, o.name),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut out = vec![t.command.to_string()];
    out.extend(globals);
    let mut positional = Vec::new();
    for (o, v) in t.opts.iter().zip(values) {
        let Some(v) = v else { continue };
        match o.kind {
            Kind::Bool => out.push(format!("--{}", o.name)),
            _ if o.clap_positional => positional.push(v),
            _ => out.push(format!("--{}={v}", o.name)),
        }
    }
    out.push("--".to_string());
    out.extend(positional);
    Ok(Parsed::Words(out))
}

/// A whole command line (`args[0]` the program) with its shared command, if
/// any, in [`normalize`]'s canonical form. `Err`: virsh's errors were
/// printed; the exit code.
pub fn rewrite(args: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>, i32> {
    let Some(strs) = args.iter().map(|a| a.to_str().map(str::to_string)).collect::<Option<Vec<String>>>() else {
        return Ok(args);
    };
    let Some(i) = command_index(&strs) else { return Ok(args) };
    match normalize(&strs[i..]) {
        Ok(Parsed::AsTyped) => Ok(args),
        Ok(Parsed::Words(w)) => Ok(strs[..i].iter().cloned().chain(w).map(Into::into).collect()),
        Err(lines) => Err(report(&lines)),
    }
}

/// Print virsh's error lines; the exit code (a usage error).
pub fn report(lines: &[String]) -> i32 {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    for l in lines {
        let _ = writeln!(err, "error: {l}");
    }
    crate::exit::USAGE
}

/// Report a clap error: an unknown command in virsh's words (one line, as
/// virsh prints it), anything else as clap words it; the exit code.
pub fn clap_error(e: &clap::Error) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::InvalidSubcommand {
        if let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) {
            return report(&[format!("unknown command: '{word}'")]);
        }
    }
    let _ = e.print();
    e.exit_code()
}

/// The command word of a knet command line (`args[0]` is the program): the
/// first word that is not a global option or a global option's value; the
/// word after a `--`. Needs no clap tree (the light binary's fast paths use
/// it too).
pub fn command_index<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_ref().to_str()?;
        if GLOBALS.iter().any(|(g, takes)| *takes && g == &a) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            return Some(i);
        }
        if a == "--" {
            return (i + 1 < args.len()).then_some(i + 1);
        }
        i += 1;
    }
    None
}

// ---------------------------------------------------------------------------
// Values as virsh reads them inside a command: these errors come from the
// command's body, so they exit 1 and stdout gets virsh's lone newline.

/// virsh's `vshCommandOptStringReq`: a given option must not be empty.
pub fn non_empty<'v>(name: &str, value: Option<&'v str>) -> anyhow::Result<Option<&'v str>> {
    match value {
        Some("") => Err(anyhow::anyhow!("Failed to get option '{name}': Option argument is empty")),
        v => Ok(v),
    }
}

/// libvirt's `virStrToLong_i` (base 10): optional leading blanks and sign,
/// digits to the end, within `i32`.
pub fn str_to_i32(s: &str) -> Option<i32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    i32::try_from(if neg { -v } else { v }).ok()
}

/// libvirt's `virStrToLong_ullp`: as [`str_to_i32`], unsigned, no minus.
pub fn str_to_u64(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// virsh's `vshCommandOptInt` on a given value.
pub fn int_option(name: &str, value: &str) -> anyhow::Result<i32> {
    str_to_i32(value).ok_or_else(|| anyhow::anyhow!("Numeric value '{value}' for <{name}> option is malformed or out of range"))
}

/// virsh's `VSH_EXCLUSIVE_OPTIONS`: checked in the order given.
pub fn exclusive(pairs: &[(&str, bool, &str, bool)]) -> anyhow::Result<()> {
    for (a, sa, b, sb) in pairs {
        if *sa && *sb {
            anyhow::bail!("Options --{a} and --{b} are mutually exclusive");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }
    fn norm(s: &str) -> Result<String, Vec<String>> {
        match normalize(&words(s))? {
            Parsed::Words(w) => Ok(w.join(" ")),
            Parsed::AsTyped => Ok("as typed".into()),
        }
    }

    #[test]
    fn named_and_positional_forms_meet() {
        assert_eq!(norm("net-info --network default").unwrap(), "net-info -- default");
        assert_eq!(norm("net-info --network=default").unwrap(), "net-info -- default");
        assert_eq!(norm("net-dhcp-leases default 52:54:00:00:00:01").unwrap(), "net-dhcp-leases --mac=52:54:00:00:00:01 -- default");
        assert_eq!(norm("net-update --xml X --network n add --section s").unwrap(), "net-update -- n add s X");
        assert_eq!(norm("net-update n add s X 0 --live").unwrap(), "net-update --parent-index=0 --live -- n add s X");
        assert_eq!(norm("attach-interface --type network g1 --source default vnet7").unwrap(), "attach-interface --target=vnet7 -- g1 network default");
        // idempotent: the canonical form parses to itself
        let once = norm("net-update n add s X 0 --live").unwrap();
        assert_eq!(norm(&once).unwrap(), once);
        assert_eq!(norm("net-dumpxml default --xpath //ip --wrap").unwrap(), "net-dumpxml --xpath=//ip --wrap -- default");
        assert_eq!(norm("net-info -q default").unwrap(), "net-info -q -- default");
    }

    #[test]
    fn errors_are_virshs() {
        assert_eq!(norm("net-list --bogus").unwrap_err(), ["command 'net-list' doesn't support option --bogus"]);
        assert_eq!(norm("net-info").unwrap_err(), ["command 'net-info' requires <network> option"]);
        assert_eq!(norm("net-dumpxml default --xpath").unwrap_err(), ["expected syntax: --xpath <string>"]);
        assert_eq!(norm("net-update n a s x --parent-index").unwrap_err(), ["expected syntax: --parent-index <number>"]);
        assert_eq!(norm("net-list --all=1").unwrap_err(), ["invalid '=' after option --all"]);
        assert_eq!(norm("net-info default extra").unwrap_err(), ["unexpected data 'extra'"]);
        assert_eq!(norm("net-info default --network x").unwrap_err(), ["option --network already seen"]);
        assert_eq!(norm("net-info --network x default").unwrap_err(), ["unexpected data 'default'"]);
        // a named-only option is never filled by position
        assert_eq!(norm("net-dumpxml default //ip").unwrap_err(), ["unexpected data '//ip'"]);
        assert_eq!(norm("net-update").unwrap_err().len(), 4);
    }

    #[test]
    fn help_and_other_commands_go_to_clap() {
        assert_eq!(norm("net-info --help").unwrap(), "as typed");
        assert_eq!(norm("validate x.xml").unwrap(), "as typed");
        // after `--`, --help is a value
        assert_eq!(norm("net-info -- --help").unwrap(), "net-info -- --help");
    }

    #[test]
    fn every_table_is_well_formed() {
        for t in TABLES {
            // clap's positionals are a prefix of virsh's positions, so the
            // canonical form puts them back in the same slots
            let pos: Vec<bool> = t.opts.iter().filter(|o| matches!(o.kind, Kind::Str | Kind::Int)).map(|o| o.clap_positional).collect();
            assert!(pos.windows(2).all(|w| w[0] || !w[1]), "{}", t.command);
            assert!(crate::commands::spec(t.command).is_some_and(|s| s.virsh), "{}", t.command);
        }
        // every command that owes virsh's output has virsh's grammar
        assert_eq!(TABLES.len(), crate::commands::SPECS.iter().filter(|s| s.virsh).count());
    }
}
