//! What a NIC loses by moving: settings of its `<interface>` that only mean
//! something on the network it leaves. The edit itself keeps every byte but
//! the type and source (src/xml/edit.rs); these are the cases where keeping
//! or dropping is wrong either way, so the plan says so and the admin
//! decides. Reads XML only; never changes anything.

use crate::ipnet::Subnet;
use crate::xml::edit::{Interface, Target};
use crate::xml::facts;

/// Warnings for moving `ifc` (an element of the guest XML `xml`) from
/// `from` to `to`. `network_xml` gives a libvirt network's XML when there is
/// a connection (offline, none), to say what a portgroup carries and
/// whether a pinned address is the network's.
pub(super) fn of(xml: &str, ifc: &Interface, from: &Target, to: &Target, network_xml: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Target::Network(net) = from else { return Vec::new() };
    let Ok(doc) = crate::xml::parse(&xml[ifc.range.clone()]) else { return Vec::new() };
    let nic = doc.root_element();
    let mac = ifc.mac.as_deref().unwrap_or("-");
    // asked only for a NIC that has something to lose: a call per guest (a
    // round trip over a link) would be most of a bulk conversion's cost
    let net_cell = std::cell::OnceCell::new();
    let net_doc = || net_cell.get_or_init(|| network_xml(net)).clone();
    let mut out = Vec::new();

    // <source portgroup=...>: the new <source> has none, so the NIC loses
    // what the portgroup of the old network gave it
    if let Some(pg) = nic.children().find(|c| c.has_tag_name("source")).and_then(|s| s.attribute("portgroup")) {
        let carries = net_doc().as_deref().and_then(|x| portgroup_settings(x, pg));
        let what = match carries {
            Some(v) if v.is_empty() => String::new(),
            Some(v) => format!(" and with it {}", v.join(" and ")),
            None => " and with it any bandwidth limit or VLAN it sets".to_string(),
        };
        out.push(format!("NIC {mac}: portgroup '{pg}' of network '{net}' is dropped{what} (on {to} the NIC has no portgroup)"));
    }

    // an nwfilter parameter IP pins the address the guest has on the
    // network it leaves: on the new one it gets another, which the filter
    // then drops
    let subnets_cell = std::cell::OnceCell::new();
    let subnets = || subnets_cell.get_or_init(|| -> Option<Vec<Subnet>> { net_doc().as_deref().map(|x| facts::network(x).ipv4.iter().map(facts::NetIp::subnet).collect()) });
    for f in nic.children().filter(|c| c.has_tag_name("filterref")) {
        let filter = f.attribute("filter").unwrap_or("?");
        for p in f.children().filter(|p| p.has_tag_name("parameter") && p.attribute("name") == Some("IP")) {
            let Some(value) = p.attribute("value") else { continue };
            let ip = value.parse().ok();
            let pinned_here = match (subnets(), ip) {
                (Some(s), Some(ip)) => s.iter().any(|s| s.contains(ip)),
                // offline, or not an IPv4 address: say it anyway
                _ => true,
            };
            if pinned_here {
                out.push(format!(
                    "NIC {mac}: nwfilter '{filter}' pins IP {value}, its address on network '{net}': on {to} the guest gets another address and the filter drops its traffic; \
                     remove the IP parameter (the filter then learns the address) or set the new one"
                ));
            }
        }
    }
    out
}

/// What `<portgroup name=pg>` of a network sets for its NICs; `None` when
/// the network has no such portgroup.
fn portgroup_settings(network_xml: &str, pg: &str) -> Option<Vec<&'static str>> {
    let doc = crate::xml::parse(network_xml).ok()?;
    let group = doc.root_element().children().find(|c| c.has_tag_name("portgroup") && c.attribute("name") == Some(pg))?;
    let has = |t: &str| group.children().any(|c| c.has_tag_name(t));
    Some([("bandwidth", "its bandwidth limits"), ("vlan", "its VLAN"), ("virtualport", "its virtual port")].into_iter().filter(|(t, _)| has(t)).map(|(_, what)| what).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::edit;

    const GUEST: &str = "<domain><devices><interface type='network'><mac address='52:54:00:00:00:01'/>\
        <source network='default' portgroup='gold'/>\
        <filterref filter='clean-traffic'><parameter name='IP' value='192.168.122.50'/></filterref></interface></devices></domain>";
    const NET: &str = "<network><name>default</name><portgroup name='gold'><bandwidth><inbound average='1000'/></bandwidth><vlan><tag id='42'/></vlan></portgroup>\
        <ip address='192.168.122.1' prefix='24'/></network>";

    #[test]
    fn portgroups_and_pinned_addresses_are_named() {
        let ifc = &edit::interfaces(GUEST).unwrap()[0];
        let (from, to) = (Target::Network("default".into()), Target::Bridge("br0".into()));
        let w = of(GUEST, ifc, &from, &to, &|_| Some(NET.to_string()));
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("portgroup 'gold' of network 'default' is dropped and with it its bandwidth limits and its VLAN"), "{}", w[0]);
        assert!(w[1].contains("nwfilter 'clean-traffic' pins IP 192.168.122.50, its address on network 'default'"), "{}", w[1]);
        // offline: the same, in general terms
        let w = of(GUEST, ifc, &from, &to, &|_| None);
        assert!(w[0].contains("any bandwidth limit or VLAN it sets"), "{}", w[0]);
        assert_eq!(w.len(), 2);
        // an IP of another subnet is not the NAT address; a bridge NIC loses nothing
        let other = NET.replace("192.168.122.1", "10.0.0.1");
        assert_eq!(of(GUEST, ifc, &from, &to, &|_| Some(other.clone())).len(), 1);
        assert!(of(GUEST, ifc, &to, &from, &|_| Some(NET.to_string())).is_empty());
    }
}
