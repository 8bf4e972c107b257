#!/bin/bash
# Remote benchmark: knet and virsh over a link with latency. A private libvirtd
# listens on qemu+tcp inside its network namespace (tests/sandbox/sandbox.sh
# with KNET_TCP_PORT); between client and daemon sits a delay line
# (examples/delay_line.rs: a TCP proxy holding each direction RTT/2, with
# TCP_NODELAY, which also counts the RPCs the client sends). This kernel has
# no netem, hence the proxy. Both tools run inside the namespace over the tcp
# URI, for round trips of 1, 20 and 50 ms.
#
#   RPCs per command, at a small host (2 networks, 5 guests) and the full one
#   (NETS networks, GUESTS guests): listings must stay constant.
#   Wall time (hyperfine medians) of net-list --all, list --all, domiflist,
#   net-info, knet beside virsh, at each round trip (and at 20 ms for the
#   small host: how time grows with the objects).
#   Bulk conversion of every guest from `default` to br0: knet with no extra
#   flags beside a virsh dumpxml|sed|define loop (and knet --jobs 1, one
#   connection, to show what the default's connections buy).
#
# Between conversion runs every guest is put back on `default` over the local
# socket (untimed); every run is checked (all guests on br0 afterwards).
# Usage: scripts/bench/remote.sh [NETS] [GUESTS] [RUNNING]     (default 20 50 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
NETS=${1:-20}
N=${2:-50}
RUNNING=${3:-3}
RTTS=${RTTS:-1 20 50}
cargo build --release --locked -q
cargo build --release --locked -q --example delay_line
K=${KNET:-$PWD/target/release/knet}
export KNET_LIBVIRT_BIN=${KNET_LIBVIRT_BIN:-$PWD/target/release/knet-libvirt}
DELAY=$PWD/target/release/examples/delay_line
SBX=$PWD/tests/sandbox/sandbox.sh
export LC_ALL=C

SB=$(mktemp -d /tmp/knet-bench-remote-XXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; "$SBX" purge "$SB" >/dev/null 2>&1 || true' EXIT
PORT=16509
LOCAL=$(KNET_TCP_PORT=$PORT "$SBX" start "$SB" 2>/dev/null)
export XDG_STATE_HOME=$SB/state
inns() { "$SBX" exec "$SB" "$@"; }
v() { virsh -q -c "$LOCAL" "$@" >/dev/null; }

v net-define tests/sandbox/xml/default.xml
v net-start default
inns ip link add br0 type bridge
inns ip link set br0 up

# networks net01..: isolated, half of them running
add_nets() {  # FROM TO
    for i in $(seq "$1" $(($2 - 1))); do
        printf "<network>\n  <name>net%02d</name>\n  <bridge name='kbr%02d'/>\n  <ip address='10.77.%d.1' netmask='255.255.255.0'>\n    <dhcp><range start='10.77.%d.100' end='10.77.%d.200'/></dhcp>\n  </ip>\n</network>\n" \
            "$i" "$i" "$i" "$i" "$i" > "$SB/net.xml"
        v net-define "$SB/net.xml"
        [ $((i % 2)) = 1 ] && v net-start "net$(printf %02d "$i")"
    done
    return 0
}
# guests g000..: on `default`, the first RUNNING of them running (paused)
add_guests() {  # FROM TO
    local cmds=()
    mkdir -p "$SB/guests"
    for i in $(seq "$1" $(($2 - 1))); do
        name=$(printf 'g%03d' "$i")
        printf "<domain type='qemu'>\n  <name>%s</name>\n  <memory unit='MiB'>128</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n    <interface type='network'>\n      <mac address='52:54:00:31:%02x:%02x'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n" \
            "$name" $((i / 256)) $((i % 256)) > "$SB/guests/$name.xml"
        cmds+=("define $SB/guests/$name.xml ;")
        [ "$i" -lt "$RUNNING" ] && cmds+=("start --paused $name ;")
    done
    virsh -q -c "$LOCAL" "${cmds[*]}" >/dev/null
}

# one delay line per round trip, inside the namespace: port 17000+RTT
for rtt in $RTTS; do
    inns "$DELAY" "127.0.0.1:$((17000 + rtt))" "127.0.0.1:$PORT" "$(echo "$rtt / 2" | bc -l)" "$SB/rpc-$rtt.log" &
    PIDS+=($!)
done
sleep 0.5
uri() { echo "qemu+tcp://127.0.0.1:$((17000 + $1))/system"; }
R1=$(uri "$(echo $RTTS | cut -d' ' -f1)")
RLOG=$SB/rpc-$(echo $RTTS | cut -d' ' -f1).log

CMDS=("net-list --all" "list --all" "domiflist g000" "net-info default")
reset() { "$K" -c "$LOCAL" domif-convert --all --to-network default --yes -q >/dev/null; }
check() {  # every guest is on br0
    local n; n=$(grep -l "<source bridge='br0'/>" "$SB"/etc/qemu/g*.xml | wc -l)
    [ "$n" = "$(ls "$SB"/etc/qemu/g*.xml | wc -l)" ] || { echo "only $n guests converted" >&2; exit 1; }
}
cat > "$SB/virsh-loop.sh" <<'LOOP'
# virsh dumpxml | sed | virsh define, guest by guest: what admins script today
for g in $(virsh -c "$1" list --all --name); do
    virsh -c "$1" dumpxml --inactive "$g" | sed -e "s|<interface type='network'>|<interface type='bridge'>|" -e "s|<source network='default'/>|<source bridge='br0'/>|" > "$2/g.xml"
    virsh -q -c "$1" define "$2/g.xml" >/dev/null
done
LOOP

rpcs() {  # ARGS... -> RPC calls sent through the first delay line
    : > "$RLOG"
    inns "$@" >/dev/null 2>&1 || true
    sleep 0.2
    wc -l < "$RLOG"
}
rpc_table() {  # title
    local nn ng; nn=$(virsh -q -c "$LOCAL" net-list --all --name | grep -c .); ng=$(virsh -q -c "$LOCAL" list --all --name | grep -c .)
    echo "RPCs per command ($1: $nn networks, $ng guests; connection open and close included)"
    printf '  %-36s %6s %6s\n' command knet virsh
    for c in "${CMDS[@]}"; do
        read -ra a <<<"$c"
        printf '  %-36s %6s %6s\n' "$c" "$(rpcs "$K" -c "$R1" "${a[@]}")" "$(rpcs virsh -c "$R1" "${a[@]}")"
    done
    reset
    local k; k=$(rpcs "$K" -c "$R1" domif-convert --all --to-bridge br0 --yes -q); check
    reset
    local k1; k1=$(rpcs "$K" -c "$R1" domif-convert --all --to-bridge br0 --yes -q --jobs 1); check
    reset
    local vl; vl=$(rpcs bash "$SB/virsh-loop.sh" "$R1" "$SB"); check
    printf '  %-36s %6s %6s\n' "convert all (knet default / loop)" "$k" "$vl"
    printf '  %-36s %6s\n' "convert all, knet --jobs 1" "$k1"
}

# hyperfine medians, inside the namespace; knet's output checked equal to virsh's
listing_times() {  # RTT RUNS label
    local u; u=$(uri "$1")
    for c in "${CMDS[@]}"; do
        read -ra a <<<"$c"
        if ! diff <(inns "$K" -c "$u" "${a[@]}" 2>&1) <(inns virsh -c "$u" "${a[@]}" 2>&1) >/dev/null; then
            echo "  $c: knet and virsh disagree, not timed"; continue
        fi
        inns hyperfine -N --warmup 1 --runs "$2" --export-json "$SB/h.json" \
            -n knet "$K -c $u $c" -n virsh "virsh -c $u $c" >/dev/null 2>&1
        python3 - "$SB/h.json" "$c" "$1" "$3" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, v = r["knet"]["median"] * 1000, r["virsh"]["median"] * 1000
print(f"  {sys.argv[3]:>3} ms {sys.argv[4]:<6} {sys.argv[2]:<18} knet {k:9.1f} ms   virsh {v:9.1f} ms   virsh/knet {v / k:5.1f}x")
PY
    done
}

secs() {  # ARGS... -> seconds taken inside the namespace (after an untimed reset)
    reset
    inns bash -c 't0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l' _ "$@"
    check
}

add_nets 1 2
add_guests 0 5
rpc_table small
echo
for rtt in $RTTS; do [ "$rtt" = 20 ] && listing_times 20 5 small; done
add_nets 2 "$NETS"
add_guests 5 "$N"
echo
rpc_table full
echo
echo "wall time, median of hyperfine runs (full host: $NETS networks, $N guests)"
for rtt in $RTTS; do
    runs=10; [ "$rtt" -ge 50 ] && runs=5
    listing_times "$rtt" "$runs" full
done

echo
echo "convert $N guests default -> br0, seconds: median (best) of interleaved rounds"
for rtt in $RTTS; do
    u=$(uri "$rtt")
    kr=3; vr=2; [ "$rtt" -ge 50 ] && { kr=2; vr=1; }
    KD=() K1=() VL=()
    for r in $(seq 1 "$kr"); do
        KD+=("$(secs "$K" -c "$u" domif-convert --all --to-bridge br0 --yes -q)")
        K1+=("$(secs "$K" -c "$u" domif-convert --all --to-bridge br0 --yes -q --jobs 1)")
        if [ "$r" -le "$vr" ]; then VL+=("$(secs bash "$SB/virsh-loop.sh" "$u" "$SB")"); fi
    done
    python3 - "$rtt" "${KD[*]}" "${K1[*]}" "${VL[*]}" <<'PY'
import statistics as st, sys
rtt = sys.argv[1]
kd, k1, vl = ([float(x) for x in a.split()] for a in sys.argv[2:])
med = st.median
print(f"  {rtt:>3} ms  knet (default) {med(kd):7.3f} ({min(kd):.3f})   knet --jobs 1 {med(k1):7.3f} ({min(k1):.3f})"
      f"   virsh loop {med(vl):7.3f} ({min(vl):.3f})   loop/knet {med(vl)/med(kd):5.1f}x   loop/knet --jobs 1 {med(vl)/med(k1):5.1f}x")
PY
done
