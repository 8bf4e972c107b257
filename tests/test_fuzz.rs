//! The fuzz properties of `knet::fuzzing` on stable Rust: every corpus file
//! and every kept crasher (tests/fuzz_regressions/TARGET/) replayed, then
//! seeded random mutations of the corpus. The coverage-guided runs are
//! cargo-fuzz's (fuzz/, scripts/fuzz); this keeps what they found fixed and
//! gives a mutation loop to machines without nightly:
//! `KNET_FUZZ_SECONDS=300 KNET_FUZZ_TARGET=edit cargo test test_fuzz::mutate`.
//! A failing input is written to target/fuzz-crashers/ and named in the panic.

use std::path::{Path, PathBuf};

use crate::util::*;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target, &str); 4] = [
    ("network", knet::fuzzing::network, "networks"),
    ("interface", knet::fuzzing::interface, "interfaces"),
    ("domain", knet::fuzzing::domain, "domains"),
    ("edit", knet::fuzzing::edit, "domains"),
];

fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let p = e.path();
        if p.is_dir() {
            v.extend(xml_files(&p));
        } else if p.extension().is_some_and(|x| x == "xml") {
            v.push(p);
        }
    }
    v.sort();
    v
}

/// The edit target's framing: NIC index, kind, name, NUL, then the XML.
fn edit_input(index: u8, kind: u8, name: &str, xml: &[u8]) -> Vec<u8> {
    let mut v = vec![index, kind];
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    v.extend_from_slice(xml);
    v
}

/// Seeds of one target: its corpus directory (framed for `edit`).
fn seeds(target: &str, dir: &str) -> Vec<Vec<u8>> {
    let files = xml_files(&corpus().join(dir));
    assert!(!files.is_empty(), "empty corpus {dir}");
    files
        .iter()
        .map(|f| {
            let x = std::fs::read(f).unwrap();
            if target == "edit" {
                edit_input(0, 0, "br0", &x)
            } else {
                x
            }
        })
        .collect()
}

/// Run `f` on `input`; on a panic keep the input and fail naming it.
fn check(name: &str, f: Target, input: &[u8]) {
    if std::panic::catch_unwind(|| f(input)).is_err() {
        let dir = repo().join("target/fuzz-crashers").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("crash-{:016x}", fnv(input)));
        std::fs::write(&path, input).unwrap();
        panic!("fuzz target {name} failed on {} (copy it to tests/fuzz_regressions/{name}/ once fixed)", path.display());
    }
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, x| (h ^ u64::from(*x)).wrapping_mul(0x100000001b3))
}

#[test]
fn corpus_replays_through_every_target() {
    for (name, f, dir) in TARGETS {
        for s in seeds(name, dir) {
            check(name, f, &s);
        }
    }
    // the lossless edit on every NIC of every corpus domain, both kinds,
    // names that need escaping
    for file in xml_files(&corpus().join("domains")) {
        let xml = std::fs::read_to_string(&file).unwrap();
        let n = knet::xml::edit::interfaces(&xml).map(|v| v.len()).unwrap_or(0);
        for i in 0..n {
            for (bridge, name) in [(true, "br0"), (false, "default"), (true, "a'b\"c&d<e>"), (false, "")] {
                knet::fuzzing::check_edit(&xml, i, bridge, name);
            }
        }
    }
}

#[test]
fn kept_crashers_stay_fixed() {
    let root = repo().join("tests/fuzz_regressions");
    let mut n = 0;
    for (name, f, _) in TARGETS {
        let Ok(rd) = std::fs::read_dir(root.join(name)) else { continue };
        for e in rd.flatten() {
            check(name, f, &std::fs::read(e.path()).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no regression inputs found under {}", root.display());
}

/// Pieces that steer mutations toward the parser's and rules' corners.
const TOKENS: &[&str] = &[
    "<", ">", "/>", "</", "'", "\"", "&amp;", "&#0;", "&#x110000;", "&lt;", "<![CDATA[", "]]>", "<!--", "-->", "<?xml version='1.0'?>",
    "<!DOCTYPE d [<!ENTITY a 'aaaa'>]>", "&a;", "xmlns='urn:x'", "xmlns:p='urn:p' p:", "<interface type='network'>", "<source network='default'/>",
    "<source bridge='br0'/>", "</interface>", "<devices>", "</devices>", "<ip address='192.168.1.1' prefix='24'>", "<dhcp><range start='1.2.3.4' end='1.2.3.1'/></dhcp>",
    "<mac address='52:54:00:00:00:01'/>", "<forward mode='nat'/>", "<bridge name='virbr0'/>", "::ffff:1.2.3.4", "4294967296", "-1", "\u{feff}", "é", "\r\n", "\0",
];

fn mutate_once(rng: &mut fastrand::Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    for _ in 0..rng.usize(1..=4) {
        let len = input.len();
        match rng.u8(0..8) {
            0 if len > 0 => input[rng.usize(..len)] = rng.u8(..),
            1 if len > 0 => {
                let a = rng.usize(..len);
                let b = (a + rng.usize(..=64)).min(len);
                input.drain(a..b);
            }
            2 if len > 0 => {
                let a = rng.usize(..len);
                let b = (a + rng.usize(..=256)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.usize(..=len);
                input.splice(at..at, chunk);
            }
            3 | 4 => {
                let t = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
                let at = rng.usize(..=len);
                input.splice(at..at, t.iter().copied());
            }
            5 => {
                let other = &pool[rng.usize(..pool.len())];
                if !other.is_empty() {
                    let a = rng.usize(..other.len());
                    let b = (a + rng.usize(..=512)).min(other.len());
                    let at = rng.usize(..=len);
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            6 if len > 2 => input[rng.usize(..2)] = rng.u8(..),
            _ => input.push(rng.u8(..)),
        }
    }
}

/// Seeded mutations of the corpus through each target: a fixed number of
/// cases in CI, or `KNET_FUZZ_SECONDS` per target (scripts/fuzz on stable).
#[test]
fn mutate() {
    let seed = std::env::var("KNET_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x6b6e6574);
    let secs: Option<u64> = std::env::var("KNET_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let only = std::env::var("KNET_FUZZ_TARGET").ok();
    for (name, f, dir) in TARGETS {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let pool = seeds(name, dir);
        let mut rng = fastrand::Rng::with_seed(seed);
        let start = std::time::Instant::now();
        let mut cases = 0u64;
        loop {
            match secs {
                Some(s) if start.elapsed().as_secs() >= s => break,
                None if cases >= 2000 => break,
                _ => {}
            }
            let mut input = pool[rng.usize(..pool.len())].clone();
            mutate_once(&mut rng, &mut input, &pool);
            check(name, f, &input);
            cases += 1;
        }
        if secs.is_some() {
            eprintln!("{name}: {cases} cases in {:?} (seed {seed})", start.elapsed());
        }
    }
}
