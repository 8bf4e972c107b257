//! port-forward: the hook really adds the DNAT/FORWARD rules in the private
//! daemon's namespace when the guest starts and removes them when it stops,
//! leaves an existing hook alone, and gives the guest a static lease.

use crate::util::*;

fn rules(sb: &Sandbox) -> String {
    let nat = sb.exec(&["iptables", "-w", "-t", "nat", "-S", "PREROUTING"]).ok().stdout;
    let fwd = sb.exec(&["iptables", "-w", "-S", "FORWARD"]).ok().stdout;
    nat + &fwd
}

#[test]
fn hook_adds_rules_on_start_and_removes_them_on_stop() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok();
    let hooks = sb.dir.join("etc/hooks");
    let hooks_s = hooks.to_str().unwrap();
    // the admin's own qemu hook, which knet must keep (and libvirt keep running)
    std::fs::create_dir_all(&hooks).unwrap();
    let log = sb.dir.join("admin-hook.log");
    let admin = format!("#!/bin/sh\necho \"$1 $2\" >> {}\n", log.display());
    std::fs::write(hooks.join("qemu"), &admin).unwrap();
    std::fs::set_permissions(hooks.join("qemu"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // --print changes nothing: no hook, no lease
    let p = sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks_s, "--print"]).ok();
    assert!(p.stdout.contains("vm2 tcp 8080 192.168.122.254 80 virbr0"), "{}", p.stdout);
    assert!(p.stderr.contains("has no static lease"), "{}", p.stderr);
    assert!(!hooks.join("qemu.d").exists());
    let net = run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout;
    assert!(!net.contains("52:54:00:aa:bb:02"), "{net}");

    let o = sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks_s]).ok();
    assert!(o.stdout.contains("Static DHCP lease 192.168.122.254 added for vm2"), "{}", o.stdout);
    assert!(o.stdout.contains("systemctl reload libvirtd"), "{}", o.stdout);
    for flags in [&["net-dumpxml", "default"][..], &["net-dumpxml", "--inactive", "default"]] {
        let net = run(sb.virsh().args(flags)).ok().stdout;
        assert!(net.contains("<host mac='52:54:00:aa:bb:02' name='vm2' ip='192.168.122.254'/>"), "{flags:?}: {net}");
    }
    sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "5353", "--guest-port", "53", "--proto", "udp", "--hooks-dir", hooks_s]).ok();
    assert_eq!(std::fs::read_to_string(hooks.join("qemu")).unwrap(), admin);

    // libvirt looks for hooks when it starts or reloads (SIGHUP)
    sb.exec(&["kill", "-HUP", &sb.daemon_pid().to_string()]).ok();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!rules(&sb).contains("DNAT"));
    run(sb.virsh().args(["start", "--paused", "vm2"])).ok();
    let r = rules(&sb);
    assert!(r.contains("-A PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -j DNAT --to-destination 192.168.122.254:80"), "{r}");
    assert!(r.contains("-A PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5353 -j DNAT --to-destination 192.168.122.254:53"), "{r}");
    assert!(r.contains("-A FORWARD -d 192.168.122.254/32 -o virbr0 -p tcp -m tcp --dport 80 -j ACCEPT"), "{r}");
    assert!(std::fs::read_to_string(&log).unwrap().contains("vm2 start"), "the admin's hook ran too");

    run(sb.virsh().args(["destroy", "vm2"])).ok();
    let r = rules(&sb);
    assert!(!r.contains("DNAT") && !r.contains("192.168.122.254"), "{r}");

    // removing one forward keeps the other; removing the last deletes knet's file only
    sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "8080", "--hooks-dir", hooks_s, "--remove"]).ok();
    run(sb.virsh().args(["start", "--paused", "vm2"])).ok();
    let r = rules(&sb);
    assert!(!r.contains("--dport 8080") && r.contains("--dport 5353"), "{r}");
    run(sb.virsh().args(["destroy", "vm2"])).ok();
    sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "5353", "--proto", "udp", "--hooks-dir", hooks_s, "--remove"]).ok();
    assert!(!hooks.join("qemu.d/knet-port-forward").exists());
    assert_eq!(std::fs::read_to_string(hooks.join("qemu")).unwrap(), admin);
}

#[test]
fn refusals_change_nothing() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("isolated.xml"))).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm1.xml"))).ok();
    let iso = "<domain type='qemu'><name>iso</name><memory unit='MiB'>128</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><interface type='network'><mac address='52:54:00:aa:bb:44'/><source network='isolated'/></interface></devices></domain>";
    std::fs::write(sb.dir.join("iso.xml"), iso).unwrap();
    run(sb.virsh().arg("define").arg(sb.dir.join("iso.xml"))).ok();
    let hooks = sb.dir.join("etc/hooks");
    let h = hooks.to_str().unwrap();
    let before = run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout;

    let o = sb.knet_in_ns(&["port-forward", "iso", "--host-port", "80", "--hooks-dir", h]).code(1);
    assert!(o.stderr.contains("has no NIC on a NAT network"), "{}", o.stderr);
    let o = sb.knet_in_ns(&["port-forward", "nosuch", "--host-port", "80", "--hooks-dir", h]).code(1);
    assert!(o.stderr.contains("failed to get domain 'nosuch'"), "{}", o.stderr);
    let o = sb.knet_in_ns(&["port-forward", "vm1", "--host-port", "80", "--hooks-dir", h, "--remove"]).code(1);
    assert!(o.stderr.contains("no forward of host port 80/tcp to 'vm1'"), "{}", o.stderr);
    assert!(!hooks.join("qemu.d").exists());

    // vm1 has a static lease already: it is used, not duplicated
    let o = sb.knet_in_ns(&["port-forward", "vm1", "--host-port", "2222", "--guest-port", "22", "--hooks-dir", h]).ok();
    assert!(!o.stdout.contains("lease"), "{}", o.stdout);
    assert_eq!(run(sb.virsh().args(["net-dumpxml", "default"])).ok().stdout, before);
    let script = std::fs::read_to_string(hooks.join("qemu.d/knet-port-forward")).unwrap();
    assert!(script.contains("\nvm1 tcp 2222 192.168.122.10 22 virbr0\n"), "{script}");
    // the same host port for another guest is refused
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok();
    let o = sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "2222", "--hooks-dir", h]).code(1);
    assert!(o.stderr.contains("host port 2222/tcp is already forwarded to 'vm1'"), "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(hooks.join("qemu.d/knet-port-forward")).unwrap(), script);

    // not this machine: refuse to install, --print still works
    let o = run(knet().args(["-c", "test:///default", "port-forward", "test", "--host-port", "80", "--hooks-dir", h])).code(1);
    assert!(o.stderr.contains("is not this machine"), "{}", o.stderr);
}

/// A network namespace of the test's own, deleted when dropped.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let n = format!("knetpf{tag}{}", std::process::id());
        run(std::process::Command::new("ip").args(["netns", "add", &n])).ok();
        Netns(n)
    }
    fn exec(&self, args: &[&str]) -> Out {
        run(std::process::Command::new("ip").args(["netns", "exec", &self.0]).args(args))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// A TCP server in `ns` that answers every connection on `port` with `id`;
/// killed (by its PID) when dropped.
struct Server(std::process::Child);

impl Server {
    fn start(ns: &Netns, port: u16, id: &str) -> Server {
        let code = "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',int(sys.argv[1])))\ns.listen(8)\nwhile True:\n  c,_=s.accept(); c.sendall(sys.argv[2].encode()); c.close()\n";
        let child = std::process::Command::new("ip").args(["netns", "exec", &ns.0, "/usr/bin/python3", "-c", code, &port.to_string(), id]).spawn().unwrap();
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Who answers a TCP connection from `ns` to `ip:port` (retried while the
/// servers start).
fn who_answers(ns: &Netns, ip: &str, port: u16) -> String {
    let code = "import socket,sys\ns=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3)\nprint(s.recv(64).decode())\n";
    let mut last = String::new();
    for _ in 0..20 {
        let o = ns.exec(&["/usr/bin/python3", "-c", code, ip, &port.to_string()]);
        if o.code == 0 {
            return o.stdout.trim().to_string();
        }
        last = o.stderr;
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    panic!("no answer from {ip}:{port} in {}: {last}", ns.0);
}

#[test]
fn the_dnat_rule_matches_only_the_hosts_own_addresses() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok();
    let hooks = sb.dir.join("etc/hooks");
    sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks.to_str().unwrap()]).ok();

    // the forwarded guest (vm2's static lease) and another NAT guest, each a
    // namespace on virbr0; an outside machine on the host's uplink
    let (guest, other, outside) = (Netns::new("g"), Netns::new("c"), Netns::new("o"));
    for (ns, port, ip) in [(&guest, "pfg0", "192.168.122.254/24"), (&other, "pfc0", "192.168.122.50/24")] {
        sb.exec(&["ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", &ns.0]).ok();
        sb.exec(&["ip", "link", "set", port, "master", "virbr0", "up"]).ok();
        ns.exec(&["ip", "addr", "add", ip, "dev", "eth0"]).ok();
        ns.exec(&["ip", "link", "set", "eth0", "up"]).ok();
        ns.exec(&["ip", "link", "set", "lo", "up"]).ok();
        ns.exec(&["ip", "route", "add", "default", "via", "192.168.122.1"]).ok();
    }
    sb.exec(&["ip", "link", "add", "pfup0", "type", "veth", "peer", "name", "eth0", "netns", &outside.0]).ok();
    sb.exec(&["ip", "addr", "add", "10.9.0.2/24", "dev", "pfup0"]).ok();
    sb.exec(&["ip", "link", "set", "pfup0", "up"]).ok();
    outside.exec(&["ip", "addr", "add", "10.9.0.1/24", "dev", "eth0"]).ok();
    outside.exec(&["ip", "link", "set", "eth0", "up"]).ok();
    outside.exec(&["ip", "route", "add", "default", "via", "10.9.0.2"]).ok();

    // what libvirt does when vm2 starts: run the hook
    sb.exec(&["/bin/sh", hooks.join("qemu.d/knet-port-forward").to_str().unwrap(), "vm2", "start"]).ok();
    let _servers = [Server::start(&guest, 80, "forwarded-guest"), Server::start(&outside, 8080, "outside-host")];

    // the forward works: the outside reaches the guest through the host's port
    assert_eq!(who_answers(&outside, "10.9.0.2", 8080), "forwarded-guest");
    // a NAT guest's own connection to port 8080 of another machine goes there
    assert_eq!(who_answers(&other, "10.9.0.1", 8080), "outside-host");
}

#[test]
fn help_shows_each_rule_on_its_own_lines() {
    let help = run(knet().args(["port-forward", "--help"])).ok().stdout;
    let starts: Vec<&str> = help.lines().filter(|l| l.contains("iptables")).collect();
    // a port forward's two rules and a public IP's four
    assert_eq!(starts.len(), 6, "{help}");
    assert!(starts.iter().all(|l| l.starts_with("  iptables ") && l.matches("iptables").count() == 1), "{help}");
    assert!(help.contains("--dst-type LOCAL \\\n      -p PROTO --dport HP"), "{help}");
    assert!(help.lines().all(|l| l.chars().count() <= 100), "{help}");
}

/// A TCP server in `ns` that answers every connection on `port` with the
/// address the connection came from; killed (by its PID) when dropped.
fn peer_echo(ns: &Netns, port: u16) -> Server {
    let code = "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',int(sys.argv[1])))\ns.listen(8)\nwhile True:\n  c,a=s.accept(); c.sendall(a[0].encode()); c.close()\n";
    Server(std::process::Command::new("ip").args(["netns", "exec", &ns.0, "/usr/bin/python3", "-c", code, &port.to_string()]).spawn().unwrap())
}

/// The guides' "IP aliases": a guest with an external address of its own.
/// Everything for the address reaches the guest, the guest's own traffic
/// leaves from it, the rules come and go with the guest, and the table
/// keeps port forwards and public addresses side by side.
#[test]
fn public_ip_is_the_guests_own_both_ways() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm1.xml"))).ok();
    let hooks = sb.dir.join("etc/hooks");
    let h = hooks.to_str().unwrap();
    let hook = hooks.join("qemu.d/knet-port-forward");

    // an outside machine on the host's uplink, which carries the public alias
    let (guest, outside) = (Netns::new("pg"), Netns::new("po"));
    sb.exec(&["ip", "link", "add", "ppup0", "type", "veth", "peer", "name", "eth0", "netns", &outside.0]).ok();
    sb.exec(&["ip", "addr", "add", "10.9.0.2/24", "dev", "ppup0"]).ok();
    sb.exec(&["ip", "link", "set", "ppup0", "up"]).ok();
    outside.exec(&["ip", "addr", "add", "10.9.0.1/24", "dev", "eth0"]).ok();
    outside.exec(&["ip", "link", "set", "eth0", "up"]).ok();
    outside.exec(&["ip", "link", "set", "lo", "up"]).ok();
    outside.exec(&["ip", "route", "add", "default", "via", "10.9.0.2"]).ok();

    let o = sb.knet_in_ns(&["port-forward", "vm2", "--public-ip", "203.0.113.25", "--hooks-dir", h]).ok();
    assert!(o.stdout.contains("Static DHCP lease 192.168.122.254 added for vm2"), "{}", o.stdout);
    assert!(o.stdout.contains("note: 203.0.113.25 is no address of this host"), "{}", o.stdout);
    assert!(o.stdout.contains(&format!("Public IP 203.0.113.25 for vm2 installed in {}", hook.display())), "{}", o.stdout);
    sb.exec(&["ip", "addr", "add", "203.0.113.25/32", "dev", "ppup0"]).ok();
    let o = sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "2222", "--guest-port", "22", "--hooks-dir", h]).ok();
    assert!(o.stdout.contains("Forward of host port 2222/tcp to vm2"), "{}", o.stdout);
    let table = std::fs::read_to_string(&hook).unwrap();
    assert!(table.contains("\nvm2 tcp 2222 192.168.122.254 22 virbr0\nvm2 ip 203.0.113.25 192.168.122.254 192.168.122.0/24 virbr0\n"), "{table}");

    let refusals: [(&[&str], i32, &str); 4] = [
        (&["port-forward", "vm1", "--public-ip", "203.0.113.25"], 1, "public IP 203.0.113.25 already belongs to 'vm2' (192.168.122.254)"),
        (&["port-forward", "vm2", "--public-ip", "203.0.113.26"], 1, "'vm2' already has the public IP 203.0.113.25: remove it first"),
        (&["port-forward", "vm1", "--public-ip", "192.168.122.77"], 1, "inside network 'default' (192.168.122.0/24)"),
        (&["port-forward", "vm1", "--public-ip", "203.0.113.9", "--host-port", "80"], 2, "cannot be used with"),
    ];
    for (args, code, needle) in refusals {
        let o = sb.knet_in_ns(&[args, &["--hooks-dir", h][..]].concat());
        assert_eq!(o.code, code, "{args:?}: {o:?}");
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), table, "refusals changed the hook");

    // what libvirt does when vm2 starts: run the hook; the rules in the nat table
    sb.exec(&["/bin/sh", hook.to_str().unwrap(), "vm2", "start"]).ok();
    let nat = sb.exec(&["iptables", "-w", "-t", "nat", "-S"]).ok().stdout;
    for rule in [
        "-A PREROUTING -d 203.0.113.25/32 -j DNAT --to-destination 192.168.122.254",
        "-A OUTPUT -d 203.0.113.25/32 -j DNAT --to-destination 192.168.122.254",
        "-A POSTROUTING -s 192.168.122.254/32 ! -d 192.168.122.0/24 -j SNAT --to-source 203.0.113.25",
    ] {
        assert!(nat.contains(rule), "missing {rule:?} in\n{nat}");
    }
    // ahead of libvirt's own NAT rules, which would masquerade the guest
    let post: Vec<&str> = nat.lines().filter(|l| l.starts_with("-A POSTROUTING")).collect();
    assert!(post[0].contains("SNAT --to-source 203.0.113.25"), "{post:?}");
    assert!(sb.exec(&["iptables", "-w", "-S", "FORWARD"]).ok().stdout.contains("-A FORWARD -d 192.168.122.254/32 -o virbr0 -j ACCEPT"));

    // and they work: the guest (a namespace on virbr0 with vm2's lease)
    sb.exec(&["ip", "link", "add", "ppg0", "type", "veth", "peer", "name", "eth0", "netns", &guest.0]).ok();
    sb.exec(&["ip", "link", "set", "ppg0", "master", "virbr0", "up"]).ok();
    guest.exec(&["ip", "addr", "add", "192.168.122.254/24", "dev", "eth0"]).ok();
    guest.exec(&["ip", "link", "set", "eth0", "up"]).ok();
    guest.exec(&["ip", "link", "set", "lo", "up"]).ok();
    guest.exec(&["ip", "route", "add", "default", "via", "192.168.122.1"]).ok();
    let _servers = [Server::start(&guest, 80, "the-guest"), peer_echo(&outside, 8080)];
    assert_eq!(who_answers(&outside, "203.0.113.25", 80), "the-guest", "traffic for the public IP reaches the guest");
    assert_eq!(who_answers(&guest, "10.9.0.1", 8080), "203.0.113.25", "the guest's own traffic leaves from its public IP");

    sb.exec(&["/bin/sh", hook.to_str().unwrap(), "vm2", "stopped"]).ok();
    let nat = sb.exec(&["iptables", "-w", "-t", "nat", "-S"]).ok().stdout;
    assert!(!nat.contains("203.0.113.25") && !nat.contains("192.168.122.254"), "{nat}");

    // --remove takes the public IP out and keeps the port forward
    let o = sb.knet_in_ns(&["port-forward", "vm2", "--public-ip", "203.0.113.25", "--remove", "--hooks-dir", h]).ok();
    assert!(o.stdout.contains("Public IP 203.0.113.25 for vm2 removed from"), "{}", o.stdout);
    let table = std::fs::read_to_string(&hook).unwrap();
    assert!(table.contains("\nvm2 tcp 2222 ") && !table.contains("203.0.113.25"), "{table}");
    let o = sb.knet_in_ns(&["port-forward", "vm2", "--public-ip", "203.0.113.25", "--remove", "--hooks-dir", h]).code(1);
    assert!(o.stderr.contains("no public IP 203.0.113.25 for 'vm2'"), "{}", o.stderr);
    sb.knet_in_ns(&["port-forward", "vm2", "--host-port", "2222", "--remove", "--hooks-dir", h]).ok();
    assert!(!hook.exists(), "the last rule gone, knet's hook goes too");
}
