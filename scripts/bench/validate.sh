#!/bin/bash
# knet validate benchmark, release build, hyperfine:
#   1. ONE `knet validate` over every corpus network file (valid + invalid)
#      against ONE `virt-xml-validate FILE network` call (type given: its
#      fastest form) — target: the whole knet run is faster;
#   2. one file each, knet vs virt-xml-validate (type given and auto-detected)
#      — target: knet at least 3x faster.
# No daemon needed. Usage: scripts/bench/validate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${KNET:-}" ]; then
    cargo build --release --locked -q --bin knet
    KNET=$PWD/target/release/knet
fi
CORPUS=${KNET_CORPUS:-$PWD/../shared/corpus}
FILES=("$CORPUS"/networks/valid/*.xml "$CORPUS"/networks/invalid/*.xml)
ONE=$CORPUS/networks/valid/conf__nat-network-dns-hosts.xml
OUT=$(mktemp -d /tmp/knet-bench-validate-XXXX)
trap 'rm -rf "$OUT"' EXIT

echo "corpus network files: ${#FILES[@]}; single file: ${ONE#"$CORPUS"/}"
# Exit 1 (some corpus files are invalid) is the expected result: -i.
hyperfine -N -i --warmup 10 --min-runs 300 --export-json "$OUT/all.json" \
    -n "knet validate (${#FILES[@]} files)" "$KNET validate -q ${FILES[*]}" \
    -n "virt-xml-validate (1 file, type given)" "virt-xml-validate $ONE network" 2>&1 | grep -v '^ *Warning'
hyperfine -N --warmup 10 --min-runs 300 --export-json "$OUT/one.json" \
    -n "knet validate (1 file)" "$KNET validate -q $ONE" \
    -n "virt-xml-validate (1 file, type given)" "virt-xml-validate $ONE network" \
    -n "virt-xml-validate (1 file, auto-detected)" "virt-xml-validate $ONE" 2>&1 | grep -v '^ *Warning'

python3 - "$OUT/all.json" "$OUT/one.json" <<'PY'
import json, sys
# Medians: the machine is shared, and a few preempted runs drag the means.
all_ = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
one = {r["command"]: r["median"] for r in json.load(open(sys.argv[2]))["results"]}
ms = lambda s: f"{s * 1000:.2f} ms"
(kall, vone) = list(all_.values())
print()
print("| measurement (medians) | knet | virt-xml-validate | ratio |")
print("|---|---|---|---|")
print(f"| whole corpus ({list(all_)[0].split('(')[1][:-1]}) vs one call | {ms(kall)} | {ms(vone)} | knet takes {kall / vone:.2f}x one call |")
k1, vt, va = one.values()
print(f"| one file, type given | {ms(k1)} | {ms(vt)} | knet {vt / k1:.1f}x faster |")
print(f"| one file, auto-detected | {ms(k1)} | {ms(va)} | knet {va / k1:.1f}x faster |")
PY
