//! What every command receives: the resolved global options and a lazily
//! opened connection.
//!
//! The connection is opened on first use only, so a command that never asks
//! for one (validate, bridge-config, ...) never loads libvirt.

use std::cell::{Cell, OnceCell};

use anyhow::Result;

use crate::cli::GlobalOpts;
use crate::libvirt::{Conn, Connector};

pub struct Ctx<'a> {
    pub opts: GlobalOpts,
    connector: &'a dyn Connector,
    conn: OnceCell<Box<dyn Conn>>,
    connect_failed: Cell<bool>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: GlobalOpts, connector: &'a dyn Connector) -> Self {
        Ctx { opts, connector, conn: OnceCell::new(), connect_failed: Cell::new(false) }
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

    pub fn json(&self) -> bool {
        self.opts.json
    }

    pub fn quiet(&self) -> bool {
        self.opts.quiet
    }
}
