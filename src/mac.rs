//! MAC addresses of guest NICs: parsing as libvirt does, the set already in
//! use on a host, and collision-free generation in QEMU's 52:54:00 prefix.
//!
//! Shared by attach-interface and mac-gen. virsh and virt-xml accept a MAC
//! that another guest already has; two guests on one L2 segment with the same
//! MAC silently steal each other's traffic, so knet checks every defined
//! guest (live and persistent config) first.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::libvirt::{DomainApi, VirtResult};
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

impl FromStr for Mac {
    type Err = MacError;
    /// Six `:`-separated groups of one or two hex digits (virMacAddrParse
    /// accepts `1:2:3:4:5:6`), case-insensitive.
    fn from_str(s: &str) -> Result<Mac, MacError> {
        let bad = || MacError::Syntax(s.to_string());
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for b in out.iter_mut() {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
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

/// A random 52:54:00:xx:xx:xx not in `taken`.
pub fn generate(taken: &dyn Fn(&Mac) -> bool) -> Mac {
    loop {
        let mut tail = [0u8; 3];
        random_bytes(&mut tail);
        let m = Mac([QEMU_OUI[0], QEMU_OUI[1], QEMU_OUI[2], tail[0], tail[1], tail[2]]);
        if !taken(&m) {
            return m;
        }
    }
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
}
