//! Ctrl-C during a command: a flag that bulk operations poll, instead of the
//! process dying between two libvirt calls.
//!
//! Bulk commands (converting many guests, adding many DHCP hosts) must never
//! leave one object half-changed. While a [`Guard`] is alive, SIGINT only sets
//! a flag; the command checks [`requested`] between objects (never in the
//! middle of one), stops cleanly, reports what it did and what it skipped,
//! and returns [`cancelled`]'s error (exit 130, the shells' convention for
//! "stopped by SIGINT").
//!
//! ```ignore
//! let _g = crate::interrupt::Guard::new();
//! for guest in guests {
//!     if crate::interrupt::requested() {
//!         return Err(crate::interrupt::cancelled());
//!     }
//!     convert(guest)?;
//! }
//! ```
//!
//! The interactive shell holds a guard around every command it runs, so
//! Ctrl-C ends the command, not the session. A command run from the shell
//! should take its own guard too: guards nest. With no guard (one-shot
//! commands that never asked for one) Ctrl-C kills the process as usual.
//!
//! A libvirt call can block (a host that stopped answering) until libvirt's
//! keepalive gives up on it, within `--timeout`. So the flag is not all:
//! while a guard is alive, a watcher thread tells the user within a second that
//! knet is stopping after the current step, and a Ctrl-C after that ends the
//! process without waiting, after printing every change the command
//! [`record`]ed so far (what was already changed is always reported).
//! A guard around a child that owns the terminal (the editor) takes
//! [`Guard::for_child`]: there, the child decides.
//!
//! SIGTERM (a shutdown, `kill`, a service manager) and SIGHUP (the terminal
//! went away) are taken the same way as Ctrl-C while a guard is alive: the
//! process that must end still ends, but between two objects and after
//! saying what it changed, not in the middle of a guest's define and live
//! change. [`cause`] names the signal in the messages and the exit status
//! is 128 + its number, as shells report it.
//!
//! Never do more in the handler than store to an atomic: it runs in signal
//! context.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The signals a guard takes over: each one asks the command to stop.
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The last of [`SIGNALS`] received under the outermost guard.
static SIGNAL: AtomicI32 = AtomicI32::new(libc::SIGINT);
/// Ctrl-C presses since the outermost guard was taken.
static PRESSES: AtomicUsize = AtomicUsize::new(0);
static DEPTH: AtomicUsize = AtomicUsize::new(0);
/// Guards around a child process (the editor): no escape on a second press.
static CHILD_GUARDS: AtomicUsize = AtomicUsize::new(0);
static PREVIOUS: Mutex<Vec<(libc::c_int, libc::sigaction)>> = Mutex::new(Vec::new());
static JOURNAL: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn on_sigint(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
    REQUESTED.store(true, Ordering::SeqCst);
    PRESSES.fetch_add(1, Ordering::SeqCst);
}

/// Note one change this command has made (`Domain 'vm1' converted
/// (backup: ...)`), for the report a second Ctrl-C prints before it ends
/// the process. Commands still print their own full report when they stop
/// normally; this is only the fallback.
pub fn record(change: impl Into<String>) {
    if DEPTH.load(Ordering::SeqCst) > 0 {
        JOURNAL.lock().unwrap_or_else(|e| e.into_inner()).push(change.into());
    }
}

/// The watcher (one per process, started with the first guard): speaks
/// for a command stuck in a libvirt call, see the module docs.
fn start_watcher() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new().name("knet-interrupt".into()).spawn(|| {
            // ticks since the first press, and the presses counted when the notice was shown
            let (mut ticks, mut noticed) = (0, None);
            loop {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let presses = PRESSES.load(Ordering::SeqCst);
                if DEPTH.load(Ordering::SeqCst) == 0 || CHILD_GUARDS.load(Ordering::SeqCst) > 0 || presses == 0 {
                    (ticks, noticed) = (0, None);
                    continue;
                }
                // only a press after the notice escapes: a quick double tap
                // during a command that stops on its own must not
                if noticed.is_some_and(|n| presses > n) {
                    escape();
                }
                ticks += 1;
                // a command that stops between two objects ends well within this
                if ticks == 20 {
                    noticed = Some(presses);
                    eprintln!(
                        "Stopping after the current step (a host that does not answer is given up within {} s); press Ctrl-C again to quit at once",
                        crate::libvirt::timeout().as_secs()
                    );
                }
            }
        });
    });
}

/// A second Ctrl-C: report what changed, and end the process now.
fn escape() -> ! {
    use std::io::Write;
    let journal = JOURNAL.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut err = std::io::stderr().lock();
    let _ = std::io::stdout().flush();
    let _ = writeln!(err, "Interrupted again: quitting without waiting for the step in progress.");
    if journal.is_empty() {
        let _ = writeln!(err, "Nothing was changed before it.");
    } else {
        let _ = writeln!(err, "Changed before it ({}):", journal.len());
        for line in &journal {
            let _ = writeln!(err, "  {line}");
        }
    }
    let _ = writeln!(err, "The step in progress may or may not have completed: check that object, or run the same command again.");
    let _ = err.flush();
    // no atexit handlers: another thread is inside libvirt, holding its locks
    unsafe { libc::_exit(exit_code()) }
}

/// Has Ctrl-C been pressed since the outermost [`Guard`] was taken?
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Exit status after Ctrl-C stopped the work (128 + SIGINT, as shells report it).
pub const EXIT_CODE: i32 = 130;

/// What stopped the work, for messages: `Ctrl-C`, `SIGTERM` or `SIGHUP`.
pub fn cause() -> &'static str {
    match SIGNAL.load(Ordering::SeqCst) {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "Ctrl-C",
    }
}

/// Exit status after the work was stopped: 128 + the signal's number
/// ([`EXIT_CODE`] for Ctrl-C).
pub fn exit_code() -> i32 {
    128 + SIGNAL.load(Ordering::SeqCst)
}

/// The error a command returns when it stopped because of Ctrl-C (or
/// SIGTERM, SIGHUP: see [`cause`]).
pub fn cancelled() -> anyhow::Error {
    anyhow::Error::new(crate::exit::Exit { code: exit_code(), message: Some(format!("interrupted by {}", cause())) })
}

/// While alive, SIGINT sets the flag instead of killing the process.
pub struct Guard(());

/// A [`Guard`] around a child process that owns the terminal.
pub struct ChildGuard(Guard);

impl Guard {
    /// Like [`Guard::new`], around a child that reads Ctrl-C itself (the
    /// editor): a second press is the child's, never an escape.
    pub fn for_child() -> ChildGuard {
        CHILD_GUARDS.fetch_add(1, Ordering::SeqCst);
        ChildGuard(Guard::new())
    }

    pub fn new() -> Guard {
        start_watcher();
        if DEPTH.fetch_add(1, Ordering::SeqCst) == 0 {
            REQUESTED.store(false, Ordering::SeqCst);
            SIGNAL.store(libc::SIGINT, Ordering::SeqCst);
            PRESSES.store(0, Ordering::SeqCst);
            JOURNAL.lock().unwrap_or_else(|e| e.into_inner()).clear();
            // SAFETY: plain sigaction(2) with a handler that only stores to an atomic.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
                // SA_RESTART: a blocking libvirt call goes on; the command sees the flag after it
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                let mut previous = PREVIOUS.lock().unwrap_or_else(|e| e.into_inner());
                for sig in SIGNALS {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &sa, &mut old) == 0 {
                        previous.push((sig, old));
                    }
                }
            }
        }
        Guard(())
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if DEPTH.fetch_sub(1, Ordering::SeqCst) == 1 {
            for (sig, old) in PREVIOUS.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
                // SAFETY: restores the disposition saved in Guard::new.
                unsafe {
                    libc::sigaction(sig, &old, std::ptr::null_mut());
                }
            }
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        CHILD_GUARDS.fetch_sub(1, Ordering::SeqCst);
    }
}
