//! MAC addresses of guest NICs: parsing as libvirt does, every MAC already in
//! use (and by whom), and collision-free allocation under a prefix.
//!
//! Shared by attach-interface, mac-gen and doctor. virsh and virt-xml accept
//! a MAC that another guest already has; two guests on one L2 segment with the
//! same MAC silently steal each other's traffic, so knet checks every defined
//! guest (live and persistent config), every network's static DHCP hosts and,
//! when the hypervisor is this machine, the host's neighbours and interfaces.
//!
//! Never allocates a multicast address: the first octet's low bit set makes a
//! NIC that the kernel bridge floods and guests drop (virMacAddrIsMulticast).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::str::FromStr;

use anyhow::{bail, Context, Result};

use crate::libvirt::Conn;
use crate::xml::facts;

/// QEMU/KVM's locally administered prefix (what libvirt itself generates,
/// virMacAddrGenerate).
pub const QEMU_PREFIX: &str = "52:54:00";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }

    /// The schema's spelling (basictypes.rng macAddr): exactly two hex digits
    /// per group, stricter than libvirt's parser ([`Mac::from_str`]); what
    /// `knet validate` holds a document to.
    pub fn parse_schema(s: &str) -> Option<Mac> {
        let m: Mac = s.parse().ok()?;
        // two digits per group: 17 bytes exactly
        (s.len() == 17).then_some(m)
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

/// libvirt's wording (virMacAddrParse callers in src/conf/domain_conf.c).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error("unable to parse mac address '{0}'")]
    Syntax(String),
    #[error("expected unicast mac address, found multicast '{0}'")]
    Multicast(String),
}

impl FromStr for Mac {
    type Err = MacError;
    /// Six `:`-separated groups of one or two hex digits (virMacAddrParse
    /// accepts `1:2:3:4:5:6`), case-insensitive.
    fn from_str(s: &str) -> Result<Mac, MacError> {
        let bad = || MacError::Syntax(s.to_string());
        // one pass over the bytes (validation parses every MAC of a file)
        let mut out = [0u8; 6];
        let (mut n, mut digits) = (0usize, 0usize);
        for &c in s.as_bytes().iter().chain(std::iter::once(&b':')) {
            if c == b':' {
                if digits == 0 || n == 6 {
                    return Err(bad());
                }
                (n, digits) = (n + 1, 0);
            } else {
                let v = (c as char).to_digit(16).ok_or_else(bad)? as u8;
                if digits == 2 || n == 6 {
                    return Err(bad());
                }
                out[n] = (out[n] << 4) | v;
                digits += 1;
            }
        }
        if n != 6 {
            return Err(bad());
        }
        Ok(Mac(out))
    }
}

/// A MAC a guest NIC may use: valid syntax and unicast.
pub fn parse_unicast(s: &str) -> Result<Mac, MacError> {
    let m: Mac = s.parse()?;
    if m.is_multicast() {
        return Err(MacError::Multicast(s.to_string()));
    }
    Ok(m)
}

fn parse_octets(s: &str) -> Result<Vec<u8>, String> {
    s.split([':', '-'])
        .map(|o| if o.len() == 2 || o.len() == 1 { u8::from_str_radix(o, 16).ok() } else { None })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| format!("'{s}' is not a MAC address or prefix (hex octets separated by ':')"))
}

/// The leading octets every allocated MAC shares (one to five).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(Vec<u8>);

impl std::str::FromStr for Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Prefix, String> {
        let o = parse_octets(s)?;
        if o.is_empty() || o.len() > 5 {
            return Err(format!("'{s}': a MAC prefix has one to five octets"));
        }
        if o[0] & 1 == 1 {
            return Err(format!("'{s}' is a multicast prefix (first octet is odd): guest NICs need a unicast address"));
        }
        Ok(Prefix(o))
    }
}

impl Default for Prefix {
    fn default() -> Self {
        QEMU_PREFIX.parse().expect("valid")
    }
}

/// Who uses a MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum User {
    /// A NIC of this guest (live or persistent config).
    Guest(String),
    /// A static DHCP host of this network: a reservation, which a guest NIC
    /// is meant to take, so it is no collision for attach-interface.
    DhcpHost(String),
    HostNeighbour,
    HostInterface(String),
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            User::Guest(d) => write!(f, "guest '{d}'"),
            User::DhcpHost(n) => write!(f, "network '{n}' (DHCP host)"),
            User::HostNeighbour => f.write_str("a host neighbour"),
            User::HostInterface(i) => write!(f, "host interface '{i}'"),
        }
    }
}

/// Every MAC defined on the connection, each with who uses it; the host's own
/// neighbours and interfaces only when `local` (the connection's hypervisor
/// is this machine, in this network namespace).
pub fn used_macs(conn: &dyn Conn, local: bool) -> Result<BTreeMap<Mac, Vec<User>>> {
    let mut used: BTreeMap<Mac, Vec<User>> = BTreeMap::new();
    let mut add = |m: &str, who: User| {
        if let Ok(m) = m.parse::<Mac>() {
            let users = used.entry(m).or_default();
            if !users.contains(&who) {
                users.push(who);
            }
        }
    };
    for d in conn.list_domains().context("failed to list domains")? {
        // the live XML may carry hot-plugged NICs the config lacks, and the
        // config NICs that are not plugged in yet (a transient guest has no
        // config apart from its live XML: one dump, not two)
        let mut xmls = Vec::new();
        if d.persistent {
            xmls.push(conn.domain_xml(&d.name, true));
        }
        if d.active {
            xmls.push(conn.domain_xml(&d.name, false));
        }
        for x in xmls.into_iter().flatten() {
            for nic in facts::nics(&x) {
                if let Some(m) = nic.mac.as_deref() {
                    add(m, User::Guest(d.name.clone()));
                }
            }
        }
    }
    for n in conn.list_networks().context("failed to list networks")? {
        let x = conn.network_xml(&n.name, false).with_context(|| format!("failed to get network '{}'", n.name))?;
        for ip in facts::network(&x).ipv4 {
            ip.hosts.iter().filter_map(|h| h.mac.as_deref()).for_each(|m| add(m, User::DhcpHost(n.name.clone())));
        }
    }
    if local {
        crate::host::neighbour_macs().iter().for_each(|m| add(m, User::HostNeighbour));
        for i in crate::host::interfaces() {
            if let Some(m) = crate::host::mac_of(&i) {
                add(&m, User::HostInterface(i.clone()));
            }
        }
    }
    Ok(used)
}

/// `count` random unicast MACs under `prefix`, none in `used`, all distinct.
pub fn allocate<V>(used: &BTreeMap<Mac, V>, prefix: &Prefix, count: usize) -> Result<Vec<Mac>> {
    let free_bits = 8 * (6 - prefix.0.len()) as u32;
    let space = 1u64 << free_bits;
    let taken = used.keys().filter(|m| m.0.starts_with(&prefix.0)).count() as u64;
    if (count as u64) > space.saturating_sub(taken) {
        bail!("only {} free addresses under prefix {} ({} taken)", space.saturating_sub(taken), fmt_prefix(&prefix.0), taken);
    }
    let mut rng = std::fs::File::open("/dev/urandom").context("cannot open /dev/urandom")?;
    let mut out: Vec<Mac> = Vec::with_capacity(count);
    while out.len() < count {
        let mut b = [0u8; 6];
        rng.read_exact(&mut b).context("cannot read /dev/urandom")?;
        b[..prefix.0.len()].copy_from_slice(&prefix.0);
        let m = Mac(b);
        // a nearly full prefix is refused by the count check above; random
        // draws then still terminate because free addresses remain
        if !m.is_multicast() && !used.contains_key(&m) && !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

fn fmt_prefix(p: &[u8]) -> String {
    p.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_libvirt() {
        assert_eq!("52:54:00:AA:bb:0c".parse::<Mac>().unwrap().to_string(), "52:54:00:aa:bb:0c");
        assert_eq!("1:2:3:4:5:6".parse::<Mac>().unwrap().to_string(), "01:02:03:04:05:06");
        for bad in ["zz", "52:54:00:aa:bb", "52:54:00:aa:bb:cc:dd", "52:54:00:aa:bb:ccc", "52::00:aa:bb:cc", "+1:2:3:4:5:6"] {
            assert_eq!(bad.parse::<Mac>(), Err(MacError::Syntax(bad.into())), "{bad}");
        }
        assert_eq!(parse_unicast("01:00:5e:00:00:01").unwrap_err().to_string(), "expected unicast mac address, found multicast '01:00:5e:00:00:01'");
    }

    #[test]
    fn prefixes() {
        assert!("52:54:00".parse::<Prefix>().is_ok());
        assert!("01:00:5e".parse::<Prefix>().unwrap_err().contains("multicast"));
        assert!("52:54:00:00:00:00".parse::<Prefix>().is_err());
        assert!("zz".parse::<Prefix>().is_err());
    }

    #[test]
    fn allocation_avoids_used_and_fills_a_tiny_space() {
        let p: Prefix = "52:54:00:12:34".parse().unwrap();
        let used: BTreeMap<Mac, ()> = (0..=255u8).filter(|b| *b != 7).map(|b| (Mac([0x52, 0x54, 0, 0x12, 0x34, b]), ())).collect();
        assert_eq!(allocate(&used, &p, 1).unwrap(), vec![Mac([0x52, 0x54, 0, 0x12, 0x34, 7])]);
        assert!(allocate(&used, &p, 2).is_err());
    }

    #[test]
    fn allocations_are_distinct_unicast_and_in_prefix() {
        let macs = allocate(&BTreeMap::<Mac, ()>::new(), &Prefix::default(), 2000).unwrap();
        let set: std::collections::BTreeSet<_> = macs.iter().collect();
        assert_eq!(set.len(), 2000);
        assert!(macs.iter().all(|m| m.0[..3] == [0x52, 0x54, 0] && !m.is_multicast()));
    }
}
