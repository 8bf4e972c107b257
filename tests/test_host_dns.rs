//! host-dns: the host-side resolver configuration for a network's domain
//! (the resolver faked through KNET_HOST_ROOT), and --check asking the
//! network's real dnsmasq inside the sandbox's namespace.

use std::path::Path;

use crate::util::*;

const LAB: &str = "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  <bridge name='virbr5'/>\n  <domain name='lab.lan' localOnly='yes'/>\n  <dns>\n    <host ip='10.50.0.20'>\n      <hostname>www</hostname>\n      <hostname>files</hostname>\n    </host>\n  </dns>\n  <ip address='10.50.0.1' prefix='24'>\n    <dhcp>\n      <range start='10.50.0.100' end='10.50.0.199'/>\n      <host mac='52:54:00:50:00:07' name='vm7' ip='10.50.0.7'/>\n      <host mac='52:54:00:50:00:08' name='vm8' ip='10.50.0.8'/>\n    </dhcp>\n  </ip>\n</network>\n";

fn define(sb: &Sandbox, name: &str, xml: &str) {
    let f = sb.dir.join(format!("{name}.xml"));
    std::fs::write(&f, xml).unwrap();
    run(sb.virsh().arg("net-define").arg(&f)).ok();
}

/// A directory standing for `/` with the files that show one resolver.
fn host_root(sb: &Sandbox, kind: &str) -> String {
    let root = sb.dir.join(format!("root-{kind}"));
    std::fs::create_dir_all(root.join("etc/NetworkManager/conf.d")).unwrap();
    match kind {
        "resolved" => {
            let _ = std::fs::remove_file(root.join("etc/resolv.conf"));
            std::os::unix::fs::symlink("../run/systemd/resolve/stub-resolv.conf", root.join("etc/resolv.conf")).unwrap()
        }
        "nm" => {
            std::fs::write(root.join("etc/NetworkManager/NetworkManager.conf"), "[main]\nplugins=ifupdown,keyfile\n").unwrap();
            std::fs::write(root.join("etc/NetworkManager/conf.d/dns.conf"), "[main]\ndns=dnsmasq\n").unwrap();
        }
        _ => std::fs::write(root.join("etc/resolv.conf"), "nameserver 192.0.2.53\n").unwrap(),
    }
    format!("KNET_HOST_ROOT={}", root.display())
}

#[test]
fn host_dns_speaks_the_hosts_resolver() {
    let sb = Sandbox::start();
    define(&sb, "lab", LAB);

    let o = sb.knet_in_ns_env(&[&host_root(&sb, "resolved")], &["host-dns", "lab"]).ok();
    assert!(o.stdout.starts_with("Network lab: DNS server 10.50.0.1 on virbr5, domain lab.lan\nHost resolver: systemd-resolved (/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf)\n"), "{}", o.stdout);
    assert!(o.stdout.contains("  resolvectl dns virbr5 10.50.0.1\n  resolvectl domain virbr5 '~lab.lan'\n"), "{}", o.stdout);
    assert!(o.stdout.contains("save as /etc/libvirt/hooks/network.d/knet-dns-lab (chmod 0755):\n#!/bin/sh\n"), "{}", o.stdout);

    // the hook, run as libvirt runs it, applies the same two commands
    let j: serde_json::Value = serde_json::from_str(&sb.knet_in_ns_env(&[&host_root(&sb, "resolved")], &["--json", "host-dns", "lab"]).ok().stdout).unwrap();
    assert_eq!(j["resolver"], "systemd-resolved");
    assert_eq!(j["commands"], serde_json::json!(["resolvectl dns virbr5 10.50.0.1", "resolvectl domain virbr5 '~lab.lan'"]));
    let hook = sb.dir.join("hook");
    std::fs::write(&hook, j["files"][0]["content"].as_str().unwrap()).unwrap();
    let bin = sb.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("resolvectl"), "#!/bin/sh\necho \"resolvectl $*\" >> \"$LOG\"\n").unwrap();
    run(std::process::Command::new("chmod").arg("755").arg(bin.join("resolvectl"))).ok();
    let log = sb.dir.join("resolvectl.log");
    for (net, op) in [("lab", "start"), ("lab", "started"), ("default", "started")] {
        run(std::process::Command::new("/bin/sh").arg(&hook).args([net, op, "begin", "-"]).env("PATH", format!("{}:/usr/bin:/bin", bin.display())).env("LOG", &log)).ok();
    }
    let applied: Vec<String> = std::fs::read_to_string(&log).unwrap().lines().map(str::to_string).collect();
    // the printed commands, as sh hands their words over
    assert_eq!(applied, j["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().replace('\'', "")).collect::<Vec<_>>(), "once, when lab has started");

    let o = sb.knet_in_ns_env(&[&host_root(&sb, "nm")], &["host-dns", "lab"]).ok();
    assert!(o.stdout.contains("Host resolver: NetworkManager's dnsmasq (dns=dnsmasq in /etc/NetworkManager/conf.d/dns.conf)"), "{}", o.stdout);
    assert!(o.stdout.contains("Write /etc/NetworkManager/dnsmasq.d/knet-lab.conf:\nserver=/lab.lan/10.50.0.1\n") && o.stdout.contains("systemctl reload NetworkManager"), "{}", o.stdout);

    let o = sb.knet_in_ns_env(&[&host_root(&sb, "plain")], &["host-dns", "lab"]).ok();
    assert!(o.stdout.contains("Host resolver: resolvconf") && o.stdout.contains("Put these lines first in /etc/resolvconf/resolv.conf.d/head:\nnameserver 10.50.0.1\nsearch lab.lan\n") && o.stdout.contains("resolvconf -u"), "{}", o.stdout);
    // named, not detected
    let o = sb.knet_in_ns_env(&[&host_root(&sb, "plain")], &["host-dns", "lab", "--resolver", "networkmanager"]).ok();
    assert!(o.stdout.contains("server=/lab.lan/10.50.0.1"), "{}", o.stdout);

    // no domain: said so, with the way to add one
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    let o = sb.knet_in_ns(&["host-dns", "default"]).code(1);
    assert!(o.stderr.contains("network 'default' has no <domain name=.../>") && o.stderr.contains("<domain name='default.lan' localOnly='yes'/>") && o.stderr.contains("knet net-edit default --apply"), "{}", o.stderr);
    assert!(o.stdout.is_empty());
    // a network without dnsmasq, and a remote hypervisor's unseen resolver
    define(&sb, "lan", "<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>");
    let o = sb.knet_in_ns(&["host-dns", "lan"]).code(1);
    assert!(o.stderr.contains("runs no DNS server"), "{}", o.stderr);
    let o = run(knet().args(["-c", "test:///default", "host-dns", "default"])).code(1);
    assert!(o.stderr.contains("has no <domain"), "{}", o.stderr);
}

/// A DHCP client on a veth whose other end is a port of `bridge`, with
/// `mac`: dnsmasq leases it an address and registers its host name.
fn dhcp_client(sb: &Sandbox, bridge: &str, mac: &str, dev: &str) {
    let peer = format!("{dev}p");
    for c in [
        &["ip", "link", "add", dev, "address", mac, "type", "veth", "peer", "name", &peer][..],
        &["ip", "link", "set", &peer, "master", bridge, "up"],
        &["ip", "link", "set", dev, "up"],
    ] {
        sb.exec(c).ok();
    }
    let lease: &Path = &sb.dir.join(format!("{dev}.lease"));
    // -sf /bin/true: take the lease, configure nothing; it stays in the
    // sandbox's namespace, where the sandbox's purge stops it
    sb.exec(&["dhclient", "-1", "-sf", "/bin/true", "-lf", lease.to_str().unwrap(), "-pf", sb.dir.join(format!("{dev}.pid")).to_str().unwrap(), dev]).ok();
}

#[test]
fn host_dns_check_asks_the_networks_dnsmasq() {
    let sb = Sandbox::start();
    define(&sb, "lab", LAB);
    run(sb.virsh().args(["net-start", "lab"])).ok();
    dhcp_client(&sb, "virbr5", "52:54:00:50:00:07", "vm7nic");
    // dnsmasq records the lease through libvirt's lease helper (its
    // dhcp-script) after it answered the client: wait for it, boundedly
    let mut leases = String::new();
    for _ in 0..100 {
        leases = run(sb.virsh().args(["net-dhcp-leases", "lab"])).ok().stdout;
        if leases.contains("10.50.0.7") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(leases.contains("10.50.0.7"), "{leases}");

    let o = sb.knet_in_ns(&["host-dns", "lab", "--check"]).ok();
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].split_whitespace().eq(["Name", "Query", "Expected", "Answer", "Result"]), "{}", o.stdout);
    for (name, ip) in [("www", "10.50.0.20"), ("files", "10.50.0.20"), ("vm7", "10.50.0.7")] {
        let row = lines.iter().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("{name} missing:\n{}", o.stdout));
        assert!(row.split_whitespace().eq([name, &format!("{name}.lab.lan"), ip, ip, "ok"]), "{row}");
    }
    // vm8 has no lease: nothing to ask
    assert!(!o.stdout.contains("vm8"), "{}", o.stdout);
    assert!(o.stdout.ends_with("all 3 names resolve at 10.50.0.1\n"), "{}", o.stdout);

    let j: serde_json::Value = serde_json::from_str(&sb.knet_in_ns(&["--json", "host-dns", "lab", "--check"]).ok().stdout).unwrap();
    assert_eq!(j["all_resolve"], true);
    let vm7 = j["names"].as_array().unwrap().iter().find(|n| n["name"] == "vm7").unwrap().clone();
    assert_eq!(vm7, serde_json::json!({"name": "vm7", "query": "vm7.lab.lan", "source": "dhcp-host", "expected": "10.50.0.7", "answer": {"outcome": "addresses", "addresses": ["10.50.0.7"]}, "resolves": true}));

    // a server that is gone: every name fails, and says why
    let pid = std::fs::read_to_string(sb.dir.join("run/network/lab.pid")).unwrap();
    sb.exec(&["kill", pid.trim()]).ok();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let o = sb.knet_in_ns(&["host-dns", "lab", "--check"]).code(1);
    assert!(o.stdout.contains("port 53 is closed") && o.stdout.ends_with("3 of 3 names do not resolve at 10.50.0.1\n"), "{}", o.stdout);

    // only for a running network
    run(sb.virsh().args(["net-destroy", "lab"])).ok();
    let o = sb.knet_in_ns(&["host-dns", "lab", "--check"]).code(1);
    assert!(o.stderr.contains("network 'lab' is not active"), "{}", o.stderr);
}
