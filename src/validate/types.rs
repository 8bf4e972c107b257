//! Attribute and text value types of libvirt's schema (basictypes.rng,
//! networkcommon.rng, domaincommon.rng), each a small predicate with a
//! human description used in messages ("expected a PCI slot (0-0x1f)").
//!
//! Names follow the schema's `<define>` names so a reader can map one to the
//! other. Never panics; no allocation on the accepting path.

use crate::ipnet as ip;

/// What a value must look like.
#[derive(Clone, Copy)]
pub enum Ty {
    /// One of these words exactly (case matters, as in the schema).
    Enum(&'static [&'static str]),
    /// The same as a string pattern `(a)|(b)` in libvirt's schema: no
    /// whitespace collapse, so a padded word fails the schema itself.
    Words(&'static [&'static str]),
    /// A predicate, what it expects (worded for "expected ..."), and the
    /// same type as a RelaxNG pattern for xml-schemas/ (see rng.rs).
    Check(fn(&str) -> bool, &'static str, &'static str),
}

impl Ty {
    /// Whether libvirt's schema takes `v`. As in RelaxNG, a `<value>` (a
    /// token) and an XSD number are compared with their surrounding
    /// whitespace collapsed (`stp=' on'` is `on`); a string pattern sees
    /// the value as written.
    pub fn accepts(&self, v: &str) -> bool {
        match self {
            Ty::Enum(vals) => vals.contains(&collapse(v).as_ref()),
            Ty::Words(vals) => vals.contains(&v),
            Ty::Check(f, _, rng) => {
                f(v) || (self.collapses() && collapse(v) != v && {
                    let c = collapse(v);
                    // A choice of a hex string and a number: only the number collapses.
                    f(&c) && (!rng.starts_with("<choice>") || c.strip_prefix(['+', '-']).unwrap_or(&c).bytes().all(|b| b.is_ascii_digit()))
                })
            }
        }
    }

    /// Whether the schema (as libxml2 checks it) compares this type's values
    /// with whitespace collapsed, so a padded value passes: tokens, and XSD
    /// numbers without a pattern facet (libxml2 matches a pattern against
    /// the value as written).
    pub fn collapses(&self) -> bool {
        match self {
            Ty::Enum(_) => true,
            Ty::Words(_) => false,
            // The first XSD datatype other than string (numbers, NCName, ...).
            Ty::Check(_, _, rng) => rng
                .match_indices("<data type=\"")
                .map(|(at, _)| &rng[at..])
                .find(|d| !d.starts_with("<data type=\"string\""))
                .is_some_and(|d| {
                    let end = d.find("</data>").or_else(|| d.find("/>")).unwrap_or(d.len());
                    !d[..end].contains("\"pattern\"")
                }),
        }
    }
}

/// XML Schema's whitespace collapse: leading and trailing blanks dropped,
/// inner runs made one space.
pub fn collapse(v: &str) -> std::borrow::Cow<'_, str> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let t = v.trim_matches(ws);
    if t.len() == v.len() && !t.contains(|c: char| ws(c) && c != ' ') && !t.contains("  ") {
        return std::borrow::Cow::Borrowed(v);
    }
    std::borrow::Cow::Owned(t.split(ws).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "))
}

pub const TEXT: Ty = Ty::Check(|_| true, "text", "<text/>");
pub const YES_NO: Ty = Ty::Enum(&["yes", "no"]);
pub const ON_OFF: Ty = Ty::Enum(&["on", "off"]);

fn digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}
fn hex(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit())
}
/// `[0-9]+` within `max` (libvirt's unsignedInt/unsignedLong: no sign).
fn uint_max(v: &str, max: u64) -> bool {
    digits(v) && v.trim_start_matches('0').len() <= 20 && v.parse::<u128>().is_ok_and(|n| n <= max as u128)
}
/// xsd:int / xsd:integer lexical form (optional sign) within a range.
fn int_range(v: &str, min: i64, max: i64) -> bool {
    let body = v.strip_prefix(['+', '-']).unwrap_or(v);
    digits(body) && body.trim_start_matches('0').len() <= 19 && v.parse::<i128>().is_ok_and(|n| n >= min as i128 && n <= max as i128)
}
/// The schema's `uintN`: `0x` + up to `hexlen` hex digits (`0x` optional when
/// `opt0x`), or a decimal int within `max`.
fn hex_or_dec(v: &str, hexlen: usize, opt0x: bool, max: i64) -> bool {
    let h = v.strip_prefix("0x");
    let hex_ok = match h {
        Some(h) => hex(h) && h.len() <= hexlen,
        None => opt0x && hex(v) && v.len() <= hexlen,
    };
    hex_ok || int_range(v, 0, max)
}
fn chars_in(v: &str, extra: &[u8]) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

pub const UNSIGNED_INT: Ty = Ty::Check(|v| uint_max(v, u32::MAX as u64), "an unsigned integer", "<data type=\"unsignedInt\"><param name=\"pattern\">[0-9]+</param></data>");
pub const UNSIGNED_LONG: Ty = Ty::Check(|v| uint_max(v, u64::MAX), "an unsigned integer", "<data type=\"unsignedLong\"><param name=\"pattern\">[0-9]+</param></data>");
pub const POSITIVE_INT: Ty = Ty::Check(|v| digits(v) && v.bytes().any(|b| b != b'0'), "a positive integer", "<data type=\"positiveInteger\"><param name=\"pattern\">[0-9]+</param></data>");
/// networkcommon's `speed` / `BurstSize`: 1..2^32-1.
pub const SPEED: Ty = Ty::Check(|v| uint_max(v, u32::MAX as u64) && v.bytes().any(|b| b != b'0'), "a positive integer (kibibytes per second)", "<data type=\"unsignedInt\"><param name=\"pattern\">[0-9]+</param><param name=\"minInclusive\">1</param></data>");
pub const USHORT: Ty = Ty::Check(|v| int_range(v, 0, 65535), "an integer 0-65535", "<data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">65535</param></data>");
pub const PORT: Ty = Ty::Check(|v| int_range(v, 1, 65535), "a port number 1-65535", "<data type=\"int\"><param name=\"minInclusive\">1</param><param name=\"maxInclusive\">65535</param></data>");
pub const PORT_NUMBER: Ty = Ty::Check(|v| int_range(v, -1, 65535), "a port number -1-65535", "<data type=\"int\"><param name=\"minInclusive\">-1</param><param name=\"maxInclusive\">65535</param></data>");
pub const LONG: Ty = Ty::Check(|v| int_range(v, i64::MIN, i64::MAX), "an integer", "<data type=\"long\"/>");
pub const UINT8: Ty = Ty::Check(|v| hex_or_dec(v, 2, false, 255), "a number 0-255 (or 0x0-0xff)", "<choice><data type=\"string\"><param name=\"pattern\">0x[0-9a-fA-F]{1,2}</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">255</param></data></choice>");
pub const UINT16: Ty = Ty::Check(|v| hex_or_dec(v, 4, true, 65535), "a number 0-65535 (or 0x0-0xffff)", "<choice><data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,4}</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">65535</param></data></choice>");
pub const UINT24: Ty = Ty::Check(|v| hex_or_dec(v, 6, false, 16777215), "a number 0-16777215 (or 0x0-0xffffff)", "<choice><data type=\"string\"><param name=\"pattern\">0x[0-9a-fA-F]{1,6}</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">16777215</param></data></choice>");
pub const UINT32: Ty = Ty::Check(|v| hex_or_dec(v, 8, true, u32::MAX as i64), "a number 0-4294967295 (or 0x0-0xffffffff)", "<choice><data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,8}</param></data><data type=\"unsignedInt\"/></choice>");
pub const PCI_DOMAIN: Ty = Ty::Check(|v| hex_or_dec(v, 8, true, u32::MAX as i64), "a PCI domain (0-0xffffffff)", "<choice><data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,8}</param></data><data type=\"unsignedInt\"/></choice>");
pub const PCI_BUS: Ty = Ty::Check(|v| hex_or_dec(v, 2, false, 255), "a PCI bus number (0-0xff)", "<choice><data type=\"string\"><param name=\"pattern\">0x[0-9a-fA-F]{1,2}</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">255</param></data></choice>");
pub const PCI_SLOT: Ty = Ty::Check(pci_slot, "a PCI slot number (0-0x1f)", "<choice><data type=\"string\"><param name=\"pattern\">(0x)?[0-1]?[0-9a-fA-F]</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">31</param></data></choice>");
pub const PCI_FUNC: Ty = Ty::Check(pci_func, "a PCI function number (0-7)", "<choice><data type=\"string\"><param name=\"pattern\">(0x)?[0-7]</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">7</param></data></choice>");
pub const VLAN_TAG: Ty = Ty::Check(|v| uint_max(v.strip_prefix('+').unwrap_or(v), 4095), "a VLAN tag 0-4095", "<data type=\"unsignedInt\"><param name=\"maxInclusive\">4095</param></data>");
/// An inline `<data type="unsignedInt"/>` (no pattern facet, unlike
/// basictypes' `unsignedInt`): XSD's lexical form, sign and blanks allowed.
pub const XSD_UNSIGNED_INT: Ty = Ty::Check(|v| uint_max(v.strip_prefix('+').unwrap_or(v), u32::MAX as u64), "an unsigned integer", "<data type=\"unsignedInt\"/>");
/// An inline `<data type="unsignedLong"/>`.
pub const XSD_UNSIGNED_LONG: Ty = Ty::Check(|v| uint_max(v.strip_prefix('+').unwrap_or(v), u64::MAX), "an unsigned integer", "<data type=\"unsignedLong\"/>");
pub const IPV4_PREFIX: Ty = Ty::Check(|v| uint_max(v.strip_prefix('+').unwrap_or(v), 32), "a prefix length 0-32", "<data type=\"unsignedInt\"><param name=\"maxInclusive\">32</param></data>");
/// basictypes' ipPrefix: ipv4Prefix | ipv6Prefix, i.e. 0-128; the family
/// check (33 on an IPv4 address) is a semantic rule.
pub const IP_PREFIX: Ty = Ty::Check(|v| uint_max(v.strip_prefix('+').unwrap_or(v), 128), "a prefix length (0-32 for IPv4, 0-128 for IPv6)", "<data type=\"unsignedInt\"><param name=\"maxInclusive\">128</param></data>");
pub const IPV4_ADDR: Ty = Ty::Check(|v| v.parse::<std::net::Ipv4Addr>().ok().is_some(), "an IPv4 address in dotted-quad form (e.g. 192.168.122.1)", "<data type=\"string\"><param name=\"pattern\">IPV4</param></data>");
pub const IP_ADDR: Ty = Ty::Check(|v| v.parse::<std::net::IpAddr>().ok().is_some(), "an IPv4 (dotted quad) or IPv6 address", "<choice><data type=\"string\"><param name=\"pattern\">IPV4</param></data><data type=\"string\"><param name=\"pattern\">IPV6</param></data></choice>");
pub const UNI_MAC: Ty = Ty::Check(|v| crate::mac::Mac::parse_schema(v).is_some_and(|m| !m.is_multicast()), "a unicast MAC address (e.g. 52:54:00:12:34:56)", "<data type=\"string\"><param name=\"pattern\">[a-fA-F0-9][02468aAcCeE](:[a-fA-F0-9]{2}){5}</param></data>");
pub const UUID: Ty = Ty::Check(ip::is_uuid, "a UUID (32 hex digits, optionally as 8-4-4-4-12)", "<data type=\"string\"><param name=\"pattern\">[a-fA-F0-9]{32}|[a-fA-F0-9]{8}-([a-fA-F0-9]{4}-){3}[a-fA-F0-9]{12}</param></data>");
pub const DEVICE_NAME: Ty = Ty::Check(|v| chars_in(v, b"_.-\\:/"), "a device name (letters, digits and _ . - \\ : /)", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_.\\-\\\\:/]+</param></data>");
pub const DNS_NAME: Ty = Ty::Check(|v| chars_in(v, b".-"), "a DNS name (letters, digits, '.' and '-')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9.\\-]+</param></data>");
pub const ZONE_NAME: Ty = Ty::Check(|v| chars_in(v, b"_-"), "a firewalld zone name (letters, digits, '_' and '-')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_\\-]+</param></data>");
pub const ALIAS_NAME: Ty = Ty::Check(|v| chars_in(v, b"_-."), "an alias name (letters, digits, '_', '-' and '.')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_\\-.]+</param></data>");
pub const MODEL_TYPE: Ty = Ty::Check(|v| chars_in(v, b"-_"), "a NIC model name (letters, digits, '-' and '_')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9\\-_]+</param></data>");
pub const NCNAME: Ty = Ty::Check(ncname, "an XML name (no ':' or spaces)", "<data type=\"NCName\"/>");
pub const FILTER_PARAM_NAME: Ty = Ty::Check(|v| chars_in(v, b"_"), "a filter parameter name (letters, digits, '_')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_]+</param></data>");
pub const FILTER_PARAM_VALUE: Ty = Ty::Check(|v| chars_in(v, b"_.:"), "a filter parameter value (letters, digits, '_', '.' and ':')", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_.:]+</param></data>");
pub const FILE_PATH: Ty = Ty::Check(|v| !v.is_empty() && !v.contains(['\n', '\r']), "a non-empty path", "<data type=\"string\"><param name=\"pattern\">.+</param></data>");
pub const ABS_FILE_PATH: Ty = Ty::Check(abs_path, "an absolute path", "<data type=\"string\"><param name=\"pattern\">(/|[a-zA-Z]:\\\\).+</param></data>");
pub const OBJECT_NAME_WITH_SLASH: Ty = Ty::Check(|v| !v.is_empty() && !v.contains('\n'), "a non-empty single line", "<data type=\"string\"><param name=\"pattern\">[^\\n]+</param></data>");
/// networkcommon's virtualPortProfileID: at most 39 characters.
pub const PROFILE_ID: Ty = Ty::Check(|v| v.chars().count() <= 39, "a profile id of at most 39 characters", "<data type=\"string\"><param name=\"maxLength\">39</param></data>");
pub const BRIDGE_ATTR: Ty = Ty::Check(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-\\:/ ".contains(&b)), "a bridge name (letters, digits and _ . - \\ : / space)", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_.\\-\\\\:/ ]*</param></data>");
pub const DUID: Ty = Ty::Check(duid, "a DHCPv6 DUID (colon-separated hex bytes, e.g. 00:01:00:01:...)", "<choice><data type=\"string\"><param name=\"pattern\">0{1,2}:0?1:0{1,2}:0?[a-fA-F1-9](:[a-fA-F0-9]{1,2}){4}(:[a-fA-F0-9]{1,2}){6,8}</param></data><data type=\"string\"><param name=\"pattern\">0{1,2}:0?2(:[a-fA-F0-9]{1,2}){4}(:[a-fA-F0-9]{1,2}){1,124}</param></data><data type=\"string\"><param name=\"pattern\">0{1,2}:0?3:0{1,2}:0?[a-fA-F1-9](:[a-fA-F0-9]{1,2}){6,8}</param></data><data type=\"string\"><param name=\"pattern\">0{1,2}:0?4(:[a-fA-F0-9]{1,2}){16}</param></data></choice>");
pub const USB_ADDR: Ty = Ty::Check(|v| hex_opt0x(v, 3), "a USB bus/device number (up to 3 hex digits)", "<data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,3}</param></data>");
pub const USB_ID: Ty = Ty::Check(|v| hex_opt0x(v, 4), "a USB id (up to 4 hex digits)", "<data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,4}</param></data>");
pub const USB_PORT: Ty = Ty::Check(|v| v.split('.').count() <= 4 && v.split('.').all(|p| hex_opt0x(p, 3)), "a USB port path (e.g. 1.2)", "<data type=\"string\"><param name=\"pattern\">((0x)?[0-9a-fA-F]{1,3}\\.){0,3}(0x)?[0-9a-fA-F]{1,3}</param></data>");
pub const DRIVE_NUM2: Ty = Ty::Check(|v| digits(v) && v.len() <= 2, "a number of at most 2 digits", "<data type=\"string\"><param name=\"pattern\">[0-9]{1,2}</param></data>");
pub const DRIVE_UNIT: Ty = Ty::Check(|v| digits(v) && v.len() <= 5, "a number of at most 5 digits", "<data type=\"string\"><param name=\"pattern\">[0-9]{1,5}</param></data>");
pub const SPAPR_REG: Ty = Ty::Check(|v| hex_opt0x(v, 8), "a register address (up to 8 hex digits)", "<data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-fA-F]{1,8}</param></data>");
pub const HEXUINT: Ty = Ty::Check(|v| { let h = v.strip_prefix("0x").unwrap_or(v); !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) }, "a hexadecimal number", "<data type=\"string\"><param name=\"pattern\">(0x)?[0-9a-f]+</param></data>");
pub const ISA_IOBASE: Ty = Ty::Check(|v| v.strip_prefix("0x").is_some_and(|h| hex(h) && h.len() <= 4), "0x followed by up to 4 hex digits", "<data type=\"string\"><param name=\"pattern\">0x[a-fA-F0-9]{1,4}</param></data>");
pub const ISA_IRQ: Ty = Ty::Check(|v| v.strip_prefix("0x").is_some_and(|h| hex(h) && h.len() == 1), "0x followed by one hex digit", "<data type=\"string\"><param name=\"pattern\">0x[a-fA-F0-9]</param></data>");
pub const CCW_CSSID: Ty = Ty::Check(|v| v.strip_prefix("0x").map_or_else(|| int_range(v, 0, 254), |h| hex(h) && h.len() <= 2 && !h.eq_ignore_ascii_case("ff")), "a channel subsystem id 0-0xfe", "<choice><data type=\"string\"><param name=\"pattern\">0x[0-9a-eA-E][0-9a-fA-F]?</param></data><data type=\"string\"><param name=\"pattern\">0x[fF][0-9a-eA-E]?</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">254</param></data></choice>");
pub const CCW_SSID: Ty = Ty::Check(|v| { let h = v.strip_prefix("0x").unwrap_or(v); h.len() == 1 && (b'0'..=b'3').contains(&h.as_bytes()[0]) }, "a subchannel set id 0-3", "<data type=\"string\"><param name=\"pattern\">(0x)?[0-3]</param></data>");
pub const CCW_DEVNO: Ty = Ty::Check(|v| v.strip_prefix("0x").map_or_else(|| int_range(v, 0, 65535), |h| hex(h) && h.len() <= 4), "a device number 0-0xffff", "<choice><data type=\"string\"><param name=\"pattern\">0x[0-9a-fA-F]{1,4}</param></data><data type=\"int\"><param name=\"minInclusive\">0</param><param name=\"maxInclusive\">65535</param></data></choice>");
pub const LOADPARM: Ty = Ty::Check(|v| (1..=8).contains(&v.chars().count()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || matches!(c, ' ' | '\t' | '\n' | '\r')), "1-8 letters, digits, dots or spaces", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9.\\s]{1,8}</param></data>");

fn hex_opt0x(v: &str, max: usize) -> bool {
    let h = v.strip_prefix("0x").unwrap_or(v);
    hex(h) && h.len() <= max
}

fn pci_slot(v: &str) -> bool {
    // (0x)?[0-1]?[0-9a-fA-F] | int 0..31
    let h = v.strip_prefix("0x").unwrap_or(v);
    let pat = match h.as_bytes() {
        [a] => a.is_ascii_hexdigit(),
        [a, b] => (*a == b'0' || *a == b'1') && b.is_ascii_hexdigit(),
        _ => false,
    };
    pat || int_range(v, 0, 31)
}

fn pci_func(v: &str) -> bool {
    let h = v.strip_prefix("0x").unwrap_or(v);
    (h.len() == 1 && (b'0'..=b'7').contains(&h.as_bytes()[0])) || int_range(v, 0, 7)
}

fn abs_path(v: &str) -> bool {
    let b = v.as_bytes();
    let rest_ok = |from: usize| v.len() > from && !v[from..].contains(['\n', '\r']);
    (b.first() == Some(&b'/') && rest_ok(1)) || (b.len() >= 4 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' && rest_ok(3))
}

fn ncname(v: &str) -> bool {
    let mut chars = v.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || (!c.is_ascii() && !c.is_whitespace()))
}

/// basictypes' DUID: the four RFC 3315/6355 layouts, bytes as 1-2 hex digits.
fn duid(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    if parts.iter().any(|p| p.is_empty() || p.len() > 2 || !hex(p)) || parts.len() < 2 {
        return false;
    }
    let zeros = |p: &str, max: usize| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b == b'0');
    // [0]{1,2}:[0]{0,1}T
    let ty_ok = |t: u8| zeros(parts[0], 2) && (parts[1] == format!("{t}") || parts[1] == format!("0{t}"));
    let hw_ok = || parts.len() > 3 && zeros(parts[2], 2) && { let m = parts[3].as_bytes(); (m.len() == 1 && m[0] != b'0') || (m.len() == 2 && m[0] == b'0' && m[1] != b'0') };
    let n = parts.len();
    (ty_ok(1) && hw_ok() && (4 + 4 + 6..=4 + 4 + 8).contains(&n))
        || (ty_ok(2) && (2 + 4 + 1..=2 + 4 + 124).contains(&n))
        || (ty_ok(3) && hw_ok() && (4 + 6..=4 + 8).contains(&n))
        || (ty_ok(4) && n == 2 + 16)
}

/// basictypes' `genericName` (a driver or model name).
pub const GENERIC_NAME: Ty = Ty::Check(|v| chars_in(v, b"_+-"), "a name (letters, digits and _ + -)", "<data type=\"string\"><param name=\"pattern\">[a-zA-Z0-9_\\+\\-]+</param></data>");

/// 11.3's `speed`: 1..2^54 (the limit of tc).
pub const SPEED64: Ty = Ty::Check(|v| uint_max(v, 1 << 54) && v.bytes().any(|b| b != b'0'), "a positive integer up to 18014398509481984 (kibibytes per second)", "<data type=\"unsignedLong\"><param name=\"pattern\">[0-9]+</param><param name=\"minInclusive\">1</param><param name=\"maxInclusive\">18014398509481984</param></data>");

/// networkcommon's `addr-family`: a string pattern, so unlike a `<value>`
/// a padded ' ipv4' fails it.
pub const ADDR_FAMILY: Ty = Ty::Check(|v| v == "ipv4" || v == "ipv6", "ipv4 or ipv6", "<data type=\"string\"><param name=\"pattern\">(ipv4)|(ipv6)</param></data>");


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert!(UINT8.accepts("0xff") && UINT8.accepts("255") && !UINT8.accepts("0x100") && !UINT8.accepts("ff"));
        assert!(PCI_SLOT.accepts("0x1f") && PCI_SLOT.accepts("0x02") && !PCI_SLOT.accepts("0x20") && PCI_SLOT.accepts("31"));
        assert!(PCI_FUNC.accepts("0x7") && !PCI_FUNC.accepts("0x8"));
        assert!(!POSITIVE_INT.accepts("-5") && !POSITIVE_INT.accepts("0") && POSITIVE_INT.accepts("4"));
        assert!(VLAN_TAG.accepts("4095") && !VLAN_TAG.accepts("4096"));
        assert!(!UNSIGNED_LONG.accepts("99999999999999999999999999"));
    }

    #[test]
    fn duids() {
        assert!(DUID.accepts("0:4:7:e7:fd:f9:e3:ab:12:34:56:78:9a:bc:de:f0:12:34"));
        assert!(DUID.accepts("00:01:00:01:18:aa:62:fe:00:16:3e:44:55:66"));
        assert!(!DUID.accepts("zz"));
    }
}
