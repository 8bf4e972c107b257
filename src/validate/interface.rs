//! Rules for domain `<interface>` devices (libvirt's domain_conf.c,
//! virDomainNetDefParseXML) and the little of `<domain>` knet checks.
//!
//! A `<domain>` is checked for its `type=` and its `<devices><interface>`
//! elements only: the rest of a domain is outside knet's scope (use
//! virt-xml-validate for disks, CPUs and the like).
//!
//! Warnings carry advice from the KVM networking docs and never make a
//! document invalid: `model-not-virtio`, `mac-not-qemu-prefix`.

use roxmltree::Node;

use super::network::bandwidth_rates;
use super::structure::ellipsize;
use super::version::{Fit, Span, V11_1, V9_0};
use super::{schema, structure, Sink};
use crate::mac::Mac;
use crate::xml::interface::{Domain, IfIp, Interface};
use crate::xml::{attr, kids};

/// Hypervisors whose NIC advice (virtio, 52:54:00) applies.
fn is_qemu(domain_type: Option<&str>) -> bool {
    matches!(domain_type, None | Some("qemu" | "kvm" | "kqemu"))
}

pub fn check_domain(root: Node, sink: &mut Sink) {
    let d = Domain::read(root);
    match d.kind {
        None => sink.error(
            "missing-attribute",
            d.at,
            "<domain> needs a type= attribute".into(),
            Some(format!("one of: {}", schema::DOMAIN_TYPES.join(", "))),
        ),
        Some(t) if !schema::DOMAIN_TYPES.contains(&t.text) => {
            let (msg, help) = structure::describe_bad_switch("type=", t.text, schema::DOMAIN_TYPES);
            sink.error(
                "invalid-value",
                t.value_at,
                format!("<domain>: {msg}"),
                help,
            );
        }
        Some(_) => {}
    }
    for extra in d.devices.iter().skip(1) {
        sink.error(
            "duplicate-element",
            *extra,
            "<devices> may appear only once in <domain>".into(),
            None,
        );
    }
    for iface in &d.interfaces {
        check_interface(*iface, d.kind.map(|k| k.text), sink);
    }
    boot_order_duplicate(&d, sink);
    boot_order_with_os_boot(root, &d, sink);
    hostdev_duplicate(&d, sink);
    alias_duplicate(&d, sink);
}

/// libvirt: "boot order 'N' used for more than one device" (any device kind).
fn boot_order_duplicate(d: &Domain, sink: &mut Sink) {
    let mut seen: Vec<&str> = Vec::new();
    for b in d
        .devices_nodes
        .iter()
        .flat_map(|dev| dev.children().filter(|c| c.is_element()))
        .flat_map(|dev| kids(dev, "boot"))
    {
        let Some(order) = attr(b, "order") else {
            continue;
        };
        if seen.contains(&order.text) {
            sink.error(
                "boot-order-duplicate",
                order.value_at,
                format!("boot order {} is used by more than one device", order.text),
                None,
            );
        }
        seen.push(order.text);
    }
}

/// virDomainDefParseXML: "Hostdev already exists in the domain
/// configuration" — one host PCI device assigned twice, by two hostdev
/// NICs or a NIC and a `<hostdev>`.
fn hostdev_duplicate(d: &Domain, sink: &mut Sink) {
    let num = |n: Node, a: &str| n.attribute(a).and_then(super::network::parse_num).unwrap_or(0);
    let mut seen: Vec<(u64, u64, u64, u64)> = Vec::new();
    for dev in d.devices_nodes.iter().flat_map(|dev| dev.children().filter(|c| c.is_element())) {
        let assigned = match dev.tag_name().name() {
            "interface" => dev.attribute("type") == Some("hostdev"),
            "hostdev" => dev.attribute("type") == Some("pci") && dev.attribute("mode").map_or(true, |m| m == "subsystem"),
            _ => false,
        };
        if !assigned {
            continue;
        }
        let Some(a) = kids(dev, "source").flat_map(|s| kids(s, "address")).next() else { continue };
        if dev.tag_name().name() == "interface" && a.attribute("type") != Some("pci") {
            continue;
        }
        let key = (num(a, "domain"), num(a, "bus"), num(a, "slot"), num(a, "function"));
        if seen.contains(&key) {
            sink.error(
                "hostdev-duplicate",
                a.range().start,
                format!("host PCI device {:04x}:{:02x}:{:02x}.{:x} is assigned twice", key.0, key.1, key.2, key.3),
                Some("a host device can go to one guest device only".into()),
            );
        }
        seen.push(key);
    }
}

/// virDomainDefParseBootOptions: "per-device boot elements cannot be used
/// together with os/boot elements".
fn boot_order_with_os_boot(root: Node, d: &Domain, sink: &mut Sink) {
    if kids(root, "os").flat_map(|os| kids(os, "boot")).next().is_none() {
        return;
    }
    let per_device = d
        .devices_nodes
        .iter()
        .flat_map(|dev| dev.children().filter(|c| c.is_element()))
        .flat_map(|dev| kids(dev, "boot"))
        .next();
    if let Some(b) = per_device {
        sink.error(
            "boot-order-with-os-boot",
            b.range().start,
            "a device's <boot order=...> cannot be combined with <os><boot dev=...>".into(),
            Some("keep either the per-device orders or <os><boot>".into()),
        );
    }
}

/// libvirt: "non unique alias detected" (user aliases, `ua-` prefixed, are
/// the ones an inactive definition keeps).
fn alias_duplicate(d: &Domain, sink: &mut Sink) {
    let mut seen: Vec<&str> = Vec::new();
    for a in d
        .devices_nodes
        .iter()
        .flat_map(|dev| dev.children().filter(|c| c.is_element()))
        .flat_map(|dev| kids(dev, "alias"))
    {
        let Some(name) = attr(a, "name").filter(|n| n.text.starts_with("ua-")) else {
            continue;
        };
        if seen.contains(&name.text) {
            sink.error(
                "alias-duplicate",
                name.value_at,
                format!("alias '{}' is used by more than one device", name.text),
                None,
            );
        }
        seen.push(name.text);
    }
}

/// Check one `<interface>`: grammar, parser rules, advice.
pub fn check_interface(node: Node, domain_type: Option<&str>, sink: &mut Sink) {
    structure::check(node, &schema::INTERFACE, sink);
    let i = Interface::read(node);
    let kind = i.kind.map(|k| k.text);
    if let Some(b) = &i.bandwidth {
        bandwidth_rates(b, kind == Some("network"), sink);
    }
    hostdev_source_incomplete(&i, sink);
    hostdev_address_type(node, &i, sink);
    ccw_address_incomplete(node, sink);
    source_required(&i, sink);
    vhostuser_needs_virtio(&i, sink);
    vhostuser_server_reconnect(node, kind, sink);
    virtio_options_not_virtio(node, &i, sink);
    driver_values(node, &i, sink);
    backend_passt_type(node, kind, sink);
    passt_only_options(node, kind, sink);
    port_isolated(node, &i, sink);
    virtualport_complete(node, kind, sink);
    if let Some(v) = &i.vlan {
        super::network::vlan_native_duplicate(v, sink);
    }
    host_side_routes(node, sink);
    rom_disabled_tuning(node, sink);
    device_info_numbers(node, sink);
    port_forward_ranges(node, sink);
    target_unmanaged_type(node, kind, sink);
    // Guest-side <ip>s and the host side's (<source><ip> of ethernet) follow
    // the same parser, virDomainNetIPParseXML.
    let host_ips: Vec<IfIp> = kids(node, "source").take(1).flat_map(|s| kids(s, "ip")).map(IfIp::read).collect();
    for ips in [&i.ips[..], &host_ips[..]] {
        ip_prefix_range(ips, sink);
        ip_family_mismatch(ips, sink);
        ip_peer_family(ips, sink);
    }
    for r in &i.routes {
        super::network::route_rules(r, sink);
    }
    if is_qemu(domain_type) {
        model_not_virtio(&i, sink);
        mac_not_qemu_prefix(&i, sink);
    }
}

/// A hostdev source is `<address>` or `<vendor>`+`<product>` (USB).
fn hostdev_source_incomplete(i: &Interface, sink: &mut Sink) {
    if i.kind.map(|k| k.text) != Some("hostdev") {
        return;
    }
    let Some(s) = &i.source else { return };
    let usb = s.vendor.is_some() || s.product.is_some();
    if usb && (s.vendor.is_none() || s.product.is_none()) {
        sink.error(
            "hostdev-source-incomplete",
            s.at,
            "a USB hostdev <source> needs both <vendor> and <product>".into(),
            None,
        );
    } else if !usb && s.address.is_none() {
        sink.error(
            "hostdev-source-incomplete",
            s.at,
            "a hostdev <source> needs an <address> (or USB <vendor> and <product>)".into(),
            None,
        );
    } else if usb && s.address.as_ref().is_some_and(|a| a.kind.is_some()) {
        sink.error(
            "hostdev-source-incomplete",
            s.at,
            "the <address> after <vendor>/<product> is a USB bus/device pair without type=".into(),
            None,
        );
    } else if !usb && s.address.as_ref().is_some_and(|a| a.kind.is_none()) {
        sink.error(
            "hostdev-source-incomplete",
            s.at,
            "a hostdev <address> needs type='pci' or type='usb'".into(),
            None,
        );
    }
}

/// virDomainHostdevDefValidate: the guest-side `<address>` of an assigned
/// device matches its bus: a PCI device gets a PCI (or no) slot, a USB
/// device a USB port.
fn hostdev_address_type(node: Node, i: &Interface, sink: &mut Sink) {
    if i.kind.map(|k| k.text) != Some("hostdev") {
        return;
    }
    let Some(s) = &i.source else { return };
    let usb = s.vendor.is_some() || s.address.as_ref().and_then(|a| a.kind).is_some_and(|k| k.text == "usb");
    let Some(t) = kids(node, "address").next().and_then(|a| attr(a, "type")) else { return };
    let allowed: &[&str] = if usb { &["usb"] } else { &["pci", "unassigned"] };
    if !allowed.contains(&t.text) {
        sink.error(
            "hostdev-address-type",
            t.value_at,
            format!("a {} host device cannot use a '{}' address", if usb { "USB" } else { "PCI" }, t.text),
            Some(format!("use <address type='{}' .../>", allowed[0])),
        );
    }
}

/// libvirt: "Invalid address '10.0.0.1' in <ip>" when family= disagrees.
fn ip_family_mismatch(ips: &[IfIp], sink: &mut Sink) {
    for x in ips {
        let (Some(a), Some(f)) = (x.address, x.family) else {
            continue;
        };
        let Some(addr) = a.text.parse::<std::net::IpAddr>().ok() else {
            continue;
        };
        if (f.text == "ipv4" && addr.is_ipv6()) || (f.text == "ipv6" && addr.is_ipv4()) {
            sink.error(
                "ip-family-mismatch",
                a.value_at,
                format!("address {} does not match family {}", a.text, f.text),
                None,
            );
        }
    }
}

/// libvirt: "Wrong or no <model> 'type' attribute specified with <interface
/// type='vhostuser'/>": vhost-user needs a virtio-net frontend.
fn vhostuser_needs_virtio(i: &Interface, sink: &mut Sink) {
    if i.kind.map(|k| k.text) != Some("vhostuser") {
        return;
    }
    match i.model {
        Some(m) if is_virtio_model(m.text) => {}
        Some(m) => sink.error(
            "vhostuser-needs-virtio",
            m.value_at,
            format!(
                "a vhostuser interface needs a virtio model, not '{}'",
                m.text
            ),
            Some("use <model type='virtio'/>".into()),
        ),
        // 11.1 makes virtio the default model of a vhostuser interface.
        None if sink.target >= V11_1 => {}
        None => sink.error(
            "vhostuser-needs-virtio",
            i.at,
            "a vhostuser interface needs <model type='virtio'/>".into(),
            Some(format!("libvirt 11.1 and later default to it (validating for {})", sink.target)),
        ),
    }
}

/// virDomainNetIsVirtioModel: the model names (any case) of a virtio-net
/// frontend; "virtio-net-pci" and the like are other, opaque models.
fn is_virtio_model(m: &str) -> bool {
    ["virtio", "virtio-transitional", "virtio-non-transitional"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(m))
}

/// virDomainNetDefParseXMLRequireSource: every type that names where it
/// connects needs a `<source>`. The schema demands it already for all of
/// them but type='bridge', whose `<source>` it leaves optional.
fn source_required(i: &Interface, sink: &mut Sink) {
    let Some(k) = i.kind else { return };
    if i.source.is_none() && k.text == "bridge" {
        sink.error(
            "interface-source-required",
            i.at,
            format!("interface type='{}' requires a <source> element", k.text),
            Some("add e.g. <source bridge='br0'/>".into()),
        );
    }
}

/// virDomainNetDefValidate: a vhost-user socket libvirt listens on
/// (mode='server') cannot reconnect; a reconnect needs its timeout.
fn vhostuser_server_reconnect(node: Node, kind: Option<&str>, sink: &mut Sink) {
    if kind != Some("vhostuser") {
        return;
    }
    let Some(src) = kids(node, "source").next() else { return };
    let Some(r) = kids(src, "reconnect").next().filter(|r| r.attribute("enabled") == Some("yes")) else {
        return;
    };
    // virDomainChrSourceReconnectDefParseXML: enabled='yes' needs timeout=.
    if !r.has_attribute("timeout") {
        sink.error(
            "reconnect-timeout-required",
            r.range().start,
            "<reconnect enabled='yes'> needs timeout= (seconds between attempts)".into(),
            None,
        );
    }
    if src.attribute("mode") == Some("server") {
        sink.error(
            "vhostuser-server-reconnect",
            r.range().start,
            "<reconnect enabled='yes'> is not supported with a vhostuser source in mode='server'".into(),
            Some("reconnecting is for mode='client'; drop <reconnect> or switch the mode".into()),
        );
    }
}

/// virDomainCheckVirtioOptionsAreAbsent (from virDomainNetDefValidate):
/// the virtio transport options need a virtio model; no model is not virtio.
fn virtio_options_not_virtio(node: Node, i: &Interface, sink: &mut Sink) {
    if i.model.is_some_and(|m| is_virtio_model(m.text)) {
        return;
    }
    let Some(d) = kids(node, "driver").next() else { return };
    if let Some(a) = ["iommu", "ats", "packed", "page_per_vq"]
        .iter()
        .find_map(|n| d.attribute_node(*n))
    {
        sink.error(
            "virtio-option-not-virtio",
            a.range().start,
            format!(
                "driver option {}= is only supported for virtio devices, not model '{}'",
                a.name(),
                i.model.map_or("(none)", |m| m.text)
            ),
            Some("add <model type='virtio'/> or drop the option".into()),
        );
    }
}

/// virDomainNetDefParseXMLDriver and virDomainHostdevDefParseXMLSubsys:
/// what `<driver name=...>` means depends on the interface. A PCI hostdev
/// takes a device-assignment backend (kvm, vfio, xen); a virtio NIC of any
/// other type takes its backend (qemu, vhost) and 32-bit queue settings;
/// other NICs ignore the element.
fn driver_values(node: Node, i: &Interface, sink: &mut Sink) {
    let Some(d) = kids(node, "driver").next() else { return };
    let kind = i.kind.map_or("user", |k| k.text);
    let pci_hostdev = kind == "hostdev"
        && i.source.as_ref().is_some_and(|s| s.address.as_ref().and_then(|a| a.kind).is_some_and(|k| k.text == "pci"));
    let virtio = kind != "hostdev" && i.model.is_some_and(|m| is_virtio_model(m.text));
    let allowed: &[&str] = if pci_hostdev {
        &["kvm", "vfio", "xen"]
    } else if virtio {
        &["qemu", "vhost"]
    } else {
        &[]
    };
    if let Some(n) = attr(d, "name").filter(|n| !allowed.is_empty() && !allowed.contains(&n.text)) {
        sink.error(
            "driver-name-invalid",
            n.value_at,
            format!("<driver name='{}'> is not a {} driver", n.text, if pci_hostdev { "PCI device-assignment" } else { "virtio-net" }),
            Some(format!("one of: {}", allowed.join(", "))),
        );
    }
    if virtio {
        for a in ["queues", "rx_queue_size", "tx_queue_size"] {
            if let Some(v) = attr(d, a).filter(|v| v.text.parse::<u64>().is_ok_and(|n| n > u32::MAX as u64)) {
                sink.error(
                    "driver-value-range",
                    v.value_at,
                    format!("{a}={} is out of range (at most 4294967295)", v.text),
                    None,
                );
            }
        }
    }
}

/// virDomainNetDefValidate: the passt backend is a user-mode network.
fn backend_passt_type(node: Node, kind: Option<&str>, sink: &mut Sink) {
    let Some(b) = kids(node, "backend").next() else { return };
    if b.attribute("type") != Some("passt") {
        return;
    }
    match kind {
        Some("user") | None => {}
        Some("vhostuser") if sink.target >= V11_1 => {}
        Some("vhostuser") => sink.error(
            "newer-libvirt-parser",
            b.range().start,
            format!("<backend type='passt'> on a vhostuser interface needs libvirt 11.1 or later (validating for {})", sink.target),
            Some("validate for the release that will run it with --libvirt-version X.Y".into()),
        ),
        Some(k) => sink.error(
            "backend-passt-type",
            b.range().start,
            if sink.target >= V11_1 {
                format!("<backend type='passt'> can only be used with interface type='user' or 'vhostuser', not '{k}'")
            } else {
                format!("<backend type='passt'> can only be used with interface type='user', not '{k}'")
            },
            None,
        ),
    }
}

/// virDomainNetDefValidate of releases after 9.0 (11.1's has it; knet does
/// not know which release added it): `<portForward>` and `<source dev=...>`
/// of a user or vhostuser interface are passt's, so they need
/// `<backend type='passt'>`.
fn passt_only_options(node: Node, kind: Option<&str>, sink: &mut Sink) {
    let passt = kids(node, "backend").next().is_some_and(|b| b.attribute("type") == Some("passt"));
    if passt && matches!(kind, Some("user" | "vhostuser") | None) {
        return;
    }
    let pf = kids(node, "portForward").next().map(|p| (p.range().start, "<portForward>"));
    let dev = matches!(kind, Some("user" | "vhostuser") | None)
        .then(|| kids(node, "source").next().and_then(|s| s.attribute_node("dev")))
        .flatten()
        .map(|d| (d.range().start, "<source dev=...>"));
    for (at, what) in pf.into_iter().chain(dev) {
        let msg = format!("{what} is only used by the passt backend: add <backend type='passt'/> (on a user or vhostuser interface)");
        match Span::between(V9_0, V11_1).fit(sink.target) {
            Fit::Yes => sink.error("passt-only-option", at, msg, None),
            Fit::Unsure(_) => sink.warn("passt-only-option", at, format!("{msg}; libvirt releases after 9.0 refuse it without"), None),
            _ => {}
        }
    }
}

/// virDomainNetDefValidatePortOptions: `<port isolated='yes'/>` needs a
/// Linux host bridge (type network or bridge) without a `<virtualport type=...>`.
fn port_isolated(node: Node, i: &Interface, sink: &mut Sink) {
    let Some(p) = kids(node, "port").next() else { return };
    if p.attribute("isolated") != Some("yes") {
        return;
    }
    let kind = i.kind.map_or("network", |k| k.text);
    if kind != "network" && kind != "bridge" {
        sink.error(
            "port-isolated-type",
            p.range().start,
            format!("<port isolated='yes'/> is not supported on interfaces of type '{kind}'"),
            Some("port isolation works on a Linux host bridge: type='network' or type='bridge'".into()),
        );
    } else if let Some(t) = i.virtualport.as_ref().and_then(|v| v.kind) {
        sink.error(
            "port-isolated-virtualport",
            p.range().start,
            format!("<port isolated='yes'/> is not supported with <virtualport type='{}'>", t.text),
            None,
        );
    }
}

/// virNetDevVPortProfileParse with VIR_VPORT_XML_REQUIRE_TYPE and
/// virNetDevVPortProfileCheckComplete: on a bridge, direct or hostdev
/// interface the virtualport needs its type and that type's parameters
/// (on type='network' the network supplies what is missing).
fn virtualport_complete(node: Node, kind: Option<&str>, sink: &mut Sink) {
    if !matches!(kind, Some("bridge" | "direct" | "hostdev")) {
        return;
    }
    let Some(vp) = kids(node, "virtualport").next() else { return };
    let params = kids(vp, "parameters").next();
    // An empty profileid='' is libvirt's "no profile" (profileID[0] == 0).
    let has = |n: &str| params.and_then(|p| p.attribute(n)).is_some_and(|v| !v.is_empty());
    let need: &[&str] = match vp.attribute("type") {
        None => {
            sink.error(
                "virtualport-type-required",
                vp.range().start,
                format!("a <virtualport> on a type='{}' interface needs type= (openvswitch, 802.1Qbh, 802.1Qbg or midonet)", kind.unwrap_or("")),
                None,
            );
            return;
        }
        Some("802.1Qbg") => &["managerid", "typeid", "typeidversion"],
        Some("802.1Qbh") => &["profileid"],
        Some("midonet") => &["interfaceid"],
        Some(_) => &[],
    };
    if let Some(missing) = need.iter().find(|n| !has(n)) {
        sink.error(
            "virtualport-incomplete",
            params.unwrap_or(vp).range().start,
            format!("<virtualport type='{}'> needs <parameters {missing}=...>", vp.attribute("type").unwrap_or("")),
            Some(format!("this type needs: {}", need.join(", "))),
        );
    }
}

/// virDomainNetIPParseXML / virNetDevIPRouteParseXML on the host side
/// (`<source><ip>`/`<route>` of an ethernet interface): the same address,
/// prefix and route rules as the guest side.
fn host_side_routes(node: Node, sink: &mut Sink) {
    let Some(src) = kids(node, "source").next() else { return };
    for r in kids(src, "route") {
        super::network::route_rules(&crate::xml::network::Route::read(r), sink);
    }
}

/// An `<ip>` prefix longer than its family allows (32 or 128).
fn check_prefix(address: &str, family: Option<&str>, p: crate::xml::Val, sink: &mut Sink) {
    let Some(a) = address.parse::<std::net::IpAddr>().ok() else { return };
    let v4 = match family {
        Some("ipv4") => true,
        Some("ipv6") => false,
        _ => a.is_ipv4(),
    };
    let max = if v4 { 32 } else { 128 };
    if p.text.parse::<u64>().is_ok_and(|n| n > max) {
        sink.error(
            "ip-prefix-range",
            p.value_at,
            format!("prefix {} is too long for an IPv{} address", p.text, if v4 { 4 } else { 6 }),
            Some(format!("an IPv{} prefix is 0-{max}", if v4 { 4 } else { 6 })),
        );
    }
}

/// virDomainNetIPParseXML: peer= is parsed in the address's family.
fn ip_peer_family(ips: &[IfIp], sink: &mut Sink) {
    for x in ips {
        let (Some(a), Some(p)) = (x.address.and_then(|a| a.text.parse::<std::net::IpAddr>().ok()), x.peer) else { continue };
        let v4 = match x.family.map(|f| f.text) {
            Some("ipv4") => true,
            Some("ipv6") => false,
            _ => a.is_ipv4(),
        };
        if let Ok(peer) = p.text.parse::<std::net::IpAddr>() {
            if peer.is_ipv4() != v4 {
                sink.error(
                    "ip-peer-family",
                    p.value_at,
                    format!("peer {} is not an IPv{} address like the <ip> it belongs to", p.text, if v4 { 4 } else { 6 }),
                    None,
                );
            }
        }
    }
}

/// virDomainDeviceBootParseXML and virDomainDeviceInfoParseXML read
/// `<boot order>` and `<acpi index>` as non-zero 32-bit numbers (the schema
/// allows any positive integer, and 0 for the index).
fn device_info_numbers(node: Node, sink: &mut Sink) {
    if let Some(o) = kids(node, "boot").next().and_then(|b| attr(b, "order")) {
        if o.text.parse::<u64>().map_or(o.text.len() > 10 && o.text.bytes().all(|b| b.is_ascii_digit()), |n| n > u32::MAX as u64) {
            sink.error("boot-order-range", o.value_at, format!("boot order {} is out of range (1-4294967295)", ellipsize(o.text)), None);
        }
    }
    if let Some(i) = kids(node, "acpi").next().and_then(|a| attr(a, "index")) {
        if i.text.parse::<u64>() == Ok(0) {
            sink.error("acpi-index-zero", i.value_at, "ACPI index 0 is not allowed".into(), Some("indexes start at 1; leave <acpi> out for none".into()));
        }
    }
}

/// virDomainNetPortForwardRangeParseXML: start=, end= and to= of a
/// `<portForward><range>` are non-zero 32-bit numbers (the schema's port
/// type also allows -1 and 0).
fn port_forward_ranges(node: Node, sink: &mut Sink) {
    for r in kids(node, "portForward").flat_map(|p| kids(p, "range")) {
        for a in ["start", "end", "to"] {
            // Values that are no number at all are the schema's (invalid-value).
            if let Some(v) = attr(r, a).filter(|v| v.text.parse::<i64>().is_ok_and(|n| n <= 0 || n > u32::MAX as i64)) {
                sink.error("port-forward-range", v.value_at, format!("{a}={} is not a port number (1-65535)", v.text), None);
            }
        }
    }
}

/// libvirt: "ROM tuning is not supported when ROM is disabled".
fn rom_disabled_tuning(node: Node, sink: &mut Sink) {
    let Some(rom) = kids(node, "rom").next() else {
        return;
    };
    if rom.attribute("enabled") == Some("no")
        && (rom.has_attribute("bar") || rom.has_attribute("file"))
    {
        sink.error(
            "rom-disabled-tuning",
            rom.range().start,
            "<rom enabled='no'> takes no bar= or file=".into(),
            Some("drop bar=/file=, or enable the ROM".into()),
        );
    }
}

/// libvirt: "unmanaged target dev is not supported on interfaces of type
/// '...'": only an ethernet interface can use a tap device it did not create.
fn target_unmanaged_type(node: Node, kind: Option<&str>, sink: &mut Sink) {
    let Some(t) = kids(node, "target").next() else {
        return;
    };
    if t.attribute("managed") == Some("no") && kind.is_some_and(|k| k != "ethernet") {
        sink.error(
            "target-unmanaged-type",
            t.range().start,
            format!(
                "<target managed='no'> is only supported on type='ethernet' interfaces, not '{}'",
                kind.unwrap_or("")
            ),
            None,
        );
    }
}

/// A CCW device address gives cssid=, ssid= and devno= together or not at all.
fn ccw_address_incomplete(node: Node, sink: &mut Sink) {
    let Some(a) = kids(node, "address")
        .next()
        .filter(|a| a.attribute("type") == Some("ccw"))
    else {
        return;
    };
    let given = ["cssid", "ssid", "devno"]
        .iter()
        .filter(|n| a.has_attribute(**n))
        .count();
    if given != 0 && given != 3 {
        sink.error(
            "ccw-address-incomplete",
            a.range().start,
            "a CCW <address> needs cssid=, ssid= and devno= together (or none)".into(),
            None,
        );
    }
}

/// virDomainNetIPParseXML: "Invalid prefix value" beyond the family's
/// length (routes: virNetDevIPRouteParseXML, see network::route_rules).
fn ip_prefix_range(ips: &[IfIp], sink: &mut Sink) {
    for x in ips {
        if let (Some(a), Some(p)) = (x.address, x.prefix) {
            check_prefix(a.text, x.family.map(|f| f.text), p, sink);
        }
    }
}

/// KVM docs: emulated NICs (e1000, rtl8139) are much slower than virtio.
fn model_not_virtio(i: &Interface, sink: &mut Sink) {
    if matches!(i.kind.map(|k| k.text), Some("hostdev" | "vdpa")) {
        return;
    }
    if let Some(m) = i.model {
        if !m.text.to_ascii_lowercase().starts_with("virtio") {
            sink.warn(
                "model-not-virtio",
                m.value_at,
                format!("NIC model '{}' is emulated and slow", m.text),
                Some("use <model type='virtio'/> unless the guest lacks virtio drivers".into()),
            );
        }
    }
}

/// QEMU's own prefix is 52:54:00; other prefixes may belong to real vendors
/// and collide with hardware on the LAN.
fn mac_not_qemu_prefix(i: &Interface, sink: &mut Sink) {
    if let Some(m) = i.mac {
        if let Some(mac) = Mac::parse_schema(m.text) {
            if mac.0[..3] != [0x52, 0x54, 0x00] && !mac.is_multicast() {
                sink.warn("mac-not-qemu-prefix", m.value_at, format!("MAC {} is outside QEMU's 52:54:00 prefix", m.text), Some("52:54:00:xx:xx:xx addresses cannot clash with real hardware; leave <mac> out to let libvirt pick one".into()));
            }
        }
    }
}
