//! knet: libvirt networking from the command line, speaking virsh's language.
//!
//! The crate is a library plus two thin binaries (see `Cargo.toml`):
//! `knet` (no libvirt linked) and `knet-libvirt` (links libvirt). Everything a
//! command does lives here; the binaries only choose how a connection is made.
//!
//! Layers, each knowing nothing of the one above it:
//! - [`ipnet`] and [`mac`]: address syntax and arithmetic (pure, below everything);
//! - [`xml`]: the libvirt XML model with source positions, the forgiving
//!   facts the host commands read off it, lossless edits, and
//!   [`xml::write`], the one place values become markup;
//! - [`validate`]: structural and semantic rules over that model;
//! - [`libvirt`]: the port through which every libvirt call goes (a trait);
//! - [`host`]: facts about the machine knet runs on (sysfs, /proc, its
//!   resolver), and whether a URI is this machine; [`dns`]: one DNS question
//!   to one server (asking a network's dnsmasq directly);
//! - [`state`]: knet's private files (recent URIs, shell history, backups' root);
//! - [`context`]: what a command gets: resolved options and a lazy connection,
//!   one host or several ([`fleet`] shapes several hosts' output);
//! - [`commands`]: one module per command and the table describing them all;
//! - [`complete`]: completion (engine, candidate providers, live names);
//! - [`cli`], [`shell`] and [`output`]: what the user types and what they see.

pub mod backup;
pub mod cli;
pub mod complete;
pub mod commands;
pub mod context;
pub mod dns;
pub mod dnsmasq;
pub mod exit;
pub mod guest;
#[doc(hidden)]
pub mod fuzzing;
pub mod fleet;
pub mod host;
pub mod input;
pub mod interrupt;
pub mod ipnet;
pub mod libvirt;
pub mod mac;
pub mod output;
pub mod reattach;
pub mod shell;
pub mod state;
pub mod validate;
pub mod virsh_args;
pub mod xml;
pub mod xpath;

/// Where `knet-libvirt` lives: `$KNET_LIBVIRT_BIN`, else beside the running
/// executable (`cargo install`, a build tree), else `../libexec/knet/`
/// relative to it (the Debian package: `knet` in /usr/bin, the companion out
/// of PATH in /usr/libexec/knet, where a user never runs it by mistake).
pub fn libvirt_binary() -> anyhow::Result<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("KNET_LIBVIRT_BIN") {
        return Ok(p.into());
    }
    let exe = std::env::current_exe()?;
    let candidates = libvirt_binary_candidates(&exe);
    if let Some(bin) = candidates.iter().find(|p| p.exists()) {
        return Ok(bin.clone());
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    anyhow::bail!("knet-libvirt not found (looked for {}): knet needs its companion binary installed with it", tried.join(", "))
}

/// The places [`libvirt_binary`] looks, in order, for an executable at `exe`.
fn libvirt_binary_candidates(exe: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = vec![exe.with_file_name("knet-libvirt")];
    if let Some(prefix) = exe.parent().and_then(|d| d.parent()) {
        v.push(prefix.join("libexec/knet/knet-libvirt"));
    }
    v
}
