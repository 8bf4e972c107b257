#!/bin/bash
# domif-convert benchmark (issue 4): converting 200 defined guests (20 of them
# running, paused) from the NAT network `default` to the host bridge br0, on a
# private libvirtd in its own network namespace (tests/sandbox/sandbox.sh).
#
#   knet domif-convert --all --to-bridge br0 --yes      (one process, one connection)
#   knet ... --jobs 4                                    (four connections)
#   a shell loop of virsh dumpxml | sed | virsh define   (what admins script today)
#   a loop of virt-xml GUEST --edit --network bridge=br0 (sampled: 10 guests, x20)
#   the raw floor: examples/convert_floor.rs, one dumpxml + one define per guest
#
# Between runs every guest is put back on `default` (untimed). Release builds.
# Usage: scripts/bench/convert.sh [GUESTS] [RUNNING]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200}
RUNNING=${2:-20}
cargo build --release --locked -q
cargo build --release --locked -q --example convert_floor
K=$PWD/target/release/knet
FLOOR=$PWD/target/release/examples/convert_floor
export KNET_LIBVIRT_BIN=$PWD/target/release/knet-libvirt

SB=$(mktemp -d /tmp/knet-bench-XXXX)
trap 'tests/sandbox/sandbox.sh purge "$SB" >/dev/null 2>&1 || true' EXIT
URI=$(tests/sandbox/sandbox.sh start "$SB" 2>/dev/null)
export LIBVIRT_DEFAULT_URI=$URI XDG_STATE_HOME=$SB/state LC_ALL=C
virsh -q net-define tests/sandbox/xml/default.xml >/dev/null
virsh -q net-start default >/dev/null
tests/sandbox/sandbox.sh exec "$SB" ip link add br0 type bridge
tests/sandbox/sandbox.sh exec "$SB" ip link set br0 up

mkdir -p "$SB/guests"
cmds=()
for i in $(seq 0 $((N - 1))); do
    name=$(printf 'g%03d' "$i")
    printf "<domain type='qemu'>\n  <name>%s</name>\n  <memory unit='MiB'>128</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n    <interface type='network'>\n      <mac address='52:54:00:30:%02x:%02x'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n" \
        "$name" $((i / 256)) $((i % 256)) > "$SB/guests/$name.xml"
    cmds+=("define $SB/guests/$name.xml ;")
done
virsh "${cmds[@]}" >/dev/null
starts=()
for i in $(seq 0 $((RUNNING - 1))); do starts+=("start --paused $(printf 'g%03d' "$i") ;"); done
[ "$RUNNING" -gt 0 ] && virsh "${starts[@]}" >/dev/null
echo "$N guests defined, $RUNNING running (paused)"

reset="$K domif-convert --all --to-network default --yes -q"
check() {  # every guest is on br0
    local n; n=$(grep -l "<source bridge='br0'/>" "$SB"/etc/qemu/g*.xml | wc -l)
    [ "$n" = "$N" ] || { echo "only $n of $N guests converted" >&2; exit 1; }
}

cat > "$SB/virsh-loop.sh" <<LOOP
for g in \$(virsh list --all --name); do
    virsh dumpxml --inactive "\$g" | sed -e "s|<interface type='network'>|<interface type='bridge'>|" -e "s|<source network='default'/>|<source bridge='br0'/>|" > "$SB/g.xml"
    virsh -q define "$SB/g.xml" >/dev/null
done
LOOP

hyperfine -N --warmup 1 --runs 10 --prepare "$reset" --export-json "$SB/knet.json" \
    "$K domif-convert --all --to-bridge br0 --yes -q" \
    "$K domif-convert --all --to-bridge br0 --yes -q --jobs 4" \
    "$FLOOR $URI br0"
check
hyperfine --runs 3 --prepare "$reset" --export-json "$SB/virsh.json" "bash $SB/virsh-loop.sh"
check

# virt-xml: ~0.3 s a call; time 10 guests and scale to N
$reset
names=$(virsh list --all --name | head -10)
t0=$(date +%s.%N)
for g in $names; do virt-xml "$g" --edit --network bridge=br0 >/dev/null 2>&1; done
t1=$(date +%s.%N)
virtxml=$(echo "($t1 - $t0) / 10 * $N" | bc -l)

python3 - "$SB/knet.json" "$SB/virsh.json" "$virtxml" "$N" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["results"]
v = json.load(open(sys.argv[2]))["results"][0]
virtxml, n = float(sys.argv[3]), sys.argv[4]
knet, jobs, floor = (r["mean"] for r in k)
print(f"\n{n} guests, seconds (mean):")
print(f"  knet domif-convert (1 connection)  {knet:8.3f}")
print(f"  knet domif-convert --jobs 4        {jobs:8.3f}")
print(f"  raw floor (dumpxml+define)         {floor:8.3f}   knet/floor = {knet/floor:.2f}x")
print(f"  virsh dumpxml|sed|define loop      {v['mean']:8.3f}   {v['mean']/knet:.1f}x slower than knet")
print(f"  virt-xml loop (10 timed, x{int(n)//10})      {virtxml:8.3f}   {virtxml/knet:.1f}x slower than knet")
PY
