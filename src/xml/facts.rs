//! Owned, forgiving facts read off libvirt XML for the commands that only
//! look (mac-gen, net-new, net-dhcp-host, doctor, port-forward, completion,
//! domif-convert's target check): a guest's NICs,
//! a network's forward mode, bridge, IPv4 subnets and static DHCP hosts.
//!
//! Derived from the positioned model ([`super::network::Network`],
//! [`super::interface::Interface`]) read through [`super::parse`], so the
//! same document reads the same way here and in `knet validate`; what differs
//! is the policy: unknown or malformed parts are skipped here, never
//! reported (reporting is `knet validate`'s job), and nothing here writes XML.
//!
//! [`super::edit::interfaces`] is the editing view of a NIC (byte ranges,
//! domiflist's single "Source"); doctor needs a running guest's network and
//! bridge apart, hence [`Nic`].

use std::net::Ipv4Addr;

use super::interface::{Domain, Interface};
use super::network::{self, Network};
use crate::ipnet::Subnet;

/// One `<interface>` of a domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Nic {
    /// `network`, `bridge`, `direct`, `user`, ...
    pub kind: String,
    pub mac: Option<String>,
    pub network: Option<String>,
    /// `<source bridge=>`: named by a bridge NIC, and filled in by libvirt in
    /// the live XML of a running guest on a network.
    pub bridge: Option<String>,
    /// `<target dev=>` (the tap) of a running guest.
    pub target: Option<String>,
    pub model: Option<String>,
}

/// The NICs of a domain XML document (empty when it does not parse).
pub fn nics(domain_xml: &str) -> Vec<Nic> {
    let Ok(doc) = super::parse(domain_xml) else { return Vec::new() };
    Domain::read(doc.root_element()).interfaces.into_iter().map(|n| nic(&Interface::read(n))).collect()
}

/// The facts of one interface of the model.
pub fn nic(i: &Interface) -> Nic {
    let s = |v: Option<super::Val>| v.map(|v| v.text.to_string());
    let src = i.source.as_ref();
    Nic {
        kind: i.kind.map_or("", |k| k.text).to_string(),
        mac: i.mac.map(|m| m.text.to_ascii_lowercase()),
        network: s(src.and_then(|x| x.network)),
        bridge: s(src.and_then(|x| x.bridge)),
        target: s(i.target),
        model: s(i.model),
    }
}

/// A static `<host>` of a network's DHCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpHost {
    pub mac: Option<String>,
    pub name: Option<String>,
    pub ip: Option<Ipv4Addr>,
}

/// One IPv4 `<ip>` of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetIp {
    /// Position among all the network's `<ip>` elements, IPv6 included
    /// (net-update's --parent-index).
    pub index: usize,
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub hosts: Vec<DhcpHost>,
}

impl NetIp {
    pub fn subnet(&self) -> Subnet {
        Subnet::new(self.address, self.prefix)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetFacts {
    /// `<forward mode=>`; `None` for an isolated network. libvirt's default
    /// mode when `<forward/>` has none is `nat`.
    pub forward: Option<String>,
    pub bridge: Option<String>,
    pub ipv4: Vec<NetIp>,
    /// `<dns enable='no'/>` turns libvirt's DNS server off.
    pub dns_enabled: bool,
}

/// The facts of a network XML document (the default, empty facts when it
/// does not parse).
pub fn network(xml: &str) -> NetFacts {
    let Ok(doc) = super::parse(xml) else { return NetFacts::default() };
    network_of(&Network::read(doc.root_element()))
}

/// The facts of a network of the model.
pub fn network_of(net: &Network) -> NetFacts {
    let v4 = |v: Option<super::Val>| v.and_then(|v| v.text.parse::<Ipv4Addr>().ok());
    let ipv4 = net
        .ips
        .iter()
        .enumerate()
        .filter(|(_, ip)| ip.is_ipv4_family())
        .filter_map(|(index, ip)| {
            let subnet = ip.subnet()?.v4()?;
            let address = v4(ip.address)?;
            let dhcp = ip.dhcp.as_ref();
            let ranges = dhcp.iter().flat_map(|d| &d.ranges).filter_map(|r| Some((v4(r.start)?, v4(r.end)?))).collect();
            let hosts = dhcp.iter().flat_map(|d| &d.hosts).map(dhcp_host).collect();
            Some(NetIp { index, address, prefix: subnet.prefix, ranges, hosts })
        })
        .collect();
    NetFacts {
        forward: net.forward.as_ref().map(|_| net.forward_mode().to_string()),
        bridge: net.bridge.as_ref().and_then(|b| b.name).map(|n| n.text.to_string()),
        ipv4,
        dns_enabled: net.dns.as_ref().and_then(|d| d.enable).map_or(true, |e| e.text != "no"),
    }
}

fn dhcp_host(h: &network::DhcpHost) -> DhcpHost {
    DhcpHost {
        mac: h.mac.map(|m| m.text.to_ascii_lowercase()),
        name: h.name.map(|n| n.text.to_string()),
        ip: h.ip.and_then(|i| i.text.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_facts() {
        let f = network("<network><name>n</name><forward/><bridge name='virbr3'/><ip address='10.1.2.1' netmask='255.255.255.0'><dhcp><range start='10.1.2.2' end='10.1.2.9'/><host mac='52:54:00:AA:00:01' ip='10.1.2.50'/></dhcp></ip><ip family='ipv6' address='fd00::1' prefix='64'/></network>");
        assert_eq!(f.forward.as_deref(), Some("nat"));
        assert_eq!(f.bridge.as_deref(), Some("virbr3"));
        assert_eq!(f.ipv4.len(), 1);
        assert_eq!(f.ipv4[0].subnet().to_string(), "10.1.2.0/24");
        assert_eq!(f.ipv4[0].hosts[0].mac.as_deref(), Some("52:54:00:aa:00:01"));
    }
}
