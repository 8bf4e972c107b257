//! doctor: each broken situation of the networking guides is built on purpose
//! in the private daemon's namespace, and doctor must name it (and exit 1).

use serde_json::Value;

use crate::util::*;

/// The sandbox with the NAT network `default` running (autostarted) and the
/// guests vm2 (running, paused) and vm1 (defined) on it.
fn setup() -> Sandbox {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    run(sb.virsh().args(["net-autostart", "default"])).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm1.xml"))).ok();
    run(sb.virsh().arg("define").arg(sandbox_xml("vm2.xml"))).ok();
    run(sb.virsh().args(["start", "--paused", "vm2"])).ok();
    for k in ["iptables", "ip6tables", "arptables"] {
        sb.exec(&["sysctl", "-qw", &format!("net.bridge.bridge-nf-call-{k}=0")]).ok();
    }
    sb
}

fn doctor(sb: &Sandbox, args: &[&str]) -> (Out, Vec<Value>) {
    let mut a = vec!["--json", "doctor"];
    a.extend_from_slice(args);
    let o = sb.knet_in_ns(&a);
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    (o, v["checks"].as_array().unwrap().clone())
}

fn find<'a>(checks: &'a [Value], check: &str, status: &str) -> Vec<&'a Value> {
    checks.iter().filter(|c| c["check"] == check && c["status"] == status).collect()
}

#[track_caller]
fn assert_finding(checks: &[Value], check: &str, status: &str, needle: &str) {
    let hits = find(checks, check, status);
    assert!(hits.iter().any(|c| c["message"].as_str().unwrap().contains(needle)), "no {status} {check} mentioning {needle:?} in {checks:#?}");
    assert!(hits.iter().all(|c| c["fix"].is_string() || status == "ok"), "{hits:?}");
}

#[test]
fn healthy_setup_passes_then_host_breakage_is_found() {
    let sb = setup();
    let (o, checks) = doctor(&sb, &[]);
    assert_eq!(o.code, 0, "{checks:#?}");
    for (check, needle) in [("network-active", "active"), ("bridge-up", "up"), ("dnsmasq", "dnsmasq runs"), ("nat-masquerade", "192.168.122.0/24"), ("ip-forward", "= 1"), ("foreign-port", "only guest"), ("forward-rules", "on virbr0 present"), ("tap-bridge", "vnet0 (52:54:00:aa:bb:02) is on virbr0"), ("bridge-nf-call", "= 0")] {
        assert_finding(&checks, check, "ok", needle);
    }
    let text = sb.knet_in_ns(&["doctor"]).ok();
    assert!(text.stdout.contains("[ OK ] network default: active\n"), "{}", text.stdout);
    assert!(text.stdout.contains(" failed, "), "{}", text.stdout);

    // a physical NIC in virbr0, forwarding off, libvirt's NAT rules flushed,
    // the guest's tap pulled off its bridge, bridge-nf-call back on
    sb.exec(&["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"]).ok();
    sb.exec(&["ip", "link", "set", "eth9", "master", "virbr0"]).ok();
    sb.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=0"]).ok();
    sb.exec(&["iptables", "-w", "-t", "nat", "-F", "LIBVIRT_PRT"]).ok();
    sb.exec(&["ip", "link", "set", "vnet0", "nomaster"]).ok();
    sb.exec(&["sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"]).ok();
    let (o, checks) = doctor(&sb, &[]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "foreign-port", "fail", "eth9 is enslaved to virbr0, the bridge of NAT network default");
    assert_finding(&checks, "ip-forward", "fail", "net.ipv4.ip_forward = 0");
    assert_finding(&checks, "nat-masquerade", "fail", "no MASQUERADE rule for 192.168.122.0/24");
    assert_finding(&checks, "tap-bridge", "fail", "vnet0 (52:54:00:aa:bb:02) is on no bridge but the guest's XML names bridge virbr0");
    assert_finding(&checks, "bridge-nf-call", "warn", "net.bridge.bridge-nf-call-iptables = 1");
    let q = sb.knet_in_ns(&["-q", "doctor"]).code(1);
    assert!(q.stdout.contains("[FAIL] bridge virbr0: eth9 is enslaved") && q.stdout.contains("       fix: ip link set eth9 nomaster"), "{}", q.stdout);
    assert!(!q.stdout.contains("[ OK ]"), "{}", q.stdout);
}

#[test]
fn dead_dnsmasq_and_down_bridge_are_found() {
    let sb = setup();
    // the daemon's /run/libvirt is the sandbox's run/ directory
    let pid = std::fs::read_to_string(sb.dir.join("run/network/default.pid")).unwrap();
    sb.exec(&["kill", pid.trim()]).ok();
    sb.exec(&["ip", "link", "set", "virbr0", "down"]).ok();
    let (o, checks) = doctor(&sb, &["default"]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "dnsmasq", "fail", "no dnsmasq runs for it");
    assert_finding(&checks, "bridge-up", "fail", "bridge virbr0 of network default is down");
    // scoped to the network: its guests are in, nothing else
    assert!(checks.iter().any(|c| c["subject"] == "domain vm2"));

    // no DNS and no DHCP to serve: libvirt starts no dnsmasq, doctor expects none
    std::fs::write(sb.dir.join("quiet.xml"), "<network><name>quiet</name><bridge name='virbr5'/><dns enable='no'/><ip address='10.5.0.1' prefix='24'/></network>").unwrap();
    run(sb.virsh().arg("net-define").arg(sb.dir.join("quiet.xml"))).ok();
    run(sb.virsh().args(["net-start", "quiet"])).ok();
    let (_, checks) = doctor(&sb, &["quiet"]);
    assert!(!checks.iter().any(|c| c["check"] == "dnsmasq"), "{checks:#?}");
    assert_finding(&checks, "bridge-up", "ok", "exists and is up");
}

#[test]
fn guest_config_problems_are_found_and_scoped() {
    let sb = setup();
    // vm3: a copy of vm1's MAC, an e1000 NIC, and a NIC on an inactive network
    run(sb.virsh().arg("net-define").arg(sandbox_xml("isolated.xml"))).ok();
    let vm3 = "<domain type='qemu'><name>vm3</name><memory unit='MiB'>128</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
               <interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='default'/><model type='virtio'/></interface>\
               <interface type='network'><mac address='52:54:00:aa:bb:33'/><source network='isolated'/><model type='e1000'/></interface>\
               <interface type='bridge'><mac address='52:54:00:aa:bb:34'/><source bridge='br7'/><model type='virtio'/></interface>\
               </devices></domain>";
    let f = sb.dir.join("vm3.xml");
    std::fs::write(&f, vm3).unwrap();
    run(sb.virsh().arg("define").arg(&f)).ok();

    let (o, checks) = doctor(&sb, &["vm3"]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "duplicate-mac", "fail", "52:54:00:aa:bb:01 is also used by vm1");
    assert_finding(&checks, "nic-model", "warn", "NIC 52:54:00:aa:bb:33 uses model e1000");
    assert_finding(&checks, "nic-network", "fail", "uses network isolated, which is inactive");
    assert_finding(&checks, "network-active", "fail", "inactive");
    assert_finding(&checks, "nic-bridge", "fail", "NIC 52:54:00:aa:bb:34 uses host bridge br7, which does not exist");
    // scoped to vm3 and its networks: vm2 is not looked at
    assert!(!checks.iter().any(|c| c["subject"] == "domain vm2"), "{checks:#?}");

    // vm1 is found from its own side too; vm2 is clean
    assert_finding(&doctor(&sb, &["vm1"]).1, "duplicate-mac", "fail", "also used by vm3");
    let (o, checks) = doctor(&sb, &["vm2"]);
    assert_eq!(o.code, 0, "{checks:#?}");

    // a forward mode='bridge' network whose host bridge was never built
    std::fs::write(sb.dir.join("lan.xml"), "<network><name>lan</name><forward mode='bridge'/><bridge name='br7'/></network>").unwrap();
    run(sb.virsh().arg("net-define").arg(sb.dir.join("lan.xml"))).ok();
    run(sb.virsh().args(["net-start", "lan"])).ok();
    let (o, checks) = doctor(&sb, &["lan"]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "bridge-up", "fail", "host bridge br7 of network lan does not exist");
    sb.exec(&["ip", "link", "add", "br7", "type", "bridge"]).ok();
    assert_finding(&doctor(&sb, &["lan"]).1, "bridge-up", "ok", "host bridge of network lan exists");

    let o = sb.knet_in_ns(&["doctor", "nosuch"]).code(1);
    assert!(o.stderr.contains("error: no network or domain named 'nosuch'"), "{}", o.stderr);
}

#[test]
fn wireless_nic_in_a_bridge_is_found() {
    let sb = setup();
    // cfg80211 devices need a kernel module on the host: a fake sysfs stands in
    let sys = sb.dir.join("fakesys");
    for d in ["class/net/br5/bridge", "class/net/br5/brif/wlan0", "class/net/wlan0/wireless"] {
        std::fs::create_dir_all(sys.join(d)).unwrap();
    }
    let env = format!("KNET_SYSFS_ROOT={}", sys.display());
    let o = sb.knet_in_ns_env(&[&env], &["--json", "doctor"]);
    assert_eq!(o.code, 1);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_finding(v["checks"].as_array().unwrap(), "wireless-port", "fail", "wlan0 is a wireless NIC in bridge br5");
    let (_, real) = doctor(&sb, &[]);
    assert_finding(&real, "wireless-port", "ok", "no wireless NIC");
}

#[test]
fn remote_or_test_uri_skips_host_checks() {
    let o = run(knet().args(["-c", "test:///default", "--json", "doctor"]));
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["local"], false);
    let checks = v["checks"].as_array().unwrap();
    assert_finding(checks, "host", "skip", "is not this machine");
    assert!(!checks.iter().any(|c| c["check"] == "ip-forward" || c["check"] == "dnsmasq"), "{checks:#?}");
    assert_finding(checks, "nic-model", "warn", "default model");
}

#[test]
fn flushed_forward_rules_and_drop_policies_are_found_with_the_restart_fix() {
    let sb = setup();
    let (_, checks) = doctor(&sb, &["default"]);
    assert_finding(&checks, "forward-rules", "ok", "libvirt's FORWARD accept rules for 192.168.122.0/24 on virbr0 present");
    let fix = |checks: &[Value]| find(checks, "forward-rules", "fail").iter().chain(find(checks, "forward-rules", "warn").iter()).map(|c| c["fix"].as_str().unwrap().to_string()).next().unwrap();

    // another nftables table dropping forwarded packets by policy
    sb.exec(&["nft", "add", "table", "inet", "knetfw"]).ok();
    sb.exec(&["nft", "add", "chain", "inet", "knetfw", "guestfwd", "{ type filter hook forward priority 0; policy drop; }"]).ok();
    let (o, checks) = doctor(&sb, &["default"]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "forward-rules", "fail", "nftables chain guestfwd of table inet knetfw drops forwarded packets by policy and accepts nothing for virbr0");
    sb.exec(&["nft", "delete", "table", "inet", "knetfw"]).ok();

    // a firewall reload: libvirt's chains flushed, policy still ACCEPT
    sb.exec(&["iptables", "-w", "-F", "LIBVIRT_FWO"]).ok();
    sb.exec(&["iptables", "-w", "-F", "LIBVIRT_FWI"]).ok();
    let (o, checks) = doctor(&sb, &["default"]);
    assert_eq!(o.code, 0, "{checks:#?}");
    assert_finding(&checks, "forward-rules", "warn", "libvirt's FORWARD accept rules for 192.168.122.0/24 on virbr0 are gone (LIBVIRT_FWI/FWO flushed or missing)");
    assert!(fix(&checks).starts_with("knet net-restart default (the libvirt way: virsh net-destroy default && virsh net-start default"), "{}", fix(&checks));
    // ... and a DROP policy on FORWARD: the guests are cut off
    sb.exec(&["iptables", "-w", "-P", "FORWARD", "DROP"]).ok();
    let (o, checks) = doctor(&sb, &["default"]);
    assert_eq!(o.code, 1);
    assert_finding(&checks, "forward-rules", "fail", "are gone and the FORWARD policy is DROP: guests cannot reach beyond the host");
    // chains deleted entirely (iptables -X after a flush of FORWARD) are as gone
    sb.exec(&["iptables", "-w", "-F", "FORWARD"]).ok();
    sb.exec(&["iptables", "-w", "-X", "LIBVIRT_FWO"]).ok();
    let (_, checks) = doctor(&sb, &["default"]);
    assert_finding(&checks, "forward-rules", "fail", "FORWARD policy is DROP");
    // libvirt cannot start a network then; its daemon recreates the chains
    assert!(fix(&checks).starts_with("restart libvirt's daemon"), "{}", fix(&checks));
    sb.stop_daemon();
    sb.restart_daemon();
    let (_, checks) = doctor(&sb, &["default"]);
    assert_finding(&checks, "forward-rules", "ok", "present");
    // ... and after a plain flush, restarting the network (what the fix says) puts them back
    sb.exec(&["iptables", "-w", "-F", "LIBVIRT_FWO"]).ok();
    let (_, checks) = doctor(&sb, &["default"]);
    assert!(fix(&checks).starts_with("knet net-restart default"), "{}", fix(&checks));
    run(sb.virsh().args(["net-destroy", "default"])).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    let (_, checks) = doctor(&sb, &["default"]);
    assert_finding(&checks, "forward-rules", "ok", "present");
}
