//! mac-gen and net-new: what they avoid is read from the connection and from
//! the namespace knet runs in (neighbours, routes, interfaces).

use crate::util::*;

fn macs(o: &Out) -> Vec<String> {
    o.stdout.lines().map(str::to_string).collect()
}

#[test]
fn mac_gen_avoids_domains_dhcp_hosts_and_neighbours() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok(); // host 52:54:00:aa:bb:01
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok(); // 52:54:00:aa:bb:02, inactive
    let net = "<network><name>lab</name><bridge name='virbr7'/><ip address='10.7.0.1' prefix='24'><dhcp><host mac='52:54:00:77:00:01' ip='10.7.0.9'/></dhcp></ip></network>";
    std::fs::write(sb.dir.join("lab.xml"), net).unwrap();
    run(sb.virsh().arg("net-define").arg(sb.dir.join("lab.xml"))).ok();
    for c in [&["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"][..], &["ip", "addr", "add", "10.9.0.2/24", "dev", "eth9"], &["ip", "link", "set", "eth9", "up"], &["ip", "neigh", "add", "10.9.0.5", "lladdr", "52:54:00:99:00:05", "dev", "eth9", "nud", "permanent"]] {
        sb.exec(c).ok();
    }

    // 256 addresses under a 5-octet prefix, minus the taken ones
    let o = sb.knet_in_ns(&["mac-gen", "--prefix", "52:54:00:aa:bb", "--count", "254"]).ok();
    let all = macs(&o);
    assert_eq!(all.len(), 254);
    assert!(!all.contains(&"52:54:00:aa:bb:01".to_string()) && !all.contains(&"52:54:00:aa:bb:02".to_string()));
    let mut uniq = all.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 254);
    let o = sb.knet_in_ns(&["mac-gen", "--prefix", "52:54:00:aa:bb", "--count", "255"]).code(1);
    assert!(o.stderr.contains("only 254 free addresses under prefix 52:54:00:aa:bb (2 taken)"), "{}", o.stderr);
    assert!(o.stdout.is_empty());

    let o = sb.knet_in_ns(&["mac-gen", "--prefix", "52:54:00:77:00", "--count", "256"]).code(1);
    assert!(o.stderr.contains("only 255 free"), "network DHCP host: {}", o.stderr);
    let o = sb.knet_in_ns(&["mac-gen", "--prefix", "52:54:00:99:00", "--count", "256"]).code(1);
    assert!(o.stderr.contains("only 255 free"), "neighbour: {}", o.stderr);
    // the neighbour lives in the sandbox's namespace only: from the host's
    // namespace the same connection does not see it
    run(sb.knet().args(["mac-gen", "--prefix", "52:54:00:99:00", "--count", "256"])).ok();

    let o = sb.knet_in_ns(&["--json", "mac-gen", "--count", "3"]).ok();
    let v: Vec<String> = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v.len(), 3);
    assert!(v.iter().all(|m| m.starts_with("52:54:00:") && m.len() == 17), "{v:?}");
}

#[test]
fn mac_gen_input_errors() {
    for (args, needle) in [(&["--prefix", "01:00:5e"][..], "multicast prefix"), (&["--prefix", "52:54:00:00:00:00"], "one to five octets"), (&["--count", "0"], "0 is not in 1..=65536")] {
        let o = run(knet().args(["-c", "test:///default", "mac-gen"]).args(args)).code(2);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
    let o = run(knet().args(["-c", "test:///default", "mac-gen", "--prefix", "02", "--count", "4"])).ok();
    assert!(macs(&o).iter().all(|m| m.starts_with("02:")), "{}", o.stdout);
}

fn validate_with_libvirt_schema(sb: &Sandbox, xml: &str) {
    let f = sb.dir.join("new-net.xml");
    std::fs::write(&f, xml).unwrap();
    run(std::process::Command::new("virt-xml-validate").arg(&f).arg("network")).ok();
}

#[test]
fn net_new_picks_free_subnet_and_bridge_then_defines_and_starts() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok(); // 192.168.122.0/24 on virbr0
    // the namespace's own routes and interfaces count too
    sb.exec(&["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"]).ok();
    sb.exec(&["ip", "addr", "add", "192.168.100.7/24", "dev", "eth9"]).ok();
    sb.exec(&["ip", "link", "set", "eth9", "up"]).ok();
    sb.exec(&["ip", "link", "add", "virbr1", "type", "bridge"]).ok();

    let o = sb.knet_in_ns(&["net-new", "lab", "--nat", "--print-xml"]).ok();
    assert_eq!(
        o.stdout,
        "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  <bridge name='virbr2' stp='on' delay='0'/>\n  <ip address='192.168.101.1' netmask='255.255.255.0'>\n    <dhcp>\n      <range start='192.168.101.2' end='192.168.101.254'/>\n    </dhcp>\n  </ip>\n</network>\n"
    );
    validate_with_libvirt_schema(&sb, &o.stdout);
    assert!(!run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout.contains("lab"), "--print-xml defines nothing");

    let o = sb.knet_in_ns(&["net-new", "lab", "--nat", "--autostart", "--start"]).ok();
    assert_eq!(o.stdout, "Network lab defined\nNetwork lab marked as autostarted\nNetwork lab started\n");
    let info = run(sb.virsh().args(["net-info", "lab"])).ok().stdout;
    assert!(info.contains("Active:         yes") && info.contains("Autostart:      yes") && info.contains("Bridge:         virbr2"), "{info}");
    assert!(sb.exec(&["ip", "-4", "addr", "show", "virbr2"]).ok().stdout.contains("192.168.101.1/24"));

    // the next one avoids lab too
    let o = sb.knet_in_ns(&["net-new", "lab2", "--routed", "--print-xml"]).ok();
    assert!(o.stdout.contains("<forward mode='route'/>") && o.stdout.contains("virbr3") && o.stdout.contains("192.168.102.1"), "{}", o.stdout);
    validate_with_libvirt_schema(&sb, &o.stdout);
}

#[test]
fn net_new_kinds_and_refusals() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    let list = || run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout;
    let before = list();

    let o = sb.knet_in_ns(&["net-new", "backend", "--isolated", "--subnet", "10.20.0.0/24", "--dhcp-range", "10.20.0.100-10.20.0.199", "--print-xml"]).ok();
    assert!(!o.stdout.contains("<forward"), "{}", o.stdout);
    assert!(o.stdout.contains("<ip address='10.20.0.1' netmask='255.255.255.0'>") && o.stdout.contains("<range start='10.20.0.100' end='10.20.0.199'/>"), "{}", o.stdout);
    validate_with_libvirt_schema(&sb, &o.stdout);

    let o = sb.knet_in_ns(&["net-new", "lan", "--bridge", "br0"]).ok();
    assert!(o.stderr.contains("warning: br0 is not a bridge on this host yet"), "{}", o.stderr);
    let x = run(sb.virsh().args(["net-dumpxml", "lan"])).ok().stdout;
    assert!(x.contains("<forward mode='bridge'/>") && x.contains("<bridge name='br0'/>"), "{x}");
    run(sb.virsh().args(["net-undefine", "lan"])).ok();

    for (args, code, needle) in [
        (&["net-new", "x", "--nat", "--subnet", "192.168.122.128/25"][..], 1, "subnet 192.168.122.128/25 overlaps 192.168.122.0/24"),
        (&["net-new", "default", "--nat"], 1, "network 'default' already exists"),
        (&["net-new", "x", "--nat", "--subnet", "10.1.0.0/24", "--dhcp-range", "10.1.0.1-10.1.0.9"], 2, "contains the host's own address 10.1.0.1"),
        (&["net-new", "x", "--nat", "--subnet", "10.1.0.0/24", "--dhcp-range", "10.2.0.5-10.2.0.9"], 2, "expected START-END"),
        (&["net-new", "x", "--nat", "--isolated"], 2, "cannot be used with"),
        (&["net-new", "x"], 2, "required"),
        (&["net-new", "x", "--bridge", "br0", "--subnet", "10.0.0.0/24"], 2, "cannot be used with"),
    ] {
        let o = sb.knet_in_ns(args);
        assert_eq!(o.code, code, "{args:?}: {o:?}");
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
    assert_eq!(list(), before, "refusals defined nothing");
}

/// A fake /sys/class/net for what a namespace cannot create (SR-IOV NICs,
/// Wi-Fi): `(name, [(relative file, content)])`; a file named `dir/` is a
/// directory.
fn fake_sysfs(sb: &Sandbox, ifaces: &[(&str, &[(&str, &str)])]) -> String {
    let root = sb.dir.join("fakesys");
    for (name, files) in ifaces {
        let d = root.join("class/net").join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, content) in *files {
            if let Some(dir) = f.strip_suffix('/') {
                std::fs::create_dir_all(d.join(dir)).unwrap();
            } else {
                std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
                std::fs::write(d.join(f), content).unwrap();
            }
        }
    }
    format!("KNET_SYSFS_ROOT={}", root.display())
}

#[test]
fn net_new_pxe_network_is_defined_started_and_dnsmasq_serves_the_boot_file() {
    let sb = Sandbox::start();
    let tftp = sb.dir.join("tftp");
    std::fs::create_dir_all(&tftp).unwrap();
    let tftp = tftp.to_str().unwrap();
    let o = sb.knet_in_ns(&["net-new", "pxe", "--isolated", "--subnet", "10.30.0.0/24", "--pxe", "pxelinux.0", "--tftp-root", tftp, "--print-xml"]).ok();
    assert_eq!(
        o.stdout,
        format!("<network>\n  <name>pxe</name>\n  <bridge name='virbr1' stp='on' delay='0'/>\n  <ip address='10.30.0.1' netmask='255.255.255.0'>\n    <tftp root='{tftp}'/>\n    <dhcp>\n      <range start='10.30.0.2' end='10.30.0.254'/>\n      <bootp file='pxelinux.0'/>\n    </dhcp>\n  </ip>\n</network>\n")
    );
    validate_with_libvirt_schema(&sb, &o.stdout);

    let o = sb.knet_in_ns(&["net-new", "pxe", "--isolated", "--subnet", "10.30.0.0/24", "--pxe", "pxelinux.0", "--tftp-root", tftp, "--start"]).ok();
    assert_eq!(o.stdout, "Network pxe defined\nNetwork pxe started\n");
    let x = run(sb.virsh().args(["net-dumpxml", "pxe"])).ok().stdout;
    assert!(x.contains(&format!("<tftp root='{tftp}'/>")) && x.contains("<bootp file='pxelinux.0'/>"), "{x}");
    // what libvirt hands dnsmasq: the file offered, and TFTP served from the root
    let conf = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/pxe.conf")).unwrap();
    assert!(conf.contains("dhcp-boot=pxelinux.0") && conf.contains("enable-tftp") && conf.contains(&format!("tftp-root={tftp}")), "{conf}");

    // another TFTP server: bootp names it, no local TFTP
    let o = sb.knet_in_ns(&["--json", "net-new", "pxe2", "--nat", "--pxe", "boot/ipxe.efi", "--next-server", "10.0.0.5", "--start"]).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["pxe"], serde_json::json!({"file": "boot/ipxe.efi", "next_server": "10.0.0.5"}), "{v}");
    let x = run(sb.virsh().args(["net-dumpxml", "pxe2"])).ok().stdout;
    assert!(x.contains("<bootp file='boot/ipxe.efi' server='10.0.0.5'/>") && !x.contains("<tftp"), "{x}");
    let conf = std::fs::read_to_string(sb.dir.join("lib/dnsmasq/pxe2.conf")).unwrap();
    assert!(conf.contains("dhcp-boot=boot/ipxe.efi,,10.0.0.5") && !conf.contains("tftp-root"), "{conf}");

    let list = || run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout;
    let before = list();
    for (args, needle) in [
        (&["net-new", "x", "--nat", "--pxe", "pxelinux.0"][..], "--pxe needs --tftp-root DIR"),
        (&["net-new", "x", "--nat", "--tftp-root", "/srv/tftp"], "--pxe"),
        (&["net-new", "x", "--nat", "--pxe", "a", "--tftp-root", "srv/tftp"], "must be an absolute path"),
        (&["net-new", "x", "--nat", "--pxe", "a", "--next-server", "fe80::1"], "invalid value"),
        (&["net-new", "x", "--bridge", "br0", "--pxe", "a", "--next-server", "10.0.0.5"], "cannot be used with"),
    ] {
        let o = sb.knet_in_ns(args).code(2);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
    assert_eq!(list(), before, "refusals defined nothing");
    let o = sb.knet_in_ns(&["net-new", "x", "--nat", "--pxe", "a", "--tftp-root", "/nonexistent/tftp", "--print-xml"]).ok();
    assert!(o.stderr.contains("warning: /nonexistent/tftp is not a directory on this host"), "{}", o.stderr);
}

#[test]
fn net_new_sriov_pool_needs_a_pf_with_vfs() {
    let sb = Sandbox::start();
    let sys = fake_sysfs(
        &sb,
        &[
            ("eth5", &[("device/sriov_numvfs", "4\n"), ("device/sriov_totalvfs", "8\n")]),
            ("eth6", &[("device/sriov_numvfs", "0\n"), ("device/sriov_totalvfs", "8\n")]),
            ("eth7", &[("device/", "")]),
        ],
    );
    let list = || run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout;
    let before = list();
    for (pf, needle) in [
        ("eth6", "--hostdev-pf eth6: no virtual functions enabled (it supports up to 8); enable some first: echo N > /sys/class/net/eth6/device/sriov_numvfs"),
        ("eth7", "--hostdev-pf eth7: not an SR-IOV physical function"),
        ("eth8", "--hostdev-pf eth8: no such interface on this host"),
    ] {
        let o = sb.knet_in_ns_env(&[&sys], &["net-new", "vfpool", "--hostdev-pf", pf]).code(1);
        assert!(o.stderr.contains(needle), "{pf}: {}", o.stderr);
    }
    assert_eq!(list(), before, "refusals defined nothing");

    let o = sb.knet_in_ns_env(&[&sys], &["net-new", "vfpool", "--hostdev-pf", "eth5", "--print-xml"]).ok();
    assert_eq!(o.stdout, "<network>\n  <name>vfpool</name>\n  <forward mode='hostdev' managed='yes'>\n    <pf dev='eth5'/>\n  </forward>\n</network>\n");
    validate_with_libvirt_schema(&sb, &o.stdout);
    let o = sb.knet_in_ns_env(&[&sys], &["net-new", "vfpool", "--hostdev-pf", "eth5", "--autostart"]).ok();
    assert_eq!(o.stdout, "Network vfpool defined\nNetwork vfpool marked as autostarted\n");
    let x = run(sb.virsh().args(["net-dumpxml", "vfpool"])).ok().stdout;
    assert!(x.contains("<forward mode='hostdev' managed='yes'>") && x.contains("<pf dev='eth5'/>"), "{x}");
    // a remote hypervisor's NICs are not here to check: the test driver is
    // no host, so nothing is refused there
    run(knet().args(["-c", "test:///default", "net-new", "vf2", "--hostdev-pf", "eth6"])).ok();
    for args in [&["net-new", "x", "--hostdev-pf", "eth5", "--subnet", "10.0.0.0/24"][..], &["net-new", "x", "--hostdev-pf", "eth5", "--nat"]] {
        let o = sb.knet_in_ns_env(&[&sys], args).code(2);
        assert!(o.stderr.contains("cannot be used with"), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn net_new_macvtap_pool_refuses_wireless_and_bridges_and_starts() {
    let sb = Sandbox::start();
    let sys = fake_sysfs(&sb, &[("eth1", &[]), ("eth2", &[]), ("wlan0", &[("wireless/", "")]), ("br0", &[("bridge/", "")])]);
    for (dev, needle) in [("wlan0", "--macvtap wlan0: a wireless NIC cannot carry macvtap guests"), ("br0", "--macvtap br0: a bridge; attach guests to it with --bridge br0"), ("eth3", "--macvtap eth3: no such interface")] {
        let o = sb.knet_in_ns_env(&[&sys], &["net-new", "direct", "--macvtap", "eth1", dev]).code(1);
        assert!(o.stderr.contains(needle), "{dev}: {}", o.stderr);
    }
    let o = sb.knet_in_ns_env(&[&sys], &["net-new", "direct", "--macvtap", "eth1", "eth1"]).code(2);
    assert!(o.stderr.contains("eth1 is given twice"), "{}", o.stderr);
    assert!(!run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout.contains("direct"));

    let o = sb.knet_in_ns_env(&[&sys], &["net-new", "direct", "--macvtap", "eth1", "eth2", "--print-xml"]).ok();
    assert_eq!(o.stdout, "<network>\n  <name>direct</name>\n  <forward mode='bridge'>\n    <interface dev='eth1'/>\n    <interface dev='eth2'/>\n  </forward>\n</network>\n");
    validate_with_libvirt_schema(&sb, &o.stdout);

    // real NICs of the namespace: defined and started by the daemon
    for c in [&["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"][..], &["ip", "link", "add", "eth2", "type", "veth", "peer", "name", "eth2p"]] {
        sb.exec(c).ok();
    }
    let o = sb.knet_in_ns(&["--json", "net-new", "direct", "--macvtap", "eth1", "eth2", "--start"]).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["interfaces"], serde_json::json!(["eth1", "eth2"]), "{v}");
    let x = run(sb.virsh().args(["net-dumpxml", "direct"])).ok().stdout;
    assert!(x.contains("<interface dev='eth1'/>") && x.contains("<interface dev='eth2'/>"), "{x}");
    assert!(run(sb.virsh().args(["net-info", "direct"])).ok().stdout.contains("Active:         yes"));
}

#[test]
fn net_new_refuses_names_libvirt_refuses_as_usage_errors() {
    let long = "n".repeat(248);
    for (name, needle) in [
        ("a/b", "network name \"a/b\" contains '/'"),
        ("", "network name is empty"),
        ("a\nb", "contains the control character \\n"),
        (long.as_str(), "network name is 248 bytes long"),
    ] {
        let o = run(knet().args(["-c", "test:///default", "net-new", name, "--nat"])).code(2);
        assert!(o.stderr.contains(needle), "{name:?}: {}", o.stderr);
        assert!(!o.stderr.contains("a bug"), "{}", o.stderr);
    }
    let o = run(knet().args(["-c", "test:///default", "net-new", "x", "--nat", "--subnet", "10.1.0.0/24", "--dhcp-range", "10.1.0.9-10.1.0.5"])).code(2);
    assert!(o.stderr.contains("--dhcp-range '10.1.0.9-10.1.0.5' is reversed: its start 10.1.0.9 is above its end 10.1.0.5"), "{}", o.stderr);
}

#[test]
fn net_define_catches_what_net_new_catches() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    // a host route the new subnet would collide with
    sb.exec(&["ip", "link", "add", "lan9", "type", "veth", "peer", "name", "lan9p"]).ok();
    sb.exec(&["ip", "link", "set", "lan9", "up"]).ok();
    sb.exec(&["ip", "route", "add", "10.77.0.0/16", "dev", "lan9"]).ok();
    let dir = tempdir_short("knet-nd");
    let write = |name: &str, body: &str| {
        let f = dir.join(format!("{}.xml", name.len()));
        std::fs::write(&f, format!("<network><name>{name}</name>{body}</network>")).unwrap();
        f.display().to_string()
    };
    let nat = |net: &str| format!("<forward mode='nat'/><ip address='{net}.1' prefix='24'/>");
    let o = sb.knet_in_ns(&["net-define", &write("x", &nat("192.168.122"))]).ok();
    assert!(o.stderr.contains("warning: subnet 192.168.122.0/24 overlaps 192.168.122.0/24 of network 'default': libvirt refuses to start the network while the other network is up"), "{}", o.stderr);
    let o = sb.knet_in_ns(&["net-define", &write("yy", &nat("10.77.1"))]).ok();
    assert!(o.stderr.contains("warning: subnet 10.77.1.0/24 overlaps the host route 10.77.0.0/16 on lan9: with both up, the host sends the shared addresses to the more specific"), "{}", o.stderr);
    // an identical route: the warning is right, libvirt refuses to start it
    sb.exec(&["ip", "route", "add", "10.77.1.0/24", "dev", "lan9"]).ok();
    let o = sb.knet_in_ns(&["net-define", &write("yy", &nat("10.77.1"))]).ok();
    assert!(o.stderr.contains("overlaps the host route 10.77.1.0/24 on lan9: libvirt refuses to start the network while that route is up"), "{}", o.stderr);
    let start = run(sb.virsh().args(["net-start", "yy"]));
    assert!(start.stderr.contains("Network is already in use by interface lan9"), "{start:?}");
    // a free subnet, and an isolated network, are not warned about
    let o = sb.knet_in_ns(&["net-define", &write("zzz", &nat("10.78.1"))]).ok();
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
    // names libvirt refuses: nothing reaches libvirt
    let before = run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout;
    for (name, needle) in [("a/b", "contains '/'"), ("a\nb", "control character \\n"), (&"n".repeat(248)[..], "network name is 248 bytes long")] {
        let o = sb.knet_in_ns(&["net-define", &write(name, "")]).code(1);
        assert!(o.stderr.contains(needle), "{name:?}: {}", o.stderr);
    }
    assert_eq!(run(sb.virsh().args(["net-list", "--all", "--name"])).ok().stdout, before);
    let _ = std::fs::remove_dir_all(&dir);
}
