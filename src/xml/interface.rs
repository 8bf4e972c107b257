//! Typed, positioned view of a domain `<interface>` (domaincommon.rng's
//! `interface`), and of just enough of `<domain>` to find its interfaces
//! (`<domain type>`, `<name>`, `<devices><interface>`).
//!
//! Read-only: the lossless edit of a domain lives in xml/edit.rs.
//!
//! Never writes XML (src/xml/write.rs and src/xml/edit.rs do).

use roxmltree::Node;

use super::network::{Bandwidth, PciAddress, Route, VirtualPort, Vlan};
use super::{at, attr, kid, kids, Val};

pub struct Domain<'a, 'i> {
    pub at: usize,
    pub kind: Option<Val<'a>>,
    pub name: Option<Val<'a>>,
    pub uuid: Option<Val<'a>>,
    /// `<devices>` elements found (the schema allows one).
    pub devices: Vec<usize>,
    pub devices_nodes: Vec<Node<'a, 'i>>,
    pub interfaces: Vec<Node<'a, 'i>>,
}

impl<'a, 'i> Domain<'a, 'i> {
    pub fn read(n: Node<'a, 'i>) -> Self {
        let devices: Vec<Node> = kids(n, "devices").collect();
        Domain {
            at: at(n),
            kind: attr(n, "type"),
            name: kid(n, "name").and_then(super::text),
            uuid: kid(n, "uuid").and_then(super::text),
            devices: devices.iter().map(|d| at(*d)).collect(),
            devices_nodes: devices.clone(),
            interfaces: devices.iter().flat_map(|d| kids(*d, "interface")).collect(),
        }
    }
}

pub struct Interface<'a> {
    pub at: usize,
    pub kind: Option<Val<'a>>,
    pub mac: Option<Val<'a>>,
    pub model: Option<Val<'a>>,
    pub source: Option<Source<'a>>,
    /// `<target dev=>`: the host-side tap (vnetN) of a running guest.
    pub target: Option<Val<'a>>,
    /// `<alias name=>`: libvirt's device alias (net0, ua-...).
    pub alias: Option<Val<'a>>,
    pub address: Option<PciAddress<'a>>,
    pub driver: Option<Driver<'a>>,
    pub bandwidth: Option<Bandwidth<'a>>,
    pub vlan: Option<Vlan<'a>>,
    pub virtualport: Option<VirtualPort<'a>>,
    pub ips: Vec<IfIp<'a>>,
    pub routes: Vec<Route<'a>>,
    pub port_forwards: Vec<PortForward<'a>>,
}

pub struct Source<'a> {
    pub at: usize,
    pub network: Option<Val<'a>>,
    pub bridge: Option<Val<'a>>,
    pub dev: Option<Val<'a>>,
    pub mode: Option<Val<'a>>,
    pub portgroup: Option<Val<'a>>,
    /// hostdev: `<vendor>`, `<product>` and `<address>` children present.
    pub vendor: Option<usize>,
    pub product: Option<usize>,
    pub address: Option<PciAddress<'a>>,
}

pub struct Driver<'a> {
    pub at: usize,
    pub name: Option<Val<'a>>,
    pub queues: Option<Val<'a>>,
}

pub struct IfIp<'a> {
    pub at: usize,
    pub address: Option<Val<'a>>,
    pub family: Option<Val<'a>>,
    pub prefix: Option<Val<'a>>,
    pub peer: Option<Val<'a>>,
}

pub struct PortForward<'a> {
    pub at: usize,
    /// (offset, start, end)
    pub ranges: Vec<(usize, Option<Val<'a>>, Option<Val<'a>>)>,
}

impl<'a> IfIp<'a> {
    pub fn read(i: Node<'a, '_>) -> Self {
        IfIp {
            at: at(i),
            address: attr(i, "address"),
            family: attr(i, "family"),
            prefix: attr(i, "prefix"),
            peer: attr(i, "peer"),
        }
    }
}

impl<'a> Interface<'a> {
    pub fn read(n: Node<'a, '_>) -> Self {
        let ip = IfIp::read;
        Interface {
            at: at(n),
            kind: attr(n, "type"),
            mac: kid(n, "mac").and_then(|m| attr(m, "address")),
            model: kid(n, "model").and_then(|m| attr(m, "type")),
            source: kid(n, "source").map(|s| Source {
                at: at(s),
                network: attr(s, "network"),
                bridge: attr(s, "bridge"),
                dev: attr(s, "dev"),
                mode: attr(s, "mode"),
                portgroup: attr(s, "portgroup"),
                vendor: kid(s, "vendor").map(at),
                product: kid(s, "product").map(at),
                address: kid(s, "address").map(PciAddress::read),
            }),
            target: kid(n, "target").and_then(|t| attr(t, "dev")),
            alias: kid(n, "alias").and_then(|a| attr(a, "name")),
            address: kid(n, "address").map(PciAddress::read),
            driver: kid(n, "driver").map(|d| Driver {
                at: at(d),
                name: attr(d, "name"),
                queues: attr(d, "queues"),
            }),
            bandwidth: kid(n, "bandwidth").map(Bandwidth::read),
            vlan: kid(n, "vlan").map(Vlan::read),
            virtualport: kid(n, "virtualport").map(VirtualPort::read),
            ips: kids(n, "ip").map(ip).collect(),
            routes: kids(n, "route").map(Route::read).collect(),
            port_forwards: kids(n, "portForward")
                .map(|p| PortForward {
                    at: at(p),
                    ranges: kids(p, "range")
                        .map(|r| (at(r), attr(r, "start"), attr(r, "end")))
                        .collect(),
                })
                .collect(),
        }
    }
}
