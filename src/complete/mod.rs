//! Completion: the candidate providers commands attach to their arguments,
//! and the one engine behind bash, zsh, fish and the interactive shell.
//!
//! The engine is clap_complete's dynamic one (`CompleteEnv`): the shell
//! scripts in completions/ call `COMPLETE=<shell> knet -- WORDS...` and the
//! light `knet` binary answers from the clap tree, so subcommands and flags
//! complete without loading libvirt, and every new command or flag completes
//! the day it is declared.
//!
//! Live names (networks, guests, MACs) need libvirt. In the shells they come
//! from a child `knet-libvirt ... complete-names ...` run with a deadline
//! ([`live::timeout`], 1 s by default): an unreachable libvirt costs the user one
//! second and no candidates, never a hung prompt, and the child's stderr goes
//! to /dev/null so libvirt never prints into the user's terminal. Inside the
//! interactive shell they come from the session's open connection instead
//! ([`live::with_live_conn`]), so they reflect what the session itself changed.
//!
//! Attaching a provider where an argument is declared (cargo's style):
//!
//! ```ignore
//! use clap_complete::engine::ArgValueCandidates;
//! use crate::complete::{self, State};
//!
//! /// Network name or UUID
//! #[arg(add = ArgValueCandidates::new(complete::networks(State::Inactive)))]
//! pub network: String,
//! ```
//!
//! Providers: [`networks`] and [`domains`] by [`State`]; [`macs`] (of the
//! guest(s) given as the argument with id `domain` or `domains` earlier on
//! the line, else of the guests on the `network` argument's network, else of
//! every guest); [`bridges`] and [`uplinks`] (the host's, from
//! /sys/class/net); [`networks_and_domains`];
//! [`iface_sources`] (networks or bridges by the `kind` argument);
//! [`update_commands`] and [`update_sections`] (`net-update`); [`uris`]
//! (recently used `--connect` URIs). A provider never fails: no libvirt, no
//! file, no candidates. File arguments need no provider: give them
//! `value_hint = clap::ValueHint::FilePath`.
//!
//! Parts: [`engine`] (the shells' protocol and registration scripts),
//! [`providers`] (what each argument offers, and the line being completed),
//! [`live`] (names only libvirt knows: from a child process or the shell's
//! connection). The recently used URIs are knet's state (src/state.rs).
//!
//! Never open a connection here: static completion must stay in the light
//! binary; live names come from `knet-libvirt complete-names`
//! (src/commands/complete_names.rs) or the shell's open connection.

pub mod engine;
pub mod live;
pub mod providers;

pub use live::{answer, with_live_conn, Query};
pub use providers::*;
