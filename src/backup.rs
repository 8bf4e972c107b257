//! Backups of guest XML taken before knet changes a guest, and their lookup
//! for `domif-rollback`.
//!
//! Layout: `$XDG_STATE_HOME/knet/backups/GUEST/STAMP.xml` (default
//! `~/.local/state/knet/backups`), directories 0700 and files 0600: domain
//! XML can carry secrets (VNC passwords, iSCSI auth, host paths). A backup is
//! written completely and never overwritten; this module never deletes one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// `$XDG_STATE_HOME/knet/backups`, else `~/.local/state/knet/backups`
/// (knet's state directory is shared with the shell's history and URIs).
pub fn root() -> Result<PathBuf> {
    let state = crate::complete::state_dir().ok_or_else(|| anyhow!("neither XDG_STATE_HOME nor HOME is set: nowhere to keep backups"))?;
    Ok(state.join("backups"))
}

fn guest_dir(guest: &str) -> Result<PathBuf> {
    Ok(root()?.join(guest))
}

/// Create `dir` (parents too) as 0700 and make sure the directories knet
/// owns (`knet/`, `knet/backups/`, the guest's) are 0700 even if they
/// existed looser; never touch the user's state directory itself.
fn private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let root = root()?;
    let knet = root.parent().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
    for d in [knet.as_path(), root.as_path(), dir] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o700)).with_context(|| format!("cannot restrict {}", d.display()))?;
    }
    Ok(())
}

/// UTC `YYYYmmddTHHMMSS.nnnnnnnnnZ`: sorts by time, no crate needed.
fn stamp() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{:09}Z", rem / 3600, rem % 3600 / 60, rem % 60, now.subsec_nanos())
}

/// Save `xml` as a new backup of `guest`; returns its path.
pub fn save(guest: &str, xml: &str) -> Result<PathBuf> {
    let dir = guest_dir(guest)?;
    private_dir(&dir)?;
    for n in 0.. {
        let name = if n == 0 { format!("{}.xml", stamp()) } else { format!("{}-{n}.xml", stamp()) };
        let path = dir.join(name);
        match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
            Ok(mut f) => {
                // no fsync per file: it would double the cost of a bulk run
                // (libvirt already syncs each define); commands call sync()
                // once when their batch is done
                f.write_all(xml.as_bytes()).with_context(|| format!("cannot write backup {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot create backup {}", path.display()))),
        }
    }
    unreachable!()
}

/// Flush every backup written so far to disk (one `syncfs` for a batch).
pub fn sync() -> Result<()> {
    let root = root()?;
    let dir = fs::File::open(&root).with_context(|| format!("cannot open {}", root.display()))?;
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open fd for the duration of the call
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        return Err(anyhow::Error::new(std::io::Error::last_os_error()).context("cannot sync backups"));
    }
    Ok(())
}

/// A guest's backups, oldest first.
pub fn list(guest: &str) -> Result<Vec<PathBuf>> {
    let dir = guest_dir(guest)?;
    let mut v: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "xml")).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", dir.display()))),
    };
    v.sort();
    Ok(v)
}

/// `--to` as given: a path (contains `/`) or a file name in the guest's
/// backup directory; without it, the newest backup.
pub fn resolve(guest: &str, to: Option<&str>) -> Result<PathBuf> {
    match to {
        Some(t) if t.contains('/') => Ok(PathBuf::from(t)),
        Some(t) => Ok(guest_dir(guest)?.join(t)),
        None => list(guest)?.pop().ok_or_else(|| anyhow!("no backup of guest '{guest}' in {}", guest_dir(guest).map(|d| d.display().to_string()).unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamp_sorts_and_has_the_right_shape() {
        let a = super::stamp();
        let b = super::stamp();
        assert_eq!(a.len(), "20261122T160102.123456789Z".len(), "{a}");
        assert!(a <= b);
        assert!(a.starts_with("20"));
    }
}
