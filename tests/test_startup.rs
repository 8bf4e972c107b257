//! The light `knet` binary must not link libvirt (Cargo.toml explains why).

use crate::util::*;

fn needed_libs(bin: &str) -> Vec<String> {
    let out = run(std::process::Command::new("readelf").args(["-d", bin])).ok();
    out.stdout.lines().filter(|l| l.contains("(NEEDED)")).map(|l| l.to_string()).collect()
}

#[test]
fn knet_does_not_link_libvirt() {
    let libs = needed_libs(env!("CARGO_BIN_EXE_knet"));
    assert!(!libs.is_empty(), "readelf found no NEEDED entries at all");
    assert!(libs.iter().all(|l| !l.contains("libvirt")), "knet links libvirt: {libs:?}");
}

#[test]
fn knet_libvirt_links_libvirt() {
    let libs = needed_libs(env!("CARGO_BIN_EXE_knet-libvirt"));
    assert!(libs.iter().any(|l| l.contains("libvirt.so")), "knet-libvirt lacks libvirt: {libs:?}");
}

#[test]
fn help_works_without_companion_binary() {
    let out = run(knet().env("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt").arg("--help")).ok();
    assert!(out.stdout.contains("net-list"));
}

#[test]
fn connection_commands_report_a_missing_companion_binary() {
    let out = run(knet().env("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt").args(["-c", "test:///default", "net-list"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("/nonexistent/knet-libvirt"), "{}", out.stderr);
}

/// Users run `knet`; the companion it execs must never show its own name in
/// help, usage errors or messages (its argv[0] is `knet`, and the clap tree
/// is named `knet` whatever argv[0] says).
#[test]
fn nothing_a_user_sees_names_the_companion() {
    let lines: &[&[&str]] = &[
        &["-c", "test:///default", "net-list", "--bogus"],
        &["-c", "test:///default", "net-list", "--help"],
        &["-c", "test:///default", "net-info"],
        &["-c", "test:///default", "net-info", "nosuchnet"],
        &["-c", "test:///default", "domiflist", "--help"],
        &["-c", "test:///default", "domif-convert"],
        &["-c", "test:///default", "net-dhcp-host", "--help"],
        &["-c", "test:///default", "no-such-command"],
        &["-c", "test:///default", "list", "--version"],
        &["--help"],
        &["validate", "--bogus"],
    ];
    for args in lines {
        let out = run(knet().args(*args));
        assert!(!out.stdout.contains("knet-libvirt") && !out.stderr.contains("knet-libvirt"), "knet {args:?}:\n{}{}", out.stdout, out.stderr);
        // a usage error of a shared command is virsh's own line, which names
        // the command, not the program
        let virshs_words = out.code == 2 && (out.stderr.starts_with("error: command '") || out.stderr.starts_with("error: unknown command: '"));
        assert!(out.stdout.contains("knet") || out.stderr.contains("knet") || out.code == 1 || virshs_words, "knet {args:?}: {out:?}");
    }
    // run directly, under its own name, it still calls itself knet
    let mut direct = std::process::Command::new(env!("CARGO_BIN_EXE_knet-libvirt"));
    let out = run(direct.env("LC_ALL", "C").env("XDG_STATE_HOME", state_home()).args(["-c", "test:///default", "validate", "--bogus"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage: knet validate") && !out.stderr.contains("knet-libvirt"), "{}", out.stderr);
    let mut direct = std::process::Command::new(env!("CARGO_BIN_EXE_knet-libvirt"));
    let out = run(direct.env("LC_ALL", "C").env("XDG_STATE_HOME", state_home()).args(["-c", "test:///default", "domif-convert", "--bogus"]));
    assert!(out.stderr.contains("Usage: knet domif-convert") && !out.stderr.contains("knet-libvirt"), "{}", out.stderr);
}
