#!/bin/bash
# domif-convert benchmark: converting 200 defined guests (20 of them
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
virsh "${cmds[*]}" >/dev/null
starts=()
for i in $(seq 0 $((RUNNING - 1))); do starts+=("start --paused $(printf 'g%03d' "$i") ;"); done
[ "$RUNNING" -gt 0 ] && virsh "${starts[*]}" >/dev/null
echo "$N guests defined, $RUNNING running (paused)"

reset="$K domif-convert --all --to-network default --yes -q --json"
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

# The machine is shared and libvirtd's define fsyncs, so single timings swing
# 2-3x with the disk. Runs are therefore interleaved round by round (each
# contender sees the same load) and the median and best of ROUNDS are shown.
ROUNDS=${ROUNDS:-7}
t() {  # seconds taken by "$@" (after an untimed reset)
    $reset >/dev/null
    local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
declare -A T
for r in $(seq 1 "$ROUNDS"); do
    T[knet]+="$(t "$K" domif-convert --all --to-bridge br0 --yes -q) "; check
    T[jobs]+="$(t "$K" domif-convert --all --to-bridge br0 --yes -q --jobs 4) "; check
    T[floor]+="$(t "$FLOOR" "$URI" br0) "; check
    if [ "$r" -le 3 ]; then T[virsh]+="$(t bash "$SB/virsh-loop.sh") "; check; fi
done

# virt-xml: ~0.3 s a call; time 10 guests (3 rounds) and scale to N
for r in 1 2 3; do
    $reset >/dev/null
    t0=$(date +%s.%N)
    for g in $(virsh list --all --name | head -10); do virt-xml "$g" --edit --network bridge=br0 >/dev/null 2>&1; done
    t1=$(date +%s.%N)
    T[virtxml]+="$(echo "($t1 - $t0) / 10 * $N" | bc -l) "
done

python3 - "$N" "${T[knet]}" "${T[jobs]}" "${T[floor]}" "${T[virsh]}" "${T[virtxml]}" <<'PY'
import statistics as st, sys
n = sys.argv[1]
knet, jobs, floor, virsh, virtxml = ([float(x) for x in a.split()] for a in sys.argv[2:])
med = st.median
print(f"\n{n} guests, seconds: median (best) of interleaved rounds")
def row(label, xs, extra=""):
    print(f"  {label:<42} {med(xs):7.3f} ({min(xs):.3f}){extra}")
row("knet domif-convert --all (1 connection)", knet)
row("knet domif-convert --all --jobs 4", jobs)
row("raw floor: dumpxml+define, 1 connection", floor, f"   knet/floor = {med(knet)/med(floor):.2f}x ({min(knet)/min(floor):.2f}x best)")
row("virsh dumpxml|sed|virsh define loop", virsh, f"   {med(virsh)/med(knet):.1f}x knet, {med(virsh)/med(jobs):.1f}x knet --jobs 4")
row("virt-xml --edit loop (10 timed, scaled)", virtxml, f"   {med(virtxml)/med(knet):.1f}x knet, {med(virtxml)/med(jobs):.1f}x knet --jobs 4")
PY
