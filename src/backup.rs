//! Backups of guest XML taken before knet changes a guest, and their lookup
//! for `domif-rollback`.
//!
//! Layout: `$XDG_STATE_HOME/knet/backups/GUEST/STAMP.xml` (default
//! `~/.local/state/knet/backups`), directories 0700 and files 0600: domain
//! XML can carry secrets (VNC passwords, iSCSI auth, host paths). A backup is
//! written completely and never overwritten; this module deletes one only
//! when it was taken for a change that was then not made ([`discard`]).
//!
//! Next to each backup, `STAMP.json` records which command took it and the
//! XML knet defined right after (`{"made_by": "domif-convert", "defined":
//! "<domain ..."}`): rollback compares the guest's current config with it to
//! notice changes made since, which restoring would silently discard. The
//! backup itself stays plain domain XML, restorable with `virsh define`.
//!
//! Backups are filed by guest name, but a name is only unique on one host:
//! with several hosts (or a guest deleted and re-created) two guests share a
//! directory. Each backup carries its guest's `<uuid>`, and rollback only
//! takes a backup whose UUID is the guest's own.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// `$XDG_STATE_HOME/knet/backups`, else `~/.local/state/knet/backups`
/// (knet's state directory is shared with the shell's history and URIs).
pub fn root() -> Result<PathBuf> {
    crate::state::backups_root().ok_or_else(|| anyhow!("neither XDG_STATE_HOME nor HOME is set: nowhere to keep backups"))
}

/// The guest's backup directory. A guest name comes from libvirt (or a
/// remote host) and may hold `/`, be `..` or start with `.`: it is encoded
/// into one plain path component so a backup never lands outside
/// `backups/` (`%` is encoded too, which keeps the mapping one-to-one).
fn guest_dir(guest: &str) -> Result<PathBuf> {
    Ok(root()?.join(dir_name(guest)))
}

fn dir_name(guest: &str) -> String {
    let mut s = String::with_capacity(guest.len());
    for (i, c) in guest.chars().enumerate() {
        match c {
            '/' | '%' | '\0' => s.push_str(&format!("%{:02X}", c as u32)),
            '.' if i == 0 => s.push_str("%2E"),
            c => s.push(c),
        }
    }
    if s.is_empty() {
        s.push_str("%00");
    }
    s
}

/// Create `dir` (parents too) as 0700 and make sure the directories knet
/// owns (`knet/`, `knet/backups/`, the guest's) are 0700 even if they
/// existed looser; never touch the user's state directory itself.
///
/// `knet/` and `backups/` are checked once per process, then a guest's
/// directory costs one mkdir: in a 200-guest conversion the three
/// mkdir+chmod per guest took longer than libvirt's defines.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    use std::sync::atomic::{AtomicBool, Ordering};
    static PARENTS_READY: AtomicBool = AtomicBool::new(false);
    let private = |d: &Path| crate::state::create_private_dir(d).with_context(|| format!("cannot create {} as a private (0700) directory", d.display()));
    if !PARENTS_READY.load(Ordering::Relaxed) {
        let root = root()?;
        let knet = root.parent().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
        private(&knet)?;
        private(&root)?;
        PARENTS_READY.store(true, Ordering::Relaxed);
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| format!("cannot make {} private (0700)", dir.display()))
        }
        // the state directory went away under a long-lived process (the shell)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            PARENTS_READY.store(false, Ordering::Relaxed);
            private(dir)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot create {} as a private (0700) directory", dir.display()))),
    }
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

/// What a backup's `STAMP.json` holds (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// The command that took the backup: `domif-convert` or `domif-rollback`.
    pub made_by: String,
    /// The persistent XML that command defined in the backup's place.
    pub defined: String,
}

/// Save `xml` as a new backup of `guest`, with its [`Record`]; returns the
/// backup's path. Either both files are written completely or neither is
/// left behind.
pub fn save(guest: &str, xml: &str, record: &Record) -> Result<PathBuf> {
    let dir = guest_dir(guest)?;
    private_dir(&dir)?;
    let json = serde_json::to_string(record)?;
    for n in 0.. {
        let name = if n == 0 { format!("{}.xml", stamp()) } else { format!("{}-{n}.xml", stamp()) };
        let path = dir.join(name);
        match write_new(&path, xml) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return Err(e),
        }
        // the record next to it; a backup without its record would be refused by rollback
        let side = record_path(&path);
        return match write_new(&side, &json) {
            Ok(true) => Ok(path),
            Ok(false) => {
                let _ = fs::remove_file(&path);
                Err(anyhow!("cannot create {}: it exists already", side.display()))
            }
            Err(e) => {
                let _ = fs::remove_file(&path);
                Err(e)
            }
        };
    }
    unreachable!()
}

/// Write a new 0600 file; `Ok(false)` when the name is taken.
fn write_new(path: &Path, text: &str) -> Result<bool> {
    match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(mut f) => {
            // no fsync per file: it would double the cost of a bulk run
            // (libvirt already syncs each define); commands call sync()
            // once when their batch is done
            if let Err(e) = f.write_all(text.as_bytes()).and_then(|_| f.flush()) {
                // a truncated backup must never be found as "the newest" by rollback
                let _ = fs::remove_file(path);
                return Err(anyhow::Error::new(e).context(format!("cannot write backup {}", path.display())));
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot create backup {}", path.display()))),
    }
}

/// `STAMP.json` beside `STAMP.xml`.
fn record_path(backup: &Path) -> PathBuf {
    backup.with_extension("json")
}

/// A backup's record; `None` for a backup without one (taken by hand, or by
/// a knet that did not write records).
pub fn record_of(backup: &Path) -> Option<Record> {
    let text = crate::input::read_text(&record_path(backup).to_string_lossy()).ok()?;
    serde_json::from_str(&text).ok()
}

/// Remove a backup (and its record) taken for a change that was then not
/// made (libvirt refused the define, the original was put back, or a
/// conversion, which writes every backup before its first define, skipped
/// the guest or stopped before it): it is a copy of the guest's current
/// config, and left behind it would be mistaken for the state before a
/// change.
pub fn discard(backup: &Path) {
    let _ = fs::remove_file(record_path(backup));
    if fs::remove_file(backup).is_ok() {
        // and the guest's directory if that left it empty (fails otherwise)
        if let Some(dir) = backup.parent() {
            let _ = fs::remove_dir(dir);
        }
    }
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

/// `--to` as given: a file name in the guest's backup directory, or a path
/// to such a file; without it, the newest backup.
///
/// Anything that does not resolve (symlinks followed) to a file directly in
/// that directory is refused: rollback defines what it reads, so under sudo
/// a path of the caller's choosing would define any guest they wrote (host
/// disks, devices). A backup kept elsewhere is restored with `virsh define`.
pub fn resolve(guest: &str, uuid: &str, to: Option<&str>) -> Result<PathBuf> {
    let dir = guest_dir(guest)?;
    let Some(t) = to else {
        return newest(guest, uuid, |_| true);
    };
    let given = if t.contains('/') { PathBuf::from(t) } else { dir.join(t) };
    let refuse = || anyhow!("'{t}' is not a backup of guest '{guest}': --to takes a file of {} (restore other files with virsh define)", dir.display());
    let real = given.canonicalize().with_context(|| format!("cannot open backup {}", given.display()))?;
    let real_dir = dir.canonicalize().map_err(|_| refuse())?;
    if real.parent() != Some(real_dir.as_path()) || !real.is_file() {
        return Err(refuse());
    }
    match uuid_of(&real) {
        Some(u) if u != uuid => Err(anyhow!("backup {} is of another guest named '{guest}' (UUID {u}, this one is {uuid}); restore it with virsh define on its own host", real.display())),
        _ => Ok(real),
    }
}

/// The newest backup of the guest with this UUID whose record (if any)
/// `keep` accepts. A backup that cannot be read or is of another guest of
/// the same name is passed over, never taken.
pub fn newest(guest: &str, uuid: &str, keep: impl Fn(Option<&Record>) -> bool) -> Result<PathBuf> {
    let dir = guest_dir(guest)?;
    let all = list(guest)?;
    let n = all.len();
    let mut own = 0;
    for p in all.into_iter().rev() {
        if uuid_of(&p).as_deref() != Some(uuid) {
            continue;
        }
        own += 1;
        if keep(record_of(&p).as_ref()) {
            return Ok(p);
        }
    }
    Err(if n == 0 {
        anyhow!("no backup of guest '{guest}' in {}", dir.display())
    } else if own == 0 {
        anyhow!("none of the {n} backups in {} is of this guest '{guest}' (UUID {uuid}): they belong to another guest of that name, e.g. on another host", dir.display())
    } else {
        anyhow!("no backup taken by domif-convert of guest '{guest}' in {} (only rollbacks' copies: restore one of them with --to)", dir.display())
    })
}

/// The `<uuid>` of the domain XML in a backup file, if it has one.
fn uuid_of(path: &Path) -> Option<String> {
    let xml = crate::input::read_text(&path.to_string_lossy()).ok()?;
    let doc = crate::xml::parse(&xml).ok()?;
    let uuid = crate::xml::interface::Domain::read(doc.root_element()).uuid?.text;
    // libvirt prints UUIDs in lower case; a hand-edited file may not
    Some(uuid.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn guest_names_never_leave_the_backup_directory() {
        for (name, dir) in [("vm1", "vm1"), ("a/b", "a%2Fb"), ("..", "%2E."), (".", "%2E"), ("../../etc", "%2E.%2F..%2Fetc"), ("50%", "50%25"), ("", "%00"), ("a.b", "a.b")] {
            assert_eq!(super::dir_name(name), dir);
            let p = std::path::Path::new(&super::dir_name(name)).components().count();
            assert_eq!(p, 1, "{name}");
        }
        // one-to-one: distinct names, distinct directories
        assert_ne!(super::dir_name("a/b"), super::dir_name("a%2Fb"));
    }

    #[test]
    fn stamp_sorts_and_has_the_right_shape() {
        let a = super::stamp();
        let b = super::stamp();
        assert_eq!(a.len(), "20261122T160102.123456789Z".len(), "{a}");
        assert!(a <= b);
        assert!(a.starts_with("20"));
    }
}
