//! Every rule id fires on a minimal document that breaks just that rule,
//! and the same document with the mistake fixed is clean. The table doubles
//! as a catalogue: one example per rule id.

use super::{validate, Severity};

fn net(body: &str) -> String {
    format!("<network><name>n</name>{body}</network>")
}
fn ip24(inner: &str) -> String {
    net(&format!("<ip address='192.168.5.1' prefix='24'>{inner}</ip>"))
}
fn dom(devices: &str) -> String {
    format!("<domain type='kvm'><name>d</name><devices>{devices}</devices></domain>")
}
const NIC: &str = "<interface type='network'><source network='default'/>";

/// (rule id, document that trips it, the same document fixed)
fn cases() -> Vec<(&'static str, String, String)> {
    vec![
        ("xml-syntax", "<network><name>n</name>".into(), net("")),
        ("xml-dtd", "<!DOCTYPE network>\n<network><name>n</name></network>".into(), net("")),
        ("host-interface", "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>".into(), "<interface type='ethernet'/>".into()),
        ("unknown-document", "<net><name>n</name></net>".into(), net("")),
        ("unknown-element", net("<brige/>"), net("<bridge/>")),
        ("unknown-attribute", net("<forward mdoe='nat'/><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='nat'/><ip address='10.0.0.1' prefix='8'/>")),
        ("missing-element", "<network/>".into(), net("")),
        ("missing-attribute", ip24("<dhcp><range start='192.168.5.2'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'/></dhcp>")),
        ("duplicate-element", net("<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid><uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>"), net("<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>")),
        ("invalid-value", net("<bridge stp='yes'/>"), net("<bridge stp='on'/>")),
        ("unexpected-text", net("text"), net("")),
        ("name-invalid-char", "<network><name>a/b</name></network>".into(), net("")),
        ("name-empty", "<network><name></name></network>".into(), net("")),
        ("name-invalid-char", "<network><name>a\nb</name></network>".into(), net("")),
        ("name-too-long", format!("<network><name>{}</name></network>", "n".repeat(248)), format!("<network><name>{}</name></network>", "n".repeat(241))),
        ("name-long", format!("<network><name>{}</name></network>", "n".repeat(242)), format!("<network><name>{}</name></network>", "n".repeat(241))),
        ("ip-missing-address", net("<ip prefix='24'/>"), net("<ip address='10.0.0.1' prefix='24'/>")),
        ("ip-family-mismatch", net("<ip family='ipv6' address='10.0.0.1'/>"), net("<ip family='ipv4' address='10.0.0.1'/>")),
        ("ip-netmask-and-prefix", net("<ip address='10.0.0.1' netmask='255.0.0.0' prefix='8'/>"), net("<ip address='10.0.0.1' netmask='255.0.0.0'/>")),
        ("ip-netmask-ipv6", net("<ip family='ipv6' address='2001:db8::1' netmask='255.255.255.0'/>"), net("<ip family='ipv6' address='2001:db8::1' prefix='64'/>")),
        ("netmask-noncontiguous", net("<ip address='10.0.0.1' netmask='255.0.255.0'/>"), net("<ip address='10.0.0.1' netmask='255.255.0.0'/>")),
        ("ip-prefix-range", net("<ip address='10.0.0.1' prefix='33'/>"), net("<ip address='10.0.0.1' prefix='32'/>")),
        ("ip-prefix-missing", net("<ip address='224.0.0.1'><dhcp><range start='224.0.0.2' end='224.0.0.3'/></dhcp></ip>"), net("<ip address='224.0.0.1' prefix='24'><dhcp><range start='224.0.0.2' end='224.0.0.3'/></dhcp></ip>")),
        ("tftp-ipv6", net("<ip family='ipv6' address='2001:db8::1' prefix='64'><tftp root='/t'/></ip>"), net("<ip address='10.0.0.1' prefix='8'><tftp root='/t'/></ip>")),
        ("dhcp-range-family", ip24("<dhcp><range start='192.168.5.2' end='2001:db8::9'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'/></dhcp>")),
        ("dhcp-range-outside-subnet", ip24("<dhcp><range start='192.168.6.2' end='192.168.6.9'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'/></dhcp>")),
        ("dhcp-range-reversed", ip24("<dhcp><range start='192.168.5.9' end='192.168.5.2'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'/></dhcp>")),
        ("dhcp-range-network-address", ip24("<dhcp><range start='192.168.5.0' end='192.168.5.9'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'/></dhcp>")),
        ("dhcp-range-broadcast", ip24("<dhcp><range start='192.168.5.2' end='192.168.5.255'/></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.254'/></dhcp>")),
        ("lease-too-short", ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'><lease expiry='1'/></range></dhcp>"), ip24("<dhcp><range start='192.168.5.2' end='192.168.5.9'><lease expiry='2'/></range></dhcp>")),
        ("dhcp-host-ipv6-mac", net("<ip family='ipv6' address='2001:db8::1' prefix='64'><dhcp><host mac='52:54:00:00:00:01' name='a' ip='2001:db8::5'/></dhcp></ip>"), net("<ip family='ipv6' address='2001:db8::1' prefix='64'><dhcp><host name='a' ip='2001:db8::5'/></dhcp></ip>")),
        ("dhcp-host-mac-and-id", ip24("<dhcp><host mac='52:54:00:00:00:01' id='0:4:7:e7:fd:f9:e3:ab:12:34:56:78:9a:bc:de:f0:12:34' ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host mac='52:54:00:00:00:01' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-no-identity", ip24("<dhcp><host ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host name='a' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-identity", ip24("<dhcp><host id='0:4:7:e7:fd:f9:e3:ab:12:34:56:78:9a:bc:de:f0:12:34' ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host name='a' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-name-dnsmasq", ip24("<dhcp><host mac='52:54:00:00:00:01' name='web;rm' ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host mac='52:54:00:00:00:01' name='web' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-name", ip24("<dhcp><host name='-a' ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host name='a' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-outside-subnet", ip24("<dhcp><host name='a' ip='192.168.6.5'/></dhcp>"), ip24("<dhcp><host name='a' ip='192.168.5.5'/></dhcp>")),
        ("dhcp-host-duplicate-mac", ip24("<dhcp><host mac='52:54:00:00:00:01' ip='192.168.5.5'/><host mac='52:54:00:00:00:01' ip='192.168.5.6'/></dhcp>"), ip24("<dhcp><host mac='52:54:00:00:00:01' ip='192.168.5.5'/><host mac='52:54:00:00:00:02' ip='192.168.5.6'/></dhcp>")),
        ("dhcp-host-duplicate-ip", ip24("<dhcp><host name='a' ip='192.168.5.5'/><host name='b' ip='192.168.5.5'/></dhcp>"), ip24("<dhcp><host name='a' ip='192.168.5.5'/><host name='b' ip='192.168.5.6'/></dhcp>")),
        ("dhcp-multiple-ipv4", net("<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip><ip address='10.0.1.1' prefix='24'><dhcp><range start='10.0.1.2' end='10.0.1.9'/></dhcp></ip>"), net("<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip><ip address='10.0.1.1' prefix='24'/>")),
        ("dhcp-multiple-ipv6", net("<ip family='ipv6' address='2001:db8::1' prefix='64'><dhcp><range start='2001:db8::2' end='2001:db8::9'/></dhcp></ip><ip family='ipv6' address='2001:db9::1' prefix='64'><dhcp><range start='2001:db9::2' end='2001:db9::9'/></dhcp></ip>"), net("<ip family='ipv6' address='2001:db8::1' prefix='64'><dhcp><range start='2001:db8::2' end='2001:db8::9'/></dhcp></ip>")),
        ("route-gateway-unreachable", net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.1.0.2'/>"), net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2'/>")),
        ("route-family-mismatch", net("<ip address='10.0.0.1' prefix='24'/><route address='2001:db9::' prefix='64' gateway='10.0.0.2'/>"), net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2'/>")),
        ("route-netmask-ipv6", net("<ip family='ipv6' address='2001:db8::1' prefix='64'/><route family='ipv6' address='2001:db9::' netmask='255.255.0.0' gateway='2001:db8::2'/>"), net("<ip family='ipv6' address='2001:db8::1' prefix='64'/><route family='ipv6' address='2001:db9::' prefix='64' gateway='2001:db8::2'/>")),
        ("route-prefix-range", net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='33' gateway='10.0.0.2'/>"), net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2'/>")),
        ("route-not-network-address", net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.5' prefix='16' gateway='10.0.0.2'/>"), net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2'/>")),
        ("route-metric-zero", net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2' metric='0'/>"), net("<ip address='10.0.0.1' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='10.0.0.2' metric='1'/>")),
        ("nat-needs-nat-mode", net("<forward mode='route'><nat/></forward><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='nat'><nat/></forward><ip address='10.0.0.1' prefix='8'/>")),
        ("nat-address-reversed", net("<forward><nat><address start='1.2.3.9' end='1.2.3.4'/></nat></forward><ip address='10.0.0.1' prefix='8'/>"), net("<forward><nat><address start='1.2.3.4' end='1.2.3.9'/></nat></forward><ip address='10.0.0.1' prefix='8'/>")),
        ("nat-port-reversed", net("<forward><nat><port start='2000' end='1024'/></nat></forward><ip address='10.0.0.1' prefix='8'/>"), net("<forward><nat><port start='1024' end='2000'/></nat></forward><ip address='10.0.0.1' prefix='8'/>")),
        ("forward-interface-and-address", net("<forward mode='hostdev'><interface dev='eth0'/><address type='pci' bus='1' slot='0' function='0'/></forward>"), net("<forward mode='hostdev'><address type='pci' bus='1' slot='0' function='0'/></forward>")),
        ("forward-dev-with-pool", net("<forward mode='passthrough' dev='eth0'><pf dev='eth1'/></forward>"), net("<forward mode='passthrough'><pf dev='eth1'/></forward>")),
        ("forward-dev-mismatch", net("<forward mode='vepa' dev='eth0'><interface dev='eth1'/></forward>"), net("<forward mode='vepa' dev='eth1'><interface dev='eth1'/></forward>")),
        ("forward-interface-duplicate", net("<forward mode='vepa'><interface dev='eth1'/><interface dev='eth1'/></forward>"), net("<forward mode='vepa'><interface dev='eth1'/><interface dev='eth2'/></forward>")),
        ("forward-address-duplicate", net("<forward mode='hostdev'><address type='pci' bus='1' slot='0' function='0'/><address type='pci' bus='0x01' slot='0' function='0'/></forward>"), net("<forward mode='hostdev'><address type='pci' bus='1' slot='0' function='0'/><address type='pci' bus='1' slot='0' function='1'/></forward>")),
        ("forward-needs-ip", net("<forward mode='nat'/>"), net("<forward mode='nat'/><ip address='10.0.0.1' prefix='8'/>")),
        ("forward-multiple-interfaces", net("<forward mode='route'><interface dev='eth0'/><interface dev='eth1'/></forward><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='route'><interface dev='eth0'/></forward><ip address='10.0.0.1' prefix='8'/>")),
        ("forward-open-dev", net("<forward mode='open' dev='eth0'/><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='open'/><ip address='10.0.0.1' prefix='8'/>")),
        ("forward-mode-bridge-options", net("<forward mode='bridge'/><bridge name='br0' stp='on'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-bridge-and-dev", net("<forward mode='bridge' dev='eth0'/><bridge name='br0'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-mode-mtu", net("<forward mode='bridge'/><bridge name='br0'/><mtu size='9000'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-mode-ip", net("<forward mode='bridge'/><bridge name='br0'/><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-mode-mac", net("<forward mode='bridge'/><bridge name='br0'/><mac address='52:54:00:00:00:01'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-no-target", net("<forward mode='bridge'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("bridge-name-too-long", net("<bridge name='virbr0123456789a'/>"), net("<bridge name='virbr0123456789'/>")),
        ("portgroup-duplicate-name", net("<forward mode='bridge'/><bridge name='br0'/><portgroup name='a'/><portgroup name='a'/>"), net("<forward mode='bridge'/><bridge name='br0'/><portgroup name='a'/><portgroup name='b'/>")),
        ("portgroup-multiple-default", net("<forward mode='bridge'/><bridge name='br0'/><portgroup name='a' default='yes'/><portgroup name='b' default='yes'/>"), net("<forward mode='bridge'/><bridge name='br0'/><portgroup name='a' default='yes'/><portgroup name='b'/>")),
        ("virtualport-type-required", net("<forward mode='bridge'/><bridge name='br0'/><virtualport/>"), net("<forward mode='bridge'/><bridge name='br0'/><virtualport type='openvswitch'/>")),
        ("bandwidth-average-required", net("<bandwidth><inbound peak='10'/></bandwidth>"), net("<bandwidth><inbound average='5' peak='10'/></bandwidth>")),
        ("bandwidth-floor", net("<bandwidth><inbound average='5' floor='1'/></bandwidth>"), net("<bandwidth><inbound average='5'/></bandwidth>")),
        ("dns-disabled-extra", net("<dns enable='no'><forwarder addr='8.8.8.8'/></dns>"), net("<dns><forwarder addr='8.8.8.8'/></dns>")),
        ("dns-forwarder-empty", net("<dns><forwarder/></dns>"), net("<dns><forwarder domain='example.com'/></dns>")),
        ("dns-srv-service", net("<dns><srv service='a.b' protocol='tcp'/></dns>"), net("<dns><srv service='ab' protocol='tcp'/></dns>")),
        ("dns-srv-needs-target", net("<dns><srv service='ab' protocol='tcp' port='80'/></dns>"), net("<dns><srv service='ab' protocol='tcp' target='t' port='80'/></dns>")),
        ("dns-srv-port", net("<dns><srv service='ab' protocol='tcp' target='t' port='0'/></dns>"), net("<dns><srv service='ab' protocol='tcp' target='t' port='1'/></dns>")),
        ("wrong-document", "<interface type='user'/>".into(), "<interface type='user'/>".into()),
        ("hostdev-source-incomplete", "<interface type='hostdev'><source><vendor id='0x1234'/></source></interface>".into(), "<interface type='hostdev'><source><vendor id='0x1234'/><product id='0xbeef'/></source></interface>".into()),
        ("ccw-address-incomplete", format!("{NIC}<address type='ccw' cssid='0xfe'/></interface>"), format!("{NIC}<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/></interface>")),
        ("vhostuser-needs-virtio", "<interface type='vhostuser'><source type='unix' path='/tmp/s' mode='server'/><model type='e1000'/></interface>".into(), "<interface type='vhostuser'><source type='unix' path='/tmp/s' mode='server'/><model type='virtio'/></interface>".into()),
        ("rom-disabled-tuning", format!("{NIC}<rom enabled='no' file='/x.rom'/></interface>"), format!("{NIC}<rom enabled='no'/></interface>")),
        ("target-unmanaged-type", format!("{NIC}<target dev='tap0' managed='no'/></interface>"), "<interface type='ethernet'><target dev='tap0' managed='no'/></interface>".into()),
        ("ip-family-mismatch", "<interface type='ethernet'><ip address='10.0.0.1' family='ipv6'/></interface>".into(), "<interface type='ethernet'><ip address='10.0.0.1' family='ipv4'/></interface>".into()),
        ("ip-prefix-range", "<interface type='ethernet'><ip address='10.0.0.1' prefix='33'/></interface>".into(), "<interface type='ethernet'><ip address='10.0.0.1' prefix='32'/></interface>".into()),
        ("bandwidth-floor", "<interface type='bridge'><source bridge='br0'/><bandwidth><inbound average='5' floor='1'/></bandwidth></interface>".into(), format!("{NIC}<bandwidth><inbound average='5' floor='1'/></bandwidth></interface>")),
        ("boot-order-duplicate", dom(&format!("{NIC}<boot order='1'/></interface>{NIC}<boot order='1'/></interface>")), dom(&format!("{NIC}<boot order='1'/></interface>{NIC}<boot order='2'/></interface>"))),
        ("alias-duplicate", dom(&format!("{NIC}<alias name='ua-a'/></interface>{NIC}<alias name='ua-a'/></interface>")), dom(&format!("{NIC}<alias name='ua-a'/></interface>{NIC}<alias name='ua-b'/></interface>"))),
        ("model-not-virtio", format!("{NIC}<model type='e1000'/></interface>"), format!("{NIC}<model type='virtio'/></interface>")),
        ("mac-not-qemu-prefix", format!("{NIC}<mac address='00:16:3e:00:00:01'/></interface>"), format!("{NIC}<mac address='52:54:00:00:00:01'/></interface>")),
    ]
}

#[test]
fn each_rule_fires_and_its_fix_is_clean() {
    for (rule, bad, good) in cases() {
        let expect = if rule == "wrong-document" { Some(super::DocKind::Network) } else { None };
        let r = validate(&bad, "bad.xml", expect);
        assert!(r.diagnostics.iter().any(|d| d.rule == rule), "{rule} did not fire on {bad}:\n{}", r.render());
        if rule != "wrong-document" {
            let ok = validate(&good, "good.xml", None);
            assert!(ok.diagnostics.iter().all(|d| d.severity == Severity::Warning && d.rule != rule), "fixed example for {rule} is not clean: {good}\n{}", ok.render());
        }
    }
}

#[test]
fn every_rule_id_in_the_code_has_an_example() {
    let covered: Vec<&str> = cases().iter().map(|c| c.0).collect();
    let src = [include_str!("network.rs"), include_str!("interface.rs"), include_str!("structure.rs"), include_str!("mod.rs")].concat();
    // Rule ids are the first string argument of sink.error/sink.warn.
    let mut missing = Vec::new();
    for chunk in src.split("sink.").skip(1) {
        let Some(rest) = chunk.strip_prefix("error(").or_else(|| chunk.strip_prefix("warn(")) else { continue };
        let rest = rest.trim_start();
        if let Some(id) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
            // xml-encoding is about bytes, before any text: src/xml/encoding.rs and tests/test_validate.rs show it
            if !covered.contains(&id) && !["input-too-large", "nesting-too-deep", "xml-dtd", "xml-encoding"].contains(&id) && !missing.contains(&id) {
                missing.push(id);
            }
        }
    }
    for id in ["dhcp-multiple-ipv4", "dhcp-multiple-ipv6"] {
        assert!(covered.contains(&id));
    }
    assert!(missing.is_empty(), "rule ids without an example in src/validate/tests.rs: {missing:?}");
}
