//! Help and man pages as users read them: a command's own options first and
//! the global ones under their own heading, fleet options only where they
//! apply; every page says what its exit codes mean (130 included) and where
//! knet keeps its files, every cross-reference names a page that exists, and
//! no markdown backtick leaks into roff.

use crate::util::*;

/// The checked-in pages (test_shell checks they are fresh): (file, text).
fn pages() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(repo().join("man"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .filter(|(n, _)| n.ends_with(".1"))
        .collect();
    v.sort();
    assert!(v.len() > 20, "only {} man pages", v.len());
    v
}

/// A section's text: from `.SH NAME` to the next `.SH`.
fn section<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let start = page.find(&format!(".SH {name}\n")).or_else(|| page.find(&format!(".SH \"{name}\"\n")))?;
    let rest = &page[start + 4..];
    Some(&rest[..rest.find("\n.SH ").map_or(rest.len(), |i| i + 1)])
}

#[test]
fn every_page_lists_its_exit_codes_including_an_interrupt() {
    for (name, page) in pages() {
        let s = section(&page, "EXIT STATUS").unwrap_or_else(|| panic!("{name}: no EXIT STATUS section"));
        for code in ["0", "1", "2", "130"] {
            assert!(s.contains(&format!("\n.B {code}\n")) || s.contains(&format!("\\fB{code}\\fR")), "{name}: EXIT STATUS does not explain {code}:\n{s}");
        }
    }
}

#[test]
fn files_name_the_state_directory_and_the_backups() {
    for (name, page) in pages() {
        let s = section(&page, "FILES").unwrap_or_else(|| panic!("{name}: no FILES section"));
        assert!(s.contains("~/.local/state/knet"), "{name}: FILES does not name the state directory:\n{s}");
        if ["knet.1", "knet-domif-convert.1", "knet-domif-rollback.1"].contains(&name.as_str()) {
            assert!(s.contains("backups"), "{name}: FILES does not name the backups directory:\n{s}");
        }
    }
}

#[test]
fn cross_references_name_pages_that_exist_and_no_backticks_leak() {
    let pages = pages();
    let ours: Vec<String> = pages.iter().map(|(n, _)| n.trim_end_matches(".1").to_string()).collect();
    // other packages' pages a knet page may point to
    let external = ["virsh", "virt-xml-validate", "virt-xml", "jq", "man", "systemctl", "ip", "nmcli", "netplan", "interfaces"];
    for (name, page) in &pages {
        assert!(!page.contains('`'), "{name}: a literal backtick (markdown) in roff:\n{}", page.lines().filter(|l| l.contains('`')).collect::<Vec<_>>().join("\n"));
        // NAME(N) and `.BR NAME (N)`, with roff's font escapes and \- undone
        let plain = page.replace("\\fB", "").replace("\\fR", "").replace("\\fI", "").replace("\\-", "-").replace(".BR ", "");
        let bytes = plain.as_bytes();
        for (i, _) in plain.match_indices('(') {
            let digit = bytes.get(i + 1).copied();
            if !(matches!(digit, Some(b'1'..=b'8')) && bytes.get(i + 2) == Some(&b')')) {
                continue;
            }
            let head = plain[..i].trim_end_matches(' ');
            let word: String = head.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.').collect::<Vec<_>>().into_iter().rev().collect();
            if word.is_empty() {
                continue;
            }
            assert!(ours.contains(&word) || external.contains(&word.as_str()), "{name}: reference to {word}({}), a page knet does not install", digit.unwrap() as char);
        }
        // prose pointers to documents a man reader does not have
        for dangling in ["see README", "(see README)", "see \"Several hosts\""] {
            assert!(!plain.contains(dangling), "{name}: points to a document outside the man pages: {dangling}");
        }
    }
}

#[test]
fn help_puts_global_options_last_and_fleet_options_only_where_they_apply() {
    use clap::CommandFactory;
    for sub in knet::cli::Cli::command().get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let spec = knet::commands::spec(name).unwrap_or_else(|| panic!("{name} is not in the command table"));
        let help = run(knet().args([name, "--help"])).ok().stdout;
        let (own, global) = help.split_once("\nGlobal options:\n").unwrap_or_else(|| panic!("{name} --help has no Global options heading:\n{help}"));
        assert!(global.contains("--connect") && global.contains("--json") && !own.contains("--connect"), "{name} --help:\n{help}");
        for fleet in ["--hosts", "--jobs"] {
            assert_eq!(help.contains(fleet), spec.many_hosts, "{name} --help and {fleet}: shown only for commands that work on several hosts:\n{help}");
        }
        let page = std::fs::read_to_string(repo().join("man").join(format!("knet-{name}.1"))).unwrap();
        assert!(page.contains(".SH \"GLOBAL OPTIONS\""), "knet-{name}.1 has no GLOBAL OPTIONS section");
        // as an option (bold), not as a word in NOTES
        assert_eq!(page.contains("\\fB\\-\\-hosts\\fR"), spec.many_hosts, "knet-{name}.1 and --hosts");
    }
}
