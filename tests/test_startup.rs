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

/// Copies of both binaries laid out as an install prefix: `bin/knet`, and
/// knet-libvirt at `companion` (relative to the prefix).
fn installed_layout(companion: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("bin")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_knet"), root.path().join("bin/knet")).unwrap();
    let dest = root.path().join(companion);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_knet-libvirt"), dest).unwrap();
    root
}

/// The Debian package puts knet in /usr/bin and its companion out of PATH in
/// /usr/libexec/knet; `cargo install` puts both in ~/.cargo/bin. knet finds
/// it in either layout with no environment variable.
#[test]
fn knet_finds_its_companion_beside_it_or_in_libexec() {
    for companion in ["bin/knet-libvirt", "libexec/knet/knet-libvirt"] {
        let root = installed_layout(companion);
        let out = run(knet_at(&root.path().join("bin/knet")).args(["-c", "test:///default", "net-list"]));
        assert_eq!(out.code, 0, "{companion}: {}", out.stderr);
        assert!(out.stdout.contains(" default "), "{companion}: {}", out.stdout);
    }
}

#[test]
fn a_missing_companion_is_reported_with_every_place_looked_in() {
    let root = installed_layout("elsewhere/knet-libvirt");
    let out = run(knet_at(&root.path().join("bin/knet")).args(["-c", "test:///default", "net-list"]));
    assert_eq!(out.code, 1);
    let bin = root.path().join("bin/knet-libvirt");
    let libexec = root.path().join("libexec/knet/knet-libvirt");
    assert!(out.stderr.contains(&*bin.to_string_lossy()) && out.stderr.contains(&*libexec.to_string_lossy()), "{}", out.stderr);
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
