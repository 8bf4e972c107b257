//! The catalogue of rule ids: for each, when libvirt itself refuses the
//! mistake ([`Stage`]) and what in libvirt the rule mirrors (a parser or
//! validator function, the network driver, the schema, or the host).
//! One entry per id; src/validate/tests.rs checks that every id reported
//! anywhere is here and every entry is still reported.
//!
//! Never consulted on the accepting path: only a diagnostic looks its
//! rule up, so a clean file pays nothing for the table.

use super::Stage::{self, Define, Driver, Start};

pub struct Rule {
    pub id: &'static str,
    pub stage: Stage,
    /// The libvirt function (file) or schema the rule follows.
    pub mirrors: &'static str,
}

const fn r(id: &'static str, stage: Stage, mirrors: &'static str) -> Rule {
    Rule { id, stage, mirrors }
}

const SCHEMA: &str = "the RelaxNG schema (network.rng, domaincommon.rng)";

pub const RULES: &[Rule] = &[
    // the document and its grammar
    r("xml-syntax", Define, "virXMLParse (libxml2)"),
    r("xml-encoding", Define, "libxml2's decoding (the declared encoding, BOM, UTF-16)"),
    r("xml-dtd", Define, "knet: no DTDs, as libvirt's documents never have one"),
    r("input-too-large", Define, "knet: bounded input"),
    r("nesting-too-deep", Define, "knet: bounded input"),
    r("unknown-document", Define, "virNetworkDefParseNode / virDomainDefParseNode (root element)"),
    r("wrong-document", Define, "virNetworkDefParseNode / virDomainDefParseNode (root element)"),
    r("host-interface", Define, "knet: virsh iface-define documents are another schema (interface.rng)"),
    r("unknown-element", Define, SCHEMA),
    r("unknown-attribute", Define, SCHEMA),
    r("attribute-needs-attribute", Define, SCHEMA),
    r("missing-element", Define, SCHEMA),
    r("missing-attribute", Define, SCHEMA),
    r("duplicate-element", Define, SCHEMA),
    r("invalid-value", Define, SCHEMA),
    r("unexpected-text", Define, SCHEMA),
    r("newer-libvirt", Define, "the schema and parser of the release checked for"),
    r("removed-in-libvirt", Define, "the schema of the release checked for"),
    r("newer-libvirt-parser", Define, "the parser or validator of the release checked for (a rule a later release relaxed)"),
    r("value-whitespace", Define, "virXMLPropEnum / virStrToLong_* (read values as written)"),
    // <network>
    r("name-invalid-char", Define, "virNetworkDefParseXML (virXMLCheckIllegalChars)"),
    r("name-empty", Define, "virNetworkDefParseXML"),
    r("name-too-long", Driver, "virNetworkSaveConfig at net-define (the file <name>.xml.new over NAME_MAX)"),
    r("name-long", Start, "networkStartNetwork (dnsmasq's <name>.hostsfile.new over NAME_MAX), a warning"),
    r("ip-missing-address", Define, "virNetworkIPDefParseXML"),
    r("ip-family-mismatch", Define, "virNetworkIPDefParseXML, virDomainNetIPParseXML"),
    r("ip-netmask-and-prefix", Define, "virNetworkIPDefParseXML, virNetDevIPRouteParseXML (schema choice)"),
    r("ip-netmask-ipv6", Define, "virNetworkIPDefParseXML"),
    r("netmask-noncontiguous", Start, "virSocketAddrGetIPPrefix (define when a DHCP range needs the prefix)"),
    r("ip-prefix-range", Define, "virNetworkIPDefParseXML, virDomainNetIPParseXML"),
    r("ip-prefix-missing", Define, "virNetworkIPDefParseXML (no default prefix outside classes A-C)"),
    r("ip-peer-family", Define, "virDomainNetIPParseXML"),
    r("tftp-ipv6", Define, "virNetworkIPDefParseXML"),
    r("dhcp-range-family", Define, "virSocketAddrGetRange"),
    r("dhcp-range-outside-subnet", Define, "virSocketAddrGetRange"),
    r("dhcp-range-reversed", Define, "virSocketAddrGetRange"),
    r("dhcp-range-network-address", Define, "virSocketAddrGetRange"),
    r("dhcp-range-broadcast", Define, "virSocketAddrGetRange"),
    r("range-too-large", Define, "virSocketAddrGetRange"),
    r("lease-too-short", Define, "virNetworkDHCPLeaseTimeDefParseXML"),
    r("bootp-server-address", Define, "virNetworkDHCPDefParseXML"),
    r("dhcp-host-ipv6-mac", Define, "virNetworkDHCPHostDefParseXML"),
    r("dhcp-host-mac-and-id", Define, SCHEMA),
    r("dhcp-host-no-identity", Define, SCHEMA),
    r("dhcp-host-identity", Define, "virNetworkDHCPHostDefParseXML"),
    r("dhcp-host-name", Define, "virNetworkDHCPHostDefParseXML"),
    r("dhcp-host-name-dnsmasq", Start, "dnsmasq (gives the guest no name), a warning"),
    r("dhcp-host-outside-subnet", Start, "dnsmasq (never hands the address out)"),
    r("dhcp-host-duplicate-mac", Start, "dnsmasq (refuses duplicate dhcp-host lines)"),
    r("dhcp-host-duplicate-ip", Start, "dnsmasq (refuses duplicate dhcp-host lines)"),
    r("dhcp-multiple-ipv4", Driver, "networkValidate (bridge_driver.c)"),
    r("dhcp-multiple-ipv6", Driver, "networkValidate (bridge_driver.c)"),
    r("route-gateway-unreachable", Define, "virNetworkDefParseXML"),
    r("route-family-mismatch", Define, "virNetDevIPRouteCreate"),
    r("route-netmask-ipv6", Define, "virNetDevIPRouteCreate"),
    r("route-prefix-range", Define, "virNetDevIPRouteCreate"),
    r("route-not-network-address", Define, "virNetDevIPRouteCreate"),
    r("route-metric-zero", Define, "virNetDevIPRouteParseXML"),
    r("nat-needs-nat-mode", Define, "virNetworkForwardNatDefParseXML"),
    r("nat-address-reversed", Define, "virNetworkForwardNatDefParseXML (virSocketAddrGetRange)"),
    r("nat-port-reversed", Define, "virNetworkForwardNatDefParseXML"),
    r("forward-interface-and-address", Define, SCHEMA),
    r("forward-dev-with-pool", Define, "virNetworkForwardDefParseXML"),
    r("forward-dev-mismatch", Define, "virNetworkForwardDefParseXML"),
    r("forward-interface-duplicate", Define, "virNetworkForwardDefParseXML"),
    r("forward-address-duplicate", Define, "virNetworkForwardDefParseXML"),
    r("forward-needs-ip", Define, "virNetworkDefParseXML"),
    r("forward-multiple-interfaces", Define, "virNetworkDefParseXML"),
    r("forward-open-dev", Define, "virNetworkDefParseXML"),
    r("forward-mode-bridge-options", Define, "virNetworkDefParseXML"),
    r("forward-bridge-and-dev", Define, "virNetworkDefParseXML"),
    r("forward-mode-mtu", Define, "virNetworkDefParseXML"),
    r("forward-mode-ip", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-mode-mac", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-mode-dns", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-mode-bandwidth", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-hostdev-netdev", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-address-needs-hostdev", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-pool-mixed", Driver, "networkValidate (bridge_driver.c)"),
    r("vlan-not-supported", Driver, "networkValidate (bridge_driver.c)"),
    r("forward-no-target", Start, "networkStartNetwork (nothing to attach guests to)"),
    r("bridge-name-too-long", Start, "the kernel (IFNAMSIZ) when the bridge is created"),
    r("portgroup-duplicate-name", Driver, "networkValidate (bridge_driver.c)"),
    r("portgroup-multiple-default", Driver, "networkValidate (bridge_driver.c)"),
    r("virtualport-type-required", Define, "virNetDevVPortProfileParse (VIR_VPORT_XML_REQUIRE_TYPE)"),
    r("virtualport-incomplete", Define, "virNetDevVPortProfileCheckComplete"),
    r("vlan-native-duplicate", Define, "virNetDevVlanParse"),
    r("bandwidth-average-required", Define, "virNetDevBandwidthParseRate"),
    r("bandwidth-floor", Define, "virNetDevBandwidthParse"),
    r("bandwidth-classid", Define, "virNetDevBandwidthParse"),
    r("bandwidth-burst-range", Define, "virNetDevBandwidthValidate (releases after 9.0)"),
    r("dns-disabled-extra", Define, "virNetworkDNSDefParseXML"),
    r("dns-forwarder-empty", Define, "virNetworkDNSDefParseXML"),
    r("dns-srv-service", Define, "virNetworkDNSSrvDefParseXML"),
    r("dns-srv-needs-target", Define, "virNetworkDNSSrvDefParseXML"),
    r("dns-srv-port", Define, "virNetworkDNSSrvDefParseXML"),
    // domain <interface> and <domain>
    r("interface-source-required", Define, "virDomainNetDefParseXMLRequireSource"),
    r("hostdev-source-incomplete", Define, SCHEMA),
    r("hostdev-address-type", Define, "virDomainHostdevDefValidate"),
    r("hostdev-duplicate", Define, "virDomainDefParseXML (virDomainHostdevFind)"),
    r("ccw-address-incomplete", Define, SCHEMA),
    r("vhostuser-needs-virtio", Define, "virDomainNetDefValidate (qemuValidateDomainDeviceDefNetwork from 11.1)"),
    r("vhostuser-server-reconnect", Define, "virDomainNetDefValidate (qemuValidateDomainDeviceDefNetwork from 11.1)"),
    r("reconnect-timeout-required", Define, "virDomainChrSourceReconnectDefParseXML"),
    r("virtio-option-not-virtio", Define, "virDomainCheckVirtioOptionsAreAbsent"),
    r("driver-name-invalid", Define, "virDomainNetDefParseXMLDriver, virDomainHostdevDefParseXMLSubsys"),
    r("driver-value-range", Define, "virDomainNetDefParseXMLDriver"),
    r("backend-passt-type", Define, "virDomainNetDefValidate"),
    r("passt-only-option", Define, "virDomainNetDefValidate (releases after 9.0)"),
    r("port-isolated-type", Define, "virDomainNetDefValidatePortOptions"),
    r("port-isolated-virtualport", Define, "virDomainNetDefValidatePortOptions"),
    r("port-forward-range", Define, "virDomainNetPortForwardRangeParseXML"),
    r("rom-disabled-tuning", Define, "virDomainDeviceInfoParseXML"),
    r("boot-order-range", Define, "virDomainDeviceBootParseXML"),
    r("acpi-index-zero", Define, "virDomainDeviceInfoParseXML"),
    r("target-unmanaged-type", Define, "virDomainNetDefValidate"),
    r("boot-order-duplicate", Define, "virDomainDefCollectBootOrder"),
    r("boot-order-with-os-boot", Define, "virDomainDefParseBootXML"),
    r("alias-duplicate", Define, "virDomainDefValidateAliases"),
    // advice
    r("model-not-virtio", Define, "advice (KVM networking docs), a warning"),
    r("mac-not-qemu-prefix", Define, "advice (QEMU's 52:54:00 prefix), a warning"),
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
