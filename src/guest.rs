//! What the guest NIC commands (domiflist, domifaddr, attach-interface,
//! detach-interface, domif-convert, domif-rollback) share: domain lookups
//! with virsh's messages and virsh's --current/--live/--config/--persistent
//! rules. Never prints; commands decide what the user sees.

use anyhow::{anyhow, Result};

use crate::exit::Exit;
use crate::libvirt::{affect, code, Conn, VirtError};

/// virsh (virshLookupDomainBy) reports a missing domain with this line alone.
pub fn lookup_error(name: &str, e: VirtError) -> anyhow::Error {
    if e.is(code::NO_DOMAIN) {
        anyhow!("failed to get domain '{name}'")
    } else {
        anyhow::Error::new(e).context(format!("failed to get domain '{name}'"))
    }
}

/// A domain's XML (persistent config with `inactive`), virsh's error on a
/// missing domain.
pub fn domain_xml(conn: &dyn Conn, name: &str, inactive: bool) -> Result<String> {
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
    /// The `virDomainModificationImpact` flags, or virsh's usage error.
    pub fn flags(&self, conn: &dyn Conn, dom: &str) -> Result<u32> {
        for (a, an, b, bn) in [(self.current, "current", self.live, "live"), (self.current, "current", self.config, "config"), (self.persistent, "persistent", self.current, "current")] {
            if a && b {
                return Err(Exit::usage(format!("Options --{an} and --{bn} are mutually exclusive")));
            }
        }
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
        Ok(f)
    }

    /// Whether the XML to read is the persistent one for these flags.
    pub fn reads_config(&self, conn: &dyn Conn, dom: &str, flags: u32) -> Result<bool> {
        if flags & affect::LIVE != 0 {
            return Ok(false);
        }
        if flags & affect::CONFIG != 0 {
            return Ok(true);
        }
        Ok(!conn.domain_is_active(dom).map_err(|e| lookup_error(dom, e))?)
    }
}
