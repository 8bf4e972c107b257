//! Completion: the candidate providers commands attach to their arguments,
//! and the one engine behind bash, zsh, fish and the interactive shell.
//!
//! The engine is clap_complete's dynamic one (`CompleteEnv`): the shell
//! scripts in completions/ call `COMPLETE=<shell> knet -- WORDS...` and the
//! light `knet` binary answers from the clap tree, so subcommands and flags
//! complete without loading libvirt, and every new command or flag completes
//! the day it is declared.
//!
//! Live names (networks, guests, MACs) need libvirt. In the shells they come
//! from a child `knet-libvirt ... complete-names ...` run with a deadline
//! ([`timeout`], 1 s by default): an unreachable libvirt costs the user one
//! second and no candidates, never a hung prompt, and the child's stderr goes
//! to /dev/null so libvirt never prints into the user's terminal. Inside the
//! interactive shell they come from the session's open connection instead
//! ([`with_live_conn`]), so they reflect what the session itself changed.
//!
//! Attaching a provider where an argument is declared (cargo's style):
//!
//! ```ignore
//! use clap_complete::engine::ArgValueCandidates;
//! use crate::complete::{self, State};
//!
//! /// Network name or UUID
//! #[arg(add = ArgValueCandidates::new(complete::networks(State::Inactive)))]
//! pub network: String,
//! ```
//!
//! Providers: [`networks`] and [`domains`] by [`State`]; [`macs`] (of the
//! guest(s) given as the argument with id `domain` or `domains` earlier on
//! the line, else of the guests on the `network` argument's network, else of
//! every guest); [`bridges`] and [`uplinks`] (the host's, from
//! /sys/class/net); [`networks_and_domains`];
//! [`iface_sources`] (networks or bridges by the `kind` argument);
//! [`update_commands`] and [`update_sections`] (`net-update`); [`uris`]
//! (recently used `--connect` URIs). A provider never fails: no libvirt, no
//! file, no candidates. File arguments need no provider: give them
//! `value_hint = clap::ValueHint::FilePath`.
//!
//! Never call `ctx.conn()` here outside [`names`] (the `complete-names`
//! command): static completion must stay in the light binary.

use std::cell::Cell;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory};
use clap_complete::engine::CompletionCandidate;

use crate::cli::Cli;
use crate::libvirt::Conn;

/// Which objects a name provider offers, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum State {
    All,
    Active,
    Inactive,
}

impl State {
    /// The state filter libvirt applies itself (one RPC for the names).
    fn active(self) -> Option<bool> {
        match self {
            State::All => None,
            State::Active => Some(true),
            State::Inactive => Some(false),
        }
    }
}

/// A candidate provider, as `ArgValueCandidates::new` takes it.
pub type Provider = fn() -> Vec<CompletionCandidate>;

/// Network names in `state` (net-start: inactive; net-destroy: active).
pub fn networks(state: State) -> Provider {
    match state {
        State::All => || live(&Query::Networks(State::All)),
        State::Active => || live(&Query::Networks(State::Active)),
        State::Inactive => || live(&Query::Networks(State::Inactive)),
    }
}

/// Domain (guest) names in `state`.
pub fn domains(state: State) -> Provider {
    match state {
        State::All => || live(&Query::Domains(State::All)),
        State::Active => || live(&Query::Domains(State::Active)),
        State::Inactive => || live(&Query::Domains(State::Inactive)),
    }
}

/// MAC addresses of guest NICs: of the guest(s) named by the `domain` (or
/// `domains`) argument earlier on the line; without one, of the guests on
/// the `network` argument's network; without either, of every guest.
pub fn macs() -> Provider {
    || {
        let (domains, network) = match line_matches() {
            Some(m) => {
                let mut d = sub_values(&m, "domain");
                d.extend(sub_values(&m, "domains"));
                (d, sub_values(&m, "network").pop())
            }
            None => (Vec::new(), None),
        };
        live(&Query::Macs { domains, network })
    }
}

/// The source of a new guest NIC (`attach-interface DOM TYPE SOURCE`):
/// networks when TYPE (argument id `kind`) is `network`, the host's bridges
/// when it is `bridge`, nothing otherwise.
pub fn iface_sources() -> Provider {
    || match line_matches().and_then(|m| sub_values(&m, "kind").pop()).as_deref() {
        Some("network") => live(&Query::Networks(State::All)),
        Some("bridge") => bridges()(),
        _ => Vec::new(),
    }
}

/// The host's bridges: every /sys/class/net/NAME with a `bridge` directory.
/// Read from sysfs, so it needs no libvirt (and describes this host even
/// when `-c` points elsewhere).
pub fn bridges() -> Provider {
    || {
        let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("bridge").is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names.into_iter().map(CompletionCandidate::new).collect()
    }
}

/// NICs that can become a bridge's port (`bridge-config --uplink`): the
/// host's interfaces that are not bridges, not loopback and not a guest's
/// tap (vnet*, tap*, macvtap*), from /sys/class/net.
pub fn uplinks() -> Provider {
    || {
        let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| !e.path().join("bridge").is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n != "lo" && !["vnet", "tap", "macvtap"].iter().any(|p| n.starts_with(p)))
            .collect();
        names.sort();
        names.into_iter().map(CompletionCandidate::new).collect()
    }
}

/// Networks and guests together, for commands that take either (`doctor`).
pub fn networks_and_domains() -> Provider {
    || {
        let mut v = live(&Query::Networks(State::All));
        v.extend(live(&Query::Domains(State::All)));
        v
    }
}

/// `net-update` commands (virsh's order, tools/virsh-network.c).
pub const UPDATE_COMMANDS: &[&str] = &["add", "add-first", "add-last", "delete", "modify"];

pub fn update_commands() -> Provider {
    || UPDATE_COMMANDS.iter().map(|s| CompletionCandidate::new(*s)).collect()
}

pub fn update_sections() -> Provider {
    || crate::libvirt::UPDATE_SECTIONS.iter().map(|s| CompletionCandidate::new(*s)).collect()
}

/// Recently connected URIs (most recent first), then libvirt's usual ones.
pub fn uris() -> Provider {
    || {
        let mut all = crate::state::recent_uris();
        for u in ["qemu:///system", "qemu:///session", "test:///default"] {
            if !all.iter().any(|a| a == u) {
                all.push(u.to_string());
            }
        }
        all.into_iter().enumerate().map(|(i, u)| CompletionCandidate::new(u).display_order(Some(i))).collect()
    }
}

// ---------------------------------------------------------------------------
// The line being completed.

/// Words of the command line being completed, program name first, WITHOUT
/// the word under the cursor. Set by [`env_complete`] and by the interactive
/// shell before they call the engine; read by providers that depend on
/// earlier words (`-c URI`, the guest name).
static LINE: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn set_line(words: Vec<String>) {
    *LINE.lock().unwrap_or_else(|e| e.into_inner()) = words;
}

/// The line parsed with the same clap tree, errors ignored (it is half typed).
fn line_matches() -> Option<ArgMatches> {
    let words = LINE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if words.is_empty() {
        return None;
    }
    Cli::command().ignore_errors(true).try_get_matches_from(words).ok()
}

/// The string value(s) of an argument of the subcommand on the line, by id
/// (none when the command has no such argument or it is not a string).
fn sub_values(m: &ArgMatches, id: &str) -> Vec<String> {
    let Some((_, sub)) = m.subcommand() else { return Vec::new() };
    match sub.try_get_many::<String>(id) {
        Ok(Some(v)) => v.cloned().collect(),
        _ => Vec::new(),
    }
}

/// `-c URI` and `-r` as given on the line (global: before or after the command).
fn line_connection() -> (Option<String>, bool) {
    let Some(m) = line_matches() else { return (None, false) };
    let mut uri = None;
    let mut ro = false;
    for mm in std::iter::once(&m).chain(m.subcommand().map(|(_, s)| s)) {
        if uri.is_none() {
            uri = mm.try_get_many::<String>("connect").ok().flatten().and_then(|mut v| v.next().cloned());
        }
        ro |= mm.try_get_one::<bool>("readonly").ok().flatten().copied().unwrap_or(false);
    }
    (uri, ro)
}

/// Handle a `COMPLETE=<shell>` request (the protocol of the scripts in
/// completions/) and exit; return when this is a normal run.
///
/// Must run before anything is printed. clap_complete removes `COMPLETE`
/// from the environment, so the `knet-libvirt` children started for live
/// names run as plain commands.
pub fn env_complete() {
    let Some(shell) = std::env::var_os("COMPLETE") else { return };
    if shell.is_empty() || shell == "0" {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(dash) = args.iter().position(|a| a == "--") {
        let mut words = args[dash + 1..].to_vec();
        // bash and zsh say which word is under the cursor; fish always completes the last
        let at = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse().ok()).unwrap_or(words.len().saturating_sub(1));
        words.truncate(at);
        set_line(words);
    }
    let shells: [&dyn clap_complete::env::EnvCompleter; 3] = [&Shell::Bash, &Shell::Zsh, &Shell::Fish];
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .completer("knet")
        .shells(clap_complete::env::Shells(&shells))
        .complete();
}

/// The engine's candidates for `args[index]`, as knet offers them: hidden
/// ones dropped, and options only when the word starts with `-` or nothing
/// else fits, so `net-start <TAB>` offers networks, not `--connect`.
pub fn candidates(cmd: &mut clap::Command, args: Vec<std::ffi::OsString>, index: usize) -> Vec<CompletionCandidate> {
    let current = args.get(index).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    let cwd = std::env::current_dir().ok();
    let mut c: Vec<CompletionCandidate> =
        clap_complete::engine::complete(cmd, args, index, cwd.as_deref()).unwrap_or_default().into_iter().filter(|c| !c.is_hide_set()).collect();
    let is_flag = |c: &CompletionCandidate| c.get_value().to_string_lossy().starts_with('-');
    if !current.starts_with('-') && c.iter().any(|x| !is_flag(x)) {
        c.retain(|x| !is_flag(x));
    }
    c
}

/// The registration scripts completions/ holds: (file name as each shell's
/// completion directory expects it, script).
pub fn registrations() -> Vec<(&'static str, String)> {
    [("knet.bash", Shell::Bash), ("_knet", Shell::Zsh), ("knet.fish", Shell::Fish)]
        .into_iter()
        .map(|(file, sh)| {
            let mut v = Vec::new();
            let _ = clap_complete::env::EnvCompleter::write_registration(&sh, "COMPLETE", "knet", "knet", "knet", &mut v);
            (file, String::from_utf8_lossy(&v).into_owned())
        })
        .collect()
}

/// bash splits the line into COMP_WORDS at every COMP_WORDBREAKS character,
/// `:` and `=` included, so clap's script would hand knet `test` `:`
/// `///default` for a URI and `52` `:` `54` ... for a MAC. This one re-splits
/// the line up to the cursor on blanks only, so `-c URI` and MACs reach knet
/// whole, then strips from each candidate the part of the word bash does not
/// replace (up to its last wordbreak), as bash-completion's
/// __ltrim_colon_completions does. Protocol otherwise clap_complete's.
const BASH_REGISTRATION: &str = r#"
_knet() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    IFS=$' \t\n' read -r -a words <<< "$line"
    [[ -z $line || $line == *[[:blank:]] ]] && words+=("")
    local cur=${words[${#words[@]}-1]}
    local IFS=$'\013'
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX=$(( ${#words[@]} - 1 )) \
        VAR="bash" \
        COMPLETER -- "${words[@]}" 2>/dev/null \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
        return
    fi
    local i prefix=
    for (( i = ${#cur} - 1; i >= 0; i-- )); do
        if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]]; then
            prefix=${cur:0:i+1}
            break
        fi
    done
    [[ -n $prefix ]] && COMPREPLY=( "${COMPREPLY[@]#"$prefix"}" )
    # a value ending in = or / goes on being typed: no space after it
    [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *[=/] ]] && compopt -o nospace
}
complete -o bashdefault -o nosort -F _knet BIN
"#;

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=+@%,".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// clap's zsh registration is made to be sourced; installed in `$fpath` it
/// is autoloaded as `_knet` on the first Tab, which would only register the
/// completer and offer nothing. Completing at once when autoloaded (zsh's own
/// `$funcstack` idiom, as clap's static zsh scripts do) makes the first Tab work.
fn zsh_autoloadable(script: &str) -> String {
    let reg = "compdef _clap_dynamic_completer_knet knet";
    let idiom = "if [ \"$funcstack[1]\" = \"_knet\" ]; then\n    _clap_dynamic_completer_knet \"$@\"\nelse\n    compdef _clap_dynamic_completer_knet knet\nfi";
    script.replacen(reg, idiom, 1)
}

/// bash, zsh and fish as clap_complete speaks to them (same registration
/// scripts, same answer formats, clap_complete/src/env/shells.rs), with
/// knet's [`candidates`] in between.
#[derive(Clone, Copy)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn clap(self) -> &'static dyn clap_complete::env::EnvCompleter {
        match self {
            Shell::Bash => &clap_complete::env::Bash,
            Shell::Zsh => &clap_complete::env::Zsh,
            Shell::Fish => &clap_complete::env::Fish,
        }
    }
}

impl clap_complete::env::EnvCompleter for Shell {
    fn name(&self) -> &'static str {
        self.clap().name()
    }
    fn is(&self, name: &str) -> bool {
        self.clap().is(name)
    }
    fn write_registration(&self, var: &str, name: &str, bin: &str, completer: &str, buf: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            Shell::Bash => {
                let completer = shell_quote(completer);
                let script = BASH_REGISTRATION.replace("VAR", var).replace("COMPLETER", &completer).replace("BIN", &shell_quote(bin));
                buf.write_all(script.as_bytes())
            }
            Shell::Zsh => {
                let mut v = Vec::new();
                self.clap().write_registration(var, name, bin, completer, &mut v)?;
                buf.write_all(zsh_autoloadable(&String::from_utf8_lossy(&v)).as_bytes())
            }
            Shell::Fish => self.clap().write_registration(var, name, bin, completer, buf),
        }
    }
    fn write_complete(&self, cmd: &mut clap::Command, mut args: Vec<std::ffi::OsString>, _: Option<&std::path::Path>, buf: &mut dyn std::io::Write) -> std::io::Result<()> {
        let env_index = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse::<usize>().ok()).unwrap_or_default();
        let ifs = std::env::var("_CLAP_IFS").ok();
        let index = match self {
            Shell::Bash => env_index,
            Shell::Zsh => {
                if args.len() == env_index {
                    args.push("".into());
                }
                env_index
            }
            Shell::Fish => args.len().saturating_sub(1),
        };
        let first_line = |c: &CompletionCandidate| c.get_help().map(|h| h.to_string().lines().next().unwrap_or_default().to_string());
        for (i, c) in candidates(cmd, args, index).iter().enumerate() {
            let v = c.get_value().to_string_lossy();
            match self {
                Shell::Bash => {
                    if i > 0 {
                        write!(buf, "{}", ifs.as_deref().unwrap_or("\n"))?;
                    }
                    write!(buf, "{v}")?;
                }
                Shell::Zsh => {
                    if i > 0 {
                        write!(buf, "{}", ifs.as_deref().unwrap_or("\n"))?;
                    }
                    write!(buf, "{}", v.replace('\\', "\\\\").replace(':', "\\:"))?;
                    if let Some(h) = first_line(c) {
                        write!(buf, ":{}", h.replace('\\', "\\\\"))?;
                    }
                }
                Shell::Fish => {
                    write!(buf, "{v}")?;
                    if let Some(h) = first_line(c) {
                        write!(buf, "\t{h}")?;
                    }
                    writeln!(buf)?;
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Live names.

/// What a live provider asks libvirt; also the arguments of the hidden
/// `complete-names` command that answers it in a child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Networks(State),
    Domains(State),
    Macs { domains: Vec<String>, network: Option<String> },
}

impl Query {
    fn to_args(&self) -> Vec<String> {
        let state = |s: &State| format!("--state={}", clap::ValueEnum::to_possible_value(s).unwrap().get_name());
        match self {
            Query::Networks(s) => vec!["networks".into(), state(s)],
            Query::Domains(s) => vec!["domains".into(), state(s)],
            Query::Macs { domains, network } => {
                let mut v = vec!["macs".to_string()];
                v.extend(domains.iter().map(|d| format!("--domain={d}")));
                v.extend(network.iter().map(|n| format!("--network={n}")));
                v
            }
        }
    }
}

thread_local! {
    /// The interactive shell's connection while it reads a line (see [`with_live_conn`]).
    static LIVE: Cell<Option<&'static dyn Conn>> = const { Cell::new(None) };
}

/// Run `f` (the shell's line editor) with live names answered from `conn`
/// instead of a child process.
pub fn with_live_conn<R>(conn: &dyn Conn, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<&'static dyn Conn>);
    impl Drop for Reset {
        fn drop(&mut self) {
            LIVE.with(|l| l.set(self.0));
        }
    }
    // SAFETY: the 'static reference never outlives this call: `Reset` puts the
    // previous value back when `f` returns or unwinds, and LIVE is read only
    // by providers running synchronously inside `f` on this thread.
    let conn: &'static dyn Conn = unsafe { std::mem::transmute::<&dyn Conn, &'static dyn Conn>(conn) };
    let _reset = Reset(LIVE.with(|l| l.replace(Some(conn))));
    f()
}

fn live(q: &Query) -> Vec<CompletionCandidate> {
    // a line with its own -c asks that libvirt, not the shell's
    let pairs = match LIVE.with(|l| l.get()) {
        Some(conn) if line_connection().0.is_none() => answer(conn, q),
        _ => ask_child(q),
    };
    pairs.into_iter().map(|(v, h)| CompletionCandidate::new(v).help(h.map(Into::into))).collect()
}

/// How long the shells wait for live names: `$KNET_COMPLETE_TIMEOUT_MS`, else 1 s.
pub fn timeout() -> Duration {
    let ms = std::env::var("KNET_COMPLETE_TIMEOUT_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    Duration::from_millis(ms)
}

/// Run `knet-libvirt [-c URI] [-r] complete-names QUERY` and read its
/// `value<TAB>help` lines, giving up (and killing it) after [`timeout`].
fn ask_child(q: &Query) -> Vec<(String, Option<String>)> {
    let Ok(bin) = crate::libvirt_binary() else { return Vec::new() };
    let (uri, ro) = line_connection();
    let mut cmd = std::process::Command::new(bin);
    if let Some(u) = uri {
        cmd.arg(format!("--connect={u}"));
    }
    if ro {
        cmd.arg("--readonly");
    }
    cmd.arg("complete-names").args(q.to_args());
    cmd.env_remove("COMPLETE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let Ok(mut child) = cmd.spawn() else { return Vec::new() };
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let out = rx.recv_timeout(timeout());
    if out.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    match out {
        Ok(s) if !s.is_empty() => parse_lines(&s),
        _ => Vec::new(),
    }
}

fn parse_lines(s: &str) -> Vec<(String, Option<String>)> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('\t') {
            Some((v, h)) => (v.to_string(), Some(h.to_string())),
            None => (l.to_string(), None),
        })
        .collect()
}

/// Answer a query from an open connection. Errors mean no candidates.
pub fn answer(conn: &dyn Conn, q: &Query) -> Vec<(String, Option<String>)> {
    let mut out = match q {
        Query::Networks(s) => conn.network_names(s.active()).unwrap_or_default().into_iter().map(|n| (n, None)).collect(),
        Query::Domains(s) => conn.domain_names(s.active()).unwrap_or_default().into_iter().map(|d| (d, None)).collect(),
        Query::Macs { domains, network } => {
            let named = !domains.is_empty();
            let doms = if named { domains.clone() } else { conn.domain_names(None).unwrap_or_default() };
            let mut v = Vec::new();
            for d in doms {
                let Ok(xml) = conn.domain_xml(&d, false) else { continue };
                for (mac, net) in domain_macs(&xml) {
                    if !named && network.is_some() && net.as_deref() != network.as_deref() {
                        continue;
                    }
                    v.push((mac, Some(d.clone())));
                }
            }
            v
        }
    };
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// `(mac, network)` of every `<interface>` in a domain's XML.
fn domain_macs(xml: &str) -> Vec<(String, Option<String>)> {
    crate::xml::facts::nics(xml).into_iter().filter_map(|n| Some((n.mac?, n.network))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_of_each_interface_with_their_network() {
        let xml = "<domain><devices><interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>\
                   <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/></interface></devices></domain>";
        assert_eq!(
            domain_macs(xml),
            vec![("52:54:00:00:00:01".to_string(), Some("default".to_string())), ("52:54:00:00:00:02".to_string(), None)]
        );
    }

    #[test]
    fn line_context_finds_connect_anywhere() {
        set_line(vec!["knet".into(), "net-list".into(), "-c".into(), "test:///default".into(), "-r".into()]);
        assert_eq!(line_connection(), (Some("test:///default".to_string()), true));
        set_line(vec!["knet".into(), "--connect=qemu:///system".into(), "net-list".into()]);
        assert_eq!(line_connection(), (Some("qemu:///system".to_string()), false));
        set_line(Vec::new());
    }
}
