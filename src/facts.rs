//! Read-only facts pulled out of libvirt XML for the host-side commands
//! (mac-gen, net-new, doctor, port-forward): a guest's NICs, a network's
//! forward mode, bridge, addresses and static DHCP hosts.
//!
//! [`crate::xml::edit::interfaces`] is the editing view of a NIC (byte
//! ranges, domiflist's single "Source"); doctor needs a running guest's
//! network and bridge apart, hence [`Nic`].
//!
//! Deliberately small and forgiving: unknown or malformed parts are skipped,
//! never reported (reporting is `knet validate`'s job), and nothing here
//! writes XML.

use std::net::Ipv4Addr;

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
    let Ok(doc) = roxmltree::Document::parse(domain_xml) else { return Vec::new() };
    let Some(devices) = doc.root_element().children().find(|n| n.has_tag_name("devices")) else { return Vec::new() };
    devices
        .children()
        .filter(|n| n.has_tag_name("interface"))
        .map(|i| {
            let attr = |el: &str, a: &str| i.children().find(|c| c.has_tag_name(el)).and_then(|c| c.attribute(a)).map(str::to_string);
            Nic {
                kind: i.attribute("type").unwrap_or("").to_string(),
                mac: attr("mac", "address").map(|m| m.to_ascii_lowercase()),
                network: attr("source", "network"),
                bridge: attr("source", "bridge"),
                target: attr("target", "dev"),
                model: attr("model", "type"),
            }
        })
        .collect()
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

pub fn network(xml: &str) -> NetFacts {
    let Ok(doc) = roxmltree::Document::parse(xml) else { return NetFacts::default() };
    let root = doc.root_element();
    let forward = root.children().find(|n| n.has_tag_name("forward")).map(|f| f.attribute("mode").unwrap_or("nat").to_string());
    let bridge = root.children().find(|n| n.has_tag_name("bridge")).and_then(|b| b.attribute("name")).map(str::to_string);
    let dns_enabled = root.children().find(|n| n.has_tag_name("dns")).and_then(|d| d.attribute("enable")) != Some("no");
    let ipv4 = root
        .children()
        .filter(|n| n.has_tag_name("ip") && n.attribute("family").map_or(true, |f| f == "ipv4"))
        .filter_map(|ip| {
            let address: Ipv4Addr = ip.attribute("address")?.parse().ok()?;
            let prefix = match (ip.attribute("prefix"), ip.attribute("netmask")) {
                (Some(p), _) => p.parse().ok()?,
                (None, Some(m)) => u32::from(m.parse::<Ipv4Addr>().ok()?).count_ones() as u8,
                // libvirt's classful default when neither is given
                (None, None) => match address.octets()[0] {
                    0..=127 => 8,
                    128..=191 => 16,
                    _ => 24,
                },
            };
            let dhcp = ip.children().find(|n| n.has_tag_name("dhcp"));
            let ranges = dhcp
                .iter()
                .flat_map(|d| d.children().filter(|n| n.has_tag_name("range")))
                .filter_map(|r| Some((r.attribute("start")?.parse().ok()?, r.attribute("end")?.parse().ok()?)))
                .collect();
            let hosts = dhcp
                .iter()
                .flat_map(|d| d.children().filter(|n| n.has_tag_name("host")))
                .map(|h| DhcpHost {
                    mac: h.attribute("mac").map(str::to_ascii_lowercase),
                    name: h.attribute("name").map(str::to_string),
                    ip: h.attribute("ip").and_then(|i| i.parse().ok()),
                })
                .collect();
            Some(NetIp { address, prefix, ranges, hosts })
        })
        .collect();
    NetFacts { forward, bridge, ipv4, dns_enabled }
}

/// An IPv4 subnet (network address + prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subnet {
    pub net: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Subnet {
        Subnet { net: Ipv4Addr::from(u32::from(addr) & Self::mask_of(prefix)), prefix }
    }
    fn mask_of(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix.min(32)))
        }
    }
    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(Self::mask_of(self.prefix))
    }
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        u32::from(a) & Self::mask_of(self.prefix) == u32::from(self.net)
    }
    pub fn overlaps(&self, o: &Subnet) -> bool {
        self.contains(o.net) || o.contains(self.net)
    }
    /// The n-th address of the subnet (0 is the network address).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net) + n)
    }
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix.min(32)))
    }
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from((u64::from(u32::from(self.net)) + self.size() - 1) as u32)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl std::str::FromStr for Subnet {
    type Err = String;
    /// `A.B.C.D/N`; host bits are kept out (`192.168.5.7/24` is 192.168.5.0/24).
    fn from_str(s: &str) -> Result<Subnet, String> {
        let (a, p) = s.split_once('/').ok_or_else(|| format!("'{s}' is not an IPv4 CIDR (expected A.B.C.D/N)"))?;
        let a: Ipv4Addr = a.parse().map_err(|_| format!("'{a}' is not an IPv4 address"))?;
        let p: u8 = p.parse().ok().filter(|p| *p <= 32).ok_or_else(|| format!("'{p}' is not a prefix length (0-32)"))?;
        Ok(Subnet::new(a, p))
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

    #[test]
    fn subnets() {
        let s: Subnet = "192.168.5.7/24".parse().unwrap();
        assert_eq!(s.to_string(), "192.168.5.0/24");
        assert!(s.overlaps(&"192.168.0.0/16".parse().unwrap()));
        assert!(!s.overlaps(&"192.168.6.0/24".parse().unwrap()));
        assert_eq!(s.broadcast(), Ipv4Addr::new(192, 168, 5, 255));
    }
}
