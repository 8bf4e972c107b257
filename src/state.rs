//! knet's private state on disk: where it lives and how it is written.
//!
//! One directory, `$XDG_STATE_HOME/knet` (else `~/.local/state/knet`),
//! holding the recently connected URIs (`uris`, for `--connect`
//! completion), the interactive shell's `history` and guest XML backups
//! (`backups/`, laid out by src/backup.rs). Everything here is private to
//! its user: directories 0700, files 0600 — state can name hosts and
//! backups can hold secrets.
//!
//! This module never opens a libvirt connection and never fails a command:
//! recording state is best effort (a read-only home or a full disk must not
//! break `net-list`); only callers that must have the state (backups) turn
//! a missing directory into an error.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The state directory: `$XDG_STATE_HOME/knet`, else `~/.local/state/knet`;
/// `None` when neither variable is set.
pub fn dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/state"),
    };
    Some(base.join("knet"))
}

/// The interactive shell's line history.
pub fn history_path() -> Option<PathBuf> {
    dir().map(|d| d.join("history"))
}

/// Where guest backups are filed (src/backup.rs decides the layout below).
pub fn backups_root() -> Option<PathBuf> {
    dir().map(|d| d.join("backups"))
}

/// Create `dir` (and missing parents) as 0700, and make it 0700 if it
/// existed looser.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// How many URIs [`remember_uri`] keeps.
const MAX_URIS: usize = 20;

/// Recently connected URIs, most recent first (empty when none recorded).
pub fn recent_uris() -> Vec<String> {
    let Some(f) = dir().map(|d| d.join("uris")) else { return Vec::new() };
    std::fs::read_to_string(f).unwrap_or_default().lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// Record a URI a connection was just opened to, most recent first. Best
/// effort. The file is replaced atomically (a temporary file in the same
/// directory, renamed over it), so two knet processes never leave a torn
/// list, and it is created 0600 (tempfile's default mode).
pub fn remember_uri(uri: &str) {
    let mut uris = recent_uris();
    if uris.first().map(String::as_str) == Some(uri) {
        return;
    }
    uris.retain(|u| u != uri);
    uris.insert(0, uri.to_string());
    uris.truncate(MAX_URIS);
    let Some(dir) = dir() else { return };
    if create_private_dir(&dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::Builder::new().prefix("uris.").tempfile_in(&dir) else { return };
    if tmp.write_all((uris.join("\n") + "\n").as_bytes()).is_ok() {
        let _ = tmp.persist(dir.join("uris"));
    }
}
