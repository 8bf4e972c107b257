//! Faults a hypervisor admin meets, against a real private libvirtd: the
//! daemon killed or restarted mid-command, a socket knet may not open, a
//! read-only socket, a full disk under the backups, an editor that dies,
//! Ctrl-C in a bulk run. Each test asserts what the user sees, the exit code,
//! and that no network or guest definition was lost or half-written.
//! (The daemon killed mid domif-convert is test_domif_convert's
//! `daemon_killed_mid_bulk_leaves_every_guest_whole_and_a_rerun_finishes`.)

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::test_domif_convert::{converted, define_guests, host, inactive_xml, knet_in, state_dir};
use crate::util::*;

/// A sandbox with the NAT network `default` defined (not started: its
/// persistent config is what the faults must not damage).
fn with_network() -> Sandbox {
    let sb = Sandbox::start();
    run(sb.virsh().args(["net-define", sandbox_xml("default.xml").to_str().unwrap()])).ok();
    sb
}

fn net_config(sb: &Sandbox) -> String {
    run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout
}

fn signal(pid: i32, sig: i32) {
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

/// Wait (bounded: only to turn a hang into a failure) until `pid` has a
/// socket open: knet-libvirt connected to the daemon.
fn wait_connected(pid: u32) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let has_socket = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| d.flatten().any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))))
            .unwrap_or(false);
        if has_socket {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("knet (pid {pid}) never connected");
}

fn finish(child: Child) -> Out {
    Out::from(child.wait_with_output().expect("wait"))
}

/// A host the daemon of which is frozen (SIGSTOP) while knet talks to it,
/// then killed: knet must fail with libvirt's own words, exit 1, and the
/// network must be exactly as before once the daemon is back.
#[test]
fn daemon_killed_during_net_update_reports_and_changes_nothing() {
    let sb = with_network();
    let before = net_config(&sb);
    let host_xml = "<host mac='52:54:00:00:00:99' name='h99' ip='192.168.122.99'/>";

    // 1. one-shot: the daemon dies while knet waits for its answer
    let pid = sb.daemon_pid();
    signal(pid, libc::SIGSTOP);
    let child = sb.knet().args(["net-update", "default", "add-last", "ip-dhcp-host", host_xml, "--config"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_connected(child.id());
    signal(pid, libc::SIGKILL);
    let out = finish(child).code(1);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("End of file") || out.stderr.contains("Cannot recv data") || out.stderr.contains("Connection reset"), "no libvirt reason given:\n{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    sb.restart_daemon();
    assert_eq!(net_config(&sb), before, "network changed by a failed update");

    // 2. in the middle of a session: the update RPC itself is in flight when the daemon dies
    let mut shell = sb.knet().arg("shell").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = shell.stdin.take().unwrap();
    let mut lines = BufReader::new(shell.stdout.take().unwrap()).lines();
    writeln!(input, "net-uuid default").unwrap();
    let uuid = lines.next().unwrap().unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    let pid = sb.daemon_pid();
    signal(pid, libc::SIGSTOP);
    writeln!(input, "net-update default add-last ip-dhcp-host \"{host_xml}\" --config").unwrap();
    input.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    signal(pid, libc::SIGKILL);
    drop(input);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = Out::from(shell.wait_with_output().unwrap());
    assert_ne!(out.code, 0, "{rest:?}");
    assert!(!rest.iter().any(|l| l.contains("Updated network")), "{rest:?}");
    // the lookup or the update itself is in flight when the daemon dies
    assert!(out.stderr.contains("error: Failed to update network default") || out.stderr.contains("error: failed to get network 'default'"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    // restarted: the definition is whole (the update is all there or not at all) and a retry works
    sb.restart_daemon();
    let now = net_config(&sb);
    assert!(now == before || validate_ok(&now) && now.contains("52:54:00:00:00:99"), "half-written network:\n{now}");
    if now == before {
        run(sb.knet().args(["net-update", "default", "add-last", "ip-dhcp-host", host_xml, "--config"])).ok();
    }
    assert!(net_config(&sb).contains("<host mac='52:54:00:00:00:99' name='h99' ip='192.168.122.99'/>"));
}

fn validate_ok(xml: &str) -> bool {
    let f = tempdir_short("knet-faults").join("net.xml");
    std::fs::write(&f, xml).unwrap();
    let ok = run(knet().args(["validate", f.to_str().unwrap()])).code == 0;
    std::fs::remove_file(&f).unwrap();
    ok
}

/// An editor (a script) that makes a real change, then waits on a fifo.
fn blocking_editor(dir: &Path) -> (PathBuf, PathBuf) {
    let fifo = dir.join("editor.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let editor = dir.join("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\nsed -i \"s/<range start='192.168.122.2'/<range start='192.168.122.50'/\" \"$1\"\ncat '{}' >/dev/null\n", fifo.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    (editor, fifo)
}

#[test]
fn daemon_killed_while_the_editor_is_open_keeps_the_edit_and_the_network() {
    let sb = with_network();
    let before = net_config(&sb);
    assert!(before.contains("<range start='192.168.122.2'"), "{before}");
    let (editor, fifo) = blocking_editor(&sb.dir);
    let child = sb.knet().args(["net-edit", "default"]).env("EDITOR", &editor).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // the editor is waiting once the fifo has a reader
    let start = Instant::now();
    let mut w = loop {
        match std::fs::OpenOptions::new().write(true).custom_flags_nonblock().open(&fifo) {
            Ok(f) => break f,
            Err(_) if start.elapsed() < Duration::from_secs(30) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("editor never opened its fifo: {e}"),
        }
    };
    signal(sb.daemon_pid(), libc::SIGKILL);
    w.write_all(b"done\n").unwrap();
    drop(w);
    let out = finish(child).code(1);
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stderr.contains("left unchanged; your edited XML is kept in "), "{}", out.stderr);
    // the admin's edit survives, private to them
    let kept = out.stderr.rsplit("kept in ").next().unwrap().trim();
    let text = std::fs::read_to_string(kept).expect("kept file");
    assert!(text.contains("<range start='192.168.122.50'"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(kept).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(Path::new(kept).parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
    std::fs::remove_dir_all(Path::new(kept).parent().unwrap()).unwrap();

    sb.restart_daemon();
    assert_eq!(net_config(&sb), before, "network changed though the edit failed");
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}
impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        // a write-open of a fifo fails (ENXIO) instead of blocking while nobody reads
        self.custom_flags(libc::O_NONBLOCK)
    }
}

#[test]
fn an_editor_killed_by_a_signal_changes_nothing() {
    let sb = with_network();
    let before = net_config(&sb);
    let editor = sb.dir.join("killer.sh");
    // edits the file, then dies before it could say it was done
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/192.168.122.2/192.168.122.77/' \"$1\"\nkill -KILL $$\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(sb.knet().args(["net-edit", "default"]).env("VISUAL", &editor)).code(1);
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    // virsh's words (libvirt's virCommandWait), and no "edited" line
    assert!(out.stderr.contains(&format!("error: internal error: Child process ({} ", editor.display())), "{}", out.stderr);
    assert!(out.stderr.contains(") unexpected fatal signal 9\n"), "{}", out.stderr);
    assert_eq!(net_config(&sb), before);
}

/// knet run as `nobody` against the daemon's socket (its directory is the
/// sandbox's, root's): libvirt's "Permission denied", exit 1, as virsh.
#[test]
fn socket_permission_denied_is_libvirts_error_like_virsh() {
    let sb = with_network();
    let before = net_config(&sb);
    let as_nobody = |prog: &str, args: &[&str]| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(prog)
            .args(["-c", &sb.uri])
            .args(args)
            .env_clear()
            .env("LC_ALL", "C")
            .env("PATH", "/usr/bin:/bin")
            .env("XDG_STATE_HOME", "/nonexistent")
            .env("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt"));
        run(&mut c)
    };
    for args in [&["net-list", "--all"][..], &["net-undefine", "default"][..]] {
        let k = as_nobody(env!("CARGO_BIN_EXE_knet"), args);
        let v = as_nobody("virsh", args);
        assert_eq!(k.code, 1, "{k:?}");
        assert_eq!((k.code, &k.stdout), (v.code, &v.stdout), "{args:?}");
        assert!(k.stderr.contains("Permission denied"), "{}", k.stderr);
        assert!(k.stderr.starts_with("error: failed to connect to the hypervisor\n"), "{}", k.stderr);
        assert_eq!(k.stderr.trim_end(), v.stderr.trim_end(), "{args:?}");
    }
    assert_eq!(net_config(&sb), before);
}

/// The daemon's read-only socket: reads work (with or without -r), every
/// write fails with libvirt's read-only error and changes nothing.
#[test]
fn read_only_socket_and_dash_r_allow_reads_and_refuse_every_write() {
    let sb = with_network();
    run(sb.virsh().args(["net-start", "default"])).ok();
    let before = net_config(&sb);
    let ro_uri = sb.uri.replace("/libvirt-sock", "/libvirt-sock-ro");
    assert_ne!(ro_uri, sb.uri);
    let f = sb.dir.join("n2.xml");
    std::fs::write(&f, before.replace("<name>default</name>", "<name>n2</name>").replace(&uuid_line(&before), "")).unwrap();
    let host_xml = "<host mac='52:54:00:00:00:98' ip='192.168.122.98'/>";
    let writes: Vec<Vec<&str>> = vec![
        vec!["net-define", f.to_str().unwrap()],
        vec!["net-destroy", "default"],
        vec!["net-undefine", "default"],
        vec!["net-autostart", "default"],
        vec!["net-update", "default", "add-last", "ip-dhcp-host", host_xml, "--config"],
        vec!["net-dhcp-host", "default", "add", "--mac", "52:54:00:00:00:98", "--name", "h98"],
    ];
    for (uri, flag) in [(&ro_uri, Some("-r")), (&sb.uri, Some("-r")), (&ro_uri, None)] {
        let knet_ro = |args: &[&str]| {
            let mut c = knet();
            c.args(["-c", uri]);
            c.args(flag);
            c.args(args);
            run(&mut c)
        };
        // without -r on the read-only socket, the daemon makes the connection read-only itself
        let list = knet_ro(&["net-list", "--all"]).ok();
        assert!(list.stdout.contains(" default "), "{}", list.stdout);
        knet_ro(&["net-dumpxml", "default"]).ok();
        for w in &writes {
            let out = knet_ro(w).code(1);
            assert!(out.stderr.contains("read only access prevents"), "{w:?} under -r:\n{}", out.stderr);
            assert!(!out.stdout.contains("defined") && !out.stdout.contains("Updated"), "{}", out.stdout);
        }
    }
    assert_eq!(net_config(&sb), before);
    assert!(run(sb.virsh().args(["net-list", "--all"])).ok().stdout.contains(" default   active"));
}

fn uuid_line(xml: &str) -> String {
    xml.lines().find(|l| l.contains("<uuid>")).map(|l| format!("{l}\n")).unwrap_or_default()
}

/// A small tmpfs mounted over a directory of the test's own; unmounted on
/// drop, also when the test panics.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let o = run(Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "knet-test-full"]).arg(dir));
        assert_eq!(o.code, 0, "mount tmpfs: {}", o.stderr);
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_for_backups_leaves_guests_untouched() {
    let sb = host();
    let names = define_guests(&sb, 3);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let state = sb.dir.join("full-state");
    let _fs = Tmpfs::mount(&state, "64k");
    // backups directory exists, the disk under it is full
    std::fs::create_dir_all(state.join("knet/backups")).unwrap();
    let filler = state.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    drop(f);

    let out = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).code(1);
    assert_eq!(out.stdout.matches("No space left on device (os error 28); not touched").count(), 3, "{}", out.stdout);
    assert!(!out.stdout.contains(" converted\n"), "{}", out.stdout);
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), b, "{n} changed without a backup");
    }
    // no truncated backup left for domif-rollback to pick up
    for n in &names {
        let left: Vec<_> = std::fs::read_dir(state.join("knet/backups").join(n)).map(|d| d.flatten().collect()).unwrap_or_default();
        assert!(left.is_empty(), "{n}: {left:?}");
        run(knet_in(&sb, &state).args(["domif-rollback", n])).code(1);
    }

    // room again: the same command converts them all
    std::fs::remove_file(&filler).unwrap();
    run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(inactive_xml(&sb, n), converted(b));
    }
}

/// How many guests libvirt has written with a NIC on br0: a conversion is
/// under way once some are (its backups are all written before that).
fn on_br0(sb: &Sandbox) -> usize {
    let configs = sb.dir.join("etc/qemu");
    let is_on = |e: &std::fs::DirEntry| e.path().extension().is_some_and(|x| x == "xml") && std::fs::read_to_string(e.path()).is_ok_and(|x| x.contains("<source bridge='br0'/>"));
    std::fs::read_dir(configs).map(|d| d.flatten().filter(is_on).count()).unwrap_or(0)
}

/// Ctrl-C (SIGINT to the knet process) in the middle of converting 50
/// guests: it stops between two guests, says what it did, exits 130; every
/// guest is converted or untouched, and a rerun finishes the rest.
#[test]
fn ctrl_c_during_a_bulk_conversion_stops_between_guests() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 50);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let child = knet_in(&sb, &state)
        .args(["domif-convert", "--all", "--to-bridge", "br0", "--yes", "--jobs", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let start = Instant::now();
    while on_br0(&sb) < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "conversion never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(pid, libc::SIGINT);
    let out = finish(child).code(130);
    let done = out.stdout.matches(" converted\n").count();
    let not_started = out.stdout.matches("not started (Ctrl-C)").count();
    assert!((3..50).contains(&done), "{done} converted:\n{}", out.stdout);
    assert_eq!(done + not_started, 50, "every guest is either converted or not started:\n{}", out.stdout);
    assert!(out.stderr.contains(&format!("Interrupted: {done} guest(s) converted, {not_started} not started")), "{}", out.stderr);
    assert!(out.stderr.ends_with("error: interrupted by Ctrl-C\n"), "{}", out.stderr);

    let mut converted_now = 0;
    for (n, b) in names.iter().zip(&before) {
        let now = inactive_xml(&sb, n);
        if now == converted(b) {
            converted_now += 1;
            assert!(out.stdout.contains(&format!("{n} ")), "{n} converted but not reported");
        } else {
            assert_eq!(&now, b, "{n}: half-converted");
        }
    }
    assert_eq!(converted_now, done, "report and libvirt disagree");
    let backed_up = std::fs::read_dir(state.join("knet/backups")).unwrap().count();
    assert_eq!(backed_up, done, "a backup for a guest that was not converted");

    let rerun = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    assert_eq!(rerun.stdout.matches(" converted\n").count(), 50 - done, "{}", rerun.stdout);
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(inactive_xml(&sb, n), converted(b), "{n}");
    }
}

/// Ctrl-C in a bulk domif-rollback: the guests restored so far are listed,
/// the rest named as not started, exit 130; each guest is wholly one or the
/// other.
#[test]
fn ctrl_c_during_a_bulk_rollback_stops_between_guests() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 50);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    // libvirt rewrites a guest's config file on each define: count the rewrites
    let configs = sb.dir.join("etc/qemu");
    let t0 = std::time::SystemTime::now();
    let rewritten = || {
        std::fs::read_dir(&configs).map(|d| d.flatten().filter(|e| e.metadata().and_then(|m| m.modified()).is_ok_and(|m| m > t0)).count()).unwrap_or(0)
    };
    let child = knet_in(&sb, &state).arg("domif-rollback").args(&names).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while rewritten() < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "rollback never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(child.id() as i32, libc::SIGINT);
    let out = finish(child).code(130);
    let restored = out.stdout.matches(" restored from ").count();
    assert!((3..50).contains(&restored), "{restored} restored:\n{}", out.stdout);
    assert!(out.stderr.contains(&format!("Interrupted: {restored} of 50 guest(s) handled; not started: {}", names[restored..].join(" "))), "{}", out.stderr);
    assert!(out.stderr.ends_with("error: interrupted by Ctrl-C\n"), "{}", out.stderr);
    for (k, (n, b)) in names.iter().zip(&before).enumerate() {
        let want = if k < restored { b.clone() } else { converted(b) };
        assert_eq!(inactive_xml(&sb, n), want, "{n}");
    }
}

/// Ctrl-C while the editor is open reaches knet too (one process group):
/// knet outlives it, defines nothing, keeps the edit, exits 130.
#[test]
fn ctrl_c_while_the_editor_is_open_defines_nothing_and_keeps_the_edit() {
    let sb = with_network();
    let before = net_config(&sb);
    let editor = sb.dir.join("ctrl-c.sh");
    // the terminal's Ctrl-C: SIGINT to knet; this editor lets it pass and saves
    std::fs::write(&editor, "#!/bin/sh\ntrap '' INT\nsed -i 's/192.168.122.2/192.168.122.66/' \"$1\"\nkill -INT $PPID\nsleep 0.2\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(sb.knet().args(["net-edit", "default"]).env("EDITOR", &editor)).code(130);
    assert!(out.stderr.contains("Interrupted: network default left unchanged; your edited XML is kept in "), "{}", out.stderr);
    assert!(out.stderr.ends_with("error: interrupted by Ctrl-C\n"), "{}", out.stderr);
    let kept = out.stderr.lines().find_map(|l| l.split("kept in ").nth(1)).unwrap().trim().to_string();
    assert!(std::fs::read_to_string(&kept).unwrap().contains("192.168.122.66"));
    std::fs::remove_dir_all(Path::new(&kept).parent().unwrap()).unwrap();
    assert_eq!(net_config(&sb), before, "defined despite Ctrl-C");
}

/// Ctrl-C in a conversion over two hosts at once: every host stops between
/// two guests, exit 130, each guest on each host wholly converted or not.
#[test]
fn ctrl_c_during_a_fleet_conversion_stops_every_host_between_guests() {
    let hosts = [host(), host()];
    let names: Vec<Vec<String>> = hosts.iter().map(|sb| define_guests(sb, 40)).collect();
    let before: Vec<Vec<String>> = hosts.iter().zip(&names).map(|(sb, ns)| ns.iter().map(|n| inactive_xml(sb, n)).collect()).collect();
    let state = state_dir(&hosts[0]);
    let mut c = knet();
    for sb in &hosts {
        c.args(["-c", &sb.uri]);
    }
    let child = c
        .env("XDG_STATE_HOME", &state)
        .args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while hosts.iter().map(on_br0).sum::<usize>() < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "conversion never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(child.id() as i32, libc::SIGINT);
    let out = finish(child).code(130);
    let reported = out.stdout.matches(" converted\n").count();
    let not_started = out.stdout.matches("not started (Ctrl-C)").count();
    assert!(not_started > 0 && reported > 0, "{}", out.stdout);
    assert!(out.stderr.contains(&format!("Interrupted: {reported} guest(s) converted, {not_started} not started")), "{}\n{}", out.stdout, out.stderr);
    let mut converted_now = 0;
    for (h, sb) in hosts.iter().enumerate() {
        for (n, b) in names[h].iter().zip(&before[h]) {
            let now = inactive_xml(sb, n);
            if now == converted(b) {
                converted_now += 1;
            } else {
                assert_eq!(&now, b, "host {h} {n}: half-converted");
            }
        }
    }
    assert_eq!(converted_now, reported, "report and libvirt disagree\n{}", out.stdout);
}

/// The daemon restarts between two commands of a session: the next command
/// reconnects by itself (virsh's message) and works, and the session goes on.
#[test]
fn the_shell_reconnects_after_a_daemon_restart() {
    let sb = with_network();
    let mut shell = sb.knet().args(["--timeout", "5", "shell"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = shell.stdin.take().unwrap();
    let mut lines = BufReader::new(shell.stdout.take().unwrap()).lines();
    writeln!(input, "net-uuid default").unwrap();
    let uuid = lines.next().unwrap().unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    sb.stop_daemon();
    sb.restart_daemon();
    writeln!(input, "net-uuid default").unwrap();
    writeln!(input, "net-list --all").unwrap();
    drop(input);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = Out::from(shell.wait_with_output().unwrap());
    assert_eq!(out.code, 0, "{rest:?}\n{}", out.stderr);
    assert!(rest.contains(&uuid), "{rest:?}\n{}", out.stderr);
    assert!(rest.iter().any(|l| l.starts_with(" default ")), "{rest:?}");
    assert_eq!(out.stderr, "error: Reconnected to the hypervisor\n");
}

/// Ctrl-C while knet waits for a daemon that never answers: it ends at
/// once, not after the deadline, and changes nothing.
#[test]
fn ctrl_c_while_connecting_to_a_frozen_daemon() {
    let sb = host();
    let names = define_guests(&sb, 2);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let state = state_dir(&sb);
    for args in [&["net-list"][..], &["domif-convert", "--all", "--to-bridge", "br0", "--yes"]] {
        let frozen = Frozen::new(sb.daemon_pid());
        let child = knet_in(&sb, &state).args(["--timeout", "600"]).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        wait_connected(child.id());
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        signal(child.id() as i32, libc::SIGINT);
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(child.wait_with_output()).unwrap());
        let Ok(o) = rx.recv_timeout(Duration::from_secs(20)) else {
            signal(pid as i32, libc::SIGKILL);
            panic!("{args:?}: Ctrl-C did not end the connection attempt");
        };
        let o = o.unwrap();
        // killed by SIGINT (no guard yet), or 130 after reporting
        assert!(o.status.code().map_or(true, |c| c == 130), "{args:?}: {o:?}");
        assert!(start.elapsed() < Duration::from_secs(20));
        drop(frozen);
    }
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), b);
    }
}

/// Ctrl-C while a call to a host that stopped answering is in flight: knet
/// says at once that it stops after the current step; a second Ctrl-C ends
/// it without waiting for the deadline, listing what it had changed.
#[test]
fn ctrl_c_twice_while_a_frozen_host_blocks_a_conversion() {
    let sb = host();
    let names = define_guests(&sb, 60);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let state = state_dir(&sb);
    let child = knet_in(&sb, &state).args(["--timeout", "600", "domif-convert", "--all", "--to-bridge", "br0", "--yes"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id() as i32;
    let start = Instant::now();
    while on_br0(&sb) < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "conversion never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    let frozen = Frozen::new(sb.daemon_pid());
    std::thread::sleep(Duration::from_millis(300));
    signal(pid, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(1500));
    signal(pid, libc::SIGINT);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()).unwrap());
    let Ok(o) = rx.recv_timeout(Duration::from_secs(20)) else {
        signal(pid, libc::SIGKILL);
        panic!("a second Ctrl-C did not end knet");
    };
    let out = Out::from(o.unwrap()).code(130);
    drop(frozen);
    assert!(out.stderr.contains("Stopping after the current step"), "{}", out.stderr);
    assert!(out.stderr.contains("Interrupted again: quitting without waiting"), "{}", out.stderr);
    let listed: Vec<&str> = out.stderr.lines().filter(|l| l.contains(" converted (")).collect();
    assert!(!listed.is_empty(), "{}", out.stderr);
    for (n, b) in names.iter().zip(&before) {
        let now = inactive_xml(&sb, n);
        if listed.iter().any(|l| l.contains(&format!("guest '{n}' converted"))) {
            assert_eq!(now, converted(b), "{n} reported converted");
        } else {
            assert!(now == *b || now == converted(b), "{n}: half-converted");
        }
    }
}

/// A conversion that cannot be made writes no backup: with -r it is refused
/// before anything is written; on the read-only socket libvirt refuses each
/// define, and the backup taken for it is removed again. --dry-run works.
#[test]
fn read_only_conversions_leave_no_backup() {
    let sb = host();
    let names = define_guests(&sb, 2);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let state = state_dir(&sb);
    let ro_uri = sb.uri.replace("/libvirt-sock", "/libvirt-sock-ro");
    let backups = || -> Vec<String> {
        let mut v = Vec::new();
        for d in std::fs::read_dir(state.join("knet/backups")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default() {
            v.extend(std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.path().display().to_string()));
        }
        v
    };
    for (uri, flag) in [(&sb.uri, Some("-r")), (&ro_uri, Some("-r")), (&ro_uri, None)] {
        let mut c = knet();
        c.env("XDG_STATE_HOME", &state).args(["-c", uri]).args(flag);
        let out = run(c.args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).code(1);
        if flag.is_some() {
            assert!(out.stderr.contains("read-only (-r)") && out.stderr.contains("nothing was changed"), "{}", out.stderr);
        } else {
            assert_eq!(out.stdout.matches("read only access prevents").count(), 2, "{}", out.stdout);
        }
        assert_eq!(backups(), Vec::<String>::new(), "{uri} {flag:?}: a backup of a change that was not made");
        let mut c = knet();
        c.env("XDG_STATE_HOME", &state).args(["-c", uri]).args(flag);
        let out = run(c.args(["domif-convert", "--all", "--to-bridge", "br0", "--dry-run"])).ok();
        assert!(out.stdout.contains("+    <interface type='bridge'>"), "{}", out.stdout);
    }
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), b);
    }
}

/// The daemon dies in the middle of a bulk rollback: the rest are "not
/// started", the summary names the command that finishes, and that command
/// (once the daemon is back) restores every guest.
#[test]
fn daemon_killed_mid_rollback_reports_and_a_rerun_finishes() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 50);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    let pid = sb.daemon_pid();
    let backups = state.join("knet/backups");
    // a rollback's own copies appear as a second .xml in a guest's directory
    let watcher = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let copies = std::fs::read_dir(&backups).map(|d| d.flatten().filter(|g| std::fs::read_dir(g.path()).map(|f| f.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "xml")).count()).unwrap_or(0) >= 2).count()).unwrap_or(0);
            if copies >= 3 {
                signal(pid, libc::SIGKILL);
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    });
    let out = run(knet_in(&sb, &state).arg("domif-rollback").args(&names));
    assert!(watcher.join().unwrap(), "the rollback never started");
    assert_eq!(out.code, 1, "{out:?}");
    let restored = out.stdout.matches(" restored from ").count();
    assert!(out.stderr.contains(&format!("Rollback: {restored} restored")), "{}", out.stderr);
    assert!(out.stderr.contains("not started (the connection was lost); to finish, run: knet domif-rollback "), "{}", out.stderr);
    // the finishing command names exactly the guests not reported restored
    let finish: Vec<&str> = out.stderr.split("to finish, run: knet domif-rollback ").nth(1).unwrap().split_whitespace().collect();
    for n in &names {
        let done = out.stdout.contains(&format!("Domain '{n}' restored from "));
        assert_ne!(done, finish.contains(&n.as_str()), "{n}: {}", out.stderr);
    }
    sb.restart_daemon();
    for (n, b) in names.iter().zip(&before) {
        let now = inactive_xml(&sb, n);
        assert!(now == *b || now == converted(b), "{n}: half-restored");
    }
    // the daemon restarted in a fresh namespace: the bridges come back as a host's would
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(knet_in(&sb, &state).arg("domif-rollback").args(&names)).ok();
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), b, "{n} after the rerun");
    }
}

/// SIGTERM (a shutdown, `kill`) in the middle of a bulk conversion is taken
/// like Ctrl-C: the run stops between two guests, reports what it converted
/// and what it did not start, and exits 128 + 15; no guest is left with its
/// config changed and nothing said.
#[test]
fn sigterm_during_a_bulk_conversion_stops_between_guests_and_reports() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 30);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let child = knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while on_br0(&sb) < 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "conversion never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(child.id() as i32, libc::SIGTERM);
    let out = finish(child).code(128 + libc::SIGTERM);
    let done = out.stdout.matches(" converted\n").count();
    let not_started = out.stdout.matches("not started (SIGTERM)").count();
    assert!((2..30).contains(&done), "{done} converted:\n{}", out.stdout);
    assert_eq!(done + not_started, 30, "{}", out.stdout);
    assert!(out.stderr.contains(&format!("Interrupted: {done} guest(s) converted, {not_started} not started")), "{}", out.stderr);
    assert!(out.stderr.ends_with("error: interrupted by SIGTERM\n"), "{}", out.stderr);
    let converted_now = names.iter().zip(&before).filter(|(n, b)| {
        let now = inactive_xml(&sb, n);
        assert!(now == **b || now == converted(b), "{n}: half-converted");
        now != **b
    });
    assert_eq!(converted_now.count(), done, "report and libvirt disagree");
}

/// Two admins convert the same guests at the same moment: each guest ends
/// converted once (never a half or doubled NIC), each run reports only what
/// it did, and one rollback puts every guest back as it was.
#[test]
fn two_conversions_of_the_same_guests_at_once_agree_with_libvirt() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 24);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let spawn = || knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(), spawn());
    let (a, b) = (finish(a), finish(b));
    for out in [&a, &b] {
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(out.code == 0 || out.code == 1, "{out:?}");
    }
    for (n, orig) in names.iter().zip(&before) {
        assert_eq!(inactive_xml(&sb, n), converted(orig), "{n}\nA:\n{}\nB:\n{}", a.stdout, b.stdout);
        let said = |o: &Out| o.stdout.lines().any(|l| l.starts_with(&format!(" {n} ")) && l.ends_with(" converted"));
        assert!(said(&a) || said(&b), "{n} converted but neither run says so\nA:\n{}\nB:\n{}", a.stdout, b.stdout);
    }
    let back = run(knet_in(&sb, &state).args(["domif-rollback", "--all", "--yes"]));
    assert_eq!(back.code, 0, "{back:?}");
    for (n, orig) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), orig, "{n} after the rollback");
    }
}

/// Install libvirt hooks (network and qemu) that stop the daemon itself
/// (SIGSTOP to their parent) in the middle of an operation, once for each
/// `DIR/etc/freeze-OP` file the test creates (holding how many such
/// operations to let pass first): the daemon hangs at a known
/// point inside a change, the way a host stops answering half-way. The
/// daemon reads its hooks at start, so it is restarted here.
fn with_freezing_hooks(sb: &Sandbox) {
    use std::os::unix::fs::PermissionsExt;
    let hooks = sb.dir.join("etc/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for h in ["network", "qemu"] {
        let p = hooks.join(h);
        // the file holds how many calls to let pass first (empty: none)
        std::fs::write(&p, "#!/bin/sh\nf=\"/etc/libvirt/freeze-$2\"\n[ -e \"$f\" ] || exit 0\nn=$(cat \"$f\")\nif [ \"${n:-0}\" -gt 0 ]; then echo $((n - 1)) >\"$f\"; exit 0; fi\nrm -f \"$f\"\nkill -STOP $PPID\nexit 0\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    sb.stop_daemon();
    sb.restart_daemon();
}

/// The daemon stops answering while it carries out a change (frozen by its
/// own hook, after the request arrived): knet ends within --timeout plus a
/// little, exits 1, and says the change may or may not have been made,
/// which is the truth: once the daemon runs again the change is there. A
/// bare "Failed to start network" (virsh's words) would claim it was not.
#[test]
fn a_daemon_frozen_in_the_middle_of_a_change_is_reported_as_maybe_done() {
    let sb = with_network();
    with_freezing_hooks(&sb);
    let arm = |op: &str| std::fs::write(sb.dir.join(format!("etc/freeze-{op}")), "").unwrap();
    let n3 = sb.dir.join("n3.xml");
    std::fs::write(&n3, "<network><name>n3</name><bridge name='virbr3'/><ip address='192.168.133.1' netmask='255.255.255.0'/></network>").unwrap();
    let note = "error: the connection was lost before libvirt answered: the change may or may not have been made";
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("start", vec!["net-start", "default"], "error: Failed to start network default\n"),
        ("start", vec!["net-create", n3.to_str().unwrap()], "error: Failed to create network from "),
        ("updated", vec!["net-dhcp-host", "default", "add", "--mac", "52:54:00:00:00:98", "--ip", "192.168.122.98"], "error: Failed to update network default\n"),
    ];
    for (op, args, first) in cases {
        arm(op);
        let pid = sb.daemon_pid();
        let (out, took) = run_within(sb.knet().args(["--timeout", "2"]).args(&args), Duration::from_secs(30));
        // the hook stopped the daemon; it runs again at the end of this round
        let _thaw = Frozen(pid);
        let out = out.code(1);
        assert!(took < Duration::from_secs(2 + 6), "{args:?} took {took:?}");
        assert!(out.stderr.starts_with(first), "{args:?}:\n{}", out.stderr);
        assert!(out.stderr.contains(note), "{args:?} says nothing about the lost answer:\n{}", out.stderr);
        assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    }
    // a --replace is two changes: the first one made, the second's answer
    // lost; both are said, in order
    std::fs::write(sb.dir.join("etc/freeze-updated"), "1").unwrap();
    let pid = sb.daemon_pid();
    let (out, took) = run_within(sb.knet().args(["--timeout", "2", "net-dhcp-host", "default", "add", "--mac", "52:54:00:00:00:97", "--ip", "192.168.122.98", "--replace"]), Duration::from_secs(30));
    let thaw = Frozen(pid);
    let out = out.code(1);
    assert!(took < Duration::from_secs(2 + 6), "{took:?}");
    assert!(
        out.stderr.starts_with("error: network default partly changed: <host mac='52:54:00:00:00:98' ip='192.168.122.98'/> removed (live state and persistent config); then\nerror: Failed to update network default\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(note), "{}", out.stderr);
    drop(thaw);
    // running again, the daemon finished what it was asked: "may have been made" was right
    let list = run(sb.virsh().args(["net-list", "--all"])).ok().stdout;
    assert!(list.contains(" default   active") && list.contains(" n3        active"), "{list}");
    assert!(net_config(&sb).contains("<host mac='52:54:00:00:00:97' ip='192.168.122.98'/>"));
    // a change libvirt refuses still reads as virsh's, with no such note
    let out = run(sb.knet().args(["net-start", "default"])).code(1);
    assert!(!out.stderr.contains("may or may not"), "{}", out.stderr);
}

/// A session whose daemon stops answering: the command in flight ends
/// within --timeout plus a little with libvirt's keepalive error, nothing is
/// changed, and the session stays usable: once the daemon answers again the
/// next command reconnects and works.
#[test]
fn a_frozen_daemon_ends_the_shells_command_not_the_shell() {
    let sb = with_network();
    let before = net_config(&sb);
    let f = sb.dir.join("n2.xml");
    std::fs::write(&f, "<network><name>n2</name><bridge name='virbr2'/></network>").unwrap();
    let mut shell = sb.knet().args(["--timeout", "2", "shell"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = shell.id() as i32;
    let mut input = shell.stdin.take().unwrap();
    let mut lines = BufReader::new(shell.stdout.take().unwrap()).lines();
    writeln!(input, "net-uuid default").unwrap();
    let uuid = lines.next().unwrap().unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_eq!(lines.next().unwrap().unwrap(), "", "net-uuid's closing blank line");
    let frozen = Frozen::new(sb.daemon_pid());
    let start = Instant::now();
    writeln!(input, "net-define {}", f.display()).unwrap();
    // net-define's result (its blank line on failure) marks the command's end
    writeln!(input, "net-name {uuid}").unwrap();
    input.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // the define's line on stdout, then net-name's (after a reconnect attempt that times out)
    let first = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| {
        signal(pid, libc::SIGKILL);
        panic!("the shell's command never ended");
    });
    assert!(start.elapsed() < Duration::from_secs(2 + 6), "{:?}", start.elapsed());
    assert_eq!(first, "", "net-define printed {first:?}");
    drop(frozen);
    // the daemon answers again: the session goes on
    writeln!(input, "net-uuid default").unwrap();
    drop(input);
    let rest: Vec<String> = rx.iter().collect();
    let out = Out::from(shell.wait_with_output().unwrap());
    assert!(rest.contains(&uuid), "{rest:?}\n{}", out.stderr);
    assert!(out.stderr.starts_with("error: Failed to define network from "), "{rest:?}\n{}", out.stderr);
    assert!(out.stderr.contains("error: Reconnected to the hypervisor"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(net_config(&sb), before);
    assert!(!run(sb.virsh().args(["net-list", "--all"])).ok().stdout.contains("n2"));
}

/// The daemon stops answering while net-edit's editor is open (the editor
/// freezes it): after the editor, knet fails within --timeout plus a little,
/// keeps the edit, says the network was left unchanged, and it was.
#[test]
fn a_daemon_frozen_while_the_editor_is_open_keeps_the_edit() {
    let sb = with_network();
    let before = net_config(&sb);
    let editor = sb.dir.join("freezer.sh");
    std::fs::write(&editor, format!("#!/bin/sh\nsed -i 's/192.168.122.2/192.168.122.55/' \"$1\"\nkill -STOP {}\n", sb.daemon_pid())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (out, took) = run_within(sb.knet().args(["--timeout", "2", "net-edit", "default"]).env("EDITOR", &editor), Duration::from_secs(30));
    let _thaw = Frozen(sb.daemon_pid());
    let out = out.code(1);
    assert!(took < Duration::from_secs(2 + 6), "{took:?}");
    // the keepalive gives up during the call, or (on a loaded machine) already before it
    assert!(out.stderr.contains("keepalive timeout") || out.stderr.contains("client socket is closed"), "{}", out.stderr);
    assert!(out.stderr.contains("Failed. Network default left unchanged; your edited XML is kept in "), "{}", out.stderr);
    let kept = out.stderr.rsplit("kept in ").next().unwrap().trim();
    assert!(std::fs::read_to_string(kept).unwrap().contains("192.168.122.55"));
    drop(_thaw);
    assert_eq!(net_config(&sb), before);
}

/// An editor that deletes net-edit's file: nothing to define, and knet says
/// the network was left unchanged (not just that a file is missing).
#[test]
fn an_editor_that_deletes_the_file_changes_nothing_and_says_so() {
    let sb = with_network();
    let before = net_config(&sb);
    let editor = sb.dir.join("rm.sh");
    std::fs::write(&editor, "#!/bin/sh\nrm -f \"$1\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(sb.knet().args(["net-edit", "default"]).env("EDITOR", &editor)).code(1);
    assert!(out.stderr.starts_with("error: the editor removed ") && out.stderr.contains("; network default left unchanged"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(net_config(&sb), before);
}

/// A FIFO or pipe whose writer never writes nor closes (`net-define FIFO`
/// while the producer hangs; `hung | knet net-define -`): knet gives up at
/// the --timeout deadline with a clear error instead of waiting for ever.
#[test]
fn a_silent_writer_on_a_fifo_or_pipe_ends_at_the_deadline() {
    let dir = tempdir_short("knet-fifo");
    let fifo = dir.join("net.xml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // the writer: open for as long as this lives, never writing
    let writer = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    for cmd in [&["net-define"][..], &["net-create"], &["validate"]] {
        let (out, took) = run_within(knet().args(["-c", "test:///default", "--timeout", "1"]).args(cmd).arg(&fifo), Duration::from_secs(20));
        assert_ne!(out.code, 0, "{cmd:?}: {out:?}");
        assert!(out.stderr.contains(&fifo.display().to_string()) && out.stderr.contains("no end of input within 1 s (--timeout)"), "{cmd:?}: {}", out.stderr);
        assert!(took < Duration::from_secs(1 + 5), "{cmd:?}: {took:?}");
    }
    drop(writer);
    // standard input from a producer that hangs
    let mut child = knet().args(["-c", "test:///default", "--timeout", "1", "net-define", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()).unwrap());
    let o = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| {
        signal(pid, libc::SIGKILL);
        panic!("net-define - waited for ever on a silent pipe");
    });
    drop(stdin);
    let out = Out::from(o.unwrap()).code(1);
    assert!(out.stderr.contains("Failed to read file '-': no end of input within 1 s (--timeout)"), "{}", out.stderr);
}

/// Raw terminal controls in what knet printed: C0 but line breaks and
/// tabs, DEL, and the C1 set (U+009B is CSI to a terminal, like ESC [).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_control() && *c != '\n' && *c != '\t').collect()
}

/// Names libvirt accepts and a terminal or a shell would act on: C1
/// controls (CSI, NEL) and shell syntax, for networks and a guest. Every
/// listing, info, message, doctor line and conversion preview shows them
/// escaped, JSON stays valid with the same names, doctor's fix commands
/// quote them as one shell word, and nothing is ever executed.
#[test]
fn hostile_names_from_libvirt_are_shown_escaped_and_never_run() {
    let sb = with_network();
    let pwned = sb.dir.join("pwned");
    let shell_name = format!("s$(touch {});`touch {}`'\"|&", pwned.display(), pwned.display()).replace('/', "");
    let nets = ["n\u{9b}31mRED".to_string(), "e\u{85}x".to_string(), shell_name.clone()];
    for (i, n) in nets.iter().enumerate() {
        let f = sb.dir.join(format!("h{i}.xml"));
        let esc = n.replace('&', "&amp;").replace('<', "&lt;").replace('\'', "&apos;").replace('"', "&quot;");
        std::fs::write(&f, format!("<network><name>{esc}</name><bridge name='hb{i}'/></network>")).unwrap();
        run(sb.virsh().arg("net-define").arg(&f)).ok();
    }
    let guest = "v\u{9b}2J$(id)`id`";
    let vm = std::fs::read_to_string(sandbox_xml("vm1.xml")).unwrap().replace("<name>vm1</name>", &format!("<name>{guest}</name>"));
    let f = sb.dir.join("hd.xml");
    std::fs::write(&f, vm).unwrap();
    run(sb.virsh().arg("define").arg(&f)).ok();

    let mut runs: Vec<Vec<String>> = vec![
        vec!["net-list".into(), "--all".into()],
        vec!["list".into(), "--all".into()],
        vec!["doctor".into()],
        vec!["domiflist".into(), guest.into()],
        vec!["domif-convert".into(), guest.into(), "--to-bridge".into(), "br0".into(), "--dry-run".into()],
    ];
    for n in &nets {
        runs.push(vec!["net-info".into(), n.clone()]);
        runs.push(vec!["net-start".into(), n.clone()]);
        runs.push(vec!["net-autostart".into(), n.clone()]);
        runs.push(vec!["net-dhcp-host".into(), n.clone(), "list".into()]);
    }
    for args in &runs {
        let out = run(sb.knet().args(args));
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert_eq!(raw_controls(&out.stdout), Vec::<char>::new(), "{args:?} stdout: {:?}", out.stdout);
        assert_eq!(raw_controls(&out.stderr), Vec::<char>::new(), "{args:?} stderr: {:?}", out.stderr);
    }
    // a conversion and its rollback: tables, messages, the backup list
    let state = state_dir(&sb);
    for args in [&["domif-convert", guest, "--to-bridge", "br0", "--force", "--yes"][..], &["domif-rollback", "--list", guest], &["domif-rollback", guest]] {
        let out = run(knet_in(&sb, &state).args(args)).ok();
        assert_eq!(raw_controls(&out.stdout), Vec::<char>::new(), "{args:?} stdout: {:?}", out.stdout);
        assert_eq!(raw_controls(&out.stderr), Vec::<char>::new(), "{args:?} stderr: {:?}", out.stderr);
        assert!(out.stdout.contains("v\\x"), "{args:?}: the guest is not shown: {}", out.stdout);
    }
    let info = run(sb.knet().args(["net-info", &nets[0]])).ok();
    assert!(info.stdout.starts_with("Name:           n\\xc2\\x9b31mRED\n"), "{}", info.stdout);
    // JSON: valid, the same names, no raw controls for a terminal to act on
    for args in [&["net-list", "--all"][..], &["list", "--all"], &["net-info", &nets[0]], &["doctor"]] {
        let out = run(sb.knet().arg("--json").args(args));
        assert_eq!(raw_controls(&out.stdout), Vec::<char>::new(), "--json {args:?}: {:?}", out.stdout);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("--json {args:?}: {e}\n{}", out.stdout));
        if args[0] == "net-list" {
            let names: Vec<&str> = v.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
            for n in &nets {
                assert!(names.contains(&n.as_str()), "{n:?} not in {names:?}");
            }
        }
    }
    // doctor's fixes are pasted into shells: each name is one quoted word
    let doctor = run(sb.knet().arg("doctor")).stdout;
    let q = shell_words::quote(&shell_name);
    let fix = doctor.lines().find(|l| l.contains(&format!("fix: knet net-restart {q} ("))).unwrap_or_else(|| panic!("{doctor}"));
    let cmd = fix.split("the libvirt way: ").nth(1).unwrap().split(" && ").next().unwrap();
    assert_eq!(shell_words::split(cmd).unwrap(), ["virsh", "net-destroy", shell_name.as_str()], "{fix}");
    assert!(!pwned.exists(), "a name was executed");
}

/// A hosts file of many hosts whose packets are dropped (a firewall, a host
/// gone from the network: TCP's connect waits minutes on its own), beside
/// one healthy host: every dead host is named with the deadline, the
/// healthy host's networks are listed, exit 1, and the run takes about
/// (dead hosts / --jobs) deadlines, never a kernel's connect timeout each.
#[test]
fn a_hosts_file_of_dropping_hosts_ends_within_its_deadlines() {
    let sb = with_network();
    // inside the sandbox's own network namespace only
    sb.exec(&["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "16599", "-j", "DROP"]).ok();
    let dead = 60;
    let mut hosts = format!("# lab\n{}\n", sb.uri);
    for i in 0..dead {
        hosts.push_str(&format!("qemu+tcp://127.0.0.1:16599/system?n={i}\n"));
    }
    let file = sb.dir.join("hosts.txt");
    std::fs::write(&file, hosts).unwrap();
    let start = Instant::now();
    let out = sb.exec(&["env", "LC_ALL=C", concat!("KNET_LIBVIRT_BIN=", env!("CARGO_BIN_EXE_knet-libvirt")), env!("CARGO_BIN_EXE_knet"), "--timeout", "1", "--hosts", file.to_str().unwrap(), "net-list", "--all"]);
    let took = start.elapsed();
    let out = out.code(1);
    assert!(out.stdout.lines().any(|l| l.contains(&sb.uri) && l.contains(" default ")), "{}", out.stdout);
    assert_eq!(out.stderr.matches("failed to connect to the hypervisor: no answer within 1 s (--timeout)").count(), dead, "{}", out.stderr);
    for i in 0..dead {
        assert!(out.stderr.contains(&format!("error: qemu+tcp://127.0.0.1:16599/system?n={i}: ")), "host {i} not named:\n{}", out.stderr);
    }
    // 61 hosts, 16 at a time: 4 rounds of at most 1 s, plus start-up
    assert!(took < Duration::from_secs(4 + 8), "{took:?}");
}

/// The same for a guest: the daemon stops answering while it plugs a new
/// NIC into a running guest (frozen by the network's port hook): exit 1
/// within the deadline, "may or may not have been made", and once the
/// daemon runs again the NIC is there.
#[test]
fn a_daemon_frozen_while_attaching_a_nic_is_reported_as_maybe_done() {
    let sb = host();
    with_freezing_hooks(&sb);
    // restarted in a fresh namespace: the network comes back as on a host's boot
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm1.xml"))).ok();
    run(sb.virsh().args(["start", "--paused", "vm1"])).ok();
    std::fs::write(sb.dir.join("etc/freeze-port-created"), "").unwrap();
    let pid = sb.daemon_pid();
    let (out, took) = run_within(sb.knet().args(["--timeout", "2", "attach-interface", "vm1", "network", "default", "--mac", "52:54:00:00:00:42", "--live"]), Duration::from_secs(30));
    let thaw = Frozen(pid);
    let out = out.code(1);
    assert!(took < Duration::from_secs(2 + 6), "{took:?}");
    assert!(out.stderr.contains("error: the connection was lost before libvirt answered: the change may or may not have been made"), "{}", out.stderr);
    assert!(!out.stdout.contains("attached successfully"), "{}", out.stdout);
    drop(thaw);
    let live = run(sb.virsh().args(["domiflist", "vm1"])).ok().stdout;
    assert!(live.contains("52:54:00:00:00:42"), "{live}");
}
