//! Every command's `--json`: it parses, and it has the keys README's "JSON"
//! section documents. The commands come from the clap tree, so a new command
//! without a documented shape, or without a run here, fails; so does a
//! documented key a command stops printing. Commands that can change
//! something are run twice where a re-run finds nothing to do, and the second
//! run must say `"changed": false`.

use std::collections::BTreeMap;
use std::process::Command;

use clap::CommandFactory;
use serde_json::Value;

use crate::test_domif_convert::{define_guests, host, knet_in, state_dir};
use crate::util::*;

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// `{a, b}`: one object with at least these keys
    Object(Vec<String>),
    /// `[{a, b}]`: an array of such objects
    Array(Vec<String>),
    /// `[string]`
    Strings,
    /// `-`: no output of its own (the interactive shell)
    None,
}

/// README's JSON table: "command words" -> shape, in README order.
fn documented() -> Vec<(String, Shape)> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = text.split("\n### JSON\n").nth(1).expect("README has a ### JSON section");
    let section = section.split("\n#").next().unwrap();
    let mut out = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("    ") && !l.trim().is_empty()) {
        let line = line.trim();
        // the command words, then two or more blanks, then the shape
        let (cmd, shape) = line.split_once("  ").unwrap_or_else(|| panic!("README JSON line without a shape: {line}"));
        let (cmd, shape) = (cmd.trim().to_string(), shape.trim());
        let keys = |s: &str| s.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect::<Vec<_>>();
        let shape = if shape == "-" {
            Shape::None
        } else if shape == "[string]" {
            Shape::Strings
        } else if let Some(inner) = shape.strip_prefix("[{").and_then(|s| s.strip_suffix("}]")) {
            Shape::Array(keys(inner))
        } else if let Some(inner) = shape.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Shape::Object(keys(inner))
        } else {
            panic!("README JSON line with an unknown shape: {line}");
        };
        out.push((cmd, shape));
    }
    out
}

/// Every JSON value a run printed (a `;` sequence prints several).
fn values(stdout: &str, what: &str) -> Vec<Value> {
    let vals: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(stdout).into_iter::<Value>().collect();
    let vals = vals.unwrap_or_else(|e| panic!("{what}: --json output does not parse ({e}):\n{stdout}"));
    assert!(!vals.is_empty(), "{what}: --json printed nothing");
    vals
}

fn check(shape: &Shape, v: &Value, may_be_empty: bool, what: &str) {
    let has = |o: &Value, keys: &[String]| {
        let o = o.as_object().unwrap_or_else(|| panic!("{what}: not an object: {o}"));
        for k in keys {
            assert!(o.contains_key(k), "{what}: no documented key `{k}` in {}", Value::Object(o.clone()));
        }
    };
    match shape {
        Shape::Object(keys) => has(v, keys),
        Shape::Array(keys) => {
            let a = v.as_array().unwrap_or_else(|| panic!("{what}: not an array: {v}"));
            assert!(may_be_empty || !a.is_empty(), "{what}: empty array, nothing checked");
            for item in a {
                has(item, keys);
            }
        }
        Shape::Strings => {
            let a = v.as_array().unwrap_or_else(|| panic!("{what}: not an array: {v}"));
            assert!(!a.is_empty() && a.iter().all(Value::is_string), "{what}: not an array of strings: {v}");
        }
        Shape::None => panic!("{what}: documented as printing no JSON"),
    }
}

#[test]
fn every_command_has_a_documented_json_shape() {
    let doc = documented();
    let first_words: Vec<&str> = doc.iter().map(|(c, _)| c.split(' ').next().unwrap()).collect();
    for sub in knet::cli::Cli::command().get_subcommands().filter(|s| !s.is_hide_set()) {
        assert!(first_words.contains(&sub.get_name()), "README \"JSON\" does not document `{}`", sub.get_name());
    }
    for (cmd, shape) in &doc {
        let w = cmd.split(' ').next().unwrap();
        assert!(knet::cli::Cli::command().find_subcommand(w).is_some(), "README \"JSON\" documents `{w}`, which knet does not have");
        // the command table's `json` (which the man page's NOTES print) says the same
        let spec = knet::commands::spec(w).unwrap_or_else(|| panic!("`{w}` is not in the command table"));
        assert_eq!(spec.json, *shape != Shape::None, "`{w}`: the command table's json flag disagrees with README \"JSON\"");
    }
}

/// One documented line's run: arguments after `knet -c URI --json`, and
/// whether a second identical run must report `"changed": false`.
struct Run {
    args: Vec<String>,
    rerun_unchanged: bool,
    /// a listing that may legitimately be empty here (no DHCP client runs)
    may_be_empty: bool,
    /// run on libvirt's test driver instead of the daemon (a running guest
    /// with addresses, which a paused disk-less guest never has)
    test_driver: bool,
    env: Vec<(&'static str, String)>,
    /// run inside the daemon's network namespace (what talks to the
    /// network's own dnsmasq must be where its bridge is)
    in_ns: bool,
    /// exit codes that still print the JSON (doctor's FAIL verdict exits 1)
    codes: &'static [i32],
}

fn r(args: &[&str]) -> Run {
    Run { args: args.iter().map(|s| s.to_string()).collect(), rerun_unchanged: false, may_be_empty: false, test_driver: false, env: Vec::new(), in_ns: false, codes: &[0] }
}

impl Run {
    fn twice(mut self) -> Self {
        self.rerun_unchanged = true;
        self
    }
}

#[test]
fn every_command_json_parses_with_the_documented_keys_and_reruns_change_nothing() {
    let sb = host();
    let st = state_dir(&sb);
    define_guests(&sb, 1);
    let work = sb.dir.join("json");
    std::fs::create_dir_all(work.join("hooks")).unwrap();
    let lab = work.join("jsonlab.xml");
    std::fs::write(&lab, "<network>\n  <name>jsonlab</name>\n  <forward mode='nat'/>\n  <bridge name='virbr77'/>\n  <domain name='jsonlab.lan' localOnly='yes'/>\n  <ip address='10.77.0.1' netmask='255.255.255.0'>\n    <dhcp><range start='10.77.0.100' end='10.77.0.200'/></dhcp>\n  </ip>\n</network>\n").unwrap();
    let (lab, hooks) = (lab.to_str().unwrap(), work.join("hooks"));
    let hooks = hooks.to_str().unwrap();
    let default_xml = sandbox_xml("default.xml");
    let uuid = run(sb.virsh().args(["net-uuid", "default"])).ok().stdout.trim().to_string();

    // In run order: each builds on the state the ones before it left.
    let mut runs: Vec<(&str, Run)> = vec![
        ("validate", r(&["validate", default_xml.to_str().unwrap()])),
        ("net-list", r(&["net-list", "--all"])),
        ("net-info", r(&["net-info", "default"])),
        ("net-uuid", r(&["net-uuid", "default"])),
        ("net-name", r(&["net-name", &uuid])),
        ("net-dumpxml", r(&["net-dumpxml", "default"])),
        ("net-define", r(&["net-define", lab]).twice()),
        ("net-autostart", r(&["net-autostart", "jsonlab"]).twice()),
        ("net-start", r(&["net-start", "jsonlab"])),
        ("net-update", r(&["net-update", "jsonlab", "add", "ip-dhcp-host", "<host mac='52:54:00:77:00:05' ip='10.77.0.5'/>", "--live", "--config"])),
        ("net-dhcp-host", r(&["net-dhcp-host", "jsonlab", "add", "--mac", "52:54:00:77:00:06", "--ip", "10.77.0.6"]).twice()),
        ("net-dhcp-host list", r(&["net-dhcp-host", "jsonlab", "list"])),
        ("net-dhcp-leases", Run { may_be_empty: true, ..r(&["net-dhcp-leases", "jsonlab"]) }),
        ("net-edit", Run { env: vec![("EDITOR", "true".into())], ..r(&["net-edit", "jsonlab"]) }),
        ("net-restart", r(&["net-restart", "jsonlab", "--yes"])),
        ("net-reconnect", r(&["net-reconnect", "jsonlab"])),
        ("net-destroy", r(&["net-destroy", "jsonlab"])),
        ("net-undefine", r(&["net-undefine", "jsonlab"])),
        ("net-create", r(&["net-create", lab])),
        ("host-dns", r(&["host-dns", "jsonlab", "--resolver", "resolvconf"])),
        ("host-dns --check", Run { in_ns: true, codes: &[0, 1], ..r(&["host-dns", "jsonlab", "--check"]) }),
        ("domiflist", r(&["domiflist", "g00"])),
        ("domifaddr", Run { test_driver: true, ..r(&["domifaddr", "test"]) }),
        ("attach-interface", r(&["attach-interface", "g00", "network", "default", "--config", "--mac", "52:54:00:77:00:07"])),
        ("detach-interface", r(&["detach-interface", "g00", "network", "--mac", "52:54:00:77:00:07", "--config"])),
        ("domif-convert", r(&["domif-convert", "g00", "--to-bridge", "br0", "--yes"]).twice()),
        ("domif-rollback", r(&["domif-rollback", "g00"]).twice()),
        ("domif-rollback --list", r(&["domif-rollback", "--list", "g00"])),
        ("port-forward", r(&["port-forward", "g00", "--host-port", "8080", "--guest-port", "80", "--hooks-dir", hooks]).twice()),
        ("port-forward --public-ip", r(&["port-forward", "g00", "--public-ip", "203.0.113.7", "--hooks-dir", hooks]).twice()),
        ("mac-gen", r(&["mac-gen", "--count", "2"])),
        ("net-new", r(&["net-new", "jsonnew", "--nat"])),
        ("bridge-config", r(&["bridge-config", "--uplink", "eth7", "--bridge", "br0", "--format", "ifupdown", "--for-other-host"])),
        ("doctor", Run { codes: &[0, 1], ..r(&["doctor", "default"]) }),
        ("list", r(&["list", "--all"])),
    ];

    let doc: BTreeMap<String, Shape> = documented().into_iter().collect();
    for (entry, shape) in &doc {
        assert!(*shape == Shape::None || runs.iter().any(|(e, _)| e == entry), "no --json run for README's `{entry}` line: add one here");
    }
    for (entry, run_) in runs.drain(..) {
        let shape = doc.get(entry).unwrap_or_else(|| panic!("a run for `{entry}`, which README \"JSON\" does not document"));
        let once = |n: usize| {
            let out = if run_.in_ns {
                let args: Vec<&str> = std::iter::once("--json").chain(run_.args.iter().map(String::as_str)).collect();
                sb.knet_in_ns(&args)
            } else {
                let mut c: Command = if run_.test_driver { let mut c = knet(); c.args(["-c", "test:///default"]); c } else { knet_in(&sb, &st) };
                c.arg("--json").args(&run_.args).envs(run_.env.iter().map(|(k, v)| (*k, v.as_str())));
                run(&mut c)
            };
            let what = format!("`knet --json {}` (run {n})", run_.args.join(" "));
            assert!(run_.codes.contains(&out.code), "{what} exited {}:\n{}", out.code, out.stderr);
            let vals = values(&out.stdout, &what);
            assert_eq!(vals.len(), 1, "{what}: one JSON document per command, got {}", vals.len());
            check(shape, &vals[0], run_.may_be_empty, &what);
            if let Shape::Object(keys) = shape {
                if keys.iter().any(|k| k == "changed") {
                    assert!(vals[0]["changed"].is_boolean(), "{what}: `changed` is not a boolean");
                }
            }
            (vals.into_iter().next().unwrap(), what)
        };
        let (first, what) = once(1);
        if run_.rerun_unchanged {
            assert_eq!(first["changed"], true, "{what}: the first run changed nothing: {first}");
            let (second, what) = once(2);
            assert_eq!(second["changed"], false, "{what}: a re-run reported a change: {second}");
        }
    }
}
