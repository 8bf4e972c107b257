//! domiflist / domifaddr: virsh's output byte for byte on the test driver.

use crate::util::*;

fn both(args: &[&str]) -> (Out, Out) {
    let k = run(knet().arg("-c").arg("test:///default").args(args));
    let v = run(virsh().arg("-c").arg("test:///default").args(args));
    (k, v)
}

#[test]
fn domiflist_matches_virsh() {
    for args in [&["domiflist", "test"][..], &["domiflist", "test", "--inactive"], &["-q", "domiflist", "test"], &["domiflist", "6695eb01-f6a4-8304-79aa-97f2502e193f"]] {
        let (k, v) = both(args);
        assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?}");
        assert_eq!(k.code, v.code, "exit differs for {args:?}");
    }
    // the test driver's guest really is on a network NIC: the table is not empty
    let (k, _) = both(&["domiflist", "test"]);
    assert!(k.stdout.contains(" testnet0    network   default   -       aa:bb:cc:dd:ee:ff\n"), "{}", k.stdout);
}

#[test]
fn domiflist_of_missing_guest_fails_like_virsh() {
    let (k, v) = both(&["domiflist", "nosuch"]);
    assert_eq!(k.code, 1);
    assert_eq!(v.code, 1);
    assert_eq!(k.stderr.lines().next(), Some("error: failed to get domain 'nosuch'"));
    assert!(v.stderr.contains("error: failed to get domain 'nosuch'"), "{}", v.stderr);
}

#[test]
fn domiflist_json_has_every_column() {
    let out = run(knet().args(["-c", "test:///default", "--json", "domiflist", "test"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["interface"], "testnet0");
    assert_eq!(v[0]["type"], "network");
    assert_eq!(v[0]["source"], "default");
    assert_eq!(v[0]["model"], serde_json::Value::Null);
    assert_eq!(v[0]["mac"], "aa:bb:cc:dd:ee:ff");
}

#[test]
fn domifaddr_matches_virsh() {
    for args in [&["domifaddr", "test"][..], &["domifaddr", "test", "--full"], &["domifaddr", "test", "--interface", "nope"]] {
        let (k, v) = both(args);
        assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?}");
        assert_eq!(k.code, v.code, "exit differs for {args:?}");
    }
}
