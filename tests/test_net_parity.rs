//! net-* commands against the test driver: same stdout and exit code as
//! virsh, success and failure alike (each invocation is a fresh
//! `test:///default`, so every command starts from the same state).

use crate::util::*;

fn fixture(name: &str) -> String {
    repo().join("tests/fixtures").join(name).display().to_string()
}

/// Run `args` through knet and virsh on `uri`; assert identical stdout and
/// exit code; return knet's output.
#[track_caller]
fn same(uri: &str, args: &[&str]) -> Out {
    let k = run(knet().arg("-c").arg(uri).args(args));
    let v = run(virsh().arg("-c").arg(uri).args(args));
    assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?}\nknet stderr: {}\nvirsh stderr: {}", k.stderr, v.stderr);
    assert_eq!(k.code, v.code, "exit code differs for {args:?}\nknet stderr: {}\nvirsh stderr: {}", k.stderr, v.stderr);
    k
}

const URI: &str = "test:///default";
const UUID: &str = "dd8fe884-6c02-601e-7551-cca97df1c5df";

#[test]
fn read_commands_match_virsh() {
    for args in [
        &["net-info", "default"][..],
        &["net-info", UUID],
        &["-q", "net-info", "default"],
        &["net-uuid", "default"],
        &["-q", "net-uuid", "default"],
        &["net-name", UUID],
        &["net-dumpxml", "default"],
        &["net-dumpxml", UUID],
        &["net-dumpxml", "default", "--xpath", "//ip"],
        &["net-dumpxml", "default", "--xpath", "//ip/@address"],
        &["net-dumpxml", "default", "--xpath", "//range|//ip/@address", "--wrap"],
        &["net-dumpxml", "default", "--xpath", "//nosuch", "--wrap"],
        &["net-dumpxml", "default", "--xpath", "/network", "--wrap"],
        &["net-dumpxml", "default", "--xpath", "//name/text()"],
        &["-q", "net-dumpxml", "default", "--xpath", "//bridge"],
    ] {
        let out = same(URI, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.trim().is_empty() || args.contains(&"//nosuch"), "{args:?} printed nothing");
    }
}

#[test]
fn write_commands_match_virsh() {
    for (args, msg) in [
        (&["net-destroy", "default"][..], "Network default destroyed\n\n"),
        (&["net-autostart", "default"], "Network default marked as autostarted\n\n"),
        (&["net-autostart", "default", "--disable"], "Network default unmarked as autostarted\n\n"),
        (&["-q", "net-destroy", "default"], ""),
    ] {
        let out = same(URI, args).ok();
        assert_eq!(out.stdout, msg);
    }
    let f = fixture("net-nat.xml");
    let out = same(URI, &["net-define", &f]).ok();
    assert_eq!(out.stdout, format!("Network knetnat defined from {f}\n\n"));
    let out = same(URI, &["net-create", &f]).ok();
    assert_eq!(out.stdout, format!("Network knetnat created from {f}\n\n"));
}

#[test]
fn net_update_matches_virsh() {
    let host = "<host mac='52:54:00:00:00:09' name='h9' ip='192.168.122.9'/>";
    for (args, msg) in [
        (&["net-update", "default", "add", "ip-dhcp-host", host][..], "Updated network default live state\n"),
        (&["net-update", "default", "add-first", "ip-dhcp-host", host, "--live"], "Updated network default live state\n"),
        (&["net-update", "default", "add-last", "ip-dhcp-host", host, "--current"], "Updated network default live state\n"),
        (&["-q", "net-update", "default", "add", "ip-dhcp-host", host], ""),
    ] {
        let out = same(URI, args).ok();
        assert_eq!(out.stdout, msg);
    }
}

#[test]
fn errors_match_virsh() {
    let host = "<host mac='52:54:00:00:00:09' ip='192.168.122.9'/>";
    for args in [
        &["net-info", "nosuch"][..],
        &["net-info", "dd8fe884-6c02-601e-7551-cca97df1c5dd"],
        &["net-uuid", "nosuch"],
        &["net-name", "dd8fe884-6c02-601e-7551-cca97df1c5dd"],
        &["net-dumpxml", "nosuch"],
        &["net-start", "nosuch"],
        &["net-start", "default"],
        &["net-destroy", "nosuch"],
        &["net-undefine", "default"],
        &["net-autostart", "nosuch"],
        &["net-dhcp-leases", "nosuch"],
        &["net-update", "nosuch", "add", "ip-dhcp-host", host],
        &["net-update", "default", "add", "bridge", "<bridge name='x'/>"],
        &["net-update", "default", "frob", "ip-dhcp-host", host],
        &["net-update", "default", "add", "frob", host],
        &["net-update", "default", "add", "ip-dhcp-host", "/nonexistent/host.xml"],
        &["net-update", "default", "add", "ip-dhcp-host", host, "--live", "--current"],
        &["net-update", "default", "delete", "ip-dhcp-host", host],
        &["net-define", "/nonexistent/net.xml"],
        &["net-create", "/nonexistent/net.xml"],
        &["-r", "net-destroy", "default"],
        &["-r", "net-autostart", "default"],
        &["-r", "net-update", "default", "add", "ip-dhcp-host", host],
        &["-q", "net-info", "nosuch"],
    ] {
        let out = same(URI, args);
        assert_eq!(out.code, 1, "{args:?}");
        assert!(out.stderr.starts_with("error: "), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn error_text_matches_virsh() {
    for args in [&["net-info", "nosuch"][..], &["net-start", "default"], &["-r", "net-destroy", "default"], &["net-define", "/nonexistent/net.xml"]] {
        let k = run(knet().arg("-c").arg(URI).args(args));
        let v = run(virsh().arg("-c").arg(URI).args(args));
        assert_eq!(k.stderr, v.stderr, "{args:?}");
    }
}

#[test]
fn invalid_xml_fails_like_virsh_with_positions() {
    // malformed: both refuse with exit 1 and a lone newline; knet says where
    let f = fixture("net-malformed.xml");
    let out = same(URI, &["net-define", &f]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(&format!("{f}:4:")), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was sent to libvirt"), "{}", out.stderr);
    // semantic (an impossible address): refused by knet's checks or by
    // libvirt's, the output still virsh's
    let out = same(URI, &["net-define", &fixture("net-semantic-error.xml")]);
    assert!(out.stderr.contains("address"), "{}", out.stderr);
}

#[test]
fn schema_errors_are_refused_where_virsh_drops_them() {
    // plain virsh defines it, silently dropping <bogus/>; knet refuses (its
    // own validator, or libvirt's schema check it asks for)
    let f = fixture("net-schema-error.xml");
    run(virsh().args(["-c", URI, "net-define", &f])).ok();
    let k = run(knet().args(["-c", URI, "net-define", &f])).code(1);
    assert!(k.stderr.contains("bogus"), "{}", k.stderr);
    assert_eq!(k.stdout, "\n");
}

#[test]
fn bad_xpath_is_an_error() {
    let k = run(knet().args(["-c", URI, "net-dumpxml", "default", "--xpath", "///[["])).code(1);
    assert!(k.stderr.contains("invalid XPath expression '///[['"), "{}", k.stderr);
    // a scalar result is printed rather than refused
    let k = run(knet().args(["-c", URI, "net-dumpxml", "default", "--xpath", "count(//ip)"])).ok();
    assert_eq!(k.stdout, "1\n\n");
}

#[test]
fn usage_errors_exit_2_and_print_nothing_on_stdout() {
    for args in [&["net-info"][..], &["net-start", "--bogus", "default"], &["net-dhcp-host", "default", "add", "--ip", "192.168.122.5"]] {
        let k = run(knet().arg("-c").arg(URI).args(args)).code(2);
        assert_eq!(k.stdout, "", "{args:?}");
    }
}

#[test]
fn json_info() {
    let out = run(knet().args(["-c", URI, "--json", "net-info", "default"])).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["name"], "default");
    assert_eq!(v["uuid"], UUID);
    assert_eq!(v["bridge"], "virbr0");
    assert_eq!(v["active"], true);
}

#[test]
fn no_validate_still_has_libvirts_schema_check() {
    // --no-validate skips knet's rules; libvirt is still asked to validate
    // (VIR_NETWORK_DEFINE_VALIDATE), which plain virsh net-define does not do
    for cmd in ["net-define", "net-create"] {
        let k = run(knet().args(["-c", URI, cmd, "--no-validate", &fixture("net-schema-error.xml")])).code(1);
        assert!(k.stderr.contains("XML document failed to validate against schema"), "{}", k.stderr);
        assert!(k.stderr.contains("Element network has extra content: bogus"), "{}", k.stderr);
        assert!(!k.stderr.contains("nothing was sent to libvirt"), "{}", k.stderr);
    }
    let f = fixture("net-nat.xml");
    let out = run(knet().args(["-c", URI, "net-define", "--no-validate", &f])).ok();
    assert_eq!(out.stdout, format!("Network knetnat defined from {f}\n\n"));
}
