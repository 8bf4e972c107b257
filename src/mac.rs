//! MAC addresses for new guest NICs: what is already taken, and fresh ones.
//!
//! The API is two calls, shared by `mac-gen` and `attach-interface`:
//! [`used_macs`] gathers every MAC the connection defines (all domains, live
//! and inactive config, and all networks' static DHCP hosts) plus, when the
//! hypervisor is this machine, the neighbour tables and local interfaces;
//! [`allocate`] draws random unicast addresses under a prefix that collide
//! with none of them (nor with each other).
//!
//! Never allocates a multicast address: the first octet's low bit set makes
//! a NIC that the kernel bridge floods and guests drop (libvirt's
//! virMacAddrIsMulticast).

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;

use anyhow::{bail, Context, Result};

use crate::libvirt::Conn;

/// QEMU/KVM's OUI, what libvirt itself uses (virMacAddrGenerate).
pub const QEMU_PREFIX: &str = "52:54:00";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl std::str::FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Mac, String> {
        let p = parse_octets(s)?;
        p.try_into().map(Mac).map_err(|_| format!("'{s}' is not a MAC address (six hex octets)"))
    }
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

/// Every MAC defined on the connection, plus the host's neighbours and own
/// interfaces when `local` (the connection's hypervisor is this machine, in
/// this network namespace).
pub fn used_macs(conn: &dyn Conn, local: bool) -> Result<BTreeSet<Mac>> {
    let mut used = BTreeSet::new();
    let mut add = |m: &str| {
        if let Ok(m) = m.parse::<Mac>() {
            used.insert(m);
        }
    };
    for d in conn.list_domains().context("failed to list domains")? {
        // the live XML may carry hot-plugged NICs the config lacks, and the
        // config NICs that are not plugged in yet
        let mut xmls = vec![conn.domain_xml(&d.name, true)];
        if d.active {
            xmls.push(conn.domain_xml(&d.name, false));
        }
        for x in xmls.into_iter().flatten() {
            crate::facts::nics(&x).iter().filter_map(|n| n.mac.as_deref()).for_each(&mut add);
        }
    }
    for n in conn.list_networks().context("failed to list networks")? {
        let x = conn.network_xml(&n.name, false).with_context(|| format!("failed to get network '{}'", n.name))?;
        for ip in crate::facts::network(&x).ipv4 {
            ip.hosts.iter().filter_map(|h| h.mac.as_deref()).for_each(&mut add);
        }
    }
    if local {
        crate::host::neighbour_macs().iter().for_each(|m| add(m));
        crate::host::interfaces().iter().filter_map(|i| crate::host::mac_of(i)).for_each(|m| add(&m));
    }
    Ok(used)
}

/// `count` random unicast MACs under `prefix`, none in `used`, all distinct.
pub fn allocate(used: &BTreeSet<Mac>, prefix: &Prefix, count: usize) -> Result<Vec<Mac>> {
    let free_bits = 8 * (6 - prefix.0.len()) as u32;
    let space = 1u64 << free_bits;
    let taken = used.iter().filter(|m| m.0.starts_with(&prefix.0)).count() as u64;
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
        // a nearly full prefix is handled by the count check above; random
        // draws then still terminate because free addresses remain
        if !m.is_multicast() && !used.contains(&m) && !out.contains(&m) {
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
    fn prefixes() {
        assert!("52:54:00".parse::<Prefix>().is_ok());
        assert!("01:00:5e".parse::<Prefix>().unwrap_err().contains("multicast"));
        assert!("52:54:00:00:00:00".parse::<Prefix>().is_err());
        assert!("zz".parse::<Prefix>().is_err());
    }

    #[test]
    fn allocation_avoids_used_and_fills_a_tiny_space() {
        let p: Prefix = "52:54:00:12:34".parse().unwrap();
        let used: BTreeSet<Mac> = (0..=255u8).filter(|b| *b != 7).map(|b| Mac([0x52, 0x54, 0, 0x12, 0x34, b])).collect();
        assert_eq!(allocate(&used, &p, 1).unwrap(), vec![Mac([0x52, 0x54, 0, 0x12, 0x34, 7])]);
        assert!(allocate(&used, &p, 2).is_err());
    }
}
