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
}

pub struct Kid {
    pub el: &'static El,
    pub req: bool,
    pub many: bool,
}

pub struct Switch {
    pub attr: &'static str,
    pub cases: &'static [(&'static str, &'static El)],
    /// Used when the attribute is absent; `None` makes it required.
    pub default: Option<&'static El>,
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
    At { name, ty, req: false }
}
const fn r(name: &'static str, ty: Ty) -> At {
    At { name, ty, req: true }
}
const fn opt(el: &'static El) -> Kid {
    Kid { el, req: false, many: false }
}
const fn one(el: &'static El) -> Kid {
    Kid { el, req: true, many: false }
}
const fn many(el: &'static El) -> Kid {
    Kid { el, req: false, many: true }
}
const fn some(el: &'static El) -> Kid {
    Kid { el, req: true, many: true }
}

// ---------------------------------------------------------------- shared

pub static TITLE: El = text_el("title", OBJECT_NAME_WITH_SLASH);
pub static DESCRIPTION: El = text_el("description", TEXT);
pub static METADATA: El = El { name: "metadata", ns: None, attrs: &[], kids: &[], text: None, any: true, switch: None, special: None };
pub static MTU: El = el("mtu", &[&[r("size", USHORT)]], &[]);
pub static PORT_OPTIONS: El = el("port", &[&[a("isolated", YES_NO)]], &[]);

static BW_RATE: &[At] = &[a("average", SPEED), a("peak", SPEED), a("floor", SPEED), a("burst", SPEED)];
static INBOUND: El = el("inbound", &[BW_RATE], &[]);
static OUTBOUND: El = el("outbound", &[BW_RATE], &[]);
pub static BANDWIDTH: El = el("bandwidth", &[&[a("classID", POSITIVE_INT)]], &[&[opt(&INBOUND), opt(&OUTBOUND)]]);

static TAG: El = el("tag", &[&[r("id", VLAN_TAG), a("nativeMode", Ty::Enum(&["tagged", "untagged"]))]], &[]);
pub static VLAN: El = el("vlan", &[&[a("trunk", Ty::Enum(&["yes"]))]], &[&[some(&TAG)]]);

pub static ROUTE: El = el(
    "route",
    &[&[
        a("family", Ty::Enum(&["ipv4", "ipv6"])),
        r("address", IP_ADDR),
        a("netmask", IPV4_ADDR),
        a("prefix", IP_PREFIX),
        r("gateway", IP_ADDR),
        a("metric", UNSIGNED_INT),
    ]],
    &[],
);

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
    Switch { attr: "type", cases: &[("802.1Qbg", &VP_QBG), ("802.1Qbh", &VP_QBH), ("openvswitch", &VP_OVS), ("midonet", &VP_MIDO)], default: Some(&VP_ANY) },
);

static PCI_ADDR_ATTRS: &[At] = &[a("domain", PCI_DOMAIN), a("bus", PCI_BUS), a("slot", PCI_SLOT), a("function", PCI_FUNC), a("multifunction", ON_OFF)];

// ---------------------------------------------------------------- network

static BRIDGE: El = el(
    "bridge",
    &[&[
        a("name", DEVICE_NAME),
        a("zone", ZONE_NAME),
        a("stp", ON_OFF),
        a("delay", UNSIGNED_LONG),
        a("macTableManager", Ty::Enum(&["kernel", "libvirt"])),
    ]],
    &[],
);
static NET_MAC: El = el("mac", &[&[r("address", UNI_MAC)]], &[]);

static FWD_INTERFACE: El = el("interface", &[&[r("dev", DEVICE_NAME), a("connections", UNSIGNED_INT)]], &[]);
static FWD_PCI_ADDRESS: El = el("address", &[&[r("type", Ty::Enum(&["pci"])), a("connections", UNSIGNED_INT)], PCI_ADDR_ATTRS], &[]);
static FWD_PF: El = el("pf", &[&[r("dev", DEVICE_NAME)]], &[]);
static FWD_DRIVER: El = el("driver", &[&[r("name", Ty::Enum(&["kvm", "vfio"]))]], &[]);
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

static NET_DOMAIN: El = el("domain", &[&[r("name", DNS_NAME), a("localOnly", YES_NO), a("register", YES_NO)]], &[]);

static DNS_FORWARDER: El = el("forwarder", &[&[a("addr", IP_ADDR), a("domain", DNS_NAME)]], &[]);
static DNS_TXT: El = el("txt", &[&[r("name", DNS_NAME), r("value", TEXT)]], &[]);
static DNS_SRV: El = el(
    "srv",
    &[&[
        r("service", TEXT),
        r("protocol", Ty::Enum(&["tcp", "udp"])),
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
        a("family", Ty::Enum(&["ipv4", "ipv6"])),
        a("localPtr", YES_NO),
    ]],
    &[&[opt(&TFTP), opt(&DHCP)]],
) };

static DNSMASQ_OPTION: El = El { name: "option", ns: Some(DNSMASQ_NS), attrs: &[&[r("value", TEXT)]], kids: &[], text: None, any: false, switch: None, special: None };
static DNSMASQ_OPTIONS: El = El { name: "options", ns: Some(DNSMASQ_NS), attrs: &[], kids: &[&[many(&DNSMASQ_OPTION)]], text: None, any: false, switch: None, special: None };

pub static NETWORK: El = el(
    "network",
    &[&[a("connections", UNSIGNED_INT), a("ipv6", YES_NO), a("trustGuestRxFilters", YES_NO)]],
    &[&[
        one(&NET_NAME),
        opt(&TITLE),
        opt(&DESCRIPTION),
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
    &[&[r("address", UNI_MAC), a("type", Ty::Enum(&["generated", "static"])), a("check", YES_NO)]],
    &[],
);
static IF_IP: El = el(
    "ip",
    &[&[r("address", IP_ADDR), a("family", Ty::Enum(&["ipv4", "ipv6"])), a("prefix", IP_PREFIX), a("peer", IP_ADDR)]],
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
    &[&[a("type", Ty::Enum(&["passt"])), a("tap", ABS_FILE_PATH), a("vhost", ABS_FILE_PATH), a("logFile", ABS_FILE_PATH)]],
    &[],
);

static VIRTIO_OPTIONS: &[At] = &[a("iommu", ON_OFF), a("ats", ON_OFF), a("packed", ON_OFF), a("page_per_vq", ON_OFF)];
static DRV_HOST: El = el(
    "host",
    &[&[a("csum", ON_OFF), a("gso", ON_OFF), a("tso4", ON_OFF), a("tso6", ON_OFF), a("ecn", ON_OFF), a("ufo", ON_OFF), a("mrg_rxbuf", ON_OFF)]],
    &[],
);
static DRV_GUEST: El = el("guest", &[&[a("csum", ON_OFF), a("tso4", ON_OFF), a("tso6", ON_OFF), a("ecn", ON_OFF), a("ufo", ON_OFF)]], &[]);
static DRV_COMMON: &[At] = &[a("rss", ON_OFF), a("rss_hash_report", ON_OFF)];
static DRV_KIDS: &[Kid] = &[opt(&DRV_HOST), opt(&DRV_GUEST)];
static DRIVER_HOSTDEV: El = el("driver", &[VIRTIO_OPTIONS, DRV_COMMON], &[DRV_KIDS]);
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
    Switch { attr: "type", cases: &[("persistent", &TEAMING_PERSISTENT), ("transient", &TEAMING_TRANSIENT)], default: None },
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
    many(&PORT_FORWARD),
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
static NETWORK_ATTRS_OPT: &[At] = &[a("network", TEXT), a("portgroup", DEVICE_NAME), a("portid", UUID)];
static BRIDGE_ATTRS_REQ: &[At] = &[r("bridge", BRIDGE_ATTR), a("macTableManager", Ty::Enum(&["kernel", "libvirt"]))];
static BRIDGE_ATTRS_OPT: &[At] = &[a("bridge", BRIDGE_ATTR), a("macTableManager", Ty::Enum(&["kernel", "libvirt"]))];

static SRC_BRIDGE: El = el("source", &[BRIDGE_ATTRS_REQ, NETWORK_ATTRS_OPT], &[]);
static SRC_NETWORK: El = el("source", &[NETWORK_ATTRS_REQ, BRIDGE_ATTRS_OPT], &[]);
static SRC_ETHERNET: El = el("source", &[], &[&[many(&IF_IP), many(&ROUTE)]]);
static RECONNECT: El = el("reconnect", &[&[r("enabled", YES_NO), a("timeout", UNSIGNED_INT)]], &[]);
static SRC_UNIX: El = el(
    "source",
    &[&[r("type", Ty::Enum(&["unix"])), r("path", ABS_FILE_PATH), r("mode", Ty::Enum(&["server", "client"]))]],
    &[&[opt(&RECONNECT)]],
);
static SRC_DIRECT: El = el("source", &[&[r("dev", DEVICE_NAME), a("mode", Ty::Enum(&["vepa", "bridge", "private", "passthrough"]))], NETWORK_ATTRS_OPT], &[]);
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
pub static HD_ADDRESS: El = switch("address", &[], Switch { attr: "type", cases: &[("pci", &HD_ADDR_PCI), ("usb", &HD_ADDR_USB)], default: Some(&HD_ADDR_USB_UNTYPED) });
// Either <address> alone or <vendor>+<product> (+ optional usb <address>):
// rule hostdev-source-incomplete checks the pairing.
pub static SRC_HOSTDEV: El = El { special: Some(Special::HostdevSource), ..el("source", &[&[a("missing", YES_NO)]], &[&[opt(&USB_VENDOR), opt(&USB_PRODUCT), opt(&HD_ADDRESS)]]) };
static SRC_VDPA: El = el("source", &[&[r("dev", DEVICE_NAME)]], &[]);
static SRC_VDS: El = el("source", &[&[r("switchid", UUID), r("portid", LONG), r("portgroupid", TEXT), r("connectionid", LONG)]], &[]);

static IF_BRIDGE: El = el("interface", &[IF_ATTRS], &[&[opt(&SRC_BRIDGE)], IFACE_VPORT, IFACE_OPTIONS]);
static IF_ETHERNET: El = el("interface", &[IF_ATTRS], &[&[opt(&SRC_ETHERNET)], IFACE_OPTIONS]);
static IF_VHOSTUSER: El = el("interface", &[IF_ATTRS], &[&[one(&SRC_UNIX)], IFACE_OPTIONS]);
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
    },
);

/// domaincommon's `hvs`: the domain types.
pub const DOMAIN_TYPES: &[&str] = &["qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox", "phyp", "vz", "bhyve", "hvf"];
