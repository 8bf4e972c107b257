//! Candidate providers: what each argument offers at Tab, attached where
//! the argument is declared (`#[arg(add = ArgValueCandidates::new(...))]`),
//! and the line being completed, which providers that depend on earlier
//! words read. A provider never fails (no libvirt, no file: no candidates)
//! and never opens a connection itself (live names go through
//! [`super::live`]).

use std::sync::Mutex;

use clap::ArgMatches;
use clap_complete::engine::CompletionCandidate;

use super::live::{live, Query};

/// Which objects a name provider offers, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum State {
    All,
    Active,
    Inactive,
}

impl State {
    /// The state filter libvirt applies itself (one RPC for the names).
    pub(super) fn active(self) -> Option<bool> {
        match self {
            State::All => None,
            State::Active => Some(true),
            State::Inactive => Some(false),
        }
    }
}

/// A candidate provider, as `ArgValueCandidates::new` takes it.
pub type Provider = fn() -> Vec<CompletionCandidate>;

/// Network names in `state` (net-start: inactive; net-destroy: active).
pub fn networks(state: State) -> Provider {
    match state {
        State::All => || live(&Query::Networks(State::All)),
        State::Active => || live(&Query::Networks(State::Active)),
        State::Inactive => || live(&Query::Networks(State::Inactive)),
    }
}

/// Domain (guest) names in `state`.
pub fn domains(state: State) -> Provider {
    match state {
        State::All => || live(&Query::Domains(State::All)),
        State::Active => || live(&Query::Domains(State::Active)),
        State::Inactive => || live(&Query::Domains(State::Inactive)),
    }
}

/// MAC addresses of guest NICs: of the guest(s) named by the `domain` (or
/// `domains`) argument earlier on the line; without one, of the guests on
/// the `network` argument's network; without either, of every guest.
pub fn macs() -> Provider {
    || {
        let (domains, network) = match line_matches() {
            Some(m) => {
                let mut d = sub_values(&m, "domain");
                d.extend(sub_values(&m, "domains"));
                (d, sub_values(&m, "network").pop())
            }
            None => (Vec::new(), None),
        };
        live(&Query::Macs { domains, network })
    }
}

/// The source of a new guest NIC (`attach-interface DOM TYPE SOURCE`):
/// networks when TYPE (argument id `kind`) is `network`, the host's bridges
/// when it is `bridge`, nothing otherwise.
pub fn iface_sources() -> Provider {
    || match line_matches().and_then(|m| sub_values(&m, "kind").pop()).as_deref() {
        Some("network") => live(&Query::Networks(State::All)),
        Some("bridge") => bridges()(),
        _ => Vec::new(),
    }
}

/// The host's bridges (host.rs: every /sys/class/net/NAME with a `bridge` directory).
/// Read from sysfs, so it needs no libvirt (and describes this host even
/// when `-c` points elsewhere).
pub fn bridges() -> Provider {
    || crate::host::interfaces().into_iter().filter(|n| crate::host::is_bridge(n)).map(CompletionCandidate::new).collect()
}

/// NICs that can become a bridge's port (`bridge-config --uplink`): the
/// host's interfaces that are not bridges, not loopback and not a guest's
/// tap (vnet*, tap*, macvtap*), from host.rs.
pub fn uplinks() -> Provider {
    || {
        crate::host::interfaces()
            .into_iter()
            .filter(|n| !crate::host::is_bridge(n))
            .filter(|n| n != "lo" && !["vnet", "tap", "macvtap"].iter().any(|p| n.starts_with(p)))
            .map(CompletionCandidate::new)
            .collect()
    }
}

/// Networks and guests together, for commands that take either (`doctor`).
pub fn networks_and_domains() -> Provider {
    || {
        let mut v = live(&Query::Networks(State::All));
        v.extend(live(&Query::Domains(State::All)));
        v
    }
}

/// `net-update` commands (virsh's order, tools/virsh-network.c).
pub const UPDATE_COMMANDS: &[&str] = &["add", "add-first", "add-last", "delete", "modify"];

pub fn update_commands() -> Provider {
    || UPDATE_COMMANDS.iter().map(|s| CompletionCandidate::new(*s)).collect()
}

pub fn update_sections() -> Provider {
    || crate::libvirt::UPDATE_SECTIONS.iter().map(|s| CompletionCandidate::new(*s)).collect()
}

/// Recently connected URIs (most recent first), then libvirt's usual ones.
pub fn uris() -> Provider {
    || {
        let mut all = crate::state::recent_uris();
        for u in ["qemu:///system", "qemu:///session", "test:///default"] {
            if !all.iter().any(|a| a == u) {
                all.push(u.to_string());
            }
        }
        all.into_iter().enumerate().map(|(i, u)| CompletionCandidate::new(u).display_order(Some(i))).collect()
    }
}

// ---------------------------------------------------------------------------
// The line being completed.

/// The command line being completed, without the word under the cursor:
/// set by the engine before it asks for candidates, read by providers that
/// depend on earlier words (`-c URI`, the guest name). Parsed by the engine (src/complete/engine.rs, which knows the clap tree;
/// providers do not, so the commands that attach them stay out of the
/// tree's import circle).
static LINE: Mutex<Option<ArgMatches>> = Mutex::new(None);

/// The line being completed, as the engine parsed it (`None`: no line).
pub(super) fn set_line(matches: Option<ArgMatches>) {
    *LINE.lock().unwrap_or_else(|e| e.into_inner()) = matches;
}

/// The line being completed, parsed with knet's clap tree (errors ignored:
/// it is half typed).
pub(super) fn line_matches() -> Option<ArgMatches> {
    LINE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The string value(s) of an argument of the subcommand on the line, by id
/// (none when the command has no such argument or it is not a string).
fn sub_values(m: &ArgMatches, id: &str) -> Vec<String> {
    let Some((_, sub)) = m.subcommand() else { return Vec::new() };
    match sub.try_get_many::<String>(id) {
        Ok(Some(v)) => v.cloned().collect(),
        _ => Vec::new(),
    }
}

/// `-c URI` and `-r` as given on the line (global: before or after the command).
pub(super) fn line_connection() -> (Option<String>, bool) {
    let Some(m) = line_matches() else { return (None, false) };
    let mut uri = None;
    let mut ro = false;
    for mm in std::iter::once(&m).chain(m.subcommand().map(|(_, s)| s)) {
        if uri.is_none() {
            uri = mm.try_get_many::<String>("connect").ok().flatten().and_then(|mut v| v.next().cloned());
        }
        ro |= mm.try_get_one::<bool>("readonly").ok().flatten().copied().unwrap_or(false);
    }
    (uri, ro)
}
