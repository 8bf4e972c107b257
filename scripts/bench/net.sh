#!/bin/bash
# net-list: `knet net-list --all` beside `virsh net-list --all`, same private
# daemon, same networks, one hyperfine run. Prints the table and the ratio.
# Run through scripts/bench/run (release build, $KNET and $KNET_LIBVIRT_BIN set),
# or alone after `cargo build --release`. Needs root (private libvirtd).
set -euo pipefail
cd "$(dirname "$0")/../.."
KNET=${KNET:-$PWD/target/release/knet}
export KNET_LIBVIRT_BIN=${KNET_LIBVIRT_BIN:-$PWD/target/release/knet-libvirt}
DIR=$(mktemp -d /tmp/knet-bench-net.XXXXXX)
trap 'tests/sandbox/sandbox.sh purge "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
URI=$(tests/sandbox/sandbox.sh start "$DIR" 2>/dev/null)
# a host with a few networks, some running, one autostarted
for f in default isolated routed; do virsh -q -c "$URI" net-define "tests/sandbox/xml/$f.xml" >/dev/null; done
virsh -q -c "$URI" net-start default >/dev/null
virsh -q -c "$URI" net-start isolated >/dev/null
virsh -q -c "$URI" net-autostart default >/dev/null
# the outputs must be identical before their speed means anything
diff <(LC_ALL=C "$KNET" -c "$URI" net-list --all) <(LC_ALL=C virsh -c "$URI" net-list --all)
export LC_ALL=C
hyperfine -N --warmup 10 --runs 200 --export-json "$DIR/net-list.json" \
  -n knet "$KNET -c $URI net-list --all" \
  -n virsh "virsh -c $URI net-list --all"
python3 - "$DIR/net-list.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, v = r["knet"]["mean"] * 1000, r["virsh"]["mean"] * 1000
print(f"net-list --all: knet {k:.2f} ms, virsh {v:.2f} ms, knet/virsh = {k / v:.2f}")
PY
