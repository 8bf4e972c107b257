//! Any bytes through `validate()` under every document kind: it must return
//! (never panic), and its report must render and serialise.
#![no_main]

use knet::validate::{validate, DocKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let kind = match data.first().map(|b| b % 4) {
        Some(1) => Some(DocKind::Network),
        Some(2) => Some(DocKind::Interface),
        Some(3) => Some(DocKind::Domain),
        _ => None,
    };
    let report = validate(&src, "fuzz.xml", kind);
    let _ = report.render();
    let _ = serde_json::to_string(&report).expect("a report always serialises");
});
