//! Selection: which guests and which of their NICs a run works on, from
//! the command line (guest names or `--all`, `--from-network`/
//! `--from-bridge`, `--mac`). Pure: no connection, no host facts.

use anyhow::Result;

use super::{Args, Change};
use crate::exit::Exit;
use crate::libvirt::DomainInfo;
use crate::mac::Mac;
use crate::xml::edit::{Interface, Target};

/// The NIC filter of a run, parsed once.
#[derive(Debug, Clone)]
pub(super) struct Selection {
    /// Only NICs now on this target (`--from-network`/`--from-bridge`).
    pub from: Option<Target>,
    /// Only the NIC with this MAC (`--mac`).
    pub mac: Option<Mac>,
}

impl Selection {
    /// Usage errors, before any host is touched; the run's NIC filter.
    pub fn of(args: &Args) -> Result<Selection> {
        if args.domains.is_empty() && !args.all && args.from().is_none() {
            return Err(Exit::usage("name the guests to convert, or select them with --all, --from-network or --from-bridge"));
        }
        if !args.domains.is_empty() && args.all {
            return Err(Exit::usage("give guest names or --all, not both"));
        }
        Selection::nics(args)
    }

    /// The NIC filter alone (`--file` names no guests).
    pub fn nics(args: &Args) -> Result<Selection> {
        let mac = args.mac.as_deref().map(|m| m.parse::<Mac>()).transpose().map_err(|e| Exit::usage(format!("--mac: {e}")))?;
        Ok(Selection { from: args.from(), mac })
    }

    /// Whether this NIC changes: it is on a network or bridge, passes the
    /// filters, and is not on the change's target already or lacks its model.
    pub fn picks(&self, ifc: &Interface, change: &Change) -> bool {
        let Some(now) = Target::of(ifc) else { return false };
        if self.from.as_ref().is_some_and(|f| f != &now) {
            return false;
        }
        if let Some(m) = self.mac {
            if ifc.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) != Some(m) {
                return false;
            }
        }
        change.target.as_ref().is_some_and(|t| &now != t) || change.model.as_ref().is_some_and(|m| ifc.model.as_ref() != Some(m))
    }
}

/// The guests to work on: the ones named, in that order, or with none named
/// every persistent guest, by name.
pub(super) fn guests(args: &Args, infos: &[DomainInfo]) -> Vec<String> {
    if args.domains.is_empty() {
        let mut all: Vec<_> = infos.iter().filter(|d| d.persistent).map(|d| d.name.clone()).collect();
        all.sort();
        all
    } else {
        args.domains.clone()
    }
}
