#!/bin/bash
# Host-help benchmark, on a private libvirtd in its own network
# namespace with the NAT network `default` and N guests (10 running, paused):
#
#   knet doctor        vs  the guide's manual checks as an admin scripts them
#                          (virsh net-list/net-info/net-dumpxml, domiflist per
#                          guest, ip link, pgrep dnsmasq, sysctl, iptables -S)
#   knet mac-gen       vs  collecting used MACs by hand (domiflist per guest,
#                          net-dumpxml, ip neigh) before picking one
#   knet bridge-config     start-up without libvirt: knet vs knet-libvirt doing
#                          the same, and `virsh --version` as libvirt's floor
#
# Both sides run inside the namespace (sandbox.sh exec), so both pay the same
# `ip netns exec`. Release builds. Usage: scripts/bench/host.sh [GUESTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100}
cargo build --release --locked -q
K=$PWD/target/release/knet
KL=$PWD/target/release/knet-libvirt
export KNET_LIBVIRT_BIN=$KL

SB=$(mktemp -d /tmp/knet-bench-XXXX)
trap 'tests/sandbox/sandbox.sh purge "$SB" >/dev/null 2>&1 || true' EXIT
URI=$(tests/sandbox/sandbox.sh start "$SB" 2>/dev/null)
export LIBVIRT_DEFAULT_URI=$URI LC_ALL=C
virsh -q net-define tests/sandbox/xml/default.xml >/dev/null
virsh -q net-start default >/dev/null
virsh -q net-autostart default >/dev/null
for k in iptables ip6tables arptables; do tests/sandbox/sandbox.sh exec "$SB" sysctl -qw "net.bridge.bridge-nf-call-$k=0"; done
mkdir -p "$SB/guests"
cmds=()
for i in $(seq 0 $((N - 1))); do
    name=$(printf 'g%03d' "$i")
    printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>128</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><interface type='network'><mac address='52:54:00:40:%02x:%02x'/><source network='default'/><model type='virtio'/></interface></devices></domain>\n" \
        "$name" $((i / 256)) $((i % 256)) > "$SB/guests/$name.xml"
    cmds+=("define $SB/guests/$name.xml ;")
done
virsh "${cmds[*]}" >/dev/null
for i in $(seq 0 9); do virsh -q start --paused "$(printf 'g%03d' "$i")" >/dev/null; done
echo "$N guests defined, 10 running (paused)"
X="tests/sandbox/sandbox.sh exec $SB"

cat > "$SB/manual-doctor.sh" <<'SH'
virsh net-list --all
for n in $(virsh net-list --all --name); do virsh net-info "$n"; virsh net-dumpxml "$n"; done
ip -d link show virbr0; ip -br link show master virbr0
pgrep -a dnsmasq
sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-call-arptables
iptables -w -t nat -S | grep MASQUERADE
for g in $(virsh list --all --name); do virsh domiflist "$g"; done
SH
cat > "$SB/manual-macs.sh" <<'SH'
for g in $(virsh list --all --name); do virsh domiflist "$g"; done | awk '{print $5}'
virsh net-dumpxml default | grep -o "mac='[^']*'"
ip neigh
SH
$X "$K" doctor >/dev/null || { echo "doctor does not pass on the benchmark set-up" >&2; exit 1; }

hyperfine --warmup 1 --runs 5 --export-markdown "$SB/doctor.md" \
    -n "knet doctor" "$X $K doctor" \
    -n "manual checks (virsh + ip + iptables)" "$X bash $SB/manual-doctor.sh"
hyperfine --warmup 1 --runs 5 --export-markdown "$SB/macgen.md" \
    -n "knet mac-gen" "$X $K mac-gen" \
    -n "manual MAC survey (virsh + ip)" "$X bash $SB/manual-macs.sh"
BC="bridge-config --uplink lo --bridge br0 --format netplan"
hyperfine -N --warmup 10 --runs 200 --export-markdown "$SB/bc.md" \
    -n "knet $BC" "$K $BC" \
    -n "knet-libvirt $BC" "$KL $BC" \
    -n "virsh --version" "virsh --version"
cat "$SB/doctor.md" "$SB/macgen.md" "$SB/bc.md"
