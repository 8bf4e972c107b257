//! MAC addresses of guest NICs: parsing as libvirt does, what is already
//! taken, and collision-free generation.
//!
//! Shared by attach-interface, the domif commands and mac-gen. virsh and
//! virt-xml accept a MAC that another guest already has; two guests on one L2
//! segment with the same MAC silently steal each other's traffic, so knet
//! checks first:
//! - [`macs_in_use`]: every guest's MACs (live and persistent config), with
//!   the guests using each, for conflict messages;
//! - [`used_macs`]: that, plus every network's static DHCP hosts and, when
//!   the hypervisor is this machine, the neighbour tables and interfaces of
//!   the network namespace knet runs in;
//! - [`generate`] / [`allocate`]: random unicast addresses avoiding them.
//!
//! Never produces a multicast address: the first octet's low bit set makes a
//! NIC the bridge floods and guests drop (libvirt refuses them at define).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use anyhow::{bail, Context, Result};

use crate::libvirt::{Conn, DomainApi, VirtResult};
use crate::xml::edit;

/// QEMU/KVM's locally administered prefix (what libvirt itself generates).
pub const QEMU_OUI: [u8; 3] = [0x52, 0x54, 0x00];

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

/// libvirt's wording (virMacAddrParse callers in src/conf/domain_conf.c).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error("unable to parse mac address '{0}'")]
    Syntax(String),
    #[error("expected unicast mac address, found multicast '{0}'")]
    Multicast(String),
}

/// `:`-separated groups of one or two hex digits (virMacAddrParse accepts
/// `1:2:3:4:5:6`), case-insensitive; `None` on any other shape.
fn octets(s: &str) -> Option<Vec<u8>> {
    s.split(':')
        .map(|p| if !p.is_empty() && p.len() <= 2 && p.bytes().all(|c| c.is_ascii_hexdigit()) { u8::from_str_radix(p, 16).ok() } else { None })
        .collect()
}

impl FromStr for Mac {
    type Err = MacError;
    fn from_str(s: &str) -> Result<Mac, MacError> {
        octets(s).and_then(|o| <[u8; 6]>::try_from(o).ok()).map(Mac).ok_or_else(|| MacError::Syntax(s.to_string()))
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

/// The leading octets every generated MAC shares (one to five, unicast).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(Vec<u8>);

impl FromStr for Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Prefix, String> {
        let o = octets(s).ok_or_else(|| format!("'{s}' is not a MAC prefix (hex octets separated by ':')"))?;
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
        Prefix(QEMU_OUI.to_vec())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
    }
}

/// Every MAC of every guest on the connection, with the guests using it.
/// Both the live and the persistent definition count: a running guest's
/// NICs and the ones it gets at next boot can differ.
pub fn macs_in_use(conn: &dyn DomainApi) -> VirtResult<BTreeMap<Mac, Vec<String>>> {
    let mut used: BTreeMap<Mac, Vec<String>> = BTreeMap::new();
    for d in conn.list_domains()? {
        let mut xmls = vec![conn.domain_xml(&d.name, false)?];
        if d.active && d.persistent {
            xmls.push(conn.domain_xml(&d.name, true)?);
        }
        for xml in xmls {
            for ifc in edit::interfaces(&xml).unwrap_or_default() {
                if let Some(m) = ifc.mac.as_deref().and_then(|m| m.parse::<Mac>().ok()) {
                    let users = used.entry(m).or_default();
                    if !users.contains(&d.name) {
                        users.push(d.name.clone());
                    }
                }
            }
        }
    }
    Ok(used)
}

/// [`macs_in_use`] plus every network's static DHCP hosts, plus the
/// neighbour tables and interfaces of this namespace when `local` (the
/// connection's hypervisor is this machine).
pub fn used_macs(conn: &dyn Conn, local: bool) -> Result<BTreeSet<Mac>> {
    let mut used: BTreeSet<Mac> = macs_in_use(conn).context("failed to list the guests' MAC addresses")?.into_keys().collect();
    for n in conn.list_networks().context("failed to list networks")? {
        let x = conn.network_xml(&n.name, false).with_context(|| format!("failed to get network '{}'", n.name))?;
        for ip in crate::facts::network(&x).ipv4 {
            used.extend(ip.hosts.iter().filter_map(|h| h.mac.as_deref()?.parse::<Mac>().ok()));
        }
    }
    if local {
        used.extend(crate::host::neighbour_macs().iter().filter_map(|m| m.parse::<Mac>().ok()));
        used.extend(crate::host::interfaces().iter().filter_map(|i| crate::host::mac_of(i)?.parse::<Mac>().ok()));
    }
    Ok(used)
}

/// Random bytes from the kernel (no crate needed for six of them).
fn random_bytes(buf: &mut [u8]) {
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(buf).is_ok() {
            return;
        }
    }
    // /dev/urandom missing (odd containers): time and pid still differ per call
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()) ^ std::process::id() as u128;
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (seed >> (i * 8)) as u8;
    }
}

fn random_under(prefix: &Prefix) -> Mac {
    let mut b = [0u8; 6];
    random_bytes(&mut b);
    b[..prefix.0.len()].copy_from_slice(&prefix.0);
    Mac(b)
}

/// A random 52:54:00:xx:xx:xx not in `taken`.
pub fn generate(taken: &dyn Fn(&Mac) -> bool) -> Mac {
    let qemu = Prefix::default();
    loop {
        let m = random_under(&qemu);
        if !taken(&m) {
            return m;
        }
    }
}

/// `count` random MACs under `prefix`, none in `used`, all distinct; an
/// error when the prefix has fewer free addresses than that.
pub fn allocate(used: &BTreeSet<Mac>, prefix: &Prefix, count: usize) -> Result<Vec<Mac>> {
    let space = 1u64 << (8 * (6 - prefix.0.len()) as u32);
    let taken = used.iter().filter(|m| m.0.starts_with(&prefix.0)).count() as u64;
    if count as u64 > space - taken {
        bail!("only {} free addresses under prefix {prefix} ({taken} taken)", space - taken);
    }
    let mut out: Vec<Mac> = Vec::with_capacity(count);
    while out.len() < count {
        // the prefix is unicast, so every draw is; the count check above
        // guarantees free addresses remain, so the loop ends
        let m = random_under(prefix);
        if !used.contains(&m) && !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
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
    fn generated_macs_avoid_taken_ones() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let m = generate(&|m| seen.contains(m));
            assert_eq!(&m.0[..3], &QEMU_OUI);
            assert!(!m.is_multicast());
            assert!(seen.insert(m));
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!("52:54:00".parse::<Prefix>().unwrap(), Prefix::default());
        assert!("01:00:5e".parse::<Prefix>().unwrap_err().contains("multicast"));
        assert!("52:54:00:00:00:00".parse::<Prefix>().is_err());
        assert!("zz".parse::<Prefix>().is_err());
    }

    #[test]
    fn allocation_fills_a_tiny_space_exactly() {
        let p: Prefix = "52:54:00:12:34".parse().unwrap();
        let used: BTreeSet<Mac> = (0..=255u8).filter(|b| *b != 7).map(|b| Mac([0x52, 0x54, 0, 0x12, 0x34, b])).collect();
        assert_eq!(allocate(&used, &p, 1).unwrap(), vec![Mac([0x52, 0x54, 0, 0x12, 0x34, 7])]);
        assert_eq!(allocate(&used, &p, 2).unwrap_err().to_string(), "only 1 free addresses under prefix 52:54:00:12:34 (255 taken)");
    }
}
