//! libvirt releases the grammar and rules are written for: which release a
//! check targets, which releases knet knows, and which one is installed here.
//!
//! The grammar ([`super::schema`]) is the union of every known release;
//! each element, attribute or value that some release lacks carries the
//! release it appeared in (`since`) or the first one without it (`until`).
//! The structure pass refuses a construct outside the target's range with
//! rule `newer-libvirt` / `removed-in-libvirt`, naming the release.
//!
//! Never loads libvirt: the installed release is read from the file name
//! of libvirt's shared library or from its pkg-config data.

use std::fmt;

/// A libvirt release, major.minor (libvirt's micro releases never change the XML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    pub const fn new(major: u16, minor: u16) -> Version {
        Version { major, minor }
    }

    /// `9.0`, `9.0.0` or `11.3`; libvirt's own numbers (major below 100).
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse::<u16>().ok()?;
        let minor = it.next().map_or(Some(0), |m| m.parse::<u16>().ok())?;
        if let Some(micro) = it.next() {
            micro.parse::<u16>().ok()?;
        }
        if it.next().is_some() || major == 0 || major >= 100 || minor >= 100 {
            return None;
        }
        Some(Version { major, minor })
    }

    /// virConnectGetLibVersion's number: major * 1,000,000 + minor * 1,000 + micro.
    pub fn from_lib_version(v: u64) -> Version {
        Version::new((v / 1_000_000).min(u16::MAX as u64) as u16, ((v / 1000) % 1000) as u16)
    }

    /// Newer than every release knet was written against: its own verdict
    /// on unknown names is then advice, and libvirt's schema check decides.
    pub fn is_beyond_known(self) -> bool {
        self > NEWEST
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The releases whose grammar knet knows: those admins run (Ubuntu 22.04,
/// Debian 12, Ubuntu 24.04, Debian 13). 9.0 and 11.3 are complete and
/// checked against their own schemas; 8.0 and 10.0 know what is newer
/// than them from libvirt's documentation ("Since X.Y").
pub const KNOWN: &[Version] = &[V8_0, V9_0, V10_0, V11_3];
pub const NEWEST: Version = V11_3;

pub const V6_0: Version = Version::new(6, 0);
pub const V7_3: Version = Version::new(7, 3);
pub const V8_0: Version = Version::new(8, 0);
pub const V8_1: Version = Version::new(8, 1);
pub const V8_6: Version = Version::new(8, 6);
pub const V9_0: Version = Version::new(9, 0);
pub const V9_3: Version = Version::new(9, 3);
pub const V9_5: Version = Version::new(9, 5);
pub const V9_8: Version = Version::new(9, 8);
pub const V10_0: Version = Version::new(10, 0);
pub const V10_1: Version = Version::new(10, 1);
pub const V10_6: Version = Version::new(10, 6);
pub const V10_8: Version = Version::new(10, 8);
pub const V11_0: Version = Version::new(11, 0);
pub const V11_2: Version = Version::new(11, 2);
pub const V11_3: Version = Version::new(11, 3);

/// Where a construct exists: from `since` (inclusive) to `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub since: Option<Version>,
    pub until: Option<Version>,
}

impl Span {
    pub const ALWAYS: Span = Span { since: None, until: None };
    pub const fn since(v: Version) -> Span {
        Span { since: Some(v), until: None }
    }
    pub const fn until(v: Version) -> Span {
        Span { since: None, until: Some(v) }
    }
    /// `Err(needed)` when `target` is too old, `Ok(false)` when too new.
    pub fn check(self, target: Version) -> Result<bool, Version> {
        match (self.since, self.until) {
            (Some(s), _) if target < s => Err(s),
            (_, Some(u)) if target >= u => Ok(false),
            _ => Ok(true),
        }
    }
}

/// The release installed on this machine, when it can be told without
/// loading libvirt: the shared library's file name encodes it
/// (libvirt.so.0.9000.0 is 9.0.0), else libvirt.pc's Version: line.
pub fn installed() -> Option<Version> {
    let triplet = format!("{}-linux-gnu", std::env::consts::ARCH);
    let dirs = [
        format!("/usr/lib/{triplet}"),
        "/usr/lib64".to_string(),
        "/usr/lib".to_string(),
        "/usr/local/lib".to_string(),
    ];
    for d in &dirs {
        if let Ok(target) = std::fs::read_link(format!("{d}/libvirt.so.0")) {
            if let Some(v) = from_soname(&target.to_string_lossy()) {
                return Some(v);
            }
        }
    }
    for d in &dirs {
        if let Ok(pc) = std::fs::read_to_string(format!("{d}/pkgconfig/libvirt.pc")) {
            if let Some(v) = pc.lines().find_map(|l| l.strip_prefix("Version:")).and_then(Version::parse) {
                return Some(v);
            }
        }
    }
    None
}

/// `libvirt.so.0.9000.0` -> 9.0 (libvirt's library version is major*1000+minor).
fn from_soname(name: &str) -> Option<Version> {
    let rest = name.rsplit('/').next()?.strip_prefix("libvirt.so.0.")?;
    let n: u32 = rest.split('.').next()?.parse().ok()?;
    let v = Version::new((n / 1000) as u16, (n % 1000) as u16);
    (v.major > 0 && v.major < 100 && v.minor < 100).then_some(v)
}

/// The release `knet validate` checks for without --libvirt-version.
pub fn default_target() -> Version {
    installed().unwrap_or(NEWEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases_and_library_names() {
        assert_eq!(Version::parse("9.0"), Some(V9_0));
        assert_eq!(Version::parse("11.3.0"), Some(V11_3));
        assert_eq!(Version::parse("10"), Some(V10_0));
        assert_eq!(Version::parse("9.x"), None);
        assert_eq!(Version::parse("9000"), None);
        assert_eq!(from_soname("libvirt.so.0.9000.0"), Some(V9_0));
        assert_eq!(from_soname("/usr/lib64/libvirt.so.0.11003.0"), Some(V11_3));
        assert_eq!(Version::from_lib_version(10_000_000), V10_0);
        assert_eq!(Version::from_lib_version(11_003_000), V11_3);
        assert_eq!(Span::since(V11_0).check(V9_0), Err(V11_0));
        assert_eq!(Span::until(V10_0).check(V11_3), Ok(false));
    }
}
