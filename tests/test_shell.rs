//! The interactive shell, piped commands and `"a; b"` sequences; generated
//! completions and man pages (fresh, rendering without warnings, examples
//! that parse).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// A fresh state directory (XDG_STATE_HOME) for one test, removed after it.
pub(crate) struct StateDir(PathBuf);

pub(crate) fn state_dir() -> StateDir {
    StateDir(tempdir_short("knet-st"))
}

impl std::ops::Deref for StateDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for StateDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `knet` with its state (history, recent URIs) in a fresh directory.
fn knet_in(state: &Path) -> Command {
    let mut c = knet();
    c.env("XDG_STATE_HOME", state);
    c
}

fn run_stdin(c: &mut Command, input: &str) -> Out {
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    Out::from(child.wait_with_output().unwrap())
}

fn names(uri: &str) -> String {
    run(knet().args(["-c", uri, "net-list", "--all", "--name"])).ok().stdout
}

// ---------------------------------------------------------------------------
// Off a terminal.

#[test]
fn piped_commands_share_one_session_and_connect_switches_it() {
    let st = state_dir();
    let node = test_uri("shell-node.xml");
    let out = run_stdin(knet_in(&st).args(["-c", "test:///default"]), &format!("net-list --name\nconnect {node}\nnet-list --all --name\n")).ok();
    // connect's own blank line, as every virsh command's; virsh's closing
    // line break after the last command
    assert_eq!(out.stdout, format!("{}\n{}\n", names("test:///default"), names(&node)));
    assert_eq!(out.stderr, "");
    // no banner and no prompt off a terminal
    assert!(!out.stdout.contains("Welcome") && !out.stdout.contains("knet #"), "{}", out.stdout);
    // the URI that opened is remembered for --connect completion
    let uris = std::fs::read_to_string(st.join("knet/uris")).unwrap();
    assert_eq!(uris.lines().next(), Some(node.as_str()), "{uris}");
}

#[test]
fn piped_errors_are_printed_and_the_session_goes_on_with_the_last_status() {
    let st = state_dir();
    let out = run_stdin(knet_in(&st).args(["-c", "test:///default"]), "net-frob\nnet-list --name --uuid\nnet-list --name\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    // a failed virsh command's stdout is a lone newline (see commands::Spec::virsh);
    // the session ends with virsh's closing line break
    assert_eq!(out.stdout, format!("
{}
", names("test:///default")));
    assert!(out.stderr.contains("error: unknown command: 'net-frob'
"), "{}", out.stderr);
    assert!(out.stderr.contains("error: Only one argument from --table, --name and --uuid may be specified."), "{}", out.stderr);

    let out = run_stdin(knet_in(&st).args(["-c", "test:///default"]), "net-list --name\nnet-list --name --uuid\n");
    assert_eq!(out.code, 1, "exit status is the last command's");
    let out = run_stdin(knet_in(&st).args(["-c", "test:///default", "shell"]), "net-list --name\nquit\nnet-frob\n").ok();
    assert_eq!(out.stderr, "", "quit stops reading");
    assert_eq!(out.stdout, format!("{}\n", names("test:///default")));
}

#[test]
fn a_failed_connect_keeps_the_current_connection() {
    let st = state_dir();
    let out = run_stdin(knet_in(&st).args(["-c", "test:///default"]), "connect test:///nonexistent.xml\nnet-list --name\n").ok();
    assert_eq!(out.stdout, format!("\n{}\n", names("test:///default")));
    assert!(out.stderr.contains("error: failed to connect to the hypervisor"), "{}", out.stderr);
}

#[test]
fn a_session_that_could_not_connect_starts_anyway_and_connect_fixes_it() {
    // as virsh: the error is printed, then `connect` opens a working session
    let st = state_dir();
    let out = run_stdin(knet_in(&st).args(["-c", "test:///nonexistent.xml"]), "net-list --name\nconnect test:///default\nnet-list --name\n").ok();
    assert_eq!(out.stdout, format!("\n{}\n", names("test:///default")));
    assert!(out.stderr.contains("error: failed to connect to the hypervisor\n"), "{}", out.stderr);
}

#[test]
fn sequence_runs_in_order_with_the_last_status() {
    let st = state_dir();
    let node = test_uri("shell-node.xml");
    let line = format!("net-list --name; connect {node}; net-list --name");
    let out = run(knet_in(&st).args(["-c", "test:///default", &line])).ok();
    assert_eq!(out.stdout, format!("{}\n{}", names("test:///default"), names(&node)));
    assert_eq!(out.stdout, run(virsh().args(["-c", "test:///default", &line])).ok().stdout);

    // stdout and exit status as virsh's for the same sequence
    for seq in ["net-list --name --uuid; net-list --name", "net-list --name; net-list --name --uuid", "net-destroy default; net-list --all; net-start default"] {
        let k = run(knet_in(&st).args(["-c", "test:///default", seq]));
        let v = run(virsh().args(["-c", "test:///default", seq]));
        assert_eq!((k.code, &k.stdout), (v.code, &v.stdout), "{seq}\nknet stderr: {}", k.stderr);
    }
    // virsh's lexer, quirks included: a single quote left open closes at
    // the end, a backslash-newline between words is nothing, a word that
    // starts with # ends the line; stderr too
    for seq in ["quit", "net-uuid default ; exit ; net-uuid default", "net-uuid default ; exit 3", "quit --now", "exit -- x", "connect", "net-uuid default ; connect ; net-uuid default", "net-info 'default", "net-info 'nosuch", "net-uuid \\\n default", "net-uuid default #; net-info nosuch", "net-uuid de'fa'ult ; net-uuid \"default\""] {
        let k = run(knet_in(&st).args(["-c", "test:///default", seq]));
        let v = run(virsh().args(["-c", "test:///default", seq]));
        // a usage error exits 2 where virsh exits 1 (documented)
        let code = if (k.code, v.code) == (2, 1) && v.stdout.is_empty() { 1 } else { k.code };
        assert_eq!((code, &k.stdout, &k.stderr), (v.code, &v.stdout, &v.stderr), "{seq}");
    }
}

#[test]
fn sequence_and_pipe_keep_the_test_drivers_state_for_the_session() {
    // test:///default's state lasts one connection: only a session keeps it
    let st = state_dir();
    let out = run(knet_in(&st).args(["-c", "test:///default", "net-destroy default; net-list --all"])).ok();
    assert!(out.stdout.contains(" default   inactive "), "{}", out.stdout);
    let out = run_stdin(knet_in(&st).args(["-c", "test:///default"]), "net-destroy default\nnet-list --inactive --name\nnet-start default\nnet-list --inactive --name\n").ok();
    assert_eq!(out.stdout, "Network default destroyed\n\ndefault\n\nNetwork default started\n\n\n\n");
}

#[test]
fn sequence_with_a_bad_command_runs_nothing() {
    // virsh parses the whole sequence first (vshCommandStringParse)
    let st = state_dir();
    let out = run(knet_in(&st).args(["-c", "test:///default", "net-list; net-frob"]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("net-frob"), "{}", out.stderr);
    let out = run(knet_in(&st).args(["-c", "test:///default", "net-list \"unterminated"]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr, "error: missing \"\n");
}

#[test]
fn a_single_unknown_word_is_still_an_unknown_command() {
    let out = run(knet().args(["-c", "test:///default", "net-frob"]));
    assert_eq!(out.code, 2);
    // virsh's line (tools/vsh.c)
    assert_eq!(out.stderr, "error: unknown command: 'net-frob'\n");
}

#[test]
fn shell_help_needs_no_libvirt() {
    let out = run(knet().env("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt").args(["shell", "--help"])).ok();
    assert!(out.stdout.contains("Interactive terminal"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------
// In a real terminal (tmux).

/// A private tmux server (its own socket file) running one command in an
/// 120x40 window; the server is killed and its socket removed on drop.
pub(crate) struct Term {
    socket: PathBuf,
}

impl Term {
    pub(crate) fn start(cmd: &[&str], env: &[(&str, &str)]) -> Term {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let socket = run_dir().join(format!("tmux-{}", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        let mut line: Vec<String> = vec!["env".into(), "LC_ALL=C".into(), "TERM=xterm".into()];
        line.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        line.extend(cmd.iter().map(|s| s.to_string()));
        // keep the pane open after knet exits, so its last screen can be read
        let shell = format!("{}; echo '[exited '$?']'; sleep 600", line.iter().map(|s| shell_quote(s)).collect::<Vec<_>>().join(" "));
        let t = Term { socket };
        let out = run(t.tmux().args(["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", &shell]));
        assert_eq!(out.code, 0, "tmux: {}", out.stderr);
        t
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        const NAMED: &[&str] = &["Tab", "Enter", "Up", "C-u", "C-c", "C-d"];
        for k in keys {
            let lit: &[&str] = if NAMED.contains(k) { &[] } else { &["-l", "--"] };
            run(self.tmux().arg("send-keys").args(lit).arg(k)).ok();
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub(crate) fn screen(&self) -> String {
        run(self.tmux().args(["capture-pane", "-p", "-S", "-200"])).ok().stdout
    }

    /// Wait until the screen satisfies `pred` (knet is a separate process
    /// drawing asynchronously); panic with the screen after 20 s.
    #[track_caller]
    pub(crate) fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "waited for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn interactive(extra: &[&str], st: &Path) -> Term {
    let knet = env!("CARGO_BIN_EXE_knet");
    let mut cmd = vec![knet];
    cmd.extend(extra);
    let st = st.to_str().unwrap().to_string();
    let t = Term::start(&cmd, &[("XDG_STATE_HOME", &st), ("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt"))]);
    t.wait_for("the prompt", |s| !prompt_line(s).is_empty());
    t
}

/// The last line of the screen that holds a prompt (tmux drops trailing blanks).
fn prompt_line(screen: &str) -> String {
    screen.lines().rfind(|l| l.starts_with("knet #") || l.starts_with("knet >")).unwrap_or_default().trim_end().to_string()
}

#[test]
fn terminal_banner_tab_completion_and_session() {
    let st = state_dir();
    let t = interactive(&["-c", "test:///default"], &st);
    let s = t.screen();
    assert!(s.contains("Welcome to knet, the libvirt networking interactive terminal."), "{s}");

    // names come live from the session's own connection: after net-destroy,
    // net-start's only candidate is the network the session just stopped
    t.keys(&["net-destroy default", "Enter"]);
    t.wait_for("destroyed", |s| s.contains("Network default destroyed"));
    t.keys(&["net-st", "Tab"]);
    t.wait_for("net-start completed", |s| prompt_line(s) == "knet # net-start");
    t.keys(&["Tab"]);
    t.wait_for("the inactive network", |s| prompt_line(s) == "knet # net-start default");
    t.keys(&["Enter"]);
    t.wait_for("started", |s| s.contains("Network default started"));
    t.keys(&["net-destroy d", "Tab"]);
    t.wait_for("the active network", |s| prompt_line(s) == "knet # net-destroy default");
    // an ambiguous prefix: the second Tab shows the candidates
    t.keys(&["C-u", "net-d", "Tab", "Tab"]);
    let s = t.wait_for("net-d candidates", |s| s.contains("net-dumpxml") && s.contains("net-dhcp-host"));
    let listed = s.lines().find(|l| l.contains("net-dumpxml")).unwrap();
    let mut listed: Vec<&str> = listed.split_whitespace().collect();
    listed.sort();
    assert_eq!(listed, ["net-define", "net-destroy", "net-dhcp-host", "net-dhcp-leases", "net-dumpxml"]);
    assert_eq!(prompt_line(&s), "knet # net-d");
    t.keys(&["C-u"]);

    // a unique command completes in place, with a space after it
    t.keys(&["net-l", "Tab"]);
    t.wait_for("net-list completed", |s| prompt_line(s) == "knet # net-list");
    // several candidates: the first Tab completes their common part, the second lists them
    t.keys(&["--a", "Tab", "Tab"]);
    let s = t.wait_for("--a candidates", |s| s.contains("--all") && s.contains("--autostart"));
    assert_eq!(prompt_line(&s), "knet # net-list --a");
    t.keys(&["C-u", "net-list --all --name", "Enter"]);
    t.wait_for("net-list output", |s| s.lines().any(|l| l == "default"));

    // errors are printed and the session goes on
    t.keys(&["net-frob", "Enter"]);
    t.wait_for("the error", |s| s.contains("error: unknown command: 'net-frob'"));
    t.keys(&["help", "Enter"]);
    t.wait_for("help", |s| s.contains("connect") && s.contains("Quit this interactive terminal"));

    // Ctrl-C drops the line being typed, not the session
    t.keys(&["net-list --bogus", "C-c", "quit", "Enter"]);
    let s = t.wait_for("exit", |s| s.contains("[exited "));
    assert!(s.contains("[exited 0]"), "{s}");
    assert!(!s.contains("--bogus'"), "the cancelled line ran:\n{s}");

    let hist = std::fs::read_to_string(st.join("knet/history")).unwrap();
    assert!(hist.contains("net-list --all --name") && hist.contains("quit"), "{hist}");
    assert!(!hist.contains("--bogus"), "{hist}");
}

#[test]
fn terminal_readonly_prompt_and_history_recall() {
    let st = state_dir();
    std::fs::create_dir_all(st.join("knet")).unwrap();
    std::fs::write(st.join("knet/history"), "#V2\nnet-list --all --uuid\n").unwrap();
    let t = interactive(&["-q", "-r", "-c", "test:///default"], &st);
    assert!(!t.screen().contains("Welcome"), "-q shows no banner");
    t.keys(&["Up"]);
    t.wait_for("history recalled", |s| prompt_line(s) == "knet > net-list --all --uuid");
    t.keys(&["C-u", "C-d"]);
    t.wait_for("Ctrl-D leaves", |s| s.contains("[exited 0]"));
}

#[test]
fn terminal_completes_connect_uris_from_history() {
    let st = state_dir();
    let node = test_uri("shell-node.xml");
    // a successful connection remembers its URI...
    run(knet_in(&st).args(["-c", &node, "net-list"])).ok();
    let t = interactive(&["-c", "test:///default"], &st);
    // ...which `connect` then offers first
    // type a prefix of it (wherever the checkout lives) and let Tab finish
    let typed = format!("connect {}", &node[..node.len() - "node.xml".len()]);
    t.keys(&[&typed, "Tab"]);
    t.wait_for("the URI completed", |s| prompt_line(s) == format!("knet # connect {node}"));
    t.keys(&["Enter", "net-list --name", "Enter"]);
    t.wait_for("the new connection's networks", |s| s.lines().any(|l| l == "alpha"));
}

#[test]
fn terminal_ctrl_c_during_a_command_ends_the_command_not_the_session() {
    // net-edit waits for an editor that sleeps; Ctrl-C reaches the whole
    // foreground group: the editor dies, knet (holding the interrupt guard)
    // reports it, and the session and its connection go on
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    let st = state_dir();
    let editor = st.join("sleepy-editor");
    let started = st.join("editor-started");
    std::fs::write(&editor, format!("#!/bin/sh\ntouch {}\nsleep 60\n", started.display())).unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let stp = st.to_str().unwrap().to_string();
    let ed = editor.to_str().unwrap().to_string();
    let t = Term::start(
        &[env!("CARGO_BIN_EXE_knet"), "-c", &sb.uri],
        &[("XDG_STATE_HOME", &stp), ("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt")), ("EDITOR", &ed)],
    );
    t.wait_for("the prompt", |s| !prompt_line(s).is_empty());
    t.keys(&["net-edit default", "Enter"]);
    let t0 = Instant::now();
    while !started.exists() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the editor never started:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys(&["C-c"]);
    t.wait_for("the prompt again", |s| prompt_line(s) == "knet #");
    t.keys(&["net-list --all --name", "Enter"]);
    let s = t.wait_for("the session still works", |s| s.lines().any(|l| l == "default"));
    assert!(!s.contains("[exited"), "knet died:\n{s}");
    // libvirt left as it was
    assert_eq!(run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout, "default\n\n");
}

// ---------------------------------------------------------------------------
// Generated files.

#[test]
fn checked_in_completions_and_man_pages_are_fresh() {
    let tmp = tempdir_short("knet-assets");
    run(knet().arg("generate-assets").arg(&tmp)).ok();
    for sub in ["completions", "man"] {
        let out = run(Command::new("diff").arg("-r").arg(repo().join(sub)).arg(tmp.join(sub)));
        assert_eq!(out.code, 0, "{sub}/ is stale: run `cargo run -- generate-assets` and commit the result\n{}", out.stdout);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn man_pages_render_without_warnings() {
    let pages: Vec<PathBuf> = std::fs::read_dir(repo().join("man")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(pages.iter().any(|p| p.ends_with("knet.1")), "{pages:?}");
    for p in &pages {
        let out = run(Command::new("man").env("MANWIDTH", "80").env("LC_ALL", "C.UTF-8").args(["--warnings", "-l"]).arg(p));
        assert_eq!(out.code, 0, "{}: {}", p.display(), out.stderr);
        assert_eq!(out.stderr, "", "{} renders with warnings", p.display());
        assert!(out.stdout.contains("SYNOPSIS") && out.stdout.contains("SEE ALSO"), "{}", out.stdout);
    }
    let list = run(Command::new("man").env("MANWIDTH", "80").args(["-l"]).arg(repo().join("man/knet-net-list.1"))).ok();
    assert!(list.stdout.contains("EXAMPLES") && list.stdout.contains("knet net-list --all"), "{}", list.stdout);
}

#[test]
fn man_page_examples_parse_with_knet() {
    use clap::CommandFactory;
    let tree = knet::cli::Cli::command();
    let mut checked = 0;
    for (cmd, _, line) in knet::commands::generate_assets::EXAMPLES {
        if tree.find_subcommand(cmd).is_none() {
            continue; // its command is not in this build yet: its page is not generated either
        }
        let words = knet::shell::split(line).unwrap().remove(0);
        crate::util::assert_knet_parses(&words, &format!("example `{line}`"));
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} examples checked");
}
