//! Completion as bash, zsh and fish run it, from the checked-in scripts in
//! completions/: subcommands, flags, values, live names, and an unreachable
//! libvirt that must cost no noise and no hang.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::test_shell::{state_dir, Term};
use crate::util::*;

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_knet")).parent().unwrap().to_path_buf()
}

/// PATH with the freshly built knet and knet-libvirt first, as after install.
fn path() -> String {
    format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default())
}

/// A shell with knet installed on PATH, a private state directory, and no
/// libvirt default (tests give -c or set LIBVIRT_DEFAULT_URI themselves).
fn shell(prog: &str, state: &Path) -> Command {
    let mut c = Command::new(prog);
    c.env("PATH", path())
        .env("XDG_STATE_HOME", state)
        .env("LC_ALL", "C")
        .env_remove("LIBVIRT_DEFAULT_URI")
        .env_remove("KNET_LIBVIRT_BIN")
        .env_remove("COMPLETE");
    c
}

fn script(name: &str) -> String {
    repo().join("completions").join(name).to_str().unwrap().to_string()
}

/// Bash's answer (COMPREPLY) for `words`, the last being the word under the
/// cursor, the way bash calls a `complete -F` function (COMP_LINE up to the
/// cursor at the end).
pub(crate) fn bash(words: &[&str], env: &[(&str, &str)], state: &Path) -> Out {
    let prog = r#"source "$0"; COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_TYPE=9
_knet knet "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    run(shell("bash", state).envs(env.iter().copied()).arg("-c").arg(prog).arg(script("knet.bash")).args(words))
}

/// Fish's own `complete -C LINE`: `value<TAB>description` lines.
pub(crate) fn fish(line: &str, env: &[(&str, &str)], state: &Path) -> Out {
    run(shell("fish", state).envs(env.iter().copied()).args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", &script("knet.fish"), line]))
}

fn values(out: &Out) -> Vec<String> {
    out.stdout.lines().filter(|l| !l.is_empty()).map(|l| l.split('\t').next().unwrap().to_string()).collect()
}

#[test]
fn bash_completes_commands_and_flags() {
    let st = state_dir();
    let out = bash(&["knet", "net-l"], &[], &st).ok();
    assert_eq!(values(&out), ["net-list"]);
    let out = bash(&["knet", "net-list", "--a"], &[], &st).ok();
    assert_eq!(values(&out), ["--all", "--autostart"]);
    assert_eq!(out.stderr, "");
}

#[test]
fn fish_completes_commands_with_their_help() {
    let st = state_dir();
    let out = fish("knet net-", &[], &st).ok();
    assert!(out.stdout.lines().any(|l| l == "net-list\tList networks"), "{}", out.stdout);
    assert!(!out.stdout.contains("complete-names") && !out.stdout.contains("generate-assets"), "hidden commands offered:\n{}", out.stdout);
    let out = fish("knet -q net-list --no", &[], &st).ok();
    assert_eq!(values(&out), ["--no-autostart"]);
}

#[test]
fn static_completion_never_needs_libvirt() {
    // subcommands and flags come from the light binary alone
    let st = state_dir();
    let out = bash(&["knet", "net-l"], &[("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt")], &st).ok();
    assert_eq!(values(&out), ["net-list"]);
}

#[test]
fn connect_offers_recently_used_uris_first() {
    let st = state_dir();
    let node = test_uri("shell-node.xml");
    run(knet().env("XDG_STATE_HOME", &st).args(["-c", &node, "net-list"])).ok();
    let out = fish("knet -c test:", &[], &st).ok();
    assert_eq!(values(&out), [node.as_str(), "test:///default"]);
    let out = bash(&["knet", "net-list", "--connect", ""], &[], &st).ok();
    assert_eq!(values(&out)[0], node);
}

#[test]
fn zsh_completes_in_a_real_terminal() {
    let st = state_dir();
    let p = path();
    let stp = st.to_str().unwrap().to_string();
    let t = Term::start(&["zsh", "-f"], &[("PATH", &p), ("XDG_STATE_HOME", &stp), ("PS1", "zsh%% ")]);
    t.wait_for("zsh", |s| s.contains("zsh%"));
    let fpath = repo().join("completions");
    t.keys(&[&format!("fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; print RE''ADY", fpath.display()), "Enter"]);
    t.wait_for("compinit", |s| s.lines().any(|l| l == "READY"));
    t.keys(&["knet net-l", "Tab"]);
    t.wait_for("net-list completed", |s| s.lines().any(|l| l.trim_end() == "zsh% knet net-list"));
    t.keys(&["--a", "Tab"]);
    let s = t.wait_for("the two --a flags", |s| s.contains("--autostart"));
    assert!(s.contains("--all") && s.contains("List inactive and active networks"), "{s}");
}

#[test]
fn live_network_names_follow_their_state_and_the_line_connection() {
    let st = state_dir();
    // test:///default: one network, `default`, active
    let out = bash(&["knet", "-c", "test:///default", "net-destroy", ""], &[], &st).ok();
    assert_eq!(values(&out), ["default"]);
    assert_eq!(out.stderr, "");
    let out = fish("knet -c test:///default net-start ", &[], &st).ok();
    assert!(!values(&out).contains(&"default".to_string()), "net-start offered an active network:\n{}", out.stdout);
    // -c given after the command, and a node file's networks
    let node = test_uri("shell-node.xml");
    let out = fish(&format!("knet net-info --connect={node} "), &[], &st).ok();
    assert_eq!(values(&out), ["alpha", "beta"]);
    // no -c: LIBVIRT_DEFAULT_URI, as libvirt itself decides
    let out = fish("knet net-dumpxml b", &[("LIBVIRT_DEFAULT_URI", &node)], &st).ok();
    assert_eq!(values(&out), ["beta"]);
}

#[test]
fn net_update_completes_its_commands_and_sections() {
    let st = state_dir();
    let out = bash(&["knet", "-c", "test:///default", "net-update", "default", "add-"], &[], &st).ok();
    assert_eq!(values(&out), ["add-first", "add-last"]);
    let out = fish("knet -c test:///default net-update default add ip-dhcp-", &[], &st).ok();
    assert_eq!(values(&out), ["ip-dhcp-host", "ip-dhcp-range"]);
}

#[test]
fn unreachable_libvirt_gives_no_names_and_no_noise() {
    let st = state_dir();
    // fails at once: libvirt's XML error must not reach the terminal
    let out = bash(&["knet", "-c", "test:///nonexistent.xml", "net-info", "d"], &[], &st).ok();
    assert_eq!(values(&out), Vec::<String>::new());
    assert_eq!(out.stderr, "");
    let out = fish("knet -c test:///nonexistent.xml net-info ", &[], &st).ok();
    assert_eq!(out.stderr, "");
    assert!(values(&out).iter().all(|v| v.starts_with('-')), "{}", out.stdout);
}

#[test]
fn a_hanging_libvirt_costs_one_deadline_not_a_hung_prompt() {
    // a socket that accepts and never answers: libvirt would wait for its
    // hello forever; completion gives up after KNET_COMPLETE_TIMEOUT_MS
    let st = state_dir();
    let sock = st.join("hang.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(4) {
            conns.push(c);
            let _ = tx.send(());
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let uri = format!("qemu+unix:///system?socket={}", sock.display());
    let t0 = std::time::Instant::now();
    let out = fish(&format!("knet -c {uri} net-info "), &[("KNET_COMPLETE_TIMEOUT_MS", "500")], &st).ok();
    let took = t0.elapsed();
    assert_eq!(out.stderr, "");
    assert!(values(&out).iter().all(|v| v.starts_with('-')), "{}", out.stdout);
    // generous bound: without the deadline this never returns
    assert!(took < std::time::Duration::from_secs(10), "completion blocked for {took:?}");
    assert!(rx.try_recv().is_ok(), "knet never tried the hanging libvirt");
}

#[test]
fn real_daemon_names_by_state_and_guest_macs() {
    let sb = Sandbox::start();
    for net in ["default.xml", "isolated.xml"] {
        run(sb.virsh().arg("net-define").arg(sandbox_xml(net))).ok();
    }
    run(sb.virsh().args(["net-start", "default"])).ok();
    for vm in ["vm1.xml", "vm2.xml"] {
        run(sb.virsh().arg("define").arg(sandbox_xml(vm))).ok();
    }
    let st = state_dir();
    let c = format!("knet -c {}", sb.uri);
    assert_eq!(values(&fish(&format!("{c} net-start "), &[], &st).ok()), ["isolated"]);
    assert_eq!(values(&fish(&format!("{c} net-destroy "), &[], &st).ok()), ["default"]);
    let mut all = values(&fish(&format!("{c} net-info "), &[], &st).ok());
    all.sort();
    assert_eq!(all, ["default", "isolated"]);
    // --mac: the NICs of guests on the network named earlier on the line, with their guest
    let out = fish(&format!("{c} net-dhcp-host default add --mac "), &[], &st).ok();
    assert_eq!(out.stdout, "52:54:00:aa:bb:01\tvm1\n52:54:00:aa:bb:02\tvm2\n");
    assert_eq!(values(&fish(&format!("{c} net-dhcp-host isolated add --mac "), &[], &st).ok()), Vec::<String>::new());
    // guest names; --mac after a guest: that guest's NICs only
    assert_eq!(values(&bash(&["knet", "-c", &sb.uri, "domiflist", ""], &[], &st).ok()), ["vm1", "vm2"]);
    assert_eq!(values(&bash(&["knet", "-c", &sb.uri, "domif-convert", "vm2", "--mac", ""], &[], &st).ok()), ["52:54:00:aa:bb:02"]);

    // --to-bridge: the bridges of the host knet runs on, here the sandbox's
    // namespace, where `default` made virbr0 (a plain veth is not offered)
    sb.exec(&["ip", "link", "add", "knv0", "type", "veth", "peer", "name", "knv1"]).ok();
    let line = format!("{c} domif-convert vm1 --to-bridge ");
    let out = sb.exec(&["env", &format!("PATH={}", path()), &format!("XDG_STATE_HOME={}", st.display()), "fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", &script("knet.fish"), &line]).ok();
    assert_eq!(values(&out), ["virbr0"]);
    // --uplink: the namespace's NICs that are not bridges (nor lo)
    let line = format!("{c} bridge-config --uplink ");
    let out = sb.exec(&["env", &format!("PATH={}", path()), &format!("XDG_STATE_HOME={}", st.display()), "fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", &script("knet.fish"), &line]).ok();
    let up = values(&out);
    assert!(up.contains(&"knv0".to_string()) && up.contains(&"knv1".to_string()), "{up:?}");
    assert!(!up.iter().any(|u| u == "virbr0" || u == "lo"), "{up:?}");
    // doctor takes a network or a guest
    let mut both = values(&fish(&format!("{c} doctor "), &[], &st).ok());
    both.sort();
    assert_eq!(both, ["default", "isolated", "vm1", "vm2"]);
}

#[test]
fn bash_in_a_real_terminal_keeps_uris_and_macs_whole() {
    // bash splits words at ':' and '=' (COMP_WORDBREAKS): the URI after -c
    // and a MAC being typed must still reach knet whole, and the candidates
    // must replace only what bash replaces
    let st = state_dir();
    let p = path();
    let stp = st.to_str().unwrap().to_string();
    let t = Term::start(&["bash", "--norc", "--noprofile"], &[("PATH", &p), ("XDG_STATE_HOME", &stp), ("PS1", "bash$ ")]);
    t.wait_for("bash", |s| s.contains("bash$"));
    t.keys(&[&format!("source {}; echo RE''ADY", script("knet.bash")), "Enter"]);
    t.wait_for("sourced", |s| s.lines().any(|l| l == "READY"));
    let last = |s: &str| s.lines().rfind(|l| l.starts_with("bash$")).unwrap_or_default().trim_end().to_string();
    t.keys(&["knet -c test:///default net-destroy ", "Tab"]);
    t.wait_for("the active network", |s| last(s) == "bash$ knet -c test:///default net-destroy default");
    t.keys(&["C-u", "knet --connect=test:///default domif-convert test --mac aa:bb", "Tab"]);
    t.wait_for("the MAC", |s| last(s) == "bash$ knet --connect=test:///default domif-convert test --mac aa:bb:cc:dd:ee:ff");
    t.keys(&["C-u", "knet net-li", "Tab"]);
    t.wait_for("the command", |s| last(s) == "bash$ knet net-list");
}

#[test]
fn a_quoted_uri_reaches_libvirt_without_its_quotes_in_bash_zsh_and_fish() {
    // a URI with a query (`?socket=...`) is quoted on the command line; the
    // quotes belong to the shell, not to the URI knet opens for live names
    let st = state_dir();
    let node = test_uri("shell-node.xml");
    for quoted in [format!("'{node}'"), format!("\"{node}\"")] {
        let out = bash(&["knet", "-c", &quoted, "net-info", "b"], &[], &st).ok();
        assert_eq!(values(&out), ["beta"], "bash, -c {quoted}");
        let out = fish(&format!("knet -c {quoted} net-info b"), &[], &st).ok();
        assert_eq!(values(&out), ["beta"], "fish, -c {quoted}");
    }
    // bash and zsh in a real terminal, the way a user types it
    let p = path();
    let stp = st.to_str().unwrap().to_string();
    let t = Term::start(&["bash", "--norc", "--noprofile"], &[("PATH", &p), ("XDG_STATE_HOME", &stp), ("PS1", "bash$ ")]);
    t.wait_for("bash", |s| s.contains("bash$"));
    t.keys(&[&format!("source {}; echo RE''ADY", script("knet.bash")), "Enter"]);
    t.wait_for("sourced", |s| s.lines().any(|l| l == "READY"));
    t.keys(&[&format!("knet -c '{node}' net-info b"), "Tab"]);
    let want = format!("bash$ knet -c '{node}' net-info beta");
    t.wait_for("the network name", |s| s.lines().any(|l| l.trim_end() == want));

    let t = Term::start(&["zsh", "-f"], &[("PATH", &p), ("XDG_STATE_HOME", &stp), ("PS1", "zsh%% ")]);
    t.wait_for("zsh", |s| s.contains("zsh%"));
    let fpath = repo().join("completions");
    t.keys(&[&format!("fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; print RE''ADY", fpath.display()), "Enter"]);
    t.wait_for("compinit", |s| s.lines().any(|l| l == "READY"));
    t.keys(&[&format!("knet -c '{node}' net-info b"), "Tab"]);
    let want = format!("zsh% knet -c '{node}' net-info beta");
    t.wait_for("the network name", |s| s.lines().any(|l| l.trim_end() == want));
}

#[test]
fn fleet_options_are_offered_only_to_commands_that_take_several_hosts() {
    let st = state_dir();
    assert_eq!(values(&bash(&["knet", "net-info", "--h"], &[], &st).ok()), ["--help"]);
    assert_eq!(values(&bash(&["knet", "net-list", "--h"], &[], &st).ok()), ["--hosts", "--help"]);
    assert!(!values(&fish("knet net-edit --j", &[], &st).ok()).contains(&"--jobs".to_string()));
    assert!(values(&fish("knet domif-convert --j", &[], &st).ok()).contains(&"--jobs".to_string()));
}
