//! Applying one guest's plan: backup, define, then the running guest
//! (`--live`: update-device per NIC; `--restart`: shutdown and start).
//! Never leaves a guest half-changed: every failure after the define puts
//! the original config (and the NICs already moved) back, and says so.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use super::plan::{NicChange, Plan};
use super::report::{GuestReport, Status};
use super::{Args, Change};
use crate::backup;
use crate::libvirt::{affect, code, Conn};
use crate::mac::Mac;
use crate::xml::edit::{self, Target};

/// The running guest's elements for `nics`, retargeted, for update-device,
/// from one parse of its live XML: each planned NIC is found by MAC (the
/// first NIC with it); one the running guest lacks (added with --config
/// only) or that is already on `target` gets nothing: it takes the new
/// target at its next boot.
fn live_elements(live_xml: &str, macs: &[Option<Mac>], target: &Target) -> Result<Vec<(String, String)>> {
    let mut seen = Vec::new();
    let (_, picked) = edit::retarget_selected(live_xml, target, |ifc| {
        let Some(m) = ifc.mac.as_deref().and_then(|x| x.parse::<Mac>().ok()) else { return false };
        if !macs.contains(&Some(m)) || seen.contains(&m) {
            return false;
        }
        seen.push(m);
        Target::of(ifc).as_ref() != Some(target)
    })?;
    Ok(picked.into_iter().map(|(ifc, el)| (ifc.mac.unwrap_or_default(), el)).collect())
}

/// Move the running guest's NICs in `nics` to `target`. When one is
/// refused, the ones already moved go back to where they were.
fn move_live(conn: &dyn Conn, guest: &str, live_xml: &str, nics: &[NicChange], target: &Target) -> Result<()> {
    // a NIC whose model alone changes has nothing to move now: libvirt
    // refuses a live model change, so the model waits for the next boot
    let macs: Vec<Option<Mac>> = nics.iter().filter(|n| n.moves()).map(|n| n.mac.as_deref().and_then(|m| m.parse().ok())).collect();
    let moves = live_elements(live_xml, &macs, target)?;
    for (k, (mac, el)) in moves.iter().enumerate() {
        if let Err(e) = conn.update_device(guest, el, affect::LIVE) {
            for (done, _) in &moves[..k] {
                if let Some(from) = nics.iter().find(|n| n.mac.as_deref() == Some(done.as_str())).map(|n| &n.from) {
                    let _ = move_back(conn, guest, done, from);
                }
            }
            return Err(anyhow!("live update of NIC {mac} refused: {e:#}"));
        }
    }
    Ok(())
}

/// Move one NIC of the running guest back to `from`, reading its current live XML.
fn move_back(conn: &dyn Conn, guest: &str, mac: &str, from: &Target) -> Result<()> {
    let live = conn.domain_xml(guest, false)?;
    let mac = mac.parse::<Mac>().ok();
    for (_, el) in live_elements(&live, &[mac], from)? {
        conn.update_device(guest, &el, affect::LIVE)?;
    }
    Ok(())
}

fn wait_shutdown(conn: &dyn Conn, guest: &str, timeout: Duration) -> Result<()> {
    match conn.shutdown_domain(guest) {
        // a paused guest cannot act on ACPI: libvirt says "not running"
        Err(e) if e.is(code::OPERATION_INVALID) => return Ok(conn.destroy_domain(guest)?),
        r => r?,
    }
    let start = Instant::now();
    while start.elapsed() < timeout {
        if !conn.domain_is_active(guest)? {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // the classic procedure's last resort: ACPI ignored (no guest OS, hung)
    match conn.destroy_domain(guest) {
        Err(e) if e.is(code::OPERATION_INVALID) => Ok(()),
        r => Ok(r?),
    }
}

/// Apply one plan over `conn`, its backup (`backup`, the file's path)
/// already on disk. Never leaves the guest half-changed: every failure
/// after the define puts the original back. The persistent XML is read
/// again first and the guest skipped if it differs from the plan's: time
/// passed since the plan (a confirmation prompt, the other guests'
/// backups), and someone else's edit must not be overwritten. The backup of
/// a guest left untouched is discarded.
pub(super) fn apply(conn: &dyn Conn, plan: &Plan, backup: &str, args: &Args, change: &Change) -> GuestReport {
    let mut rep = GuestReport::new(&plan.guest, Status::Failed, None);
    rep.nics = plan.nics.clone();
    rep.warnings = plan.warnings.clone();
    rep.backup = Some(backup.to_string());
    let now = match conn.domain_xml(&plan.guest, true) {
        Ok(x) => x,
        Err(e) => {
            discard(&mut rep);
            rep.detail = Some(format!("cannot re-read its XML: {e}"));
            return rep;
        }
    };
    if now != plan.original {
        discard(&mut rep);
        rep.status = Status::Skipped;
        rep.detail = Some("its XML changed since knet read it (someone else edited it); not touched".into());
        return rep;
    }
    // the running state decides what is done only for --live/--restart;
    // otherwise the planned one labels the result (one RPC less per guest)
    let active = if args.live || args.restart {
        match conn.domain_is_active(&plan.guest) {
            Ok(a) => a,
            Err(e) => {
                discard(&mut rep);
                rep.detail = Some(format!("{e}; not touched"));
                return rep;
            }
        }
    } else {
        plan.active
    };
    if let Err(e) = conn.define_domain(&plan.converted) {
        // libvirt answered "no": nothing changed, and a backup of an
        // unchanged guest would pass for the state before a change. With
        // the connection gone the define may have happened: keep it.
        if conn.alive() {
            discard(&mut rep);
            rep.detail = Some(format!("define refused: {e}; not touched"));
        } else {
            rep.detail = Some(format!("define failed: {e}; the connection was lost, so the guest is either untouched or converted (the backup is kept)"));
        }
        return rep;
    }
    let restore = |why: String, rep: &mut GuestReport| -> String {
        match conn.define_domain(&plan.original) {
            Ok(_) => {
                discard(rep);
                format!("{why}; persistent config restored")
            }
            Err(e) => format!("{why}; restoring the persistent config ALSO failed ({e}): use domif-rollback"),
        }
    };
    let model_waits = active && args.live && change.model.is_some();
    rep.applied = Some(
        if !active {
            "config"
        } else if args.live && change.target.is_none() {
            "config (next boot)"
        } else if model_waits {
            "live+config (model: next boot)"
        } else if args.live {
            "live+config"
        } else if args.restart {
            "config+restart"
        } else {
            "config (next boot)"
        }
        .into(),
    );
    if let (true, true, Some(target)) = (active, args.live, &change.target) {
        let live_xml = match conn.domain_xml(&plan.guest, false) {
            Ok(x) => x,
            Err(e) => {
                rep.detail = Some(restore(format!("cannot read the running guest: {e}"), &mut rep));
                return rep;
            }
        };
        if let Err(e) = move_live(conn, &plan.guest, &live_xml, &plan.nics, target) {
            rep.detail = Some(restore(format!("{e:#}"), &mut rep));
            return rep;
        }
    } else if active && args.restart {
        let timeout = Duration::from_secs(args.shutdown_timeout);
        // a guest paused before comes back paused: it was stopped on purpose
        let paused = conn.is_paused(&plan.guest).unwrap_or(false);
        if let Err(e) = wait_shutdown(conn, &plan.guest, timeout).and_then(|_| Ok(conn.start_domain(&plan.guest, paused)?)) {
            rep.detail = Some(format!("config converted, but the restart failed: {e:#}"));
            return rep;
        }
    }
    rep.status = Status::Converted;
    rep
}

/// Drop the backup taken for a change that was not made (see [`backup::discard`]).
fn discard(rep: &mut GuestReport) {
    if let Some(b) = rep.backup.take() {
        backup::discard(std::path::Path::new(&b));
    }
}
