#!/usr/bin/env bash
# Creates the Python reference peer used by the OMS interop tests: a venv with the OpenSSF model-signing
# reference tool (model-signing 1.1.1 from PyPI) and pyOpenSSL (1.1.1 imports OpenSSL without declaring it;
# without it every model_signing command dies with "No module named 'OpenSSL'").
# The same venv runs Tests/Servers/sigstore_stack.py (the local Sigstore stack of the keyless tests), which needs
# cryptography and asn1crypto; both come with model-signing (and sigstore, whose `sigstore` CLI the tests use too).
# And Tests/Servers/tuf_repo.py (the TUF repositories of the trust update tests), which needs python-tuf: a
# dependency of sigstore, pinned here to 7.0.1.
#
# Usage: scripts/setup-python-peer.sh            # venv at $WEIGHTSEAL_PYREF, default .cache/pyref (git-ignored)
# Tests find the venv through WEIGHTSEAL_PYREF or the default path and are skipped when it is absent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${WEIGHTSEAL_PYREF:-$ROOT/.cache/pyref}"
PYTHON="${PYTHON:-python3}"

if [ -x "$VENV/bin/model_signing" ] && "$VENV/bin/python" -c 'import OpenSSL, model_signing, sigstore, cryptography, asn1crypto, tuf.api.metadata' 2>/dev/null; then
    echo "python peer ready: $VENV"
    exit 0
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    # Debian splits venv/ensurepip out of the interpreter package.
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
fi
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "model-signing==1.1.1" pyOpenSSL "tuf==7.0.1"
"$VENV/bin/model_signing" --help >/dev/null
"$VENV/bin/python" -c 'import sigstore, cryptography, asn1crypto, tuf.api.metadata'
echo "python peer ready: $VENV"
