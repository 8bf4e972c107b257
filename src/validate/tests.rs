//! Every rule id fires on a minimal document that breaks just that rule,
//! and the same document with the mistake fixed is clean. The table doubles
//! as a catalogue: one example per rule id.

use super::version::{Version, V10_0, V11_3, V8_0, V9_0};
use super::{validate_for, Severity};


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
        ("forward-mode-bridge-options", net("<forward mode='bridge'/><bridge name='br0' delay='5'/>"), net("<forward mode='bridge'/><bridge name='br0' delay='0'/>")),
        ("forward-mode-mtu", net("<forward mode='bridge'/><bridge name='br0'/><mtu size='1500'/>"), net("<forward mode='bridge'/><bridge name='br0'/><mtu size='0'/>")),
        ("vlan-native-duplicate", net("<forward mode='bridge'/><bridge name='br0'/><virtualport type='openvswitch'/><vlan trunk='yes'><tag id='1' nativeMode='untagged'/><tag id='2' nativeMode='tagged'/></vlan>"), net("<forward mode='bridge'/><bridge name='br0'/><virtualport type='openvswitch'/><vlan trunk='yes'><tag id='1' nativeMode='untagged'/><tag id='2'/></vlan>")),
        ("vlan-native-duplicate", format!("{NIC}<vlan trunk='yes'><tag id='1' nativeMode='tagged'/><tag id='2' nativeMode='tagged'/></vlan></interface>"), format!("{NIC}<vlan trunk='yes'><tag id='1' nativeMode='tagged'/><tag id='2'/></vlan></interface>")),
        ("interface-source-required", "<interface type='bridge'><model type='virtio'/></interface>".into(), "<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>".into()),
        ("attribute-needs-attribute", "<interface type='bridge'><source bridge='br0' portgroup='pg'/></interface>".into(), "<interface type='bridge'><source bridge='br0' network='n' portgroup='pg'/></interface>".into()),
        ("port-isolated-type", "<interface type='ethernet'><port isolated='yes'/></interface>".into(), "<interface type='bridge'><source bridge='br0'/><port isolated='yes'/></interface>".into()),
        ("port-isolated-virtualport", "<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/><port isolated='yes'/></interface>".into(), "<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/><port isolated='no'/></interface>".into()),
        ("virtio-option-not-virtio", format!("{NIC}<model type='e1000'/><driver iommu='on'/></interface>"), format!("{NIC}<model type='virtio'/><driver iommu='on'/></interface>")),
        ("virtio-option-not-virtio", format!("{NIC}<driver packed='on'/></interface>"), format!("{NIC}<model type='VIRTIO'/><driver packed='on'/></interface>")),
        ("backend-passt-type", format!("{NIC}<backend type='passt'/></interface>"), "<interface type='user'><backend type='passt'/></interface>".into()),
        ("vhostuser-server-reconnect", "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/tmp/s' mode='server'><reconnect enabled='yes' timeout='10'/></source></interface>".into(), "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/tmp/s' mode='client'><reconnect enabled='yes' timeout='10'/></source></interface>".into()),
        ("reconnect-timeout-required", "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/tmp/s' mode='client'><reconnect enabled='yes'/></source></interface>".into(), "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/tmp/s' mode='client'><reconnect enabled='no'/></source></interface>".into()),
        ("virtualport-type-required", "<interface type='direct'><source dev='eth0'/><virtualport/></interface>".into(), "<interface type='network'><source network='n'/><virtualport/></interface>".into()),
        ("virtualport-incomplete", "<interface type='direct'><source dev='eth0'/><virtualport type='802.1Qbg'><parameters managerid='1' typeid='2'/></virtualport></interface>".into(), "<interface type='direct'><source dev='eth0'/><virtualport type='802.1Qbg'><parameters managerid='1' typeid='2' typeidversion='1'/></virtualport></interface>".into()),
        ("ip-prefix-range", "<interface type='ethernet'><source><ip address='10.0.0.1' prefix='40'/></source></interface>".into(), "<interface type='ethernet'><source><ip address='10.0.0.1' prefix='30'/></source></interface>".into()),
        ("ip-family-mismatch", "<interface type='ethernet'><source><ip address='2001:db8::1' family='ipv4'/></source></interface>".into(), "<interface type='ethernet'><source><ip address='2001:db8::1' family='ipv6'/></source></interface>".into()),
        ("route-prefix-range", "<interface type='ethernet'><source><route address='10.0.0.0' prefix='33' gateway='10.0.0.1'/></source></interface>".into(), "<interface type='ethernet'><source><route address='10.0.0.0' prefix='8' gateway='10.0.0.1'/></source></interface>".into()),
        ("ip-peer-family", "<interface type='ethernet'><ip address='10.0.0.1' peer='2001:db8::1'/></interface>".into(), "<interface type='ethernet'><ip address='10.0.0.1' peer='10.0.0.2'/></interface>".into()),
        ("driver-name-invalid", "<interface type='hostdev'><driver name='vhost'/><source><address type='pci' bus='1' slot='0' function='0'/></source></interface>".into(), "<interface type='hostdev'><driver name='vfio'/><source><address type='pci' bus='1' slot='0' function='0'/></source></interface>".into()),
        ("driver-name-invalid", format!("{NIC}<model type='virtio'/><driver name='kvm'/></interface>"), format!("{NIC}<model type='e1000'/><driver name='kvm'/></interface>")),
        ("driver-value-range", format!("{NIC}<model type='virtio'/><driver queues='4294967296'/></interface>"), format!("{NIC}<model type='virtio'/><driver queues='4294967295'/></interface>")),
        ("bootp-server-address", ip24("<dhcp><bootp file='pxe.img' server='tftp.example.com'/></dhcp>"), ip24("<dhcp><bootp file='pxe.img' server='192.168.5.3'/></dhcp>")),
        ("boot-order-range", format!("{NIC}<boot order='4294967296'/></interface>"), format!("{NIC}<boot order='4294967295'/></interface>")),
        ("acpi-index-zero", format!("{NIC}<acpi index='0'/></interface>"), format!("{NIC}<acpi index='1'/></interface>")),
        ("bandwidth-classid", net("<bandwidth classID='5'><inbound average='5'/></bandwidth>"), net("<bandwidth><inbound average='5'/></bandwidth>")),
        ("bandwidth-average-required", format!("{NIC}<bandwidth><inbound peak='20' floor='10'/></bandwidth></interface>"), format!("{NIC}<bandwidth><inbound floor='10'/></bandwidth></interface>")),
        ("passt-only-option", "<interface type='user'><portForward proto='tcp'><range start='22'/></portForward></interface>".into(), "<interface type='user'><backend type='passt'/><portForward proto='tcp'><range start='22'/></portForward></interface>".into()),
        ("bandwidth-burst-range", net("<bandwidth><inbound average='5' burst='4194304'/></bandwidth>"), net("<bandwidth><inbound average='5' burst='4194303'/></bandwidth>")),
        ("range-too-large", net("<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.2' end='10.1.0.9'/></dhcp></ip>"), net("<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.2' end='10.0.255.9'/></dhcp></ip>")),
        ("range-too-large", net("<forward><nat><address start='10.20.30.40' end='10.21.0.1'/></nat></forward><ip address='10.0.0.1' prefix='8'/>"), net("<forward><nat><address start='10.20.30.40' end='10.20.255.1'/></nat></forward><ip address='10.0.0.1' prefix='8'/>")),
        ("hostdev-address-type", "<interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='0'/></source><address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0'/></interface>".into(), "<interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='0'/></source><address type='pci' bus='0' slot='5' function='0'/></interface>".into()),
        ("forward-mode-dns", net("<forward mode='bridge'/><bridge name='br0'/><domain name='lab'/>"), net("<forward mode='bridge'/><bridge name='br0'/>")),
        ("forward-mode-bandwidth", net("<forward mode='vepa' dev='eth0'/><bandwidth><inbound average='5'/></bandwidth>"), net("<forward mode='bridge'/><bridge name='br0'/><bandwidth><inbound average='5'/></bandwidth>")),
        ("forward-hostdev-netdev", net("<forward mode='hostdev'><interface dev='eth1'/></forward>"), net("<forward mode='passthrough'><interface dev='eth1'/></forward>")),
        ("forward-address-needs-hostdev", net("<forward mode='passthrough'><address type='pci' bus='1' slot='0' function='0'/></forward>"), net("<forward mode='hostdev'><address type='pci' bus='1' slot='0' function='0'/></forward>")),
        ("forward-pool-mixed", net("<forward mode='passthrough'><pf dev='eth0'/><interface dev='eth1'/></forward>"), net("<forward mode='passthrough'><pf dev='eth0'/></forward>")),
        ("vlan-not-supported", net("<forward mode='bridge'/><bridge name='br0'/><vlan><tag id='5'/></vlan>"), net("<forward mode='bridge'/><bridge name='br0'/><virtualport type='openvswitch'/><vlan><tag id='5'/></vlan>")),
        ("port-forward-range", "<interface type='user'><backend type='passt'/><portForward proto='tcp'><range start='-1'/></portForward></interface>".into(), "<interface type='user'><backend type='passt'/><portForward proto='tcp'><range start='22'/></portForward></interface>".into()),
        ("boot-order-with-os-boot", format!("<domain type='kvm'><name>d</name><os><boot dev='hd'/></os><devices>{NIC}<boot order='1'/></interface></devices></domain>"), dom(&format!("{NIC}<boot order='1'/></interface>"))),
        ("hostdev-duplicate", dom("<interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='0'/></source></interface><interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='0'/></source></interface>"), dom("<interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='0'/></source></interface><interface type='hostdev'><source><address type='pci' bus='1' slot='0' function='1'/></source></interface>")),
        ("value-whitespace", net("<forward mode=' nat'/><ip address='10.0.0.1' prefix='8'/>"), net("<forward mode='nat'/><ip address='10.0.0.1' prefix=' 8'/><bridge stp=' off'/>")),
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
        // Rules of releases after 9.0 are shown for the newest.
        let v = if ["passt-only-option", "bandwidth-burst-range"].contains(&rule) { V11_3 } else { V9_0 };
        let r = validate_for(&bad, "bad.xml", expect, v);
        assert!(r.diagnostics.iter().any(|d| d.rule == rule), "{rule} did not fire on {bad}:\n{}", r.render());
        if rule != "wrong-document" {
            let ok = validate_for(&good, "good.xml", None, v);
            assert!(ok.diagnostics.iter().all(|d| d.severity == Severity::Warning && d.rule != rule), "fixed example for {rule} is not clean: {good}\n{}", ok.render());
        }
    }
}

#[test]
fn every_rule_id_in_the_code_has_an_example() {
    let covered: Vec<&str> = cases().iter().map(|c| c.0).collect();
    let src = [include_str!("network.rs"), include_str!("interface.rs"), include_str!("structure.rs"), include_str!("mod.rs"), include_str!("version.rs")].concat();
    // Rule ids are the first string argument of sink.error/sink.warn.
    let mut missing = Vec::new();
    for chunk in src.split("sink.").skip(1) {
        let Some(rest) = chunk
            .strip_prefix("error(")
            .or_else(|| chunk.strip_prefix("warn("))
            .or_else(|| chunk.strip_prefix("unknown("))
            .or_else(|| chunk.strip_prefix("error_at(").and_then(|r| r.split_once(',').map(|x| x.1)))
        else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(id) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
            // newer-libvirt and removed-in-libvirt have their own tables below;
            // xml-encoding is about bytes, before any text: src/xml/encoding.rs and tests/test_validate.rs show it
            let elsewhere = ["input-too-large", "nesting-too-deep", "xml-dtd", "xml-encoding", "newer-libvirt", "newer-libvirt-parser", "removed-in-libvirt"];
            if !covered.contains(&id) && !elsewhere.contains(&id) && !missing.contains(&id) {
                missing.push(id);
            }
        }
    }
    for id in ["dhcp-multiple-ipv4", "dhcp-multiple-ipv6"] {
        assert!(covered.contains(&id));
    }
    assert!(missing.is_empty(), "rule ids without an example in src/validate/tests.rs: {missing:?}");
    // The catalogue (rules.rs) lists exactly the ids the code reports.
    let in_code: Vec<&str> = src
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|id| super::rules::find(id).is_some())
        .collect();
    let stale: Vec<&str> = super::rules::RULES.iter().map(|r| r.id).filter(|id| !in_code.contains(id) && !covered.contains(id)).collect();
    assert!(stale.is_empty(), "rules.rs lists ids no code reports: {stale:?}");
    let uncatalogued: Vec<&str> = covered.iter().copied().filter(|id| super::rules::find(id).is_none()).collect();
    assert!(uncatalogued.is_empty(), "rule ids missing from rules.rs: {uncatalogued:?}");
}

/// (document, the newest release that refuses it, the oldest that accepts
/// it, what the refusal says): each construct newer than some release knet
/// knows is refused for that release with the release that added it, and
/// accepted from that release on.
fn version_cases() -> Vec<(String, Version, Version, &'static str)> {
    let vhost = "<interface type='vhostuser'><model type='virtio'/>";
    vec![
        (net("<title>t</title>"), V9_0, V11_3, "<title> in <network> needs libvirt 9.7 or later (validating for 9.0)"),
        (net("<description>d</description>"), V9_0, V11_3, "needs libvirt 9.7 or later"),
        (net("<domain name='example.com' register='yes'/>"), V10_0, V11_3, "register= on <domain> needs libvirt 10.1 or later (validating for 10.0)"),
        (net("<forward mode='hostdev'><driver model='vfio-pci-igb'/><address type='pci' bus='1' slot='0' function='0'/></forward>"), V9_0, V10_0, "model= on <driver> needs libvirt 10.0 or later"),
        (net("<forward mode='hostdev'><driver name='xen'/><address type='pci' bus='1' slot='0' function='0'/></forward>"), V9_0, V10_0, "<driver name='xen'> needs libvirt 10.0 or later"),
        (format!("{NIC}<mac address='52:54:00:00:00:01' currentAddress='52:54:00:00:00:02'/></interface>"), V10_0, V11_3, "currentAddress= on <mac> needs libvirt 11.2 or later"),
        ("<interface type='hostdev'><driver model='vfio-pci-igb'/><source><address type='pci' bus='1' slot='0' function='0'/></source></interface>".into(), V9_0, V10_0, "model= on <driver> needs libvirt 10.0 or later"),
        (format!("{vhost}</interface>"), V10_0, V11_3, "<interface> is missing the required <source> element"),
        (format!("{vhost}<source path='/tmp/s' mode='client'/></interface>"), V10_0, V11_3, "missing the required type= attribute"),
        (format!("{vhost}<source dev='x' type='unix' path='/tmp/s' mode='client'/><backend type='passt'/></interface>"), V10_0, V11_3, "dev= on <source> needs libvirt 11.1 or later"),
        (format!("{vhost}<source type='unix' path='/tmp/s' mode='client'/><backend type='passt'/></interface>"), V10_0, V11_3, "<backend type='passt'> on a vhostuser interface needs libvirt 11.1 or later (validating for 10.0)"),
        ("<interface type='vhostuser'><source type='unix' path='/tmp/s' mode='client'/></interface>".into(), V10_0, V11_3, "a vhostuser interface needs <model type='virtio'/>"),
        ("<interface type='vds'><source switchid='00000000-0000-0000-0000-000000000001'/></interface>".into(), V9_0, V11_3, "missing the required portid= attribute"),
        ("<interface type='user'><backend type='default'/></interface>".into(), V9_0, V11_3, "<backend type='default'> needs a libvirt release after 9.0 (11.3 has it)"),
        (net("<ip address='10.0.0.1' prefix='24'><tftp root='/srv/tftp'/></ip>"), V8_0, V9_0, "<tftp> without <dhcp> needs libvirt 8.5 or later (validating for 8.0)"),
        ("<interface type='null'/>".into(), V8_0, V9_0, "<interface type='null'> needs libvirt 8.7 or later (validating for 8.0)"),
        ("<interface type='vds'><source switchid='00000000-0000-0000-0000-000000000001' portid='1' portgroupid='g' connectionid='2'/></interface>".into(), V8_0, V9_0, "<interface type='vds'> needs libvirt 8.7 or later"),
        (format!("{NIC}<model type='virtio'/><driver rss='on'/></interface>"), V8_0, V9_0, "rss= on <driver> needs libvirt 8.3 or later"),
        (net("<bandwidth><inbound average='5000000000'/></bandwidth>"), V9_0, V11_3, "<inbound average='5000000000'> needs a libvirt release after 9.0 (11.3 has it)"),
        ("<interface type='user'><backend type='passt'/></interface>".into(), V8_0, V9_0, "<backend type='passt'> needs libvirt 9.0 or later"),
        ("<interface type='user'><portForward proto='tcp'><range start='22'/></portForward></interface>".into(), V8_0, V9_0, "<portForward> in <interface> needs libvirt 9.0 or later"),
    ]
}

#[test]
fn newer_constructs_are_refused_with_the_release_that_added_them() {
    for (doc, refused, accepted, says) in version_cases() {
        let r = validate_for(&doc, "v.xml", None, refused);
        let errors: Vec<_> = r.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.iter().any(|d| d.message.contains(says)), "for {refused}, {doc} should say {says:?}:\n{}", r.render());
        let ok = validate_for(&doc, "v.xml", None, accepted);
        assert!(!ok.has_errors(), "for {accepted}, {doc} should be valid:\n{}", ok.render());
    }
}

#[test]
fn a_release_newer_than_knet_knows_turns_unknown_names_into_warnings() {
    let future = Version::new(99, 0);
    let doc = net("<forward mode='nat' newthing='1'/><ip address='10.0.0.1' prefix='8'/><frobnicate/>");
    let r = validate_for(&doc, "f.xml", None, future);
    assert!(!r.has_errors(), "{}", r.render());
    assert_eq!(r.diagnostics.iter().filter(|d| d.rule.starts_with("unknown-")).count(), 2, "{}", r.render());
    // A release knet knows still refuses them.
    assert!(validate_for(&doc, "f.xml", None, V11_3).has_errors());
    // Other rules still hold: libvirt's parser is older than its schema.
    assert!(validate_for(&net("<ip address='10.0.0.1' prefix='33'/>"), "f.xml", None, future).has_errors());
}

#[test]
fn constructs_a_release_dropped_are_refused_for_it() {
    let doc = "<interface type='hostdev'><driver name='vfio'><host csum='off'/></driver><source><address type='pci' bus='1' slot='0' function='0'/></source></interface>";
    assert!(!validate_for(doc, "r.xml", None, V9_0).has_errors());
    let r = validate_for(doc, "r.xml", None, V11_3);
    assert!(
        r.diagnostics.iter().any(|d| d.rule == "removed-in-libvirt" && d.message.contains("<host> in <driver> was removed in libvirt 10.0 (validating for 11.3)")),
        "{}",
        r.render()
    );
}
