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
use super::{schema, structure, Sink};
use crate::mac::Mac;
use crate::xml::interface::{Domain, Interface};
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
    ccw_address_incomplete(node, sink);
    vhostuser_needs_virtio(&i, sink);
    rom_disabled_tuning(node, sink);
    target_unmanaged_type(node, kind, sink);
    ip_prefix_range(&i, sink);
    ip_family_mismatch(&i, sink);
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

/// libvirt: "Invalid address '10.0.0.1' in <ip>" when family= disagrees.
fn ip_family_mismatch(i: &Interface, sink: &mut Sink) {
    for x in &i.ips {
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
        Some(m) if m.text.starts_with("virtio") => {}
        Some(m) => sink.error(
            "vhostuser-needs-virtio",
            m.value_at,
            format!(
                "a vhostuser interface needs a virtio model, not '{}'",
                m.text
            ),
            Some("use <model type='virtio'/>".into()),
        ),
        None => sink.error(
            "vhostuser-needs-virtio",
            i.at,
            "a vhostuser interface needs <model type='virtio'/>".into(),
            None,
        ),
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

/// An IPv4 `<ip>`/`<route>` prefix longer than 32.
fn ip_prefix_range(i: &Interface, sink: &mut Sink) {
    let pairs = i
        .ips
        .iter()
        .map(|x| (x.address, x.prefix))
        .chain(i.routes.iter().map(|r| (r.address, r.prefix)));
    for (addr, prefix) in pairs {
        let (Some(a), Some(p)) = (addr.and_then(|a| a.text.parse::<std::net::IpAddr>().ok()), prefix) else {
            continue;
        };
        if a.is_ipv4() && p.text.parse::<u32>().is_ok_and(|n| n > 32) {
            sink.error(
                "ip-prefix-range",
                p.value_at,
                format!("prefix {} is too long for an IPv4 address", p.text),
                Some("an IPv4 prefix is 0-32".into()),
            );
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
