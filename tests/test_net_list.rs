//! net-list: virsh's table, filters and errors, byte for byte.

use crate::util::*;

fn both(args: &[&str]) -> (Out, Out) {
    let k = run(knet().arg("-c").arg("test:///default").args(args));
    let v = run(virsh().arg("-c").arg("test:///default").args(args));
    (k, v)
}

#[test]
fn table_matches_virsh_on_test_driver() {
    for args in [&["net-list"][..], &["net-list", "--all"], &["net-list", "--inactive"], &["net-list", "--name"], &["net-list", "--uuid"], &["-q", "net-list"]] {
        let (k, v) = both(args);
        assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?}");
        assert_eq!(k.code, v.code, "exit differs for {args:?}");
    }
}

#[test]
fn name_and_uuid_together_is_an_error() {
    let (k, v) = both(&["net-list", "--name", "--uuid"]);
    assert_eq!(k.code, 1);
    assert_eq!(k.code, v.code);
    assert!(k.stderr.contains("Only one argument from --table, --name and --uuid may be specified."), "{}", k.stderr);
}

#[test]
fn json_lists_every_field() {
    let out = run(knet().args(["-c", "test:///default", "--json", "net-list", "--all"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "default");
    assert_eq!(v[0]["active"], true);
    assert_eq!(v[0]["persistent"], true);
}

#[test]
fn unreachable_uri_fails_like_virsh() {
    let k = run(knet().args(["-c", "test:///nonexistent.xml", "net-list"]));
    assert_eq!(k.code, 1);
    assert!(k.stderr.starts_with("error: failed to connect to the hypervisor\n") || k.stderr.contains("\nerror: failed to connect to the hypervisor\n"), "{}", k.stderr);
}
