//! A minimal DNS stub client: one question (A or AAAA) over UDP to one
//! server, with a deadline, for asking a libvirt network's dnsmasq directly
//! whether it knows a name (`host-dns --check`), bypassing the host's
//! resolver, which is exactly what is being checked.
//!
//! What it must never do: recurse, follow CNAMEs elsewhere, or wait without
//! a deadline. Every length in an answer is bounds-checked (an answer is
//! untrusted input).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// What the server said about one name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "addresses")]
pub enum Answer {
    /// Addresses of the asked family (none: the name exists without one).
    Addresses(Vec<IpAddr>),
    /// NXDOMAIN: the server does not know the name.
    NoSuchName,
    /// Another response code (SERVFAIL, REFUSED...).
    Error(u8),
    /// No answer before the deadline, or the port is closed.
    NoReply(String),
}

/// Ask `server` (port 53) for `name`'s addresses of `family`'s kind (an
/// IPv4 address asks for A, an IPv6 one for AAAA), within `timeout` in all
/// (the question is sent twice: UDP may lose it).
pub fn query(server: IpAddr, name: &str, family: IpAddr, timeout: Duration) -> Answer {
    let qtype: u16 = if family.is_ipv4() { 1 } else { 28 };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let id = (std::process::id() as u16) ^ (nanos as u16) ^ ((nanos >> 16) as u16);
    let Some(packet) = question(id, name, qtype) else { return Answer::NoReply(format!("'{name}' is not a valid DNS name")) };
    let bind: SocketAddr = if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let sock = match UdpSocket::bind(bind).and_then(|s| s.connect((server, 53)).map(|_| s)) {
        Ok(s) => s,
        Err(e) => return Answer::NoReply(format!("cannot reach {server}: {e}")),
    };
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1500];
    for attempt in 0..2 {
        if sock.send(&packet).is_err() {
            break;
        }
        // the first attempt gets half the time, the retry what is left
        let until = if attempt == 0 { Instant::now() + timeout / 2 } else { deadline };
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let _ = sock.set_read_timeout(Some(left));
            match sock.recv(&mut buf) {
                Ok(n) => {
                    if let Some(a) = parse(&buf[..n], id, qtype) {
                        return a;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Answer::NoReply(format!("{server} port 53 is closed (no DNS server)")),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break,
                Err(e) => return Answer::NoReply(format!("{server}: {e}")),
            }
        }
    }
    Answer::NoReply(format!("no reply from {server} within {}s", timeout.as_secs_f32()))
}

/// A recursion-desired query for (name, IN, qtype); `None` when the name
/// cannot be encoded (empty label, label over 63 or name over 253 bytes).
fn question(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let mut p = Vec::with_capacity(18 + name.len());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    Some(p)
}

/// Past a (possibly compressed) name starting at `at`.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xC0 == 0xC0 => return (at + 2 <= m.len()).then_some(at + 2),
            l if l & 0xC0 == 0 => at += 1 + l as usize,
            _ => return None,
        }
    }
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]))
}

/// The answer in response `m` to question `id`; `None` when `m` is not
/// that response (another id, not a response, truncated): keep waiting.
fn parse(m: &[u8], id: u16, qtype: u16) -> Option<Answer> {
    if m.len() < 12 || u16_at(m, 0)? != id || m[2] & 0x80 == 0 {
        return None;
    }
    match m[3] & 0x0F {
        0 => {}
        3 => return Some(Answer::NoSuchName),
        rc => return Some(Answer::Error(rc)),
    }
    let (qd, an) = (u16_at(m, 4)?, u16_at(m, 6)?);
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(m, at)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        at = skip_name(m, at)?;
        let (ty, len) = (u16_at(m, at)?, u16_at(m, at + 8)? as usize);
        let data = m.get(at + 10..at + 10 + len)?;
        at += 10 + len;
        match (ty, data.len()) {
            (1, 4) if qtype == 1 => out.push(IpAddr::from([data[0], data[1], data[2], data[3]])),
            (28, 16) if qtype == 28 => out.push(IpAddr::from(<[u8; 16]>::try_from(data).ok()?)),
            _ => {}
        }
    }
    Some(Answer::Addresses(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_encodes_labels_and_refuses_bad_names() {
        let q = question(0x1234, "vm1.lab.lan.", 1).unwrap();
        assert_eq!(&q[..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&q[12..], b"\x03vm1\x03lab\x03lan\x00\x00\x01\x00\x01");
        assert!(question(1, "a..b", 1).is_none());
        assert!(question(1, &"x".repeat(64), 1).is_none());
        assert!(question(1, "", 1).is_none());
    }

    #[test]
    fn parses_compressed_answers_and_rejects_truncated_ones() {
        let mut r = question(7, "vm1.lab", 1).unwrap();
        r[2] = 0x85; // response, authoritative, RD
        r[3] = 0x80;
        r[7] = 2; // two answers: a CNAME-ish other type, then an A
        r.extend_from_slice(&[0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 12]);
        r.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
        assert_eq!(parse(&r, 7, 1), Some(Answer::Addresses(vec![IpAddr::from([10, 0, 0, 7])])));
        assert_eq!(parse(&r, 8, 1), None, "another question's answer");
        assert_eq!(parse(&r[..r.len() - 2], 7, 1), None, "truncated rdata");
        let mut nx = question(9, "x.lab", 1).unwrap();
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert_eq!(parse(&nx, 9, 1), Some(Answer::NoSuchName));
    }
}
