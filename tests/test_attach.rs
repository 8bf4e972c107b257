//! attach-interface / detach-interface on a real daemon: virsh's messages,
//! plus knet's MAC collision check and collision-free generated MACs.

use crate::util::*;

fn host_with_guests() -> Sandbox {
    let sb = Sandbox::start();
    run(sb.virsh().args(["net-define", sandbox_xml("default.xml").to_str().unwrap()])).ok();
    run(sb.virsh().args(["define", sandbox_xml("vm1.xml").to_str().unwrap()])).ok();
    run(sb.virsh().args(["define", sandbox_xml("vm2.xml").to_str().unwrap()])).ok();
    sb
}

fn inactive_xml(sb: &Sandbox, name: &str) -> String {
    run(sb.virsh().args(["dumpxml", "--inactive", name])).ok().stdout
}

#[test]
fn attach_refuses_a_mac_another_guest_uses_and_changes_nothing() {
    let sb = host_with_guests();
    let before = inactive_xml(&sb, "vm2");
    // vm1 owns 52:54:00:aa:bb:01 (written in another case, as users do)
    let e = run(sb.knet().args(["attach-interface", "vm2", "network", "default", "--config", "--mac", "52:54:00:AA:BB:01"])).code(1);
    assert_eq!(e.stderr, "error: Failed to attach interface\nerror: MAC address 52:54:00:aa:bb:01 is already used by guest 'vm1'; pick another or omit --mac for a free one\n");
    assert_eq!(inactive_xml(&sb, "vm2"), before);
    // virsh itself would have accepted it
    let e = run(sb.knet().args(["attach-interface", "vm2", "network", "default", "--config", "--mac", "01:00:5e:00:00:01"])).code(1);
    assert!(e.stderr.contains("expected unicast mac address, found multicast '01:00:5e:00:00:01'"), "{}", e.stderr);
    assert_eq!(inactive_xml(&sb, "vm2"), before);
}

#[test]
fn attach_without_mac_gets_a_free_qemu_mac_and_virsh_messages() {
    let sb = host_with_guests();
    let k = run(sb.knet().args(["attach-interface", "vm2", "network", "default", "--config", "--model", "virtio"])).ok();
    assert_eq!(k.stdout, "Interface attached successfully\n\n");
    let list = run(sb.knet().args(["--json", "domiflist", "vm2", "--inactive"])).ok();
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let macs: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["mac"].as_str().unwrap()).collect();
    assert_eq!(macs.len(), 2);
    assert!(macs[1].starts_with("52:54:00:"), "{macs:?}");
    assert!(!["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"].contains(&macs[1]));
    assert_eq!(v[1]["model"], "virtio");

    // --print-xml: virsh's element, with the MAC knet chose
    let p = run(sb.knet().args(["attach-interface", "vm2", "bridge", "br0", "--print-xml", "--target", "t0", "--model", "virtio", "--alias", "ua-x", "--inbound", "100,200,300", "--outbound", "10", "--mac", "52:54:00:01:02:03"])).ok();
    let v = run(sb.virsh().args(["attach-interface", "vm2", "bridge", "br0", "--print-xml", "--target", "t0", "--model", "virtio", "--alias", "ua-x", "--inbound", "100,200,300", "--outbound", "10", "--mac", "52:54:00:01:02:03"])).ok();
    assert_eq!(p.stdout, v.stdout);

    // detach: virsh's messages, byte for byte
    for args in [&["detach-interface", "vm2", "network", "--config"][..], &["detach-interface", "vm2", "bridge", "--config"], &["detach-interface", "vm2", "network", "--config", "--mac", "52:54:00:00:00:09"]] {
        let k = run(sb.knet().args(args));
        let v = run(sb.virsh().args(args));
        assert_eq!(k.code, 1, "{args:?}");
        assert_eq!(k.stderr, v.stderr, "{args:?}");
    }
    let before = inactive_xml(&sb, "vm2");
    assert_eq!(before.matches("<interface").count(), 2, "a failed detach changed the guest");
    let k = run(sb.knet().args(["detach-interface", "vm2", "network", "--config", "--mac", macs[1]])).ok();
    assert_eq!(k.stdout, "Interface detached successfully\n\n");
    assert!(!inactive_xml(&sb, "vm2").contains(macs[1]));
    // reported from inside the command, as virsh does: exit 1, lone newline
    for args in [&["attach-interface", "vm2", "network", "default", "--live", "--current"][..], &["detach-interface", "vm2", "network", "--persistent", "--current"]] {
        let k = run(sb.knet().args(args));
        let v = run(sb.virsh().args(args));
        assert_eq!((k.code, &k.stdout, &k.stderr), (v.code, &v.stdout, &v.stderr), "{args:?}");
    }
}

fn live_xml(sb: &Sandbox, name: &str) -> String {
    run(sb.virsh().args(["dumpxml", name])).ok().stdout
}

/// The `<address .../>` line of the NIC with `mac` in a domain's XML.
fn nic_address(xml: &str, mac: &str) -> String {
    let at = xml.find(mac).unwrap_or_else(|| panic!("{mac} not in\n{xml}"));
    let rest = &xml[at..];
    let end = rest.find("</interface>").unwrap();
    rest[..end].lines().find(|l| l.contains("<address ")).unwrap_or_default().trim().to_string()
}

#[test]
fn detach_live_and_config_sends_each_copy_its_own_element() {
    // A NIC whose live and persistent copies differ: a config-only NIC takes
    // the next PCI slot in the persistent definition, so the hot-plugged one
    // gets another slot there than in the running guest (and an alias only
    // live). virsh detaches each copy with its own XML; knet must too, and
    // leave both definitions as virsh leaves them.
    let sb = host_with_guests();
    run(sb.virsh().args(["net-start", "default"])).ok();
    for (tool, guest) in [("knet", "hot1"), ("virsh", "hot2")] {
        // PCI hot-plug on the i440fx bus needs ACPI
        let xml = sb.dir.join(format!("{guest}.xml"));
        std::fs::write(&xml, format!("<domain type='qemu'><name>{guest}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features><devices/></domain>")).unwrap();
        run(sb.virsh().arg("define").arg(&xml)).ok();
        run(sb.virsh().args(["start", "--paused", guest])).ok();
        let cmd = |args: &[&str]| if tool == "knet" { run(sb.knet().args(args)) } else { run(sb.virsh().args(args)) };
        let mac_cfg = if tool == "knet" { "52:54:00:00:10:01" } else { "52:54:00:00:20:01" };
        let mac_hot = if tool == "knet" { "52:54:00:00:10:02" } else { "52:54:00:00:20:02" };
        cmd(&["attach-interface", guest, "network", "default", "--config", "--mac", mac_cfg]).ok();
        cmd(&["attach-interface", guest, "network", "default", "--live", "--config", "--mac", mac_hot]).ok();
        assert_ne!(nic_address(&live_xml(&sb, guest), mac_hot), nic_address(&inactive_xml(&sb, guest), mac_hot), "{tool}: the copies should differ");
        let out = cmd(&["detach-interface", guest, "network", "--mac", mac_hot, "--live", "--config"]);
        assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "Interface detached successfully\n\n", ""), "{tool}");
        assert!(!inactive_xml(&sb, guest).contains(mac_hot), "{tool}: still in the persistent definition");
        assert!(inactive_xml(&sb, guest).contains(mac_cfg), "{tool}: the other NIC went too");
        // the live detach is asynchronous in QEMU; a paused TCG guest without
        // a driver never acknowledges it, so the live copy may linger: what
        // matters is that libvirt accepted both requests
    }
}
