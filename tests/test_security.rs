//! The security review's checks (SECURITY.md): hostile XML refused with
//! bounded memory, guest names that are data (never code) in the
//! port-forward hook, temporary files private to the user. The read-only
//! connection checks are in test_faults (`read_only_socket_and_dash_r_...`),
//! backup permissions in test_domif_convert and backup paths in
//! src/backup.rs's unit tests.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// Peak RSS (KiB) and exit code of a command; a watchdog kills it after
/// `limit` so a hang fails the test instead of stalling CI (a generous
/// bound, not a speed check).
// reaped by wait4 (for its rusage), not Child::wait
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command, limit: Duration) -> (i32, i64, String) {
    run_measured_with(cmd, limit, Stdio::null())
}

#[allow(clippy::zombie_processes)]
fn run_measured_with(cmd: &mut Command, limit: Duration, stdin: Stdio) -> (i32, i64, String) {
    let err = tempdir_short("knet-sec").join("stderr");
    let child = cmd.stdin(stdin).stdout(Stdio::null()).stderr(std::fs::File::create(&err).unwrap()).spawn().unwrap();
    let pid = child.id() as i32;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d = done.clone();
    let dog = std::thread::spawn(move || {
        let start = Instant::now();
        while !d.load(std::sync::atomic::Ordering::SeqCst) {
            if start.elapsed() > limit {
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(!dog.join().unwrap(), "hung: killed after {limit:?}");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -libc::WTERMSIG(status) };
    let stderr = std::fs::read_to_string(&err).unwrap();
    std::fs::remove_dir_all(err.parent().unwrap()).unwrap();
    (code, usage.ru_maxrss, stderr)
}

/// `knet ARGS` under /usr/bin/time: exit code, knet's own peak RSS (KiB) and
/// stderr. The peak is taken by `time`, a small process that forks knet:
/// a child spawned straight from this (large, multi-threaded) test process
/// shares its memory until exec, and the kernel counts that in its peak.
fn knet_peak_rss(args: &[&str], stdin: Stdio) -> (i32, i64, String) {
    let f = tempdir_short("knet-rss").join("rss");
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "%M", "-o"]).arg(&f).arg(env!("CARGO_BIN_EXE_knet")).args(args);
    c.env_remove("LIBVIRT_DEFAULT_URI").env("LC_ALL", "C").env("XDG_STATE_HOME", state_home()).env("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt"));
    let (code, _, stderr) = run_measured_with(&mut c, Duration::from_secs(30), stdin);
    let rss = std::fs::read_to_string(&f).unwrap_or_default().lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(i64::MAX);
    (code, rss, stderr)
}

/// Every file knet reads goes through one bounded reader: devices and
/// directories are refused before a byte is read, an endless pipe or
/// standard input stops at the 10 MiB cap, and memory stays far below
/// anything the input could grow to.
#[test]
fn endless_and_device_inputs_are_refused_with_bounded_memory() {
    let dir = tempdir_short("knet-inputs");
    let cases: Vec<Vec<&str>> = vec![
        vec!["-c", "test:///default", "net-define", "/dev/zero"],
        vec!["-c", "test:///default", "net-create", "/dev/urandom"],
        vec!["-c", "test:///default", "net-update", "default", "add", "ip-dhcp-host", "/dev/zero", "--config"],
        vec!["domif-convert", "--to-bridge", "br0", "--file", "/dev/urandom"],
        vec!["validate", "/dev/zero"],
        vec!["--hosts", "/dev/zero", "net-list"],
        vec!["-c", "test:///default", "net-define", "/tmp"],
    ];
    for args in &cases {
        let (code, rss_kib, stderr) = knet_peak_rss(args, Stdio::null());
        let what = format!("{args:?}: exit {code}, {rss_kib} KiB\n{stderr}");
        assert!(code == 1 || code == 2, "{what}");
        assert!(rss_kib < 100 * 1024, "{what}");
        assert!(stderr.contains("character device") || stderr.contains("Is a directory"), "{what}");
    }
    // standard input and pipes stay allowed, and stop at the cap
    for args in [vec!["-c", "test:///default", "net-define", "-"], vec!["domif-convert", "--to-bridge", "br0", "--file", "-"], vec!["validate", "-"]] {
        let zero = std::fs::File::open("/dev/zero").unwrap();
        let (code, rss_kib, stderr) = knet_peak_rss(&args, Stdio::from(zero));
        let what = format!("{args:?} < /dev/zero: exit {code}, {rss_kib} KiB\n{stderr}");
        assert_eq!(code, 1, "{what}");
        assert!(rss_kib < 100 * 1024, "{what}");
        assert!(stderr.contains("larger than 10 MiB"), "{what}");
    }
    let mut yes = Command::new("yes").arg("<network>").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let pipe = Stdio::from(yes.stdout.take().unwrap());
    let (code, rss_kib, stderr) = knet_peak_rss(&["-c", "test:///default", "net-create", "/dev/stdin"], pipe);
    let _ = yes.kill();
    let _ = yes.wait();
    assert_eq!(code, 1, "{stderr}");
    assert!(rss_kib < 100 * 1024 && stderr.contains("larger than 10 MiB"), "{rss_kib} KiB: {stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn laughs(root: &str) -> String {
    let mut ents = String::from("<!ENTITY l0 'lol'>");
    for i in 1..10 {
        ents.push_str(&format!("<!ENTITY l{i} '{}'>", format!("&l{};", i - 1).repeat(10)));
    }
    format!("<?xml version='1.0'?>\n<!DOCTYPE {root} [{ents}]>\n<{root}><name>&l9;</name><devices><interface type='network'><source network='&l9;'/></interface></devices></{root}>\n")
}

#[test]
fn hostile_xml_is_refused_with_bounded_memory() {
    let dir = tempdir_short("knet-hostile");
    let deep = |root: &str, n: usize| format!("<{root}>{}{}</{root}>", "<devices>".repeat(n), "</devices>".repeat(n));
    let cases: Vec<(&str, String, &str)> = vec![
        ("laughs-network", laughs("network"), "DOCTYPE"),
        ("laughs-domain", laughs("domain"), "DOCTYPE"),
        ("deep-network", deep("network", 100_000), "nested more than 256 deep"),
        ("deep-domain", deep("domain", 100_000), "nested more than 256 deep"),
        ("many-nodes", format!("<domain>{}</domain>", "<a/>".repeat(2_100_000)), "nodes limit"),
        ("too-large", format!("<network><name>{}</name></network>", "x".repeat(11 << 20)), "larger than 10 MiB"),
        ("huge-attribute", format!("<domain><name>v</name><devices><interface type='network'><source network='{}'/></interface></devices></domain>", "n".repeat(9 << 20)), ""),
    ];
    for (name, text, why) in &cases {
        let f = dir.join(format!("{name}.xml"));
        std::fs::write(&f, text).unwrap();
        let runs: [Vec<&str>; 2] = [vec!["validate"], vec!["domif-convert", "--to-bridge", "br0", "--file"]];
        for pre in runs {
            let mut c = knet();
            c.args(&pre).arg(&f);
            let (code, rss_kib, stderr) = run_measured(&mut c, Duration::from_secs(120));
            let what = format!("{name} through {pre:?}: exit {code}, {rss_kib} KiB\n{}", &stderr[..stderr.len().min(600)]);
            assert!(code >= 0, "killed by a signal: {what}");
            // memory stays a small multiple of the 10 MiB input cap, whatever the document expands to
            assert!(rss_kib < 400 * 1024, "{what}");
            if !why.is_empty() {
                assert_eq!(code, 1, "{what}");
                assert!(stderr.contains(why), "{what}");
            }
        }
    }
    // the huge attribute is legal XML: the edit handles it and keeps every other byte
    let f = dir.join("huge-attribute.xml");
    let out = run(knet().args(["domif-convert", "--to-bridge", "br0", "--file"]).arg(&f)).ok();
    assert_eq!(out.stdout, cases[6].1.replace("type='network'", "type='bridge'").replace(&format!("<source network='{}'/>", "n".repeat(9 << 20)), "<source bridge='br0'/>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn rules(sb: &Sandbox) -> String {
    sb.exec(&["iptables", "-w", "-t", "nat", "-S", "PREROUTING"]).ok().stdout
}

/// A guest whose name is shell code gets its forward like any other when
/// libvirt runs the hook as root, and the code never runs.
#[test]
fn port_forward_hook_treats_a_hostile_guest_name_as_data() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    let evil = "w';touch${IFS}knet-pwned;'$(touch${IFS}knet-pwned2)";
    let xml = std::fs::read_to_string(sandbox_xml("vm2.xml")).unwrap().replace("<name>vm2</name>", &format!("<name>{}</name>", evil.replace('&', "&amp;")));
    let f = sb.dir.join("evil.xml");
    std::fs::write(&f, xml).unwrap();
    run(sb.virsh().arg("define").arg(&f)).ok();
    let hooks = sb.dir.join("etc/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    sb.knet_in_ns(&["port-forward", evil, "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks.to_str().unwrap()]).ok();
    let hook = hooks.join("qemu.d/knet-port-forward");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777, 0o755);
    let leftovers: Vec<_> = std::fs::read_dir(hook.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "temporary files left beside the hook: {leftovers:?}");

    sb.exec(&["kill", "-HUP", &sb.daemon_pid().to_string()]).ok();
    std::thread::sleep(Duration::from_millis(500));
    run(sb.virsh().args(["start", "--paused", evil])).ok();
    let r = rules(&sb);
    assert!(r.contains("--dport 8080 -j DNAT --to-destination 192.168.122.254:80"), "the hook did not forward for the guest:\n{r}");
    // libvirt runs hooks with the daemon's working directory (/ here); look everywhere it could write
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", sb.daemon_pid())).unwrap();
    for d in [cwd.as_path(), sb.dir.as_path(), hooks.as_path(), Path::new("/")] {
        for f in ["knet-pwned", "knet-pwned2"] {
            assert!(!d.join(f).exists(), "the guest's name ran as code: {}", d.join(f).display());
        }
    }
    run(sb.virsh().args(["destroy", evil])).ok();
    assert!(!rules(&sb).contains("DNAT"), "{}", rules(&sb));
}

/// The file handed to the editor is 0600 in a 0700 directory, and gone after.
#[test]
fn net_edit_hands_the_editor_a_private_file() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    let log = sb.dir.join("editor.log");
    let editor = sb.dir.join("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\nstat -c '%a %U' \"$1\" \"$(dirname \"$1\")\" > '{}'\necho \"$1\" >> '{}'\n", log.display(), log.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(sb.knet().args(["net-edit", "default"]).env("EDITOR", &editor)).ok();
    assert!(out.stdout.contains("Network default XML configuration not changed."), "{}", out.stdout);
    let seen = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(&lines[..2], &["600 root", "700 root"], "{seen}");
    assert!(!Path::new(lines[2]).exists(), "temporary file left behind: {}", lines[2]);
}

/// bridge-config's NetworkManager script (run by the admin as root) keeps
/// each interface name one word, whatever characters the kernel allowed in it.
#[test]
fn bridge_config_script_quotes_interface_names() {
    let dir = tempdir_short("knet-nmcli");
    let (uplink, bridge) = ("e;touch${IFS}p", "`touch${IFS}q`"); // 15 bytes at most
    let out = run(knet().args(["bridge-config", "--uplink", uplink, "--bridge", bridge, "--format", "networkmanager", "--json", "--for-other-host"])).ok();
    let files: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let script = files.as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with("-nmcli.sh")).expect("nmcli script")["content"].as_str().unwrap().to_string();
    // a stand-in nmcli that records its arguments, one per line
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("nmcli"), format!("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done >> '{}'\n", dir.join("args").display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("nmcli"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("script.sh"), &script).unwrap();
    let o = run(Command::new("/bin/sh").arg("script.sh").current_dir(&dir).env("PATH", format!("{}:/usr/bin:/bin", bin.display()))).ok();
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    assert!(!dir.join("p").exists() && !dir.join("q").exists(), "an interface name ran as code:\n{script}");
    let args = std::fs::read_to_string(dir.join("args")).unwrap();
    assert!(args.lines().any(|l| l == uplink) && args.lines().any(|l| l == bridge), "{args}");
    assert!(args.lines().any(|l| l == format!("{bridge}-port-{uplink}")), "{args}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// knet's state directory (recent URIs, shell history, backups) is the
/// user's alone: 0700, files 0600, even when it existed looser.
#[test]
fn state_directory_and_remembered_uris_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let state = tempdir_short("knet-state");
    let knet_dir = state.join("knet");
    std::fs::create_dir_all(&knet_dir).unwrap();
    std::fs::set_permissions(&knet_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    run(knet().args(["-c", "test:///default", "net-list"]).env("XDG_STATE_HOME", &state)).ok();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&knet_dir), 0o700);
    assert_eq!(mode(&knet_dir.join("uris")), 0o600);
    assert_eq!(std::fs::read_to_string(knet_dir.join("uris")).unwrap(), "test:///default\n");
    std::fs::remove_dir_all(&state).unwrap();
}

/// domif-rollback defines what it reads: `--to` reaches only the guest's
/// own backups, whatever path, `..` or symlink it is given.
#[test]
fn rollback_reads_only_the_guests_own_backups() {
    let state = tempdir_short("knet-rb");
    let dir = state.join("knet/backups/test");
    std::fs::create_dir_all(&dir).unwrap();
    let outside = state.join("evil.xml");
    std::fs::write(&outside, "<domain type='test'><name>test</name><memory>1</memory><os><type>hvm</type></os><devices><disk type='block'><source dev='/dev/sda'/><target dev='vda'/></disk></devices></domain>").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link.xml")).unwrap();
    std::fs::create_dir_all(state.join("knet/backups/other")).unwrap();
    std::fs::copy(&outside, state.join("knet/backups/other/x.xml")).unwrap();
    let o = outside.to_str().unwrap().to_string();
    let sibling = dir.join("../other/x.xml").to_str().unwrap().to_string();
    for to in [o.as_str(), "link.xml", "../other/x.xml", sibling.as_str(), "..", "/etc/passwd"] {
        let out = run(knet().args(["-c", "test:///default", "domif-rollback", "test", "--to", to]).env("XDG_STATE_HOME", &state)).code(1);
        assert!(out.stderr.contains("is not a backup of guest 'test'") || out.stderr.contains("cannot open backup"), "--to {to}: {}", out.stderr);
        assert!(!out.stdout.contains("restored"), "{}", out.stdout);
    }
    // a real backup of the guest, by name or by path, is accepted (--force:
    // a file put there by hand has no record of what knet defined)
    let xml = run(virsh().args(["-c", "test:///default", "dumpxml", "test"])).ok().stdout;
    std::fs::write(dir.join("b.xml"), &xml).unwrap();
    for to in ["b.xml", dir.join("b.xml").to_str().unwrap()] {
        let out = run(knet().args(["-c", "test:///default", "domif-rollback", "test", "--force", "--to", to]).env("XDG_STATE_HOME", &state)).ok();
        assert!(out.stdout.contains("Domain 'test' restored from "), "{}", out.stdout);
    }
    std::fs::remove_dir_all(&state).unwrap();
}

/// A target name XML cannot carry (found by the edit fuzzer: the edit wrote
/// it, and the result no longer parsed) is a usage error before anything runs.
#[test]
fn domif_convert_refuses_target_names_xml_cannot_carry() {
    let f = tempdir_short("knet-name").join("g.xml");
    std::fs::write(&f, "<domain><name>g</name><devices><interface type='network'><source network='default'/></interface></devices></domain>").unwrap();
    for (flag, name) in [("--to-bridge", "br\u{1e}0"), ("--to-network", ""), ("--to-bridge", "a\nb")] {
        let out = run(knet().args(["domif-convert", flag, name, "--file"]).arg(&f)).code(2);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(out.stderr.contains("cannot be a bridge or network name"), "{}", out.stderr);
    }
    std::fs::remove_dir_all(f.parent().unwrap()).unwrap();
}

/// The tests' own hygiene: whatever a test runs writes knet's state into
/// this run's private directory (removed at exit), never the tester's
/// ~/.local/state/knet, and temporary directories live inside it.
#[test]
fn tests_keep_state_and_temporary_files_in_their_run_directory() {
    run(knet().args(["-c", "test:///default", "net-list"])).ok();
    let uris = std::fs::read_to_string(state_home().join("knet/uris")).unwrap_or_default();
    assert!(uris.lines().any(|l| l == "test:///default"), "{uris}");
    assert_eq!(std::env::var_os("XDG_STATE_HOME"), Some(state_home().into_os_string()), "children not started through knet() would use the real state directory");
    assert!(tempdir_short("knet-x").starts_with(run_dir()));
    assert!(run_dir().starts_with("/tmp") && run_dir().to_string_lossy().ends_with(&std::process::id().to_string()));
}
