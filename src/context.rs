//! What every command receives: the resolved global options and a lazily
//! opened connection.
//!
//! The connection is opened on first use only, so a command that never asks
//! for one (validate, bridge-config, ...) never loads libvirt.
//!
//! Bulk commands poll `crate::interrupt::requested()` between objects so
//! Ctrl-C stops them cleanly (see src/interrupt.rs); the interactive shell
//! (src/shell.rs) keeps one `Ctx` and its connection for a whole session.

use std::cell::{Cell, OnceCell};

use anyhow::Result;

use crate::cli::GlobalOpts;
use crate::libvirt::{Conn, Connector};

pub struct Ctx<'a> {
    pub opts: GlobalOpts,
    connector: &'a dyn Connector,
    conn: OnceCell<Box<dyn Conn>>,
    connect_failed: Cell<bool>,
    /// Record explicit `--connect` URIs that opened, for `--connect`
    /// completion (off for completion's own lookups).
    pub remember_uri: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: GlobalOpts, connector: &'a dyn Connector) -> Self {
        Ctx { opts, connector, conn: OnceCell::new(), connect_failed: Cell::new(false), remember_uri: true }
    }

    /// The connection to the first (or only) `--connect` URI, opened once.
    pub fn conn(&self) -> Result<&dyn Conn> {
        if let Some(c) = self.conn.get() {
            return Ok(c.as_ref());
        }
        let uri = self.opts.connect.first().map(String::as_str);
        let c = self.connector.open(uri, self.opts.readonly).map_err(|e| {
            self.connect_failed.set(true);
            e
        })?;
        if let (Some(u), true) = (uri, self.remember_uri) {
            crate::complete::remember_uri(u);
        }
        Ok(self.conn.get_or_init(|| c).as_ref())
    }

    /// Whether opening the connection failed (virsh then never ran the
    /// command, so it prints nothing on stdout).
    pub fn connect_failed(&self) -> bool {
        self.connect_failed.get()
    }

    /// One more connection to the same URI, for commands that work over
    /// several connections in parallel (`domif-convert --jobs`). Call
    /// [`Ctx::conn`] first: in the light binary that is what execs
    /// knet-libvirt.
    pub fn open_conn(&self) -> Result<Box<dyn Conn>> {
        let uri = self.opts.connect.first().map(String::as_str);
        self.connector.open(uri, self.opts.readonly)
    }

    /// The connection if one is open already; never opens one.
    pub fn connected(&self) -> Option<&dyn Conn> {
        self.conn.get().map(|c| c.as_ref())
    }

    /// How this context opens connections (the shell makes per-command
    /// contexts with it).
    pub fn connector(&self) -> &'a dyn Connector {
        self.connector
    }

    /// Switch to another URI (the shell's `connect`). On failure the current
    /// connection stays, as in virsh.
    pub fn reconnect(&mut self, uri: Option<String>, readonly: bool) -> Result<()> {
        let c = self.connector.open(uri.as_deref(), readonly)?;
        if let (Some(u), true) = (uri.as_deref(), self.remember_uri) {
            crate::complete::remember_uri(u);
        }
        self.opts.connect = uri.into_iter().collect();
        self.opts.readonly = readonly;
        self.conn = OnceCell::from(c);
        Ok(())
    }

    pub fn json(&self) -> bool {
        self.opts.json
    }

    pub fn quiet(&self) -> bool {
        self.opts.quiet
    }
}
