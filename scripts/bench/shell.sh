#!/bin/bash
# Completion and shell: what a Tab and a command sequence cost, knet beside
# virsh on the same work (virsh's bash completion runs `virsh complete -- WORDS`).
# Run through scripts/bench/run (sets $KNET, a release build).
set -euo pipefail
K=${KNET:?run through scripts/bench/run}
U=test:///default
hf() { hyperfine -N --warmup 3 --min-runs 30 --style basic "$@" 2>&1 | grep -E '^(Benchmark|  Time|  Range| +[0-9.]+ ± [0-9.]+ times faster|  [^ ].* ran$)' ; }

echo "### Tab on a command name (static: no libvirt for knet)"
hf -n knet "env COMPLETE=bash _CLAP_COMPLETE_INDEX=1 $K -- knet net-" \
   -n virsh "virsh -c $U complete -- net-"

echo "### Tab on a flag"
hf -n knet "env COMPLETE=bash _CLAP_COMPLETE_INDEX=2 $K -- knet net-list --a" \
   -n virsh "virsh -c $U complete -- net-list --a"

echo "### Tab on a network name (live, test driver)"
hf -n knet "env COMPLETE=bash _CLAP_COMPLETE_INDEX=4 $K -- knet -c $U net-start ''" \
   -n virsh "virsh -c $U complete -- net-start ''"

echo "### Ten commands on one connection"
SEQ="$(printf 'net-list --all; %.0s' {1..9})net-list --all"
hf -n knet "$K -c $U '$SEQ'" -n virsh "virsh -c $U '$SEQ'"

echo "### Tab while libvirt hangs (a socket that accepts and never answers): bounded by the 1 s deadline"
d=$(mktemp -d)
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); c=[]
while True: c.append(s.accept())' "$d/sock" & lp=$!
sleep 0.3
hyperfine -N --runs 3 --style basic "env COMPLETE=bash _CLAP_COMPLETE_INDEX=4 $K -- knet -c qemu+unix:///system?socket=$d/sock net-start ''" 2>&1 | grep -E '^  Time'
kill $lp; rm -rf "$d"
