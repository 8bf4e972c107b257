//! net-* commands against a real, private libvirtd (tests/sandbox): what
//! only a real daemon does (bridges, dnsmasq, NAT rules, autostart across a
//! restart, DHCP host files, real leases), virsh parity there, and bad input
//! leaving libvirt exactly as it was.

use std::path::PathBuf;

use crate::util::*;

fn fixture(name: &str) -> String {
    repo().join("tests/fixtures").join(name).display().to_string()
}

/// A scratch directory removed when the test ends, passed or not.
struct Scratch(PathBuf);

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        Scratch(tempdir_short(prefix))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The sandbox with tests/fixtures/net-nat.xml (network `knetnat`, bridge
/// virbr9, 192.168.150.0/24, dynamic range .100-.200) defined by knet.
fn sandbox_with_nat() -> Sandbox {
    let sb = Sandbox::start();
    run(sb.knet().args(["net-define", &fixture("net-nat.xml")])).ok();
    sb
}

/// Everything an admin could see of the daemon's networks: the list and
/// every network's live and persistent XML.
fn state(sb: &Sandbox) -> String {
    let list = run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout;
    let mut s = run(sb.virsh().args(["net-list", "--all"])).ok().stdout;
    for name in list.lines().filter(|l| !l.is_empty()) {
        s += &run(sb.virsh().args(["net-dumpxml", name])).ok().stdout;
        s += &run(sb.virsh().args(["net-dumpxml", "--inactive", name])).ok().stdout;
    }
    s
}

#[track_caller]
fn same(sb: &Sandbox, args: &[&str]) -> Out {
    let k = run(sb.knet().args(args));
    let v = run(sb.virsh().args(args));
    assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?}\nknet stderr: {}\nvirsh stderr: {}", k.stderr, v.stderr);
    assert_eq!(k.code, v.code, "exit code differs for {args:?}\nknet stderr: {}\nvirsh stderr: {}", k.stderr, v.stderr);
    k
}

#[test]
fn start_brings_up_bridge_dnsmasq_and_nat() {
    let sb = sandbox_with_nat();
    let out = run(sb.knet().args(["net-start", "knetnat"])).ok();
    assert_eq!(out.stdout, "Network knetnat started\n\n");

    let links = sb.exec(&["ip", "-br", "link", "show", "virbr9"]).ok().stdout;
    let flags = links.split_whitespace().find(|w| w.starts_with('<')).unwrap_or("");
    assert!(flags.trim_matches(['<', '>']).split(',').any(|f| f == "UP"), "virbr9 not up: {links}");
    let addrs = sb.exec(&["ip", "-br", "addr", "show", "virbr9"]).ok().stdout;
    assert!(addrs.contains("192.168.150.1/24"), "{addrs}");

    // dnsmasq, started by libvirt for this network, is alive
    let pid = std::fs::read_to_string(sb.dir.join("run/network/knetnat.pid")).expect("dnsmasq pid file").trim().to_string();
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).expect("dnsmasq is running").replace('\0', " ");
    assert!(cmdline.contains("dnsmasq") && cmdline.contains("knetnat.conf"), "{cmdline}");

    // NAT: masquerading of the subnet, in whichever backend libvirt used
    let rules = sb.exec(&["iptables-save"]).stdout + &sb.exec(&["nft", "list", "ruleset"]).stdout;
    assert!(rules.lines().any(|l| l.contains("192.168.150.0/24") && l.to_lowercase().contains("masquerade")), "no NAT rule:\n{rules}");

    // the same views as virsh, now that it runs
    for args in [&["net-list"][..], &["net-list", "--all"], &["net-info", "knetnat"], &["net-dumpxml", "knetnat"], &["net-dumpxml", "--inactive", "knetnat"], &["net-dumpxml", "knetnat", "--xpath", "//ip", "--wrap"]] {
        same(&sb, args).ok();
    }
    // starting it again fails as in virsh
    let again = same(&sb, &["net-start", "knetnat"]).code(1);
    assert!(again.stderr.contains("already"), "{}", again.stderr);
    // a real daemon lets a running network be undefined: it lives on, transient
    let out = run(sb.knet().args(["net-undefine", "knetnat"])).ok();
    assert_eq!(out.stdout, "Network knetnat has been undefined\n\n");
    same(&sb, &["net-list", "--transient"]).ok();
    assert!(run(sb.knet().args(["net-info", "knetnat"])).ok().stdout.contains("Persistent:     no\n"));
    let out = run(sb.knet().args(["net-destroy", "knetnat"])).ok();
    assert_eq!(out.stdout, "Network knetnat destroyed\n\n");
    assert!(sb.exec(&["ip", "link", "show", "virbr9"]).code != 0, "bridge left behind");
    same(&sb, &["net-info", "knetnat"]).code(1);
    assert_eq!(run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout, "\n");
}

#[test]
fn autostart_survives_daemon_restart() {
    let sb = sandbox_with_nat();
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    let out = run(sb.knet().args(["net-autostart", "knetnat"])).ok();
    assert_eq!(out.stdout, "Network knetnat marked as autostarted\n\n");
    sb.stop_daemon();
    // daemon down: a clear connection error, nothing on stdout
    let down = run(sb.knet().args(["net-list"])).code(1);
    assert!(down.stderr.starts_with("error: failed to connect to the hypervisor\n"), "{}", down.stderr);
    assert_eq!(down.stdout, "");
    sb.restart_daemon();
    let info = run(sb.knet().args(["--json", "net-info", "knetnat"])).ok();
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["active"], true, "{}", info.stdout);
    assert_eq!(v["autostart"], true);
    same(&sb, &["net-list", "--autostart"]).ok();
    assert!(sb.exec(&["ip", "-br", "link", "show", "virbr9"]).ok().stdout.contains("virbr9"));

    let out = run(sb.knet().args(["net-autostart", "knetnat", "--disable"])).ok();
    assert_eq!(out.stdout, "Network knetnat unmarked as autostarted\n\n");
    sb.stop_daemon();
    sb.restart_daemon();
    let info = run(sb.knet().args(["--json", "net-info", "knetnat"])).ok();
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["active"], false, "{}", info.stdout);
}

#[test]
fn dhcp_host_reaches_dnsmasq_and_both_configs_and_a_real_guest() {
    let sb = sandbox_with_nat();
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    let add = ["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:AA:BB:42", "--ip", "192.168.150.42", "--name", "knetvm"];
    let out = run(sb.knet().args(add)).ok();
    assert!(out.stdout.contains("added to network knetnat (live state and persistent config)"), "{}", out.stdout);

    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/knetnat.hostsfile")).unwrap();
    assert!(hosts.lines().any(|l| l == "52:54:00:aa:bb:42,192.168.150.42,knetvm"), "{hosts}");
    let want = "<host mac=\"52:54:00:aa:bb:42\" name=\"knetvm\" ip=\"192.168.150.42\"/>\n\n";
    assert_eq!(run(sb.knet().args(["net-dumpxml", "knetnat", "--xpath", "//dhcp/host"])).ok().stdout, want);
    assert_eq!(run(sb.knet().args(["net-dumpxml", "--inactive", "knetnat", "--xpath", "//dhcp/host"])).ok().stdout, want);

    // idempotent: the same entry again changes nothing and succeeds
    let before = state(&sb);
    let out = run(sb.knet().args(add)).ok();
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
    assert_eq!(state(&sb), before);

    // list, table and JSON
    let list = run(sb.knet().args(["net-dhcp-host", "knetnat", "list"])).ok().stdout;
    assert!(list.contains(" 52:54:00:aa:bb:42   192.168.150.42   knetvm"), "{list}");
    let json: serde_json::Value = serde_json::from_str(&run(sb.knet().args(["--json", "net-dhcp-host", "knetnat", "list"])).ok().stdout).unwrap();
    assert_eq!(json[0]["ip"], "192.168.150.42");

    // a guest that boots (TCG, iPXE) gets exactly that address
    run(sb.virsh().args(["define", &fixture("guest-nat.xml")])).ok();
    run(sb.virsh().args(["start", "knetvm"])).ok();
    let mut leases = String::new();
    for _ in 0..60 {
        leases = run(sb.knet().args(["net-dhcp-leases", "knetnat", "--mac", "52:54:00:aa:bb:42"])).ok().stdout;
        if leases.contains("192.168.150.42/24") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(leases.contains("192.168.150.42/24") && leases.contains("knetvm"), "no static lease within 30 s:\n{leases}");
    same(&sb, &["net-dhcp-leases", "knetnat"]).ok();
    same(&sb, &["net-dhcp-leases", "knetnat", "--mac", "52:54:00:aa:bb:42"]).ok();
    same(&sb, &["-q", "net-dhcp-leases", "knetnat"]).ok();
    let json: serde_json::Value = serde_json::from_str(&run(sb.knet().args(["--json", "net-dhcp-leases", "knetnat"])).ok().stdout).unwrap();
    assert_eq!(json[0]["ip"], "192.168.150.42");
    assert_eq!(json[0]["mac"], "52:54:00:aa:bb:42");
    run(sb.virsh().args(["destroy", "knetvm"])).ok();

    // remove: gone from dnsmasq and both configs; again is a no-op
    run(sb.knet().args(["net-dhcp-host", "knetnat", "remove", "--mac", "52:54:00:aa:bb:42"])).ok();
    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/knetnat.hostsfile")).unwrap_or_default();
    assert!(!hosts.contains("52:54:00:aa:bb:42"), "{hosts}");
    assert_eq!(run(sb.knet().args(["net-dumpxml", "--inactive", "knetnat", "--xpath", "//dhcp/host"])).ok().stdout, "\n");
    let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "remove", "--mac", "52:54:00:aa:bb:42"])).ok();
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
}

#[test]
fn dhcp_host_conflicts_are_refused_unless_replace() {
    let sb = sandbox_with_nat();
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    run(sb.knet().args(["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:00:00:01", "--ip", "192.168.150.11"])).ok();
    let before = state(&sb);
    for (args, why) in [
        (&["--mac", "52:54:00:00:00:01", "--ip", "192.168.150.12"][..], "MAC 52:54:00:00:00:01 already has a DHCP host entry"),
        (&["--mac", "52:54:00:00:00:02", "--ip", "192.168.150.11"], "IP 192.168.150.11 is already given to"),
        (&["--mac", "52:54:00:00:00:02", "--ip", "10.1.2.3"], "outside network knetnat's subnets (192.168.150.0/24)"),
    ] {
        let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "add"]).args(args)).code(1);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
        assert_eq!(state(&sb), before, "{args:?} changed libvirt");
    }
    for (args, why) in [(&["--mac", "01:00:5e:00:00:01", "--ip", "192.168.150.12"][..], "multicast"), (&["--mac", "zz", "--ip", "192.168.150.12"], "invalid MAC")] {
        let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "add"]).args(args)).code(2);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
        assert_eq!(state(&sb), before);
    }
    // --replace moves the MAC to its new address, live and persistent
    run(sb.knet().args(["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:00:00:01", "--ip", "192.168.150.12", "--replace"])).ok();
    for inactive in [false, true] {
        let mut c = sb.knet();
        c.arg("net-dumpxml");
        if inactive {
            c.arg("--inactive");
        }
        let out = run(c.args(["knetnat", "--xpath", "//dhcp/host"])).ok().stdout;
        assert_eq!(out, "<host mac=\"52:54:00:00:00:01\" ip=\"192.168.150.12\"/>\n\n", "inactive={inactive}");
    }
}

/// A sandbox with libvirt's own stock default network (the file Debian's
/// libvirt installs), defined and started.
fn sandbox_with_stock_default() -> Sandbox {
    let sb = Sandbox::start();
    run(sb.virsh().args(["net-define", "/usr/share/libvirt/networks/default.xml"])).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    sb
}

#[test]
fn dhcp_host_examples_of_readme_and_man_pages_run_on_the_stock_default_network() {
    let sb = sandbox_with_stock_default();
    let readme = crate::test_readme::readme_commands().into_iter().map(|(no, _, w)| (format!("README.md:{no}"), w));
    let man = knet::commands::generate_assets::EXAMPLES.iter().map(|(cmd, _, line)| (format!("man page of {cmd}"), knet::shell::split(line).unwrap().concat()));
    let mut ran = 0;
    for (what, words) in readme.chain(man) {
        let dhcp = words.iter().any(|w| w.starts_with("net-dhcp") || w.starts_with("ip-dhcp"));
        if !dhcp || words.get(2).map(String::as_str) != Some("default") {
            continue;
        }
        let out = run(sb.knet().args(&words[1..]));
        assert_eq!(out.code, 0, "{what}: `{}` fails on libvirt's stock default network:\n{}", words.join(" "), out.stderr);
        ran += 1;
    }
    assert!(ran >= 6, "only {ran} DHCP examples found");
}

#[test]
fn dhcp_host_refuses_only_what_cannot_work_on_the_stock_default_network() {
    let sb = sandbox_with_stock_default();
    let add = |args: &[&str]| run(sb.knet().args(["net-dhcp-host", "default", "add"]).args(args));
    // inside the dynamic range (.2-.254) is what every stock network offers
    add(&["--mac", "52:54:00:00:00:31", "--ip", "192.168.122.31", "--name", "web-1.lab"]).ok();
    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/default.hostsfile")).unwrap();
    assert!(hosts.lines().any(|l| l == "52:54:00:00:00:31,192.168.122.31,web-1.lab"), "{hosts}");

    let before = state(&sb);
    for (ip, why) in [
        ("192.168.122.1", "IP 192.168.122.1 is the host's own address on network default"),
        ("192.168.122.0", "IP 192.168.122.0 is the network address of 192.168.122.0/24"),
        ("192.168.122.255", "IP 192.168.122.255 is the broadcast address of 192.168.122.0/24"),
        ("192.168.123.5", "outside network default's subnets (192.168.122.0/24)"),
    ] {
        let out = add(&["--mac", "52:54:00:00:00:32", "--ip", ip]).code(1);
        assert!(out.stderr.contains(why), "{ip}: {}", out.stderr);
    }
    for (name, why) in [
        ("bad name;rm", "host name 'bad name;rm' contains ' ' in its first label"),
        ("a,b", "host name 'a,b' contains ','"),
        ("-web", "starts with '-'"),
        ("12h", "lease time"),
        ("web\x1b[31m", "host name 'web\\x1b[31m' contains the control character"),
    ] {
        let out = add(&["--mac", "52:54:00:00:00:32", "--ip", "192.168.122.32", &format!("--name={name}")]).code(2);
        assert!(out.stderr.contains(why), "{name:?}: {}", out.stderr);
        assert!(!out.stderr.contains('\x1b'), "a control character reached the terminal: {:?}", out.stderr);
    }
    assert_eq!(state(&sb), before, "a refused add changed libvirt");

    // an address a current lease gives to another MAC: refused, then --replace warns and takes it
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let lease = format!(r#"[{{"ip-address":"192.168.122.60","mac-address":"52:54:00:00:00:60","hostname":"other","expiry-time":{}}}]"#, now + 3600);
    std::fs::write(sb.dir.join("lib/dnsmasq/virbr0.status"), lease).unwrap();
    let out = add(&["--mac", "52:54:00:00:00:33", "--ip", "192.168.122.60"]).code(1);
    assert!(out.stderr.contains("IP 192.168.122.60 is currently leased to 52:54:00:00:00:60 (other) on network default"), "{}", out.stderr);
    assert!(out.stderr.contains("--replace"), "{}", out.stderr);
    assert_eq!(state(&sb), before);
    // the lease's own MAC may reserve the address it holds
    add(&["--mac", "52:54:00:00:00:60", "--ip", "192.168.122.60"]).ok();
    let out = add(&["--mac", "52:54:00:00:00:33", "--ip", "192.168.122.60", "--replace"]).ok();
    assert!(out.stderr.contains("warning: IP 192.168.122.60 is currently leased to 52:54:00:00:00:60"), "{}", out.stderr);
    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/default.hostsfile")).unwrap();
    assert!(hosts.lines().any(|l| l == "52:54:00:00:00:33,192.168.122.60"), "{hosts}");
}

#[test]
fn net_update_matches_virsh_on_a_real_network() {
    let sb = sandbox_with_nat();
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    let host = "<host mac='52:54:00:00:00:09' name='h9' ip='192.168.150.9'/>";
    let k = run(sb.knet().args(["net-update", "knetnat", "add", "ip-dhcp-host", host, "--live", "--config"])).ok();
    assert_eq!(k.stdout, "Updated network knetnat persistent config and live state\n");
    // adding it again is an error in both, with the same output
    let dup = same(&sb, &["net-update", "knetnat", "add", "ip-dhcp-host", host, "--live", "--config"]).code(1);
    assert!(dup.stderr.contains("there is an existing dhcp host entry"), "{}", dup.stderr);
    let v = run(sb.virsh().args(["net-update", "knetnat", "delete", "ip-dhcp-host", host, "--config"])).ok();
    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/knetnat.hostsfile")).unwrap();
    assert!(hosts.contains("52:54:00:00:00:09,192.168.150.9,h9"), "{hosts}");
    let k = run(sb.knet().args(["net-update", "knetnat", "delete", "ip-dhcp-host", host, "--live"])).ok();
    assert_eq!(k.stdout, v.stdout.replace("persistent config", "live state"));
    // from a file, on the persistent config only, other sections too
    let scratch = Scratch::new("knet-upd");
    let dir = scratch.0.clone();
    let file = dir.join("dns.xml");
    std::fs::write(&file, "<host ip='192.168.150.7'><hostname>seven</hostname></host>\n").unwrap();
    let k = run(sb.knet().args(["net-update", "knetnat", "add-first", "dns-host"]).arg(&file).arg("--config")).ok();
    assert_eq!(k.stdout, "Updated network knetnat persistent config\n");
    assert!(run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout.contains("<hostname>seven</hostname>"));
    // libvirt cannot modify a range in place (same refusal as virsh's);
    // delete + add does it; a portgroup in the config
    let range = "<range start='192.168.150.120' end='192.168.150.180'/>";
    same(&sb, &["net-update", "knetnat", "modify", "ip-dhcp-range", range, "--live", "--config"]).code(1);
    run(sb.knet().args(["net-update", "knetnat", "delete", "ip-dhcp-range", "<range start='192.168.150.100' end='192.168.150.200'/>", "--config"])).ok();
    run(sb.knet().args(["net-update", "knetnat", "add", "ip-dhcp-range", range, "--config"])).ok();
    assert!(run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout.contains(range));
    let k = run(sb.knet().args(["net-update", "knetnat", "add", "portgroup", "<portgroup name='eng'/>", "--config"])).ok();
    assert_eq!(k.stdout, "Updated network knetnat persistent config\n");
    same(&sb, &["net-update", "knetnat", "add", "portgroup", "<portgroup name='eng'/>", "--config"]).code(1);
    same(&sb, &["net-update", "knetnat", "add", "bridge", "<bridge name='x'/>"]).code(1);
    same(&sb, &["net-update", "knetnat", "add", "ip-dhcp-host", host, "--current", "--config"]).code(1);
    same(&sb, &["-r", "net-update", "knetnat", "add", "ip-dhcp-host", host]).code(1);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let sb = sandbox_with_nat();
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    let before = state(&sb);
    let scratch = Scratch::new("knet-bad");
    let dir = scratch.0.clone();
    let private = dir.join("private.xml");
    std::fs::copy(fixture("net-nat.xml"), &private).unwrap();
    let private = private.display().to_string();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&private, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["net-define".into(), fixture("net-malformed.xml")], "net-malformed.xml:4:"),
        // knet's validator or libvirt's schema check, whichever speaks first
        (vec!["net-define".into(), fixture("net-schema-error.xml")], "bogus"),
        (vec!["net-define".into(), fixture("net-semantic-error.xml")], "address"),
        (vec!["net-create".into(), fixture("net-malformed.xml")], "nothing was sent to libvirt"),
        (vec!["net-define".into(), "/nonexistent/net.xml".into()], "Failed to open file '/nonexistent/net.xml': No such file or directory"),
        (vec!["net-start".into(), "nosuch".into()], "failed to get network 'nosuch'"),
        (vec!["net-start".into(), "knetnat".into()], "already"),
        (vec!["-r".into(), "net-destroy".into(), "knetnat".into()], "read only access prevents virNetworkDestroy"),
        (vec!["-r".into(), "net-define".into(), fixture("net-nat.xml")], "read only access prevents"),
    ];
    for (args, why) in &cases {
        let out = run(sb.knet().args(args)).code(1);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "\n", "{args:?}");
        assert_eq!(state(&sb), before, "{args:?} changed libvirt");
    }
    // permission denied: an unprivileged admin cannot read root's 0600 file
    let mut c = std::process::Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_knet"), "-c", &sb.uri, "net-define", &private]);
    c.env("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt")).env("LC_ALL", "C");
    let out = run(&mut c).code(1);
    assert!(out.stderr.contains(&format!("Failed to open file '{private}': Permission denied")), "{}", out.stderr);
    assert_eq!(state(&sb), before);
    // usage errors: exit 2
    let out = run(sb.knet().args(["net-define"])).code(2);
    assert_eq!(out.stderr, "error: command 'net-define' requires <file> option\n");
    assert_eq!(state(&sb), before);
}

#[test]
fn redefine_keeps_the_uuid() {
    let sb = sandbox_with_nat();
    let uuid = run(sb.knet().args(["net-uuid", "knetnat"])).ok().stdout;
    // the fixture has no <uuid>: virsh would refuse ("already exists with uuid")
    let v = run(sb.virsh().args(["net-define", &fixture("net-nat.xml")])).code(1);
    assert!(v.stderr.contains("already exists with uuid"), "{}", v.stderr);
    let scratch = Scratch::new("knet-redef");
    let dir = scratch.0.clone();
    let f = dir.join("nat.xml");
    std::fs::write(&f, std::fs::read_to_string(fixture("net-nat.xml")).unwrap().replace("delay='0'", "delay='3'")).unwrap();
    let out = run(sb.knet().arg("net-define").arg(&f)).ok();
    assert_eq!(out.stdout, format!("Network knetnat defined from {}\n\n", f.display()));
    assert_eq!(run(sb.knet().args(["net-uuid", "knetnat"])).ok().stdout, uuid);
    assert_eq!(run(sb.knet().args(["net-dumpxml", "--inactive", "knetnat", "--xpath", "string(//bridge/@delay)"])).ok().stdout, "3\n\n");
}

/// A tiny editor: a shell script the test writes, run by knet directly.
fn editor(dir: &std::path::Path, body: &str) -> PathBuf {
    let p = dir.join("editor.sh");
    std::fs::write(&p, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

#[test]
fn net_edit_edits_refuses_bad_xml_and_concurrent_changes() {
    let sb = sandbox_with_nat();
    let scratch = Scratch::new("knet-edit");
    let dir = scratch.0.clone();
    // unchanged: virsh's message, byte for byte
    let k = run(sb.knet().env("EDITOR", "true").args(["net-edit", "knetnat"])).ok();
    let v = run(sb.virsh().env("EDITOR", "true").args(["net-edit", "knetnat"])).ok();
    assert_eq!(k.stdout, v.stdout);
    assert_eq!(k.stdout, "Network knetnat XML configuration not changed.\n\n");

    // a real edit, with the editor checking the file it got is private
    let ed = editor(&dir, "[ \"$(stat -c %a \"$1\")\" = 600 ] && [ \"$(stat -c %a \"$(dirname \"$1\")\")\" = 700 ]\nsed -i \"s/delay='0'/delay='4'/\" \"$1\"");
    let k = run(sb.knet().env("VISUAL", format!("{} ", ed.display())).env("EDITOR", "false").args(["net-edit", "knetnat"])).ok();
    assert_eq!(k.stdout, "Network knetnat XML configuration edited.\n\n");
    assert!(run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout.contains("delay='4'"));

    // invalid result, no terminal: exit 1 and nothing changed
    let before = state(&sb);
    let ed = editor(&dir, "sed -i 's#</network>#<oops>#' \"$1\"");
    let k = run(sb.knet().env("EDITOR", &ed).args(["net-edit", "knetnat"])).code(1);
    assert!(k.stderr.contains("Failed. Network knetnat left unchanged"), "{}", k.stderr);
    assert_eq!(state(&sb), before);

    // someone else changes the network while our editor is open: refused,
    // and their change survives
    let ed = editor(
        &dir,
        &format!(
            "virsh -c '{}' net-update knetnat add dns-host \"<host ip='192.168.150.8'><hostname>other</hostname></host>\" --config >/dev/null\nsed -i \"s/delay='4'/delay='5'/\" \"$1\"",
            sb.uri
        ),
    );
    let k = run(sb.knet().env("EDITOR", &ed).args(["net-edit", "knetnat"])).code(1);
    assert!(k.stderr.contains("The XML configuration was changed by another user."), "{}", k.stderr);
    let xml = run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout;
    assert!(xml.contains("<hostname>other</hostname>") && xml.contains("delay='4'"), "{xml}");

    // an editor that fails changes nothing either
    let k = run(sb.knet().env("EDITOR", "false").args(["net-edit", "knetnat"])).code(1);
    assert!(k.stderr.contains("error: internal error: Child process (false "), "{}", k.stderr);
    let after = run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout;
    assert_eq!(after, xml);
}

/// Poll a tmux pane until it shows `what` (bounded: ~20 s).
fn wait_pane(sock: &str, what: &str) -> String {
    let mut pane = String::new();
    for _ in 0..200 {
        pane = run(std::process::Command::new("tmux").args(["-L", sock, "capture-pane", "-p", "-t", "edit"])).stdout;
        if pane.contains(what) {
            return pane;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("pane never showed {what:?}:\n{pane}");
}

#[test]
fn net_edit_on_a_terminal_asks_virshs_question() {
    let sb = sandbox_with_nat();
    let scratch = Scratch::new("knet-tty");
    let dir = scratch.0.clone();
    // first run breaks the XML, the second (after 'y') makes a valid change
    let ed = editor(
        &dir,
        &format!(
            "n=$(cat '{0}/count' 2>/dev/null || echo 0); echo $((n+1)) > '{0}/count'\nif [ \"$n\" = 0 ]; then sed -i \"s/delay='0'/delay=oops/\" \"$1\"; else sed -i \"s/delay=oops/delay='6'/\" \"$1\"; fi",
            dir.display()
        ),
    );
    let sock = format!("knet-test-{}", std::process::id());
    let script = format!(
        "EDITOR='{}' LC_ALL=C KNET_LIBVIRT_BIN='{}' '{}' -c '{}' net-edit knetnat; echo EXIT=$?; sleep 60",
        ed.display(),
        env!("CARGO_BIN_EXE_knet-libvirt"),
        env!("CARGO_BIN_EXE_knet"),
        sb.uri
    );
    run(std::process::Command::new("tmux").args(["-L", &sock, "new-session", "-d", "-s", "edit", "-x", "150", "-y", "40", &script])).ok();
    // our own tmux server (own socket), ended however the test ends
    struct Server(String);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = std::process::Command::new("tmux").args(["-L", &self.0, "kill-server"]).output();
        }
    }
    let _server = Server(sock.clone());
    let tmux = |keys: &str| run(std::process::Command::new("tmux").args(["-L", &sock, "send-keys", "-t", "edit", keys]));
    let pane = wait_pane(&sock, "Failed. Try again? [y,n,f,?]:");
    assert!(pane.contains("error:"), "{pane}");
    tmux("?");
    wait_pane(&sock, "f - force, try to redefine again");
    tmux("y");
    let pane = wait_pane(&sock, "EXIT=");
    assert!(pane.contains("Network knetnat XML configuration edited.") && pane.contains("EXIT=0"), "{pane}");
    assert!(run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout.contains("delay='6'"));
}

#[test]
fn dhcp_host_follows_the_networks_state() {
    let sb = sandbox_with_nat();
    // inactive: the persistent config only
    let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:00:00:21", "--ip", "192.168.150.21"])).ok();
    assert!(out.stdout.contains("(persistent config)"), "{}", out.stdout);
    // started later, the host is there and dnsmasq got it
    run(sb.knet().args(["net-start", "knetnat"])).ok();
    let hosts = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/knetnat.hostsfile")).unwrap();
    assert!(hosts.contains("52:54:00:00:00:21,192.168.150.21"), "{hosts}");
    // present in config only after a config-only net-update: add completes the live side
    run(sb.virsh().args(["net-update", "knetnat", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:22' ip='192.168.150.22'/>", "--config"])).ok();
    let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:00:00:22", "--ip", "192.168.150.22"])).ok();
    assert!(out.stdout.contains("added"), "{}", out.stdout);
    let live = run(sb.knet().args(["net-dumpxml", "knetnat", "--xpath", "count(//dhcp/host)"])).ok().stdout;
    let config = run(sb.knet().args(["net-dumpxml", "--inactive", "knetnat", "--xpath", "count(//dhcp/host)"])).ok().stdout;
    assert_eq!((live.as_str(), config.as_str()), ("2\n\n", "2\n\n"));
    // -q: silent success
    let out = run(sb.knet().args(["-q", "net-dhcp-host", "knetnat", "remove", "--mac", "52:54:00:00:00:22"])).ok();
    assert_eq!(out.stdout, "");
    // transient network: live only
    run(sb.knet().args(["net-undefine", "knetnat"])).ok();
    let out = run(sb.knet().args(["net-dhcp-host", "knetnat", "add", "--mac", "52:54:00:00:00:23", "--ip", "192.168.150.23"])).ok();
    assert!(out.stdout.contains("(live state)"), "{}", out.stdout);
}

#[test]
fn daemon_down_is_a_clear_error_and_changes_nothing() {
    let sb = sandbox_with_nat();
    let persistent = |sb: &Sandbox| {
        run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout + &run(sb.virsh().args(["net-dumpxml", "--inactive", "knetnat"])).ok().stdout
    };
    let before = persistent(&sb);
    sb.stop_daemon();
    let scratch = Scratch::new("knet-down");
    let dir = scratch.0.clone();
    let f = dir.join("other.xml");
    std::fs::write(&f, std::fs::read_to_string(fixture("net-nat.xml")).unwrap().replace("knetnat", "other").replace("virbr9", "virbr8")).unwrap();
    for args in [vec!["net-define".to_string(), f.display().to_string()], vec!["net-start".into(), "knetnat".into()], vec!["net-undefine".into(), "knetnat".into()]] {
        let out = run(sb.knet().args(&args)).code(1);
        assert!(out.stderr.starts_with("error: failed to connect to the hypervisor\n"), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
    sb.restart_daemon();
    assert_eq!(persistent(&sb), before);
}

#[test]
fn control_characters_from_libvirt_are_escaped_as_virsh_does() {
    let sb = sandbox_with_stock_default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // a guest chooses its own DHCP host name: it reaches libvirt's lease file as sent
    let lease = format!(r#"[{{"ip-address":"192.168.122.70","mac-address":"52:54:00:00:00:70","hostname":"evil\u001b[2J\u0007","expiry-time":{}}}]"#, now + 3600);
    std::fs::write(sb.dir.join("lib/dnsmasq/virbr0.status"), lease).unwrap();
    let out = same(&sb, &["net-dhcp-leases", "default"]);
    assert!(out.stdout.contains("evil\\x1b[2J\\x07"), "{}", out.stdout);
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
}
