#!/usr/bin/env python3
"""A TUF repository made with python-tuf (`tuf.api.metadata`, PyPI `tuf` 7.0.1), for weightseal's TUF client tests.

Run it with the Python reference venv (scripts/setup-python-peer.sh), which has tuf and securesystemslib:

    python tuf_repo.py serve DIR        build a repository, write its version-1 root to DIR/root.json, serve it on
                                        127.0.0.1 (port chosen by the kernel) and print "PORT <n>"; then read one
                                        command a line on standard input, apply it, answer "OK <what>" (or "ERR ...")
    python tuf_repo.py vectors OUT      build the repository and write OUT/base/ (the served files of the good
                                        state) and OUT/<command>/ (only the files each command adds or changes,
                                        applied to a copy of the base state), plus OUT/commands.json

Layout served (as Sigstore's repository): metadata at the base URL (`N.root.json`, `timestamp.json`,
`V.snapshot.json`, `V.targets.json`: consistent snapshots), targets under `/targets/` named `SHA256.NAME`.
Keys: root role threshold 2 of an Ed25519 and an ECDSA P-256 key; timestamp, snapshot and targets one ECDSA P-256
key each. Targets: `trusted_root.json` and `signing_config.v0.2.json` (sigstore-python's bundled production copies
unless --trusted-root / --signing-config name others).

Commands (each one a state of the repository; attacks are made with the real keys, as an attacker holding the
timestamp or snapshot key, or a repository serving stale files, would):
    publish              a new trusted_root.json (a member "x-weightseal-revision" added), targets, snapshot and
                         timestamp versions + 1
    rotate-root          root version + 1 with a new Ed25519 root key (the old one left out) and a new timestamp key,
                         signed by both old root keys and both new ones; timestamp version + 1 signed by the new key
    expire-timestamp     timestamp version + 1 that expired on 2020-01-01
    expire-root          root version + 1 that expired on 2020-01-01 (properly signed): a frozen repository
    rollback-timestamp   serve the timestamp of the first state again (lower version)
    rollback-snapshot    timestamp version + 1 that lists the previous snapshot version (lower than the trusted one)
    rollback-targets     snapshot version + 1 that lists targets version 1 (lower than the trusted one) and the
                         matching timestamp
    mix-and-match        timestamp version + 1 listing snapshot version + 1 and its hash, but that name serves a
                         different (validly signed) snapshot
    mix-and-match-version timestamp version + 1 listing snapshot version + 1 without hashes; that name serves a
                         snapshot whose version is the old one
    bad-target-hash      trusted_root.json served with one byte changed (same length)
    bad-target-length    trusted_root.json served with a byte appended
    bad-timestamp-signature  timestamp version + 1 signed by a key the root does not list
    bad-root-signature   root version + 1 signed only by its own new keys, not by the trusted root's
    wrong-root-version   the file 2.root.json holds a root whose version is 3
Stdlib and the venv's tuf/securesystemslib only; for tests on 127.0.0.1.
"""
import copy
import hashlib
import http.server
import json
import os
import sys
import threading
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

PAST = datetime(2020, 1, 1, tzinfo=timezone.utc)


FUTURE_DAYS = 365


def future(days=None):
    days = days or FUTURE_DAYS
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0)


def sigstore_store_file(name):
    import sigstore

    base = os.path.join(os.path.dirname(sigstore.__file__), "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev")
    with open(os.path.join(base, name), "rb") as f:
        return f.read()


class Repo:
    """The repository's keys, its signed metadata, and the files it serves (URL path -> bytes)."""

    def __init__(self, trusted_root: bytes, signing_config: bytes):
        self.root_signers = [CryptoSigner.generate_ed25519(), CryptoSigner.generate_ecdsa()]
        self.timestamp_signer = CryptoSigner.generate_ecdsa()
        self.snapshot_signer = CryptoSigner.generate_ecdsa()
        self.targets_signer = CryptoSigner.generate_ecdsa()
        self.target_data = {"trusted_root.json": trusted_root, "signing_config.v0.2.json": signing_config}
        self.files = {}
        self.first_timestamp = None

        root = Root(expires=future(), consistent_snapshot=True)
        for s in self.root_signers:
            root.add_key(s.public_key, Root.type)
        root.roles[Root.type].threshold = 2
        root.add_key(self.timestamp_signer.public_key, Timestamp.type)
        root.add_key(self.snapshot_signer.public_key, Snapshot.type)
        root.add_key(self.targets_signer.public_key, Targets.type)
        self.root = Metadata(root)
        for s in self.root_signers:
            self.root.sign(s, append=True)
        self.files["1.root.json"] = self.serialize(self.root)

        self.targets = Metadata(Targets(expires=future()))
        self.snapshot = Metadata(Snapshot(expires=future()))
        self.timestamp = Metadata(Timestamp(expires=future()))
        self.publish_targets(first=True)
        self.first_timestamp = self.files["timestamp.json"]

    def clone(self):
        """A copy whose metadata and files change apart from this one's (the signers are shared)."""
        other = copy.copy(self)
        other.root_signers = list(self.root_signers)
        other.target_data = dict(self.target_data)
        other.files = dict(self.files)
        for role in ("root", "targets", "snapshot", "timestamp"):
            setattr(other, role, Metadata.from_bytes(self.serialize(getattr(self, role))))
        return other

    @staticmethod
    def serialize(md):
        return md.to_bytes(JSONSerializer(compact=False))

    # The steps of a release.

    def sign_targets(self):
        self.targets.signatures.clear()
        self.targets.sign(self.targets_signer)
        data = self.serialize(self.targets)
        self.files[f"{self.targets.signed.version}.targets.json"] = data
        return data

    def sign_snapshot(self, signer=None):
        self.snapshot.signatures.clear()
        self.snapshot.sign(signer or self.snapshot_signer)
        data = self.serialize(self.snapshot)
        self.files[f"{self.snapshot.signed.version}.snapshot.json"] = data
        return data

    def sign_timestamp(self, snapshot_bytes, hashes=True, signer=None):
        ts = self.timestamp.signed
        meta = MetaFile(version=self.snapshot.signed.version)
        if hashes:
            meta = MetaFile(version=self.snapshot.signed.version, length=len(snapshot_bytes),
                            hashes={"sha256": hashlib.sha256(snapshot_bytes).hexdigest()})
        ts.snapshot_meta = meta
        self.timestamp.signatures.clear()
        self.timestamp.sign(signer or self.timestamp_signer)
        self.files["timestamp.json"] = self.serialize(self.timestamp)

    def publish_targets(self, first=False):
        t = self.targets.signed
        if not first:
            t.version += 1
        t.targets = {}
        for name, data in self.target_data.items():
            info = TargetFile.from_data(name, data, ["sha256", "sha512"])
            t.targets[name] = info
            self.files[f"targets/{info.hashes['sha256']}.{name}"] = data
        targets_bytes = self.sign_targets()
        s = self.snapshot.signed
        if not first:
            s.version += 1
        s.meta["targets.json"] = MetaFile(version=t.version, length=len(targets_bytes),
                                          hashes={"sha256": hashlib.sha256(targets_bytes).hexdigest()})
        snapshot_bytes = self.sign_snapshot()
        if not first:
            self.timestamp.signed.version += 1
        self.sign_timestamp(snapshot_bytes)

    def new_root(self, expires=None):
        """The next root version, as a copy of the trusted one."""
        new = Metadata(copy.deepcopy(self.root.signed))
        new.signed.version += 1
        new.signed.expires = expires or future()
        return new

    def bump_timestamp(self, hashes=True, signer=None, expires=None):
        self.timestamp.signed.version += 1
        self.timestamp.signed.expires = expires or future()
        snapshot_bytes = self.files[f"{self.snapshot.signed.version}.snapshot.json"]
        self.sign_timestamp(snapshot_bytes, hashes=hashes, signer=signer)

    # Commands.

    def cmd_publish(self):
        tr = json.loads(self.target_data["trusted_root.json"])
        tr["x-weightseal-revision"] = tr.get("x-weightseal-revision", 0) + 1
        self.target_data["trusted_root.json"] = json.dumps(tr, indent=2).encode()
        self.publish_targets()
        return f"targets {self.targets.signed.version} timestamp {self.timestamp.signed.version}"

    def cmd_rotate_root(self):
        old_signers = self.root_signers
        new_root_key = CryptoSigner.generate_ed25519()
        new_timestamp = CryptoSigner.generate_ecdsa()
        new = self.new_root()
        r = new.signed
        r.revoke_key(old_signers[0].public_key.keyid, Root.type)
        r.add_key(new_root_key.public_key, Root.type)
        r.revoke_key(self.timestamp_signer.public_key.keyid, Timestamp.type)
        r.add_key(new_timestamp.public_key, Timestamp.type)
        for s in old_signers + [new_root_key]:
            new.sign(s, append=True)
        self.root = new
        self.root_signers = [new_root_key, old_signers[1]]
        self.timestamp_signer = new_timestamp
        self.files[f"{r.version}.root.json"] = self.serialize(new)
        self.bump_timestamp()
        return f"root {r.version} timestamp {self.timestamp.signed.version}"

    def cmd_expire_timestamp(self):
        self.bump_timestamp(expires=PAST)
        return f"timestamp {self.timestamp.signed.version} expired {PAST.isoformat()}"

    def cmd_expire_root(self):
        new = self.new_root(expires=PAST)
        for s in self.root_signers:
            new.sign(s, append=True)
        self.root = new
        self.files[f"{new.signed.version}.root.json"] = self.serialize(new)
        return f"root {new.signed.version} expired"

    def cmd_rollback_timestamp(self):
        self.files["timestamp.json"] = self.first_timestamp
        return "timestamp 1"

    def cmd_rollback_snapshot(self):
        current = self.snapshot.signed.version
        older = json.loads(self.files[f"{current - 1}.snapshot.json"]) if current > 1 else None
        if older is None:
            return "ERR no older snapshot: publish first"
        self.snapshot = Metadata.from_bytes(self.files[f"{current - 1}.snapshot.json"])
        self.bump_timestamp()
        return f"timestamp {self.timestamp.signed.version} lists snapshot {current - 1}"

    def cmd_rollback_targets(self):
        s = self.snapshot.signed
        s.version += 1
        first = self.files["1.targets.json"]
        s.meta["targets.json"] = MetaFile(version=1, length=len(first), hashes={"sha256": hashlib.sha256(first).hexdigest()})
        self.sign_snapshot()
        self.bump_timestamp()
        return f"snapshot {s.version} lists targets 1"

    def cmd_mix_and_match(self):
        s = self.snapshot.signed
        s.version += 1
        good = self.sign_snapshot()
        self.bump_timestamp()
        # Another snapshot of the same version, validly signed, served under the name the timestamp lists.
        s.expires = s.expires + timedelta(seconds=1)
        self.sign_snapshot()
        assert self.files[f"{s.version}.snapshot.json"] != good
        return f"timestamp lists snapshot {s.version} with another hash"

    def cmd_mix_and_match_version(self):
        s = self.snapshot.signed
        old_version = s.version
        s.version += 1
        # The name the timestamp lists serves the snapshot of the old version.
        self.files[f"{s.version}.snapshot.json"] = self.files[f"{old_version}.snapshot.json"]
        self.bump_timestamp(hashes=False)
        return f"{s.version}.snapshot.json holds snapshot {old_version}"

    def cmd_bad_target_hash(self):
        name = "trusted_root.json"
        info = self.targets.signed.targets[name]
        path = f"targets/{info.hashes['sha256']}.{name}"
        data = bytearray(self.files[path])
        data[len(data) // 2] ^= 0x01
        self.files[path] = bytes(data)
        return "trusted_root.json altered"

    def cmd_bad_target_length(self):
        name = "trusted_root.json"
        info = self.targets.signed.targets[name]
        path = f"targets/{info.hashes['sha256']}.{name}"
        self.files[path] = self.files[path] + b"\n"
        return "trusted_root.json one byte longer"

    def cmd_bad_timestamp_signature(self):
        self.bump_timestamp(signer=CryptoSigner.generate_ecdsa())
        return f"timestamp {self.timestamp.signed.version} signed by an unknown key"

    def cmd_bad_root_signature(self):
        new_keys = [CryptoSigner.generate_ed25519(), CryptoSigner.generate_ecdsa()]
        new = self.new_root()
        r = new.signed
        for s in self.root_signers:
            r.revoke_key(s.public_key.keyid, Root.type)
        for s in new_keys:
            r.add_key(s.public_key, Root.type)
            new.sign(s, append=True)
        self.files[f"{r.version}.root.json"] = self.serialize(new)
        return f"root {r.version} signed by new keys only"

    def cmd_wrong_root_version(self):
        new = self.new_root()
        new.signed.version += 1
        for s in self.root_signers:
            new.sign(s, append=True)
        self.files[f"{self.root.signed.version + 1}.root.json"] = self.serialize(new)
        return f"{self.root.signed.version + 1}.root.json holds version {new.signed.version}"

    def apply(self, command):
        method = getattr(self, "cmd_" + command.replace("-", "_"), None)
        if method is None:
            return f"ERR unknown command {command}"
        result = method()
        return result if result.startswith("ERR") else "OK " + result


COMMANDS = [
    "publish", "rotate-root", "expire-timestamp", "expire-root", "rollback-timestamp", "rollback-snapshot",
    "rollback-targets", "mix-and-match", "mix-and-match-version", "bad-target-hash", "bad-target-length",
    "bad-timestamp-signature", "bad-root-signature", "wrong-root-version",
]


CANONICAL_INPUT = r"""{
  "z": 1, "a": [true, false, null, {}, [], ""],
  "\u00e9": "caf\u00e9 \ud83d\ude00 \uffff", "\ud83d\ude00": "astral", "\uffff": "bmp-last", "Z": "upper",
  "esc": "quote \" backslash \\ slash \/ nl \n tab \t cr \r bs \b ff \f nul \u0000 del \u007f",
  "numbers": [0, -0, -5, 7, 18446744073709551615, 123456789012345678901234567890, -123456789012345678901234567890],
  "nested": {"b": {"d": [1, {"f": 2, "e": 3}], "c": "x"}, "a": null},
  "": "empty name", "a b": 1, "a\tb": 2, "a\u0000": 3
}
"""


def make_repo(args):
    trusted_root = sigstore_store_file("trusted_root.json")
    signing_config = sigstore_store_file("signing_config.v0.2.json")
    if "--trusted-root" in args:
        with open(args[args.index("--trusted-root") + 1], "rb") as f:
            trusted_root = f.read()
    if "--signing-config" in args:
        with open(args[args.index("--signing-config") + 1], "rb") as f:
            signing_config = f.read()
    return Repo(trusted_root, signing_config)


def serve(directory, repo):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = self.path.split("?", 1)[0].lstrip("/")
            with lock:
                data = repo.files.get(path)
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    with open(os.path.join(directory, "root.json"), "wb") as f:
        f.write(repo.files["1.root.json"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if not command:
            continue
        with lock:
            try:
                answer = repo.apply(command)
            except Exception as e:  # the test reads the reason
                answer = f"ERR {command}: {e!r}"
        print(answer, flush=True)
    server.shutdown()


def vectors(out, repo):
    def write(folder, files):
        for path, data in files.items():
            p = os.path.join(out, folder, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)

    # Base: a first state, then a second release, so rollbacks have something to roll back to.
    repo.cmd_publish()
    write("base", repo.files)
    answers = {}
    for command in COMMANDS:
        r = repo.clone()
        before = dict(r.files)
        answers[command] = r.apply(command)
        changed = {p: d for p, d in r.files.items() if before.get(p) != d}
        write(command, changed)
    # Canonical JSON: tricky values, and what securesystemslib's encoder (what python-tuf signs) makes of them.
    from securesystemslib.formats import encode_canonical

    with open(os.path.join(out, "canonical-input.json"), "wb") as f:
        f.write(CANONICAL_INPUT.encode())
    with open(os.path.join(out, "canonical-expected.bin"), "wb") as f:
        f.write(encode_canonical(json.loads(CANONICAL_INPUT)).encode("utf-8"))
    with open(os.path.join(out, "commands.json"), "w") as f:
        json.dump(answers, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("serve", "vectors"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    if sys.argv[1] == "vectors":
        global FUTURE_DAYS
        FUTURE_DAYS = 3650  # committed vectors: tests pass their own clock
    repo = make_repo(sys.argv[3:])
    if sys.argv[1] == "serve":
        serve(sys.argv[2], repo)
    else:
        vectors(sys.argv[2], repo)


if __name__ == "__main__":
    main()
