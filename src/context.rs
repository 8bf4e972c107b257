//! What every command receives: the resolved global options and a lazily
//! opened connection.
//!
//! The connection is opened on first use only, so a command that never asks
//! for one (validate, bridge-config, ...) never loads libvirt.
//!
//! Bulk commands poll `crate::interrupt::requested()` between objects so
//! Ctrl-C stops them cleanly (see src/interrupt.rs); the interactive shell
//! (src/shell.rs) keeps one `Ctx` and its connection for a whole session.
//!
//! Several hosts (`-c` more than once, `--hosts FILE`): [`Ctx::uris`] lists
//! them, [`Ctx::conn`] refuses (a single-host command must not silently pick
//! one), and [`Ctx::fan_out`] runs a command's per-host work on every host at
//! once, each host in its own worker thread over its own connection opened
//! there, through libvirt's own remote protocol (knet has no agent). With one
//! URI nothing here changes what a command does.

use std::cell::{Cell, OnceCell};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::exit::Exit;
use crate::libvirt::{Conn, Connector};

/// Hosts worked on at once when `--jobs` is not given: every host of a
/// small fleet, and no more than this many ssh/TLS sessions for a big one.
pub const DEFAULT_HOST_JOBS: usize = 16;

/// The global options as a command sees them, resolved from the command
/// line (src/cli.rs builds them; nothing here knows clap).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-c` URIs, in order (empty: libvirt's default URI).
    pub connect: Vec<String>,
    pub readonly: bool,
    pub quiet: bool,
    pub json: bool,
    /// `--hosts FILE`: more URIs, read when first needed.
    pub hosts: Option<std::path::PathBuf>,
    /// `--jobs N`.
    pub jobs: Option<u16>,
    /// `--timeout SECONDS` (unset: [`crate::libvirt::DEFAULT_TIMEOUT`]).
    pub timeout: Option<std::time::Duration>,
}

pub struct Ctx<'a> {
    pub opts: Options,
    connector: &'a dyn Connector,
    /// Shared (`Rc`) so the shell's completion can answer from it while
    /// the line editor runs (src/complete/live.rs).
    conn: OnceCell<Rc<dyn Conn>>,
    connect_failed: Cell<bool>,
    uris: OnceCell<Vec<String>>,
    /// Set in [`Ctx::fan_out`]'s per-host contexts: this host's label.
    host: Option<String>,
    /// Record explicit `--connect` URIs that opened, for `--connect`
    /// completion (off for completion's own lookups).
    pub remember_uri: bool,
}

/// A one-host command was given several hosts. A usage error; the
/// dispatcher (src/commands/mod.rs), which knows which commands take
/// several, completes the message.
#[derive(Debug)]
pub struct OneHostOnly(pub usize);

impl std::fmt::Display for OneHostOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "this command works on one host at a time, and {} were given (-c/--hosts)", self.0)
    }
}

impl std::error::Error for OneHostOnly {}

/// How long [`Ctx::fan_out_streamed`] waits for every host to answer before
/// it shows the answers it has: long enough for a healthy fleet (every
/// host's result at once, in one table), short beside `--timeout`.
pub const PATIENCE: Duration = Duration::from_secs(2);

/// Results handed to [`Ctx::fan_out_streamed`]'s `show`.
pub struct Batch<'r, T> {
    /// In the order the hosts were given.
    pub results: Vec<&'r HostResult<T>>,
    /// The first batch shown (a table's header goes before it).
    pub first: bool,
    /// No results follow (every host has answered).
    pub last: bool,
}

/// What one host's work returned in [`Ctx::fan_out`].
#[derive(Debug)]
pub struct HostResult<T> {
    /// The host's label: its URI exactly as given (`-c` or the hosts file).
    pub host: String,
    /// False when its connection could not be opened (unreachable host).
    pub reached: bool,
    pub result: Result<T>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: Options, connector: &'a dyn Connector) -> Self {
        if let Some(t) = opts.timeout {
            // one deadline per process: every connection it opens, also the fan-out's
            crate::libvirt::set_timeout(t);
        }
        Ctx { opts, connector, conn: OnceCell::new(), connect_failed: Cell::new(false), uris: OnceCell::new(), host: None, remember_uri: true }
    }

    /// Every URI to work on, in order: the `-c` ones, then `--hosts FILE`'s.
    /// Empty: libvirt's default URI (as virsh without `-c`).
    pub fn uris(&self) -> Result<&[String]> {
        if let Some(u) = self.uris.get() {
            return Ok(u);
        }
        let mut uris = self.opts.connect.clone();
        if let Some(file) = &self.opts.hosts {
            uris.extend(read_hosts(file)?);
        }
        for (i, u) in uris.iter().enumerate() {
            // two workers on one daemon would race each other's changes
            if uris[..i].contains(u) {
                return Err(Exit::usage(format!("host '{u}' given twice (-c/--hosts)")));
            }
        }
        Ok(self.uris.get_or_init(|| uris))
    }

    /// Whether this run is over several hosts (then commands go through
    /// [`Ctx::fan_out`]; with one host they behave exactly as virsh).
    pub fn fleet(&self) -> Result<bool> {
        Ok(self.uris()?.len() > 1)
    }

    /// In a [`Ctx::fan_out`] worker: the label of the host it works on.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The connection to the one URI (or libvirt's default), opened once.
    /// Refused with several hosts: use [`Ctx::fan_out`].
    pub fn conn(&self) -> Result<&dyn Conn> {
        if let Some(c) = self.conn.get() {
            return Ok(c.as_ref());
        }
        let uri = self.single_uri()?;
        let c = self.connector.open(uri, self.opts.readonly).map_err(|e| {
            self.connect_failed.set(true);
            e
        })?;
        if let (Some(u), true) = (uri, self.remember_uri) {
            crate::state::remember_uri(u);
        }
        Ok(self.conn.get_or_init(|| Rc::from(c)).as_ref())
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
        self.connector.open(self.single_uri()?, self.opts.readonly)
    }

    /// The URI [`Ctx::open_conn`] opens (`None`: libvirt's default), for
    /// opening connections from worker threads through [`Ctx::connector`]
    /// (a `Ctx` stays on its own thread).
    pub fn one_uri(&self) -> Result<Option<String>> {
        Ok(self.single_uri()?.map(str::to_string))
    }

    fn single_uri(&self) -> Result<Option<&str>> {
        match self.uris()? {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            many => Err(anyhow::Error::new(OneHostOnly(many.len()))),
        }
    }

    /// Run `work` once per host, concurrently: at most `--jobs` hosts at a
    /// time (default: all of them, up to [`DEFAULT_HOST_JOBS`]), each in a
    /// worker thread with a context of its own whose [`Ctx::conn`] opens
    /// that host's connection in that thread. One host's failure (an
    /// unreachable daemon, a libvirt error) is its own result and never
    /// stops the others. Results come back in the order the hosts were given.
    pub fn fan_out<T: Send>(&self, work: impl Fn(&Ctx) -> Result<T> + Sync) -> Result<Vec<HostResult<T>>> {
        self.fan_out_streamed(work, |_| Ok(()))
    }

    /// [`Ctx::fan_out`], showing results while slower hosts still work:
    /// `show` gets every result at once, in the order given, when all hosts
    /// answer within [`PATIENCE`]; otherwise, once that has passed, the
    /// results in so far (a first batch, in the order given), then each later
    /// host on its own as it answers. So a hung host (given up only after
    /// `--timeout`) never holds back what the others said, and when every
    /// host is quick the output is one piece, as before. `show` runs on the
    /// calling thread; after it fails (a closed pipe) it is not called again
    /// and its error is returned once every host is done.
    pub fn fan_out_streamed<T: Send>(
        &self,
        work: impl Fn(&Ctx) -> Result<T> + Sync,
        mut show: impl FnMut(Batch<'_, T>) -> Result<()>,
    ) -> Result<Vec<HostResult<T>>> {
        let uris = self.uris()?.to_vec();
        // the light binary becomes knet-libvirt here, before any thread exists
        self.connector.link()?;
        let width = self.opts.jobs.map_or(DEFAULT_HOST_JOBS, usize::from).clamp(1, uris.len().max(1));
        let (opts, connector) = (&self.opts, self.connector);
        let next = AtomicUsize::new(0);
        let (work, uris_ref, next) = (&work, &uris, &next);
        let mut slots: Vec<Option<HostResult<T>>> = uris.iter().map(|_| None).collect();
        let mut shown: Result<()> = Ok(());
        let mut show = |batch: Batch<'_, T>| {
            if shown.is_ok() {
                shown = show(batch);
            }
        };
        let (tx, rx) = mpsc::channel::<(usize, HostResult<T>)>();
        std::thread::scope(|s| {
            for _ in 0..width {
                let tx = tx.clone();
                s.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(uri) = uris_ref.get(i) else { break };
                    let one = Options { connect: vec![uri.clone()], hosts: None, jobs: None, ..opts.clone() };
                    let mut hctx = Ctx::new(one, connector);
                    hctx.host = Some(uri.clone());
                    // the recent-URI list is one file: written once, below, not from every thread
                    hctx.remember_uri = false;
                    let result = work(&hctx);
                    let reached = !hctx.connect_failed();
                    if tx.send((i, HostResult { host: uri.clone(), reached, result })).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let patience = Instant::now() + PATIENCE;
            let (mut arrived, mut streaming) = (0, false);
            let all = slots.len();
            while arrived < all {
                let now = Instant::now();
                let (i, r) = if streaming || now >= patience {
                    match rx.recv() {
                        Ok(m) => m,
                        Err(_) => break,
                    }
                } else {
                    match rx.recv_timeout(patience - now) {
                        Ok(m) => m,
                        Err(mpsc::RecvTimeoutError::Timeout) if arrived == 0 => continue,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            streaming = true;
                            show(Batch { results: slots.iter().flatten().collect(), first: true, last: false });
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                };
                slots[i] = Some(r);
                arrived += 1;
                let last = arrived == all;
                if streaming {
                    show(Batch { results: slots[i].iter().collect(), first: false, last });
                } else if last || Instant::now() >= patience {
                    // everything (the quick case), or the first answers after a wait
                    while let Ok((j, r)) = rx.try_recv() {
                        slots[j] = Some(r);
                        arrived += 1;
                    }
                    streaming = arrived < all;
                    show(Batch { results: slots.iter().flatten().collect(), first: true, last: arrived == all });
                }
            }
        });
        let results: Vec<HostResult<T>> = slots.into_iter().flatten().collect();
        if self.remember_uri {
            for r in results.iter().filter(|r| r.reached) {
                crate::state::remember_uri(&r.host);
            }
        }
        shown?;
        Ok(results)
    }

    /// The connection if one is open already; never opens one.
    pub fn connected(&self) -> Option<&dyn Conn> {
        self.conn.get().map(|c| c.as_ref())
    }

    /// The open connection as a shared handle (the shell lends it to
    /// completion); never opens one.
    pub fn shared_conn(&self) -> Option<Rc<dyn Conn>> {
        self.conn.get().cloned()
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
            crate::state::remember_uri(u);
        }
        self.opts.connect = uri.into_iter().collect();
        self.opts.hosts = None;
        self.uris = OnceCell::new();
        self.opts.readonly = readonly;
        self.conn = OnceCell::from(Rc::from(c));
        Ok(())
    }

    pub fn json(&self) -> bool {
        self.opts.json
    }

    pub fn quiet(&self) -> bool {
        self.opts.quiet
    }
}

/// `--hosts FILE`: one URI per line; blank lines and `#` comments (whole
/// line, or after whitespace) ignored.
fn read_hosts(file: &Path) -> Result<Vec<String>> {
    let text = crate::input::read_text(&file.to_string_lossy()).with_context(|| format!("cannot read hosts file {}", file.display()))?;
    let uris: Vec<String> = text.lines().filter_map(host_line).map(str::to_string).collect();
    if uris.is_empty() {
        return Err(Exit::usage(format!("hosts file {} lists no URI", file.display())));
    }
    Ok(uris)
}

fn host_line(line: &str) -> Option<&str> {
    let line = line.trim();
    let line = match line.find('#') {
        Some(0) => return None,
        Some(i) if line[..i].ends_with(char::is_whitespace) => line[..i].trim_end(),
        _ => line,
    };
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::host_line;

    #[test]
    fn hosts_file_lines() {
        assert_eq!(host_line("qemu+ssh://kvm1/system"), Some("qemu+ssh://kvm1/system"));
        assert_eq!(host_line("  qemu+tls://kvm2/system   # rack 2"), Some("qemu+tls://kvm2/system"));
        assert_eq!(host_line("# qemu+ssh://retired/system"), None);
        assert_eq!(host_line("   "), None);
        // a '#' inside a URI is not a comment
        assert_eq!(host_line("test:///default#x"), Some("test:///default#x"));
    }
}
