//! Several hosts at once (`-c` more than once, `--hosts FILE`): listings
//! with a Host column, writes with a per-host summary, an unreachable or
//! dying host reported without stopping the others; three private daemons
//! (three namespaces, three sockets) stand in for three hypervisors. Also
//! `list`, byte for byte against virsh on one host.

use std::path::Path;

use crate::test_domif_convert::{converted, define_named, host_with, inactive_xml};
use crate::util::*;

/// A URI no daemon answers on.
fn dead_uri(dir: &Path) -> String {
    format!("qemu:///system?socket={}/nobody-home.sock", dir.display())
}

#[test]
fn list_matches_virsh_on_one_host() {
    for uri in [test_uri("fleet-node.xml"), "test:///default".to_string()] {
        for flags in [&[][..], &["--all"], &["--inactive"], &["--name"], &["--uuid"], &["--all", "--name", "--uuid"], &["--inactive", "--name"], &["--all", "--uuid"], &["--table", "--uuid"], &["--name", "--table"]] {
            for quiet in [false, true] {
                let q: &[&str] = if quiet { &["-q"] } else { &[] };
                let v = run(virsh().args(q).args(["-c", &uri, "list"]).args(flags));
                let k = run(knet().args(q).args(["-c", &uri, "list"]).args(flags));
                assert_eq!((k.code, &k.stdout), (v.code, &v.stdout), "list {flags:?} -q={quiet} on {uri}\nknet stderr: {}", k.stderr);
                assert_eq!(k.stderr.is_empty(), v.stderr.is_empty(), "{flags:?}: {} vs {}", k.stderr, v.stderr);
            }
        }
    }
    // the fixture really has every state virsh sorts (running by id, then by name ignoring case)
    let all = run(knet().args(["-c", &test_uri("fleet-node.xml"), "list", "--all"])).ok().stdout;
    let names: Vec<&str> = all.lines().skip(2).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(names, ["web-01", "db", "cache", "archive", "Backup"], "{all}");
    assert!(all.contains(" paused") && all.contains(" shut off") && all.contains(" running"), "{all}");
}

#[test]
fn listings_over_several_hosts_have_a_host_column_and_json_carries_it() {
    let (a, b) = (test_uri("fleet-node.xml"), "test:///default".to_string());
    let knet2 = |args: &[&str]| run(knet().args(["-c", &a, "-c", &b]).args(args));

    let l = knet2(&["list", "--all"]).ok().stdout;
    let mut lines = l.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["Host", "Id", "Name", "State"], "{l}");
    assert!(l.contains(&format!(" {a}   -    Backup    shut off\n")), "{l}");
    assert!(l.lines().any(|r| r.starts_with(&format!(" {b}")) && r.ends_with("test      running")), "{l}");

    let n = knet2(&["net-list", "--all"]).ok().stdout;
    let rows: Vec<Vec<&str>> = n.lines().skip(2).filter(|r| !r.is_empty()).map(|r| r.split_whitespace().collect()).collect();
    assert_eq!(rows, [vec![a.as_str(), "fleetnat", "active", "no", "yes"], vec![b.as_str(), "default", "active", "no", "yes"]], "{n}");
    // -q: no header, as for one host
    assert_eq!(knet2(&["-q", "net-list"]).ok().stdout.lines().count(), 2);

    let j: serde_json::Value = serde_json::from_str(&knet2(&["--json", "list", "--all"]).ok().stdout).unwrap();
    let hosts: Vec<(&str, &str)> = j.as_array().unwrap().iter().map(|d| (d["host"].as_str().unwrap(), d["name"].as_str().unwrap())).collect();
    assert_eq!(hosts.len(), 6);
    assert!(hosts.contains(&(a.as_str(), "db")) && hosts.contains(&(b.as_str(), "test")), "{hosts:?}");

    // a guest lives on one host: the others are no error
    let d = knet2(&["domiflist", "db"]).ok().stdout;
    assert!(d.starts_with(" Host ") && d.contains(&format!(" {a}   testnet0    network   fleetnat   -       52:54:00:f1:00:02\n")), "{d}");
    assert_eq!(knet2(&["domiflist", "nosuch"]).code(1).stderr, "error: failed to get domain 'nosuch' on any of the 2 hosts\n");

    let doc = knet2(&["--json", "doctor"]);
    let v: serde_json::Value = serde_json::from_str(&doc.stdout).unwrap();
    let got: Vec<&str> = v.as_array().unwrap().iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(got, [a.as_str(), b.as_str()]);
    assert!(v[0]["checks"].as_array().unwrap().iter().any(|c| c["subject"] == "network fleetnat"));
    let t = knet2(&["doctor"]).stdout;
    assert!(t.lines().next().unwrap().split_whitespace().eq(["Host", "Verdict", "Subject", "Finding"]), "{t}");
}

#[test]
fn hosts_file_and_an_unreachable_host_among_good_ones() {
    let dir = tempdir_short("knet-fleet");
    let dead = dead_uri(&dir);
    let file = dir.join("hosts");
    std::fs::write(&file, format!("# the lab\n{}\n\n   test:///default   # the fake one\n# retired: qemu+ssh://old/system\n{dead}\n", test_uri("fleet-node.xml"))).unwrap();
    let f = file.to_str().unwrap();

    let out = run(knet().args(["--hosts", f, "net-list"])).code(1);
    assert!(out.stdout.contains("fleetnat") && out.stdout.contains(" test:///default "), "good hosts listed:\n{}", out.stdout);
    assert!(!out.stdout.contains("nobody-home"), "{}", out.stdout);
    assert!(out.stderr.starts_with(&format!("error: {dead}: failed to connect to the hypervisor: ")), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    // a write: every reachable host does it, the dead one is named, exit 1
    let out = run(knet().args(["-c", "test:///default", "--hosts", f, "net-autostart", "--disable", "default"])).code(2);
    assert!(out.stderr.contains("host 'test:///default' given twice"), "{}", out.stderr);
    let out = run(knet().args(["--hosts", f, "net-autostart", "fleetnat"])).code(1);
    let rows: Vec<Vec<&str>> = out.stdout.lines().skip(2).filter(|r| !r.is_empty()).map(|r| r.split_whitespace().take(2).collect()).collect();
    let fleet = test_uri("fleet-node.xml");
    assert_eq!(rows, [vec![fleet.as_str(), "ok"], vec!["test:///default", "failed"], vec![dead.as_str(), "unreachable"]], "{}", out.stdout);
    assert!(out.stdout.contains("Network fleetnat marked as autostarted"), "{}", out.stdout);
    assert!(out.stdout.contains("failed to get network 'fleetnat': Network not found"), "{}", out.stdout);
    let j: serde_json::Value = serde_json::from_str(&run(knet().args(["--json", "--hosts", f, "net-autostart", "fleetnat"])).code(1).stdout).unwrap();
    assert_eq!(j[2]["host"], dead.as_str());
    assert_eq!(j[2]["result"], "unreachable");
    // a host that succeeded carries the object the command prints on one host
    assert_eq!(j[0]["report"]["network"], "fleetnat", "{j}");
    assert!(j[0]["report"]["changed"].is_boolean(), "{j}");
    assert_eq!(j[2]["report"], serde_json::Value::Null);

    // --jobs 1 works host after host, same answer
    let one = run(knet().args(["--hosts", f, "--jobs", "1", "net-list"])).code(1);
    let all = run(knet().args(["--hosts", f, "net-list"])).code(1);
    assert_eq!(one.stdout, all.stdout);

    // a file naming one host is one host: virsh's output exactly
    std::fs::write(&file, "test:///default\n").unwrap();
    let k = run(knet().args(["--hosts", f, "net-list", "--all"])).ok();
    let v = run(virsh().args(["-c", "test:///default", "net-list", "--all"])).ok();
    assert_eq!(k.stdout, v.stdout);

    // bad files
    std::fs::write(&file, "# nothing\n\n").unwrap();
    let e = run(knet().args(["--hosts", f, "net-list"])).code(2);
    assert!(e.stderr.contains("lists no URI"), "{}", e.stderr);
    let e = run(knet().args(["--hosts", dir.join("missing").to_str().unwrap(), "net-list"])).code(1);
    assert!(e.stderr.starts_with("error: cannot read hosts file "), "{}", e.stderr);
    assert!(e.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_single_host_command_refuses_several_hosts() {
    let out = run(knet().args(["-c", "test:///default", "-c", &test_uri("fleet-node.xml"), "net-info", "default"])).code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("works on one host at a time, and 2 were given"), "{}", out.stderr);
}

// ---- three real daemons ----------------------------------------------------

/// A hypervisor: NAT network `default` running, host bridge br0 in its
/// namespace, `n` guests `{prefix}-gNNN` on `default` (distinct MACs per
/// host through `host_byte`).
fn hypervisor(prefix: &str, host_byte: u8, n: usize) -> (Sandbox, Vec<String>) {
    hypervisor_with(&[], prefix, host_byte, n)
}

fn hypervisor_with(env: &[(&str, &str)], prefix: &str, host_byte: u8, n: usize) -> (Sandbox, Vec<String>) {
    let sb = host_with(env);
    let names = define_named(&sb, (0..n).map(|i| (format!("{prefix}-g{i:03}"), format!("52:54:{host_byte:02x}:10:{:02x}:{:02x}", i / 256, i % 256))));
    (sb, names)
}

#[test]
fn three_daemons_converted_in_one_command_with_one_killed_mid_run() {
    let hosts = [hypervisor("a", 0xa1, 30), hypervisor("b", 0xb1, 30), hypervisor("c", 0xc1, 150)];
    // one running (paused) guest: --live moves its tap too
    run(hosts[0].0.virsh().args(["start", "--paused", "a-g000"])).ok();
    let before: Vec<Vec<String>> = hosts.iter().map(|(sb, names)| names.iter().map(|n| inactive_xml(sb, n)).collect()).collect();
    let state = tempdir_short("knet-fleet-state");
    let uris: Vec<&str> = hosts.iter().map(|(sb, _)| sb.uri.as_str()).collect();
    let fleet = || {
        let mut c = knet();
        for u in &uris {
            c.args(["-c", u]);
        }
        c.env("XDG_STATE_HOME", &state);
        c
    };

    // one listing across all three, host first
    let l = run(fleet().args(["list", "--all"])).ok().stdout;
    for (i, (_, names)) in hosts.iter().enumerate() {
        assert_eq!(l.lines().filter(|r| r.starts_with(&format!(" {} ", uris[i]))).count(), names.len(), "{l}");
    }

    // host c's daemon dies once knet has started converting there
    let victim = hosts[2].0.daemon_pid();
    let backups = state.join("knet/backups");
    let watcher = std::thread::spawn(move || loop {
        let started = std::fs::read_dir(&backups).map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("c-")).count()).unwrap_or(0);
        if started >= 3 {
            unsafe { libc::kill(victim, libc::SIGKILL) };
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    });
    let out = run(fleet().args(["domif-convert", "--all", "--from-network", "default", "--to-bridge", "br0", "--live", "--yes"]));
    watcher.join().unwrap();
    assert_eq!(out.code, 1, "a dead host must fail the run\n{}\n{}", out.stdout, out.stderr);

    // the guest table (Host first), then the per-host summary naming the failed host
    let summary = out.stdout.split("\n\n").nth(1).unwrap_or_default();
    let verdicts: Vec<Vec<&str>> = summary.lines().skip(2).map(|r| r.split_whitespace().take(2).collect()).collect();
    assert_eq!(verdicts, [vec![uris[0], "ok"], vec![uris[1], "ok"], vec![uris[2], "failed"]], "{}", out.stdout);
    assert!(summary.contains(" 30 converted\n"), "{summary}");
    for (i, (_, names)) in hosts.iter().enumerate().take(2) {
        for n in names {
            assert!(out.stdout.lines().any(|r| r.starts_with(&format!(" {} ", uris[i])) && r.contains(&format!(" {n} "))), "{n} missing from the guest table");
        }
    }

    // the two live hosts: every guest converted
    for (i, (sb, names)) in hosts.iter().enumerate().take(2) {
        for (n, b) in names.iter().zip(&before[i]) {
            assert_eq!(inactive_xml(sb, n), converted(b), "{n} on host {i}");
        }
    }
    assert!(run(hosts[0].0.virsh().args(["dumpxml", "a-g000"])).ok().stdout.contains("<source bridge='br0'/>"), "the running guest was not moved live");
    let row = out.stdout.lines().find(|r| r.contains(" a-g000 ")).unwrap_or_default();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), [uris[0], "a-g000", "52:54:a1:10:00:00", "network", "default", "bridge", "br0", "live+config", "converted"]);
    // the killed one: every guest whole, original or converted, never half
    let (sb, names) = &hosts[2];
    sb.restart_daemon();
    let mut done = 0;
    for (n, b) in names.iter().zip(&before[2]) {
        let now = inactive_xml(sb, n);
        if now == converted(b) {
            done += 1;
        } else {
            assert_eq!(&now, b, "{n}: neither original nor converted");
        }
    }
    assert!(done < names.len(), "the kill came too late to test anything");
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn fleet_writes_on_real_daemons_dhcp_hosts_and_network_start() {
    let a = hypervisor("a", 0xa2, 0).0;
    let b = hypervisor("b", 0xb2, 0).0;
    let isolated = sandbox_xml("isolated.xml");
    for sb in [&a, &b] {
        run(sb.virsh().args(["net-define", isolated.to_str().unwrap()])).ok();
    }
    let name = "isolated";
    let both = |args: &[&str]| run(knet().args(["-c", &a.uri, "-c", &b.uri]).args(args));

    let s = both(&["net-start", name]).ok().stdout;
    assert_eq!(s.matches(&format!("Network {name} started")).count(), 2, "{s}");
    for sb in [&a, &b] {
        assert!(run(sb.virsh().args(["net-list", "--name"])).ok().stdout.contains(name));
    }
    // again: already running on both, both named as failed, nothing changed
    let again = both(&["net-start", name]).code(1).stdout;
    assert_eq!(again.matches(" failed ").count(), 2, "{again}");

    both(&["net-dhcp-host", name, "add", "--mac", "52:54:00:12:34:56", "--ip", "10.10.10.50"]).ok();
    for sb in [&a, &b] {
        for flags in [&["net-dumpxml", name][..], &["net-dumpxml", "--inactive", name]] {
            let x = run(sb.virsh().args(flags)).ok().stdout;
            assert!(x.contains("<host mac='52:54:00:12:34:56' ip='10.10.10.50'/>"), "{flags:?}: {x}");
        }
    }
    let l = both(&["net-dhcp-host", name, "list"]).ok().stdout;
    assert_eq!(l.matches("52:54:00:12:34:56   10.10.10.50").count(), 2, "{l}");
    assert!(l.starts_with(" Host "), "{l}");

    // one host down: the other still gets the change, the summary says which failed
    b.stop_daemon();
    let out = both(&["net-dhcp-host", name, "remove", "--mac", "52:54:00:12:34:56"]).code(1);
    let verdict = |uri: &str| out.stdout.lines().find(|r| r.starts_with(&format!(" {uri} "))).and_then(|r| r.split_whitespace().nth(1)).unwrap_or_default().to_string();
    assert_eq!((verdict(&a.uri), verdict(&b.uri)), ("ok".to_string(), "unreachable".to_string()), "{}", out.stdout);
    assert!(!run(a.virsh().args(["net-dumpxml", "--inactive", name])).ok().stdout.contains("52:54:00:12:34:56"));
}

#[test]
fn a_qemu_tcp_host_beside_a_local_socket() {
    // libvirt's remote protocol over TCP: the first daemon also listens on
    // 127.0.0.1:16509 of its own namespace, where knet runs; the second is
    // reached through its unix socket, visible from there too
    let (tcp, tcp_guests) = hypervisor_with(&[("KNET_TCP_PORT", "16509")], "t", 0xd1, 3);
    let (unix, unix_guests) = hypervisor("u", 0xd2, 3);
    let remote = "qemu+tcp://127.0.0.1:16509/system";
    let state = tcp.dir.join("state");
    let knet_there = |args: &[&str]| {
        let xdg = format!("XDG_STATE_HOME={}", state.display());
        let mut v = vec!["env", "LC_ALL=C", &xdg, concat!("KNET_LIBVIRT_BIN=", env!("CARGO_BIN_EXE_knet-libvirt")), env!("CARGO_BIN_EXE_knet"), "-c", remote, "-c", &unix.uri];
        v.extend_from_slice(args);
        tcp.exec(&v)
    };
    let l = knet_there(&["list", "--all", "--name"]).ok().stdout;
    for g in &tcp_guests {
        assert!(l.contains(&format!("{remote} {g}\n")), "{l}");
    }
    for g in &unix_guests {
        assert!(l.contains(&format!("{} {g}\n", unix.uri)), "{l}");
    }
    let out = knet_there(&["domif-convert", "--all", "--from-network", "default", "--to-bridge", "br0", "--yes"]).ok();
    for host in [remote, unix.uri.as_str()] {
        // the last row naming the host is its summary row
        let row = out.stdout.lines().rev().find(|r| r.starts_with(&format!(" {host} "))).unwrap_or_default();
        assert_eq!(row.split_whitespace().collect::<Vec<_>>(), [host, "ok", "3", "converted"], "{}", out.stdout);
    }
    for (sb, names) in [(&tcp, &tcp_guests), (&unix, &unix_guests)] {
        for g in names {
            assert!(inactive_xml(sb, g).contains("<source bridge='br0'/>"), "{g}");
        }
    }
    // the TCP host stops answering: named within the deadline, the other listed
    let frozen = Frozen::new(tcp.daemon_pid());
    let xdg = format!("XDG_STATE_HOME={}", state.display());
    // coreutils' timeout only turns a hang into a failure
    let v = ["timeout", "60", "env", "LC_ALL=C", &xdg, concat!("KNET_LIBVIRT_BIN=", env!("CARGO_BIN_EXE_knet-libvirt")), env!("CARGO_BIN_EXE_knet"), "--timeout", "2", "-c", remote, "-c", &unix.uri, "list", "--all", "--name"];
    let out = tcp.exec(&v);
    drop(frozen);
    assert_eq!(out.code, 1, "{out:?}");
    for g in &unix_guests {
        assert!(out.stdout.contains(&format!("{} {g}\n", unix.uri)), "{}", out.stdout);
    }
    assert!(out.stderr.contains(&format!("error: {remote}: failed to connect to the hypervisor: no answer within 2 s")), "{}", out.stderr);
}

#[test]
fn hosts_completes_file_paths() {
    let dir = repo().join("tests/fixtures");
    let word = format!("{}/fleet-no", dir.display());
    let out = run(knet().env("COMPLETE", "bash").env("_CLAP_COMPLETE_INDEX", "2").env("_CLAP_COMPLETE_COMP_TYPE", "9").args(["--", "knet", "--hosts", &word])).ok();
    assert_eq!(out.stdout.trim(), format!("{}/fleet-node.xml", dir.display()), "{}", out.stderr);
}

#[test]
fn fleet_conversion_needs_yes_and_previews_every_host() {
    let (a, b) = (test_uri("fleet-node.xml"), "test:///default".to_string());
    let knet2 = |args: &[&str]| run(knet().args(["-c", &a, "-c", &b, "domif-convert", "--all", "--to-bridge", "br0"]).args(args));
    let e = knet2(&[]).code(2);
    assert!(e.stderr.contains("without --yes") && e.stdout.is_empty(), "{}", e.stderr);

    let d = knet2(&["--from-network", "fleetnat", "--dry-run"]).ok().stdout;
    let (first, second) = d.split_once(&format!("# {b}\n")).expect("a section per host");
    assert!(first.starts_with(&format!("# {a}\n")), "{d}");
    assert_eq!(first.matches("+      <source bridge='br0'/>").count(), 5, "{d}");
    assert_eq!(second, "nothing to convert\n");

    let j: serde_json::Value = serde_json::from_str(&knet2(&["--json", "--dry-run"]).ok().stdout).unwrap();
    let hosts: Vec<&str> = j.as_array().unwrap().iter().map(|p| p["host"].as_str().unwrap()).collect();
    assert_eq!(hosts.iter().filter(|h| **h == a).count(), 5);
    assert_eq!(hosts.iter().filter(|h| **h == b).count(), 1, "test:///default's guest is on network default");
}

// ---- a hung host -------------------------------------------------------------

/// `knet -c A -c B --timeout 2` with its own state directory.
fn two_hosts(a: &Sandbox, b: &Sandbox, state: &Path) -> std::process::Command {
    let mut c = knet();
    c.args(["-c", &a.uri, "-c", &b.uri, "--timeout", "2"]).env("XDG_STATE_HOME", state);
    c
}

/// Generous: the 2 s deadline plus start-up, never minutes.
const HANG: std::time::Duration = std::time::Duration::from_secs(40);

#[test]
fn a_frozen_daemon_is_named_within_the_deadline_and_the_healthy_host_still_answers() {
    let (good, good_names) = hypervisor("ok", 0xd1, 3);
    let (hung, hung_names) = hypervisor("hung", 0xd2, 3);
    let state = tempdir_short("knet-hang");
    let before: Vec<String> = hung_names.iter().map(|n| inactive_xml(&hung, n)).collect();
    let good_before: Vec<String> = good_names.iter().map(|n| inactive_xml(&good, n)).collect();
    {
        let _f = Frozen::new(hung.daemon_pid());
        let (out, took) = run_within(two_hosts(&good, &hung, &state).args(["list", "--all"]), HANG);
        assert_eq!(out.code, 1, "{out:?}");
        for n in &good_names {
            assert!(out.stdout.lines().any(|r| r.starts_with(&format!(" {} ", good.uri)) && r.contains(n)), "{n} missing: {}", out.stdout);
        }
        assert!(out.stderr.contains(&format!("error: {}: failed to connect to the hypervisor: no answer within 2 s", hung.uri)), "{}", out.stderr);
        assert!(took < std::time::Duration::from_secs(15), "{took:?}");

        let (out, _) = run_within(two_hosts(&good, &hung, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]), HANG);
        assert_eq!(out.code, 1, "{out:?}");
        let summary = out.stdout.split("\n\n").nth(1).unwrap_or_default();
        let verdicts: Vec<Vec<&str>> = summary.lines().skip(2).map(|r| r.split_whitespace().take(2).collect()).collect();
        assert_eq!(verdicts, [vec![good.uri.as_str(), "ok"], vec![hung.uri.as_str(), "unreachable"]], "{}", out.stdout);
        assert!(summary.contains("no answer within 2 s"), "{summary}");
        for (n, b) in good_names.iter().zip(&good_before) {
            assert_eq!(inactive_xml(&good, n), converted(b), "{n}");
            assert!(out.stdout.lines().any(|r| r.starts_with(&format!(" {} ", good.uri)) && r.contains(&format!(" {n} ")) && r.ends_with("converted")), "{n}: {}", out.stdout);
        }
    }
    // the hung host, back: untouched
    for (n, b) in hung_names.iter().zip(&before) {
        assert_eq!(&inactive_xml(&hung, n), b, "{n}");
    }
    let _ = std::fs::remove_dir_all(&state);
}

/// A daemon that stops answering after knet connected: libvirt's keepalive
/// (set from --timeout) ends the blocked call; what was converted before is
/// reported, the rest of that host is "not started", and a rerun finishes.
#[test]
fn a_daemon_frozen_mid_conversion_is_detected_by_keepalive() {
    let (good, good_names) = hypervisor("fine", 0xe1, 20);
    let (hung, hung_names) = hypervisor("frz", 0xe2, 60);
    let state = tempdir_short("knet-frz");
    let before: Vec<String> = hung_names.iter().map(|n| inactive_xml(&hung, n)).collect();
    let backups = state.join("knet/backups");
    let pid = hung.daemon_pid();
    let watcher = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while start.elapsed() < HANG {
            let started = std::fs::read_dir(&backups).map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("frz-")).count()).unwrap_or(0);
            if started >= 3 {
                return Some(Frozen::new(pid));
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        None
    });
    let (out, _) = run_within(two_hosts(&good, &hung, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]), HANG);
    let frozen = watcher.join().unwrap();
    assert!(frozen.is_some(), "the conversion never started on the second host");
    assert_eq!(out.code, 1, "{out:?}");
    let summary = out.stdout.split("\n\n").nth(1).unwrap_or_default();
    let verdicts: Vec<Vec<&str>> = summary.lines().skip(2).map(|r| r.split_whitespace().take(2).collect()).collect();
    assert_eq!(verdicts, [vec![good.uri.as_str(), "ok"], vec![hung.uri.as_str(), "failed"]], "{}", out.stdout);
    for n in &good_names {
        assert!(out.stdout.lines().any(|r| r.contains(&format!(" {n} ")) && r.ends_with("converted")), "{n}: {}", out.stdout);
    }
    assert!(out.stdout.contains("not started (connection lost)"), "{}", out.stdout);
    assert!(out.stderr.contains(&format!("Connection to the hypervisor {} lost: ", hung.uri)) && out.stderr.contains("run the same command again to finish"), "{}", out.stderr);
    drop(frozen);
    // every guest of the frozen host whole, and the report agrees with libvirt
    let mut done = 0;
    for (n, b) in hung_names.iter().zip(&before) {
        let now = inactive_xml(&hung, n);
        let reported = out.stdout.lines().any(|r| r.contains(&format!(" {n} ")) && r.ends_with(" converted"));
        if now == converted(b) {
            done += 1;
        } else {
            assert_eq!(&now, b, "{n}: half-converted");
        }
        if reported {
            assert_eq!(now, converted(b), "{n} reported converted but is not");
        }
    }
    assert!(done < hung_names.len(), "the freeze came too late to test anything");
    // the rerun finishes the job
    run_within(two_hosts(&good, &hung, &state).args(["domif-convert", "--all", "--to-bridge", "br0", "--yes"]), HANG).0.ok();
    for (n, b) in hung_names.iter().zip(&before) {
        assert_eq!(inactive_xml(&hung, n), converted(b), "{n} after the rerun");
    }
    let _ = std::fs::remove_dir_all(&state);
}

/// Run `c` and note when each stdout line arrived and when the process
/// ended (from the spawn), all bounded by [`HANG`].
fn timed_lines(c: &mut std::process::Command) -> (Vec<(std::time::Duration, String)>, std::time::Duration, Out) {
    use std::io::BufRead;
    use std::process::Stdio;
    let start = std::time::Instant::now();
    let mut child = c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::BufReader::new(stdout).lines().map_while(Result::ok).map(|l| (start.elapsed(), l)).collect::<Vec<_>>());
    let pid = child.id() as i32;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > HANG {
            // SAFETY: kill(2) of the child started above, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let ended = start.elapsed();
    let lines = reader.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let out = Out { code: status.code().unwrap_or(-1), stdout: lines.iter().map(|(_, l)| format!("{l}\n")).collect(), stderr };
    (lines, ended, out)
}

/// A hung host is given up only after --timeout; what the healthy host
/// said (its listing, the guests it converted) is on the screen long before
/// that, in the table's columns, and the hung host is still named at the end.
#[test]
fn a_healthy_hosts_results_are_shown_while_a_hung_host_is_still_awaited() {
    let (good, good_names) = hypervisor("early", 0xf1, 2);
    let (hung, _) = hypervisor("late", 0xf2, 1);
    let state = tempdir_short("knet-stream");
    let _f = Frozen::new(hung.daemon_pid());
    let cmd = |args: &[&str]| {
        let mut c = knet();
        c.args(["-c", &good.uri, "-c", &hung.uri, "--timeout", "8"]).args(args).env("XDG_STATE_HOME", &state);
        c
    };
    for args in [&["list", "--all"][..], &["domif-convert", "--all", "--to-bridge", "br0", "--yes"]] {
        let (lines, ended, out) = timed_lines(&mut cmd(args));
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(out.stderr.contains(&format!("{}: failed to connect to the hypervisor: no answer within 8 s", hung.uri)) || out.stdout.contains("no answer within 8 s"), "{args:?}: {out:?}");
        // the header and the healthy host's rows, well before the end
        assert!(lines[0].1.starts_with(" Host "), "{args:?}: {}", out.stdout);
        for n in &good_names {
            let (at, row) = lines.iter().find(|(_, l)| l.starts_with(&format!(" {} ", good.uri)) && l.contains(&format!(" {n} "))).unwrap_or_else(|| panic!("{args:?}: {n} missing:\n{}", out.stdout));
            assert!(*at + std::time::Duration::from_secs(3) < ended, "{args:?}: {n}'s row came at {at:?}, the command ended at {ended:?}");
            // in the header's columns: the second column starts where its header does
            let second = |l: &str, after: usize| after + l[after..].find(|c: char| c != ' ').unwrap();
            let header = &lines[0].1;
            assert_eq!(second(row, 1 + good.uri.len()), second(header, " Host".len()), "{args:?}:\n{}", out.stdout);
        }
    }
    drop(_f);
    let _ = std::fs::remove_dir_all(&state);
}
