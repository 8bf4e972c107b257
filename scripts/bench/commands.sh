#!/bin/bash
# Per-command cost, knet beside virsh on the same private daemon: wall time
# (hyperfine medians) and peak RSS (GNU time's %M, the largest of 20 runs) for
# net-list, net-info, domiflist and net-define. Outputs are checked identical
# first (net-define prints the same message). Needs root (private libvirtd).
set -euo pipefail
cd "$(dirname "$0")/../.."
KNET=${KNET:-$PWD/target/release/knet}
export KNET_LIBVIRT_BIN=${KNET_LIBVIRT_BIN:-$PWD/target/release/knet-libvirt}
export LC_ALL=C
DIR=$(mktemp -d /tmp/knet-bench-cmd.XXXXXX)
trap 'tests/sandbox/sandbox.sh purge "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
URI=$(tests/sandbox/sandbox.sh start "$DIR" 2>/dev/null)
X=tests/sandbox/xml
for f in default isolated routed; do virsh -q -c "$URI" net-define "$X/$f.xml" >/dev/null; done
virsh -q -c "$URI" net-start default >/dev/null
virsh -q -c "$URI" define "$X/vm1.xml" >/dev/null
# net-define redefines the same network each run: keep its UUID in the file
virsh -q -c "$URI" net-dumpxml --inactive isolated > "$DIR/isolated.xml"

names=(net-list net-info domiflist net-define)
args=("net-list --all" "net-info default" "domiflist vm1" "net-define $DIR/isolated.xml")
for i in "${!names[@]}"; do
  a=${args[$i]}
  diff <("$KNET" -c "$URI" $a 2>&1) <(virsh -c "$URI" $a 2>&1) >/dev/null \
    || { echo "${names[$i]}: knet and virsh disagree, not benchmarking"; diff <("$KNET" -c "$URI" $a 2>&1) <(virsh -c "$URI" $a 2>&1); exit 1; }
done

rss() {  # peak RSS in KiB over 20 runs
  local max=0 r
  for _ in $(seq 20); do
    /usr/bin/time -f %M -o "$DIR/rss" "$@" >/dev/null 2>&1
    r=$(tail -1 "$DIR/rss")
    [ "$r" -gt "$max" ] && max=$r
  done
  echo "$max"
}

printf '| command | knet ms | virsh ms | knet/virsh | knet peak RSS | virsh peak RSS |\n|---|---|---|---|---|---|\n'
for i in "${!names[@]}"; do
  a=${args[$i]}
  hyperfine -N --warmup 5 --runs 100 --export-json "$DIR/h.json" \
    -n knet "$KNET -c $URI $a" -n virsh "virsh -c $URI $a" >/dev/null 2>&1
  kr=$(rss "$KNET" -c "$URI" $a); vr=$(rss virsh -c "$URI" $a)
  python3 - "$DIR/h.json" "${names[$i]}" "$kr" "$vr" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, v = r["knet"]["median"] * 1000, r["virsh"]["median"] * 1000
print(f"| {sys.argv[2]} | {k:.1f} | {v:.1f} | {k / v:.2f} | {int(sys.argv[3]) // 1024} MiB | {int(sys.argv[4]) // 1024} MiB |")
PY
done
