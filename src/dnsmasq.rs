//! What dnsmasq accepts in the files libvirt writes for it.
//!
//! libvirt checks little of a DHCP host's `name=` (its first character only)
//! and writes it as the last field of a `MAC,IP,NAME` line of dnsmasq's hosts
//! file. dnsmasq then reads that line with its own rules (src/option.c
//! `read_file` and the `--dhcp-host` parser, src/util.c `check_name` and
//! `legal_hostname`): a name it rejects, or reads as something else, gives the
//! guest no name at all, silently. This module restates those rules so knet
//! can refuse such a name before libvirt stores it. It never runs or talks to
//! dnsmasq.

/// Longest name dnsmasq takes (`MAXDNAME`), and longest label (`MAXLABEL`).
const MAX_NAME: usize = 1025;
const MAX_LABEL: usize = 63;

/// Why dnsmasq would not use `name` as a DHCP host's name, or `None` when it
/// would. The reason is a phrase to follow "host name 'x' ...".
pub fn host_name_problem(name: &str) -> Option<String> {
    // read_file: '"' opens a quoted part (its quotes and escapes removed);
    // '#' after whitespace starts a comment; ',' separates the fields.
    if name.contains('"') {
        return Some("contains '\"', which dnsmasq reads as a quote in its hosts file".into());
    }
    if name.contains(',') {
        return Some("contains ',', which separates the fields of dnsmasq's hosts file".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_ascii_control()) {
        return Some(format!("contains the control character {}", c.escape_default()));
    }
    if name.contains(" #") {
        return Some("contains ' #', which starts a comment in dnsmasq's hosts file".into());
    }
    let trimmed = name.trim_matches(' ');
    if trimmed != name {
        return Some("starts or ends with a space, which dnsmasq drops".into());
    }
    // the --dhcp-host parser classifies each field before taking it as a name
    if name.contains(':') {
        return Some("contains ':', so dnsmasq reads it as a MAC address or tag, not a name".into());
    }
    if name.contains('.') && name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some("is an IPv4 address, so dnsmasq reads it as one, not as a name".into());
    }
    if matches!(name, "infinite" | "ignore") {
        return Some(format!("is dnsmasq's keyword '{name}', not a name"));
    }
    if is_lease_time(name) {
        return Some("is a number (with an optional s/m/h/d/w unit), so dnsmasq reads it as a lease time".into());
    }
    // check_name: length, labels, at least one non-space character
    let body = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || body.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > MAX_NAME {
        return Some(format!("is {} bytes long; dnsmasq takes at most {MAX_NAME}", name.len()));
    }
    if let Some(l) = body.split('.').find(|l| l.len() > MAX_LABEL) {
        return Some(format!("has a label of {} bytes ('{l}'); dnsmasq takes at most {MAX_LABEL}", l.len()));
    }
    // legal_hostname: the first label is a host name proper. Non-ASCII
    // letters are converted by IDN (punycode) first, so they are letters too.
    let first = body.split('.').next().unwrap_or("");
    let legal = |i: usize, c: char| c.is_alphanumeric() || (i > 0 && (c == '-' || c == '_'));
    match first.chars().enumerate().find(|&(i, c)| !legal(i, c)) {
        None if first.is_empty() => Some("starts with '.': its first label must start with a letter or digit".into()),
        None => None,
        Some((0, c)) => Some(format!("starts with '{}': its first label must start with a letter or digit", c.escape_default())),
        Some((_, c)) => Some(format!("contains '{}' in its first label, where dnsmasq allows only letters, digits, '-' and '_'", c.escape_default())),
    }
}

/// dnsmasq's lease-time field: digits and spaces, optionally followed by one
/// unit letter when longer than one character.
fn is_lease_time(s: &str) -> bool {
    let body = match s.char_indices().last() {
        Some((i, c)) if s.len() > 1 && "wWdDhHmMsS".contains(c) => &s[..i],
        _ => s,
    };
    body.chars().any(|c| c.is_ascii_digit()) && body.chars().all(|c| c.is_ascii_digit() || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::host_name_problem as p;

    #[test]
    fn names_follow_dnsmasqs_field_and_hostname_rules() {
        for ok in ["web1", "a", "1web", "web-1_x", "web1.example.com", "web1.", "Web1", "wéb", "x.a b", "10.0.0", "h", "1x"] {
            assert_eq!(p(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("bad name;rm", "' '"),
            ("web;rm", "';'"),
            ("a,b", "separates the fields"),
            ("-web", "starts with '-'"),
            ("_web", "starts with '_'"),
            ("a\tb", "control character \\t"),
            ("a.b #c", "comment"),
            ("say\"hi\"", "quote"),
            ("52:54:00:00:00:01", "MAC"),
            ("tag:x", "MAC"),
            ("10.0.0.1", "IPv4 address"),
            ("123", "lease time"),
            ("12h", "lease time"),
            ("infinite", "keyword"),
            ("", "empty"),
            (".", "empty"),
            (".web", "starts with '.'"),
            (" web", "space"),
        ] {
            let got = p(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(got.contains(why), "{bad:?}: {got}");
        }
        assert!(p(&format!("{}.com", "a".repeat(64))).unwrap().contains("label of 64 bytes"));
        assert_eq!(p(&format!("{}.com", "a".repeat(63))), None);
    }
}
