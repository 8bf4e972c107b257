//! Live names (networks, guests, MACs): what only libvirt knows. In the
//! shells they come from a child `knet-libvirt ... complete-names ...` run
//! with a deadline ([`timeout`]): an unreachable libvirt costs one second
//! and no candidates, never a hung prompt, and the child's stderr goes to
//! /dev/null. Inside the interactive shell they come from the session's open
//! connection ([`with_live_conn`]). Never opens a connection in this
//! process: the light binary must stay light.

use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;
use std::time::Duration;

use clap_complete::engine::CompletionCandidate;

use super::providers::{line_connection, State};
use crate::libvirt::Conn;

/// What a live provider asks libvirt; also the arguments of the hidden
/// `complete-names` command that answers it in a child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Networks(State),
    Domains(State),
    Macs { domains: Vec<String>, network: Option<String> },
}

impl Query {
    fn to_args(&self) -> Vec<String> {
        let state = |s: &State| format!("--state={}", clap::ValueEnum::to_possible_value(s).unwrap().get_name());
        match self {
            Query::Networks(s) => vec!["networks".into(), state(s)],
            Query::Domains(s) => vec!["domains".into(), state(s)],
            Query::Macs { domains, network } => {
                let mut v = vec!["macs".to_string()];
                v.extend(domains.iter().map(|d| format!("--domain={d}")));
                v.extend(network.iter().map(|n| format!("--network={n}")));
                v
            }
        }
    }
}

thread_local! {
    /// The interactive shell's connection while it reads a line (see [`with_live_conn`]).
    static LIVE: RefCell<Option<Rc<dyn Conn>>> = const { RefCell::new(None) };
}

/// Run `f` (the shell's line editor) with live names answered from `conn`
/// instead of a child process.
pub fn with_live_conn<R>(conn: Rc<dyn Conn>, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Rc<dyn Conn>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            LIVE.with(|l| *l.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(LIVE.with(|l| l.borrow_mut().replace(conn)));
    f()
}

pub(super) fn live(q: &Query) -> Vec<CompletionCandidate> {
    // a line with its own -c asks that libvirt, not the shell's
    let shell_conn = LIVE.with(|l| l.borrow().clone());
    let pairs = match shell_conn {
        Some(conn) if line_connection().0.is_none() => answer(conn.as_ref(), q),
        _ => ask_child(q),
    };
    pairs.into_iter().map(|(v, h)| CompletionCandidate::new(v).help(h.map(Into::into))).collect()
}

/// How long the shells wait for live names: `$KNET_COMPLETE_TIMEOUT_MS`, else 1 s.
pub fn timeout() -> Duration {
    let ms = std::env::var("KNET_COMPLETE_TIMEOUT_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    Duration::from_millis(ms)
}

/// Run `knet-libvirt [-c URI] [-r] complete-names QUERY` and read its
/// `value<TAB>help` lines, giving up (and killing it) after [`timeout`].
fn ask_child(q: &Query) -> Vec<(String, Option<String>)> {
    let Ok(bin) = crate::libvirt_binary() else { return Vec::new() };
    let (uri, ro) = line_connection();
    let mut cmd = std::process::Command::new(bin);
    if let Some(u) = uri {
        cmd.arg(format!("--connect={u}"));
    }
    if ro {
        cmd.arg("--readonly");
    }
    cmd.arg("complete-names").args(q.to_args());
    cmd.env_remove("COMPLETE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let Ok(mut child) = cmd.spawn() else { return Vec::new() };
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let out = rx.recv_timeout(timeout());
    if out.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    match out {
        Ok(s) if !s.is_empty() => parse_lines(&s),
        _ => Vec::new(),
    }
}

fn parse_lines(s: &str) -> Vec<(String, Option<String>)> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('\t') {
            Some((v, h)) => (v.to_string(), Some(h.to_string())),
            None => (l.to_string(), None),
        })
        .collect()
}

/// Answer a query from an open connection. Errors mean no candidates.
pub fn answer(conn: &dyn Conn, q: &Query) -> Vec<(String, Option<String>)> {
    let mut out = match q {
        Query::Networks(s) => conn.network_names(s.active()).unwrap_or_default().into_iter().map(|n| (n, None)).collect(),
        Query::Domains(s) => conn.domain_names(s.active()).unwrap_or_default().into_iter().map(|d| (d, None)).collect(),
        Query::Macs { domains, network } => {
            let named = !domains.is_empty();
            let doms = if named { domains.clone() } else { conn.domain_names(None).unwrap_or_default() };
            let mut v = Vec::new();
            for d in doms {
                let Ok(xml) = conn.domain_xml(&d, false) else { continue };
                for (mac, net) in domain_macs(&xml) {
                    if !named && network.is_some() && net.as_deref() != network.as_deref() {
                        continue;
                    }
                    v.push((mac, Some(d.clone())));
                }
            }
            v
        }
    };
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// `(mac, network)` of every `<interface>` in a domain's XML.
fn domain_macs(xml: &str) -> Vec<(String, Option<String>)> {
    crate::xml::facts::nics(xml).into_iter().filter_map(|n| Some((n.mac?, n.network))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_of_each_interface_with_their_network() {
        let xml = "<domain><devices><interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>\
                   <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/></interface></devices></domain>";
        assert_eq!(
            domain_macs(xml),
            vec![("52:54:00:00:00:01".to_string(), Some("default".to_string())), ("52:54:00:00:00:02".to_string(), None)]
        );
    }
}
