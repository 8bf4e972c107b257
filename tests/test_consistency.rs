//! The same error paths and output switches across every command, table
//! driven against libvirt's test driver: an unknown network or guest is
//! virsh's `error:` lines and exit 1 (byte for byte virsh's where virsh has
//! the command), a usage error is exit 2, and `-q`/`--json` are honoured by
//! every listing and info command.

use crate::util::*;

const URI: &str = "test:///default";

fn k(args: &[&str]) -> Out {
    run(knet().arg("-c").arg(URI).args(args))
}

fn v(args: &[&str]) -> Out {
    run(virsh().arg("-c").arg(URI).args(args))
}

/// virsh's two lines for a network it cannot find by name.
const NO_NET: &str = "error: failed to get network 'nope'\nerror: Network not found: no network with matching name 'nope'\n";
/// virsh's one line for a guest it cannot find (virshLookupDomainBy drops
/// libvirt's own message).
const NO_DOM: &str = "error: failed to get domain 'nope'\n";

#[test]
fn unknown_network_or_guest_is_virshs_error_and_exit_1() {
    // virsh has these: knet's stdout, stderr and exit code are virsh's
    let virsh_cmds: &[&[&str]] = &[
        &["net-info", "nope"],
        &["net-uuid", "nope"],
        &["net-name", "nope"],
        &["net-name", "00000000-0000-0000-0000-000000000000"],
        &["net-dumpxml", "nope"],
        &["net-start", "nope"],
        &["net-destroy", "nope"],
        &["net-undefine", "nope"],
        &["net-autostart", "nope"],
        &["net-autostart", "nope", "--disable"],
        &["net-edit", "nope"],
        &["net-update", "nope", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:01' ip='192.168.122.5'/>"],
        &["net-dhcp-leases", "nope"],
        &["domiflist", "nope"],
        &["domifaddr", "nope"],
        &["attach-interface", "nope", "network", "default", "--config"],
        &["detach-interface", "nope", "network", "--config"],
    ];
    for args in virsh_cmds {
        let (kn, vi) = (k(args), v(args));
        assert_eq!(vi.code, 1, "virsh {args:?}: {vi:?}");
        assert!(vi.stderr.starts_with("error: failed to get "), "virsh {args:?}: {vi:?}");
        assert_eq!((kn.code, &kn.stdout, &kn.stderr), (vi.code, &vi.stdout, &vi.stderr), "knet {args:?}");
    }
    // knet's own commands: the same lines as virsh's network and guest lookups
    let knet_cmds: &[(&[&str], &str)] = &[
        (&["net-dhcp-host", "nope", "list"], NO_NET),
        (&["net-dhcp-host", "nope", "add", "--mac", "52:54:00:00:00:01", "--ip", "192.168.122.5"], NO_NET),
        (&["net-dhcp-host", "nope", "remove", "--mac", "52:54:00:00:00:01"], NO_NET),
        (&["domif-convert", "test", "--to-network", "nope", "--yes"], NO_NET),
        (&["port-forward", "nope", "--host-port", "8080", "--guest-port", "80", "--print"], NO_DOM),
    ];
    for (args, stderr) in knet_cmds {
        let out = k(args).code(1);
        assert_eq!(out.stderr, *stderr, "knet {args:?}");
    }
    // nothing changed: the test driver's default state, seen in the same process
    let after = k(&["net-list --all; list --all"]).ok();
    assert!(after.stdout.contains(" default   active   no          yes") && after.stdout.contains(" test   running"), "{}", after.stdout);
}

#[test]
fn usage_errors_exit_2_for_every_command() {
    use clap::CommandFactory;
    let tree = knet::cli::Cli::command();
    let mut checked = 0;
    for sub in tree.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let out = k(&[name, "--no-such-option"]);
        assert_eq!(out.code, 2, "knet {name} --no-such-option: {out:?}");
        assert!(out.stderr.starts_with("error: "), "knet {name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "knet {name}: a usage error printed on stdout: {}", out.stdout);
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} commands");
    // a missing required argument, for the commands that take one
    for args in [&["net-info"][..], &["domiflist"], &["net-update", "default"], &["attach-interface", "test"], &["net-dhcp-host", "default", "add"]] {
        k(args).code(2);
    }
    // the shared commands say it in virsh's one line; knet's own in clap's
    assert_eq!(k(&["net-info", "--no-such-option"]).stderr, "error: command 'net-info' doesn't support option --no-such-option\n");
    assert!(k(&["validate", "--no-such-option"]).stderr.contains("Usage: knet validate"));
}

/// Listing and info commands that have a virsh twin: `-q` output is virsh's.
#[test]
fn quiet_matches_virsh_for_every_listing() {
    for args in [
        &["net-list", "--all"][..],
        &["net-list", "--name"],
        &["list", "--all"],
        &["list", "--uuid"],
        &["domiflist", "test"],
        &["domifaddr", "test"],
        &["net-info", "default"],
        &["net-uuid", "default"],
        &["net-name", "dd8fe884-6c02-601e-7551-cca97df1c5df"],
    ] {
        let q: Vec<&str> = std::iter::once("-q").chain(args.iter().copied()).collect();
        let (kn, vi) = (k(&q).ok(), v(&q).ok());
        assert_eq!(kn.stdout, vi.stdout, "knet -q {args:?}");
    }
}

/// Every listing and info command answers `--json` with one JSON document
/// on stdout, and `-q` drops knet's own headers.
#[test]
fn json_and_quiet_for_every_listing_and_info_command() {
    let state = tempfile::tempdir().unwrap();
    let cmds: &[&[&str]] = &[
        &["net-list", "--all"],
        &["list", "--all"],
        &["domiflist", "test"],
        &["domifaddr", "test"],
        &["net-info", "default"],
        &["net-uuid", "default"],
        &["net-name", "dd8fe884-6c02-601e-7551-cca97df1c5df"],
        &["net-dhcp-host", "default", "list"],
        &["doctor"],
        &["mac-gen", "--count", "2"],
        &["domif-rollback", "test", "--list"],
    ];
    for args in cmds {
        let out = run(knet().env("XDG_STATE_HOME", state.path()).args(["-c", URI, "--json"]).args(*args));
        // doctor exits 1 when a check fails; its JSON still comes out
        assert!(out.code == 0 || args[0] == "doctor", "knet --json {args:?}: {out:?}");
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap_or_else(|e| panic!("knet --json {args:?}: {e}\n{}", out.stdout));
    }
    // knet-only tables: a header line without -q, none with it
    for (args, header) in [(&["net-dhcp-host", "default", "list"][..], "MAC"), (&["doctor"], "[ OK ]")] {
        let plain = k(args);
        let quiet = k(&std::iter::once("-q").chain(args.iter().copied()).collect::<Vec<_>>());
        assert!(plain.stdout.contains(header), "knet {args:?}: {}", plain.stdout);
        assert!(!quiet.stdout.contains(header), "knet -q {args:?}: {}", quiet.stdout);
    }
}

/// `list` takes every state from one listing call: the table must still be
/// virsh's for running, paused and shut-off guests, in every mode.
#[test]
fn list_states_match_virsh() {
    let uri = test_uri("fleet-node.xml");
    for args in [&["list"][..], &["list", "--all"], &["list", "--inactive"], &["list", "--all", "--name"], &["list", "--all", "--uuid", "--name"]] {
        let kn = run(knet().arg("-c").arg(&uri).args(args)).ok();
        let vi = run(virsh().arg("-c").arg(&uri).args(args)).ok();
        assert_eq!(kn.stdout, vi.stdout, "knet {args:?}");
    }
    let all = run(knet().arg("-c").arg(&uri).args(["list", "--all"])).ok().stdout;
    assert!(all.contains("paused") && all.contains("running") && all.contains("shut off"), "{all}");
}

/// The same over libvirt's remote protocol, where the one-call state listing
/// (virConnectGetAllDomainStats) really is one round trip: a paused and a
/// shut-off guest on a private daemon.
#[test]
fn list_states_match_virsh_on_a_daemon() {
    let sb = Sandbox::start();
    run(sb.virsh().arg("net-define").arg(sandbox_xml("default.xml"))).ok();
    run(sb.virsh().args(["net-start", "default"])).ok();
    for g in ["vm1.xml", "vm2.xml"] {
        run(sb.virsh().arg("define").arg(sandbox_xml(g))).ok();
    }
    run(sb.virsh().args(["start", "--paused", "vm1"])).ok();
    for args in [&["list"][..], &["list", "--all"], &["list", "--inactive"], &["-r", "list", "--all"]] {
        let (kn, vi) = (run(sb.knet().args(args)).ok(), run(sb.virsh().args(args)).ok());
        assert_eq!(kn.stdout, vi.stdout, "knet {args:?}");
    }
    assert!(run(sb.knet().args(["list", "--all"])).ok().stdout.contains(" 1    vm1    paused"));
}

/// virsh's command-line grammar, for every option of every shared command,
/// generated from knet's copy of virsh's option tables (src/virsh_args.rs):
/// each refusal is virsh's line, byte for byte, with nothing on stdout and
/// nothing run (exit 2 where virsh exits 1: documented).
#[test]
fn every_option_of_every_shared_command_is_parsed_as_virsh_does() {
    use knet::virsh_args::{Kind, TABLES};
    let mut lines: Vec<Vec<String>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    for t in TABLES {
        let cmd = t.command;
        // knet's own additions (--no-validate, --apply) are not virsh's to judge
        let opts: Vec<_> = t.opts.iter().filter(|o| !knet::virsh_args::KNET_OPTIONS.contains(&o.name)).collect();
        let required: Vec<String> = opts.iter().filter(|o| o.required).map(|o| format!("x{}", o.name.len())).collect();
        let with_required = |extra: &[&str]| -> Vec<String> { std::iter::once(cmd.to_string()).chain(required.iter().cloned()).chain(extra.iter().map(|x| x.to_string())).collect() };
        lines.push(s(&[cmd, "--bogus"]));
        lines.push(with_required(&["--bogus=1"]));
        if !required.is_empty() {
            lines.push(s(&[cmd]));
        }
        // every position filled, then one word too many
        let positions = opts.iter().filter(|o| matches!(o.kind, Kind::Str | Kind::Int)).count();
        let mut too_many = vec![cmd.to_string()];
        too_many.extend((0..=positions).map(|i| format!("p{i}")));
        lines.push(too_many);
        for o in &opts {
            let flag = format!("--{}", o.name);
            match o.kind {
                Kind::Bool => {
                    lines.push(with_required(&[&format!("{flag}=yes")]));
                    lines.push(with_required(&[&flag, &flag]));
                }
                _ => {
                    lines.push(with_required(&[&flag]));
                    lines.push(with_required(&[&format!("{flag}=a"), &format!("{flag}=b")]));
                }
            }
        }
    }
    lines.push(s(&["net-lst"]));
    lines.push(s(&["domiflst", "test"]));
    assert!(lines.len() > 150, "{}", lines.len());
    for words in &lines {
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        let (kn, vi) = (k(&args), v(&args));
        assert_eq!(vi.code, 1, "virsh {args:?} accepted it: {vi:?}");
        assert!(vi.stdout.is_empty(), "virsh {args:?} ran the command: {vi:?}");
        assert_eq!((kn.code, kn.stdout.as_str(), kn.stderr.as_str()), (2, "", vi.stderr.as_str()), "knet {args:?}");
    }
}

/// README's "With several hosts" list names exactly the commands whose
/// descriptor says they work on several hosts, and the one-host refusal
/// names them too (both come from src/commands/mod.rs's table).
#[test]
fn several_hosts_docs_follow_the_command_table() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let part = readme.split("With several hosts:").nth(1).unwrap().split("- `--jobs N`").next().unwrap();
    let spec_names: std::collections::BTreeSet<&str> = knet::commands::many_host_names().collect();
    let mut documented = std::collections::BTreeSet::new();
    for word in part.split('`').skip(1).step_by(2) {
        let name = word.split_whitespace().next().unwrap_or_default();
        if knet::commands::spec(name).is_some() {
            documented.insert(name);
        }
    }
    assert_eq!(documented, spec_names, "README's several-hosts list vs the command table");
    let out = k(&["-c", "test:///default?x", "net-info", "default"]).code(2);
    for name in &spec_names {
        assert!(out.stderr.contains(name), "{name} missing from: {}", out.stderr);
    }
}
