//! Facts about the machine knet runs on, read from /proc, /sys and iproute2:
//! interfaces, bridges, routes, neighbours, sysctls, network namespaces.
//!
//! Everything here reads the *current* network namespace (so a test running
//! knet inside the private daemon's namespace sees that namespace), and
//! nothing here changes anything. Commands decide themselves whether a fact
//! applies ([`is_local_uri`]): host facts say nothing about a remote
//! hypervisor.
//!
//! `KNET_SYSFS_ROOT` replaces `/sys` for interface facts. It exists for what a
//! namespace cannot fake, a Wi-Fi NIC (cfg80211 devices cannot be created
//! without loading a kernel module on the host) or an SR-IOV NIC, and is
//! documented as such. `KNET_HOST_ROOT` likewise stands for `/` when reading
//! the host's resolver configuration (/etc), which only a mount namespace
//! could otherwise fake.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;

/// True when `uri` names a hypervisor on this machine: no host part and not
/// libvirt's fake `test` driver (whose objects exist nowhere).
///
/// Any host part, `localhost` included, is not local: libvirt then goes
/// through a network transport (`qemu://localhost/` is TLS, the same as
/// `qemu+tls://localhost/`), and the daemon behind it may live in another
/// network namespace or behind a forwarded port, where this machine's
/// interfaces say nothing.
pub fn is_local_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else { return false };
    let driver = scheme.split('+').next().unwrap_or("");
    let transport = scheme.split_once('+').map(|(_, t)| t);
    if driver == "test" || matches!(transport, Some("ssh" | "libssh" | "libssh2" | "tcp" | "tls")) {
        return false;
    }
    let host = rest.split(['/', '?']).next().unwrap_or("");
    host.is_empty()
}

/// True when `uri` is libvirt's fake `test` driver: no host behind it.
pub fn is_test_uri(uri: &str) -> bool {
    uri.split([':', '+']).next() == Some("test")
}

fn sysfs() -> PathBuf {
    std::env::var_os("KNET_SYSFS_ROOT").map_or_else(|| PathBuf::from("/sys"), PathBuf::from)
}

fn net_dir(iface: &str) -> PathBuf {
    sysfs().join("class/net").join(iface)
}

fn read_trim(p: impl AsRef<std::path::Path>) -> Option<String> {
    std::fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

pub fn iface_exists(iface: &str) -> bool {
    !iface.is_empty() && !iface.contains('/') && net_dir(iface).exists()
}

/// Every interface name in the current namespace.
pub fn interfaces() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(sysfs().join("class/net"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// An 802.11 interface: cfg80211 gives it `wireless/` or `phy80211`.
pub fn is_wireless(iface: &str) -> bool {
    let d = net_dir(iface);
    d.join("wireless").exists() || d.join("phy80211").exists()
}

pub fn is_bridge(iface: &str) -> bool {
    net_dir(iface).join("bridge").exists()
}

/// The number of SR-IOV virtual functions enabled on `iface`; `None` when it
/// is not a physical function (no `device/sriov_numvfs`).
pub fn sriov_numvfs(iface: &str) -> Option<u32> {
    read_trim(net_dir(iface).join("device/sriov_numvfs"))?.parse().ok()
}

/// How many virtual functions `iface` supports at most.
pub fn sriov_totalvfs(iface: &str) -> Option<u32> {
    read_trim(net_dir(iface).join("device/sriov_totalvfs"))?.parse().ok()
}

/// A directory on this machine (not a network fact, but a host fact all
/// the same: a path a network's daemon will need).
pub fn is_dir(path: &str) -> bool {
    std::path::Path::new(path).is_dir()
}

fn host_root() -> PathBuf {
    std::env::var_os("KNET_HOST_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// The resolver this host's own lookups go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Resolver {
    /// systemd-resolved: /etc/resolv.conf is its stub (a link into
    /// /run/systemd/resolve/).
    SystemdResolved,
    /// NetworkManager runs its own dnsmasq (`dns=dnsmasq` in its [main]).
    #[value(name = "networkmanager")]
    #[serde(rename = "networkmanager")]
    NetworkManager,
    /// /etc/resolv.conf as resolvconf (or an admin) writes it.
    Resolvconf,
}

/// Which resolver the host uses, and the file that says so.
pub fn resolver() -> (Resolver, String) {
    let root = host_root();
    let resolv = root.join("etc/resolv.conf");
    if let Ok(target) = std::fs::read_link(&resolv) {
        if target.to_string_lossy().contains("/run/systemd/resolve/") || target.to_string_lossy().starts_with("../run/systemd/resolve/") {
            return (Resolver::SystemdResolved, format!("/etc/resolv.conf -> {}", target.display()));
        }
    }
    // NetworkManager reads NetworkManager.conf, then conf.d/*.conf in name
    // order; the last `dns=` of a [main] section wins
    let nm = root.join("etc/NetworkManager");
    let mut files = vec![nm.join("NetworkManager.conf")];
    let mut extra: Vec<PathBuf> = std::fs::read_dir(nm.join("conf.d"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "conf")).collect())
        .unwrap_or_default();
    extra.sort();
    files.extend(extra);
    let mut dns = None;
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(f) {
            if let Some(v) = nm_main_dns(&text) {
                dns = Some((v, f.strip_prefix(&root).map_or_else(|_| f.display().to_string(), |p| format!("/{}", p.display()))));
            }
        }
    }
    if let Some((v, file)) = dns.filter(|(v, _)| v == "dnsmasq") {
        return (Resolver::NetworkManager, format!("dns={v} in {file}"));
    }
    (Resolver::Resolvconf, "/etc/resolv.conf".to_string())
}

/// The last `dns=` of the `[main]` sections of a NetworkManager.conf.
fn nm_main_dns(text: &str) -> Option<String> {
    let mut in_main = false;
    let mut dns = None;
    for l in text.lines().map(str::trim) {
        if l.starts_with('[') {
            in_main = l == "[main]";
        } else if let (true, Some((k, v))) = (in_main, l.split_once('=')) {
            if k.trim() == "dns" {
                dns = Some(v.trim().to_string());
            }
        }
    }
    dns
}

/// A tun/tap device (what libvirt creates for guest NICs on a bridge).
pub fn is_tap(iface: &str) -> bool {
    net_dir(iface).join("tun_flags").exists()
}

/// A name libvirt generates for its own devices, which it may reuse at any
/// time: `virbrN` for a network's bridge (bridge_driver.c's "virbr%d"),
/// `vnetN`, `macvtapN`, `macvlanN` for guests' NICs (virnetdev.h's
/// VIR_NET_GENERATED_*_PREFIX). Returns the prefix matched.
pub fn libvirt_generated_name(iface: &str) -> Option<&'static str> {
    ["virbr", "vnet", "macvtap", "macvlan"]
        .into_iter()
        .find(|p| iface.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Bridges a libvirt network serves in this namespace: the `interface=`
/// lines of the config of each dnsmasq libvirt started here
/// (`--conf-file=.../libvirt/dnsmasq/NET.conf`). The file is read through
/// the process's own root, so a daemon in another mount namespace (a
/// container, a private test daemon) is seen as it sees itself. A network
/// without dnsmasq (DNS and DHCP both off) is not found this way; its bridge
/// still has libvirt's generated name in the common case.
pub fn libvirt_dnsmasq_bridges() -> BTreeSet<String> {
    let me = netns_of(std::process::id());
    let mut out = BTreeSet::new();
    for (pid, argv) in processes() {
        if !argv[0].ends_with("dnsmasq") || netns_of(pid) != me {
            continue;
        }
        let Some(conf) = argv.iter().find_map(|a| a.strip_prefix("--conf-file=")) else { continue };
        if !conf.contains("/libvirt/dnsmasq/") {
            continue;
        }
        let path = PathBuf::from(format!("/proc/{pid}/root")).join(conf.trim_start_matches('/'));
        if let Ok(text) = std::fs::read_to_string(path) {
            out.extend(text.lines().filter_map(|l| l.strip_prefix("interface=")).map(|b| b.trim().to_string()));
        }
    }
    out
}

/// A bridge that has what libvirt gives its networks' bridges: a MAC of
/// QEMU/KVM's 52:54:00 range (libvirt generates one per network and sets it
/// on the bridge) and no port but tun/tap devices (guests' NICs). A host
/// bridge has its uplink as a port, even when --pin-mac gave it the MAC of
/// a virtual machine's virtio NIC; a host bridge not yet given a port and a
/// libvirt network without DNS or DHCP are the cases this cannot tell apart.
pub fn looks_like_libvirt_bridge(br: &str) -> bool {
    is_bridge(br) && mac_of(br).is_some_and(|m| m.to_ascii_lowercase().starts_with("52:54:00:")) && bridge_ports(br).iter().all(|p| is_tap(p))
}

/// Administratively up (IFF_UP in `flags`).
pub fn is_up(iface: &str) -> bool {
    read_trim(net_dir(iface).join("flags"))
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        .is_some_and(|f| f & 1 != 0)
}

pub fn mac_of(iface: &str) -> Option<String> {
    read_trim(net_dir(iface).join("address"))
}

/// The bridge (or bond...) `iface` is enslaved to.
pub fn master_of(iface: &str) -> Option<String> {
    std::fs::read_link(net_dir(iface).join("master")).ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// The ports of bridge `br`.
pub fn bridge_ports(br: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(net_dir(br).join("brif"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A sysctl value by its dotted name (`net.ipv4.ip_forward`); `None` when it
/// does not exist (e.g. `net.bridge.*` without br_netfilter loaded).
pub fn sysctl(name: &str) -> Option<String> {
    read_trim(PathBuf::from("/proc/sys").join(name.replace('.', "/")))
}

/// One IPv4 route of the main table (/proc/net/route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route4 {
    pub iface: String,
    pub dest: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Option<Ipv4Addr>,
}

pub fn routes4() -> Vec<Route4> {
    let Ok(text) = std::fs::read_to_string("/proc/net/route") else { return Vec::new() };
    parse_proc_route(&text)
}

fn parse_proc_route(text: &str) -> Vec<Route4> {
    // /proc/net/route prints each network-order address as a native u32 in
    // hex, so on little-endian machines the bytes come out reversed
    let le = |h: &str| u32::from_str_radix(h, 16).ok().map(|v| Ipv4Addr::from(v.to_ne_bytes()));
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let dest = le(f[1])?;
            let gw = le(f[2])?;
            let mask = le(f[7])?;
            Some(Route4 { iface: f[0].to_string(), dest, prefix: crate::ipnet::netmask_prefix(mask)?, gateway: (!gw.is_unspecified()).then_some(gw) })
        })
        .collect()
}

/// Every IPv4 address of this namespace's interfaces (`ip -o -4 addr`).
pub fn addresses4() -> Vec<Ipv4Addr> {
    output_of("ip", &["-o", "-4", "addr", "show"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1)?.split('/').next()?.parse().ok())
        .collect()
}

/// Interfaces carrying a default route (IPv4 main table, IPv6 too).
pub fn default_route_ifaces() -> BTreeSet<String> {
    let mut s: BTreeSet<String> = routes4().into_iter().filter(|r| r.prefix == 0).map(|r| r.iface).collect();
    if let Ok(text) = std::fs::read_to_string("/proc/net/ipv6_route") {
        for l in text.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 10 && f[0].chars().all(|c| c == '0') && f[1] == "00" && f[9] != "lo" {
                s.insert(f[9].to_string());
            }
        }
    }
    s
}

/// MAC addresses in the neighbour tables (ARP and NDP) of this namespace.
pub fn neighbour_macs() -> Vec<String> {
    let mut v = Vec::new();
    if let Ok(text) = std::fs::read_to_string("/proc/net/arp") {
        // IP address  HW type  Flags  HW address  Mask  Device
        v.extend(text.lines().skip(1).filter_map(|l| l.split_whitespace().nth(3).map(str::to_string)));
    }
    // /proc/net/arp has no IPv6 neighbours; `ip neigh` has both
    if let Ok(o) = Command::new("ip").args(["neigh", "show"]).output() {
        v.extend(parse_ip_neigh(&String::from_utf8_lossy(&o.stdout)));
    }
    v
}

fn parse_ip_neigh(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            while let Some(w) = it.next() {
                if w == "lladdr" {
                    return it.next().map(str::to_string);
                }
            }
            None
        })
        .collect()
}

/// True when this process runs in a network namespace other than init's:
/// the only place knet applies network changes itself.
///
/// PID 1's namespace is the authority when it can be read; inside some
/// containers it cannot (ptrace rules hide /proc/1/ns), and then only a
/// namespace that `ip netns add` created (bound under /run/netns) counts.
pub fn in_private_netns() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(me) = std::fs::metadata("/proc/self/ns/net") else { return false };
    if let Ok(init) = std::fs::metadata("/proc/1/ns/net") {
        return (me.dev(), me.ino()) != (init.dev(), init.ino());
    }
    std::fs::read_dir("/run/netns")
        .map(|d| d.flatten().any(|e| std::fs::metadata(e.path()).is_ok_and(|m| (m.dev(), m.ino()) == (me.dev(), me.ino()))))
        .unwrap_or(false)
}

/// The network-namespace identity of a process (`net:[4026531840]`).
pub fn netns_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()
}

/// Processes as (pid, argv), for finding libvirt's dnsmasq instances.
pub fn processes() -> Vec<(u32, Vec<String>)> {
    let Ok(d) = std::fs::read_dir("/proc") else { return Vec::new() };
    d.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let raw = std::fs::read(e.path().join("cmdline")).ok()?;
            let argv: Vec<String> = raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            (!argv.is_empty()).then_some((pid, argv))
        })
        .collect()
}

/// Run a program and return its stdout when it succeeded.
pub fn output_of(prog: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(prog).args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_uris() {
        assert!(is_local_uri("qemu:///system"));
        assert!(is_local_uri("qemu:///system?socket=/tmp/x/sock"));
        assert!(is_local_uri("qemu+unix:///session"));
        assert!(!is_local_uri("qemu+ssh://root@kvm1/system"));
        assert!(!is_local_uri("qemu://kvm1/system"));
        assert!(!is_local_uri("test:///default"));
        // a host part means a network transport, localhost too
        assert!(!is_local_uri("qemu://localhost/system"));
        assert!(!is_local_uri("qemu+tls://localhost/system"));
        assert!(is_local_uri("qemu:///system?socket=/tmp/x/sock"));
        assert!(!is_local_uri("qemu+tcp://127.0.0.1:16509/system"));
        assert!(!is_local_uri("qemu+ssh://localhost/system"));
        assert!(is_test_uri("test:///default") && is_test_uri("test+unix:///default") && !is_test_uri("qemu:///system"));
    }

    #[test]
    fn libvirts_generated_names() {
        for (n, p) in [("virbr0", Some("virbr")), ("virbr12", Some("virbr")), ("vnet3", Some("vnet")), ("macvtap0", Some("macvtap"))] {
            assert_eq!(libvirt_generated_name(n), p, "{n}");
        }
        for n in ["virbr", "virbr-lan", "virbr0-nic", "vnet", "vnetx", "br0", "eth0"] {
            assert_eq!(libvirt_generated_name(n), None, "{n}");
        }
    }

    #[test]
    fn proc_route_is_little_endian_hex() {
        let t = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                 eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let r = parse_proc_route(t);
        assert_eq!(r[0], Route4 { iface: "eth0".into(), dest: Ipv4Addr::UNSPECIFIED, prefix: 0, gateway: Some(Ipv4Addr::new(192, 168, 1, 1)) });
        assert_eq!(r[1].dest, Ipv4Addr::new(192, 168, 1, 0));
        assert_eq!(r[1].prefix, 24);
    }

    #[test]
    fn network_manager_dns_is_read_from_main_only() {
        assert_eq!(nm_main_dns("[main]\nplugins=ifupdown\ndns=dnsmasq\n[ifupdown]\ndns=none\n").as_deref(), Some("dnsmasq"));
        assert_eq!(nm_main_dns("[connection]\ndns=dnsmasq\n"), None);
    }

    #[test]
    fn ip_neigh_lladdr() {
        let t = "192.168.1.1 dev eth0 lladdr 00:11:22:33:44:55 REACHABLE\nfe80::1 dev eth0 lladdr 66:77:88:99:aa:bb router STALE\n10.0.0.9 dev eth0 FAILED\n";
        assert_eq!(parse_ip_neigh(t), vec!["00:11:22:33:44:55", "66:77:88:99:aa:bb"]);
    }
}
