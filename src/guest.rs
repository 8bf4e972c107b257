//! What the guest NIC commands (domiflist, domifaddr, attach-interface,
//! detach-interface, domif-convert, domif-rollback) share: domain lookups
//! with virsh's messages and virsh's --current/--live/--config/--persistent
//! rules. Never prints; commands decide what the user sees.

use anyhow::{anyhow, Result};

use crate::libvirt::{affect, code, Conn, VirtError};

/// virsh (virshLookupDomainBy) reports a missing domain with this line alone.
pub fn lookup_error(name: &str, e: VirtError) -> anyhow::Error {
    if e.is(code::NO_DOMAIN) {
        anyhow!("failed to get domain '{name}'")
    } else {
        anyhow::Error::new(e).context(format!("failed to get domain '{name}'"))
    }
}

/// The name of the domain given by name, ID or UUID (virsh's
/// virshLookupDomainBy order), virsh's error when there is none.
pub fn resolve(conn: &dyn Conn, dom: &str) -> Result<String> {
    crate::virsh_args::non_empty("domain", Some(dom))?;
    conn.resolve_domain(dom).map_err(|e| lookup_error(dom, e))
}

/// A domain's XML (persistent config with `inactive`), virsh's error on a
/// missing domain.
pub fn domain_xml(conn: &dyn Conn, name: &str, inactive: bool) -> Result<String> {
    crate::virsh_args::non_empty("domain", Some(name))?;
    conn.domain_xml(name, inactive).map_err(|e| lookup_error(name, e))
}

/// virsh's --current/--live/--config/--persistent for device commands
/// (virsh-domain.c, cmdAttachInterface / cmdDetachInterface).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AffectArgs {
    /// Affect the running domain
    #[arg(long)]
    pub live: bool,
    /// Affect the next boot (persistent config)
    #[arg(long)]
    pub config: bool,
    /// Affect the current domain state (running: live, else config)
    #[arg(long)]
    pub current: bool,
    /// Make the change persistent; also live if the domain is running
    #[arg(long)]
    pub persistent: bool,
}

impl AffectArgs {
    /// virsh's VSH_EXCLUSIVE_OPTIONS for these four, in virsh's order
    /// (reported from inside the command: exit 1).
    pub fn check(&self) -> Result<()> {
        crate::virsh_args::exclusive(&[
            ("persistent", self.persistent, "current", self.current),
            ("current", self.current, "live", self.live),
            ("current", self.current, "config", self.config),
        ])
    }

    /// The `virDomainModificationImpact` flags for a device change, as
    /// virsh computes them; without any of the four, [`affect::UNFLAGGED`]
    /// (virsh's flag-less call).
    pub fn flags(&self, conn: &dyn Conn, dom: &str) -> Result<u32> {
        self.check()?;
        let mut f = affect::CURRENT;
        if self.config || self.persistent {
            f |= affect::CONFIG;
        }
        if self.live {
            f |= affect::LIVE;
        }
        if self.persistent && conn.domain_is_active(dom).map_err(|e| lookup_error(dom, e))? {
            f |= affect::LIVE;
        }
        if f == affect::CURRENT && !self.current {
            f = affect::UNFLAGGED;
        }
        Ok(f)
    }
}
