//! Typed, positioned view of a libvirt `<network>` document (network.rng),
//! plus the pieces networks share with domain interfaces (bandwidth, vlan,
//! PCI address).
//!
//! A view reads what is there and never judges it: values stay strings with
//! their offsets, absent things are `None`, repeated things are all kept (so
//! rules can see duplicates the parser would silently drop).

use std::net::IpAddr;

use roxmltree::Node;

use super::{at, attr, kid, kids, text, text_or_empty, Val};
use crate::ipnet;

pub struct Network<'a> {
    pub at: usize,
    pub name: Option<Val<'a>>,
    pub uuid: Option<Val<'a>>,
    pub title: Option<Val<'a>>,
    pub ipv6: Option<Val<'a>>,
    pub bridge: Option<Bridge<'a>>,
    pub mtu: Option<Val<'a>>,
    pub mac: Option<Val<'a>>,
    pub forward: Option<Forward<'a>>,
    pub virtualport: Option<VirtualPort<'a>>,
    pub portgroups: Vec<PortGroup<'a>>,
    pub dns: Option<Dns<'a>>,
    /// Offset of `<domain>` (the DNS domain), if any.
    pub domain: Option<usize>,
    pub bandwidth: Option<Bandwidth<'a>>,
    pub vlan: Option<Vlan<'a>>,
    pub ips: Vec<Ip<'a>>,
    pub routes: Vec<Route<'a>>,
}

pub struct Bridge<'a> {
    pub at: usize,
    pub name: Option<Val<'a>>,
    pub zone: Option<Val<'a>>,
    pub stp: Option<Val<'a>>,
    pub delay: Option<Val<'a>>,
    pub mac_table_manager: Option<Val<'a>>,
}

pub struct Forward<'a> {
    pub at: usize,
    pub mode: Option<Val<'a>>,
    pub dev: Option<Val<'a>>,
    /// `<interface dev=...>` children: (element offset, dev).
    pub interfaces: Vec<(usize, Option<Val<'a>>)>,
    pub addresses: Vec<PciAddress<'a>>,
    pub pfs: Vec<(usize, Option<Val<'a>>)>,
    pub nats: Vec<Nat<'a>>,
}

pub struct Nat<'a> {
    pub at: usize,
    pub addresses: Vec<Span<'a>>,
    pub ports: Vec<Span<'a>>,
}

/// Anything with `start` and `end` attributes (NAT address/port, DHCP range).
pub struct Span<'a> {
    pub at: usize,
    pub start: Option<Val<'a>>,
    pub end: Option<Val<'a>>,
    pub lease: Option<Lease<'a>>,
}

pub struct Lease<'a> {
    pub at: usize,
    pub expiry: Option<Val<'a>>,
    pub unit: Option<Val<'a>>,
}

pub struct Ip<'a> {
    pub at: usize,
    pub address: Option<Val<'a>>,
    pub netmask: Option<Val<'a>>,
    pub prefix: Option<Val<'a>>,
    pub family: Option<Val<'a>>,
    pub tftp: Option<usize>,
    pub dhcp: Option<Dhcp<'a>>,
}

pub struct Dhcp<'a> {
    pub at: usize,
    pub ranges: Vec<Span<'a>>,
    /// `<bootp file=... server=...>`: (file, server).
    pub bootp: Option<(Option<Val<'a>>, Option<Val<'a>>)>,
    pub hosts: Vec<DhcpHost<'a>>,
}

pub struct DhcpHost<'a> {
    pub at: usize,
    pub mac: Option<Val<'a>>,
    pub id: Option<Val<'a>>,
    pub name: Option<Val<'a>>,
    pub ip: Option<Val<'a>>,
    pub lease: Option<Lease<'a>>,
}

pub struct Route<'a> {
    pub at: usize,
    pub family: Option<Val<'a>>,
    pub address: Option<Val<'a>>,
    pub netmask: Option<Val<'a>>,
    pub prefix: Option<Val<'a>>,
    pub gateway: Option<Val<'a>>,
    pub metric: Option<Val<'a>>,
}

pub struct PortGroup<'a> {
    pub at: usize,
    pub name: Option<Val<'a>>,
    pub default: Option<Val<'a>>,
    pub bandwidth: Option<Bandwidth<'a>>,
    pub vlan: Option<Vlan<'a>>,
    pub virtualport: Option<VirtualPort<'a>>,
}

pub struct Dns<'a> {
    pub at: usize,
    pub enable: Option<Val<'a>>,
    /// (offset, addr, domain)
    pub forwarders: Vec<(usize, Option<Val<'a>>, Option<Val<'a>>)>,
    /// (offset, name)
    pub txts: Vec<(usize, Option<Val<'a>>)>,
    pub srvs: Vec<Srv<'a>>,
    /// (offset, hostnames)
    pub hosts: Vec<(usize, Vec<Val<'a>>)>,
}

pub struct Srv<'a> {
    pub at: usize,
    pub service: Option<Val<'a>>,
    pub target: Option<Val<'a>>,
    pub port: Option<Val<'a>>,
    pub priority: Option<Val<'a>>,
    pub weight: Option<Val<'a>>,
}

pub struct Bandwidth<'a> {
    pub at: usize,
    pub class_id: Option<Val<'a>>,
    pub inbound: Option<Rate<'a>>,
    pub outbound: Option<Rate<'a>>,
}

pub struct Rate<'a> {
    pub at: usize,
    pub average: Option<Val<'a>>,
    pub peak: Option<Val<'a>>,
    pub floor: Option<Val<'a>>,
    pub burst: Option<Val<'a>>,
}

pub struct Vlan<'a> {
    pub at: usize,
    pub trunk: Option<Val<'a>>,
    /// (offset, id, nativeMode)
    pub tags: Vec<(usize, Option<Val<'a>>, Option<Val<'a>>)>,
}

pub struct VirtualPort<'a> {
    pub at: usize,
    pub kind: Option<Val<'a>>,
}

pub struct PciAddress<'a> {
    pub at: usize,
    pub kind: Option<Val<'a>>,
    pub domain: Option<Val<'a>>,
    pub bus: Option<Val<'a>>,
    pub slot: Option<Val<'a>>,
    pub function: Option<Val<'a>>,
}

impl<'a> Network<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        Network {
            at: at(n),
            name: kid(n, "name").map(text_or_empty),
            uuid: kid(n, "uuid").and_then(text),
            title: kid(n, "title").and_then(text),
            domain: kid(n, "domain").map(at),
            ipv6: attr(n, "ipv6"),
            bridge: kid(n, "bridge").map(|b| Bridge {
                at: at(b),
                name: attr(b, "name"),
                zone: attr(b, "zone"),
                stp: attr(b, "stp"),
                delay: attr(b, "delay"),
                mac_table_manager: attr(b, "macTableManager"),
            }),
            mtu: kid(n, "mtu").and_then(|m| attr(m, "size")),
            mac: kid(n, "mac").and_then(|m| attr(m, "address")),
            forward: kid(n, "forward").map(Forward::read),
            virtualport: kid(n, "virtualport").map(VirtualPort::read),
            portgroups: kids(n, "portgroup")
                .map(|p| PortGroup {
                    at: at(p),
                    name: attr(p, "name"),
                    default: attr(p, "default"),
                    bandwidth: kid(p, "bandwidth").map(Bandwidth::read),
                    vlan: kid(p, "vlan").map(Vlan::read),
                    virtualport: kid(p, "virtualport").map(VirtualPort::read),
                })
                .collect(),
            dns: kid(n, "dns").map(Dns::read),
            bandwidth: kid(n, "bandwidth").map(Bandwidth::read),
            vlan: kid(n, "vlan").map(Vlan::read),
            ips: kids(n, "ip").map(Ip::read).collect(),
            routes: kids(n, "route").map(Route::read).collect(),
        }
    }

    /// The forward mode as libvirt reads it: absent `<forward>` is "none"
    /// (isolated), `<forward>` without mode is "nat".
    pub fn forward_mode(&self) -> &'a str {
        match &self.forward {
            None => "none",
            Some(f) => f.mode.map_or("nat", |m| m.text),
        }
    }
}

impl<'a> Forward<'a> {
    fn read(f: Node<'a, '_>) -> Self {
        Forward {
            at: at(f),
            mode: attr(f, "mode"),
            dev: attr(f, "dev"),
            interfaces: kids(f, "interface")
                .map(|i| (at(i), attr(i, "dev")))
                .collect(),
            addresses: kids(f, "address").map(PciAddress::read).collect(),
            pfs: kids(f, "pf").map(|p| (at(p), attr(p, "dev"))).collect(),
            nats: kids(f, "nat")
                .map(|nat| Nat {
                    at: at(nat),
                    addresses: kids(nat, "address").map(Span::read).collect(),
                    ports: kids(nat, "port").map(Span::read).collect(),
                })
                .collect(),
        }
    }
}

impl<'a> Span<'a> {
    fn read(n: Node<'a, '_>) -> Self {
        Span {
            at: at(n),
            start: attr(n, "start"),
            end: attr(n, "end"),
            lease: kid(n, "lease").map(Lease::read),
        }
    }
}

impl<'a> Lease<'a> {
    fn read(n: Node<'a, '_>) -> Self {
        Lease {
            at: at(n),
            expiry: attr(n, "expiry"),
            unit: attr(n, "unit"),
        }
    }
}

/// The address an `<ip>` declares, with its effective prefix: `None` when
/// libvirt could not work one out (bad netmask or prefix, no classful
/// default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpSubnet {
    pub addr: IpAddr,
    pub prefix: Option<u32>,
}

impl IpSubnet {
    /// The IPv4 subnet, when the address is IPv4 and the prefix known.
    pub fn v4(&self) -> Option<ipnet::Subnet> {
        match (self.addr, self.prefix) {
            (IpAddr::V4(a), Some(p)) => Some(ipnet::Subnet::new(a, p as u8)),
            _ => None,
        }
    }
}

impl<'a> Ip<'a> {
    /// Address and prefix as libvirt computes them (virNetworkIPDefPrefix):
    /// netmask, else prefix, else the classful default. `None` when the
    /// address is not one.
    pub fn subnet(&self) -> Option<IpSubnet> {
        let addr = self.address?.text.parse::<std::net::IpAddr>().ok()?;
        let prefix = if let Some(m) = self.netmask {
            m.text.parse::<std::net::Ipv4Addr>().ok()
                .and_then(ipnet::netmask_prefix)
                .map(u32::from)
        } else if let Some(p) = self.prefix {
            p.text
                .parse::<u32>()
                .ok()
                .filter(|p| *p <= if addr.is_ipv4() { 32 } else { 128 })
        } else {
            ipnet::default_prefix(addr)
        };
        Some(IpSubnet { addr, prefix })
    }

    /// Whether this is an IPv4 `<ip>` by its `family` (absent means ipv4).
    pub fn is_ipv4_family(&self) -> bool {
        self.family.map_or(true, |f| f.text == "ipv4")
    }

    fn read(n: Node<'a, '_>) -> Self {
        Ip {
            at: at(n),
            address: attr(n, "address"),
            netmask: attr(n, "netmask"),
            prefix: attr(n, "prefix"),
            family: attr(n, "family"),
            tftp: kid(n, "tftp").map(at),
            dhcp: kid(n, "dhcp").map(|d| Dhcp {
                at: at(d),
                ranges: kids(d, "range").map(Span::read).collect(),
                bootp: kid(d, "bootp").map(|b| (attr(b, "file"), attr(b, "server"))),
                hosts: kids(d, "host")
                    .map(|h| DhcpHost {
                        at: at(h),
                        mac: attr(h, "mac"),
                        id: attr(h, "id"),
                        name: attr(h, "name"),
                        ip: attr(h, "ip"),
                        lease: kid(h, "lease").map(Lease::read),
                    })
                    .collect(),
            }),
        }
    }
}

impl<'a> Route<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        Route {
            at: at(n),
            family: attr(n, "family"),
            address: attr(n, "address"),
            netmask: attr(n, "netmask"),
            prefix: attr(n, "prefix"),
            gateway: attr(n, "gateway"),
            metric: attr(n, "metric"),
        }
    }
}

impl<'a> Dns<'a> {
    fn read(n: Node<'a, '_>) -> Self {
        Dns {
            at: at(n),
            enable: attr(n, "enable"),
            forwarders: kids(n, "forwarder")
                .map(|f| (at(f), attr(f, "addr"), attr(f, "domain")))
                .collect(),
            txts: kids(n, "txt").map(|t| (at(t), attr(t, "name"))).collect(),
            srvs: kids(n, "srv")
                .map(|s| Srv {
                    at: at(s),
                    service: attr(s, "service"),
                    target: attr(s, "target"),
                    port: attr(s, "port"),
                    priority: attr(s, "priority"),
                    weight: attr(s, "weight"),
                })
                .collect(),
            hosts: kids(n, "host")
                .map(|h| (at(h), kids(h, "hostname").map(text_or_empty).collect()))
                .collect(),
        }
    }
}

impl<'a> Bandwidth<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        let rate = |r: Node<'a, '_>| Rate {
            at: at(r),
            average: attr(r, "average"),
            peak: attr(r, "peak"),
            floor: attr(r, "floor"),
            burst: attr(r, "burst"),
        };
        Bandwidth {
            at: at(n),
            class_id: attr(n, "classID"),
            inbound: kid(n, "inbound").map(rate),
            outbound: kid(n, "outbound").map(rate),
        }
    }
}

impl<'a> Vlan<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        Vlan {
            at: at(n),
            trunk: attr(n, "trunk"),
            tags: kids(n, "tag")
                .map(|t| (at(t), attr(t, "id"), attr(t, "nativeMode")))
                .collect(),
        }
    }
}

impl<'a> VirtualPort<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        VirtualPort {
            at: at(n),
            kind: attr(n, "type"),
        }
    }
}

impl<'a> PciAddress<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        PciAddress {
            at: at(n),
            kind: attr(n, "type"),
            domain: attr(n, "domain"),
            bus: attr(n, "bus"),
            slot: attr(n, "slot"),
            function: attr(n, "function"),
        }
    }
}
