//! Address arithmetic and syntax, the one place knet does it: IPv4/IPv6
//! addresses, netmasks, prefixes, subnets, and UUIDs (MAC addresses are
//! [`crate::mac`]'s). Used by the validator's rules, the XML facts and the
//! commands that plan addresses (net-new, net-dhcp-host, port-forward,
//! bridge-config).
//!
//! Syntax here is libvirt's schema syntax (basictypes.rng), which is stricter
//! than its parser: libvirt's parser hands addresses to getaddrinfo(), which
//! reads `192.168.1` as 192.168.0.1 and `10.1` as 10.0.0.1. We refuse those
//! short forms (and leading zeros, which some resolvers read as octal).
//! Pure functions and values only; nothing here knows about XML, positions or
//! the command line.

use std::net::{IpAddr, Ipv4Addr};

// Address syntax itself is std's: `Ipv4Addr`'s parser takes exactly four
// decimal parts 0-255 and refuses leading zeros, `Ipv6Addr`'s refuses zone
// ids and holds an embedded dotted quad to the same rule, which is the
// schema's strictness (the test below pins it). Only what std lacks is here.

/// What the C library's numeric-host parser (inet_aton, behind
/// getaddrinfo with AI_NUMERICHOST) takes as IPv4: one to four parts,
/// each decimal, octal (leading 0) or hex (0x), the last filling the
/// remaining bytes (`10.1` is 10.0.0.1, `0` is 0.0.0.0). libvirt parses
/// some free-form address attributes this way.
pub fn parse_ipv4_lenient(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            Some(h) => (h, 16),
            None if p.len() > 1 && p.starts_with('0') => (&p[1..], 8),
            None => (*p, 10),
        };
        if digits.is_empty() && radix != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        nums.push(if digits.is_empty() { 0 } else { u64::from_str_radix(digits, radix).ok()? });
    }
    let last = nums.pop()?;
    if nums.iter().any(|n| *n > 255) || last >= 1u64 << (8 * (4 - nums.len())) {
        return None;
    }
    let mut v: u32 = 0;
    for (i, n) in nums.iter().enumerate() {
        v |= (*n as u32) << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(v | last as u32))
}

/// Whether `s` looks like an abbreviated IPv4 address (`192.168.1`, `10.1`):
/// digits and dots, fewer than four parts. Used only to word the error.
pub fn is_short_ipv4(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.split('.').count() < 4
        && s.split('.').all(|p| !p.is_empty())
}

/// The prefix length of a contiguous netmask, or None (e.g. 255.0.255.0).
pub fn netmask_prefix(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// Whether `a` is in the inclusive range `start..=end` (a DHCP `<range>`).
pub fn in_range(a: Ipv4Addr, (start, end): (Ipv4Addr, Ipv4Addr)) -> bool {
    (u32::from(start)..=u32::from(end)).contains(&u32::from(a))
}

pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn bits(ip: IpAddr) -> u32 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

/// The mask of a `prefix`-bit network in `ip`'s family (prefix already range-checked).
fn mask(ip: IpAddr, prefix: u32) -> u128 {
    let b = bits(ip);
    let p = prefix.min(b);
    if p == 0 {
        return 0;
    }
    let all: u128 = if b == 128 {
        u128::MAX
    } else {
        (1u128 << b) - 1
    };
    let host: u128 = if p == b { 0 } else { (1u128 << (b - p)) - 1 };
    all & !host
}

/// Whether `ip` is in the `prefix`-bit network of `net` (same family required).
pub fn in_subnet(ip: IpAddr, net: IpAddr, prefix: u32) -> bool {
    if ip.is_ipv4() != net.is_ipv4() {
        return false;
    }
    let m = mask(net, prefix);
    to_u128(ip) & m == to_u128(net) & m
}

pub fn network_address(net: IpAddr, prefix: u32) -> u128 {
    to_u128(net) & mask(net, prefix)
}

pub fn broadcast_address(net: IpAddr, prefix: u32) -> u128 {
    let b = bits(net);
    let all: u128 = if b == 128 {
        u128::MAX
    } else {
        (1u128 << b) - 1
    };
    network_address(net, prefix) | (all & !mask(net, prefix))
}

/// libvirt's default prefix when an IPv4 `<ip>` has neither netmask nor
/// prefix: the classful one (virSocketAddrGetIPPrefix); 64 for IPv6.
pub fn default_prefix(ip: IpAddr) -> Option<u32> {
    match ip {
        IpAddr::V4(a) => {
            let first = a.octets()[0];
            if first < 128 {
                Some(8)
            } else if first < 192 {
                Some(16)
            } else if first < 224 {
                Some(24)
            } else {
                None
            }
        }
        IpAddr::V6(_) => Some(64),
    }
}

/// A UUID as the schema writes it: 32 hex digits, bare or in 8-4-4-4-12 groups.
pub fn is_uuid(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
    if s.len() == 32 {
        return hex(s, 32);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n))
}

/// An IPv4 subnet (network address + prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subnet {
    pub net: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Subnet {
        Subnet {
            net: Ipv4Addr::from(u32::from(addr) & Self::mask_of(prefix)),
            prefix,
        }
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
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not an IPv4 CIDR (expected A.B.C.D/N)"))?;
        let a: Ipv4Addr = a
            .parse()
            .map_err(|_| format!("'{a}' is not an IPv4 address"))?;
        let p: u8 = p
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("'{p}' is not a prefix length (0-32)"))?;
        Ok(Subnet::new(a, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    /// std's parsers are as strict as libvirt's schema (knet relies on it).
    #[test]
    fn std_address_syntax_is_the_schemas() {
        let v4 = |s: &str| s.parse::<Ipv4Addr>().is_ok();
        let v6 = |s: &str| s.parse::<Ipv6Addr>().is_ok();
        assert!(v4("192.168.1.1") && v4("0.0.0.0"));
        for bad in ["192.168.1", "192.168.01.1", "256.1.1.1", "1.2.3.4.5", "1.2.3.", "+1.2.3.4", "0x1.2.3.4", " 1.2.3.4"] {
            assert!(!v4(bad), "{bad}");
        }
        assert!(v6("2001:db8::1") && v6("::ffff:192.168.1.1") && v6("::"));
        for bad in ["fe80::1%eth0", "::ffff:192.168.01.1", "1.2.3.4", "2001:db8:::1", "[::1]"] {
            assert!(!v6(bad), "{bad}");
        }
        assert!(is_short_ipv4("10.1"));
    }

    #[test]
    fn netmasks() {
        assert_eq!(netmask_prefix("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(netmask_prefix("0.0.0.0".parse().unwrap()), Some(0));
        assert_eq!(netmask_prefix("255.255.255.255".parse().unwrap()), Some(32));
        assert_eq!(netmask_prefix("255.0.255.0".parse().unwrap()), None);
    }

    #[test]
    fn subnets() {
        let net: IpAddr = "192.168.122.1".parse().unwrap();
        assert!(in_subnet("192.168.122.254".parse().unwrap(), net, 24));
        assert!(!in_subnet("192.168.123.2".parse().unwrap(), net, 24));
        assert_eq!(
            broadcast_address(net, 24),
            u32::from(Ipv4Addr::new(192, 168, 122, 255)) as u128
        );
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(in_subnet("2001:db8::ff".parse().unwrap(), v6, 64));
        assert!(in_subnet("2001:db9::ff".parse().unwrap(), v6, 0));
        assert!(!in_subnet("2001:db8::2".parse().unwrap(), v6, 128));
    }

    #[test]
    fn ipv4_subnets() {
        let s: Subnet = "192.168.5.7/24".parse().unwrap();
        assert_eq!(s.to_string(), "192.168.5.0/24");
        assert!(s.overlaps(&"192.168.0.0/16".parse().unwrap()));
        assert!(!s.overlaps(&"192.168.6.0/24".parse().unwrap()));
        assert_eq!(s.broadcast(), Ipv4Addr::new(192, 168, 5, 255));
    }
}

#[cfg(test)]
mod lenient_tests {
    use super::parse_ipv4_lenient as p;
    #[test]
    fn reads_numeric_hosts_like_inet_aton() {
        assert_eq!(p("0"), Some("0.0.0.0".parse().unwrap()));
        assert_eq!(p("10.1"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(p("192.168.1"), Some("192.168.0.1".parse().unwrap()));
        assert_eq!(p("0x7f.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(p("010.0.0.1"), Some("8.0.0.1".parse().unwrap()));
        assert_eq!(p("256.1.1.1"), None);
        assert_eq!(p("1.2.3.4.5"), None);
        assert_eq!(p("tftp"), None);
        assert_eq!(p("08"), None);
    }
}
