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

// ---------------------------------------------------------------------------
// virsh's drop-in forms: the same words to virsh and knet, on libvirt's test
// driver with tests/fixtures/dropin-node.xml (guests in every state, titles,
// a guest named "2" whose ID is 3, networks whose names sort differently
// with and without case).

fn dropin() -> String {
    test_uri("dropin-node.xml")
}

/// Run `args` through knet and virsh with `LC_ALL=locale`; stdout, stderr
/// and exit code must be virsh's. The one documented difference: a command
/// line virsh refuses before running anything exits 2 in knet (virsh: 1),
/// with nothing on stdout in either.
#[track_caller]
fn same_all_in(locale: &str, uri: &str, args: &[&str]) -> Out {
    let k = run(knet().env("LC_ALL", locale).arg("-c").arg(uri).args(args));
    let v = run(virsh().env("LC_ALL", locale).arg("-c").arg(uri).args(args));
    // a crash inside libvirt's test driver would compare equal and prove nothing
    assert!(v.code >= 0, "virsh died on {args:?}: pick another case");
    assert_eq!(k.stdout, v.stdout, "stdout differs for {args:?} ({locale})\nknet stderr: {}\nvirsh stderr: {}", k.stderr, v.stderr);
    assert_eq!(k.stderr, v.stderr, "stderr differs for {args:?} ({locale})");
    let usage = k.code == 2 && v.code == 1 && v.stdout.is_empty();
    assert!(k.code == v.code || usage, "exit code differs for {args:?}: knet {} virsh {}\n{}", k.code, v.code, k.stderr);
    k
}

#[track_caller]
fn same_all(uri: &str, args: &[&str]) -> Out {
    same_all_in("C", uri, args)
}

/// A write, then `state` in the same session (the test driver forgets
/// changes when the connection closes): as one `"a ; b"` line, so both the
/// command's own output and the state it left are compared.
#[track_caller]
fn same_then(uri: &str, write: &str, state: &str) -> Out {
    same_all(uri, &[&format!("{write} ; {state}")])
}

const NET_STATE: &str = "net-list --all ; net-dumpxml --inactive default ; net-info default";
const DOM_STATE: &str = "list --all ; domiflist web ; domiflist web --inactive";

#[test]
fn every_shared_command_takes_virshs_named_forms() {
    let u = dropin();
    let net_uuid = "6b5d7a1e-3c4f-4a57-9c2b-0d1e2f3a4c01";
    for args in [
        &["net-list", "--all", "--name"][..],
        &["net-info", "--network", "default"],
        &["net-info", "--network=default"],
        &["net-info", "--", "default"],
        &["net-uuid", "--network", "Beta"],
        &["net-name", "--network", net_uuid],
        &["net-dumpxml", "--inactive", "--network", "default"],
        &["net-dumpxml", "--xpath=//ip/@address", "--network=default"],
        &["net-dumpxml", "--xpath", "//host", "default", "--wrap"],
        &["net-dhcp-leases", "--network", "default", "--mac", "52:54:00:00:00:01"],
        &["net-dhcp-leases", "default", "52:54:00:00:00:01"],
        &["domiflist", "--domain", "web"],
        &["domiflist", "--inactive", "--domain=web"],
        &["detach-interface", "--domain", "web", "--type", "bridge", "--print-xml"],
        &["detach-interface", "web", "network", "52:54:00:00:00:02", "--print-xml"],
        &["attach-interface", "--type", "bridge", "--source", "br0", "--domain", "web", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "network", "default", "vnet9", "52:54:00:12:34:56", "--print-xml"],
    ] {
        same_all(&u, args);
    }
    // (the test driver reports addresses for test:///default's guest only)
    for args in [
        &["domifaddr", "--domain", "test", "--full"][..],
        &["domifaddr", "test", "testnet0", "--source", "lease"],
        &["domifaddr", "--source=lease", "--domain", "test"],
        &["domifaddr", "--interface=testnet0", "1"],
    ] {
        let out = same_all(URI, args);
        assert!(out.stdout.contains("testnet0"), "{args:?}: {}", out.stdout);
    }
    // writes: the command's output and the state it leaves
    let f = fixture("net-nat.xml");
    for write in [
        "net-destroy --network Beta".to_string(),
        "net-autostart --network default --disable".into(),
        "net-autostart --disable default".into(),
        "net-undefine --network=alpha".into(),
        format!("net-define --file {f}"),
        format!("net-define --validate {f}"),
        format!("net-create --file={f} --validate"),
        "net-destroy default ; net-start --network default".into(),
        "net-update --network default --command add --section ip-dhcp-host --xml \"<host mac='52:54:00:00:00:77' ip='192.168.221.77'/>\"".into(),
        "net-update default add-first ip-dhcp-host \"<host mac='52:54:00:00:00:78' ip='192.168.221.78'/>\" 0 --config".into(),
        "net-update --section ip-dhcp-host --command delete --network default \"<host mac='52:54:00:00:00:01'/>\" --live".into(),
    ] {
        same_then(&u, &write, NET_STATE);
    }
    // net-edit by name, through an editor that changes the bridge
    let dir = tempdir_short("knet-edit");
    let editor = dir.join("ed.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/virbr22/virbr32/' \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for line in ["net-edit --network Beta ; net-dumpxml Beta", "net-edit --network=default ; net-info default"] {
        let k = run(knet().env("EDITOR", &editor).args(["-c", &u, line]));
        let v = run(virsh().env("EDITOR", &editor).args(["-c", &u, line]));
        assert_eq!((k.code, &k.stdout, &k.stderr), (v.code, &v.stdout, &v.stderr), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    for write in ["detach-interface --domain web --type bridge", "detach-interface web network --mac 52:54:00:00:00:02 --config", "attach-interface --domain cache --type network --source default --config"] {
        same_then(&u, write, DOM_STATE);
    }
}

#[test]
fn domains_are_found_by_id_then_uuid_then_name() {
    let u = dropin();
    // "2" is Db's ID, and also the name of the guest with ID 3
    for args in [
        &["domiflist", "2"][..],
        &["domiflist", "3"],
        &["domiflist", "1"],
        &["domiflist", "+1"],
        &["domiflist", " 1"],
        &["domiflist", "-1"],
        &["domiflist", "99"],
        &["domiflist", "6b5d7a1e-3c4f-4a57-9c2b-0d1e2f3a4d03"],
        &["domiflist", "6B5D7A1E-3C4F-4A57-9C2B-0D1E2F3A4D03"],
        &["detach-interface", "1", "network", "--mac", "52:54:00:00:00:01", "--print-xml"],
        &["detach-interface", "99", "network"],
        &["attach-interface", "1", "network", "default", "--live"],
    ] {
        same_all(&u, args);
    }
}

#[test]
fn list_has_virshs_filters_columns_and_rules() {
    let u = dropin();
    let sets: &[&[&str]] = &[
        &[],
        &["--all"],
        &["--inactive"],
        &["--all", "--title"],
        &["--all", "--title", "--managed-save"],
        &["--all", "--managed-save"],
        &["--state-running"],
        &["--state-paused"],
        &["--state-shutoff"],
        &["--state-running", "--state-paused"],
        &["--all", "--state-other"],
        &["--persistent"],
        &["--all", "--transient"],
        &["--all", "--autostart"],
        &["--all", "--no-autostart"],
        &["--all", "--with-snapshot"],
        &["--all", "--without-snapshot"],
        &["--all", "--with-managed-save"],
        &["--all", "--without-managed-save"],
        &["--all", "--name"],
        &["--all", "--uuid"],
        &["--all", "--id"],
        &["--id"],
        &["--all", "--uuid", "--name", "--id"],
        &["--all", "--id", "--name"],
        &["--all", "--title", "--name"],
        &["--table", "--id"],
        &["--table", "--name", "--uuid"],
        &["--uuid", "--table"],
        &["--all", "--table", "--title"],
    ];
    for locale in ["C", "C.UTF-8"] {
        for set in sets {
            let mut args = vec!["list"];
            args.extend_from_slice(set);
            same_all_in(locale, &u, &args);
            let mut quiet = vec!["-q"];
            quiet.extend_from_slice(&args);
            same_all_in(locale, &u, &quiet);
        }
    }
}

#[test]
fn tables_sort_and_measure_as_virsh() {
    // names with a wide character, an accent, a tab and a literal "\x",
    // listed in a UTF-8 locale and in C
    let dir = tempdir_short("knet-names");
    let odd = dir.join("odd.xml");
    std::fs::write(&odd, "<network><name>caf\u{e9}\u{4e2d}x\ty\\xz</name><bridge name='virbr29'/></network>").unwrap();
    let upper = dir.join("upper.xml");
    std::fs::write(&upper, "<network><name>Zed</name><bridge name='virbr28'/></network>").unwrap();
    let line = format!("net-define {} ; net-define {} ; net-list --all ; net-list --all --name", odd.display(), upper.display());
    for locale in ["C", "C.UTF-8"] {
        same_all_in(locale, &dropin(), &[&line]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flags_virsh_9_has() {
    let u = dropin();
    for args in [
        // --wrap without --xpath does nothing
        &["net-dumpxml", "default", "--wrap"][..],
        // several attributes of one name: libxml2 keeps the last
        &["net-dumpxml", "default", "--xpath", "//@address|//@name", "--wrap"],
        &["net-dumpxml", "default", "--xpath", "//@*", "--wrap"],
        &["net-dumpxml", "default", "--xpath", "//host/@*"],
        // attach-interface's own checks, in virsh's words and order
        &["attach-interface", "web", "vhostuser", "/tmp/sock", "--source-mode", "listen"],
        &["attach-interface", "web", "vhostuser", "/tmp/sock", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "vhostuser", "/tmp/sock", "--source-mode", "client", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "direct", "eth0", "--source-mode", "server", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "hostdev", "0000:03:00.1", "--managed", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "hostdev", "03:00.1", "--print-xml"],
        &["attach-interface", "web", "bogus", "x"],
        &["attach-interface", "web", "user", "x"],
        &["attach-interface", "web", "network", "default", "--inbound", "1,2,3,4,5"],
        &["attach-interface", "web", "network", "default", "--inbound", "x"],
        &["attach-interface", "web", "network", "default", "--inbound", ",2"],
        &["attach-interface", "web", "network", "default", "--inbound", ",,,7", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["attach-interface", "web", "network", "default", "--outbound", ",2"],
        &["attach-interface", "web", "network", "default", "--outbound", "1,2,3,4"],
        &["attach-interface", "web", "network", "default", "--outbound", "1,-2"],
        &["attach-interface", "web", "network", "default", "--inbound", "10,20,30,40", "--outbound", "5,6,7", "--print-xml", "--mac", "52:54:00:12:34:56"],
        // -q drops virsh's blank line after the printed XML, and only that
        &["-q", "attach-interface", "web", "network", "default", "--print-xml", "--mac", "52:54:00:12:34:56"],
        &["-q", "detach-interface", "web", "network", "--mac", "52:54:00:00:00:01", "--print-xml"],
        &["-q", "detach-interface", "web", "bridge", "--print-xml"],
    ] {
        same_all(&u, args);
    }
    let f = fixture("net-nat.xml");
    same_then(&u, &format!("net-define {f} --validate"), NET_STATE);
}

#[test]
fn a_failed_editor_is_reported_in_virshs_words() {
    // libvirt's virCommandWait words it; only the temporary file's name
    // differs (virsh's is random too)
    let dir = tempdir_short("knet-editors");
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        p.display().to_string()
    };
    let fail = script("fail.sh", "exit 3");
    let signal = script("signal.sh", "kill -TERM $$");
    let file_word = |s: &str| s.split(' ').map(|w| match w.find(".xml") { Some(i) => format!("FILE{}", &w[i + 4..]), None => w.to_string() }).collect::<Vec<_>>().join(" ");
    for editor in [fail.clone(), signal, "/nonexistent-editor".into(), format!("{fail} --wait")] {
        let k = run(knet().env("EDITOR", &editor).args(["-c", URI, "net-edit", "default"]));
        let v = run(virsh().env("EDITOR", &editor).args(["-c", URI, "net-edit", "default"]));
        assert_eq!((k.code, &k.stdout, file_word(&k.stderr)), (v.code, &v.stdout, file_word(&v.stderr)), "EDITOR={editor}");
        assert!(k.stderr.contains("internal error: Child process ("), "{}", k.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_refusals_are_virshs_word_for_word() {
    // libvirt's refusal names the API called: virsh makes the plain call
    // unless --validate asks for the flags one
    let u = dropin();
    let f = fixture("net-nat.xml");
    for cmd in ["net-define", "net-create"] {
        for extra in [&[][..], &["--validate"]] {
            let mut args = vec!["-r", cmd, f.as_str()];
            args.extend_from_slice(extra);
            let out = same_all(&u, &args);
            assert!(out.stderr.contains("read only access prevents"), "{args:?}: {}", out.stderr);
        }
    }
    for args in [&["-r", "net-undefine", "alpha"][..], &["-r", "net-start", "alpha"], &["-r", "attach-interface", "web", "network", "default", "--config"], &["-r", "detach-interface", "web", "bridge", "--config"]] {
        same_all(&u, args);
    }
}

#[test]
fn net_create_of_a_name_in_use_is_refused_as_virsh_refuses_it() {
    // a file without <uuid> naming an existing network: net-define keeps
    // that network's UUID (documented), net-create must not turn it into
    // starting or replacing the other network
    let u = dropin();
    let dir = tempdir_short("knet-dup");
    let f = dir.join("default.xml");
    std::fs::write(&f, "<network><name>default</name><bridge name='virbr79'/></network>\n").unwrap();
    let f = f.display().to_string();
    for line in [format!("net-create {f} ; {NET_STATE}"), format!("net-destroy default ; net-create {f} ; {NET_STATE}")] {
        let out = same_all(&u, &[&line]);
        assert!(out.stderr.contains("already exists with uuid"), "{line}: {}", out.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_raised_inside_the_command_are_virshs_with_the_lone_newline() {
    let u = dropin();
    let host = "<host mac='52:54:00:00:00:09' ip='192.168.221.9'/>";
    for args in [
        &["domifaddr", "web", "--source", "bogus"][..],
        &["domifaddr", "--source=bogus", "--domain", "nosuch"],
        &["domifaddr", "web", "--interface", ""],
        &["net-update", "default", "add", "ip-dhcp-host", host, "--parent-index", "bogus"],
        &["net-update", "default", "add", "ip-dhcp-host", host, "--parent-index", "99999999999"],
        &["net-update", "default", "add", "ip-dhcp-host", host, "--live", "--config", "--current"],
        &["net-update", "default", "", "ip-dhcp-host", host],
        &["detach-interface", "web", "network", "--live", "--config", "--current"],
        &["detach-interface", "web", "network", "--persistent", "--current"],
        &["detach-interface", "web", "network", "--mac", ""],
        &["detach-interface", "web", "network", "--mac", "", "--print-xml"],
        &["detach-interface", "web", "network", "--print-xml"],
        &["detach-interface", "web", "network", "--mac", "52:54:00:00:00:99", "--print-xml"],
        &["detach-interface", "web", "network", "--mac", "52:54:00:00:00:99"],
        &["attach-interface", "web", "network", "default", "--current", "--config"],
        &["attach-interface", "web", "network", "", "--config"],
        &["net-info", ""],
        &["net-dhcp-leases", "default", "--mac", ""],
        &["net-define", ""],
        &["list", "--table", "--name"],
        &["list", "--table", "--id"],
        &["net-list", "--table", "--name"],
    ] {
        let out = same_all(&u, args);
        assert_eq!((out.code, out.stdout.as_str()), (1, "\n"), "{args:?}");
    }
}
