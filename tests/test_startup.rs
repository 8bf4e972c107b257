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
