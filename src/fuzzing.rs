//! The properties knet's fuzzers check, shared by the cargo-fuzz targets
//! (fuzz/, nightly, coverage-guided) and the stable replay-and-mutate driver
//! (tests/test_fuzz.rs, scripts/fuzz), so both check exactly the same thing.
//!
//! Each function takes raw bytes and panics when a property is broken; it
//! must never panic on input that merely is not XML. Not part of knet's
//! interface: only test and fuzz code calls it.

use crate::validate::{validate, DocKind};
use crate::xml::edit::{self, Target};

/// Bytes as text: fuzzers produce arbitrary bytes, knet reads UTF-8 only
/// (the validate command reports invalid UTF-8 before parsing).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The validator never panics, and every diagnostic points inside the
/// document (a line and column the user can go to), whatever the input.
pub fn validate_as(data: &[u8], kind: Option<DocKind>) {
    let Some(src) = text(data) else { return };
    let report = validate(src, "fuzz.xml", kind);
    let lines = src.split('\n').count() as u32;
    for d in &report.diagnostics {
        assert!(d.line >= 1 && d.line <= lines.max(1), "diagnostic {d:?} outside the document ({lines} lines)");
        assert!(d.column >= 1, "diagnostic {d:?} has column 0");
    }
    assert_eq!(report.valid, !report.has_errors());
    let _ = report.render();
}

pub fn network(data: &[u8]) {
    validate_as(data, Some(DocKind::Network));
}

pub fn interface(data: &[u8]) {
    validate_as(data, Some(DocKind::Interface));
}

pub fn domain(data: &[u8]) {
    validate_as(data, Some(DocKind::Domain));
    validate_as(data, None);
}

/// The lossless edit: retargeting one NIC keeps every byte outside that
/// `<interface>` element, leaves a document that parses, with the same
/// interfaces, that NIC on the new target and every other NIC as it was.
///
/// The first byte picks the NIC, the second the target kind, the next up
/// to 16 bytes (to the first NUL) the target's name (any characters: the
/// edit must escape them); the rest is the domain XML.
pub fn edit(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let (head, rest) = data.split_at(2);
    let name_len = rest.iter().take(16).position(|b| *b == 0).unwrap_or(rest.len().min(16));
    let Ok(name) = std::str::from_utf8(&rest[..name_len]) else { return };
    let Some(xml) = text(rest.get(name_len + 1..).unwrap_or_default()) else { return };
    check_edit(xml, head[0] as usize, head[1] & 1 == 0, name);
}

/// [`edit`] on parsed-out arguments; also used to replay whole corpus files
/// (every NIC, both kinds, awkward names).
pub fn check_edit(xml: &str, index: usize, bridge: bool, name: &str) {
    let Ok(before) = edit::interfaces(xml) else { return };
    if before.is_empty() {
        return;
    }
    let index = index % before.len();
    let target = if bridge { Target::Bridge(name.to_string()) } else { Target::Network(name.to_string()) };
    let out = match edit::retarget_interface(xml, index, &target) {
        Ok(out) => out,
        // a NIC without a type attribute cannot be retargeted: refused, fine
        Err(edit::EditError::NoType(_)) => return,
        // a name XML cannot carry is refused, never written
        Err(edit::EditError::BadTargetName(_)) => {
            assert!(edit::check_target_name(name).is_err());
            return;
        }
        Err(e) => panic!("retarget of a document that parsed failed: {e}"),
    };
    let r = before[index].range.clone();
    assert!(out.starts_with(&xml[..r.start]), "bytes before the NIC changed");
    assert!(out.ends_with(&xml[r.end..]), "bytes after the NIC changed");
    let after = edit::interfaces(&out).unwrap_or_else(|e| panic!("edited document no longer parses: {e}\n{out}"));
    assert_eq!(after.len(), before.len(), "number of NICs changed");
    for (a, b) in after.iter().zip(&before) {
        if a.index == index {
            assert_eq!(a.kind, target.kind());
            assert_eq!(a.source.as_deref(), Some(target.name()), "NIC does not point at the target");
            assert_eq!((&a.mac, &a.model, &a.target, &a.alias), (&b.mac, &b.model, &b.target, &b.alias), "NIC lost its own settings");
        } else {
            assert_eq!(&out[a.range.clone()], &xml[b.range.clone()], "another NIC changed");
        }
    }
    // idempotent: the same edit again yields the same bytes
    let again = edit::retarget_interface(&out, index, &target).unwrap_or_else(|e| panic!("re-edit failed: {e}"));
    assert_eq!(again, out, "retargeting twice is not the same as once");
}
