#!/bin/bash
# Round trips and instructions: for each command, the libvirt RPCs knet and
# virsh send for the same output (counted from libvirt's own client log,
# RPC_CLIENT_MSG_TX_QUEUE, connection open/close included), and callgrind's
# instruction count of the client process (deterministic, unlike wall time on
# a loaded machine). Also the light `knet` binary's work before it execs
# knet-libvirt. Run through scripts/bench/run, or alone after
# `cargo build --release`. Needs root (private libvirtd) and valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
KNET=${KNET:-$PWD/target/release/knet}
KL=${KNET_LIBVIRT_BIN:-$PWD/target/release/knet-libvirt}
DIR=$(mktemp -d /tmp/knet-bench-rpcs.XXXXXX)
trap 'tests/sandbox/sandbox.sh purge "$DIR/sb" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
URI=$(tests/sandbox/sandbox.sh start "$DIR/sb" 2>/dev/null)
for f in default isolated routed; do virsh -q -c "$URI" net-define "tests/sandbox/xml/$f.xml" >/dev/null; done
virsh -q -c "$URI" net-start default >/dev/null
virsh -q -c "$URI" net-autostart default >/dev/null
for g in vm1 vm2; do virsh -q -c "$URI" define "tests/sandbox/xml/$g.xml" >/dev/null; done
virsh -q -c "$URI" start --paused vm1 >/dev/null
export LC_ALL=C XDG_STATE_HOME=$DIR/state

rpcs() { # BIN ARGS... -> RPCs sent
  local log=$DIR/rpc.log
  rm -f "$log"
  LIBVIRT_LOG_FILTERS="1:rpc" LIBVIRT_LOG_OUTPUTS="1:file:$log" "$@" >/dev/null 2>&1 || true
  grep -c RPC_CLIENT_MSG_TX_QUEUE "$log" || true
}
instr() { # BIN ARGS... -> instructions (callgrind, whole process)
  valgrind --tool=callgrind --callgrind-out-file="$DIR/cg.out" "$@" >/dev/null 2>&1 || true
  awk '/^summary:/ {print $2}' "$DIR/cg.out"
}
pre_exec() { # ARGS... -> instructions the light knet runs before its exec
  rm -f "$DIR"/pre.out*
  valgrind --tool=callgrind --dump-before='*execv*' --callgrind-out-file="$DIR/pre.out" "$KNET" "$@" >/dev/null 2>&1 || true
  cat "$DIR"/pre.out* | awk '/^summary:/ {s += $2} END {print s}'
}

printf '%-40s %10s %10s %14s %14s\n' command "knet RPCs" "virsh RPCs" "knet instr" "virsh instr"
while IFS='|' read -r cmd both; do
  read -ra a <<<"$cmd"
  if [ "$both" = both ]; then v=$(rpcs virsh -c "$URI" "${a[@]}"); vi=$(instr virsh -c "$URI" "${a[@]}"); else v=-; vi=-; fi
  printf '%-40s %10s %10s %14s %14s\n' "$cmd" "$(rpcs "$KL" -c "$URI" "${a[@]}")" "$v" "$(instr "$KL" -c "$URI" "${a[@]}")" "$vi"
done <<'L'
net-list --all|both
list --all|both
domiflist vm1|both
domifaddr vm1|both
net-info default|both
net-uuid default|both
net-dumpxml default|both
doctor|
mac-gen|
L
echo
printf 'light knet before exec, net-list --all: %s instructions\n' "$(pre_exec -c "$URI" net-list --all)"
