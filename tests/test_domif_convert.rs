//! domif-convert and domif-rollback against a real libvirtd in its own
//! network namespace: live moves of a running guest's tap, bulk conversion,
//! rollback, a daemon killed mid-run, a concurrent edit, refusals.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::*;

/// A disk-less TCG guest on the NAT network `default`.
pub(crate) fn guest_xml(name: &str, mac: &str) -> String {
    format!(
        "<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>128</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n    <interface type='network'>\n      <mac address='{mac}'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n"
    )
}

/// Sandbox with the NAT network `default` running and a host bridge br0.
pub(crate) fn host() -> Sandbox {
    host_with(&[])
}

/// [`host`] with sandbox.sh environment knobs (e.g. `KNET_TCP_PORT`).
pub(crate) fn host_with(env: &[(&str, &str)]) -> Sandbox {
    let sb = Sandbox::start_with(env);
    run(sb.virsh().args(["net-define", sandbox_xml("default.xml").to_str().unwrap()])).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    sb.exec(&["ip", "link", "add", "br0", "type", "bridge"]).ok();
    sb.exec(&["ip", "link", "set", "br0", "up"]).ok();
    sb
}

/// Define guests `g00..` (inactive) in one virsh session.
pub(crate) fn define_guests(sb: &Sandbox, n: usize) -> Vec<String> {
    define_named(sb, (0..n).map(|i| (format!("g{i:02}"), format!("52:54:00:10:00:{i:02x}"))))
}

/// Define [`guest_xml`] guests of these (name, MAC) pairs, inactive, in one
/// virsh session; returns the names.
pub(crate) fn define_named(sb: &Sandbox, guests: impl Iterator<Item = (String, String)>) -> Vec<String> {
    let dir = sb.dir.join("guests");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmds = Vec::new();
    let mut names = Vec::new();
    for (name, mac) in guests {
        let f = dir.join(format!("{name}.xml"));
        std::fs::write(&f, guest_xml(&name, &mac)).unwrap();
        cmds.push(format!("define {}", f.display()));
        names.push(name);
    }
    if !cmds.is_empty() {
        run(sb.virsh().arg(cmds.join(" ; "))).ok();
    }
    names
}

pub(crate) fn inactive_xml(sb: &Sandbox, name: &str) -> String {
    run(sb.virsh().args(["dumpxml", "--inactive", name])).ok().stdout
}

/// What libvirt's XML of a converted guest must be: the original with only
/// the NIC's type and source changed.
pub(crate) fn converted(original: &str) -> String {
    original
        .replacen("<interface type='network'>", "<interface type='bridge'>", 1)
        .replacen("<source network='default'/>", "<source bridge='br0'/>", 1)
}

/// `knet -c URI` with its backups in a state dir of the test's own.
pub(crate) fn knet_in(sb: &Sandbox, state: &Path) -> Command {
    let mut c = sb.knet();
    c.env("XDG_STATE_HOME", state);
    c
}

pub(crate) fn state_dir(sb: &Sandbox) -> PathBuf {
    let d = sb.dir.join("state");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ports(sb: &Sandbox, br: &str) -> String {
    sb.exec(&["ip", "-br", "link", "show", "master", br]).ok().stdout
}

#[test]
fn live_conversion_moves_the_tap_and_back() {
    let sb = host();
    let state = state_dir(&sb);
    let f = sb.dir.join("vm1.xml");
    std::fs::write(&f, guest_xml("vm1", "52:54:00:aa:bb:01")).unwrap();
    run(sb.virsh().args(["define", f.to_str().unwrap()])).ok();
    run(sb.virsh().args(["start", "--paused", "vm1"])).ok();
    let original = inactive_xml(&sb, "vm1");
    assert!(ports(&sb, "virbr0").contains("vnet"), "guest tap not on virbr0 before");

    let out = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-bridge", "br0", "--live", "--yes"])).ok();
    assert!(out.stdout.contains("live+config") && out.stdout.contains("converted"), "{}", out.stdout);
    let on_br0 = ports(&sb, "br0");
    assert!(on_br0.contains("vnet0"), "tap not moved to br0: {on_br0:?}");
    assert!(!ports(&sb, "virbr0").contains("vnet"), "tap still on virbr0");
    let k = run(sb.knet().args(["domiflist", "vm1"])).ok();
    let v = run(sb.virsh().args(["domiflist", "vm1"])).ok();
    assert_eq!(k.stdout, v.stdout);
    assert!(k.stdout.contains(" vnet0       bridge   br0      virtio   52:54:00:aa:bb:01\n"), "{}", k.stdout);
    assert_eq!(inactive_xml(&sb, "vm1"), converted(&original), "persistent XML is not the original with only the NIC changed");

    // idempotent
    let again = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-bridge", "br0", "--live", "--yes"])).ok();
    assert!(again.stdout.contains("nothing to convert"), "{}", again.stdout);

    // rollback --live: config and running NIC back from the backup
    run(knet_in(&sb, &state).args(["domif-rollback", "vm1", "--live"])).ok();
    assert!(ports(&sb, "virbr0").contains("vnet0"), "rollback --live left the tap on br0");
    assert_eq!(inactive_xml(&sb, "vm1"), original);
    run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-bridge", "br0", "--live", "--yes"])).ok();
    assert!(ports(&sb, "br0").contains("vnet0"));

    // and back to the NAT network
    run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-network", "default", "--live", "--yes"])).ok();
    assert!(ports(&sb, "virbr0").contains("vnet0"), "tap not back on virbr0");
    assert!(!ports(&sb, "br0").contains("vnet"));
    assert_eq!(inactive_xml(&sb, "vm1"), original, "reverse conversion is not byte-identical to the original");
}

#[test]
fn bulk_conversion_of_50_guests_and_rollback() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 50);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();

    let out = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes", "--jobs", "4"])).ok();
    assert_eq!(out.stdout.matches(" converted\n").count(), 50, "{}", out.stdout);
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), &converted(b), "{n} not converted exactly");
    }
    // every guest has one backup, private to the user
    for n in &names {
        let dir = state.join("knet/backups").join(n);
        // the backup and its record (what knet defined)
        let mut files: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files.len(), 2, "{n}: {files:?}");
        assert!(files[0].ends_with(".json") && files[1].ends_with(".xml") && files[0].trim_end_matches(".json") == files[1].trim_end_matches(".xml"), "{files:?}");
        use std::os::unix::fs::PermissionsExt;
        for f in &files {
            assert_eq!(std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777, 0o600, "{f}");
        }
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let again = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    assert!(again.stdout.contains("nothing to convert"), "{}", again.stdout);

    let mut rb = knet_in(&sb, &state);
    rb.arg("domif-rollback").args(&names);
    run(&mut rb).ok();
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&sb, n), b, "{n}: rollback is not byte-identical");
    }
}

#[test]
fn daemon_killed_mid_bulk_leaves_every_guest_whole_and_a_rerun_finishes() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 50);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let pid = sb.daemon_pid();

    // kill the daemon once libvirt has written a few converted guests
    let configs = sb.dir.join("etc/qemu");
    let watcher = std::thread::spawn(move || loop {
        let on_br0 = |e: &std::fs::DirEntry| e.path().extension().is_some_and(|x| x == "xml") && std::fs::read_to_string(e.path()).is_ok_and(|x| x.contains("<source bridge='br0'/>"));
        let n = std::fs::read_dir(&configs).map(|d| d.flatten().filter(on_br0).count()).unwrap_or(0);
        if n >= 3 {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    });
    let out = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]));
    watcher.join().unwrap();
    assert_ne!(out.code, 0, "knet did not notice the daemon dying:\n{}", out.stdout);
    let done = out.stdout.matches(" converted\n").count();
    assert!((2..50).contains(&done), "report should name the guests done before the kill ({done}):\n{}", out.stdout);
    assert!(out.stdout.contains("failed: "), "{}", out.stdout);
    // once the connection is gone the rest are "not started", not failed one by one
    let failed = out.stdout.lines().filter(|l| l.contains(" failed: ")).count();
    let not_started = out.stdout.matches("not started (connection lost)").count();
    assert_eq!(failed, 1, "{}", out.stdout);
    assert_eq!(done + failed + not_started, 50, "{}", out.stdout);
    let summary = format!("lost: {done} converted, 1 failed, {not_started} not started; once it is back, run the same command again to finish");
    assert!(out.stderr.contains(&summary), "no summary with the next step:
{}", out.stderr);
    assert!(out.stderr.contains("or undo the conversions with: knet -c ") && out.stderr.contains(" domif-rollback --yes g00 "), "{}", out.stderr);

    sb.restart_daemon();
    let mut converted_now = 0;
    for (n, b) in names.iter().zip(&before) {
        let now = inactive_xml(&sb, n);
        if now == converted(b) {
            converted_now += 1;
        } else {
            assert_eq!(&now, b, "{n}: neither original nor converted");
        }
    }
    assert!(converted_now >= done, "a guest reported converted is not");

    // a restart after a crash is a fresh namespace: the bridges come back as a host's would
    run(sb.virsh().args(["net-start", "default"])).ok();
    sb.exec(&["ip", "link", "add", "br0", "type", "bridge"]).ok();
    let rerun = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).ok();
    assert_eq!(rerun.stdout.matches(" converted\n").count(), 50 - converted_now, "{}", rerun.stdout);
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(inactive_xml(&sb, n), converted(b), "{n}");
    }
}

#[test]
fn a_guest_edited_during_the_run_is_skipped_not_overwritten() {
    let sb = host();
    let state = state_dir(&sb);
    define_guests(&sb, 2);
    // a terminal, so knet asks; the edit happens while it waits for the answer
    let cmd = format!("{} -c '{}' domif-convert g00 g01 --to-bridge br0", env!("CARGO_BIN_EXE_knet"), sb.uri);
    let mut child = Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .env("XDG_STATE_HOME", &state)
        .env("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt"))
        .env("LC_ALL", "C")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&seen).contains("Convert 2 guest(s)") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "knet ended without asking:\n{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    run(sb.virsh().args(["desc", "g01", "--config", "edited by someone else"])).ok();
    let edited = inactive_xml(&sb, "g01");
    child.stdin.as_mut().unwrap().write_all(b"y").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(rest.contains("skipped: its XML changed"), "{rest}");
    assert_eq!(inactive_xml(&sb, "g01"), edited, "the other user's edit was overwritten");
    assert!(inactive_xml(&sb, "g00").contains("<source bridge='br0'/>"));
}

#[test]
fn refuses_impossible_targets_and_unconfirmed_runs_without_touching_guests() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 2);
    let before: Vec<String> = names.iter().map(|n| inactive_xml(&sb, n)).collect();
    let unchanged = || {
        for (n, b) in names.iter().zip(&before) {
            assert_eq!(&inactive_xml(&sb, n), b, "{n} changed");
        }
    };

    let e = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "virbr0", "--yes"])).code(1);
    assert!(e.stderr.contains("'virbr0' is the bridge of libvirt network 'default'"), "{}", e.stderr);
    let e = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "brnope", "--yes"])).code(1);
    assert!(e.stderr.contains("the host has no bridge 'brnope'"), "{}", e.stderr);
    let e = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "lo", "--yes"])).code(1);
    assert!(e.stderr.contains("host interface 'lo' is an ethernet interface, not a bridge"), "{}", e.stderr);
    // a bridge whose uplink is Wi-Fi (faked through KNET_SYSFS_ROOT: a
    // namespace cannot hold a cfg80211 device): refused on this host's facts
    let sys = sb.dir.join("fake-sys");
    for d in ["class/net/br0/bridge", "class/net/br0/brif/wlan0", "class/net/wlan0/wireless"] {
        std::fs::create_dir_all(sys.join(d)).unwrap();
    }
    let e = run(knet_in(&sb, &state).env("KNET_SYSFS_ROOT", &sys).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"])).code(1);
    assert!(e.stderr.contains("bridge 'br0' has the wireless uplink 'wlan0'"), "{}", e.stderr);
    let e = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-network", "nonet", "--yes"])).code(1);
    assert!(e.stderr.contains("failed to get network 'nonet'"), "{}", e.stderr);
    // no terminal, no --yes: refuse instead of hanging
    let e = run(knet_in(&sb, &state).args(["domif-convert", "--all", "--to-bridge", "br0"])).code(2);
    assert!(e.stderr.contains("without confirmation"), "{}", e.stderr);
    // dry run: a diff, no change
    let d = run(knet_in(&sb, &state).args(["domif-convert", "g00", "--to-bridge", "br0", "--dry-run"])).ok();
    assert!(d.stdout.contains("-    <interface type='network'>\n+    <interface type='bridge'>\n"), "{}", d.stdout);
    assert!(d.stdout.contains("+      <source bridge='br0'/>"), "{}", d.stdout);
    unchanged();
    assert!(!state.join("knet/backups").exists(), "a refused run wrote backups");

    // one bad guest among good ones: the others are converted, exit 1
    let out = run(knet_in(&sb, &state).args(["domif-convert", "g00", "nosuch", "g01", "--to-bridge", "br0", "--yes"])).code(1);
    assert_eq!(out.stdout.matches(" converted\n").count(), 2, "{}", out.stdout);
    assert!(out.stdout.contains("failed: failed to get domain 'nosuch'"), "{}", out.stdout);
}

#[test]
fn selects_by_current_network_and_by_mac() {
    let sb = host();
    let state = state_dir(&sb);
    define_guests(&sb, 3);
    // g02 gets a second NIC, already on br0
    run(sb.virsh().args(["attach-interface", "g02", "bridge", "br0", "--mac", "52:54:00:20:00:01", "--config"])).ok();
    let out = run(knet_in(&sb, &state).args(["--json", "domif-convert", "--from-network", "default", "--mac", "52:54:00:10:00:01", "--to-bridge", "br0", "--yes"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let by_guest = |g: &str| v["guests"].as_array().unwrap().iter().find(|r| r["guest"] == g).unwrap().clone();
    assert_eq!(by_guest("g01")["status"], "converted");
    assert_eq!(by_guest("g01")["nics"][0]["mac"], "52:54:00:10:00:01");
    assert_eq!(by_guest("g00")["status"], "nothing-to-convert");
    assert_eq!(v["changed"], true);
    assert!(inactive_xml(&sb, "g00").contains("<source network='default'/>"));
    // --from-bridge selects g02's second NIC only
    let out = run(knet_in(&sb, &state).args(["--json", "domif-convert", "--from-bridge", "br0", "--to-network", "default", "--yes"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let by_guest = |g: &str| v["guests"].as_array().unwrap().iter().find(|r| r["guest"] == g).unwrap().clone();
    assert_eq!(by_guest("g02")["nics"].as_array().unwrap().len(), 1);
    assert_eq!(by_guest("g02")["nics"][0]["mac"], "52:54:00:20:00:01");
    assert_eq!(by_guest("g02")["nics"][0]["from"], "bridge br0");
    assert_eq!(by_guest("g01")["status"], "converted");
    assert_eq!(by_guest("g00")["status"], "nothing-to-convert");
}

#[test]
fn restart_applies_by_shutdown_destroy_define_start() {
    let sb = host();
    let state = state_dir(&sb);
    let f = sb.dir.join("vm1.xml");
    std::fs::write(&f, guest_xml("vm1", "52:54:00:aa:bb:01")).unwrap();
    run(sb.virsh().args(["define", f.to_str().unwrap()])).ok();
    run(sb.virsh().args(["start", "--paused", "vm1"])).ok();
    // a paused guest cannot act on ACPI: knet must fall back to destroy
    let out = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-bridge", "br0", "--restart", "--shutdown-timeout", "1", "--yes"])).ok();
    assert!(out.stdout.contains("config+restart") && out.stdout.contains("converted"), "{}", out.stdout);
    let state_now = run(sb.virsh().args(["domstate", "vm1"])).ok().stdout;
    assert!(state_now.starts_with("paused"), "a paused guest must come back paused: {state_now}");
    assert!(ports(&sb, "br0").contains("vnet"), "restarted guest's tap is not on br0");
    run(sb.virsh().args(["destroy", "vm1"])).ok();
}

#[test]
fn a_transient_guest_is_not_made_persistent() {
    let sb = host();
    let state = state_dir(&sb);
    let f = sb.dir.join("t1.xml");
    std::fs::write(&f, guest_xml("t1", "52:54:00:aa:bb:09")).unwrap();
    run(sb.virsh().args(["create", f.to_str().unwrap(), "--paused"])).ok();
    let out = run(knet_in(&sb, &state).args(["domif-convert", "t1", "--to-bridge", "br0", "--yes"])).code(1);
    assert!(out.stdout.contains("transient guest"), "{}", out.stdout);
    let info = run(sb.virsh().args(["dominfo", "t1"])).ok().stdout;
    assert!(info.lines().any(|l| l.starts_with("Persistent:") && l.ends_with("no")), "{info}");
    assert!(ports(&sb, "virbr0").contains("vnet"));
}

/// Backups are filed by guest name, and a name is unique on one host only: a
/// newer backup of another guest called the same (another host, or a guest
/// deleted and re-created) must never be what rollback restores.
#[test]
fn rollback_takes_only_backups_of_the_guest_itself() {
    let state = tempdir_short("knet-rbuuid");
    let k = || {
        let mut c = knet();
        c.env("XDG_STATE_HOME", &state).args(["-c", "test:///default"]);
        c
    };
    // a backup of test:///default's guest `test`
    run(k().args(["domif-convert", "test", "--to-bridge", "br0", "--yes"])).ok();
    let dir = state.join("knet/backups/test");
    let ours = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "xml")).unwrap();
    let original = std::fs::read_to_string(&ours).unwrap();
    // a newer backup of another `test`: other UUID, other NIC source
    let uuid = original.split("<uuid>").nth(1).unwrap().split("</uuid>").next().unwrap().to_string();
    let foreign = original.replace(&uuid, "11111111-2222-3333-4444-555555555555").replace("<source network='default'/>", "<source network='elsewhere'/>");
    std::fs::write(dir.join("29991231T235959.000000000Z.xml"), foreign).unwrap();

    // one connection (the test driver forgets between processes): convert,
    // roll back, look; the guest's own backup comes back, not the newer one
    let out = run(k().arg("domif-convert test --to-bridge br0 --yes; domif-rollback test; domiflist test --inactive")).ok();
    assert!(out.stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["testnet0", "network", "default", "-", "aa:bb:cc:dd:ee:ff"]), "{}", out.stdout);
    assert!(!out.stdout.contains("29991231T235959"), "{}", out.stdout);

    // asked for by name, the foreign backup is refused with the reason
    let out = run(k().args(["domif-rollback", "test", "--to", "29991231T235959.000000000Z.xml"])).code(1);
    assert!(out.stderr.contains("is of another guest named 'test' (UUID 11111111-2222-3333-4444-555555555555"), "{}", out.stderr);
    // with only foreign backups left, rollback says so instead of restoring one
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        if !e.file_name().to_string_lossy().starts_with("2999") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let out = run(k().args(["domif-rollback", "test"])).code(1);
    assert!(out.stderr.contains("none of the 1 backups in") && out.stderr.contains("is of this guest 'test'"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&state);
}

/// The guides' "use virtio": the model changes in the persistent config
/// only (libvirt refuses a live model change), with or without a move, and
/// a running guest keeps its old model until its next boot.
#[test]
fn model_change_goes_into_the_persistent_config_and_waits_for_the_next_boot() {
    let sb = host();
    let state = state_dir(&sb);
    let dir = sb.dir.join("guests");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, mac) in [("vm1", "52:54:00:aa:bb:01"), ("vm2", "52:54:00:aa:bb:02")] {
        let f = dir.join(format!("{name}.xml"));
        std::fs::write(&f, guest_xml(name, mac).replace("<model type='virtio'/>", "<model type='rtl8139'/>")).unwrap();
        run(sb.virsh().args(["define", f.to_str().unwrap()])).ok();
    }
    run(sb.virsh().args(["start", "--paused", "vm1"])).ok();
    let (vm1, vm2) = (inactive_xml(&sb, "vm1"), inactive_xml(&sb, "vm2"));
    let live_model = || run(sb.virsh().args(["domiflist", "vm1"])).ok().stdout;
    assert!(live_model().contains("rtl8139"));

    // alone, on a running guest, even with --live: config only, said so
    let out = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--model", "virtio", "--live", "--yes"])).ok();
    assert!(out.stdout.contains("network default, model rtl8139") && out.stdout.contains("network default, model virtio"), "{}", out.stdout);
    assert!(out.stdout.contains("config (next boot)") && out.stdout.contains("converted"), "{}", out.stdout);
    assert!(out.stderr.contains("running guests get the new model at their next boot"), "{}", out.stderr);
    assert_eq!(inactive_xml(&sb, "vm1"), vm1.replacen("<model type='rtl8139'/>", "<model type='virtio'/>", 1), "only the model changed");
    assert!(live_model().contains("rtl8139"), "the running guest's model cannot change live");
    assert!(ports(&sb, "virbr0").contains("vnet"), "the NIC stays where it was");
    let again = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--model", "virtio", "--yes"])).ok();
    assert!(again.stdout.contains("nothing to convert"), "{}", again.stdout);

    // with a move, live: the tap moves now, the model at the next boot
    let out = run(knet_in(&sb, &state).args(["domif-convert", "vm1", "--to-bridge", "br0", "--model", "e1000", "--live", "--yes"])).ok();
    assert!(out.stdout.contains("live+config (model: next boot)"), "{}", out.stdout);
    // the validator's advice on the new model, said once
    assert!(out.stderr.contains("warning: vm1: NIC 52:54:00:aa:bb:01: NIC model 'e1000' is emulated and slow"), "{}", out.stderr);
    assert!(ports(&sb, "br0").contains("vnet"), "tap not moved");
    let x = inactive_xml(&sb, "vm1");
    assert!(x.contains("<source bridge='br0'/>") && x.contains("<model type='e1000'/>"), "{x}");
    run(sb.virsh().args(["destroy", "vm1"])).ok();

    // an inactive guest, as JSON: model before and after per NIC
    let out = run(knet_in(&sb, &state).args(["--json", "domif-convert", "vm2", "--model", "virtio", "--yes"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["guests"][0]["status"], "converted", "{v}");
    assert_eq!(v["guests"][0]["nics"][0]["model_from"], "rtl8139");
    assert_eq!(v["guests"][0]["nics"][0]["model_to"], "virtio");
    assert_eq!(v["guests"][0]["nics"][0]["to"], "network default");
    assert_eq!(inactive_xml(&sb, "vm2"), vm2.replacen("<model type='rtl8139'/>", "<model type='virtio'/>", 1));
    // and domif-rollback undoes it like any conversion
    run(knet_in(&sb, &state).args(["domif-rollback", "vm2"])).ok();
    assert_eq!(inactive_xml(&sb, "vm2"), vm2);

    let o = run(knet_in(&sb, &state).args(["domif-convert", "vm2", "--model", "vir'tio", "--yes"])).code(2);
    assert!(o.stderr.contains("a NIC model name is letters, digits"), "{}", o.stderr);
    assert_eq!(inactive_xml(&sb, "vm2"), vm2);
}

/// A guest changed after its conversion (more memory, a second NIC): rollback
/// refuses, says what changed and leaves the guest byte-identical; --force
/// restores, after backing up the config it overwrites, and that copy is in
/// --list and can itself be restored.
#[test]
fn rollback_refuses_to_discard_later_changes_and_can_be_undone() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 1);
    let vm = names[0].as_str();
    let original = inactive_xml(&sb, vm);
    run(knet_in(&sb, &state).args(["domif-convert", vm, "--to-bridge", "br0", "--yes"])).ok();
    // the admin's later work
    let changed_src = converted(&original).replace("<memory unit='KiB'>131072</memory>", "<memory unit='KiB'>262144</memory>").replace(
        "</interface>",
        "</interface>\n    <interface type='network'>\n      <mac address='52:54:00:99:00:01'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>",
    );
    let f = sb.dir.join("changed.xml");
    std::fs::write(&f, &changed_src).unwrap();
    run(sb.virsh().arg("define").arg(&f)).ok();
    let changed = inactive_xml(&sb, vm);
    assert!(changed.contains("262144") && changed.contains("52:54:00:99:00:01"), "{changed}");
    let list = || run(knet_in(&sb, &state).args(["domif-rollback", vm, "--list"])).ok().stdout;
    assert_eq!(list().lines().count(), 1);

    let out = run(knet_in(&sb, &state).args(["domif-rollback", vm])).code(1);
    assert!(out.stderr.contains(&format!("guest '{vm}' was changed after knet defined it")), "{}", out.stderr);
    assert!(out.stderr.contains("+ <memory unit='KiB'>262144</memory>") && out.stderr.contains("52:54:00:99:00:01"), "the summary does not show what changed:\n{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert!(!out.stdout.contains("restored"), "{}", out.stdout);
    assert_eq!(inactive_xml(&sb, vm), changed, "a refused rollback changed the guest");
    assert_eq!(list().lines().count(), 1, "a refused rollback wrote a backup");

    let out = run(knet_in(&sb, &state).args(["domif-rollback", vm, "--force"])).ok();
    assert!(out.stdout.contains(&format!("Domain '{vm}' restored from ")), "{}", out.stdout);
    assert_eq!(inactive_xml(&sb, vm), original);
    // what it overwrote is the newest backup, listed
    let l = list();
    assert_eq!(l.lines().count(), 2, "{l}");
    let copy = l.lines().last().unwrap().split('\t').nth(1).unwrap().to_string();
    assert_eq!(std::fs::read_to_string(&copy).unwrap().trim_end(), changed.trim_end());
    let j: serde_json::Value = serde_json::from_str(&run(knet_in(&sb, &state).args(["--json", "domif-rollback", vm, "--list"])).ok().stdout).unwrap();
    assert_eq!(j[0]["made_by"], "domif-convert");
    assert_eq!(j[1]["made_by"], "domif-rollback");

    // the same rollback again: already done, nothing to undo
    run(knet_in(&sb, &state).args(["domif-rollback", vm])).ok();
    assert_eq!(inactive_xml(&sb, vm), original);
    // the rollback rolled back: the admin's work is back, no --force needed (knet defined what is there)
    run(knet_in(&sb, &state).args(["domif-rollback", vm, "--to", &copy])).ok();
    assert_eq!(inactive_xml(&sb, vm), changed);
}

/// Selections (--all, --from-bridge) need --yes without a terminal, restore
/// only guests with a backup (and a NIC on the bridge), and work on several
/// hosts at once.
#[test]
fn rollback_selections_and_several_hosts() {
    let hosts = [host(), host()];
    let state = state_dir(&hosts[0]);
    let names: Vec<Vec<String>> = hosts.iter().map(|sb| define_guests(sb, 3)).collect();
    let before: Vec<Vec<String>> = hosts.iter().zip(&names).map(|(sb, ns)| ns.iter().map(|n| inactive_xml(sb, n)).collect()).collect();
    // g00 and g01 converted on both hosts; g02 never
    for sb in &hosts {
        run(knet_in(sb, &state).args(["domif-convert", "g00", "g01", "--to-bridge", "br0", "--yes"])).ok();
    }
    let out = run(knet_in(&hosts[0], &state).args(["domif-rollback", "--from-bridge", "br0"])).code(2);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(inactive_xml(&hosts[0], "g00"), converted(&before[0][0]));
    // one host, by bridge
    let out = run(knet_in(&hosts[0], &state).args(["domif-rollback", "--from-bridge", "br0", "--yes"])).ok();
    assert_eq!(out.stdout.matches(" restored from ").count(), 2, "{}", out.stdout);
    for (n, b) in names[0].iter().zip(&before[0]) {
        assert_eq!(&inactive_xml(&hosts[0], n), b, "{n}");
    }
    // both hosts, --all: host 0 has nothing left to do, host 1 is restored
    let mut c = knet();
    c.env("XDG_STATE_HOME", &state).args(["-c", &hosts[0].uri, "-c", &hosts[1].uri, "domif-rollback", "--all"]);
    let out = run(&mut c).code(2);
    assert!(out.stderr.contains("without --yes"), "{}", out.stderr);
    let out = run(c.arg("--yes")).ok();
    assert_eq!(out.stdout.matches(" ok ").count(), 2, "{}", out.stdout);
    for (h, sb) in hosts.iter().enumerate() {
        for (n, b) in names[h].iter().zip(&before[h]) {
            assert_eq!(&inactive_xml(sb, n), b, "host {h} {n}");
        }
    }
}

/// A rollback whose config restore worked but whose live move did not (the
/// NAT network is down) says so and names the command that finishes; that
/// rerun moves the running NIC without undoing anything.
#[test]
fn rollback_reports_a_config_restored_without_the_running_guest_and_a_rerun_finishes() {
    let sb = host();
    let state = state_dir(&sb);
    let names = define_guests(&sb, 1);
    let vm = names[0].as_str();
    let original = inactive_xml(&sb, vm);
    run(sb.virsh().args(["start", "--paused", vm])).ok();
    run(knet_in(&sb, &state).args(["domif-convert", vm, "--to-bridge", "br0", "--live", "--yes"])).ok();
    run(sb.virsh().args(["net-destroy", "default"])).ok();
    let out = run(knet_in(&sb, &state).args(["domif-rollback", vm, "--live"])).code(1);
    assert!(out.stderr.contains(&format!("guest '{vm}': config restored from ")) && out.stderr.contains("but the running guest was not"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("to finish, run: knet domif-rollback --live {vm}")), "{}", out.stderr);
    assert_eq!(inactive_xml(&sb, vm), original);
    let live = run(sb.virsh().args(["dumpxml", vm])).ok().stdout;
    assert!(live.contains("<source bridge='br0'/>"), "{live}");

    run(sb.virsh().args(["net-start", "default"])).ok();
    let out = run(knet_in(&sb, &state).args(["domif-rollback", vm, "--live"])).ok();
    assert!(out.stdout.contains("restored from"), "{}", out.stdout);
    assert_eq!(inactive_xml(&sb, vm), original);
    let live = run(sb.virsh().args(["dumpxml", vm])).ok().stdout;
    assert!(live.contains("<source network='default'"), "{live}");
    run(sb.virsh().args(["destroy", vm])).ok();
}

/// A NIC that moves off its network loses that network's portgroup (and the
/// bandwidth and VLAN it gives) and keeps an nwfilter IP parameter pinning
/// its address there: the plan, the dry run and the result say so.
#[test]
fn conversion_warns_about_a_dropped_portgroup_and_a_pinned_nat_address() {
    let dir = tempdir_short("knet-loss");
    let net = "<network><name>lab</name><forward mode='nat'/><bridge name='virbr7'/>\
        <portgroup name='gold'><bandwidth><inbound average='1000'/></bandwidth><vlan><tag id='42'/></vlan></portgroup>\
        <ip address='10.7.0.1' prefix='24'/></network>";
    let dom = "<domain type='test'><name>pg</name><memory>131072</memory><os><type>hvm</type></os><devices>\
        <interface type='network'><mac address='52:54:00:00:07:01'/><source network='lab' portgroup='gold'/>\
        <filterref filter='clean-traffic'><parameter name='IP' value='10.7.0.50'/></filterref></interface></devices></domain>";
    let node = dir.join("node.xml");
    std::fs::write(&node, format!("<node>{net}{dom}</node>")).unwrap();
    let guest = dir.join("g.xml");
    std::fs::write(&guest, dom).unwrap();
    let state = tempdir_short("knet-loss-state");
    let session = |args: &[&str]| run(knet().env("XDG_STATE_HOME", &state).arg("-c").arg(format!("test://{}", node.display())).args(args));
    let pg = "warning: pg: NIC 52:54:00:00:07:01: portgroup 'gold' of network 'lab' is dropped and with it its bandwidth limits and its VLAN (on bridge br0 the NIC has no portgroup)";
    let ip = "warning: pg: NIC 52:54:00:00:07:01: nwfilter 'clean-traffic' pins IP 10.7.0.50, its address on network 'lab': on bridge br0 the guest gets another address";
    for cmd in [&["domif-convert", "pg", "--to-bridge", "br0", "--dry-run"][..], &["domif-convert", "pg", "--to-bridge", "br0", "--yes"]] {
        let out = session(cmd).ok();
        assert!(out.stderr.contains(pg) && out.stderr.contains(ip), "{cmd:?}: {}", out.stderr);
    }
    let json = session(&["--json", "domif-convert", "pg", "--to-bridge", "br0", "--dry-run"]).ok();
    assert!(json.stdout.contains("pins IP 10.7.0.50"), "{}", json.stdout);
    // offline (--file): no network to read, the same losses in general terms
    let out = run(knet().args(["domif-convert", "--file", guest.to_str().unwrap(), "--to-bridge", "br0", "--dry-run"])).ok();
    assert!(out.stderr.contains("portgroup 'gold' of network 'lab' is dropped and with it any bandwidth limit or VLAN it sets"), "{}", out.stderr);
    assert!(out.stderr.contains("pins IP 10.7.0.50"), "{}", out.stderr);
    // a NIC without either converts without a word
    let plain = guest.with_file_name("plain.xml");
    std::fs::write(&plain, std::fs::read_to_string(&guest).unwrap().replace(" portgroup='gold'", "").replace("<parameter name='IP' value='10.7.0.50'/>", "")).unwrap();
    let out = run(knet().args(["domif-convert", "--file", plain.to_str().unwrap(), "--to-bridge", "br0", "--dry-run"])).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&state);
}
