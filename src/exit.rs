//! Exit codes and the one place errors become text on stderr.
//!
//! virsh's convention, which scripts rely on: 0 success, 1 any failure of the
//! operation (including libvirt errors), 2 usage errors. `knet validate`
//! follows virt-xml-validate's spirit with 0 valid / 1 invalid / 2 usage or I/O.
//!
//! Never exits the process itself: `cli::main` returns the code, so the
//! interactive shell can report an error and go on.

use std::fmt;
use std::io::Write;

pub const SUCCESS: i32 = 0;
pub const FAILURE: i32 = 1;
pub const USAGE: i32 = 2;

/// An error whose exit code is not the default 1.
///
/// Wrap it in `anyhow::Error`; [`report`] finds it anywhere in the chain.
#[derive(Debug)]
pub struct Exit {
    pub code: i32,
    pub message: Option<String>,
}

impl Exit {
    /// Exit with `code` and print nothing more (the command already reported).
    pub fn silent(code: i32) -> anyhow::Error {
        anyhow::Error::new(Exit { code, message: None })
    }
    /// A usage error: printed as `error: MSG`, exit 2.
    pub fn usage(msg: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Exit { code: USAGE, message: Some(msg.into()) })
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => f.write_str(m),
            None => write!(f, "exit status {}", self.code),
        }
    }
}

impl std::error::Error for Exit {}

/// Print `err` as virsh does (one `error: ` line per cause, outermost first)
/// and return the exit code. A broken pipe is not an error (ripgrep's rule).
pub fn report(err: &anyhow::Error) -> i32 {
    if is_broken_pipe(err) {
        return SUCCESS;
    }
    let code = err.chain().find_map(|e| e.downcast_ref::<Exit>()).map_or(FAILURE, |e| e.code);
    let stderr = std::io::stderr();
    let mut w = stderr.lock();
    for cause in err.chain() {
        if let Some(Exit { message: None, .. }) = cause.downcast_ref::<Exit>() {
            continue;
        }
        // a cause may quote a file or libvirt: never a terminal escape
        let _ = writeln!(w, "error: {}", crate::output::escape_text(&cause.to_string()));
    }
    // a failure message alone would claim nothing changed
    if let Some(note) = crate::libvirt::unanswered_note(err) {
        let _ = writeln!(w, "error: {note}");
    }
    code
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
