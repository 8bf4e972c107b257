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

pub const V8_3: Version = Version::new(8, 3);
pub const V8_5: Version = Version::new(8, 5);
pub const V8_7: Version = Version::new(8, 7);
pub const V9_0: Version = Version::new(9, 0);
pub const V9_7: Version = Version::new(9, 7);
pub const V10_0: Version = Version::new(10, 0);
pub const V10_1: Version = Version::new(10, 1);
pub const V11_1: Version = Version::new(11, 1);
pub const V11_2: Version = Version::new(11, 2);
pub const V8_0: Version = Version::new(8, 0);
pub const V11_3: Version = Version::new(11, 3);

/// Where a construct exists: from `since` (inclusive) to `until`
/// (exclusive). `after` is set when knet knows only bounds: the construct
/// is absent from `after` and present in `since`, the release between them
/// that added it being unknown to knet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub after: Option<Version>,
    pub since: Option<Version>,
    pub until: Option<Version>,
}

/// What a [`Span`] says about one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    Yes,
    /// Too old; the text names the release(s) to upgrade to.
    TooOld(String),
    /// Between `after` and `since`: the release may or may not have it.
    Unsure(String),
    /// Removed in this release.
    Removed(Version),
}

impl Span {
    pub const ALWAYS: Span = Span { after: None, since: None, until: None };
    pub const fn since(v: Version) -> Span {
        Span { after: None, since: Some(v), until: None }
    }
    /// Added by some release after `after`, known to be in `by`.
    pub const fn between(after: Version, by: Version) -> Span {
        Span { after: Some(after), since: Some(by), until: None }
    }
    pub const fn until(v: Version) -> Span {
        Span { after: None, since: None, until: Some(v) }
    }

    pub fn fit(self, target: Version) -> Fit {
        if let Some(u) = self.until {
            if target >= u {
                return Fit::Removed(u);
            }
        }
        match (self.after, self.since) {
            (None, Some(s)) if target < s => Fit::TooOld(format!("libvirt {s} or later")),
            (Some(a), Some(s)) if target <= a => {
                Fit::TooOld(format!("a libvirt release after {a} ({s} has it)"))
            }
            (Some(a), Some(s)) if target < s => {
                Fit::Unsure(format!("a libvirt release after {a} ({s} has it)"))
            }
            _ => Fit::Yes,
        }
    }
}

/// The release installed on this machine, when it can be told without
/// loading libvirt: the shared library's file name encodes it
/// (libvirt.so.0.9000.0 is 9.0.0), else libvirt.pc's Version: line.
pub fn installed() -> Option<Version> {
    // Read once per process: domif-convert validates every guest.
    static INSTALLED: std::sync::OnceLock<Option<Version>> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(read_installed)
}

fn read_installed() -> Option<Version> {
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
        assert_eq!(Span::since(V11_1).fit(V9_0), Fit::TooOld("libvirt 11.1 or later".into()));
        assert_eq!(Span::since(V11_1).fit(V11_3), Fit::Yes);
        assert_eq!(Span::until(V10_0).fit(V11_3), Fit::Removed(V10_0));
        assert!(matches!(Span::between(V9_0, V11_3).fit(V10_0), Fit::Unsure(_)));
        assert!(matches!(Span::between(V9_0, V11_3).fit(V9_0), Fit::TooOld(_)));
    }
}
