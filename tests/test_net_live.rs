//! Changing a running network (net-restart, net-reconnect, net-edit and
//! net-define --apply) against a real libvirtd in its own namespace: the
//! guests' taps must end up ports of the bridge again, whoever restarted
//! the network, and a definition that does not start must be rolled back.
//! One sandbox serves the whole story (a daemon start costs seconds).

use std::os::unix::fs::PermissionsExt;

use crate::test_domif_convert::{define_guests, host};
use crate::util::*;

/// The taps that are ports of `br` in the sandbox's namespace.
fn ports(sb: &Sandbox, br: &str) -> Vec<String> {
    let out = sb.exec(&["ip", "-br", "link", "show", "master", br]).ok().stdout;
    let mut v: Vec<String> = out.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect();
    v.sort();
    v
}

/// The running guests' taps, from libvirt.
fn taps(sb: &Sandbox, guests: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = guests
        .iter()
        .map(|g| {
            let o = run(sb.virsh().args(["domiflist", g])).ok().stdout;
            o.lines().nth(2).and_then(|l| l.split_whitespace().next()).unwrap_or("?").to_string()
        })
        .collect();
    v.sort();
    v
}

fn virsh_restart(sb: &Sandbox) {
    run(sb.virsh().args(["net-destroy", "default"])).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
}

fn forward_rules(sb: &Sandbox) -> Vec<String> {
    sb.exec(&["iptables", "-w", "-S", "FORWARD"]).ok().stdout.lines().map(str::to_string).collect()
}

/// A network's live XML without its `connections='N'` counter: libvirt's
/// net-update --live drops it (the count restarts at 0), while a restart
/// with the guests reconnected counts them again.
fn without_connections(xml: &str) -> String {
    match (xml.find(" connections='"), xml.find('>')) {
        (Some(a), Some(gt)) if a < gt => format!("{}{}", &xml[..a], &xml[a + xml[a + 14..].find('\'').unwrap() + 15..]),
        _ => xml.to_string(),
    }
}

const FWD: &str = "-A FORWARD -d 192.168.122.254/32 -o virbr0 -p tcp -m tcp --dport 80 -j ACCEPT";

#[test]
fn restart_reconnect_apply_and_rollback_keep_running_guests_on_the_bridge() {
    let sb = host();
    let guests = define_guests(&sb, 5);
    let running = ["g00", "g01", "g02"];
    // a port forward to g00, installed before it starts so the hook runs
    let hooks = sb.dir.join("etc/hooks");
    let hooks_s = hooks.to_str().unwrap();
    sb.knet_in_ns(&["port-forward", "g00", "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks_s]).ok();
    sb.exec(&["kill", "-HUP", &sb.daemon_pid().to_string()]).ok();
    std::thread::sleep(std::time::Duration::from_millis(500));
    for g in running {
        run(sb.virsh().args(["start", "--paused", g])).ok();
    }
    let on_bridge = taps(&sb, &running);
    assert_eq!(ports(&sb, "virbr0"), on_bridge);
    assert!(forward_rules(&sb).iter().any(|r| r == FWD), "{:?}", forward_rules(&sb));

    // off a terminal a restart needs --yes, and nothing happens without it
    let o = sb.knet_in_ns(&["net-restart", "default", "--hooks-dir", hooks_s]).code(2);
    assert!(o.stderr.contains("pass --yes") && o.stderr.contains("3 running guest NIC(s)"), "{}", o.stderr);

    // the guide's state: libvirt's reload left the forward behind its own rules
    sb.exec(&["sh", "-c", &format!("iptables -w {} && iptables -w {}", FWD.replacen("-A", "-D", 1), FWD)]).ok();
    assert_eq!(forward_rules(&sb).last().map(String::as_str), Some(FWD));

    // net-restart: every running guest back on the bridge, forward in front again
    let o = sb.knet_in_ns(&["net-restart", "default", "--yes", "--hooks-dir", hooks_s]).ok();
    assert!(o.stdout.starts_with("Network default restarted\n"), "{}", o.stdout);
    for g in running {
        assert!(o.stdout.lines().any(|l| l.starts_with(&format!(" {g} ")) && l.ends_with("reconnected")), "{g}: {}", o.stdout);
    }
    assert!(!o.stdout.contains("g03") && !o.stdout.contains("g04"), "shut-off guests reported: {}", o.stdout);
    assert_eq!(ports(&sb, "virbr0"), on_bridge, "taps not on virbr0 after net-restart");
    assert!(o.stdout.contains("Port forwards of g00 re-applied"), "{}", o.stdout);
    let rules = forward_rules(&sb);
    let fwd = rules.iter().position(|r| r == FWD).expect("forward rule gone");
    let libvirt = rules.iter().position(|r| r.contains("LIBVIRT_")).unwrap();
    assert!(fwd < libvirt, "forward rule behind libvirt's: {rules:?}");
    // the live XML is the network form again, with a port per NIC
    for g in running {
        let k = run(sb.virsh().args(["domiflist", g])).ok().stdout;
        assert!(k.contains(" network   default "), "{k}");
    }
    assert_eq!(run(sb.virsh().args(["net-port-list", "default", "--uuid"])).ok().stdout.lines().filter(|l| !l.is_empty()).count(), 3);

    // someone restarts it with virsh: doctor sees the cut-off NICs and names the fix
    virsh_restart(&sb);
    assert!(ports(&sb, "virbr0").is_empty(), "libvirt reconnected the taps itself?");
    let d = sb.knet_in_ns(&["doctor", "default"]).code(1);
    assert!(d.stdout.contains("the guest is cut off") && d.stdout.contains("fix: knet net-reconnect default"), "{}", d.stdout);
    // net-reconnect from outside the daemon's namespace (the taps are not
    // visible there, as over a remote URI): libvirt's port records decide
    let o = run(sb.knet().args(["net-reconnect", "default"])).ok();
    assert!(o.stdout.starts_with("Network default: 3 reconnected\n"), "{}", o.stdout);
    assert_eq!(ports(&sb, "virbr0"), on_bridge, "taps not on virbr0 after net-reconnect");
    let d = sb.knet_in_ns(&["doctor", "default"]).ok();
    assert!(!d.stdout.contains("cut off"), "{}", d.stdout);
    // twice is harmless
    let o = sb.knet_in_ns(&["net-reconnect", "default", "--hooks-dir", hooks_s]).ok();
    assert_eq!(o.stdout, "Nothing to reconnect on network default\n\n");

    // a run stopped between its two steps leaves a NIC in its bridge form
    // (connected); the next run finishes it
    virsh_restart(&sb);
    let live = run(sb.virsh().args(["dumpxml", "g01"])).ok().stdout;
    let nic = &live[live.find("<interface").unwrap()..live.find("</interface>").unwrap() + 12];
    let start = nic.find("<source").unwrap();
    let end = start + nic[start..].find("/>").unwrap() + 2;
    let bridge_form = format!("{}<source bridge='virbr0'/>{}", &nic[..start], &nic[end..]).replacen("type='network'", "type='bridge'", 1);
    let f = sb.dir.join("halfway.xml");
    std::fs::write(&f, bridge_form).unwrap();
    run(sb.virsh().args(["update-device", "g01", f.to_str().unwrap(), "--live"])).ok();
    let o = sb.knet_in_ns(&["--json", "net-reconnect", "default"]).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let results: Vec<(&str, &str)> = v["nics"].as_array().unwrap().iter().map(|n| (n["guest"].as_str().unwrap(), n["result"].as_str().unwrap())).collect();
    assert_eq!(results, vec![("g00", "reconnected"), ("g01", "reconnected"), ("g02", "reconnected")]);
    assert!(run(sb.virsh().args(["domiflist", "g01"])).ok().stdout.contains(" network   default "));
    assert_eq!(ports(&sb, "virbr0"), on_bridge);

    // net-edit --apply: a new DHCP range goes live through net-update, no restart
    let editor = sb.dir.join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i \"s/<range start='192.168.122.2' end='192.168.122.254'\\/>/<range start='192.168.122.100' end='192.168.122.200'\\/>/\" \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ed = format!("EDITOR={}", editor.display());
    let o = sb.knet_in_ns_env(&[&ed], &["net-edit", "default", "--apply", "--yes"]).ok();
    assert!(o.stdout.contains("applied live with net-update (delete ip-dhcp-range, add ip-dhcp-range)"), "{}", o.stdout);
    let live = run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout;
    assert!(live.contains("<range start='192.168.122.100' end='192.168.122.200'/>") && !live.contains("<range start='192.168.122.2' "), "{live}");
    let conf = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/default.conf")).unwrap();
    assert!(conf.contains("dhcp-range=192.168.122.100,192.168.122.200"), "{conf}");
    assert_eq!(ports(&sb, "virbr0"), on_bridge, "net-edit --apply cut guests off");
    // a change made to the persistent definition only: net-edit --apply,
    // closed without a change, brings it live
    run(sb.virsh().args(["net-update", "default", "add", "ip-dhcp-host", "<host mac='52:54:00:10:00:09' ip='192.168.122.9'/>", "--config"])).ok();
    let o = sb.knet_in_ns_env(&["EDITOR=true"], &["net-edit", "default", "--apply"]).ok();
    assert!(o.stdout.contains("not changed") && o.stdout.contains("applied live with net-update (add ip-dhcp-host)"), "{}", o.stdout);
    assert!(run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout.contains("<host mac='52:54:00:10:00:09' ip='192.168.122.9'/>"));
    // applying the same definition again: nothing to do
    let same = sb.dir.join("same.xml");
    std::fs::write(&same, run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout).unwrap();
    let o = sb.knet_in_ns(&["net-define", same.to_str().unwrap(), "--apply"]).ok();
    assert!(o.stdout.contains("already matches its definition; nothing to apply"), "{}", o.stdout);

    // a definition that cannot start (its subnet is another active
    // network's) is rolled back: previous definition live, guests on it
    std::fs::write(sb.dir.join("other.xml"), "<network><name>other</name><bridge name='virbr5'/><ip address='192.168.150.1' netmask='255.255.255.0'/></network>").unwrap();
    run(sb.virsh().arg("net-define").arg(sb.dir.join("other.xml"))).ok();
    run(sb.virsh().args(["net-start", "other"])).ok();
    let config_before = run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout;
    let live_before = without_connections(&run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout);
    let bad = sb.dir.join("bad.xml");
    std::fs::write(&bad, config_before.replace("192.168.122.", "192.168.150.")).unwrap();
    // without --yes off a terminal: refused, the previous definition back
    let o = sb.knet_in_ns(&["net-define", bad.to_str().unwrap(), "--apply"]).code(2);
    assert!(o.stderr.contains("<ip> changed") && o.stderr.contains("its previous definition is restored"), "{}", o.stderr);
    assert_eq!(run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout, config_before);
    let o = sb.knet_in_ns(&["net-define", bad.to_str().unwrap(), "--apply", "--yes"]).code(1);
    assert!(o.stdout.contains("did not start (") && o.stdout.contains("was started again") && o.stdout.contains("already in use"), "{}", o.stdout);
    assert_eq!(run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout, config_before, "persistent definition not restored");
    assert_eq!(without_connections(&run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout), live_before, "live definition not restored");
    assert_eq!(ports(&sb, "virbr0"), on_bridge, "guests not reconnected after the rollback");
    // the same through net-edit: the edit itself is kept, and named
    let editor = sb.dir.join("bad-editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/192\\.168\\.122\\./192.168.150./g' \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ed = format!("EDITOR={}", editor.display());
    let o = sb.knet_in_ns_env(&[&ed], &["net-edit", "default", "--apply", "--yes"]).code(1);
    let kept = o.stderr.split("your edited XML is kept in ").nth(1).map(|r| r.lines().next().unwrap().trim().to_string()).unwrap_or_else(|| panic!("{o:?}"));
    assert!(std::fs::read_to_string(&kept).unwrap().contains("<ip address='192.168.150.1'"), "{kept}");
    std::fs::remove_dir_all(std::path::Path::new(&kept).parent().unwrap()).unwrap();
    assert_eq!(run(sb.virsh().args(["net-dumpxml", "--inactive", "default"])).ok().stdout, config_before);
    assert_eq!(ports(&sb, "virbr0"), on_bridge);
    assert_eq!(guests.len(), 5);

    // Ctrl-C at some moment of a restart: whatever it hit, the report says
    // what is left, and net-reconnect finishes the job
    let child = std::process::Command::new(sandbox_sh())
        .arg("exec")
        .arg(&sb.dir)
        .args(["env", "LC_ALL=C", concat!("KNET_LIBVIRT_BIN=", env!("CARGO_BIN_EXE_knet-libvirt")), env!("CARGO_BIN_EXE_knet"), "-c", &sb.uri, "net-restart", "default", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    // SAFETY: kill(2) on the child we spawned
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = Out::from(child.wait_with_output().unwrap());
    match o.code {
        // done before the signal came
        0 => assert!(o.stdout.contains("Network default restarted"), "{o:?}"),
        // stopped between two steps: it says so, and names the way on
        130 => assert!(o.stderr.contains("interrupted by Ctrl-C") && o.stderr.contains("knet net-reconnect default"), "{o:?}"),
        // killed before it took its guard: nothing had changed yet
        -1 => assert_eq!(ports(&sb, "virbr0"), on_bridge, "{o:?}"),
        _ => panic!("{o:?}"),
    }
    // the network always runs: Ctrl-C never lands between its stop and start
    sb.knet_in_ns(&["net-reconnect", "default"]).ok();
    assert_eq!(ports(&sb, "virbr0"), on_bridge);
}

#[test]
fn several_hosts_and_refusals() {
    let dir = tempdir_short("knet-live");
    let uris: Vec<String> = (1..=2)
        .map(|i| {
            let node = dir.join(format!("node{i}.xml"));
            std::fs::write(&node, format!("<node><network><name>default</name><bridge name='virbr9'/><forward mode='nat'/><ip address='10.9.{i}.1' prefix='24'/></network></node>")).unwrap();
            format!("test://{}", node.display())
        })
        .collect();
    let two = ["-c", uris[0].as_str(), "-c", uris[1].as_str()];
    // several hosts: --yes is required, nothing asked per host
    let o = run(knet().args(two).args(["net-restart", "default"])).code(2);
    assert!(o.stderr.contains("without --yes"), "{}", o.stderr);
    let o = run(knet().args(two).args(["--json", "net-restart", "default", "--yes"])).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().iter().map(|h| h["result"].as_str().unwrap()).collect::<Vec<_>>(), ["ok", "ok"], "{v}");
    // a guest the driver cannot reconnect is reported with libvirt's reason
    let o = run(knet().args(["-c", "test:///default", "net-restart", "default", "--yes"])).code(1);
    assert!(o.stdout.contains(" test ") && o.stdout.contains("failed: libvirt refused to move it: this function is not supported"), "{}", o.stdout);
    // where libvirt lists no ports and the tap is not visible, nothing is
    // guessed: the NIC is left alone and said to be unchecked
    let o = run(knet().args(["-c", "test:///default", "net-reconnect", "default"])).ok();
    assert_eq!(o.stdout, "Nothing to reconnect on network default (1 NIC(s) not checked: run knet on the hypervisor itself to check them)\n\n");
    // a network that does not run has nothing to restart or reconnect
    let o = run(knet().args(["-c", "test:///default", "net-reconnect", "nosuch"])).code(1);
    assert!(o.stderr.contains("failed to get network 'nosuch'"), "{}", o.stderr);
    // a transient network is created again from its live definition
    let tr = dir.join("tr.xml");
    std::fs::write(&tr, "<network><name>tr</name><bridge name='virbr7'/><ip address='10.7.0.1' prefix='24'/></network>").unwrap();
    let o = run(knet().args(["-c", "test:///default", &format!("net-create {}; net-restart tr --yes; net-list --all", tr.display())])).ok();
    assert!(o.stdout.contains("Network tr restarted\n") && o.stdout.contains(" tr        active   no          no\n"), "{}", o.stdout);
    let _ = std::fs::remove_dir_all(dir);
}
