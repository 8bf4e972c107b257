//! Semantic rules for `<network>`: what libvirt's parser
//! (src/conf/network_conf.c, virNetworkDefParseXML and friends) and its
//! network driver (networkValidate, at define/start time) refuse, plus the
//! start-time failures of the host (bridge name length, dnsmasq's duplicate
//! hosts). Each rule is a few lines under a comment naming the libvirt check
//! it mirrors; its id is a string literal, so `grep -n '"dhcp-range-reversed"'`
//! finds it. src/validate/tests.rs has one example document per id.
//!
//! Values that fail their type were reported by the structure pass; rules
//! here skip what they cannot parse instead of reporting it twice.
//!
//! Pure: never reads files, libvirt or the host.

use std::collections::HashMap;
use std::net::IpAddr;

use super::structure::ellipsize;
use super::Sink;
use crate::ipnet as ip;
use crate::mac::Mac;
use crate::xml::network::{Bandwidth, Dhcp, Forward, Ip, IpSubnet, Network, Span};
use crate::xml::Val;

pub fn check(net: &Network, sink: &mut Sink) {
    name_invalid_char(net, sink);
    for ipdef in &net.ips {
        check_ip(ipdef, sink);
    }
    dhcp_multiple(net, sink);
    dhcp_host_duplicates(net, sink);
    for r in &net.routes {
        route_rules(r, sink);
    }
    route_gateway_unreachable(net, sink);
    if let Some(f) = &net.forward {
        check_forward(f, sink);
    }
    forward_mode_rules(net, sink);
    network_driver_rules(net, sink);
    bridge_name_too_long(net, sink);
    portgroup_duplicates(net, sink);
    virtualport_type_required(net, sink);
    if let Some(b) = &net.bandwidth {
        bandwidth_rates(b, false, sink);
    }
    for pg in &net.portgroups {
        if let Some(b) = &pg.bandwidth {
            bandwidth_rates(b, false, sink);
        }
    }
    if let Some(dns) = &net.dns {
        dns_rules(dns, sink);
    }
    for v in net.vlan.iter().chain(net.portgroups.iter().filter_map(|p| p.vlan.as_ref())) {
        vlan_native_duplicate(v, sink);
    }
}

/// virNetDevVlanParse: "duplicate native vlan setting" — at most one tag
/// carries nativeMode=.
pub fn vlan_native_duplicate(v: &crate::xml::network::Vlan, sink: &mut Sink) {
    let mut native = v.tags.iter().filter_map(|(_, _, m)| *m);
    if native.next().is_some() {
        if let Some(second) = native.next() {
            sink.error(
                "vlan-native-duplicate",
                second.at,
                "a second <tag> with nativeMode=: a vlan has at most one native tag".into(),
                Some("keep nativeMode= on the one untagged/native VLAN".into()),
            );
        }
    }
}

/// Longest network name libvirt can store: it writes NAME.xml through
/// NAME.xml.new, and a file name has at most 255 bytes (NAME_MAX).
const NAME_MAX_DEFINE: usize = 255 - ".xml.new".len();
/// Longest name whose dnsmasq files (NAME.hostsfile.new, NAME.addnhosts.new)
/// libvirt can write when it starts the network.
const NAME_MAX_START: usize = 255 - ".hostsfile.new".len();

/// What libvirt says of a network name: (rule, message, help, is an error).
/// `None` when libvirt takes it. The one statement of the rule, for the
/// validator and for commands that build a network from a name (net-new).
pub fn name_problem(name: &str) -> Option<(&'static str, String, Option<String>, bool)> {
    let shown = ellipsize(name);
    if name.is_empty() {
        return Some(("name-empty", "network name is empty".into(), None, true));
    }
    if name.contains('/') {
        let help = "libvirt stores the network as <name>.xml; a '/' is not allowed";
        return Some(("name-invalid-char", format!("network name {shown:?} contains '/'"), Some(help.into()), true));
    }
    // networkValidate refuses '\n' (and XML reads a '\r' as one); other
    // control characters cannot even be written in XML
    if let Some(c) = name.chars().find(|c| c.is_control() && *c != '\t') {
        let help = if matches!(c, '\n' | '\r') { "libvirt refuses a line break in a network name" } else { "XML cannot carry this character" };
        return Some(("name-invalid-char", format!("network name {shown:?} contains the control character {}", c.escape_default()), Some(help.into()), true));
    }
    if name.len() > NAME_MAX_DEFINE {
        let help = format!("libvirt stores the network as <name>.xml (written through <name>.xml.new) and a file name has at most 255 bytes: at most {NAME_MAX_DEFINE} bytes");
        return Some(("name-too-long", format!("network name is {} bytes long", name.len()), Some(help), true));
    }
    if name.len() > NAME_MAX_START {
        let help = format!("libvirt defines it, but starting it writes dnsmasq files such as <name>.hostsfile.new, which a 255-byte file name limit refuses: keep it to {NAME_MAX_START} bytes");
        return Some(("name-long", format!("network name is {} bytes long", name.len()), Some(help), false));
    }
    None
}

fn name_invalid_char(net: &Network, sink: &mut Sink) {
    if let Some(n) = &net.name {
        if let Some((rule, message, help, error)) = name_problem(n.text) {
            let at = match rule {
                "name-empty" => n.at,
                "name-invalid-char" => n.value_at + n.text.find(|c: char| c == '/' || (c.is_control() && c != '\t')).unwrap_or(0),
                _ => n.value_at,
            };
            if error {
                sink.error(rule, at, message, help);
            } else {
                sink.warn(rule, at, message, help);
            }
        }
    }
}

fn check_ip(ipdef: &Ip, sink: &mut Sink) {
    let Some(address) = ipdef.address else {
        sink.error("ip-missing-address", ipdef.at, "<ip> has no address= attribute".into(), Some("libvirt refuses an <ip> without address (e.g. address='192.168.122.1' prefix='24')".into()));
        return;
    };
    let Some(addr) = address.text.parse::<std::net::IpAddr>().ok() else {
        return;
    };
    ip_family_mismatch(ipdef, addr, address, sink);
    if ipdef.netmask.is_some() && ipdef.prefix.is_some() {
        sink.error(
            "ip-netmask-and-prefix",
            ipdef.prefix.map_or(ipdef.at, |p| p.at),
            "<ip> has both netmask= and prefix=".into(),
            Some("keep one: prefix='24' says the same as netmask='255.255.255.0'".into()),
        );
    }
    if let Some(m) = ipdef.netmask {
        if addr.is_ipv6() {
            sink.error(
                "ip-netmask-ipv6",
                m.at,
                format!(
                    "netmask= is not allowed for the IPv6 address {}",
                    address.text
                ),
                Some("use prefix= for IPv6 (e.g. prefix='64')".into()),
            );
        } else if let Ok(mask) = m.text.parse::<std::net::Ipv4Addr>() {
            if ip::netmask_prefix(mask).is_none() {
                // libvirt's parser only computes the prefix for a DHCP range
                // (virSocketAddrGetRange); without one the network fails at start.
                let has_range = ipdef.dhcp.as_ref().is_some_and(|d| !d.ranges.is_empty());
                let stage = if has_range { super::Stage::Define } else { super::Stage::Start };
                sink.error_at(stage, "netmask-noncontiguous", m.value_at, format!("netmask {} is not contiguous", m.text), Some("a netmask is a run of 1 bits then 0 bits, e.g. 255.255.255.0 (/24) or 255.255.254.0 (/23)".into()));
            }
        }
    }
    if let Some(p) = ipdef.prefix {
        if let Ok(n) = p.text.parse::<u32>() {
            if addr.is_ipv4() && n > 32 {
                sink.error(
                    "ip-prefix-range",
                    p.value_at,
                    format!(
                        "prefix {n} is too long for the IPv4 address {}",
                        address.text
                    ),
                    Some("an IPv4 prefix is 0-32".into()),
                );
            }
        }
    }
    let sub = ipdef.subnet();
    if ipdef.netmask.is_none()
        && ipdef.prefix.is_none()
        && sub.as_ref().is_some_and(|s| s.prefix.is_none())
        && ipdef.dhcp.is_some()
    {
        sink.error(
            "ip-prefix-missing",
            address.at,
            format!(
                "{} has no classful default prefix; libvirt cannot work out its subnet",
                address.text
            ),
            Some("add prefix= or netmask=".into()),
        );
    }
    if let Some(t) = ipdef.tftp {
        // 8.5 lets a network serve TFTP without DHCP; before, dnsmasq got
        // TFTP settings only along with a DHCP range or host.
        if ipdef.dhcp.is_none() && sink.target < super::version::V8_5 {
            sink.error(
                "newer-libvirt-parser",
                t,
                format!("<tftp> without <dhcp> needs libvirt 8.5 or later (validating for {})", sink.target),
                Some("add a <dhcp> range, or validate for the release that will run it with --libvirt-version X.Y".into()),
            );
        }
        if addr.is_ipv6() {
            sink.error(
                "tftp-ipv6",
                t,
                "<tftp> is only supported on an IPv4 <ip>".into(),
                None,
            );
        }
    }
    if let Some(d) = &ipdef.dhcp {
        check_dhcp(d, sub.as_ref(), sink);
    }
}

/// libvirt: "Family 'ipv6' specified for non-IPv6 address" and the reverse.
fn ip_family_mismatch(ipdef: &Ip, addr: IpAddr, address: Val, sink: &mut Sink) {
    let family = ipdef.family.map(|f| f.text);
    let bad = match family {
        None | Some("ipv4") => addr.is_ipv6(),
        Some("ipv6") => addr.is_ipv4(),
        Some(_) => false,
    };
    if bad {
        let f = family.unwrap_or("ipv4 (the default)");
        sink.error(
            "ip-family-mismatch",
            address.value_at,
            format!("address {} does not match family {f}", address.text),
            Some(if addr.is_ipv6() {
                "add family='ipv6' for an IPv6 address".into()
            } else {
                "an IPv4 address needs family='ipv4' or no family".into()
            }),
        );
    }
}

fn check_dhcp(d: &Dhcp, sub: Option<&IpSubnet>, sink: &mut Sink) {
    // virNetworkDHCPDefParseXML: on an IPv4 <ip>, a <bootp file=...>'s
    // server= is parsed as a numeric address (a host name fails).
    if let Some((Some(_), Some(server))) = d.bootp {
        let numeric = server.text.parse::<IpAddr>().is_ok() || ip::parse_ipv4_lenient(server.text).is_some();
        if sub.map_or(true, |s| s.addr.is_ipv4()) && !numeric {
            sink.error(
                "bootp-server-address",
                server.value_at,
                format!("bootp server {:?} is not an IP address", ellipsize(server.text)),
                Some("libvirt takes the TFTP server's address, not its name".into()),
            );
        }
    }
    for r in &d.ranges {
        dhcp_range(r, sub, sink);
        if let Some(l) = &r.lease {
            lease_too_short(l.expiry, l.unit, sink);
        }
    }
    for h in &d.hosts {
        let v6 = sub.is_some_and(|s| s.addr.is_ipv6());
        if let (Some(m), true) = (h.mac, v6) {
            sink.error(
                "dhcp-host-ipv6-mac",
                m.at,
                "a DHCPv6 host is matched by id= (DUID) or name=, not mac=".into(),
                Some("replace mac= with id='<DUID>' or name=".into()),
            );
        }
        if h.mac.is_some() && h.id.is_some() {
            sink.error(
                "dhcp-host-mac-and-id",
                h.id.map_or(h.at, |i| i.at),
                "<host> has both mac= and id=".into(),
                Some("use mac= for DHCPv4 hosts and id= for DHCPv6 hosts".into()),
            );
        }
        if h.mac.is_none() && h.id.is_none() && h.name.is_none() {
            sink.error(
                "dhcp-host-no-identity",
                h.at,
                "a DHCP <host> needs mac= (IPv4), id= (IPv6) or name=".into(),
                None,
            );
        } else if sub.is_some() {
            if v6 && h.id.is_none() && h.name.is_none() {
                sink.error(
                    "dhcp-host-identity",
                    h.at,
                    "a DHCPv6 <host> needs id= or name=".into(),
                    None,
                );
            } else if !v6 && h.mac.is_none() && h.name.is_none() {
                sink.error(
                    "dhcp-host-identity",
                    h.at,
                    "a DHCPv4 <host> needs mac= or name=".into(),
                    None,
                );
            }
        }
        if let Some(n) = h.name {
            if !n
                .text
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                sink.error(
                    "dhcp-host-name",
                    n.value_at,
                    format!("host name {:?} must start with a letter or digit", n.text),
                    None,
                );
            } else if let Some(problem) = crate::dnsmasq::host_name_problem(n.text) {
                // libvirt stores it, but dnsmasq then gives the guest no name
                sink.warn(
                    "dhcp-host-name-dnsmasq",
                    n.value_at,
                    format!("host name {:?} {problem}", n.text),
                    Some("dnsmasq would not give this name to the guest; use letters, digits, '-' and '_' in its first label".into()),
                );
            }
        }
        if let (Some(ipv), Some(s)) = (h.ip, sub) {
            if let (Some(hip), Some(prefix)) = (ipv.text.parse::<std::net::IpAddr>().ok(), s.prefix) {
                if !ip::in_subnet(hip, s.addr, prefix) {
                    sink.error(
                        "dhcp-host-outside-subnet",
                        ipv.value_at,
                        format!(
                            "DHCP host address {} is outside the network {}/{prefix}",
                            ipv.text, s.addr
                        ),
                        Some(
                            "dnsmasq never hands it out; pick an address inside the subnet".into(),
                        ),
                    );
                }
            }
        }
        if let Some(l) = &h.lease {
            lease_too_short(l.expiry, l.unit, sink);
        }
    }
}

/// virSocketAddrGetRange: same family, inside the network, not reversed,
/// not starting on the network address nor ending on the broadcast.
fn dhcp_range(r: &Span, sub: Option<&IpSubnet>, sink: &mut Sink) {
    let (Some(sv), Some(ev)) = (r.start, r.end) else {
        return;
    };
    let (Some(s), Some(e)) = (sv.text.parse::<std::net::IpAddr>().ok(), ev.text.parse::<std::net::IpAddr>().ok()) else {
        return;
    };
    if s.is_ipv4() != e.is_ipv4() {
        sink.error(
            "dhcp-range-family",
            ev.value_at,
            format!("range {} - {} mixes IPv4 and IPv6", sv.text, ev.text),
            None,
        );
        return;
    }
    if let Some(net) = sub {
        if net.addr.is_ipv4() != s.is_ipv4() {
            sink.error(
                "dhcp-range-family",
                r.at,
                format!(
                    "range {} - {} is not in the address family of network {}",
                    sv.text, ev.text, net.addr
                ),
                None,
            );
            return;
        }
        if let Some(prefix) = net.prefix {
            if !ip::in_subnet(s, net.addr, prefix) || !ip::in_subnet(e, net.addr, prefix) {
                let bad = if ip::in_subnet(s, net.addr, prefix) {
                    ev
                } else {
                    sv
                };
                sink.error(
                    "dhcp-range-outside-subnet",
                    bad.value_at,
                    format!(
                        "range {} - {} is not entirely within network {}/{prefix}",
                        sv.text, ev.text, net.addr
                    ),
                    Some(format!("both ends must be inside {}/{prefix}", net.addr)),
                );
                return;
            }
            if s.is_ipv4() {
                if ip::to_u128(s) == ip::network_address(net.addr, prefix) {
                    sink.error(
                        "dhcp-range-network-address",
                        sv.value_at,
                        format!(
                            "range start {} is the network address of {}/{prefix}",
                            sv.text, net.addr
                        ),
                        None,
                    );
                }
                if ip::to_u128(e) == ip::broadcast_address(net.addr, prefix) {
                    sink.error(
                        "dhcp-range-broadcast",
                        ev.value_at,
                        format!(
                            "range end {} is the broadcast address of {}/{prefix}",
                            ev.text, net.addr
                        ),
                        None,
                    );
                }
            }
        }
    }
    if range_too_large(s, e, sv, ev, sink) {
        return;
    }
    if ip::to_u128(s) > ip::to_u128(e) {
        sink.error(
            "dhcp-range-reversed",
            sv.value_at,
            format!("range {} - {} is reversed", sv.text, ev.text),
            Some("start must not be above end".into()),
        );
    }
}

/// libvirt: "The minimum lease time should be greater than 2 minutes".
fn lease_too_short(expiry: Option<Val>, unit: Option<Val>, sink: &mut Sink) {
    let Some(x) = expiry else { return };
    let Ok(n) = x.text.parse::<u64>() else { return };
    let short = match unit.map_or("minutes", |u| u.text) {
        "seconds" => n > 0 && n < 120,
        "minutes" => n > 0 && n < 2,
        _ => false,
    };
    if short {
        sink.error(
            "lease-too-short",
            x.value_at,
            format!("lease time {n} is under dnsmasq's 2-minute minimum"),
            Some("use expiry='0' for an infinite lease, or 2 minutes or more".into()),
        );
    }
}

/// Network driver (networkValidate): one IPv4 and one IPv6 `<ip>` may serve DHCP.
fn dhcp_multiple(net: &Network, sink: &mut Sink) {
    for v4 in [true, false] {
        let serving: Vec<&Ip> = net
            .ips
            .iter()
            .filter(|i| {
                i.dhcp
                    .as_ref()
                    .is_some_and(|d| !d.ranges.is_empty() || !d.hosts.is_empty())
            })
            .filter(|i| {
                i.address
                    .and_then(|a| a.text.parse::<std::net::IpAddr>().ok())
                    .is_some_and(|a| a.is_ipv4() == v4)
            })
            .collect();
        for extra in serving.iter().skip(1) {
            let fam = if v4 { "IPv4" } else { "IPv6" };
            sink.error(
                if v4 { "dhcp-multiple-ipv4" } else { "dhcp-multiple-ipv6" },
                extra.dhcp.as_ref().map_or(extra.at, |d| d.at),
                format!("DHCP is configured on more than one {fam} address"),
                Some(format!("libvirt runs DHCP on a single {fam} <ip> per network; the network would fail to start")),
            );
        }
    }
}

/// dnsmasq refuses duplicate dhcp-host entries; libvirt only finds out at start.
fn dhcp_host_duplicates(net: &Network, sink: &mut Sink) {
    let mut macs: HashMap<String, usize> = HashMap::new();
    let mut ips: HashMap<(bool, u128), usize> = HashMap::new();
    for h in net
        .ips
        .iter()
        .filter_map(|i| i.dhcp.as_ref())
        .flat_map(|d| &d.hosts)
    {
        if let Some(m) = h.mac.filter(|m| Mac::parse_schema(m.text).is_some()) {
            if macs.insert(m.text.to_ascii_lowercase(), m.at).is_some() {
                sink.error(
                    "dhcp-host-duplicate-mac",
                    m.value_at,
                    format!("MAC address {} already has a DHCP host entry", m.text),
                    Some("each MAC may have one <host>; remove or merge the duplicate".into()),
                );
            }
        }
        if let Some((v, a)) = h.ip.and_then(|v| v.text.parse::<std::net::IpAddr>().ok().map(|a| (v, a))) {
            if ips.insert((a.is_ipv6(), ip::to_u128(a)), v.at).is_some() {
                sink.error(
                    "dhcp-host-duplicate-ip",
                    v.value_at,
                    format!(
                        "IP address {} is already given to another DHCP host",
                        v.text
                    ),
                    Some("each address may be reserved for one host".into()),
                );
            }
        }
    }
}

/// virNetDevIPRouteParseXML (networks and interfaces alike): families agree,
/// no netmask on IPv6, prefix within the family, the address is the network
/// address of its prefix (no prefix means 0), metric is not 0.
pub fn route_rules(r: &crate::xml::network::Route, sink: &mut Sink) {
    let Some(av) = r.address else { return };
    let Some(addr) = av.text.parse::<std::net::IpAddr>().ok() else {
        return;
    };
    let v6_family = r.family.is_some_and(|f| f.text == "ipv6");
    if let (Some(_), Some(p)) = (r.netmask, r.prefix) {
        sink.error(
            "ip-netmask-and-prefix",
            p.at,
            "<route> has both netmask= and prefix=".into(),
            Some("keep one: prefix='24' says the same as netmask='255.255.255.0'".into()),
        );
    }
    let fam = r.family.map_or("ipv4 (no family= given)", |f| f.text);
    for (v, what) in [(Some(av), "address"), (r.gateway, "gateway")] {
        let Some(v) = v else { continue };
        if let Ok(a) = v.text.parse::<std::net::IpAddr>() {
            if a.is_ipv6() != v6_family {
                let help = if a.is_ipv6() {
                    "add family='ipv6' to an IPv6 route"
                } else {
                    "an IPv4 route takes family='ipv4' or none"
                };
                sink.error(
                    "route-family-mismatch",
                    v.value_at,
                    format!("route {what} {} does not match family {fam}", v.text),
                    Some(help.into()),
                );
            }
        }
    }
    if let Some(m) = r.netmask {
        if addr.is_ipv6() || v6_family {
            sink.error(
                "route-netmask-ipv6",
                m.at,
                "netmask= is not allowed on an IPv6 route".into(),
                Some("use prefix=".into()),
            );
            return;
        }
    }
    let is_network = if let Some(m) = r.netmask {
        m.text.parse::<std::net::Ipv4Addr>().ok().map_or(true, |m| {
            ip::to_u128(addr) & u32::from(m) as u128 == ip::to_u128(addr)
        })
    } else {
        let prefix = match r.prefix.map(|p| (p, p.text.parse::<u32>())) {
            Some((p, Ok(n))) if addr.is_ipv4() && n > 32 => {
                sink.error(
                    "route-prefix-range",
                    p.value_at,
                    format!("prefix {n} is too long for the IPv4 route {}", av.text),
                    Some("an IPv4 prefix is 0-32".into()),
                );
                return;
            }
            Some((_, Ok(n))) => n,
            Some((_, Err(_))) => return,
            None => 0,
        };
        ip::network_address(addr, prefix) == ip::to_u128(addr)
    };
    if !is_network {
        let how = match (r.netmask, r.prefix) {
            (Some(m), _) => format!("netmask {}", m.text),
            (None, Some(p)) => format!("prefix {}", p.text),
            (None, None) => "no prefix (libvirt then uses 0)".to_string(),
        };
        sink.error(
            "route-not-network-address",
            av.value_at,
            format!(
                "route address {} is not a network address with {how}",
                av.text
            ),
            Some(
                "give the network's first address (host bits zero), e.g. 10.0.0.0 prefix='8'"
                    .into(),
            ),
        );
    }
    if let Some(m) = r.metric {
        if m.text.parse::<u64>() == Ok(0) {
            sink.error(
                "route-metric-zero",
                m.value_at,
                "route metric 0 is not allowed".into(),
                Some("metrics start at 1".into()),
            );
        }
    }
}

/// libvirt: "unreachable static route gateway" — the gateway must be inside
/// one of the network's own subnets.
fn route_gateway_unreachable(net: &Network, sink: &mut Sink) {
    for r in &net.routes {
        let Some(gv) = r.gateway else { continue };
        let Some(gw) = gv.text.parse::<std::net::IpAddr>().ok() else {
            continue;
        };
        let subnets: Vec<IpSubnet> = net.ips.iter().filter_map(Ip::subnet).collect();
        if subnets
            .iter()
            .any(|s| s.prefix.is_none() && s.addr.is_ipv4() == gw.is_ipv4())
        {
            continue;
        }
        let reachable = subnets
            .iter()
            .any(|s| s.prefix.is_some_and(|p| ip::in_subnet(gw, s.addr, p)));
        if !reachable {
            sink.error(
                "route-gateway-unreachable",
                gv.value_at,
                format!(
                    "route gateway {} is not inside any of the network's <ip> subnets",
                    gv.text
                ),
                Some("libvirt can only route through a gateway on this network".into()),
            );
        }
    }
}

fn check_forward(f: &Forward, sink: &mut Sink) {
    let mode = f.mode.map_or("nat", |m| m.text);
    for nat in &f.nats {
        if mode != "nat" {
            sink.error(
                "nat-needs-nat-mode",
                nat.at,
                format!("<nat> only applies to forward mode='nat', not '{mode}'"),
                None,
            );
        }
        for a in &nat.addresses {
            nat_address_reversed(a, sink);
        }
        for p in &nat.ports {
            nat_port_reversed(p, sink);
        }
    }
    if !f.interfaces.is_empty() && !f.addresses.is_empty() {
        sink.error(
            "forward-interface-and-address",
            f.addresses[0].at,
            "<forward> lists both <interface> and <address> devices".into(),
            Some("a pool is either network interfaces or PCI addresses".into()),
        );
    }
    if let Some(dev) = f.dev {
        if !f.addresses.is_empty() || !f.pfs.is_empty() {
            sink.error(
                "forward-dev-with-pool",
                dev.at,
                "<forward dev=...> cannot be combined with <address> or <pf> children".into(),
                None,
            );
        }
        if let Some((_, Some(first))) = f.interfaces.first() {
            if first.text != dev.text {
                sink.error(
                    "forward-dev-mismatch",
                    first.value_at,
                    format!(
                        "<forward dev='{}'> must match the first <interface dev='{}'>",
                        dev.text, first.text
                    ),
                    None,
                );
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (_, d) in &f.interfaces {
        if let Some(d) = d {
            if seen.contains(&d.text) {
                sink.error(
                    "forward-interface-duplicate",
                    d.value_at,
                    format!("interface '{}' is listed twice in <forward>", d.text),
                    None,
                );
            }
            seen.push(d.text);
        }
    }
    let mut pcis: Vec<(u64, u64, u64, u64)> = Vec::new();
    for a in &f.addresses {
        let num = |v: Option<Val>| v.and_then(|v| parse_num(v.text)).unwrap_or(0);
        let key = (num(a.domain), num(a.bus), num(a.slot), num(a.function));
        if pcis.contains(&key) {
            sink.error(
                "forward-address-duplicate",
                a.at,
                format!(
                    "PCI device {:04x}:{:02x}:{:02x}.{:x} is listed twice in <forward>",
                    key.0, key.1, key.2, key.3
                ),
                None,
            );
        }
        pcis.push(key);
    }
}

/// A schema number: decimal, or hex with 0x.
pub fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// virSocketAddrGetRange's legacy limit: a range may differ only in its
/// last 16 bits (the last two bytes of IPv4, the last group of IPv6).
fn range_too_large(s: IpAddr, e: IpAddr, sv: Val, ev: Val, sink: &mut Sink) -> bool {
    if (ip::to_u128(s) ^ ip::to_u128(e)) >> 16 == 0 {
        return false;
    }
    sink.error(
        "range-too-large",
        ev.value_at,
        format!("range {} - {} is too large: libvirt allows ranges within one block of 65536 addresses", sv.text, ev.text),
        Some(if s.is_ipv4() { "start and end must share their first two bytes" } else { "start and end may differ only in their last group" }.into()),
    );
    true
}

/// libvirt: "range A - B is reversed" for `<nat><address>`.
fn nat_address_reversed(a: &Span, sink: &mut Sink) {
    let (Some(sv), Some(ev)) = (a.start, a.end) else {
        return;
    };
    if let (Some(s), Some(e)) = (sv.text.parse::<std::net::Ipv4Addr>().ok(), ev.text.parse::<std::net::Ipv4Addr>().ok()) {
        if range_too_large(IpAddr::V4(s), IpAddr::V4(e), sv, ev, sink) {
            return;
        }
        if u32::from(s) > u32::from(e) {
            sink.error(
                "nat-address-reversed",
                sv.value_at,
                format!("NAT address range {} - {} is reversed", sv.text, ev.text),
                Some("start must not be above end".into()),
            );
        }
    }
}

/// libvirt: "Missing or invalid 'end' attribute in <port>" when end < start.
fn nat_port_reversed(p: &Span, sink: &mut Sink) {
    let (Some(sv), Some(ev)) = (p.start, p.end) else {
        return;
    };
    if let (Ok(s), Ok(e)) = (sv.text.parse::<u32>(), ev.text.parse::<u32>()) {
        if s > e {
            sink.error(
                "nat-port-reversed",
                ev.value_at,
                format!("NAT port range {s} - {e} is reversed"),
                Some("end must not be below start".into()),
            );
        }
    }
}

/// What each forward mode allows (virNetworkDefParseXML's switch and the
/// network driver's networkValidate).
fn forward_mode_rules(net: &Network, sink: &mut Sink) {
    let mode = net.forward_mode();
    let Some(f) = &net.forward else { return };
    let mode_at = f.mode.map_or(f.at, |m| m.at);
    let nifs = f.interfaces.len().max(usize::from(f.dev.is_some())) + f.addresses.len();
    match mode {
        "nat" | "route" | "open" => {
            if net.ips.is_empty() {
                sink.error(
                    "forward-needs-ip",
                    mode_at,
                    format!("forward mode '{mode}' needs an <ip> address on the network"),
                    Some("add e.g. <ip address='192.168.100.1' prefix='24'/>".into()),
                );
            }
            if nifs > 1 {
                let at = f.interfaces.get(1).map_or(f.at, |i| i.0);
                sink.error(
                    "forward-multiple-interfaces",
                    at,
                    format!("forward mode '{mode}' supports only one forward interface"),
                    None,
                );
            }
            if mode == "open" && nifs > 0 {
                sink.error(
                    "forward-open-dev",
                    f.dev.map_or(f.at, |d| d.at),
                    "forward mode 'open' takes no forward device".into(),
                    None,
                );
            }
        }
        "bridge" | "private" | "vepa" | "passthrough" | "hostdev" => {
            if let Some(b) = &net.bridge {
                if mode != "bridge" {
                    for (v, what) in [
                        (b.name, "name"),
                        (b.zone, "zone"),
                        (b.mac_table_manager, "macTableManager"),
                    ] {
                        if let Some(v) = v {
                            sink.error(
                                "forward-mode-bridge-options",
                                v.at,
                                format!(
                                    "<bridge {what}=...> is not allowed with forward mode '{mode}'"
                                ),
                                None,
                            );
                        }
                    }
                }
                // libvirt refuses stp= whatever its value, but delay= only
                // when it is not 0 (the parsed number is what it tests).
                let delay = b.delay.filter(|d| parse_num(d.text) != Some(0));
                for (v, what) in [
                    (delay, "delay"),
                    (b.stp, "stp"),
                    (if mode == "bridge" { b.zone } else { None }, "zone"),
                ] {
                    if let Some(v) = v {
                        sink.error("forward-mode-bridge-options", v.at, format!("<bridge {what}=...> only applies to nat, route, open and isolated networks, not '{mode}'"), None);
                    }
                }
                if b.name.is_some() && mode == "bridge" && (nifs > 0 || !f.pfs.is_empty()) {
                    sink.error(
                        "forward-bridge-and-dev",
                        b.at,
                        "forward mode 'bridge' takes a bridge name or a forward device, not both"
                            .into(),
                        None,
                    );
                }
            }
            // libvirt tests the parsed size: <mtu size='0'/> means "unset".
            if let Some(m) = net.mtu.filter(|m| m.text.parse::<u64>() != Ok(0)) {
                sink.error("forward-mode-mtu", m.at, format!("<mtu> only applies to nat, route, open and isolated networks, not '{mode}'"), None);
            }
            // The network driver refuses these at start for bridge mode (the
            // corpus labels passthrough with <ip> as accepted, so only bridge).
            if mode == "bridge" {
                for i in &net.ips {
                    sink.error("forward-mode-ip", i.at, format!("<ip> is not supported with forward mode '{mode}'"), Some("the host owns no address on a network it only bridges; drop <ip> (DHCP comes from the LAN)".into()));
                }
                if let Some(m) = net.mac {
                    sink.error(
                        "forward-mode-mac",
                        m.at,
                        format!("<mac> is not supported with forward mode '{mode}'"),
                        Some("libvirt creates no bridge of its own to give that MAC".into()),
                    );
                }
            }
            let has_dev = nifs > 0 || !f.pfs.is_empty();
            let has_target = match mode {
                // An Open vSwitch (virtualport) bridge network may leave the name to the port profile.
                "bridge" => {
                    has_dev
                        || net.bridge.as_ref().is_some_and(|b| b.name.is_some())
                        || net.virtualport.is_some()
                }
                _ => has_dev,
            };
            if !has_target {
                let need = if mode == "bridge" {
                    "a <bridge name=...> or a forward device"
                } else {
                    "a forward device (<forward dev=...>, <interface>, <address> or <pf>)"
                };
                sink.error(
                    "forward-no-target",
                    f.at,
                    format!("forward mode '{mode}' needs {need}"),
                    None,
                );
            }
        }
        _ => {}
    }
}

/// The rest of the network driver's define-time check (networkValidate in
/// src/network/bridge_driver.c). libvirt's parser, and so its test driver
/// and knet's corpus, accept all of these; a daemon's network driver
/// refuses them at net-define. They are warnings, so `knet validate` gives
/// the parser's verdict and still tells the admin before the daemon does.
fn network_driver_rules(net: &Network, sink: &mut Sink) {
    let mode = net.forward_mode();
    let f = net.forward.as_ref();
    let l3 = matches!(mode, "none" | "nat" | "route" | "open");
    if !l3 {
        let dns_records = net.dns.as_ref().filter(|d| !d.txts.is_empty() || !d.hosts.is_empty() || !d.srvs.is_empty());
        for (at, what, rule) in [
            (dns_records.map(|d| d.at), "DNS records (<txt>, <host>, <srv>)", "forward-mode-dns"),
            (net.domain, "<domain>", "forward-mode-dns"),
        ] {
            if let Some(at) = at {
                sink.warn(rule, at, format!("{what} is not supported with forward mode '{mode}': libvirt's network driver refuses it at define"), Some("only nat, route, open and isolated networks run their own DNS".into()));
            }
        }
    }
    // Network-wide bandwidth needs a bridge libvirt shapes.
    let bandwidth_ok = l3 || (mode == "bridge" && net.bridge.as_ref().is_some_and(|b| b.name.is_some()));
    if !bandwidth_ok {
        let pgs = net.portgroups.iter().filter_map(|p| p.bandwidth.as_ref());
        for b in net.bandwidth.iter().chain(pgs) {
            sink.warn("forward-mode-bandwidth", b.at, format!("<bandwidth> is not supported with forward mode '{mode}': libvirt's network driver refuses it at define"), None);
        }
    } else if mode == "hostdev" {
        for b in net.portgroups.iter().filter_map(|p| p.bandwidth.as_ref()) {
            sink.warn("forward-mode-bandwidth", b.at, "<bandwidth> in a portgroup is not supported with forward mode 'hostdev'".into(), None);
        }
    }
    if let Some(f) = f {
        if mode == "hostdev" {
            for (at, _) in &f.interfaces {
                sink.warn("forward-hostdev-netdev", *at, "a hostdev network lists its devices by PCI <address>, not by <interface dev=...>: libvirt's network driver refuses it at define".into(), None);
            }
        } else {
            for a in &f.addresses {
                sink.warn("forward-address-needs-hostdev", a.at, format!("a PCI <address> in the device pool needs forward mode 'hostdev', not '{mode}'"), None);
            }
        }
        let kinds = usize::from(!f.pfs.is_empty()) + usize::from(!f.interfaces.is_empty()) + usize::from(!f.addresses.is_empty());
        if kinds > 1 && !f.pfs.is_empty() {
            sink.warn("forward-pool-mixed", f.pfs[0].0, "<pf>, <interface> and <address> in <forward> exclude each other: libvirt's network driver refuses the mix at define".into(), None);
        }
    }
    // VLAN tags: hostdev or passthrough pools, or an Open vSwitch bridge.
    let ovs = |vp: Option<&crate::xml::network::VirtualPort>| vp.and_then(|v| v.kind).is_some_and(|k| k.text == "openvswitch");
    let allowed = matches!(mode, "hostdev" | "passthrough") || (mode == "bridge" && ovs(net.virtualport.as_ref()));
    let net_vlan = net.vlan.as_ref().is_some_and(|v| !v.tags.is_empty());
    let mut bad = None;
    for pg in &net.portgroups {
        let pg_vlan = pg.vlan.as_ref().filter(|v| !v.tags.is_empty());
        if net_vlan || pg_vlan.is_some() {
            let ok = match &pg.virtualport {
                Some(vp) => mode == "bridge" && ovs(Some(vp)),
                None => allowed,
            };
            if !ok {
                bad = bad.or(pg_vlan.map(|v| v.at).or(net.vlan.as_ref().map(|v| v.at)));
            }
        }
    }
    let has_default = net.portgroups.iter().any(|p| p.default.is_some_and(|d| d.text == "yes"));
    if bad.is_none() && net_vlan && !allowed && !has_default {
        bad = net.vlan.as_ref().map(|v| v.at);
    }
    if let Some(at) = bad {
        sink.warn("vlan-not-supported", at, format!("<vlan> is not supported on a network with forward mode '{mode}': libvirt's network driver refuses it at define"), Some("VLAN tags need a hostdev or passthrough pool, or an Open vSwitch bridge (<virtualport type='openvswitch'/>)".into()));
    }
}

/// Linux interface names are at most 15 bytes (IFNAMSIZ - 1); the network
/// fails to start otherwise.
fn bridge_name_too_long(net: &Network, sink: &mut Sink) {
    if let Some(n) = net.bridge.as_ref().and_then(|b| b.name) {
        if n.text.len() > 15 {
            sink.error(
                "bridge-name-too-long",
                n.value_at,
                format!(
                    "bridge name {:?} is {} characters; Linux allows at most 15",
                    ellipsize(n.text),
                    n.text.len()
                ),
                Some("shorten it (e.g. virbr-lab0)".into()),
            );
        }
    }
}

fn portgroup_duplicates(net: &Network, sink: &mut Sink) {
    let mut names: Vec<&str> = Vec::new();
    let mut default_seen = false;
    for pg in &net.portgroups {
        if let Some(n) = pg.name {
            if names.contains(&n.text) {
                sink.error(
                    "portgroup-duplicate-name",
                    n.value_at,
                    format!("portgroup '{}' is defined twice", n.text),
                    None,
                );
            }
            names.push(n.text);
        }
        if let Some(d) = pg.default.filter(|d| d.text.eq_ignore_ascii_case("yes")) {
            if default_seen {
                sink.error(
                    "portgroup-multiple-default",
                    d.at,
                    "more than one portgroup is marked default='yes'".into(),
                    None,
                );
            }
            default_seen = true;
        }
    }
}

/// libvirt requires type= on a network's own `<virtualport>`.
fn virtualport_type_required(net: &Network, sink: &mut Sink) {
    if let Some(vp) = &net.virtualport {
        if vp.kind.is_none() {
            sink.error("virtualport-type-required", vp.at, "a network's <virtualport> needs type= (openvswitch, 802.1Qbh, 802.1Qbg or midonet)".into(), None);
        }
    }
}

/// virNetDevBandwidthParse and virNetDevBandwidthParseRate: a rate needs
/// average= unless it gives floor= (then peak= and burst= still need
/// average=); a non-zero floor only on the inbound rate of an interface on
/// a network; classID= is state libvirt writes itself, never accepted here.
pub fn bandwidth_rates(b: &Bandwidth, allow_floor: bool, sink: &mut Sink) {
    if let Some(c) = b.class_id {
        sink.error(
            "bandwidth-classid",
            c.at,
            "classID= is not supported on <bandwidth> here".into(),
            Some("libvirt assigns the class itself; drop classID=".into()),
        );
    }
    for (rate, inbound) in [(&b.inbound, true), (&b.outbound, false)] {
        let Some(r) = rate else { continue };
        let dir = if inbound { "inbound" } else { "outbound" };
        if let Some(f) = r.floor.filter(|f| f.text.parse::<u64>() != Ok(0)) {
            if !inbound {
                sink.error(
                    "bandwidth-floor",
                    f.at,
                    "floor= is only allowed in <inbound>".into(),
                    None,
                );
            } else if !allow_floor {
                sink.error(
                    "bandwidth-floor",
                    f.at,
                    "floor= is only supported on an interface of type 'network'".into(),
                    None,
                );
            }
        }
        // virNetDevBandwidthValidate of releases after 9.0 (11.3's has it):
        // tc takes bursts up to 4194303 KiB.
        if let Some(b) = r.burst.filter(|b| b.text.parse::<u64>().is_ok_and(|n| n > 4_194_303)) {
            let msg = format!("burst {} KiB is above the 4194303 KiB tc allows", b.text);
            match super::version::Span::between(super::version::V9_0, super::version::V11_3).fit(sink.target) {
                super::version::Fit::Yes => sink.error("bandwidth-burst-range", b.value_at, msg, None),
                super::version::Fit::Unsure(_) => sink.warn("bandwidth-burst-range", b.value_at, format!("{msg}; libvirt releases after 9.0 refuse it"), None),
                _ => {}
            }
        }
        if r.average.is_none() && (r.floor.is_none() || r.peak.is_some() || r.burst.is_some()) {
            let msg = if r.floor.is_none() {
                format!("<{dir}> needs average=")
            } else {
                format!("<{dir}>: peak= and burst= need average=")
            };
            sink.error(
                "bandwidth-average-required",
                r.at,
                msg,
                Some("average= (KiB/s) is mandatory; peak= and burst= refine it".into()),
            );
        }
    }
}

fn dns_rules(dns: &crate::xml::network::Dns, sink: &mut Sink) {
    if dns.enable.is_some_and(|e| e.text == "no")
        && (!dns.forwarders.is_empty()
            || !dns.hosts.is_empty()
            || !dns.srvs.is_empty()
            || !dns.txts.is_empty())
    {
        sink.error(
            "dns-disabled-extra",
            dns.at,
            "<dns enable='no'> cannot have forwarders, hosts, srv or txt records".into(),
            Some("remove the records or enable DNS".into()),
        );
    }
    for (at, addr, domain) in &dns.forwarders {
        if addr.is_none() && domain.is_none() {
            sink.error(
                "dns-forwarder-empty",
                *at,
                "<forwarder> needs addr= or domain=".into(),
                None,
            );
        }
    }
    for srv in &dns.srvs {
        if let Some(s) = srv.service {
            if !s
                .text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-+/*".contains(&b))
            {
                sink.error(
                    "dns-srv-service",
                    s.value_at,
                    format!(
                        "SRV service {:?} has characters other than letters, digits and _-+/*",
                        s.text
                    ),
                    None,
                );
            }
        }
        if srv.target.is_none() {
            for v in [srv.port, srv.priority, srv.weight].into_iter().flatten() {
                sink.error(
                    "dns-srv-needs-target",
                    v.at,
                    "port=, priority= and weight= need target= on <srv>".into(),
                    None,
                );
            }
        }
        if let Some(p) = srv.port {
            if p.text.parse::<u32>() == Ok(0) {
                sink.error(
                    "dns-srv-port",
                    p.value_at,
                    "SRV port must be 1-65535".into(),
                    None,
                );
            }
        }
    }
}
