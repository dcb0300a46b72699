#!/usr/bin/env python3
"""A local Sigstore stack for weightseal's keyless tests: OIDC issuer, Fulcio CA (with a CT log), Rekor v1 (and
optionally v2) and an RFC 3161 TSA, each on its own 127.0.0.1 port, speaking the real services' HTTP APIs.

    python sigstore_stack.py DIR [--identity EMAIL] [--identity-kind email|github] [--github-repository ORG/REPO]
                                 [--token-ttl SECONDS] [--rekor-v2] [--rekor-hostname NAME] [--no-tsa] [--seed TEXT]

Needs `cryptography` and `asn1crypto` (the python peer venv has both). Keys are fresh per run unless --seed is
given (then every key and the Rekor tree ID derive from it; the CA certificates are re-issued each run with the
same keys and names, new serials and validity). Prints nothing; errors go to stderr with exit status 2. Serves until SIGTERM or SIGINT.

Files written to DIR (`ready` last, atomically, once every server listens):
    token               a JWT (ES256) from the issuer: iss, aud "sigstore", sub, email + email_verified (email kind)
                        or GitHub Actions claims (github kind), iat, nbf, exp = iat + --token-ttl (default 3600;
                        negative = already expired)
    identity            the SAN Fulcio puts in certificates for that token (the email, or the workflow URI)
    issuer              the issuer URL (what the certificate's 1.3.6.1.4.1.57264.1.1 and .1.8 extensions hold)
    trust_config.json   ClientTrustConfig (application/vnd.dev.sigstore.clienttrustconfig.v0.1+json): trustedRoot
                        + signingConfig v0.2 (caUrls, oidcUrls, rekorTlogUrls, tsaUrls, selectors ANY)
    trusted_root.json   the trustedRoot alone (application/vnd.dev.sigstore.trustedroot+json;version=0.1)
    urls.json           {"oidc", "fulcio", "rekor", "rekorV2" (or null), "tsa"} base URLs
    ready               same content as urls.json

Flags:
    --identity EMAIL          email of the email-kind token (default signer@weightseal.test)
    --identity-kind github    GitHub-Actions-like token; Fulcio issues a URI SAN
                              https://github.com/ORG/REPO/.github/workflows/release.yml@refs/tags/v1.0 and the
                              GitHub extensions 1.3.6.1.4.1.57264.1.2-.6 (raw strings) and .1.9-.1.22 (UTF8String)
    --github-repository R     ORG/REPO of the github kind (default weightseal-test/model)
    --token-ttl SECONDS       token lifetime (default 3600); -60 writes a token that expired a minute ago
    --rekor-v2                also run a Rekor v2 log (own key and port); the signing config then lists it with
                              majorApiVersion 2 before the v1 log (as Sigstore's staging config does)
    --rekor-hostname NAME     the Rekor log's hostname in checkpoints (default: the host of its URL, 127.0.0.1)
    --no-tsa                  no TSA in the signing config nor the trusted root
    --seed TEXT               derive keys from TEXT (reproducible trust material across runs)

Endpoints (request and response shapes as the real services'):
  OIDC issuer
    GET  /.well-known/openid-configuration   {issuer, jwks_uri, authorization_endpoint, token_endpoint, ...}
    GET  /jwks                               {"keys": [{kty EC, crv P-256, x, y, kid, use sig, alg ES256}]}
    GET  /mint?ttl=S&aud=A&email=E           test helper (not OIDC): a fresh token as text, claims like DIR/token
  Fulcio (v2 API)
    POST /api/v2/signingCert                 {"credentials": {"oidcIdentityToken": T}} (or Authorization: Bearer T)
                                             + "publicKeyRequest": {"publicKey": {"algorithm", "content": PEM},
                                             "proofOfPossession": base64 signature over the identity claim}
                                             or "certificateSigningRequest": base64(PEM CSR)
                                             -> 201 {"signedCertificateEmbeddedSct": {"chain": {"certificates":
                                             [leaf PEM, intermediate PEM, root PEM]}}}
                                             401 {"code": 16, "message", "details": []} bad/expired token;
                                             400 {"code": 3, ...} bad request, proof of possession or CSR
    GET  /api/v2/trustBundle                 {"chains": [{"certificates": [intermediate PEM, root PEM]}]}
    GET  /api/v2/configuration               {"issuers": [{"issuerUrl", "audience", "challengeClaim"}]}
    Leaf: 10 minutes, empty subject, critical SAN, KU digitalSignature (critical), EKU codeSigning, SKI, AKI,
    1.3.6.1.4.1.57264.1.1 and .1.8 (issuer), embedded SCT (RFC 6962 precertificate flow, a CT log key of the
    trusted root's ctlogs). Chain: P-256 root "weightseal-test-fulcio" -> intermediate -> leaf.
  Rekor v1
    POST /api/v1/log/entries                 proposed hashedrekord 0.0.1 {"kind","apiVersion","spec":{"data":{"hash":
                                             {"algorithm","value"}},"signature":{"content","publicKey":{"content"}}}}
                                             or dsse 0.0.1 {"spec":{"proposedContent":{"envelope": JSON text,
                                             "verifiers": [base64 PEM]}}}
                                             -> 201 {UUID: {"body", "integratedTime", "logID", "logIndex",
                                             "verification": {"inclusionProof": {"checkpoint", "hashes", "logIndex",
                                             "rootHash", "treeSize"}, "signedEntryTimestamp"}}}, ETag + Location
                                             409 {"code": 409, "message"} + Location for a duplicate (as Rekor:
                                             the error, not the entry; GET the Location for the entry)
                                             400 {"code": 400, "message"} when the entry does not verify
    GET  /api/v1/log                         {"rootHash", "signedTreeHead", "treeID", "treeSize"}
    GET  /api/v1/log/publicKey               PEM
    GET  /api/v1/log/entries?logIndex=N      {UUID: entry} (proof against the current tree)
    GET  /api/v1/log/entries/UUID            {UUID: entry} (UUID = 16 hex tree ID + 64 hex leaf hash, or leaf hash)
    POST /api/v1/log/entries/retrieve        {"entryUUIDs"|"logIndexes"|"entries": [...]} -> [{UUID: entry}, ...]
    GET  /api/v1/log/proof?firstSize=&lastSize=   {"hashes", "rootHash"} (RFC 6962 consistency proof)
    Stored body = RFC 8785 JSON of the canonical entry exactly as Rekor (pkg/types/*/v0.0.1) stores it; leaf hash
    SHA-256(0x00 || body); SET = ECDSA over JCS {body, integratedTime, logID, logIndex}; checkpoint = signed note
    "<hostname> - <treeID>\\n<size>\\n<base64 root>\\nTimestamp: <ns>\\n\\n— <hostname> <base64(keyhint || sig)>\\n".
  Rekor v2 (--rekor-v2; rekor-tiles API)
    POST /api/v2/log/entries                 {"hashedRekordRequestV002": {"digest", "signature": {"content",
                                             "verifier": {"x509Certificate"|"publicKey": {"rawBytes"},
                                             "keyDetails"}}}} or {"dsseRequestV002": {"envelope", "verifiers"}}
                                             -> 201 TransparencyLogEntry (protobuf JSON: logIndex, logId,
                                             kindVersion hashedrekord|dsse 0.0.2, inclusionProof with checkpoint,
                                             canonicalizedBody; integratedTime "0", inclusionPromise null)
    GET  /api/v2/checkpoint                  the current checkpoint note
  TSA
    POST /api/v1/timestamp                   application/timestamp-query -> application/timestamp-reply
                                             (granted; TSTInfo policy 1.3.6.1.4.1.57264.2, imprint as asked, serial,
                                             genTime, accuracy 1 s, nonce if asked, tsa name; SignedData with
                                             contentType, signingTime, messageDigest, signingCertificateV2;
                                             certificates when certReq); leaf with critical EKU timeStamping -> root
    GET  /api/v1/timestamp/certchain         PEM chain (leaf, root)
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import secrets
import signal
import struct
import sys
import threading
import time
import urllib.parse

from asn1crypto import algos as a_algos
from asn1crypto import cms as a_cms
from asn1crypto import core as a_core
from asn1crypto import tsp as a_tsp
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_BODY = 4 * 1024 * 1024
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
OID_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"
OID_POISON = "1.3.6.1.4.1.11129.2.4.3"
TSA_POLICY = "1.3.6.1.4.1.57264.2"
GITHUB = "https://github.com/"


# ---------------------------------------------------------------------------------------------------------------
# Encoding helpers

def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    """Standard or URL-safe base64, padded or not (Go's DSSE decoder accepts both)."""
    if isinstance(text, str):
        text = text.encode()
    text = text.strip()
    text += b"=" * (-len(text) % 4)
    if b"-" in text or b"_" in text:
        return base64.urlsafe_b64decode(text)
    return base64.b64decode(text, validate=True)


def jcs(obj):
    """RFC 8785 for the values used here (strings, integers, lists, objects with ASCII keys)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def der_utf8(text):
    return a_core.UTF8String(text).dump()


def spki_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def pem_of(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Keys:
    """P-256 keys: fresh, or derived from --seed."""

    def __init__(self, seed):
        self.seed = seed

    def new(self, label):
        if self.seed is None:
            return ec.generate_private_key(ec.SECP256R1())
        d = int.from_bytes(hashlib.sha256(f"{self.seed}/{label}".encode()).digest(), "big") % (P256_ORDER - 1) + 1
        return ec.derive_private_key(d, ec.SECP256R1())

    def number(self, label, bits):
        if self.seed is None:
            return secrets.randbits(bits)
        return int.from_bytes(hashlib.sha256(f"{self.seed}/{label}".encode()).digest(), "big") >> (256 - bits)


# ---------------------------------------------------------------------------------------------------------------
# Certificates

def ca_certificate(name, key, issuer_cert, issuer_key, not_before, years, path_length, eku=None):
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "weightseal.test"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_before + datetime.timedelta(days=365 * years))
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if issuer_cert:
        builder = builder.add_extension(authority_key_id(issuer_cert), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def authority_key_id(issuer_cert):
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


# ---------------------------------------------------------------------------------------------------------------
# Merkle tree (RFC 6962 §2.1 / RFC 9162 §2.1)

def leaf_hash(body):
    return hashlib.sha256(b"\x00" + body).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n):
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def tree_root(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def inclusion_path(index, leaves):
    if len(leaves) <= 1:
        return []
    k = split_point(len(leaves))
    if index < k:
        return inclusion_path(index, leaves[:k]) + [tree_root(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [tree_root(leaves[:k])]


def consistency_path(m, leaves, complete=True):
    n = len(leaves)
    if m == n:
        return [] if complete else [tree_root(leaves)]
    k = split_point(n)
    if m <= k:
        return consistency_path(m, leaves[:k], complete) + [tree_root(leaves[k:])]
    return consistency_path(m - k, leaves[k:], False) + [tree_root(leaves[:k])]


# ---------------------------------------------------------------------------------------------------------------
# Errors the handlers turn into responses

class HTTPError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def grpc_error(status, code, message):
    """grpc-gateway's error body (Fulcio, Rekor v2)."""
    return HTTPError(status, {"code": code, "message": message, "details": []})


def rekor_error(status, message, headers=None):
    """go-swagger's error body (Rekor v1)."""
    return HTTPError(status, {"code": status, "message": message}, headers)


# ---------------------------------------------------------------------------------------------------------------
# Signature checks shared by Fulcio and Rekor

def verify_signature(public_key, signature, data=None, digest=None, algorithm=None):
    """True when `signature` is valid over `data` (or over the prehashed `digest`), SHA-256 unless `algorithm`."""
    algorithm = algorithm or hashes.SHA256()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if digest is not None:
                public_key.verify(signature, digest, ec.ECDSA(Prehashed(algorithm)))
            else:
                public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            if digest is not None:
                public_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(algorithm))
            else:
                public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            if digest is not None:
                return False
            public_key.verify(signature, data)
        else:
            return False
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def dsse_pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def load_pem_verifier(pem_bytes):
    """Rekor's x509.NewPublicKey: a PEM certificate or public key. Returns (public key, canonical PEM bytes)."""
    text = pem_bytes.decode("utf-8", "strict")
    if "-----BEGIN CERTIFICATE-----" in text:
        cert = x509.load_pem_x509_certificate(pem_bytes)
        return cert.public_key(), cert.public_bytes(serialization.Encoding.PEM)
    key = serialization.load_pem_public_key(pem_bytes)
    return key, key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------------------------------------------------------------------------------------------------------------
# The OIDC issuer

class Issuer:
    def __init__(self, keys, args):
        self.key = keys.new("oidc")
        self.kid = hashlib.sha256(spki_der(self.key.public_key())).hexdigest()[:16]
        self.url = None  # set once the server listens
        self.args = args

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")), "kid": self.kid, "use": "sig", "alg": "ES256"}

    def discovery(self):
        u = self.url
        return {"issuer": u, "jwks_uri": u + "/jwks", "authorization_endpoint": u + "/auth",
                "token_endpoint": u + "/token", "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["ES256"],
                "scopes_supported": ["openid", "email"],
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "email", "email_verified"]}

    def github(self):
        repo = self.args.github_repository
        owner = repo.split("/")[0]
        ref = "refs/tags/v1.0"
        workflow_ref = f"{repo}/.github/workflows/release.yml@{ref}"
        sha = hashlib.sha1(repo.encode()).hexdigest()
        return {"sub": f"repo:{repo}:ref:{ref}", "ref": ref, "ref_type": "tag", "sha": sha, "repository": repo,
                "repository_id": "123456789", "repository_owner": owner, "repository_owner_id": "987654321",
                "repository_visibility": "public", "run_id": "1234567890", "run_number": "7", "run_attempt": "1",
                "actor": "weightseal-bot", "actor_id": "4242", "workflow": "Release", "workflow_ref": workflow_ref,
                "workflow_sha": sha, "job_workflow_ref": workflow_ref, "job_workflow_sha": sha, "event_name": "push",
                "runner_environment": "github-hosted", "head_ref": "", "base_ref": ""}

    def mint(self, ttl=None, audience="sigstore", email=None):
        now = int(time.time())
        ttl = self.args.token_ttl if ttl is None else ttl
        claims = {"iss": self.url, "aud": audience, "iat": min(now, now + ttl - 60), "exp": now + ttl,
                  "jti": secrets.token_hex(8)}
        claims["nbf"] = claims["iat"]
        if self.args.identity_kind == "github":
            claims.update(self.github())
        else:
            claims.update({"sub": "weightseal-test-subject", "email": email or self.args.identity,
                           "email_verified": True})
        header = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        signing_input = b64url(jcs(header)) + "." + b64url(jcs(claims))
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def identity(self):
        if self.args.identity_kind == "github":
            return GITHUB + self.github()["job_workflow_ref"]
        return self.args.identity

    def verify(self, token):
        """The token's claims when its signature, issuer, audience and times hold; raises HTTPError 401."""
        def refuse(why):
            raise grpc_error(401, 16, "There was an error processing the identity token")
        try:
            head, body, sig = token.split(".")
            header = json.loads(unb64(head))
            claims = json.loads(unb64(body))
            raw = unb64(sig)
        except Exception:
            refuse("malformed")
        if header.get("alg") != "ES256" or len(raw) != 64:
            refuse("algorithm")
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        if not verify_signature(self.key.public_key(), der, data=f"{head}.{body}".encode()):
            refuse("signature")
        if claims.get("iss") != self.url:
            refuse("issuer")
        aud = claims.get("aud")
        if "sigstore" not in (aud if isinstance(aud, list) else [aud]):
            refuse("audience")
        now = time.time()
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            refuse("expired")
        if isinstance(claims.get("nbf"), int) and claims["nbf"] > now + 300:
            refuse("not yet valid")
        if self.args.identity_kind != "github" and claims.get("email_verified") is not True:
            refuse("email not verified")
        return claims


# ---------------------------------------------------------------------------------------------------------------
# Fulcio and its CT log

class CTLog:
    def __init__(self, keys):
        self.key = keys.new("ctlog")
        self.log_id = hashlib.sha256(spki_der(self.key.public_key())).digest()

    def sign_precertificate(self, precert, issuer_key_hash):
        """RFC 6962 §3.2: an SCT v1 over the precertificate's TBSCertificate without the poison extension."""
        tbs = a_x509.TbsCertificate.load(precert.tbs_certificate_bytes)
        kept = [e for e in tbs["extensions"] if e["extn_id"].dotted != OID_POISON]
        tbs["extensions"] = a_x509.Extensions(kept)
        tbs_der = tbs.dump()
        timestamp = int(time.time() * 1000)
        extensions = b""
        signed = (struct.pack(">BBQH", 0, 0, timestamp, 1) + issuer_key_hash + len(tbs_der).to_bytes(3, "big")
                  + tbs_der + struct.pack(">H", len(extensions)) + extensions)
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        # version v1, log id, timestamp, extensions, digitally-signed (hash sha256 = 4, signature ecdsa = 3)
        return (b"\x00" + self.log_id + struct.pack(">QH", timestamp, len(extensions)) + extensions
                + bytes([4, 3]) + struct.pack(">H", len(signature)) + signature)


class Fulcio:
    def __init__(self, keys, issuer, ctlog, start):
        self.issuer = issuer
        self.ctlog = ctlog
        self.root_key = keys.new("fulcio-root")
        self.intermediate_key = keys.new("fulcio-intermediate")
        self.root = ca_certificate("weightseal-test-fulcio", self.root_key, None, None, start, 10, 1)
        # Real Fulcio intermediates list codeSigning too; verifiers accept that.
        self.intermediate = ca_certificate("weightseal-test-fulcio-intermediate", self.intermediate_key, self.root,
                                           self.root_key, start, 10, 0, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
        self.issuer_key_hash = hashlib.sha256(spki_der(self.intermediate.public_key())).digest()

    def signing_cert(self, request, authorization):
        if not isinstance(request, dict):
            raise grpc_error(400, 3, "The request body is not a JSON object")
        token = None
        creds = request.get("credentials")
        if isinstance(creds, dict) and isinstance(creds.get("oidcIdentityToken"), str):
            token = creds["oidcIdentityToken"]
        elif authorization and authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
        if not token:
            raise grpc_error(401, 16, "There was an error processing the identity token")
        claims = self.issuer.verify(token)
        github = self.issuer.args.identity_kind == "github"
        challenge = claims.get("sub") if github else claims.get("email")
        if not isinstance(challenge, str) or not challenge:
            raise grpc_error(401, 16, "There was an error processing the identity token")

        pkr, csr_text = request.get("publicKeyRequest"), request.get("certificateSigningRequest")
        if (pkr is None) == (csr_text is None):
            raise grpc_error(400, 3, "Exactly one of publicKeyRequest or certificateSigningRequest is required")
        if csr_text is not None:
            try:
                raw = unb64(csr_text)
                csr = (x509.load_pem_x509_csr(raw) if b"-----BEGIN" in raw else x509.load_der_x509_csr(raw))
            except Exception:
                raise grpc_error(400, 3, "The certificate signing request could not be parsed")
            if not csr.is_signature_valid:
                raise grpc_error(400, 3, "The signature supplied in the request could not be verified")
            public_key = csr.public_key()
        else:
            try:
                content = pkr["publicKey"]["content"]
                proof = unb64(pkr["proofOfPossession"])
            except Exception:
                raise grpc_error(400, 3, "The public key supplied in the request could not be parsed")
            try:
                public_key = serialization.load_pem_public_key(content.encode())
            except Exception:
                try:
                    public_key = serialization.load_der_public_key(unb64(content))
                except Exception:
                    raise grpc_error(400, 3, "The public key supplied in the request could not be parsed")
            if not verify_signature(public_key, proof, data=challenge.encode()):
                raise grpc_error(400, 3, "The signature supplied in the request could not be verified")
        if not isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
            raise grpc_error(400, 3, "The public key supplied in the request is insecure")
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < 2048:
            raise grpc_error(400, 3, "The public key supplied in the request is insecure")
        leaf = self.issue(public_key, claims, github)
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": [
            pem_of(leaf), pem_of(self.intermediate), pem_of(self.root)]}}}

    def issue(self, public_key, claims, github):
        issuer_url = claims["iss"]
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        if github:
            san = x509.UniformResourceIdentifier(GITHUB + claims["job_workflow_ref"])
        else:
            san = x509.RFC822Name(claims["email"])
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([]))
                   .issuer_name(self.intermediate.subject)
                   .public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(minutes=10))
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                key_cert_sign=False, crl_sign=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                   .add_extension(authority_key_id(self.intermediate), critical=False)
                   .add_extension(x509.SubjectAlternativeName([san]), critical=True))
        for oid, value in self.extensions(issuer_url, claims, github):
            builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value),
                                            critical=False)
        precert = builder.add_extension(x509.PrecertPoison(), critical=True).sign(self.intermediate_key,
                                                                                 hashes.SHA256())
        sct = self.ctlog.sign_precertificate(precert, self.issuer_key_hash)
        sct_list = struct.pack(">H", len(sct)) + sct
        value = a_core.OctetString(struct.pack(">H", len(sct_list)) + sct_list).dump()
        return builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(OID_SCT_LIST), value),
                                     critical=False).sign(self.intermediate_key, hashes.SHA256())

    @staticmethod
    def extensions(issuer_url, claims, github):
        """Fulcio's extensions (docs/oid-info.md): .1-.6 hold raw strings (deprecated), .8 and later UTF8String."""
        out = [(OID_ISSUER_V1, issuer_url.encode())]
        if github:
            c = claims
            out += [("1.3.6.1.4.1.57264.1.2", c["event_name"].encode()),
                    ("1.3.6.1.4.1.57264.1.3", c["sha"].encode()),
                    ("1.3.6.1.4.1.57264.1.4", c["workflow"].encode()),
                    ("1.3.6.1.4.1.57264.1.5", c["repository"].encode()),
                    ("1.3.6.1.4.1.57264.1.6", c["ref"].encode())]
        out.append((OID_ISSUER_V2, der_utf8(issuer_url)))
        if github:
            c = claims
            run = f"{GITHUB}{c['repository']}/actions/runs/{c['run_id']}/attempts/{c['run_attempt']}"
            for n, v in [(9, GITHUB + c["job_workflow_ref"]), (10, c["job_workflow_sha"]),
                         (11, c["runner_environment"]), (12, GITHUB + c["repository"]), (13, c["sha"]),
                         (14, c["ref"]), (15, c["repository_id"]), (16, GITHUB + c["repository_owner"]),
                         (17, c["repository_owner_id"]), (18, GITHUB + c["workflow_ref"]), (19, c["workflow_sha"]),
                         (20, c["event_name"]), (21, run), (22, c["repository_visibility"])]:
                out.append((f"1.3.6.1.4.1.57264.1.{n}", der_utf8(v)))
        return out


# ---------------------------------------------------------------------------------------------------------------
# Rekor

class Log:
    """One append-only log: leaves, entries and a signing key. Thread-safe."""

    def __init__(self, key, hostname):
        self.key = key
        self.hostname = hostname
        self.spki = spki_der(key.public_key())
        self.log_id = hashlib.sha256(self.spki).digest()
        self.leaves = []
        self.entries = []
        self.by_leaf = {}
        self.lock = threading.Lock()

    def sign(self, data):
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def note(self, text):
        signature = self.log_id[:4] + self.sign(text.encode())
        return text + "\n" + f"\u2014 {self.hostname} {b64(signature)}\n"

    def append(self, body, make_entry):
        """Appends `body` unless present. Returns (entry, index, created)."""
        h = leaf_hash(body)
        with self.lock:
            if h in self.by_leaf:
                i = self.by_leaf[h]
                return self.entries[i], i, False
            i = len(self.leaves)
            entry = make_entry(i)
            self.leaves.append(h)
            self.entries.append(entry)
            self.by_leaf[h] = i
            return entry, i, True

    def snapshot(self):
        with self.lock:
            return list(self.leaves)


class RekorV1:
    def __init__(self, keys, hostname):
        self.log = Log(keys.new("rekor-v1"), hostname)
        self.tree_id = keys.number("rekor-tree-id", 62) or 1

    def checkpoint(self, size, root):
        origin = f"{self.log.hostname} - {self.tree_id}"
        return self.log.note(f"{origin}\n{size}\n{b64(root)}\nTimestamp: {time.time_ns()}\n")

    def uuid(self, leaf):
        return f"{self.tree_id:016x}{leaf.hex()}"

    # Canonicalization as rekor pkg/types/*/v0.0.1: verify, then build the stored body.
    def canonicalize(self, proposed):
        if not isinstance(proposed, dict):
            raise rekor_error(400, "the proposed entry is not a JSON object")
        kind, version, spec = proposed.get("kind"), proposed.get("apiVersion"), proposed.get("spec")
        if not isinstance(spec, dict):
            raise rekor_error(400, "the proposed entry has no spec")
        if kind == "hashedrekord" and version == "0.0.1":
            return self.hashedrekord(spec)
        if kind == "dsse" and version == "0.0.1":
            return self.dsse(spec)
        raise rekor_error(400, f"entry kind {kind!r} version {version!r} is not supported by this log")

    @staticmethod
    def hashedrekord(spec):
        try:
            signature = unb64(spec["signature"]["content"])
            key_pem = unb64(spec["signature"]["publicKey"]["content"])
            algorithm = spec["data"]["hash"]["algorithm"]
            value = spec["data"]["hash"]["value"]
        except Exception:
            raise rekor_error(400, "validation failure: missing signature, public key or hash")
        sizes = {"sha256": (64, hashes.SHA256()), "sha384": (96, hashes.SHA384()), "sha512": (128, hashes.SHA512())}
        if algorithm not in sizes or not isinstance(value, str) or len(value) != sizes[algorithm][0] \
                or any(c not in "0123456789abcdef" for c in value):
            raise rekor_error(400, "validation failure: invalid value for hash")
        try:
            public_key, canonical_pem = load_pem_verifier(key_pem)
        except Exception:
            raise rekor_error(400, "validation failure: the public key is not a PEM certificate or public key")
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            raise rekor_error(400, "validation failure: ed25519 unsupported for hashedrekord")
        if not verify_signature(public_key, signature, digest=bytes.fromhex(value), algorithm=sizes[algorithm][1]):
            raise rekor_error(400, "validation failure: verifying signature: invalid signature")
        return {"apiVersion": "0.0.1", "kind": "hashedrekord",
                "spec": {"data": {"hash": {"algorithm": algorithm, "value": value}},
                         "signature": {"content": b64(signature), "publicKey": {"content": b64(canonical_pem)}}}}

    @staticmethod
    def dsse(spec):
        proposed = spec.get("proposedContent")
        if not isinstance(proposed, dict) or any(spec.get(k) for k in ("envelopeHash", "payloadHash", "signatures")):
            raise rekor_error(400, "either proposedContent or envelopeHash, payloadHash, and signatures must be "
                                   "present but not both")
        try:
            envelope_text = proposed["envelope"]
            envelope = json.loads(envelope_text)
            payload = unb64(envelope["payload"])
            payload_type = envelope["payloadType"]
            sigs = [s["sig"] for s in envelope["signatures"]]
            verifiers = [load_pem_verifier(unb64(v)) for v in proposed["verifiers"]]
        except Exception:
            raise rekor_error(400, "validation failure: the DSSE envelope or its verifiers cannot be read")
        if not sigs or not verifiers:
            raise rekor_error(400, "DSSE envelope must contain 1 or more signatures")
        pae = dsse_pae(payload_type, payload)
        by_sig = {}
        for sig in sigs:
            for public_key, canonical_pem in verifiers:
                try:
                    raw = unb64(sig)
                except Exception:
                    raw = b""
                if verify_signature(public_key, raw, data=pae):
                    by_sig[sig] = canonical_pem
                    break
            else:
                raise rekor_error(400, "all signatures must have a key that verifies it")
        return {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(envelope_text.encode()).hexdigest()},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": s, "verifier": b64(by_sig[s])} for s in sorted(by_sig)]}}

    def create(self, proposed):
        body = jcs(self.canonicalize(proposed))

        def make(index):
            t = int(time.time())
            set_payload = jcs({"body": b64(body), "integratedTime": t, "logID": self.log.log_id.hex(),
                               "logIndex": index})
            return {"body": body, "integratedTime": t, "set": b64(self.log.sign(set_payload))}

        entry, index, created = self.log.append(body, make)
        uuid = self.uuid(leaf_hash(body))
        if not created:
            raise rekor_error(409, f"An equivalent entry already exists in the transparency log with UUID {uuid}",
                              {"Location": f"/api/v1/log/entries/{uuid}"})
        return uuid, self.render(index)

    def render(self, index):
        leaves = self.log.snapshot()
        entry = self.log.entries[index]
        root = tree_root(leaves)
        return {self.uuid(leaves[index]): {
            "body": b64(entry["body"]), "integratedTime": entry["integratedTime"],
            "logID": self.log.log_id.hex(), "logIndex": index,
            "verification": {
                "inclusionProof": {"checkpoint": self.checkpoint(len(leaves), root),
                                   "hashes": [h.hex() for h in inclusion_path(index, leaves)],
                                   "logIndex": index, "rootHash": root.hex(), "treeSize": len(leaves)},
                "signedEntryTimestamp": entry["set"]}}}

    def find(self, uuid):
        uuid = uuid.lower()
        if len(uuid) == 80:
            if uuid[:16] != f"{self.tree_id:016x}":
                return None
            uuid = uuid[16:]
        try:
            return self.log.by_leaf.get(bytes.fromhex(uuid))
        except ValueError:
            return None

    def info(self):
        leaves = self.log.snapshot()
        root = tree_root(leaves)
        return {"rootHash": root.hex(), "signedTreeHead": self.checkpoint(len(leaves), root),
                "treeID": str(self.tree_id), "treeSize": len(leaves)}


class RekorV2:
    """rekor-tiles: hashedrekord/dsse 0.0.2 entries, protobuf-JSON TransparencyLogEntry responses."""

    def __init__(self, keys, hostname):
        self.log = Log(keys.new("rekor-v2"), hostname)

    @staticmethod
    def field(obj, camel, snake):
        return obj.get(camel, obj.get(snake)) if isinstance(obj, dict) else None

    def verifier(self, v):
        """(public key, verifier as the log stores it) from a protobuf Verifier."""
        if not isinstance(v, dict):
            raise grpc_error(400, 3, "missing verifier")
        cert = self.field(v, "x509Certificate", "x509_certificate")
        key = self.field(v, "publicKey", "public_key")
        details = self.field(v, "keyDetails", "key_details")
        if not isinstance(details, str) or not details:
            raise grpc_error(400, 3, "missing key details")
        try:
            if cert is not None:
                raw = unb64(self.field(cert, "rawBytes", "raw_bytes"))
                public_key = x509.load_der_x509_certificate(raw).public_key()
                stored = {"keyDetails": details, "x509Certificate": {"rawBytes": b64(raw)}}
            elif key is not None:
                raw = unb64(self.field(key, "rawBytes", "raw_bytes"))
                public_key = serialization.load_der_public_key(raw)
                stored = {"keyDetails": details, "publicKey": {"rawBytes": b64(raw)}}
            else:
                raise ValueError
        except Exception:
            raise grpc_error(400, 3, "invalid verifier: must contain a DER public key or X.509 certificate")
        return public_key, stored

    def canonicalize(self, request):
        if not isinstance(request, dict):
            raise grpc_error(400, 3, "invalid type, must be either hashedrekord or dsse")
        hr = self.field(request, "hashedRekordRequestV002", "hashed_rekord_request_v002")
        ds = self.field(request, "dsseRequestV002", "dsse_request_v002")
        if hr is not None:
            try:
                digest = unb64(hr["digest"])
                sig = hr["signature"]
                content = unb64(sig["content"])
            except Exception:
                raise grpc_error(400, 3, "invalid hashedrekord request")
            public_key, stored = self.verifier(sig.get("verifier"))
            if not digest or not verify_signature(public_key, content, digest=digest):
                raise grpc_error(400, 3, "invalid hashedrekord request")
            return "hashedrekord", {"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": b64(digest)},
                "signature": {"content": b64(content), "verifier": stored}}}}
        if ds is not None:
            try:
                env = ds["envelope"]
                payload = unb64(env["payload"])
                payload_type = self.field(env, "payloadType", "payload_type")
                sigs = [unb64(s["sig"]) for s in env["signatures"]]
                verifiers = [self.verifier(v) for v in ds["verifiers"]]
            except HTTPError:
                raise
            except Exception:
                raise grpc_error(400, 3, "invalid dsse request")
            if not sigs or not verifiers or not isinstance(payload_type, str):
                raise grpc_error(400, 3, "invalid dsse request")
            pae = dsse_pae(payload_type, payload)
            logged = []
            for raw in sigs:
                match = [stored for key, stored in verifiers if verify_signature(key, raw, data=pae)]
                if not match:
                    raise grpc_error(400, 3, "invalid dsse request")
                logged.append({"content": b64(raw), "verifier": match[0]})
            return "dsse", {"apiVersion": "0.0.2", "kind": "dsse", "spec": {"dsseV002": {
                "payloadHash": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(payload).digest())},
                "signatures": logged}}}
        raise grpc_error(400, 3, "invalid type, must be either hashedrekord or dsse")

    def checkpoint(self, size, root):
        return self.log.note(f"{self.log.hostname}\n{size}\n{b64(root)}\n")

    def create(self, request):
        kind, entry = self.canonicalize(request)
        body = jcs(entry)
        _, index, created = self.log.append(body, lambda i: {"body": body, "kind": kind})
        if not created:
            raise grpc_error(409, 6, f"an equivalent entry already exists in the log at index {index}")
        leaves = self.log.snapshot()
        root = tree_root(leaves)
        # protobuf JSON as rekor-tiles' gateway writes it (EmitUnpopulated): int64 as strings, zero values and
        # unset messages present (integratedTime "0", inclusionPromise null).
        proof = {"logIndex": str(index), "rootHash": b64(root), "treeSize": str(len(leaves)),
                 "hashes": [b64(h) for h in inclusion_path(index, leaves)],
                 "checkpoint": {"envelope": self.checkpoint(len(leaves), root)}}
        tle = {"logIndex": str(index), "logId": {"keyId": b64(self.log.log_id)},
               "kindVersion": {"kind": kind, "version": "0.0.2"}, "integratedTime": "0", "inclusionPromise": None,
               "inclusionProof": proof, "canonicalizedBody": b64(body)}
        return tle


# ---------------------------------------------------------------------------------------------------------------
# TSA (RFC 3161, as sigstore/timestamp-authority answers)

class TSA:
    def __init__(self, keys, start):
        self.root_key = keys.new("tsa-root")
        self.key = keys.new("tsa-leaf")
        self.root = ca_certificate("weightseal-test-tsa-root", self.root_key, None, None, start, 10, 0)
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "weightseal.test"),
                             x509.NameAttribute(NameOID.COMMON_NAME, "weightseal-test-tsa")])
        self.leaf = (x509.CertificateBuilder()
                     .subject_name(subject).issuer_name(self.root.subject).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=365 * 5))
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False,
                                                  key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
                     .add_extension(authority_key_id(self.root), critical=False)
                     .sign(self.root_key, hashes.SHA256()))

    def chain_pem(self):
        return pem_of(self.leaf) + pem_of(self.root)

    def timestamp(self, der):
        try:
            request = a_tsp.TimeStampReq.load(der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            _ = request.native  # parse every field now: a malformed request is a 400, not a crash later
        except Exception:
            raise HTTPError(400, "error parsing timestamp request: malformed TimeStampReq")
        sizes = {"sha256": 32, "sha384": 48, "sha512": 64}
        if algorithm not in sizes or len(hashed) != sizes[algorithm]:
            raise HTTPError(400, f"error parsing timestamp request: unsupported hash algorithm {algorithm}")
        serial = secrets.randbits(159)  # like the real TSA's 160-bit random serials, kept positive
        gen_time = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        info = {"version": "v1", "policy": TSA_POLICY,
                "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": hashed},
                "serial_number": serial, "gen_time": gen_time, "accuracy": {"seconds": 1}, "ordering": False,
                "tsa": a_x509.GeneralName(name="directory_name", value=a_x509.Name.load(
                    self.leaf.subject.public_bytes()))}
        if nonce is not None:
            info["nonce"] = nonce
        tst_der = a_tsp.TSTInfo(info).dump()

        leaf = a_x509.Certificate.load(self.leaf.public_bytes(serialization.Encoding.DER))
        root = a_x509.Certificate.load(self.root.public_bytes(serialization.Encoding.DER))
        ess = a_tsp.SigningCertificateV2({"certs": [{
            "cert_hash": hashlib.sha256(leaf.dump()).digest(),
            "issuer_serial": {"issuer": [a_x509.GeneralName(name="directory_name", value=leaf.issuer)],
                              "serial_number": leaf.serial_number}}]})
        attributes = [
            a_cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            a_cms.CMSAttribute({"type": "signing_time", "values": [a_cms.Time(name="utc_time", value=gen_time)]}),
            a_cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}),
            a_cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
        # DER SET OF: elements in the order of their encodings (OpenSSL re-encodes before verifying).
        attributes.sort(key=lambda a: a.dump())
        signed_attrs = a_cms.CMSAttributes(attributes)
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = a_cms.SignerInfo({
            "version": "v1",
            "sid": a_cms.SignerIdentifier(name="issuer_and_serial_number", value={
                "issuer": leaf.issuer, "serial_number": leaf.serial_number}),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        })
        signed_data = {
            "version": "v3",
            "digest_algorithms": [a_algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": a_core.ParsableOctetString(tst_der)},
            "signer_infos": [signer],
        }
        if cert_req:
            signed_data["certificates"] = [leaf, root]
        token = a_cms.ContentInfo({"content_type": "signed_data", "content": a_cms.SignedData(signed_data)})
        return a_tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


# ---------------------------------------------------------------------------------------------------------------
# HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes = {}  # set per server class: {(method, path): function(handler, query, body) -> (status, body, headers)}

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        content_type = "application/json"
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, bytes):
            data = body
            content_type = "application/octet-stream"
        else:
            data = str(body).encode()
            content_type = "text/plain; charset=utf-8"
        headers = dict(headers or {})
        content_type = headers.pop("Content-Type", content_type)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        """The request body: Content-Length or chunked transfer coding, at most MAX_BODY bytes."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline(100).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                if len(body) + size > MAX_BODY:
                    raise ValueError("request body too large")
                body += self.rfile.read(size)
                self.rfile.readline(10)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            body = self.read_body()
        except ValueError as e:
            self.close_connection = True
            return self.reply(413 if "large" in str(e) else 400, {"code": 400, "message": str(e)})
        route = None
        for (m, prefix), fn in self.routes.items():
            if m == method and (url.path == prefix or (prefix.endswith("/") and url.path.startswith(prefix))):
                if route is None or len(prefix) > len(route[0]):
                    route = (prefix, fn)
        if route is None:
            return self.reply(404, {"code": 404, "message": f"no route for {method} {url.path}"})
        try:
            status, payload, headers = route[1](self, url.path, query, body)
            self.reply(status, payload, headers)
        except HTTPError as e:
            self.reply(e.status, e.body, e.headers)
        except Exception as e:  # a bug here must not kill the server; the client sees a 500
            self.reply(500, {"code": 500, "message": f"internal error: {type(e).__name__}: {e}"})

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")


def json_body(body, error):
    try:
        return json.loads(body)
    except Exception:
        raise error


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not worth a traceback on stderr


def serve(routes):
    handler = type("H", (Handler,), {"routes": routes})
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_file(directory, name, text):
    path = os.path.join(directory, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description="local Sigstore stack for tests")
    p.add_argument("dir")
    p.add_argument("--identity", default="signer@weightseal.test")
    p.add_argument("--identity-kind", choices=["email", "github"], default="email")
    p.add_argument("--github-repository", default="weightseal-test/model")
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--rekor-v2", action="store_true")
    p.add_argument("--rekor-hostname")
    p.add_argument("--no-tsa", action="store_true")
    p.add_argument("--seed")
    args = p.parse_args()
    if args.github_repository.count("/") != 1:
        p.error("--github-repository must be ORG/REPO")
    os.makedirs(args.dir, exist_ok=True)
    keys = Keys(args.seed)
    start = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)).replace(microsecond=0)

    issuer = Issuer(keys, args)
    ctlog = CTLog(keys)
    fulcio = Fulcio(keys, issuer, ctlog, start)
    tsa = TSA(keys, start)
    hostname = args.rekor_hostname or "127.0.0.1"
    rekor = RekorV1(keys, hostname)
    rekor2 = RekorV2(keys, hostname) if args.rekor_v2 else None

    def ok(payload, status=200, headers=None):
        return status, payload, headers or {}

    oidc_server, issuer.url = serve({
        ("GET", "/.well-known/openid-configuration"): lambda h, path, q, b: ok(issuer.discovery()),
        ("GET", "/jwks"): lambda h, path, q, b: ok({"keys": [issuer.jwk()]}),
        ("GET", "/mint"): lambda h, path, q, b: ok(issuer.mint(int(q["ttl"]) if "ttl" in q else None,
                                                              q.get("aud", "sigstore"), q.get("email"))),
    })
    fulcio_server, fulcio_url = serve({
        ("POST", "/api/v2/signingCert"): lambda h, path, q, b: ok(fulcio.signing_cert(
            json_body(b, grpc_error(400, 3, "The request body is not JSON")), h.headers.get("Authorization")), 201),
        ("GET", "/api/v2/trustBundle"): lambda h, path, q, b: ok({"chains": [{"certificates": [
            pem_of(fulcio.intermediate), pem_of(fulcio.root)]}]}),
        ("GET", "/api/v2/configuration"): lambda h, path, q, b: ok({"issuers": [{
            "issuerUrl": issuer.url, "audience": "sigstore",
            "challengeClaim": "sub" if args.identity_kind == "github" else "email"}]}),
    })

    def rekor_entries_get(h, path, q, b):
        if path.rstrip("/") == "/api/v1/log/entries":
            try:
                index = int(q["logIndex"])
            except (KeyError, ValueError):
                raise rekor_error(400, "logIndex is required")
            if not 0 <= index < len(rekor.log.entries):
                raise rekor_error(404, f"no entry at log index {index}")
            return ok(rekor.render(index))
        index = rekor.find(path.rsplit("/", 1)[1])
        if index is None:
            raise rekor_error(404, "entry not found")
        return ok(rekor.render(index))

    def rekor_create(h, path, q, b):
        uuid, entry = rekor.create(json_body(b, rekor_error(400, "the body is not JSON")))
        return ok(entry, 201, {"ETag": uuid, "Location": f"/api/v1/log/entries/{uuid}"})

    def rekor_retrieve(h, path, q, b):
        query = json_body(b, rekor_error(400, "the body is not JSON"))
        found = []
        for uuid in query.get("entryUUIDs") or []:
            i = rekor.find(str(uuid))
            if i is not None:
                found.append(i)
        for i in query.get("logIndexes") or []:
            if isinstance(i, int) and 0 <= i < len(rekor.log.entries):
                found.append(i)
        for proposed in query.get("entries") or []:
            try:
                i = rekor.log.by_leaf.get(leaf_hash(jcs(rekor.canonicalize(proposed))))
            except HTTPError:
                i = None
            if i is not None:
                found.append(i)
        return ok([rekor.render(i) for i in found])

    def rekor_proof(h, path, q, b):
        leaves = rekor.log.snapshot()
        try:
            first, last = int(q.get("firstSize", 1)), int(q.get("lastSize", len(leaves)))
        except ValueError:
            raise rekor_error(400, "firstSize and lastSize must be integers")
        if not 1 <= first <= last <= len(leaves):
            raise rekor_error(400, "firstSize and lastSize must satisfy 1 <= firstSize <= lastSize <= treeSize")
        return ok({"hashes": [x.hex() for x in consistency_path(first, leaves[:last])],
                   "rootHash": tree_root(leaves[:last]).hex()})

    rekor_routes = {
        ("GET", "/api/v1/log"): lambda h, path, q, b: ok(rekor.info()),
        ("GET", "/api/v1/log/publicKey"): lambda h, path, q, b: ok(
            rekor.log.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            200, {"Content-Type": "application/x-pem-file"}),
        ("GET", "/api/v1/log/proof"): rekor_proof,
        ("GET", "/api/v1/log/entries"): rekor_entries_get,
        ("GET", "/api/v1/log/entries/"): rekor_entries_get,
        ("POST", "/api/v1/log/entries"): rekor_create,
        ("POST", "/api/v1/log/entries/retrieve"): rekor_retrieve,
    }
    rekor_server, rekor_url = serve(rekor_routes)
    servers = [oidc_server, fulcio_server, rekor_server]
    rekor2_url = None
    if rekor2:
        def rekor2_checkpoint(h, path, q, b):
            leaves = rekor2.log.snapshot()
            return ok(rekor2.checkpoint(len(leaves), tree_root(leaves)), 200, {"Content-Type": "text/plain"})
        rekor2_server, rekor2_url = serve({
            ("POST", "/api/v2/log/entries"): lambda h, path, q, b: ok(rekor2.create(
                json_body(b, grpc_error(400, 3, "the body is not JSON"))), 201),
            ("GET", "/api/v2/checkpoint"): rekor2_checkpoint,
        })
        servers.append(rekor2_server)
    tsa_url = None
    if not args.no_tsa:
        def tsa_post(h, path, q, b):
            return ok(tsa.timestamp(b), 200, {"Content-Type": "application/timestamp-reply"})
        tsa_server, tsa_url = serve({
            ("POST", "/api/v1/timestamp"): tsa_post,
            ("GET", "/api/v1/timestamp/certchain"): lambda h, path, q, b: ok(
                tsa.chain_pem(), 200, {"Content-Type": "application/pem-certificate-chain"}),
        })
        servers.append(tsa_server)

    # Trust material.
    valid = {"start": rfc3339(start)}

    def tlog(url, log):
        return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(log.spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid},
                "logId": {"keyId": b64(log.log_id)}}

    def der(cert):
        return {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))}

    tlogs = [tlog(rekor_url, rekor.log)] + ([tlog(rekor2_url, rekor2.log)] if rekor2 else [])
    trusted_root = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": tlogs,
        "certificateAuthorities": [{
            "subject": {"organization": "weightseal.test", "commonName": "weightseal-test-fulcio"},
            "uri": fulcio_url,
            "certChain": {"certificates": [der(fulcio.intermediate), der(fulcio.root)]},
            "validFor": valid}],
        "ctlogs": [{"baseUrl": fulcio_url + "/ctlog", "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki_der(ctlog.key.public_key())),
                                  "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid},
                    "logId": {"keyId": b64(ctlog.log_id)}}],
        "timestampAuthorities": [] if args.no_tsa else [{
            "subject": {"organization": "weightseal.test", "commonName": "weightseal-test-tsa"},
            "uri": tsa_url + "/api/v1/timestamp",
            "certChain": {"certificates": [der(tsa.leaf), der(tsa.root)]},
            "validFor": valid}],
    }

    def service(url, version=1):
        return {"url": url, "majorApiVersion": version, "validFor": valid, "operator": "weightseal.test"}

    rekor_services = ([service(rekor2_url, 2)] if rekor2 else []) + [service(rekor_url)]
    signing_config = {
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [service(fulcio_url)],
        "oidcUrls": [service(issuer.url)],
        "rekorTlogUrls": rekor_services,
        "tsaUrls": [] if args.no_tsa else [service(tsa_url + "/api/v1/timestamp")],
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaConfig": {"selector": "ANY"},
    }
    trust_config = {"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                    "trustedRoot": trusted_root, "signingConfig": signing_config}
    urls = {"oidc": issuer.url, "fulcio": fulcio_url, "rekor": rekor_url, "rekorV2": rekor2_url, "tsa": tsa_url}

    d = args.dir
    write_file(d, "token", issuer.mint())
    write_file(d, "identity", issuer.identity())
    write_file(d, "issuer", issuer.url)
    write_file(d, "trusted_root.json", json.dumps(trusted_root, indent=2) + "\n")
    write_file(d, "trust_config.json", json.dumps(trust_config, indent=2) + "\n")
    write_file(d, "urls.json", json.dumps(urls, indent=2) + "\n")
    write_file(d, "ready", json.dumps(urls) + "\n")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception as e:
        print(f"sigstore_stack: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
