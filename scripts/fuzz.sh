#!/usr/bin/env bash
# Fuzzes the Sigstore parsers and verifier with libFuzzer (Sources/FuzzSigstore), seeded with the conformance
# bundles and trusted roots. Usage: scripts/fuzz.sh [SECONDS] (default 60). Crashes land in .cache/fuzz/artifacts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
corpus=.cache/fuzz/corpus-sigstore
mkdir -p "$corpus" .cache/fuzz/artifacts
find manifests/testvectors/sigstore-conformance -name '*.json' -exec cp {} "$corpus/" \; 2>/dev/null || true
i=0; for f in manifests/testvectors/sigstore-conformance/bundle-verify/*/bundle.sigstore.json manifests/testvectors/oms/upstream/*/model.sig; do
  cp "$f" "$corpus/seed-$i.json"; i=$((i + 1))
done
swift build --sanitize fuzzer -Xswiftc -DFUZZING --product FuzzSigstore --scratch-path .build-fuzz 2>&1 | tail -1
exec .build-fuzz/debug/FuzzSigstore "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
  -artifact_prefix=.cache/fuzz/artifacts/ -print_final_stats=1
