//! The grammar knet checks structure against: every element and attribute
//! libvirt 9.0's RelaxNG schema allows in a `<network>` (network.rng,
//! networkcommon.rng, basictypes.rng) and in a domain `<interface>`
//! (domaincommon.rng's `interface` define), written as Rust data.
//!
//! Written for knet from reading those schemas, not copied: RelaxNG
//! interleaves become unordered child sets, `<choice>` on an attribute value
//! (interface type, virtualport type, address type, driver name) becomes a
//! [`Switch`] picking the element's definition. Element order is not checked
//! (libvirt's schema interleaves nearly everything and its parser ignores
//! order). Must stay in step with xml-schemas/*.rng, which say the same thing
//! for editors; tests/test_validate.rs runs xmllint with them on the corpus.
//!
//! Data only: never checks a document itself (src/validate/structure.rs does).

use super::types::*;
// The releases each construct appeared in come from libvirt's own
// documentation ("Since X.Y" in formatnetwork/formatdomain) and NEWS, checked
// against the 9.0 and 11.3 schemas; see version.rs.
use super::version::{Span, Version, V10_0, V10_1, V11_1, V11_2, V11_3, V8_3, V8_7, V9_0, V9_7};

/// An element definition.
pub struct El {
    pub name: &'static str,
    /// Namespace URI; `None` for libvirt's own (unqualified) elements.
    pub ns: Option<&'static str>,
    /// Allowed attributes, in groups (shared groups are reused).
    pub attrs: &'static [&'static [At]],
    /// Allowed children, in groups.
    pub kids: &'static [&'static [Kid]],
    /// `Some(ty)`: text content of that type and no children.
    pub text: Option<Ty>,
    /// Anything goes inside (`<metadata>`): children are not checked.
    pub any: bool,
    /// The definition depends on an attribute's value.
    pub switch: Option<Switch>,
    /// A constraint between siblings that the structure engine leaves to a
    /// named rule (its id is in STRUCTURAL_RULES) but a RelaxNG schema
    /// states as a `<choice>`; rng.rs writes it.
    pub special: Option<Special>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Special {
    /// `<ip>`: netmask= or prefix=, not both (rule ip-netmask-and-prefix).
    NetmaskOrPrefix,
    /// DHCP `<host>`: mac= or id= (not both), and/or name= (rules
    /// dhcp-host-mac-and-id, dhcp-host-no-identity).
    DhcpHostIdentity,
    /// `<forward>`: `<interface>`s or PCI `<address>`es, not both (rule
    /// forward-interface-and-address).
    ForwardPool,
    /// hostdev `<source>`: `<address type=...>`, or `<vendor>`+`<product>`
    /// with an optional USB `<address>` (rule hostdev-source-incomplete).
    HostdevSource,
    /// CCW `<address>`: cssid=, ssid= and devno= all or none (rule
    /// ccw-address-incomplete).
    AllOrNoAttrs,
}

pub struct At {
    pub name: &'static str,
    pub ty: Ty,
    pub req: bool,
    /// Required in releases before this one, optional from it on.
    pub req_before: Option<Version>,
    /// The releases that know the attribute here.
    pub span: Span,
    /// Values of `ty` that only some releases accept.
    pub values: &'static [(&'static str, Span)],
    /// A wider type the releases in the span accept instead of `ty`.
    pub wider: Option<(Span, Ty)>,
    /// Allowed only together with this (optional) attribute of the same
    /// element: the schema's optional attribute groups, e.g. portgroup=
    /// belongs to the network= group of a bridge interface's `<source>`.
    pub with: Option<&'static str>,
}

pub struct Kid {
    pub el: &'static El,
    pub req: bool,
    pub many: bool,
    /// Required in releases before this one, optional from it on.
    pub req_before: Option<Version>,
    /// The releases that allow the element at this place.
    pub span: Span,
}

pub struct Switch {
    pub attr: &'static str,
    pub cases: &'static [(&'static str, &'static El)],
    /// Used when the attribute is absent; `None` makes it required.
    pub default: Option<&'static El>,
    /// Cases only some releases know.
    pub spans: &'static [(&'static str, Span)],
}

pub const DNSMASQ_NS: &str = "http://libvirt.org/schemas/network/dnsmasq/1.0";

const fn el(name: &'static str, attrs: &'static [&'static [At]], kids: &'static [&'static [Kid]]) -> El {
    El { name, ns: None, attrs, kids, text: None, any: false, switch: None, special: None }
}
const fn text_el(name: &'static str, ty: Ty) -> El {
    El { name, ns: None, attrs: &[], kids: &[], text: Some(ty), any: false, switch: None, special: None }
}
const fn switch(name: &'static str, attrs: &'static [&'static [At]], sw: Switch) -> El {
    El { name, ns: None, attrs, kids: &[], text: None, any: false, switch: Some(sw), special: None }
}
const fn a(name: &'static str, ty: Ty) -> At {
    At { name, ty, req: false, with: None, req_before: None, span: Span::ALWAYS, values: &[], wider: None }
}
const fn r(name: &'static str, ty: Ty) -> At {
    At { req: true, ..a(name, ty) }
}
/// An optional attribute allowed only when `key` is there too.
const fn w(name: &'static str, ty: Ty, key: &'static str) -> At {
    At { with: Some(key), ..a(name, ty) }
}
/// An optional attribute that releases from `v` on know.
const fn a_since(name: &'static str, ty: Ty, v: Version) -> At {
    At { span: Span::since(v), ..a(name, ty) }
}
/// An attribute required before release `v`, optional from it on.
const fn r_until(name: &'static str, ty: Ty, v: Version) -> At {
    At { req_before: Some(v), ..a(name, ty) }
}
const fn opt(el: &'static El) -> Kid {
    Kid { el, req: false, many: false, req_before: None, span: Span::ALWAYS }
}
const fn one(el: &'static El) -> Kid {
    Kid { req: true, ..opt(el) }
}
const fn many(el: &'static El) -> Kid {
    Kid { many: true, ..opt(el) }
}
const fn some(el: &'static El) -> Kid {
    Kid { req: true, many: true, ..opt(el) }
}
/// An optional element that releases from `v` on allow here.
const fn opt_since(el: &'static El, v: Version) -> Kid {
    Kid { span: Span::since(v), ..opt(el) }
}

// ---------------------------------------------------------------- shared

pub static TITLE: El = text_el("title", OBJECT_NAME_WITH_SLASH);
pub static DESCRIPTION: El = text_el("description", TEXT);
pub static METADATA: El = El { name: "metadata", ns: None, attrs: &[], kids: &[], text: None, any: true, switch: None, special: None };
pub static MTU: El = el("mtu", &[&[r("size", USHORT)]], &[]);
pub static PORT_OPTIONS: El = el("port", &[&[a("isolated", YES_NO)]], &[]);

// Rates beyond 32 bits: 11.3's schema takes up to 2^54 KiB/s (the release
// that widened it is not known to knet).
const fn rate(name: &'static str) -> At {
    At { wider: Some((Span::between(V9_0, V11_3), SPEED64)), ..a(name, SPEED) }
}
static BW_RATE: &[At] = &[rate("average"), rate("peak"), rate("floor"), a("burst", SPEED)];
static INBOUND: El = el("inbound", &[BW_RATE], &[]);
static OUTBOUND: El = el("outbound", &[BW_RATE], &[]);
pub static BANDWIDTH: El = el("bandwidth", &[&[a("classID", POSITIVE_INT)]], &[&[opt(&INBOUND), opt(&OUTBOUND)]]);

static TAG: El = el("tag", &[&[r("id", VLAN_TAG), a("nativeMode", Ty::Enum(&["tagged", "untagged"]))]], &[]);
pub static VLAN: El = el("vlan", &[&[a("trunk", Ty::Enum(&["yes"]))]], &[&[some(&TAG)]]);

// netmask= and prefix= exclude each other (rule ip-netmask-and-prefix).
pub static ROUTE: El = El { special: Some(Special::NetmaskOrPrefix), ..el(
    "route",
    &[&[
        a("family", ADDR_FAMILY),
        r("address", IP_ADDR),
        a("netmask", IPV4_ADDR),
        a("prefix", IP_PREFIX),
        r("gateway", IP_ADDR),
        a("metric", UNSIGNED_INT),
    ]],
    &[],
) };

// virtualport (networkcommon's virtualPortProfile)
static VP_QBG_PARAMS: El = el("parameters", &[&[a("managerid", UINT8), a("typeid", UINT24), a("typeidversion", UINT8), a("instanceid", UUID)]], &[]);
static VP_QBH_PARAMS: El = el("parameters", &[&[a("profileid", PROFILE_ID)]], &[]);
static VP_OVS_PARAMS: El = el("parameters", &[&[a("profileid", PROFILE_ID), a("interfaceid", UUID)]], &[]);
static VP_MIDO_PARAMS: El = el("parameters", &[&[r("interfaceid", UUID)]], &[]);
static VP_ANY_PARAMS: El = el(
    "parameters",
    &[&[a("managerid", UINT8), a("typeid", UINT24), a("typeidversion", UINT8), a("instanceid", UUID), a("profileid", PROFILE_ID), a("interfaceid", UUID)]],
    &[],
);
static VP_QBG: El = el("virtualport", &[], &[&[opt(&VP_QBG_PARAMS)]]);
static VP_QBH: El = el("virtualport", &[], &[&[opt(&VP_QBH_PARAMS)]]);
static VP_OVS: El = el("virtualport", &[], &[&[opt(&VP_OVS_PARAMS)]]);
static VP_MIDO: El = el("virtualport", &[], &[&[one(&VP_MIDO_PARAMS)]]);
static VP_ANY: El = el("virtualport", &[], &[&[opt(&VP_ANY_PARAMS)]]);
pub static VIRTUALPORT: El = switch(
    "virtualport",
    &[],
    Switch { attr: "type", cases: &[("802.1Qbg", &VP_QBG), ("802.1Qbh", &VP_QBH), ("openvswitch", &VP_OVS), ("midonet", &VP_MIDO)], default: Some(&VP_ANY), spans: &[] },
);

static PCI_ADDR_ATTRS: &[At] = &[a("domain", PCI_DOMAIN), a("bus", PCI_BUS), a("slot", PCI_SLOT), a("function", PCI_FUNC), a("multifunction", ON_OFF)];

// ---------------------------------------------------------------- network

static BRIDGE: El = el(
    "bridge",
    &[&[
        a("name", DEVICE_NAME),
        a("zone", ZONE_NAME),
        a("stp", ON_OFF),
        a("delay", XSD_UNSIGNED_LONG),
        a("macTableManager", Ty::Enum(&["kernel", "libvirt"])),
    ]],
    &[],
);
static NET_MAC: El = el("mac", &[&[r("address", UNI_MAC)]], &[]);

static FWD_INTERFACE: El = el("interface", &[&[r("dev", DEVICE_NAME), a("connections", XSD_UNSIGNED_INT)]], &[]);
static FWD_PCI_ADDRESS: El = el("address", &[&[r("type", Ty::Enum(&["pci"])), a("connections", XSD_UNSIGNED_INT)], PCI_ADDR_ATTRS], &[]);
static FWD_PF: El = el("pf", &[&[r("dev", DEVICE_NAME)]], &[]);
// 10.0 shares the hostdev <driver>: name= optional, xen, model= (a VFIO variant driver).
static FWD_DRIVER: El = el(
    "driver",
    &[&[
        At { values: &[("xen", Span::since(V10_0))], ..r_until("name", Ty::Enum(&["kvm", "vfio", "xen"]), V10_0) },
        a_since("model", GENERIC_NAME, V10_0),
    ]],
    &[],
);
static NAT_ADDRESS: El = el("address", &[&[r("start", IPV4_ADDR), r("end", IPV4_ADDR)]], &[]);
static NAT_PORT: El = el("port", &[&[r("start", PORT), r("end", PORT)]], &[]);
static NAT: El = el("nat", &[&[a("ipv6", YES_NO)]], &[&[opt(&NAT_ADDRESS), opt(&NAT_PORT)]]);
pub const FORWARD_MODES: &[&str] = &["nat", "route", "open", "bridge", "passthrough", "private", "vepa", "hostdev"];
static FORWARD: El = El { special: Some(Special::ForwardPool), ..el(
    "forward",
    &[&[a("dev", DEVICE_NAME), a("mode", Ty::Enum(FORWARD_MODES)), a("managed", YES_NO)]],
    // interface* and address* exclude each other (rule forward-interface-and-address).
    &[&[many(&FWD_INTERFACE), many(&FWD_PCI_ADDRESS), opt(&FWD_PF), opt(&FWD_DRIVER), opt(&NAT)]],
) };

static PORTGROUP: El = el(
    "portgroup",
    &[&[r("name", DEVICE_NAME), a("default", YES_NO), a("trustGuestRxFilters", YES_NO)]],
    &[&[opt(&VIRTUALPORT), opt(&BANDWIDTH), opt(&VLAN)]],
);

static NET_DOMAIN: El = el("domain", &[&[r("name", DNS_NAME), a("localOnly", YES_NO), a_since("register", YES_NO, V10_1)]], &[]);

static DNS_FORWARDER: El = el("forwarder", &[&[a("addr", IP_ADDR), a("domain", DNS_NAME)]], &[]);
static DNS_TXT: El = el("txt", &[&[r("name", DNS_NAME), r("value", TEXT)]], &[]);
static DNS_SRV: El = el(
    "srv",
    &[&[
        r("service", TEXT),
        r("protocol", Ty::Words(&["tcp", "udp"])),
        a("domain", DNS_NAME),
        a("target", TEXT),
        a("port", USHORT),
        a("priority", USHORT),
        a("weight", USHORT),
    ]],
    &[],
);
static DNS_HOSTNAME: El = text_el("hostname", DNS_NAME);
static DNS_HOST: El = el("host", &[&[r("ip", IP_ADDR)]], &[&[some(&DNS_HOSTNAME)]]);
static DNS: El = el(
    "dns",
    &[&[a("enable", YES_NO), a("forwardPlainNames", YES_NO)]],
    &[&[many(&DNS_FORWARDER), many(&DNS_TXT), many(&DNS_SRV), many(&DNS_HOST)]],
);

static LEASE: El = el("lease", &[&[r("expiry", UNSIGNED_LONG), a("unit", Ty::Enum(&["seconds", "minutes", "hours"]))]], &[]);
static DHCP_RANGE: El = el("range", &[&[r("start", IP_ADDR), r("end", IP_ADDR)]], &[&[opt(&LEASE)]]);
// mac/id/name combinations are rule dhcp-host-identity.
static DHCP_HOST: El = El { special: Some(Special::DhcpHostIdentity), ..el("host", &[&[a("mac", UNI_MAC), a("id", DUID), a("name", TEXT), r("ip", IP_ADDR)]], &[&[opt(&LEASE)]]) };
static BOOTP: El = el("bootp", &[&[r("file", FILE_PATH), a("server", DNS_NAME)]], &[]);
static DHCP: El = el("dhcp", &[], &[&[many(&DHCP_RANGE), many(&DHCP_HOST), opt(&BOOTP)]]);
static TFTP: El = el("tftp", &[&[r("root", TEXT)]], &[]);
static NET_IP: El = El { special: Some(Special::NetmaskOrPrefix), ..el(
    "ip",
    // address is optional in the schema but required by the parser (rule ip-missing-address);
    // netmask and prefix exclude each other (rule ip-netmask-and-prefix).
    &[&[
        a("address", IP_ADDR),
        a("netmask", IPV4_ADDR),
        a("prefix", IP_PREFIX),
        a("family", ADDR_FAMILY),
        a("localPtr", YES_NO),
    ]],
    &[&[opt(&TFTP), opt(&DHCP)]],
) };

static DNSMASQ_OPTION: El = El { name: "option", ns: Some(DNSMASQ_NS), attrs: &[&[r("value", TEXT)]], kids: &[], text: None, any: false, switch: None, special: None };
static DNSMASQ_OPTIONS: El = El { name: "options", ns: Some(DNSMASQ_NS), attrs: &[], kids: &[&[many(&DNSMASQ_OPTION)]], text: None, any: false, switch: None, special: None };

pub static NETWORK: El = el(
    "network",
    &[&[a("connections", XSD_UNSIGNED_INT), a("ipv6", YES_NO), a("trustGuestRxFilters", YES_NO)]],
    &[&[
        one(&NET_NAME),
        opt_since(&TITLE, V9_7),
        opt_since(&DESCRIPTION, V9_7),
        opt(&METADATA),
        opt(&NET_UUID),
        opt(&BRIDGE),
        opt(&MTU),
        opt(&NET_MAC),
        opt(&FORWARD),
        opt(&VIRTUALPORT),
        many(&PORTGROUP),
        opt(&NET_DOMAIN),
        opt(&DNS),
        opt(&BANDWIDTH),
        opt(&VLAN),
        opt(&PORT_OPTIONS),
        many(&NET_IP),
        many(&ROUTE),
        opt(&DNSMASQ_OPTIONS),
    ]],
);
static NET_NAME: El = text_el("name", TEXT);
static NET_UUID: El = text_el("uuid", UUID);

// ---------------------------------------------------------------- domain <interface>

static LINK: El = el("link", &[&[r("state", Ty::Enum(&["up", "down"]))]], &[]);
static RX_FRAMES: El = el("frames", &[&[a("max", UNSIGNED_INT)]], &[]);
static RX: El = el("rx", &[], &[&[opt(&RX_FRAMES)]]);
static COALESCE: El = el("coalesce", &[], &[&[opt(&RX)]]);
static TARGET: El = el("target", &[&[r("dev", DEVICE_NAME), a("managed", YES_NO)]], &[]);
static IF_GUEST: El = el("guest", &[&[a("dev", DEVICE_NAME), a("actual", DEVICE_NAME)]], &[]);
static IF_MAC: El = el(
    "mac",
    &[&[r("address", UNI_MAC), a("type", Ty::Enum(&["generated", "static"])), a("check", YES_NO), a_since("currentAddress", UNI_MAC, V11_2)]],
    &[],
);
static IF_IP: El = el(
    "ip",
    &[&[r("address", IP_ADDR), a("family", ADDR_FAMILY), a("prefix", IP_PREFIX), a("peer", IP_ADDR)]],
    &[],
);
static PF_RANGE: El = el("range", &[&[r("start", PORT_NUMBER), a("end", PORT_NUMBER), a("to", PORT_NUMBER), a("exclude", YES_NO)]], &[]);
static PORT_FORWARD: El = el(
    "portForward",
    &[&[r("proto", Ty::Enum(&["tcp", "udp"])), a("address", IP_ADDR), a("dev", DEVICE_NAME)]],
    &[&[many(&PF_RANGE)]],
);
static SCRIPT: El = el("script", &[&[r("path", FILE_PATH)]], &[]);
static DOWNSCRIPT: El = el("downscript", &[&[r("path", FILE_PATH)]], &[]);
static BACKENDDOMAIN: El = el("backenddomain", &[&[r("name", OBJECT_NAME_WITH_SLASH)]], &[]);
pub static MODEL: El = el("model", &[&[r("type", MODEL_TYPE)]], &[]);
static BACKEND: El = el(
    "backend",
    &[&[
        // 'default' is in 11.3's schema; the release that added it is not known to knet.
        At { values: &[("default", Span::between(V9_0, V11_3)), ("passt", Span::since(V9_0))], ..a("type", Ty::Enum(&["default", "passt"])) },
        a("tap", ABS_FILE_PATH),
        a("vhost", ABS_FILE_PATH),
        a_since("logFile", ABS_FILE_PATH, V9_0),
    ]],
    &[],
);

static VIRTIO_OPTIONS: &[At] = &[a("iommu", ON_OFF), a("ats", ON_OFF), a("packed", ON_OFF), a("page_per_vq", ON_OFF)];
static DRV_HOST: El = el(
    "host",
    &[&[a("csum", ON_OFF), a("gso", ON_OFF), a("tso4", ON_OFF), a("tso6", ON_OFF), a("ecn", ON_OFF), a("ufo", ON_OFF), a("mrg_rxbuf", ON_OFF)]],
    &[],
);
static DRV_GUEST: El = el("guest", &[&[a("csum", ON_OFF), a("tso4", ON_OFF), a("tso6", ON_OFF), a("ecn", ON_OFF), a("ufo", ON_OFF)]], &[]);
static DRV_COMMON: &[At] = &[a_since("rss", ON_OFF, V8_3), a_since("rss_hash_report", ON_OFF, V8_3)];
static DRV_KIDS: &[Kid] = &[opt(&DRV_HOST), opt(&DRV_GUEST)];
// 10.0 gives a hostdev interface the <hostdev>'s own <driver> (name=, model=):
// the virtio settings it accepted before are gone.
const fn gone_in_10(at: At) -> At {
    let span = Span { until: Some(V10_0), ..at.span };
    At { span, ..at }
}
static DRIVER_HOSTDEV: El = el(
    "driver",
    &[&[
        gone_in_10(a("iommu", ON_OFF)),
        gone_in_10(a("ats", ON_OFF)),
        gone_in_10(a("packed", ON_OFF)),
        gone_in_10(a("page_per_vq", ON_OFF)),
        gone_in_10(a_since("rss", ON_OFF, V8_3)),
        gone_in_10(a_since("rss_hash_report", ON_OFF, V8_3)),
        a_since("model", GENERIC_NAME, V10_0),
    ]],
    &[&[Kid { span: Span::until(V10_0), ..opt(&DRV_HOST) }, Kid { span: Span::until(V10_0), ..opt(&DRV_GUEST) }]],
);
static DRIVER_VIRTIO: El = el(
    "driver",
    &[
        &[
            a("queues", POSITIVE_INT),
            a("rx_queue_size", POSITIVE_INT),
            a("tx_queue_size", POSITIVE_INT),
            a("txmode", Ty::Enum(&["iothread", "timer"])),
            a("ioeventfd", ON_OFF),
            a("event_idx", ON_OFF),
        ],
        VIRTIO_OPTIONS,
        DRV_COMMON,
        // A driver without name= may be 10.0's hostdev <driver model=...>.
        &[a_since("model", GENERIC_NAME, V10_0)],
    ],
    &[DRV_KIDS],
);
static DRIVER: El = switch(
    "driver",
    &[],
    Switch {
        attr: "name",
        cases: &[("kvm", &DRIVER_HOSTDEV), ("vfio", &DRIVER_HOSTDEV), ("xen", &DRIVER_HOSTDEV), ("qemu", &DRIVER_VIRTIO), ("vhost", &DRIVER_VIRTIO)],
        default: Some(&DRIVER_VIRTIO),
        spans: &[],
    },
);
pub static ALIAS: El = el("alias", &[&[r("name", ALIAS_NAME)]], &[]);
static ACPI: El = el("acpi", &[&[a("index", UNSIGNED_INT)]], &[]);

// domaincommon's device <address>
static ZPCI: El = el("zpci", &[&[a("uid", UINT16), a("fid", UINT32)]], &[]);
static ADDR_PCI: El = el("address", &[PCI_ADDR_ATTRS], &[&[opt(&ZPCI)]]);
static ADDR_DRIVE: El = el("address", &[&[a("controller", DRIVE_NUM2), a("bus", DRIVE_NUM2), a("target", DRIVE_NUM2), a("unit", DRIVE_UNIT)]], &[]);
static ADDR_VSERIAL: El = el("address", &[&[r("controller", DRIVE_NUM2), a("bus", DRIVE_NUM2), a("port", DRIVE_NUM2)]], &[]);
static ADDR_CCID: El = el("address", &[&[r("controller", DRIVE_NUM2), a("slot", DRIVE_NUM2)]], &[]);
static ADDR_USB: El = el("address", &[&[r("bus", USB_ADDR), a("port", USB_PORT)]], &[]);
static ADDR_SPAPR: El = el("address", &[&[a("reg", SPAPR_REG)]], &[]);
// cssid, ssid and devno come together (rule ccw-address-incomplete).
static ADDR_CCW: El = El { special: Some(Special::AllOrNoAttrs), ..el("address", &[&[a("cssid", CCW_CSSID), a("ssid", CCW_SSID), a("devno", CCW_DEVNO)]], &[]) };
static ADDR_ISA: El = el("address", &[&[a("iobase", ISA_IOBASE), a("irq", ISA_IRQ)]], &[]);
static ADDR_NONE: El = el("address", &[], &[]);
static ADDR_DIMM: El = el("address", &[&[a("slot", UNSIGNED_INT), a("base", HEXUINT)]], &[]);
pub static DEVICE_ADDRESS: El = switch(
    "address",
    &[],
    Switch {
        attr: "type",
        cases: &[
            ("pci", &ADDR_PCI),
            ("drive", &ADDR_DRIVE),
            ("virtio-serial", &ADDR_VSERIAL),
            ("ccid", &ADDR_CCID),
            ("usb", &ADDR_USB),
            ("spapr-vio", &ADDR_SPAPR),
            ("ccw", &ADDR_CCW),
            ("isa", &ADDR_ISA),
            ("virtio-mmio", &ADDR_NONE),
            ("dimm", &ADDR_DIMM),
            ("unassigned", &ADDR_NONE),
        ],
        default: None,
        spans: &[],
    },
);

static FILTER_PARAM: El = el("parameter", &[&[r("name", FILTER_PARAM_NAME), r("value", FILTER_PARAM_VALUE)]], &[]);
static FILTERREF: El = el("filterref", &[&[r("filter", NCNAME)]], &[&[many(&FILTER_PARAM)]]);
static SNDBUF: El = text_el("sndbuf", UNSIGNED_INT);
static TUNE: El = el("tune", &[], &[&[opt(&SNDBUF)]]);
static BOOT: El = el("boot", &[&[r("order", POSITIVE_INT), a("loadparm", LOADPARM)]], &[]);
static ROM: El = el("rom", &[&[a("enabled", YES_NO), a("bar", ON_OFF), a("file", ABS_FILE_PATH)]], &[]);
static TEAMING_PERSISTENT: El = el("teaming", &[], &[]);
static TEAMING_TRANSIENT: El = el("teaming", &[&[r("persistent", ALIAS_NAME)]], &[]);
static TEAMING: El = switch(
    "teaming",
    &[],
    Switch { attr: "type", cases: &[("persistent", &TEAMING_PERSISTENT), ("transient", &TEAMING_TRANSIENT)], default: None, spans: &[] },
);

/// domaincommon's interface-options, shared by every interface type.
static IFACE_OPTIONS: &[Kid] = &[
    opt(&LINK),
    opt(&MTU),
    opt(&COALESCE),
    opt(&TARGET),
    opt(&IF_GUEST),
    opt(&IF_MAC),
    many(&IF_IP),
    many(&ROUTE),
    Kid { span: Span::since(V9_0), ..many(&PORT_FORWARD) },
    opt(&SCRIPT),
    opt(&DOWNSCRIPT),
    opt(&BACKENDDOMAIN),
    opt(&MODEL),
    opt(&BACKEND),
    opt(&DRIVER),
    opt(&ALIAS),
    opt(&ACPI),
    opt(&DEVICE_ADDRESS),
    opt(&FILTERREF),
    opt(&TUNE),
    opt(&BOOT),
    opt(&ROM),
    opt(&BANDWIDTH),
    opt(&VLAN),
    opt(&PORT_OPTIONS),
    opt(&TEAMING),
];
static IFACE_VPORT: &[Kid] = &[opt(&VIRTUALPORT)];
static IF_ATTRS: &[At] = &[a("trustGuestRxFilters", YES_NO)];

static NETWORK_ATTRS_REQ: &[At] = &[r("network", TEXT), a("portgroup", DEVICE_NAME), a("portid", UUID)];
static NETWORK_ATTRS_OPT: &[At] = &[a("network", TEXT), w("portgroup", DEVICE_NAME, "network"), w("portid", UUID, "network")];
static BRIDGE_ATTRS_REQ: &[At] = &[r("bridge", BRIDGE_ATTR), a("macTableManager", Ty::Enum(&["kernel", "libvirt"]))];
static BRIDGE_ATTRS_OPT: &[At] = &[a("bridge", BRIDGE_ATTR), w("macTableManager", Ty::Enum(&["kernel", "libvirt"]), "bridge")];

static SRC_BRIDGE: El = el("source", &[BRIDGE_ATTRS_REQ, NETWORK_ATTRS_OPT], &[]);
static SRC_NETWORK: El = el("source", &[NETWORK_ATTRS_REQ, BRIDGE_ATTRS_OPT], &[]);
static SRC_ETHERNET: El = el("source", &[], &[&[many(&IF_IP), many(&ROUTE)]]);
static RECONNECT: El = el("reconnect", &[&[r("enabled", YES_NO), a("timeout", UNSIGNED_INT)]], &[]);
// 11.1 defaults type='unix' and mode='client' and adds dev= (passt's vhost-user).
static SRC_UNIX: El = el(
    "source",
    &[&[
        r_until("type", Ty::Enum(&["unix"]), V11_1),
        r_until("path", ABS_FILE_PATH, V11_1),
        r_until("mode", Ty::Enum(&["server", "client"]), V11_1),
        a_since("dev", DEVICE_NAME, V11_1),
    ]],
    &[&[opt(&RECONNECT)]],
);
static SRC_DIRECT: El = el("source", &[&[r("dev", DEVICE_NAME), a("mode", Ty::Words(&["vepa", "bridge", "private", "passthrough"]))], NETWORK_ATTRS_OPT], &[]);
static SRC_USER: El = el("source", &[&[r("dev", DEVICE_NAME)]], &[]);
static SRC_INTERNAL: El = el("source", &[&[r("name", DEVICE_NAME)]], &[]);
static SRC_SOCKET: El = el("source", &[&[r("address", IPV4_ADDR), r("port", PORT_NUMBER)]], &[]);
static UDP_LOCAL: El = el("local", &[&[r("address", IPV4_ADDR), r("port", PORT_NUMBER)]], &[]);
static SRC_UDP: El = el("source", &[&[r("address", IPV4_ADDR), r("port", PORT_NUMBER)]], &[&[one(&UDP_LOCAL)]]);
static SRC_SERVER: El = el("source", &[&[a("address", IPV4_ADDR), r("port", PORT_NUMBER)]], &[]);
pub static USB_VENDOR: El = el("vendor", &[&[r("id", USB_ID)]], &[]);
pub static USB_PRODUCT: El = el("product", &[&[r("id", USB_ID)]], &[]);
static HD_ADDR_PCI: El = el("address", &[PCI_ADDR_ATTRS], &[]);
static HD_ADDR_USB: El = el("address", &[&[r("bus", USB_ADDR), r("device", USB_ADDR)]], &[]);
// Without type= it is the USB address that may follow <vendor>/<product>.
pub static HD_ADDR_USB_UNTYPED: El = el("address", &[&[r("bus", USB_ADDR), r("device", USB_ADDR)]], &[]);
pub static HD_ADDRESS: El = switch("address", &[], Switch { attr: "type", cases: &[("pci", &HD_ADDR_PCI), ("usb", &HD_ADDR_USB)], default: Some(&HD_ADDR_USB_UNTYPED), spans: &[] });
// Either <address> alone or <vendor>+<product> (+ optional usb <address>):
// rule hostdev-source-incomplete checks the pairing.
pub static SRC_HOSTDEV: El = El { special: Some(Special::HostdevSource), ..el("source", &[&[a("missing", YES_NO)]], &[&[opt(&USB_VENDOR), opt(&USB_PRODUCT), opt(&HD_ADDRESS)]]) };
static SRC_VDPA: El = el("source", &[&[r("dev", DEVICE_NAME)]], &[]);
// Optional in 11.3's schema and parser; required in 9.0's. The release
// between that relaxed them is not known to knet, so the requirement holds
// up to 9.0 (see r_until's use in structure.rs).
static SRC_VDS: El = el("source", &[&[r("switchid", UUID), r_until("portid", LONG, V11_3), r_until("portgroupid", TEXT, V11_3), r_until("connectionid", LONG, V11_3)]], &[]);

static IF_BRIDGE: El = el("interface", &[IF_ATTRS], &[&[opt(&SRC_BRIDGE)], IFACE_VPORT, IFACE_OPTIONS]);
static IF_ETHERNET: El = el("interface", &[IF_ATTRS], &[&[opt(&SRC_ETHERNET)], IFACE_OPTIONS]);
static IF_VHOSTUSER: El = el("interface", &[IF_ATTRS], &[&[Kid { req_before: Some(V11_1), ..opt(&SRC_UNIX) }], IFACE_OPTIONS]);
static IF_NETWORK: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_NETWORK)], IFACE_VPORT, IFACE_OPTIONS]);
static IF_DIRECT: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_DIRECT)], IFACE_VPORT, IFACE_OPTIONS]);
static IF_USER: El = el("interface", &[IF_ATTRS], &[&[opt(&SRC_USER)], IFACE_OPTIONS]);
static IF_INTERNAL: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_INTERNAL)], IFACE_OPTIONS]);
static IF_SOCKET: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_SOCKET)], IFACE_OPTIONS]);
static IF_UDP: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_UDP)], IFACE_OPTIONS]);
static IF_SERVER: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_SERVER)], IFACE_OPTIONS]);
static IF_HOSTDEV: El = el("interface", &[IF_ATTRS, &[a("managed", YES_NO)]], &[&[one(&SRC_HOSTDEV)], IFACE_VPORT, IFACE_OPTIONS]);
static IF_VDPA: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_VDPA)], IFACE_OPTIONS]);
static IF_NULL: El = el("interface", &[IF_ATTRS], &[IFACE_OPTIONS]);
static IF_VDS: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_VDS)], IFACE_OPTIONS]);

pub static INTERFACE: El = switch(
    "interface",
    &[],
    Switch {
        attr: "type",
        cases: &[
            ("network", &IF_NETWORK),
            ("bridge", &IF_BRIDGE),
            ("direct", &IF_DIRECT),
            ("user", &IF_USER),
            ("ethernet", &IF_ETHERNET),
            ("hostdev", &IF_HOSTDEV),
            ("vhostuser", &IF_VHOSTUSER),
            ("vdpa", &IF_VDPA),
            ("server", &IF_SERVER),
            ("client", &IF_SOCKET),
            ("mcast", &IF_SOCKET),
            ("udp", &IF_UDP),
            ("internal", &IF_INTERNAL),
            ("null", &IF_NULL),
            ("vds", &IF_VDS),
        ],
        default: None,
        spans: &[("null", Span::since(V8_7)), ("vds", Span::since(V8_7))],
    },
);

/// domaincommon's `hvs`: the domain types.
pub const DOMAIN_TYPES: &[&str] = &["qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox", "phyp", "vz", "bhyve", "hvf"];
