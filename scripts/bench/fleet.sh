#!/bin/bash
# Fleet benchmark: three private libvirtd daemons (three network
# namespaces, three sockets: tests/sandbox/sandbox.sh) stand in for three
# hypervisors reached over libvirt's remote protocol.
#
#   fleet:        knet -c U1 -c U2 -c U3 domif-convert --all ... --yes    (one command, hosts at once)
#   host by host: three sequential knet -c Ui domif-convert runs           (what a shell loop does)
#   growth:       one host, 50 / 200 / 800 guests: time per guest must stay flat (linear total)
#
# Between runs every guest is put back on `default` (untimed). Release builds.
# Usage: scripts/bench/fleet.sh [GUESTS_PER_HOST] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200}
RUNS=${2:-5}
cargo build --release --locked -q
K=$PWD/target/release/knet
export KNET_LIBVIRT_BIN=$PWD/target/release/knet-libvirt LC_ALL=C

SBS=()
cleanup() { for d in "${SBS[@]}"; do tests/sandbox/sandbox.sh purge "$d" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
STATE=$(mktemp -d /tmp/knet-bench-fleet-XXXX)
SBS+=("$STATE")
export XDG_STATE_HOME=$STATE

# hypervisor DIR: a daemon with `default` (NAT) running and br0; prints its URI
hypervisor() {
    local uri
    uri=$(tests/sandbox/sandbox.sh start "$1" 2>/dev/null)
    virsh -q -c "$uri" net-define tests/sandbox/xml/default.xml >/dev/null
    virsh -q -c "$uri" net-start default >/dev/null
    tests/sandbox/sandbox.sh exec "$1" ip link add br0 type bridge
    tests/sandbox/sandbox.sh exec "$1" ip link set br0 up
    echo "$uri"
}

# define_guests URI PREFIX FROM TO: guests PREFIX-gNNN, FROM..TO-1, on `default`
define_guests() {
    local uri=$1 p=$2 dir cmds=()
    dir=$(mktemp -d /tmp/knet-bench-guests-XXXX)
    for i in $(seq "$3" $(($4 - 1))); do
        name=$(printf '%s-g%03d' "$p" "$i")
        printf "<domain type='qemu'>\n  <name>%s</name>\n  <memory unit='MiB'>128</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n    <interface type='network'>\n      <mac address='52:54:%02x:30:%02x:%02x'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n" \
            "$name" "$(printf '%d' "'$p")" $((i / 256)) $((i % 256)) > "$dir/$name.xml"
        cmds+=("define $dir/$name.xml ;")
    done
    virsh -c "$uri" "${cmds[*]}" >/dev/null
    rm -rf "$dir"
}

URIS=()
for p in a b c; do
    d=$(mktemp -d /tmp/knet-bench-$p-XXXX); SBS+=("$d")
    u=$(hypervisor "$d"); URIS+=("$u")
    define_guests "$u" "$p" 0 "$N"
done
echo "3 hosts x $N guests defined"

ALL=(); for u in "${URIS[@]}"; do ALL+=(-c "$u"); done
to_bridge="domif-convert --all --from-network default --to-bridge br0 --yes -q"
reset="$K ${ALL[*]} domif-convert --all --to-network default --yes -q"
fleet="$K ${ALL[*]} $to_bridge"
byhost="$K -c ${URIS[0]} $to_bridge && $K -c ${URIS[1]} $to_bridge && $K -c ${URIS[2]} $to_bridge"
check() {  # every guest on every host is on br0
    for d in "${SBS[@]:1:3}"; do
        n=$(grep -l "<source bridge='br0'/>" "$d"/etc/qemu/*-g*.xml | wc -l)
        [ "$n" = "$N" ] || { echo "only $n of $N guests converted in $d" >&2; exit 1; }
    done
}
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$reset" --export-json "$STATE/fleet.json" "$fleet"
check
hyperfine --runs "$RUNS" --prepare "$reset" --export-json "$STATE/byhost.json" "$byhost"
check

# growth: one more host, its guest count raised 50 -> 200 -> 800
d=$(mktemp -d /tmp/knet-bench-g-XXXX); SBS+=("$d")
G=$(hypervisor "$d")
have=0
for n in 50 200 800; do
    define_guests "$G" g "$have" "$n"; have=$n
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$STATE/grow-$n.json" \
        --prepare "$K -c $G domif-convert --all --to-network default --yes -q" \
        "$K -c $G $to_bridge"
done

python3 - "$STATE" "$N" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
mean = lambda f: json.load(open(f"{d}/{f}.json"))["results"][0]["mean"]
fleet, byhost = mean("fleet"), mean("byhost")
print(f"\n3 hosts x {n} guests, seconds (mean):")
print(f"  knet fleet (one command, hosts at once)   {fleet:8.3f}")
print(f"  host by host (three knet runs)            {byhost:8.3f}   {byhost/fleet:.2f}x the fleet's time")
print("\ngrowth, one host (linear means the cost of each added guest does not rise);")
print("wall time waits on libvirtd; knet's own CPU (user+sys) is what knet does:")
sizes = (50, 200, 800)
res = [json.load(open(f"{d}/grow-{g}.json"))["results"][0] for g in sizes]
ts = [r["mean"] for r in res]
cpu = [r["user"] + r["system"] for r in res]
for g, t, c in zip(sizes, ts, cpu):
    print(f"  {g:4d} guests  wall {t:7.3f} s ({t / g * 1000:5.2f} ms/guest)   knet CPU {c * 1000:7.1f} ms ({c / g * 1000:5.3f} ms/guest)")
for i in range(len(sizes) - 1):
    dg = sizes[i + 1] - sizes[i]
    print(f"  guests {sizes[i]:3d} -> {sizes[i + 1]:3d}: wall {(ts[i + 1] - ts[i]) / dg * 1000:5.2f} ms, knet CPU {(cpu[i + 1] - cpu[i]) / dg * 1000:5.3f} ms per added guest")
PY
