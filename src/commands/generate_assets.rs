//! `knet generate-assets [DIR]`: writes DIR/completions/ (bash, zsh, fish)
//! and DIR/man/ (knet.1 and one page per command) from the clap tree.
//!
//! This is the one command that makes them (`cargo run -- generate-assets`
//! from the repository root); tests/test_shell.rs regenerates into a
//! temporary directory and fails when the checked-in files differ. Never
//! edit the generated files by hand: change the `///` docs of a command's
//! `Args`, or [`EXAMPLES`], and regenerate.
//!
//! The completion files are registrations of clap_complete's dynamic engine:
//! they call `knet` at completion time, so they stay right as commands are
//! added; only the engine's protocol is frozen in them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};


#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write completions/ and man/ into
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Examples for the man pages, from real sessions: (command, what it does,
/// command line). A command's page shows its own; knet(1) shows them all.
/// tests/test_shell.rs parses every line with knet's clap tree, so an
/// example cannot silently rot when a flag changes.
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    ("net-list", "Every network, active or not:", "knet net-list --all"),
    ("net-list", "Names of the inactive networks, for a script:", "knet -q net-list --inactive --name"),
    ("net-start", "Start the default network (after a host reboot without autostart):", "knet net-start default"),
    ("net-destroy", "Stop a network; its guests lose connectivity until it is started again:", "knet net-destroy isolated"),
    (
        "net-dhcp-host",
        "Give a guest a fixed address on the default network (a static DHCP host):",
        "knet net-dhcp-host default add --mac 52:54:00:6b:3c:58 --ip 192.168.122.45",
    ),
    ("domiflist", "A guest's NICs, as virsh shows them:", "knet domiflist vm1"),
    (
        "domif-convert",
        "Move a guest from the NAT network to the host bridge br0, live and in its config, without asking:",
        "knet domif-convert vm1 --to-bridge br0 --live --yes",
    ),
    ("validate", "Check a network definition before defining it:", "knet validate net.xml"),
    ("validate", "Check a guest NIC snippet from standard input (virt-xml-validate cannot check a lone <interface>):", "knet validate --kind interface -"),
    ("validate", "Every diagnostic as one JSON object per file, for an editor or CI:", "knet --json validate /etc/libvirt/qemu/networks/*.xml"),
    ("validate", "Check for the libvirt release a host runs (constructs newer than it are refused, naming the release that added them):", "knet validate --libvirt-version 9.0 net.xml"),
    ("mac-gen", "Three fresh MACs for new guest NICs:", "knet mac-gen --count 3"),
    ("net-new", "A NAT network on a free subnet and bridge, started now and at every boot:", "knet net-new lab --nat --autostart --start"),
    ("bridge-config", "Netplan config making enp1s0 the port of br0 (the bridge keeps the host's DHCP address):", "knet bridge-config --uplink enp1s0 --bridge br0 --format netplan"),
    ("doctor", "Only the problems of the default network and its guests:", "knet -q doctor default"),
    ("port-forward", "Reach a NAT guest's web server on the host's port 8080:", "knet port-forward web1 --host-port 8080 --guest-port 80"),
    ("shell", "Open the interactive terminal on the system hypervisor:", "knet -c qemu:///system"),
    (
        "shell",
        "Several commands on one connection (the test driver's state lasts one connection):",
        "knet -c test:///default \"net-destroy default; net-list --all\"",
    ),
];

/// Text of a man page section in roff: escapes what roff would interpret.
fn roff(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let esc = line.replace('\\', "\\e").replace('-', "\\-");
        if esc.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&esc);
        out.push('\n');
    }
    out
}

fn examples_section(cmds: &[&str]) -> String {
    let mut s = String::new();
    for (_, what, line) in EXAMPLES.iter().filter(|(c, _, _)| cmds.contains(c)) {
        if s.is_empty() {
            s.push_str(".SH EXAMPLES\n");
        }
        let _ = write!(s, ".PP\n{}.PP\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n", roff(what), roff(line).trim_end());
    }
    s
}

const TOP_SECTIONS: &str = r#".SH INTERACTIVE SHELL
Without a command, or with
.BR shell ,
knet opens an interactive terminal on one connection: prompt
.B knet #
(\fBknet >\fR when read\-only), line editing, history, and tab completion of
commands, options and live names. Every command is available with the same
options; \fBconnect\fR \fIURI\fR switches connection, \fBhelp\fR lists the
commands, \fBquit\fR, \fBexit\fR or Ctrl\-D leave. Ctrl\-C drops the line
being typed, or stops a running bulk command between two objects. Words are
split as virsh splits them (quotes, backslash), and \fB;\fR separates commands.
.PP
When standard input is not a terminal, knet reads commands from it one line
at a time, with no banner and no prompt. A single last argument holding
blanks or \fB;\fR is a command sequence, as in virsh; every command is parsed
before the first runs. The exit status is the last command's.
.PP
When the daemon restarts between two commands, the next command reconnects
by itself (\fBerror: Reconnected to the hypervisor\fR, as in virsh).
.SH DEADLINES
Every connection has a deadline, \fB\-\-timeout\fR \fISECONDS\fR (default
30). Opening a connection gives up after it, also when the daemon accepted
the socket and never answers (a stopped daemon, a dead ssh peer); once open,
libvirt's keepalive, set from the same value, closes a connection to a host
that stopped answering, so no call waits longer; a change whose answer was
lost that way is reported as one that may or may not have been made. A pipe
or FIFO knet reads (a file argument, or standard input that is not a
terminal) must reach its end within the same deadline. With several hosts, the
host that did not answer is named, the others' results are shown as soon as
they are in (when every host answers within 2 seconds, all at once in one
table), and the exit status is 1. Ctrl\-C ends a connection attempt at once;
while a call to a silent host is in flight, knet says it stops after the
current step, and a second Ctrl\-C quits at once, listing the changes already
made. SIGTERM and SIGHUP stop a bulk change (\fBdomif\-convert\fR,
\fBdomif\-rollback\fR) the same way, between two guests with the report of
what changed; the exit status is 128 plus the signal's number (130 for
Ctrl\-C, 143 for SIGTERM).
.SH COMPLETION
Completion for bash, zsh and fish comes with knet: the Debian package installs
it in each shell's vendor directory
(\fI/usr/share/bash\-completion/completions/knet\fR,
\fI/usr/share/zsh/vendor\-completions/_knet\fR,
\fI/usr/share/fish/vendor_completions.d/knet.fish\fR), so a new shell completes
at once; without it, \fBsource <(COMPLETE=bash knet)\fR (zsh: \fBCOMPLETE=zsh\fR;
fish: \fBCOMPLETE=fish knet | source\fR) registers it. Live names
(networks by state, guests, their MACs) are read from the connection given by
\fB\-c\fR on the line being completed, else \fBLIBVIRT_DEFAULT_URI\fR; when
libvirt does not answer within a second, no names are offered.
.SH SEVERAL HOSTS
\fB\-c\fR given more than once, or \fB\-\-hosts\fR \fIFILE\fR (one URI per
line; # comments and blank lines ignored), makes the commands that can work
on several hosts (listings, \fBnet\-start\fR, \fBnet\-autostart\fR,
\fBnet\-dhcp\-host\fR, \fBdomif\-convert\fR, \fBdoctor\fR) run on every host at
once over libvirt's own remote protocol, at most \fB\-\-jobs\fR \fIN\fR hosts at
a time. Listings get a Host column (JSON: a \fBhost\fR field); changes print a
per\-host summary (Result ok, failed or unreachable) and exit 0 only when
every host succeeded. Other commands refuse several hosts (exit 2).
.SH CHANGING A RUNNING NETWORK
After \fBvirsh net\-destroy\fR and \fBnet\-start\fR, libvirt re\-creates the
network's bridge but leaves every running guest's tap outside it: the guests
are cut off until they restart (the libvirt Networking guide).
.B knet net\-restart
\fINET\fR restarts the network and puts every running guest's NIC on it back
on its bridge;
.B knet net\-reconnect
\fINET\fR does the same for the NICs someone else's restart cut off, without
restarting anything;
.B \-\-apply
(\fBnet\-edit\fR, \fBnet\-define\fR) brings a running network's new definition
live: with \fBnet\-update \-\-live\fR when only DHCP hosts or ranges, DNS
records or portgroups changed (the guests notice nothing), else through
\fBnet\-restart\fR. A definition that does not start is rolled back: the
previous one runs again with the guests reconnected, and the persistent
definition is restored. Port forwards of \fBknet port\-forward\fR are applied
again for the reconnected guests on this machine.
.PP
knet reconnects a NIC with libvirt's API only, so it works over remote URIs
and never restarts a daemon: libvirt moves a running tap only when the NIC's
type, network or bridge changes, so knet updates the NIC live to a
\fBtype='bridge'\fR NIC on the network's bridge (which puts the tap back on it)
and then back to its \fBtype='network'\fR form (which gives it a fresh port in
the network). Interrupted between the two, the guest stays connected and the
next \fBnet\-reconnect\fR finishes it. A NIC counts as cut off when its tap is on
no bridge (seen on the hypervisor itself) or libvirt has no port for it in the
network (seen over any URI).
.SH ENVIRONMENT
.TP
.B LIBVIRT_DEFAULT_URI
Connection URI when \fB\-c\fR is not given.
.TP
.B XDG_STATE_HOME
knet keeps its state in \fI$XDG_STATE_HOME/knet\fR (default
\fI~/.local/state/knet\fR).
.TP
.B KNET_COMPLETE_TIMEOUT_MS
How long completion waits for libvirt (default 1000).
"#;

/// FILES and EXIT STATUS, the same on every page.
const COMMON_SECTIONS: &str = r#".SH FILES
knet's state is private to the user (directories 0700, files 0600) and lives in
\fI$XDG_STATE_HOME/knet\fR, by default:
.TP
.I ~/.local/state/knet
knet's state directory.
.TP
.I ~/.local/state/knet/backups/GUEST/
The XML each guest had before \fBdomif\-convert\fR changed it, one file per
conversion, named by time; \fBdomif\-rollback\fR restores from here.
.TP
.I ~/.local/state/knet/history
History of the interactive shell.
.TP
.I ~/.local/state/knet/uris
Recently connected URIs, offered when completing \fB\-\-connect\fR.
.SH EXIT STATUS
.TP
.B 0
Success (\fBvalidate\fR: every file valid; warnings allowed).
.TP
.B 1
The operation failed: libvirt refused it, a file is invalid, one of several
hosts failed, or a host did not answer within \fB\-\-timeout\fR. What was done
is reported; a failed change leaves things as they were.
.TP
.B 2
Usage error: an unknown option or command, a missing or bad argument, an
unreadable input file (virsh uses 1 here).
.TP
.B 130
Interrupted by Ctrl\-C. A bulk command stops between two objects, never inside
one, and reports what it did; running it again finishes the job.
"#;

/// Render knet(1) and one page per visible command: (file name, contents).
pub fn man_pages() -> Result<Vec<(String, String)>> {
    let mut top = crate::cli::command().disable_help_subcommand(true);
    top.build();
    let subs: Vec<clap::Command> = top.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    let mut pages = Vec::new();

    let names: Vec<&str> = subs.iter().map(|s| s.get_name()).collect();
    let mut buf = Vec::new();
    render(&top, &mut buf, &format!("{}{TOP_SECTIONS}{COMMON_SECTIONS}", examples_section(&names)), "virsh(1)")?;
    pages.push(("knet.1".to_string(), String::from_utf8(buf)?));

    for sub in subs {
        let mut buf = Vec::new();
        let extra = format!("{}{}{COMMON_SECTIONS}", examples_section(&[sub.get_name()]), notes_section(sub.get_name()));
        render(&sub, &mut buf, &extra, "knet(1), virsh(1)")?;
        pages.push((format!("knet-{}.1", sub.get_name()), String::from_utf8(buf)?));
    }
    Ok(pages)
}

/// What the command table (src/commands/mod.rs) says of a command, for its
/// page: virsh's twin, several hosts, --json.
fn notes_section(name: &str) -> String {
    let Some(spec) = super::spec(name) else { return String::new() };
    let mut notes = Vec::new();
    if spec.virsh {
        notes.push(format!("A virsh command: its options, output and exit status follow virsh {name}, except that usage errors exit 2."));
    }
    if spec.many_hosts {
        notes.push("Works on several hosts at once: give -c more than once, or --hosts FILE (see knet(1)).".to_string());
    } else if spec.connects {
        notes.push("Works on one host: refuses several -c or --hosts.".to_string());
    }
    if spec.json {
        notes.push("--json prints machine-readable output.".to_string());
    }
    if notes.is_empty() {
        return String::new();
    }
    let paras: Vec<String> = notes.iter().map(|n| roff(n).trim_end().to_string()).collect();
    format!(".SH NOTES\n{}\n", paras.join("\n.PP\n"))
}

/// clap_mangen's sections in its order, then EXAMPLES and knet's extra
/// sections, SEE ALSO, and the version last.
fn render(cmd: &clap::Command, w: &mut Vec<u8>, extra: &str, see_also: &str) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    if cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some() {
        man.render_extra_section(w)?;
    }
    w.extend_from_slice(extra.as_bytes());
    let refs = see_also.split(", ").map(|r| {
        let (name, sect) = r.trim_end_matches(')').split_once('(').unwrap_or((r, "1"));
        format!(".BR {} ({})", roff(name).trim_end(), sect)
    });
    w.extend_from_slice(format!(".SH SEE ALSO\n{}\n", refs.collect::<Vec<_>>().join(" ,\n")).as_bytes());
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    *w = unmark(&String::from_utf8_lossy(w)).into_bytes();
    Ok(())
}

/// Help text is written for terminals and README, where `code` reads as
/// code; roff shows the backticks literally. Each pair on a line becomes bold.
fn unmark(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.split_inclusive('\n') {
        let parts: Vec<&str> = line.split('`').collect();
        if parts.len() % 2 == 0 {
            // an odd backtick: not markdown, leave the line as it is
            out.push_str(line);
            continue;
        }
        for (i, part) in parts.iter().enumerate() {
            if i % 2 == 1 {
                out.push_str("\\fB");
                out.push_str(part);
                out.push_str("\\fR");
            } else {
                out.push_str(part);
            }
        }
    }
    out
}

/// The shell registrations (src/complete/engine.rs) with a header: (file name,
/// contents), named as each shell's completion directory expects
/// (bash-completion: `knet`, zsh: `_knet`).
pub fn completions() -> Result<Vec<(String, String)>> {
    let note = "Generated by `knet generate-assets` (README: Shell life); do not edit.";
    let mut files = Vec::new();
    for (file, script) in crate::complete::engine::registrations() {
        // zsh reads `#compdef` only on the first line
        let text = match script.trim_start().split_once('\n') {
            Some((first, rest)) if first.starts_with("#compdef") => format!("{first}\n# {note}\n{rest}"),
            _ => format!("# {note}\n{}", script.trim_start()),
        };
        files.push((file.to_string(), text));
    }
    Ok(files)
}

/// Write `files` into `dir`, removing the knet pages there that are no
/// longer generated (a renamed command must not leave its old page behind);
/// nothing else in `dir` is touched.
fn write_all(dir: &Path, files: &[(String, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("knet") && name.ends_with(".1");
        if ours && !files.iter().any(|(f, _)| *f == name) {
            std::fs::remove_file(e.path()).with_context(|| format!("cannot remove {}", e.path().display()))?;
        }
    }
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

pub fn run(args: Args, _ctx: &crate::context::Ctx) -> Result<()> {
    write_all(&args.dir.join("completions"), &completions()?)?;
    write_all(&args.dir.join("man"), &man_pages()?)?;
    Ok(())
}
