//! domif-convert against virt-xml, the closest existing tool, on the corpus
//! domains: after libvirt normalises both results they are the same guest,
//! and knet's own output differs from its input only inside the NIC.

use std::path::Path;
use std::process::Command;

use crate::util::*;

/// (file, first NIC's type, first NIC's MAC, its byte range) for every corpus
/// domain libvirt itself accepts.
fn corpus_domains() -> Vec<(std::path::PathBuf, String, String, std::ops::Range<usize>)> {
    let dir = corpus().join("domains");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).expect("corpus labels.tsv");
    let mut v = Vec::new();
    for line in labels.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(2) != Some(&"1") {
            continue;
        }
        let path = dir.join(cols[0]);
        let xml = std::fs::read_to_string(&path).unwrap();
        let first = knet::xml::edit::interfaces(&xml).unwrap().into_iter().next().expect("corpus domains all have a NIC");
        v.push((path, first.kind, first.mac.unwrap_or_default(), first.range));
    }
    assert!(v.len() > 30, "corpus too small: {}", v.len());
    v
}

/// libvirt's normal form: define in an empty test driver, dump it back
/// (uuid dropped: libvirt invents one when the file has none). A refusal is
/// a result too (e.g. `floor` is only valid on network NICs): both tools'
/// output must then be refused with the same message.
fn normalise(xml: &str, tmp: &Path, tag: &str) -> Result<String, String> {
    let f = tmp.join(format!("{tag}.xml"));
    std::fs::write(&f, xml).unwrap();
    let name = roxmltree::Document::parse(xml).unwrap().root_element().children().find(|c| c.has_tag_name("name")).unwrap().text().unwrap().to_string();
    let out = run(virsh().arg("-c").arg(test_uri("empty-node.xml")).arg(format!("define {}; dumpxml {name}", f.display())));
    if out.code != 0 {
        return Err(out.stderr.lines().filter(|l| !l.contains("Failed to define")).collect::<Vec<_>>().join("\n"));
    }
    // libvirt also invents an openvswitch interfaceid when the input lacks one
    let mask = |l: &str| match l.find("interfaceid='") {
        Some(i) => format!("{}interfaceid='*'/>", &l[..i]),
        None => l.to_string(),
    };
    Ok(out.stdout.lines().filter(|l| !l.trim_start().starts_with("<uuid>")).skip(2).map(mask).collect::<Vec<_>>().join("\n"))
}

#[test]
fn agrees_with_virt_xml_and_keeps_every_other_byte() {
    let tmp = tempdir_short("knet-vx");
    let mut compared = 0;
    for (path, kind, mac, range) in corpus_domains() {
        let input = std::fs::read_to_string(&path).unwrap();
        let file = path.to_str().unwrap();
        if kind != "network" && kind != "bridge" {
            // knet converts only network and bridge NICs (virt-xml would
            // also turn a user/direct/hostdev NIC into a bridge one)
            let k = run(knet().args(["domif-convert", "--file", file, "--to-bridge", "brx0", "--mac", &mac])).ok();
            assert_eq!(k.stdout, input, "{file}: a {kind} NIC must be left alone");
            continue;
        }
        let k = run(knet().args(["domif-convert", "--file", file, "--to-bridge", "brx0", "--mac", &mac])).ok();
        let out = k.stdout;
        assert_ne!(out, input, "{file}: nothing converted");
        // byte-identical outside the converted <interface>
        assert_eq!(&out[..range.start], &input[..range.start], "{file}: bytes before the NIC changed");
        let tail = input.len() - range.end;
        assert_eq!(&out[out.len() - tail..], &input[range.end..], "{file}: bytes after the NIC changed");

        // virt-xml reads the domain from stdin (util::run would empty it)
        let o = Command::new("virt-xml")
            .args(["--connect", "test:///default", "--edit", "--network", "bridge=brx0", "--print-xml"])
            .stdin(std::fs::File::open(&path).unwrap())
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        let vx = Out::from(o).ok();
        let a = normalise(&out, &tmp, "knet");
        let b = normalise(&vx.stdout, &tmp, "virtxml");
        if let Ok(a) = &a {
            assert!(a.contains("<source bridge='brx0'/>"), "{file}:\n{a}");
        }
        assert_eq!(a, b, "{file}: knet and virt-xml disagree after libvirt normalised both");
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} corpus domains compared");
    let _ = std::fs::remove_dir_all(tmp);
}
