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
//! Never do more in the handler than store to an atomic: it runs in signal
//! context.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static DEPTH: AtomicUsize = AtomicUsize::new(0);
static PREVIOUS: Mutex<Option<libc::sigaction>> = Mutex::new(None);

extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Has Ctrl-C been pressed since the outermost [`Guard`] was taken?
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Exit status after Ctrl-C stopped the work (128 + SIGINT, as shells report it).
pub const EXIT_CODE: i32 = 130;

/// The error a command returns when it stopped because of Ctrl-C.
pub fn cancelled() -> anyhow::Error {
    anyhow::Error::new(crate::exit::Exit { code: EXIT_CODE, message: Some("interrupted by Ctrl-C".into()) })
}

/// While alive, SIGINT sets the flag instead of killing the process.
pub struct Guard(());

impl Guard {
    pub fn new() -> Guard {
        if DEPTH.fetch_add(1, Ordering::SeqCst) == 0 {
            REQUESTED.store(false, Ordering::SeqCst);
            // SAFETY: plain sigaction(2) with a handler that only stores to an atomic.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
                // SA_RESTART: a blocking libvirt call goes on; the command sees the flag after it
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGINT, &sa, &mut old) == 0 {
                    *PREVIOUS.lock().unwrap_or_else(|e| e.into_inner()) = Some(old);
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
            if let Some(old) = PREVIOUS.lock().unwrap_or_else(|e| e.into_inner()).take() {
                // SAFETY: restores the disposition saved in Guard::new.
                unsafe {
                    libc::sigaction(libc::SIGINT, &old, std::ptr::null_mut());
                }
            }
        }
    }
}
