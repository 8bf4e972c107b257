//! `knet validate`: the labelled corpus verdict by verdict, positions and
//! hints as the user reads them, JSON, exit codes, stdin, hostile input, and
//! agreement of xml-schemas/*.rng (through xmllint) with knet's structure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::*;

/// Write `content` to a fresh temp file named `name`.
fn temp_xml(name: &str, content: &str) -> PathBuf {
    let p = tempdir_short("knet-val").join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn validate(args: &[&str]) -> Out {
    run(knet().arg("validate").args(args))
}

fn validate_stdin(args: &[&str], input: &[u8]) -> Out {
    let mut child = knet()
        .arg("validate")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A writer thread: the child may answer before reading everything.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Out::from(out)
}

fn expected(folder: &Path) -> Vec<(String, String)> {
    let tsv = std::fs::read_to_string(folder.join("expected.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split('\t');
            (
                it.next().unwrap().to_string(),
                it.next().unwrap_or("").trim().to_string(),
            )
        })
        .collect()
}

/// One JSON report per file, in argument order.
fn json_reports(out: &Out) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn corpus_folder(folder: &str) {
    let dir = corpus().join(folder);
    let cases = expected(&dir);
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    let paths: Vec<String> = cases
        .iter()
        .map(|(f, _)| dir.join(f).display().to_string())
        .collect();
    // The corpus is labelled by libvirt 9.0.
    let out = run(knet().args(["--json", "validate", "--libvirt-version", "9.0"]).args(&paths));
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let reports = json_reports(&out);
    assert_eq!(reports.len(), cases.len(), "one report per file");
    let mut mismatches = Vec::new();
    for ((file, expect), report) in cases.iter().zip(&reports) {
        let valid = report["valid"].as_bool().unwrap();
        let ok = match expect.as_str() {
            "accept" => valid,
            "reject" => !valid,
            "either" => true,
            other => panic!("unknown expectation {other:?} for {file}"),
        };
        if !ok {
            let diags: Vec<String> = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    format!(
                        "    {}:{} {} [{}] {}",
                        d["line"], d["column"], d["severity"], d["rule"], d["message"]
                    )
                })
                .collect();
            mismatches.push(format!(
                "{folder}/{file}: expected {expect}, knet says {}\n{}",
                if valid { "valid" } else { "invalid" },
                diags.join("\n")
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} files disagree with expected.tsv:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn corpus_networks_valid() {
    corpus_folder("networks/valid");
}

#[test]
fn corpus_networks_invalid() {
    corpus_folder("networks/invalid");
}

#[test]
fn corpus_interfaces_mixed() {
    corpus_folder("interfaces/mixed");
}

#[test]
fn corpus_domains() {
    corpus_folder("domains");
}

const TYPO: &str = "<network>\n  <name>lab</name>\n  <brige name='virbr9'/>\n  <forward mdoe='nat'/>\n  <ip address='192.168.9.1' prefix='24'/>\n</network>\n";

#[test]
fn typo_element_is_reported_at_its_position_with_a_hint() {
    let f = temp_xml("typo.xml", TYPO);
    let file = f.display().to_string();
    let out = validate(&[&file]).code(1);
    let expected = format!(
        "{file}:3:3: error: unknown element <brige> in <network>; did you mean <bridge>?\n    <brige name='virbr9'/>\n    ^\n  help: allowed children of <network>: <bandwidth>, <bridge>, <description>, <dns>, <dnsmasq:options>, <domain>, <forward>, <ip>, <mac>, <metadata>, <mtu>, <name>, <port>, <portgroup>, <route>, <title>, <uuid>, <virtualport>, <vlan>\n"
    );
    assert!(
        out.stderr.contains(&expected),
        "stderr:\n{}\nwanted:\n{expected}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "{file}:4:12: error: unknown attribute mdoe= on <forward>; did you mean mode=?"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "an invalid file is not announced as valid");
}

#[test]
fn bad_enum_value_lists_the_allowed_ones() {
    let f = temp_xml(
        "mode.xml",
        "<network><name>x</name><forward mode='NAT'/><ip address='10.0.0.1' prefix='8'/></network>",
    );
    let out = validate(&[f.to_str().unwrap()]).code(1);
    assert!(
        out.stderr
            .contains(":1:39: error: <forward>: invalid value \"NAT\" for mode="),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("help: did you mean 'nat'? allowed values: nat, route, open, bridge, passthrough, private, vepa, hostdev"), "{}", out.stderr);
}

#[test]
fn semantic_errors_point_at_the_value() {
    let xml = "<network>\n  <name>n</name>\n  <ip address='192.168.5.1' netmask='255.255.255.0'>\n    <dhcp>\n      <range start='192.168.6.2' end='192.168.5.9'/>\n    </dhcp>\n  </ip>\n</network>\n";
    let f = temp_xml("range.xml", xml);
    let out = run(knet().args(["--json", "validate"]).arg(&f)).code(1);
    let r = &json_reports(&out)[0];
    let d = &r["diagnostics"][0];
    assert_eq!(d["rule"], "dhcp-range-outside-subnet");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(21))
    );
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().unwrap().contains("192.168.5.1/24"));
}

#[test]
fn short_ipv4_forms_are_refused() {
    let f = temp_xml(
        "short.xml",
        "<network><name>n</name><ip address='10.1' prefix='8'/></network>",
    );
    let out = validate(&[f.to_str().unwrap()]).code(1);
    assert!(out.stderr.contains("short IPv4 form"), "{}", out.stderr);
}

#[test]
fn json_is_one_object_per_file_with_every_diagnostic() {
    let bad = temp_xml("bad.xml", TYPO);
    let good = temp_xml("good.xml", "<network><name>ok</name><bridge name='virbr7'/><ip address='10.7.0.1' prefix='24'/></network>");
    let out = run(knet().args(["validate", "--json"]).arg(&bad).arg(&good)).code(1);
    let reports = json_reports(&out);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["file"], bad.display().to_string());
    assert_eq!(reports[0]["kind"], "network");
    assert_eq!(reports[0]["valid"], false);
    let rules: Vec<&str> = reports[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["unknown-element", "unknown-attribute"]);
    for d in reports[0]["diagnostics"].as_array().unwrap() {
        for key in ["severity", "rule", "message", "line", "column"] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
    }
    assert_eq!(reports[1]["valid"], true);
    assert_eq!(reports[1]["diagnostics"].as_array().unwrap().len(), 0);
    assert_eq!(out.stderr, "", "JSON mode keeps diagnostics out of stderr");
}

#[test]
fn valid_file_prints_validates_and_exits_0() {
    let f = temp_xml(
        "ok.xml",
        "<network><name>ok</name><ip address='10.7.0.1' prefix='24'/></network>",
    );
    let out = validate(&[f.to_str().unwrap()]).ok();
    assert_eq!(out.stdout, format!("{} validates\n", f.display()));
    assert_eq!(out.stderr, "");
    let quiet = run(knet().args(["-q", "validate"]).arg(&f)).ok();
    assert_eq!(quiet.stdout, "");
}

#[test]
fn warnings_do_not_make_a_file_invalid() {
    let f = temp_xml("warn.xml", "<interface type='network'>\n  <mac address='00:11:22:33:44:55'/>\n  <source network='default'/>\n  <model type='e1000'/>\n</interface>\n");
    let out = validate(&[f.to_str().unwrap()]).ok();
    assert!(out.stdout.ends_with("validates\n"));
    assert!(
        out.stderr
            .contains(":2:17: warning: MAC 00:11:22:33:44:55 is outside QEMU's 52:54:00 prefix"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(":4:16: warning: NIC model 'e1000' is emulated and slow"),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_file_is_an_io_error_exit_2() {
    let out = validate(&["/nonexistent/nope.xml"]).code(2);
    assert_eq!(
        out.stderr,
        "error: /nonexistent/nope.xml: No such file or directory\n"
    );
}

#[test]
fn io_error_wins_over_invalid_and_other_files_are_still_checked() {
    let bad = temp_xml("bad.xml", TYPO);
    let out = run(knet().arg("validate").arg("/nonexistent/x.xml").arg(&bad)).code(2);
    assert!(out
        .stderr
        .contains("error: /nonexistent/x.xml: No such file or directory"));
    assert!(
        out.stderr.contains("did you mean <bridge>?"),
        "the second file was checked: {}",
        out.stderr
    );
}

#[test]
fn json_keeps_one_object_per_file_when_a_file_is_missing() {
    let good = temp_xml("good.xml", "<network><name>ok</name></network>");
    let out = run(knet()
        .args(["--json", "validate", "/nonexistent/a.xml"])
        .arg(&good))
    .code(2);
    let reports = json_reports(&out);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["file"], "/nonexistent/a.xml");
    assert_eq!(reports[0]["error"], "No such file or directory");
    assert_eq!(reports[0]["valid"], false);
    assert_eq!(reports[1]["valid"], true);
}

#[test]
fn usage_errors_exit_2() {
    validate(&[]).code(2);
    validate(&["--kind", "bogus", "x.xml"]).code(2);
    validate(&["-", "-"]).code(2);
}

#[test]
fn stdin_is_read_with_dash() {
    let out = validate_stdin(&["-"], TYPO.as_bytes()).code(1);
    assert!(
        out.stderr
            .starts_with("-:3:3: error: unknown element <brige>"),
        "{}",
        out.stderr
    );
    let ok = validate_stdin(
        &["-"],
        b"<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>",
    )
    .ok();
    assert_eq!(ok.stdout, "- validates\n");
}

#[test]
fn kind_forces_the_document_kind() {
    let f = temp_xml("net.xml", "<network><name>ok</name></network>");
    let out = validate(&["--kind", "interface", f.to_str().unwrap()]).code(1);
    assert!(
        out.stderr
            .contains("error: expected a <interface> document, found <network>"),
        "{}",
        out.stderr
    );
    validate(&["--kind", "network", f.to_str().unwrap()]).ok();
}

#[test]
fn lone_interface_is_checked_as_a_domain_device() {
    // virt-xml-validate would check this against the host interface schema.
    let f = temp_xml("if.xml", "<interface type='bridge'>\n  <source bridge='br0'/>\n  <modle type='virtio'/>\n</interface>\n");
    let out = validate(&[f.to_str().unwrap()]).code(1);
    assert!(
        out.stderr
            .contains(":3:3: error: unknown element <modle> in <interface>; did you mean <model>?"),
        "{}",
        out.stderr
    );
}

#[test]
fn domain_interfaces_are_checked() {
    let xml = "<domain type='kvm'>\n  <name>vm</name>\n  <devices>\n    <interface type='network'>\n      <source network='default'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x20' function='0x0'/>\n    </interface>\n  </devices>\n</domain>\n";
    let f = temp_xml("dom.xml", xml);
    let out = validate(&[f.to_str().unwrap()]).code(1);
    assert!(
        out.stderr
            .contains(":6:60: error: <address>: invalid value \"0x20\" for slot="),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: expected a PCI slot number (0-0x1f)"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_never_needs_libvirt() {
    let f = temp_xml("ok.xml", "<network><name>ok</name></network>");
    run(knet()
        .env("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt")
        .arg("validate")
        .arg(&f))
    .ok();
}

#[test]
fn hostile_input_is_refused_not_crashed_on() {
    let bomb = "<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n<network><name>&c;</name></network>\n";
    let out = validate_stdin(&["-"], bomb.as_bytes()).code(1);
    assert!(
        out.stderr.contains("[xml-syntax]") || out.stderr.contains("error:"),
        "{}",
        out.stderr
    );
    let deep = format!(
        "<network><name>n</name><metadata>{}{}</metadata></network>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let out = validate_stdin(&["--json", "-"], deep.as_bytes()).code(1);
    assert_eq!(
        json_reports(&out)[0]["diagnostics"][0]["rule"],
        "nesting-too-deep"
    );
    let huge = vec![b' '; 11 * 1024 * 1024];
    let out = validate_stdin(&["--json", "-"], &huge).code(1);
    assert_eq!(
        json_reports(&out)[0]["diagnostics"][0]["rule"],
        "input-too-large"
    );
    let out = validate_stdin(&["-"], b"<network><name>\xff\xfe</name></network>").code(1);
    assert!(out.stderr.contains("not UTF-8"), "{}", out.stderr);
}

/// xmllint with knet's own schema must refuse exactly the corpus network
/// files for which knet reports a structural rule (validate::STRUCTURAL_RULES).
/// Every xml-schemas/ file with the release it is for (the top-level files
/// are the newest release's).
fn schema_files() -> Vec<(String, knet::validate::Version, bool)> {
    let mut out = Vec::new();
    for v in knet::validate::version::KNOWN {
        for (name, net) in [("network", true), ("interface", false)] {
            out.push((format!("xml-schemas/libvirt-{v}/{name}.rng"), *v, net));
        }
    }
    for (name, net) in [("network", true), ("interface", false)] {
        out.push((format!("xml-schemas/{name}.rng"), knet::validate::version::NEWEST, net));
    }
    out
}

/// xmllint with knet's generated schema for each release accepts exactly
/// the corpus files knet finds no structural error in, for that release.
#[test]
fn rng_files_agree_with_knet_structure() {
    let mut net_files = Vec::new();
    for folder in ["networks/valid", "networks/invalid"] {
        let dir = corpus().join(folder);
        for (f, _) in expected(&dir) {
            net_files.push(dir.join(f));
        }
    }
    let dir = corpus().join("interfaces/mixed");
    let if_files: Vec<PathBuf> = expected(&dir).into_iter().map(|(f, _)| dir.join(f)).collect();
    let mut disagree = Vec::new();
    for (rng, version, net) in schema_files() {
        let files = if net { &net_files } else { &if_files };
        let out = run(knet()
            .arg("--json")
            .arg("validate")
            .arg("--libvirt-version")
            .arg(version.to_string())
            .args(files));
        let lint = run(Command::new("xmllint").args(["--noout", "--relaxng"]).arg(repo().join(&rng)).args(files));
        let all = format!("{}{}", lint.stderr, lint.stdout);
        for (file, report) in files.iter().zip(json_reports(&out)) {
            let structural: Vec<String> = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["severity"] == "error" && knet::validate::is_structural(d["rule"].as_str().unwrap()))
                .map(|d| format!("{}:{} [{}] {}", d["line"], d["column"], d["rule"], d["message"]))
                .collect();
            let schema_ok = all.lines().any(|l| l == format!("{} validates", file.display()));
            if schema_ok != structural.is_empty() {
                disagree.push(format!(
                    "{rng} / {}: xmllint {} / knet {version} structural: {structural:?}",
                    file.display(),
                    if schema_ok { "accepts" } else { "rejects" },
                ));
            }
        }
    }
    assert!(disagree.is_empty(), "{} disagreements between xml-schemas/ and knet:\n{}", disagree.len(), disagree.join("\n"));
}

/// xml-schemas/ is generated from knet's grammar, one directory per libvirt
/// release; a stale copy fails.
/// `KNET_UPDATE_SCHEMAS=1 cargo test --test tests rng_files_are_current` rewrites them.
#[test]
fn rng_files_are_current() {
    for (file, version, net) in schema_files() {
        let text = if net {
            knet::validate::rng::network_rng(version)
        } else {
            knet::validate::rng::interface_rng(version)
        };
        let path = repo().join(&file);
        if std::env::var_os("KNET_UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(on_disk == text, "{file} is stale: run KNET_UPDATE_SCHEMAS=1 cargo test --test tests rng_files_are_current");
        let lint = run(Command::new("xmllint")
            .args(["--noout", "--relaxng"])
            .arg(&path)
            .arg(repo().join("tests/fixtures/validate/minimal-network.xml")));
        assert!(
            !lint.stderr.contains("Relax-NG parser error")
                && !lint.stderr.contains("failed to compile"),
            "{file} does not compile: {}",
            lint.stderr
        );
    }
}

/// knet's structural verdict (any error with a structural rule id) equals
/// what libvirt's own RelaxNG schema said (labels.tsv `schema_valid`, from
/// virt-xml-validate) for every corpus file.
#[test]
fn structural_verdict_matches_libvirt_schema_labels() {
    let mut disagree = Vec::new();
    for folder in [
        "networks/valid",
        "networks/invalid",
        "interfaces/mixed",
        "domains",
    ] {
        let dir = corpus().join(folder);
        let labels = std::fs::read_to_string(dir.join("labels.tsv")).unwrap();
        let rows: Vec<(String, bool)> = labels
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                (cols[0].to_string(), cols[1] == "1")
            })
            .collect();
        let paths: Vec<PathBuf> = rows.iter().map(|(f, _)| dir.join(f)).collect();
        let out = run(knet().args(["--json", "validate", "--libvirt-version", "9.0"]).args(&paths));
        for ((file, schema_ok), report) in rows.iter().zip(json_reports(&out)) {
            let structural: Vec<String> = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["severity"] == "error"
                        && knet::validate::is_structural(d["rule"].as_str().unwrap())
                })
                .map(|d| format!("[{}] {}", d["rule"], d["message"]))
                .collect();
            if *schema_ok != structural.is_empty() {
                disagree.push(format!(
                    "{folder}/{file}: libvirt schema {} / knet structural {:?}",
                    if *schema_ok { "accepts" } else { "rejects" },
                    structural
                ));
            }
        }
    }
    assert!(
        disagree.is_empty(),
        "{} files where knet's structure disagrees with libvirt's schema:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

/// Property: whatever bytes arrive, validate() returns (no panic), renders
/// and serialises. Inputs are corpus files under random, deterministic
/// mutations (byte edits, cut/duplicated spans, inserted markup); the seed
/// and iteration count come from KNET_FUZZ_SEED / KNET_FUZZ_ITERS (per file,
/// default 8) so a long run is `KNET_FUZZ_ITERS=2000 cargo test --release
/// --test tests mutated_corpus`. cargo-fuzz's coverage-guided target is in fuzz/.
#[test]
fn mutated_corpus_never_panics() {
    let iters: usize = std::env::var("KNET_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let mut rng: u64 = std::env::var("KNET_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    const TOKENS: &[&str] = &[
        "<",
        ">",
        "/>",
        "</",
        "&",
        "&amp;",
        "'",
        "\"",
        "=",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?xml version='1.0'?>",
        "<!DOCTYPE x>",
        "<ip address='10.0.0.1' prefix='33'>",
        "<dhcp>",
        "<range start='10.0.0.9' end='10.0.0.2'/>",
        "<host mac='01:00:00:00:00:00' ip='::1'/>",
        "<forward mode='bridge'/>",
        "<bridge name='a-very-long-bridge-name'/>",
        "<portgroup name='x' default='yes'/>",
        "<interface type='network'>",
        "<source network='n'/>",
        "<vlan><tag id='4096'/></vlan>",
        "<bandwidth><inbound peak='1'/></bandwidth>",
        "<address type='pci' slot='0x1f'/>",
        "xmlns:x='urn:x'",
        " x:y='1'",
        "<metadata><a><b/></a></metadata>",
        "\u{0}",
        "\u{feff}",
        "é",
        "\n",
        "\t",
        "0x",
        "-1",
        "4294967296",
        "::",
    ];
    let mut files = Vec::new();
    for folder in [
        "networks/valid",
        "networks/invalid",
        "interfaces/mixed",
        "domains",
    ] {
        for (f, _) in expected(&corpus().join(folder)) {
            files.push(std::fs::read(corpus().join(folder).join(f)).unwrap());
        }
    }
    let kinds = [
        None,
        Some(knet::validate::DocKind::Network),
        Some(knet::validate::DocKind::Interface),
        Some(knet::validate::DocKind::Domain),
    ];
    for (n, seed) in files.iter().enumerate() {
        for _ in 0..iters {
            let mut b = seed.clone();
            for _ in 0..(1 + next() % 4) {
                let len = b.len().max(1);
                let at = (next() as usize) % len;
                match next() % 6 {
                    0 => {
                        if !b.is_empty() {
                            b[at] ^= 1 << (next() % 8)
                        }
                    }
                    1 => {
                        let end = (at + (next() as usize % 64)).min(b.len());
                        b.drain(at.min(b.len())..end);
                    }
                    2 => {
                        let end = (at + (next() as usize % 64)).min(b.len());
                        let span = b[at.min(b.len())..end].to_vec();
                        b.splice(at.min(b.len())..at.min(b.len()), span);
                    }
                    3 => {
                        let t = TOKENS[next() as usize % TOKENS.len()].as_bytes();
                        b.splice(at.min(b.len())..at.min(b.len()), t.iter().copied());
                    }
                    4 => b.truncate(at),
                    _ => {
                        let t = b"<a>".repeat(1 + next() as usize % 300);
                        b.splice(at.min(b.len())..at.min(b.len()), t);
                    }
                }
            }
            let src = String::from_utf8_lossy(&b).into_owned();
            let kind = kinds[next() as usize % kinds.len()];
            let result = std::panic::catch_unwind(|| {
                let r = knet::validate::validate(&src, "fuzz.xml", kind);
                let _ = r.render();
                serde_json::to_string(&r).unwrap();
            });
            if result.is_err() {
                let keep = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("knet-fuzz-crash-{n}.xml"));
                std::fs::write(&keep, &b).unwrap();
                panic!(
                    "validate() panicked on a mutation of corpus file #{n}; input saved to {}",
                    keep.display()
                );
            }
        }
    }
}

/// Inputs the fuzzers once found troublesome stay as regression tests.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = repo().join("tests/fixtures/validate/fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = run(knet().arg("validate").arg(&path));
        assert!(
            out.code == 0 || out.code == 1,
            "{}: exit {} (crash?)\n{}",
            path.display(),
            out.code,
            out.stderr
        );
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}

/// net-define checks the XML for the release the connected libvirt runs
/// (here the test driver of the installed library, 9.0): a construct of a
/// later release is refused, naming the release, and nothing is defined.
#[test]
fn net_define_validates_for_the_connected_release() {
    let installed = knet::validate::version::installed().expect("libvirt is installed (scripts/install-deps), so its release can be read");
    let f = temp_xml(
        "titled.xml",
        "<network><name>titled</name><title>lab</title><bridge name='virbr9'/><ip address='10.9.0.1' prefix='24'/></network>",
    );
    let out = run(knet().args(["-c", "test:///default", "net-define"]).arg(&f));
    if installed < knet::validate::version::Version::new(9, 7) {
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("<title> in <network> needs libvirt 9.7 or later (validating for {installed})")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("nothing was sent to libvirt"), "{}", out.stderr);
    } else {
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    // The same file, checked offline for a release that has <title>.
    validate(&["--libvirt-version", "11.3", f.to_str().unwrap()]).ok();
}

/// --json names the release each file was checked for; --libvirt-version
/// takes X.Y or X.Y.Z and refuses anything else as a usage error.
#[test]
fn json_shows_the_release_validated_for() {
    let f = temp_xml("v.xml", "<network><name>v</name></network>");
    let out = run(knet().args(["--json", "validate", "--libvirt-version", "10.0.0"]).arg(&f)).ok();
    let r = &json_reports(&out)[0];
    assert_eq!(r["libvirt_version"], "10.0", "{}", out.stdout);
    assert_eq!(r["valid"], true);
    let bad = validate(&["--libvirt-version", "ten", f.to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("not a libvirt release number"), "{}", bad.stderr);
}

/// The message of the issue that introduced releases: a vhostuser NIC with
/// passt is refused for 9.0 naming 11.1, accepted for 11.3.
#[test]
fn a_newer_construct_names_the_release_that_added_it() {
    let f = temp_xml(
        "passt-vhost.xml",
        "<interface type='vhostuser'><model type='virtio'/><source type='unix' path='/tmp/s' mode='client'/><backend type='passt'/></interface>",
    );
    let out = validate(&["--libvirt-version", "9.0", f.to_str().unwrap()]).code(1);
    assert!(
        out.stderr.contains("error: <backend type='passt'> on a vhostuser interface needs libvirt 11.1 or later (validating for 9.0)"),
        "{}",
        out.stderr
    );
    validate(&["--libvirt-version", "11.3", f.to_str().unwrap()]).ok();
}

#[test]
fn control_characters_of_a_file_never_reach_the_terminal() {
    // an ESC sequence (invalid XML) and a C1 CSI (valid XML) in a value
    let p = temp_xml("ctl.xml", "<network><name>a\u{1b}[2Jb</name></network>\n");
    let o = validate(&[p.to_str().unwrap()]);
    let all = format!("{}{}", o.stdout, o.stderr);
    assert!(all.contains("  <network><name>a\\x1b[2Jb</name></network>\n                  ^\n"), "{all}");
    assert!(!all.contains('\u{1b}'), "{all:?}");
    let p = temp_xml("c1.xml", "<network><name>a/\u{9b}2J</name></network>\n");
    let o = validate(&[p.to_str().unwrap()]);
    let all = format!("{}{}", o.stdout, o.stderr);
    assert!(all.contains("a/\\xc2\\x9b2J"), "{all}");
    assert!(!all.contains('\u{9b}'), "{all:?}");
}

#[test]
fn declared_encodings_are_read_as_libvirt_reads_them() {
    // ISO-8859-1: é is one byte; the bad netmask's column counts characters
    let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<network><name>caf\xe9</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>\n";
    let p = tempdir_short("knet-enc").join("latin1.xml");
    std::fs::write(&p, latin1).unwrap();
    let o = validate(&[p.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("latin1.xml:2:59: error: netmask 255.0.255.0 is not contiguous"), "{}", o.stderr);
    let fixed = tempdir_short("knet-enc").join("ok.xml");
    std::fs::write(&fixed, String::from_utf8_lossy(latin1).replace("255.0.255.0", "255.255.0.0").replace('\u{FFFD}', "\u{e9}").chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect::<Vec<u8>>()).unwrap();
    validate(&[fixed.to_str().unwrap()]).ok();

    // knet sends libvirt the text the file means; virsh sends the bytes,
    // which libvirt's string parser reads as UTF-8 whatever the declaration
    // says (a documented difference)
    let seq = |tool: std::process::Command| {
        let mut c = tool;
        c.args(["-c", "test:///default", &format!("net-define {}; net-list --all --name", fixed.display())]);
        run(&mut c)
    };
    let k = seq(knet()).ok().stdout;
    assert!(k.lines().any(|l| l == "caf\u{e9}"), "{k}");
    assert!(seq(virsh()).stderr.contains("Input is not proper UTF-8"));

    // an encoding libxml2 does not know: a clear error at the declaration
    let bad = tempdir_short("knet-enc").join("bad.xml");
    std::fs::write(&bad, "<?xml version='1.0' encoding='KLINGON-8'?>\n<network><name>n</name></network>\n").unwrap();
    let o = validate(&[bad.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("bad.xml:1:31: error: the XML declaration names the encoding 'KLINGON-8', which libxml2 (and so libvirt) does not know"), "{}", o.stderr);
    let o = run(knet().args(["-c", "test:///default", "net-define", bad.to_str().unwrap()])).code(1);
    assert!(o.stderr.contains("names the encoding 'KLINGON-8'") && o.stderr.contains("save it as UTF-8"), "{}", o.stderr);
    for f in [&p, &fixed, &bad] {
        let _ = std::fs::remove_dir_all(f.parent().unwrap());
    }
}
