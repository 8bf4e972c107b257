//! bridge-config: every generator's output is accepted by the real tool
//! where Debian has one, the refusals and warnings admins rely on, and
//! --apply inside the private namespace (never on the host).

use std::path::Path;

use crate::util::*;

const STATIC: &[&str] = &["--address", "192.168.1.10/24", "--gateway", "192.168.1.1", "--dns", "1.1.1.1", "--dns", "9.9.9.9"];

/// A scratch directory removed when dropped, also when the test fails.
struct Scratch(std::path::PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn generate(format: &str, extra: &[&str]) -> Scratch {
    let dir = Scratch(tempdir_short("knet-bc"));
    run(knet().args(["bridge-config", "--uplink", "lo", "--bridge", "br0", "--format", format, "--output-dir"]).arg(&*dir).args(extra)).ok();
    dir
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

#[test]
fn netplan_generate_accepts_the_yaml_and_renders_the_bridge() {
    for extra in [&["--dhcp"][..], &[STATIC, &["--stp", "on", "--forward-delay", "4", "--pin-mac"]].concat()] {
        let dir = generate("netplan", extra);
        let yaml = dir.join("etc/netplan/60-knet-br0.yaml");
        std::fs::set_permissions(&yaml, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        run(std::process::Command::new("netplan").arg("generate").arg("--root-dir").arg(&*dir)).ok();
        let netdev = read(dir.join("run/systemd/network/10-netplan-br0.netdev"));
        assert!(netdev.contains("Kind=bridge"), "{netdev}");
        let port = read(dir.join("run/systemd/network/10-netplan-lo.network"));
        assert!(port.contains("Bridge=br0"), "{port}");
        if extra.contains(&"--pin-mac") {
            assert!(netdev.contains("STP=true") && netdev.contains("ForwardDelaySec=4"), "{netdev}");
            assert!(netdev.contains("MACAddress=00:00:00:00:00:00"), "{netdev}");
            let br = read(dir.join("run/systemd/network/10-netplan-br0.network"));
            assert!(br.contains("Address=192.168.1.10/24") && br.contains("Gateway=192.168.1.1") && br.contains("DNS=9.9.9.9"), "{br}");
        }
        // the check can fail: netplan rejects a key it does not know
        std::fs::write(&yaml, read(&yaml).replace("forward-delay", "forward-dely")).unwrap();
        assert_ne!(run(std::process::Command::new("netplan").arg("generate").arg("--root-dir").arg(&*dir)).code, 0);
    }
}

#[test]
fn ifupdown_parses_the_stanza() {
    let dir = generate("ifupdown", &[STATIC, &["--stp", "on", "--pin-mac"]].concat());
    let file = dir.join("etc/network/interfaces.d/br0");
    let q = run(std::process::Command::new("ifquery").arg("-i").arg(&file).arg("br0")).ok();
    for line in ["address: 192.168.1.10", "gateway: 192.168.1.1", "bridge_ports: lo", "bridge_stp: on", "bridge_fd: 15", "bridge_maxwait: 0", "dns-nameservers: 1.1.1.1 9.9.9.9", "hwaddress: 00:00:00:00:00:00"] {
        assert!(q.stdout.contains(line), "missing {line:?} in\n{}", q.stdout);
    }
    assert!(run(std::process::Command::new("ifquery").arg("-i").arg(&file).arg("lo")).ok().stdout.is_empty());
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let o = run(std::process::Command::new("ifup").arg("--no-act").arg("-i").arg(&file).arg(format!("--state-dir={}", state.display())).arg("br0")).ok();
    assert!(o.stdout.contains("ip route add default via 192.168.1.1") || o.stderr.contains("ip route add default via 192.168.1.1"), "{o:?}");
}

#[test]
fn networkd_keys_are_ones_systemd_networkd_parses() {
    // systemd-analyze verify does not take .netdev/.network files (systemd 252),
    // so each Section.Key is looked up in networkd's own parser table
    let networkd = std::fs::read("/lib/systemd/systemd-networkd").expect("systemd-networkd (package systemd)");
    let has = |needle: &str| networkd.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has("Bridge.NoSuchKeyAtAll"));
    for extra in [&["--dhcp"][..], &[STATIC, &["--pin-mac", "--stp", "on"]].concat()] {
        let dir = generate("systemd-networkd", extra);
        let netdir = dir.join("etc/systemd/network");
        let mut seen = 0;
        for f in std::fs::read_dir(&netdir).unwrap() {
            let text = read(f.unwrap().path());
            let mut section = String::new();
            for l in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some(s) = l.strip_prefix('[') {
                    section = s.trim_end_matches(']').to_string();
                } else {
                    let key = l.split('=').next().unwrap();
                    assert!(has(&format!("{section}.{key}")), "{section}.{key} unknown to systemd-networkd");
                    seen += 1;
                }
            }
        }
        assert!(seen >= 7, "too few keys checked: {seen}");
        let port = read(netdir.join("60-knet-br0-port-lo.network"));
        assert!(port.contains("Name=lo") && port.contains("Bridge=br0"), "{port}");
    }
}

#[test]
fn ifcfg_files_are_shell_and_bridge_the_port() {
    let dir = generate("ifcfg", &[STATIC, &["--pin-mac"]].concat());
    let scripts = dir.join("etc/sysconfig/network-scripts");
    let show = |f: &str, vars: &str| {
        let o = run(std::process::Command::new("bash").arg("-c").arg(format!("set -eu; . '{}/{f}'; echo {vars}", scripts.display()))).ok();
        o.stdout.trim().to_string()
    };
    assert_eq!(show("ifcfg-br0", "$DEVICE $TYPE $BOOTPROTO $IPADDR $PREFIX $GATEWAY $DNS1 $DNS2 $STP $DELAY $NM_CONTROLLED $MACADDR"), "br0 Bridge none 192.168.1.10 24 192.168.1.1 1.1.1.1 9.9.9.9 off 0 no 00:00:00:00:00:00");
    assert_eq!(show("ifcfg-lo", "$DEVICE $BRIDGE $NM_CONTROLLED"), "lo br0 no");
}

/// Each `nmcli connection add` of the script, run through `nmcli --offline`
/// (NetworkManager >= 1.42 builds the keyfile and validates every property
/// without a daemon); returns the keyfiles.
fn nmcli_offline(script: &str) -> Vec<String> {
    run(std::process::Command::new("sh").arg("-n").arg("-c").arg(script)).ok();
    let adds: Vec<&str> = script.lines().filter(|l| l.starts_with("nmcli connection add ")).collect();
    assert_eq!(adds.len(), 2, "{script}");
    adds.iter()
        .map(|l| {
            let o = run(std::process::Command::new("sh").arg("-c").arg(l.replacen("nmcli ", "nmcli --offline ", 1))).ok();
            o.stdout
        })
        .collect()
}

#[test]
fn networkmanager_commands_are_accepted_by_nmcli_offline() {
    let o = run(knet().args(["--json", "bridge-config", "--uplink", "eth7", "--bridge", "br0", "--format", "networkmanager", "--stp", "on", "--forward-delay", "2", "--for-other-host"])).ok();
    let files: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let script = files[0]["content"].as_str().unwrap();
    assert!(script.contains("\nnmcli connection up br0\n"), "{script}");
    let kf = nmcli_offline(script);
    // NetworkManager leaves its defaults (stp=true) out of the keyfile
    assert!(kf[0].contains("type=bridge\ninterface-name=br0") && !kf[0].contains("stp=false") && kf[0].contains("forward-delay=2") && kf[0].contains("[ipv4]\nmethod=auto"), "{}", kf[0]);
    assert!(kf[1].contains("interface-name=eth7") && kf[1].contains("master=br0") && kf[1].contains("slave-type=bridge"), "{}", kf[1]);
    assert_eq!(files[1]["path"], "/etc/sysctl.d/99-knet-bridge-nf.conf");
    assert!(files[1]["content"].as_str().unwrap().contains("net.bridge.bridge-nf-call-iptables = 0"));

    let o = run(knet().args(["--json", "bridge-config", "--uplink", "lo", "--bridge", "br0", "--format", "networkmanager", "--pin-mac"]).args(STATIC)).ok();
    let files: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let kf = nmcli_offline(files[0]["content"].as_str().unwrap());
    for want in ["stp=false", "mac-address=00:00:00:00:00:00", "method=manual", "address1=192.168.1.10/24,192.168.1.1", "dns=1.1.1.1;9.9.9.9;"] {
        assert!(kf[0].contains(want), "missing {want:?} in\n{}", kf[0]);
    }
    // the check can fail: nmcli refuses what NetworkManager would
    assert_ne!(run(std::process::Command::new("nmcli").args(["--offline", "connection", "add", "type", "bridge", "ifname", "br0", "bridge.stp", "yes", "bridge.forward-delay", "0"])).code, 0);
}

#[test]
fn never_needs_libvirt() {
    // knet execs knet-libvirt only when a command opens a connection
    let o = run(knet().env("KNET_LIBVIRT_BIN", "/nonexistent/knet-libvirt").args(["bridge-config", "--uplink", "eth7", "--bridge", "br0", "--format", "ifupdown", "--for-other-host"])).ok();
    assert!(o.stdout.contains("bridge_ports eth7"), "{}", o.stdout);
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["--stp", "on", "--forward-delay", "0"][..],
        &["--address", "192.168.1.0/24", "--gateway", "192.168.1.1"],
        &["--address", "192.168.1.5/24", "--gateway", "10.0.0.1"],
        &["--gateway", "10.0.0.1"],
        &["--dhcp", "--address", "192.168.1.5/24", "--gateway", "192.168.1.1"],
    ] {
        let o = run(knet().args(["bridge-config", "--uplink", "eth7", "--bridge", "br0", "--format", "ifupdown"]).args(args));
        assert_eq!(o.code, 2, "{args:?}: {o:?}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn wireless_uplink_is_refused_with_the_reason() {
    // a cfg80211 device cannot be created without a kernel module on the
    // host, so a fake sysfs stands in for it
    let sys = Scratch(tempdir_short("knet-sys"));
    std::fs::create_dir_all(sys.join("class/net/wlan0/wireless")).unwrap();
    std::fs::create_dir_all(sys.join("class/net/wlp2s0/phy80211")).unwrap();
    for nic in ["wlan0", "wlp2s0"] {
        let o = run(knet().env("KNET_SYSFS_ROOT", &*sys).args(["bridge-config", "--uplink", nic, "--bridge", "br0", "--format", "netplan"])).code(1);
        assert!(o.stderr.contains(&format!("{nic} is a wireless interface: bridging does not work over Wi-Fi")), "{}", o.stderr);
        assert!(o.stdout.is_empty());
    }
}

fn dummy_uplink(sb: &Sandbox) {
    for c in [&["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"][..], &["ip", "addr", "add", "10.9.0.2/24", "dev", "eth9"], &["ip", "link", "set", "eth9", "up"], &["ip", "route", "add", "default", "via", "10.9.0.1"]] {
        sb.exec(c).ok();
    }
}

#[test]
fn default_route_uplink_warns_and_apply_builds_the_bridge_in_the_namespace() {
    let sb = Sandbox::start();
    dummy_uplink(&sb);
    let o = sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "br9", "--format", "ifupdown"]).ok();
    assert!(o.stderr.contains("warning: eth9 carries this host's default route"), "{}", o.stderr);
    assert!(o.stdout.contains("bridge_ports eth9"));

    let o = sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "br9", "--address", "10.9.0.2/24", "--gateway", "10.9.0.1", "--stp", "on", "--forward-delay", "4", "--pin-mac", "--apply"]).ok();
    assert!(o.stdout.contains("Bridge br9 created with port eth9"), "{o:?}");
    let link: serde_json::Value = serde_json::from_str(&sb.exec(&["ip", "-d", "-j", "link", "show", "br9"]).ok().stdout).unwrap();
    let info = &link[0]["linkinfo"]["info_data"];
    assert_eq!(info["stp_state"], 1, "{link}");
    assert_eq!(info["forward_delay"], 400, "{link}");
    let eth9: serde_json::Value = serde_json::from_str(&sb.exec(&["ip", "-j", "link", "show", "eth9"]).ok().stdout).unwrap();
    assert_eq!(eth9[0]["master"], "br9");
    assert_eq!(link[0]["address"], eth9[0]["address"], "--pin-mac");
    assert!(sb.exec(&["ip", "-4", "-o", "addr", "show", "dev", "br9"]).ok().stdout.contains("10.9.0.2/24"));
    assert!(sb.exec(&["ip", "-4", "-o", "addr", "show", "dev", "eth9"]).ok().stdout.trim().is_empty());
    assert!(sb.exec(&["ip", "route", "show", "default"]).ok().stdout.contains("via 10.9.0.1 dev br9"));

    // a second run finds the uplink taken and changes nothing
    let o = sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "br10", "--apply"]).code(1);
    assert!(o.stderr.contains("eth9 is already a port of br9"), "{}", o.stderr);
    assert!(sb.exec(&["ip", "link", "show", "br10"]).code != 0);
}

#[test]
fn apply_is_refused_in_the_hosts_namespace() {
    let o = run(knet().args(["bridge-config", "--uplink", "lo", "--bridge", "knetnever0", "--apply"])).code(1);
    assert!(o.stderr.contains("--apply only works inside a network namespace of its own"), "{}", o.stderr);
    assert!(!Path::new("/sys/class/net/knetnever0").exists());
}

/// Several NICs, several subnets (one bridge per NIC, each with a metric),
/// one of them on an 802.1Q VLAN of the first NIC: every format's output, in
/// one call, accepted by the real tools.
const MULTI: &[&str] = &["--uplink", "eth0", "--bridge", "br0", "--metric", "100", "--uplink", "eth0.10", "--bridge", "br10", "--metric", "200", "--uplink", "eth1", "--bridge", "br1", "--metric", "300"];
const MULTI_STATIC: &[&str] = &[
    "--uplink", "eth0", "--bridge", "br0", "--metric", "100", "--address", "192.168.1.10/24", "--gateway", "192.168.1.1",
    "--uplink", "eth1.20", "--bridge", "br20", "--metric", "200", "--address", "10.20.0.10/24", "--gateway", "10.20.0.1",
];

fn generate_multi(format: &str, args: &[&str]) -> Scratch {
    let dir = Scratch(tempdir_short("knet-bc"));
    run(knet().args(["bridge-config", "--for-other-host", "--format", format, "--output-dir"]).arg(&*dir).args(args)).ok();
    dir
}

#[test]
fn several_bridges_with_metrics_and_a_vlan_in_every_format() {
    // netplan: renders the VLAN, both bridges and each route metric
    for args in [MULTI, MULTI_STATIC] {
        let dir = generate_multi("netplan", args);
        for f in std::fs::read_dir(dir.join("etc/netplan")).unwrap() {
            std::fs::set_permissions(f.unwrap().path(), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        }
        run(std::process::Command::new("netplan").arg("generate").arg("--root-dir").arg(&*dir)).ok();
        let nd = |f: &str| read(dir.join("run/systemd/network").join(f));
        if args == MULTI {
            assert!(nd("10-netplan-eth0.10.netdev").contains("Kind=vlan") && nd("10-netplan-eth0.10.netdev").contains("Id=10"));
            let eth0 = nd("10-netplan-eth0.network");
            assert!(eth0.contains("Bridge=br0") && eth0.contains("VLAN=eth0.10"), "{eth0}");
            assert!(nd("10-netplan-eth0.10.network").contains("Bridge=br10"));
            for (br, m) in [("br0", 100), ("br10", 200), ("br1", 300)] {
                assert!(nd(&format!("10-netplan-{br}.network")).contains(&format!("RouteMetric={m}")), "{br}: {}", nd(&format!("10-netplan-{br}.network")));
            }
        } else {
            let br20 = nd("10-netplan-br20.network");
            assert!(br20.contains("Gateway=10.20.0.1") && br20.contains("Metric=200"), "{br20}");
            assert!(nd("10-netplan-eth1.20.network").contains("Bridge=br20"));
        }
    }

    // ifupdown: every stanza parses, once, and the metric reaches the route
    let dir = generate_multi("ifupdown", MULTI_STATIC);
    let main = dir.join("interfaces");
    std::fs::write(&main, format!("source {}/etc/network/interfaces.d/*\n", dir.display())).unwrap();
    let all = run(std::process::Command::new("ifquery").arg("-i").arg(&main).arg("--list").arg("--allow=auto")).ok();
    assert_eq!(all.stdout.lines().filter(|l| *l != "lo").collect::<Vec<_>>(), ["eth0", "br0", "eth1.20", "br20"], "{}", all.stderr);
    let q = run(std::process::Command::new("ifquery").arg("-i").arg(&main).arg("eth1.20")).ok();
    assert!(q.stdout.contains("vlan-raw-device: eth1"), "{}", q.stdout);
    let q = run(std::process::Command::new("ifquery").arg("-i").arg(&main).arg("br20")).ok();
    assert!(q.stdout.contains("bridge_ports: eth1.20") && q.stdout.contains("metric: 200"), "{}", q.stdout);
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let o = run(std::process::Command::new("ifup").arg("--no-act").arg("-i").arg(&main).arg(format!("--state-dir={}", state.display())).arg("br20")).ok();
    let said = format!("{}{}", o.stdout, o.stderr);
    assert!(said.contains("ip route add default via 10.20.0.1 metric 200"), "{said}");

    // ifcfg: shell files, the VLAN one naming its parent
    let dir = generate_multi("ifcfg", MULTI_STATIC);
    let show = |f: &str, vars: &str| {
        let o = run(std::process::Command::new("bash").arg("-c").arg(format!("set -eu; . '{}/etc/sysconfig/network-scripts/{f}'; echo {vars}", dir.display()))).ok();
        o.stdout.trim().to_string()
    };
    assert_eq!(show("ifcfg-br20", "$DEVICE $IPADDR $GATEWAY $METRIC"), "br20 10.20.0.10 10.20.0.1 200");
    assert_eq!(show("ifcfg-br0", "$DEVICE $METRIC"), "br0 100");
    assert_eq!(show("ifcfg-eth1.20", "$DEVICE $VLAN $PHYSDEV $BRIDGE"), "eth1.20 yes eth1 br20");

    // NetworkManager: every connection accepted by nmcli --offline
    let o = run(knet().args(["--json", "bridge-config", "--for-other-host", "--format", "networkmanager"]).args(MULTI)).ok();
    let files: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let scripts: Vec<&str> = files.as_array().unwrap().iter().filter(|f| f["path"].as_str().unwrap().ends_with("-nmcli.sh")).map(|f| f["content"].as_str().unwrap()).collect();
    assert_eq!(scripts.len(), 3);
    let kf: Vec<String> = scripts.iter().flat_map(|s| nmcli_offline(s)).collect();
    assert!(kf[0].contains("route-metric=100"), "{}", kf[0]);
    let vlan = &kf[3];
    assert!(vlan.contains("type=vlan") && vlan.contains("interface-name=eth0.10") && vlan.contains("master=br10") && vlan.contains("slave-type=bridge") && vlan.contains("[vlan]") && vlan.contains("id=10") && vlan.contains("parent=eth0"), "{vlan}");
    assert!(kf[2].contains("route-metric=200"), "{}", kf[2]);

    // systemd-networkd: keys its parser knows; the VLAN on eth0's own file
    let networkd = std::fs::read("/lib/systemd/systemd-networkd").expect("systemd-networkd (package systemd)");
    let has = |needle: &str| networkd.windows(needle.len()).any(|w| w == needle.as_bytes());
    for args in [MULTI, MULTI_STATIC] {
        let dir = generate_multi("systemd-networkd", args);
        let netdir = dir.join("etc/systemd/network");
        for f in std::fs::read_dir(&netdir).unwrap() {
            let text = read(f.unwrap().path());
            let mut section = String::new();
            for l in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some(s) = l.strip_prefix('[') {
                    section = s.trim_end_matches(']').to_string();
                } else {
                    let key = l.split('=').next().unwrap();
                    assert!(has(&format!("{section}.{key}")), "{section}.{key} unknown to systemd-networkd");
                }
            }
        }
        if args == MULTI {
            let eth0: Vec<_> = std::fs::read_dir(&netdir).unwrap().flatten().filter(|f| read(f.path()).contains("Name=eth0\n") && f.path().extension().unwrap() == "network").collect();
            assert_eq!(eth0.len(), 1, "networkd reads only the first .network matching eth0");
            let t = read(eth0[0].path());
            assert!(t.contains("Bridge=br0") && t.contains("VLAN=eth0.10"), "{t}");
            assert!(read(netdir.join("60-knet-eth0.10.netdev")).contains("Kind=vlan\n\n[VLAN]\nId=10\n"));
            assert!(read(netdir.join("60-knet-br1.network")).contains("[DHCPv4]\nRouteMetric=300\n"));
        } else {
            let t = read(netdir.join("60-knet-br20.network"));
            assert!(t.contains("[Route]\nGateway=10.20.0.1\nMetric=200\n") && !t.contains("\nGateway=10.20.0.1\n\n"), "{t}");
            let parent = read(netdir.join("60-knet-vlan-eth1.network"));
            assert!(parent.contains("Name=eth1") && parent.contains("VLAN=eth1.20"), "{parent}");
        }
    }
}

#[test]
fn vlan_flag_and_dotted_uplink_are_the_same_bridge() {
    let a = run(knet().args(["bridge-config", "--for-other-host", "--format", "systemd-networkd", "--uplink", "eth0", "--vlan", "10", "--bridge", "br10", "--uplink", "eth1", "--vlan", "20", "--bridge", "br20"])).ok();
    let b = run(knet().args(["bridge-config", "--for-other-host", "--format", "systemd-networkd", "--uplink", "eth0.10", "--bridge", "br10", "--uplink", "eth1.20", "--bridge", "br20"])).ok();
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.contains("# ==> /etc/systemd/network/60-knet-br10-port-eth0.10.network <==\n[Match]\nName=eth0.10\n\n[Network]\nBridge=br10\n"), "{}", a.stdout);
}

#[test]
fn several_bridges_refuse_unmatched_options() {
    for (args, needle) in [
        (&["--uplink", "eth0", "--bridge", "br0", "--bridge", "br1"][..], "1 --uplink for 2 --bridge"),
        (&["--uplink", "eth0", "--bridge", "br0", "--uplink", "eth1", "--bridge", "br1", "--metric", "100"], "1 --metric for 2 bridges"),
        (&["--uplink", "eth0", "--bridge", "br0", "--uplink", "eth1", "--bridge", "br0"], "bridge br0 is given twice"),
        (&["--uplink", "eth0", "--bridge", "br0", "--uplink", "eth0", "--bridge", "br1"], "port eth0 is given twice"),
        (&["--uplink", "eth0.10", "--vlan", "10", "--bridge", "br0"], "already names VLAN 10"),
        (&["--uplink", "eth0", "--vlan", "4095", "--bridge", "br0"], "4095"),
        (&["--uplink", "enp1s0f0np0d1", "--vlan", "100", "--bridge", "br0"], "longer than the kernel's 15 characters"),
    ] {
        let o = run(knet().args(["bridge-config", "--for-other-host", "--format", "ifupdown"]).args(args)).code(2);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn apply_builds_several_bridges_with_metrics_and_a_vlan_or_nothing() {
    let sb = Sandbox::start();
    dummy_uplink(&sb);
    for nic in ["eth8", "eth7"] {
        sb.exec(&["ip", "link", "add", nic, "type", "veth", "peer", "name", &format!("{nic}p")]).ok();
    }
    let o = sb.knet_in_ns(&[
        "bridge-config", "--apply",
        "--uplink", "eth9", "--bridge", "br9", "--metric", "100", "--address", "10.9.0.2/24", "--gateway", "10.9.0.1",
        "--uplink", "eth8", "--bridge", "br8", "--metric", "200", "--address", "10.8.0.2/24", "--gateway", "10.8.0.1",
    ])
    .ok();
    assert!(o.stdout.contains("Bridge br9 created with port eth9") && o.stdout.contains("Bridge br8 created with port eth8"), "{o:?}");
    let routes = sb.exec(&["ip", "route", "show", "default"]).ok().stdout;
    assert!(routes.contains("default via 10.9.0.1 dev br9 metric 100") && routes.contains("default via 10.8.0.1 dev br8 metric 200"), "{routes}");

    // a VLAN of eth7 after a plain bridge of eth8p: built when the kernel
    // has 802.1Q, and otherwise nothing is left behind (all or nothing)
    let vlan_ok = sb.exec(&["ip", "link", "add", "link", "eth7", "name", "probe.1", "type", "vlan", "id", "1"]).code == 0;
    if vlan_ok {
        sb.exec(&["ip", "link", "del", "probe.1"]).ok();
    }
    let o = sb.knet_in_ns(&["bridge-config", "--apply", "--uplink", "eth8p", "--bridge", "br5", "--uplink", "eth7.10", "--bridge", "br10"]);
    if vlan_ok {
        assert_eq!(o.code, 0, "{o:?}");
        let vlan: serde_json::Value = serde_json::from_str(&sb.exec(&["ip", "-d", "-j", "link", "show", "eth7.10"]).ok().stdout).unwrap();
        assert_eq!(vlan[0]["linkinfo"]["info_data"]["id"], 10, "{vlan}");
        assert_eq!(vlan[0]["master"], "br10");
    } else {
        assert_eq!(o.code, 1, "{o:?}");
        assert!(o.stderr.contains("type vlan id 10 failed") && o.stderr.contains("bridges br5 removed again"), "{}", o.stderr);
        for gone in ["br5", "br10", "eth7.10"] {
            assert!(sb.exec(&["ip", "link", "show", gone]).code != 0, "{gone} left behind");
        }
        assert!(sb.exec(&["ip", "-j", "link", "show", "eth8p"]).ok().stdout.contains("\"ifname\":\"eth8p\"") && !sb.exec(&["ip", "-j", "link", "show", "eth8p"]).ok().stdout.contains("\"master\""), "eth8p freed");
    }
}

#[test]
fn impossible_uplinks_and_bridges_are_refused_with_the_reason() {
    // a fake sysfs: a NIC, a bridge, a guest tap and a VPN tun
    let sys = Scratch(tempdir_short("knet-sys"));
    for d in ["eth0", "br5/bridge", "vnet3/tun_flags", "tun0/tun_flags", "natbr/bridge/", "natbr/brif/vnet3", "pinned/bridge", "pinned/brif/eth0"] {
        std::fs::create_dir_all(sys.join("class/net").join(d)).unwrap();
    }
    // a libvirt network's bridge by its looks (libvirt's MAC, only guest taps), and
    // a host bridge that --pin-mac gave a virtio NIC's MAC (its port is that NIC)
    std::fs::write(sys.join("class/net/natbr/address"), "52:54:00:1f:2e:3d\n").unwrap();
    std::fs::write(sys.join("class/net/pinned/address"), "52:54:00:aa:bb:cc\n").unwrap();
    let bc = |uplink: &str, bridge: &str, extra: &[&str]| {
        run(knet().env("KNET_SYSFS_ROOT", &*sys).args(["bridge-config", "--uplink", uplink, "--bridge", bridge, "--format", "ifupdown"]).args(extra))
    };
    for (uplink, bridge, extra, why) in [
        ("br5", "br0", &[][..], "uplink br5 is itself a bridge: Linux cannot make a bridge the port of another bridge"),
        ("tun0", "br0", &[], "uplink tun0 is a tun/tap device"),
        ("vnet3", "br0", &[], "--uplink vnet3 is a name libvirt gives guests' NICs (vnetN)"),
        ("vnet3", "br0", &["--for-other-host"], "--uplink vnet3 is a name libvirt gives guests' NICs"),
        ("eth5", "br0", &[], "uplink eth5 does not exist on this host; to prepare a configuration for another machine, add --for-other-host"),
        ("eth0", "virbr0", &[], "--bridge virbr0 is a name libvirt gives its own networks' bridges"),
        ("eth0", "virbr3", &["--for-other-host"], "--bridge virbr3 is a name libvirt gives its own networks' bridges"),
        ("eth0", "tun0", &[], "tun0 already exists on this host and is not a bridge"),
        ("eth0", "natbr", &[], "natbr looks like a libvirt network's bridge (libvirt's 52:54:00 MAC, no port but guests' taps)"),
    ] {
        let o = bc(uplink, bridge, extra).code(1);
        assert!(o.stderr.contains(why), "{uplink} {bridge} {extra:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
    // what works: a NIC into a new bridge or an existing host bridge, and a missing NIC for another machine
    assert!(bc("eth0", "br0", &[]).ok().stdout.contains("bridge_ports eth0"));
    assert!(bc("eth0", "br5", &[]).ok().stdout.contains("bridge_ports eth0"));
    assert!(bc("eth0", "pinned", &[]).ok().stdout.contains("bridge_ports eth0"));
    assert!(bc("eth0", "natbr", &["--for-other-host"]).ok().stdout.contains("bridge_ports eth0"));
    assert!(bc("eth5", "br0", &["--for-other-host"]).ok().stdout.contains("bridge_ports eth5"));
    assert_eq!(bc("eth5", "br0", &["--for-other-host", "--pin-mac"]).code, 2);
}

#[test]
fn a_running_libvirt_networks_bridge_is_refused_whatever_its_name() {
    let sb = Sandbox::start();
    dummy_uplink(&sb);
    let xml = std::fs::read_to_string(repo().join("tests/fixtures/net-nat.xml")).unwrap().replace("virbr9", "lanbr7");
    let f = tempdir_short("knet-bcnet").join("net.xml");
    std::fs::write(&f, xml).unwrap();
    run(sb.knet().arg("net-create").arg(&f)).ok();
    let o = sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "lanbr7", "--format", "ifupdown"]).code(1);
    assert!(o.stderr.contains("lanbr7 is the bridge of a running libvirt network (libvirt's dnsmasq serves it)"), "{}", o.stderr);
    // a network libvirt runs no dnsmasq for (no DNS, no DHCP): its bridge has libvirt's looks
    let quiet = f.with_file_name("quiet.xml");
    std::fs::write(&quiet, "<network><name>quiet</name><bridge name='quietbr'/><dns enable='no'/><ip address='10.66.0.1' prefix='24'/></network>").unwrap();
    run(sb.knet().arg("net-create").arg(&quiet)).ok();
    let o = sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "quietbr", "--format", "ifupdown"]).code(1);
    assert!(o.stderr.contains("quietbr looks like a libvirt network's bridge"), "{}", o.stderr);
    // the same name for another machine is that machine's business
    sb.knet_in_ns(&["bridge-config", "--uplink", "eth9", "--bridge", "lanbr7", "--format", "ifupdown", "--for-other-host"]).ok();
    let _ = std::fs::remove_dir_all(f.parent().unwrap());
}
