//! Reading the files a user hands knet: the one place every such file is
//! opened (net-define/net-create/net-update FILE, validate, domif-convert
//! --file, domif-rollback's backups, net-edit's result, --hosts).
//!
//! The rules, the same for every command:
//! - at most [`MAX_INPUT`] bytes (virsh's VSH_MAX_XML_FILE) are ever read,
//!   through a bounded `take()`, so memory stays bounded whatever the input
//!   (`/dev/zero`, `/dev/urandom`, an endless pipe); a larger input is
//!   refused, never truncated;
//! - regular files, pipes and FIFOs (`<(cmd)` process substitution) and
//!   standard input (`-`, `/dev/stdin`, even when that is a terminal) are
//!   read; directories, sockets and devices are refused before anything is
//!   read from them (opening some devices already has effects); a FIFO
//!   nobody writes to reads as empty instead of blocking the open forever,
//!   and a pipe or FIFO (standard input too, but not a terminal) must reach
//!   its end within the connection deadline (`--timeout`), so a writer that
//!   never writes nor closes cannot hold knet for ever;
//! - errors read like virsh's virFileReadAll: `Failed to open file 'X': ...`.
//!
//! This module never interprets what it reads (XML parsing is `crate::xml`)
//! and never reads knet's own state files (those are `crate::backup`'s and
//! `crate::complete`'s, written by knet itself).

use std::fmt;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};

pub use crate::xml::MAX_INPUT;

/// Why a file could not be read.
#[derive(Debug)]
pub enum InputError {
    /// open(2) or read(2) failed: virsh's `Failed to open file 'X': REASON`.
    Io { path: String, verb: &'static str, reason: String },
    /// A directory, device or socket: not something knet reads XML from.
    NotAFile { path: String, kind: &'static str },
    /// More than [`MAX_INPUT`] bytes.
    TooLarge { path: String },
    /// Not UTF-8 text ([`read_text`] only).
    NotUtf8 { path: String },
}

/// The message for an input over [`MAX_INPUT`], shared with the XML parser's
/// own check so both say the same.
pub fn too_large_message() -> String {
    format!("document is larger than {} MiB, the most knet (like virsh) reads", MAX_INPUT >> 20)
}

impl InputError {
    /// Why, without the file's name (for callers that print it themselves).
    pub fn reason(&self) -> String {
        match self {
            InputError::Io { reason, .. } => reason.clone(),
            InputError::NotAFile { kind, .. } => format!("it is a {kind}; knet reads regular files, pipes and standard input ('-')"),
            InputError::TooLarge { .. } => too_large_message(),
            InputError::NotUtf8 { .. } => "not UTF-8 text".into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io { path, verb, reason } => write!(f, "Failed to {verb} file '{path}': {reason}"),
            InputError::NotAFile { path, .. } => write!(f, "Failed to open file '{path}': {}", self.reason()),
            InputError::TooLarge { path } => write!(f, "file '{path}': {}", too_large_message()),
            InputError::NotUtf8 { path } => write!(f, "file '{path}' is not UTF-8 text"),
        }
    }
}

impl std::error::Error for InputError {}

/// The bytes of `path` (`-` is standard input), by the rules above.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, InputError> {
    let io = |verb: &'static str, e: std::io::Error| InputError::Io { path: path.to_string(), verb, reason: strerror(&e) };
    let mut buf = Vec::new();
    let limit = MAX_INPUT as u64 + 1;
    if path == "-" {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        if is_pipe_like(0) {
            // blocking: the descriptor may be shared with other processes
            read_within(&mut lock, 0, false, limit, crate::libvirt::timeout(), &mut buf).map_err(|e| io("read", e))?;
        } else {
            lock.take(limit).read_to_end(&mut buf).map_err(|e| io("read", e))?;
        }
    } else {
        // stat first: opening a device may already do something (a tape
        // rewinds, a terminal becomes the controlling one)
        let meta = std::fs::metadata(path).map_err(|e| io("open", e))?;
        check_kind(path, &meta)?;
        // O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait
        // forever (a FIFO with no writer then reads as empty at once)
        let mut f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(|e| io("open", e))?;
        // the path may have been swapped between stat and open
        let meta = f.metadata().map_err(|e| io("open", e))?;
        check_kind(path, &meta)?;
        if meta.file_type().is_fifo() {
            // a writer that never writes nor closes must not hold knet for ever
            let fd = f.as_raw_fd();
            read_within(&mut f, fd, true, limit, crate::libvirt::timeout(), &mut buf).map_err(|e| io("read", e))?;
        } else {
            f.take(limit).read_to_end(&mut buf).map_err(|e| io("read", e))?;
        }
    }
    if buf.len() > MAX_INPUT {
        return Err(InputError::TooLarge { path: path.to_string() });
    }
    Ok(buf)
}

/// Standard input (`fd` 0) is a pipe, FIFO or socket: something another
/// process writes, which may never finish.
fn is_pipe_like(fd: i32) -> bool {
    // SAFETY: fstat into a zeroed struct; failure is checked.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return false;
    }
    matches!(st.st_mode & libc::S_IFMT, libc::S_IFIFO | libc::S_IFSOCK)
}

/// Read `fd` (behind `r`) to its end, at most `limit` bytes, within the
/// connection deadline (`--timeout`): a pipe or FIFO whose writer stays
/// silent and never closes fails with ETIMEDOUT instead of blocking knet
/// for ever (Ctrl-C would be the only way out, and a script has none).
/// `nonblocking`: the descriptor has O_NONBLOCK (read first, wait on
/// EAGAIN); otherwise wait before each read so that none blocks.
fn read_within(r: &mut impl Read, fd: i32, nonblocking: bool, limit: u64, deadline: std::time::Duration, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let start = std::time::Instant::now();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut wait_first = !nonblocking;
    loop {
        if wait_first {
            let left = deadline.saturating_sub(start.elapsed());
            let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
            // SAFETY: poll on one valid descriptor this function was given.
            let n = unsafe { libc::poll(&mut p, 1, left.as_millis().min(i32::MAX as u128) as i32) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no end of input within {} s (--timeout); is anything writing to it?", deadline.as_secs_f64())));
            }
        }
        let want = (limit - buf.len() as u64).min(chunk.len() as u64) as usize;
        if want == 0 {
            return Ok(());
        }
        match r.read(&mut chunk[..want]) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                wait_first = !nonblocking;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => wait_first = true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The text of `path` (`-` is standard input), by the rules above.
pub fn read_text(path: &str) -> Result<String, InputError> {
    String::from_utf8(read_bytes(path)?).map_err(|_| InputError::NotUtf8 { path: path.to_string() })
}

fn check_kind(path: &str, meta: &std::fs::Metadata) -> Result<(), InputError> {
    let t = meta.file_type();
    let kind = if t.is_file() || t.is_fifo() {
        return Ok(());
    } else if t.is_dir() {
        // virsh: "Failed to read file 'X': Is a directory"
        return Err(InputError::Io { path: path.to_string(), verb: "read", reason: strerror(&std::io::Error::from_raw_os_error(libc::EISDIR)) });
    } else if t.is_char_device() {
        if is_stdin(meta) {
            return Ok(());
        }
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    };
    Err(InputError::NotAFile { path: path.to_string(), kind })
}

/// `/dev/stdin` (or the terminal's own path) when standard input is a
/// terminal: the same device as file descriptor 0, read like `-`.
fn is_stdin(meta: &std::fs::Metadata) -> bool {
    // SAFETY: fstat on fd 0 into a zeroed struct; failure is checked.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(0, &mut st) } != 0 {
        return false;
    }
    (st.st_mode & libc::S_IFMT) == libc::S_IFCHR && st.st_rdev == meta.rdev()
}

/// The system's reason without Rust's " (os error N)" suffix, as virsh prints strerror.
pub fn strerror(e: &std::io::Error) -> String {
    let s = match e.raw_os_error() {
        Some(n) => std::io::Error::from_raw_os_error(n).to_string(),
        None => e.to_string(),
    };
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_before_reading() {
        for (p, want) in [("/dev/zero", "character device"), ("/dev/urandom", "character device"), ("/", "Is a directory"), ("/nonexistent/x", "No such file")] {
            let e = read_bytes(p).unwrap_err().to_string();
            assert!(e.contains(want), "{p}: {e}");
            assert!(e.starts_with("Failed to"), "{p}: {e}");
        }
    }

    #[test]
    fn large_files_are_refused_not_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; MAX_INPUT + 1]).unwrap();
        assert!(matches!(read_bytes(p.to_str().unwrap()), Err(InputError::TooLarge { .. })));
        std::fs::write(&p, vec![b'x'; MAX_INPUT]).unwrap();
        assert_eq!(read_bytes(p.to_str().unwrap()).unwrap().len(), MAX_INPUT);
    }

    #[test]
    fn a_fifo_nobody_writes_to_reads_as_empty_instead_of_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a fresh path in a private directory.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read_bytes(p.to_str().unwrap()).unwrap(), b"");
    }

    #[test]
    fn a_fifo_whose_writer_stays_silent_fails_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a fresh path in a private directory.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let mut f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&p).unwrap();
        // a writer that never writes nor closes
        let w = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        let fd = f.as_raw_fd();
        let start = std::time::Instant::now();
        let mut buf = Vec::new();
        let e = read_within(&mut f, fd, true, 100, std::time::Duration::from_millis(300), &mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(strerror(&e).starts_with("no end of input within 0.3 s (--timeout)"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // what it writes and then its close end the read normally
        use std::io::Write;
        (&w).write_all(b"<network/>").unwrap();
        drop(w);
        let mut buf = Vec::new();
        read_within(&mut f, fd, true, 100, std::time::Duration::from_secs(5), &mut buf).unwrap();
        assert_eq!(buf, b"<network/>");
    }
}
