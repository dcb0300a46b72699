#!/usr/bin/env bash
# Fuzzes a parser of untrusted bytes with libFuzzer (Sources/Fuzz), seeded from the test vectors.
# Usage: scripts/fuzz.sh [TARGET|all] [SECONDS]   (default: sigstore 60). Targets: scripts/fuzz.sh list
# Crashes, timeouts and leaks land in .cache/fuzz/artifacts/TARGET; keep each as a regression in Tests/FuzzCorpus/TARGET/
# (the tests replay that folder). FUZZ_ASAN=1 adds AddressSanitizer (its own build folder, .build-fuzz-asan);
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-detect_leaks=0).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${1:-sigstore}"
seconds="${2:-60}"
targets="json sigstore bundle manifest oms checksums hf-tree spdx pem pkcs11-uri signing-config tuf model-card safetensors gguf pickle zip"
if [ "$target" = list ]; then echo "$targets"; exit 0; fi
if [ "$target" = all ]; then
  for t in $targets; do "$0" "$t" "$seconds"; done
  exit 0
fi

seed() { # TARGET FILE...
  local dir=".cache/fuzz/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/seed-$(sha256sum "$f" | cut -c1-16)"; done
}
v=manifests/testvectors
case "$target" in
  json) seed "$target" $(find $v/oms/payloads $v/sigstore-conformance/bundle-verify $v/tuf -name '*.json' | head -60) ;;
  sigstore|bundle) seed "$target" $v/sigstore-conformance/bundle-verify/*/bundle.sigstore.json $v/sigstore-conformance/bundle-verify/*/trusted_root.json $v/oms/sigs/*.sig $v/oms/upstream/*/model.sig ;;
  manifest|oms) seed "$target" $v/oms/payloads/*.json ;;
  checksums) seed "$target" $v/checksum-files/*.txt ;;
  hf-tree) seed "$target" $(find $v -name '*tree*.json') ;;
  spdx) mkdir -p .cache/fuzz/corpus/spdx; for e in "Apache-2.0" "MIT OR (GPL-2.0-only WITH Classpath-exception-2.0)" "LicenseRef-llama3.1 AND CC-BY-4.0+"; do printf '%s' "$e" > ".cache/fuzz/corpus/spdx/$(printf '%s' "$e" | sha256sum | cut -c1-16)"; done ;;
  pem) seed "$target" $v/oms/keys/* $v/oms/pki/*.pem ;;
  pkcs11-uri) mkdir -p .cache/fuzz/corpus/pkcs11-uri ;;  # seeds: the RFC 7512 examples in Tests/FuzzCorpus/pkcs11-uri
  signing-config) seed "$target" $v/sigstore-conformance/sigstore-prod-client-trust-config.json ;;
  tuf) seed "$target" $(find $v/tuf -name '*.json' | head -40) ;;
  model-card) seed "$target" $(find $v/licenses manifests/examples -name '*.md') ;;
  safetensors) seed "$target" $v/formats/*.safetensors ;;
  gguf) seed "$target" $v/formats/*.gguf ;;
  pickle|zip) seed "$target" $(find $v/formats -name '*.bin' -o -name '*.pt' -o -name '*.pkl' 2>/dev/null) $v/formats/reference.safetensors ;;
  *) echo "unknown target $target (scripts/fuzz.sh list)" >&2; exit 64 ;;
esac
mkdir -p ".cache/fuzz/artifacts/$target" "Tests/FuzzCorpus/$target"
scratch=.build-fuzz
sanitizers=(--sanitize fuzzer)
# swiftc keeps only the last -sanitize= flag it is given, and SwiftPM passes one per --sanitize: the Swift code needs
# the combined flag, or it gets AddressSanitizer without coverage and libFuzzer runs blind.
if [ -n "${FUZZ_ASAN:-}" ]; then scratch=.build-fuzz-asan; sanitizers+=(--sanitize address -Xswiftc -sanitize=fuzzer,address); fi
swift build "${sanitizers[@]}" -Xswiftc -DFUZZING --product Fuzz --scratch-path "$scratch" 2>&1 | tail -1
WEIGHTSEAL_FUZZ_TARGET="$target" "$scratch"/debug/Fuzz ".cache/fuzz/corpus/$target" "Tests/FuzzCorpus/$target" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=1 -artifact_prefix=".cache/fuzz/artifacts/$target/" \
  -print_final_stats=1 ${FUZZ_FLAGS:-}
