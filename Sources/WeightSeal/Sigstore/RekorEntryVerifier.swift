import Crypto
import Foundation

/// What was signed, as the bundle states it. The log entry must record exactly this.
public enum SignedContent: Sendable, Hashable {
    /// A bundle's `messageSignature`: the artifact's SHA-256 digest (32 bytes), computed by the caller from the
    /// artifact rather than taken from the bundle's unauthenticated `messageDigest`, and the signature bytes.
    case messageSignature(digest: [UInt8], signature: [UInt8])
    /// A bundle's `dsseEnvelope`: payload type, payload and its signatures.
    case dsse(DSSEEnvelope)
}

/// What a verified transparency-log entry tells.
public struct VerifiedLogEntry: Sendable, Hashable {
    /// The log's `baseUrl` from the trusted root, e.g. `https://rekor.sigstore.dev`.
    public var logURL: String
    /// The entry's `logIndex` (for Rekor v1, the global index across shards).
    public var logIndex: Int64
    /// When the log says it integrated the entry, to the second. Rekor v1 only, and only when the signed entry
    /// timestamp (which covers it) verified; `nil` otherwise (Rekor v2 has no integrated time: use a TSA).
    public var integratedTime: Date?
    /// Size of the tree the inclusion proof is for; `nil` when the entry had only a promise (SET).
    public var treeSize: Int64?
    /// That tree's root hash (32 bytes), as the checkpoint signs it; `nil` without an inclusion proof.
    public var rootHash: [UInt8]?

    public init(logURL: String, logIndex: Int64, integratedTime: Date?, treeSize: Int64?, rootHash: [UInt8]?) {
        self.logURL = logURL
        self.logIndex = logIndex
        self.integratedTime = integratedTime
        self.treeSize = treeSize
        self.rootHash = rootHash
    }
}

/// Why a transparency-log entry was not accepted. A verdict, not an error the caller must handle: the bundle is
/// simply not verified. Equality compares ``kind`` and ``message``; tests usually match on ``kind``.
public struct LogEntryFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which check refused the entry.
    public enum Kind: Sendable, Hashable {
        /// The entry's `logId` is not a Rekor log of the trusted root.
        case unknownLog
        /// The logged body does not record what the bundle says was signed (names the field).
        case bodyMismatch
        /// The signed entry timestamp (inclusion promise) does not verify with the log's key.
        case signedEntryTimestamp
        /// The inclusion proof does not lead from the entry to the root hash it states.
        case inclusionProof
        /// The checkpoint is malformed, names another log or tree, or carries no valid signature of the log.
        case checkpoint
        /// The entry has no inclusion proof where one is required.
        case missingProof
        /// The integrated time lies outside the log key's validity or in the future.
        case integratedTime
        /// An entry kind or version, or a hash algorithm, this verifier does not handle.
        case unsupported
    }

    public var kind: Kind
    /// What was wrong, naming the field.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}

/// Verifies one Rekor transparency-log entry of a Sigstore bundle offline, against a trusted root.
///
/// Rekor v1 entries (`hashedrekord` 0.0.1, `dsse` 0.0.1, `intoto` 0.0.2) and Rekor v2 entries (`hashedrekord`
/// 0.0.2, `dsse` 0.0.2) are accepted. The checks, in order (sigstore-go `pkg/verify/tlog.go`, `pkg/tlog/entry.go`):
/// 1. the entry's `logId` names a log of the trusted root;
/// 2. the `canonicalizedBody` records the bundle's signature, signer and artifact digest (or DSSE payload);
/// 3. the signed entry timestamp (v1), over the RFC 8785 form of body, integratedTime, logID and logIndex, verifies
///    with the log key, and the integrated time lies in the key's validity and not after `now`;
/// 4. the RFC 9162 §2.1.3 inclusion proof leads from the body's leaf hash to the stated root, and the checkpoint
///    (C2SP `tlog-checkpoint` in a C2SP `signed-note`) names this log, this tree and root, and carries a valid
///    signature by the log; witness cosignatures and unknown signers are ignored.
///
/// A bundle of media type v0.1 may carry only a signed entry timestamp; v0.2 and later need an inclusion proof, and
/// so does every Rekor v2 entry, which has no timestamp of its own.
public enum RekorEntryVerifier {
    /// Largest `canonicalizedBody` parsed, in bytes (Rekor v1 refuses entries over 128 KiB; in-toto bodies carry
    /// the whole envelope).
    public static let maxBodyBytes = 4 * 1024 * 1024

    /// Verifies `entry` against the bundle's content and signer.
    ///
    /// - Parameters:
    ///   - entry: the bundle's `verificationMaterial.tlogEntries[i]`.
    ///   - content: what the bundle says was signed.
    ///   - signerCertificateDER: the signing (leaf) certificate's DER, for a Fulcio bundle.
    ///   - signerPublicKeyDER: the signing key's DER SubjectPublicKeyInfo, for a managed-key bundle.
    ///   - bundleVersion: the minor version of the bundle media type (1, 2, 3): 1 allows a signed entry timestamp
    ///     without an inclusion proof, as sigstore-go does.
    ///   - trustedRoot: the logs and their keys.
    ///   - now: the verification time; an integrated time after it is refused.
    /// - Returns: what the entry establishes, or the first check that failed.
    public static func verify(entry: TransparencyLogEntry, content: SignedContent, signerCertificateDER: [UInt8]?,
                              signerPublicKeyDER: [UInt8]?, bundleVersion: Int, trustedRoot: TrustedRoot,
                              now: Date) -> Result<VerifiedLogEntry, LogEntryFailure> {
        do {
            return .success(try check(entry: entry, content: content,
                                      signer: Signer(certificateDER: signerCertificateDER, publicKeyDER: signerPublicKeyDER),
                                      bundleVersion: bundleVersion, trustedRoot: trustedRoot, now: now))
        } catch {
            return .failure(error)
        }
    }

    /// The signer as the bundle gives it: at most one of the two is expected.
    struct Signer {
        var certificateDER: [UInt8]?
        var publicKeyDER: [UInt8]?
    }

    /// Which log generation an entry comes from, from its kind and version.
    enum Generation { case v1, v2 }

    static func generation(kind: String, version: String) throws(LogEntryFailure) -> Generation {
        switch (kind, version) {
        case ("hashedrekord", "0.0.1"), ("dsse", "0.0.1"), ("intoto", "0.0.2"): return .v1
        case ("hashedrekord", "0.0.2"), ("dsse", "0.0.2"): return .v2
        default: throw LogEntryFailure(.unsupported, "Rekor entry kind \(kind) \(version) is not supported")
        }
    }

    static func check(entry: TransparencyLogEntry, content: SignedContent, signer: Signer, bundleVersion: Int,
                      trustedRoot: TrustedRoot, now: Date) throws(LogEntryFailure) -> VerifiedLogEntry {
        // 1. Trust comes from the caller's root, never from the bundle.
        guard let log = trustedRoot.transparencyLog(keyID: entry.logID) else {
            throw LogEntryFailure(.unknownLog, "log \(entry.logID.hexString) is not a Rekor log of the trusted root")
        }
        // The proof is checked with SHA-256 (RFC 9162 with SHA-256): a log of another tree hash cannot be checked.
        guard log.hashAlgorithm == "SHA2_256" else {
            throw LogEntryFailure(.unsupported, "log \(log.baseURL) uses Merkle tree hash \(log.hashAlgorithm); only SHA2_256 is supported")
        }
        let generation = try generation(kind: entry.kind, version: entry.version)

        // 2. The body must record what the bundle says was signed.
        try RekorEntryBody.check(entry.canonicalizedBody, kind: entry.kind, version: entry.version,
                                 content: content, signer: signer)

        // 3. The promise (SET): Rekor v1's signature over the entry and its integrated time.
        var integratedTime: Date? = nil
        if let set = entry.signedEntryTimestamp {
            guard generation == .v1 else {
                throw LogEntryFailure(.signedEntryTimestamp, "a Rekor v2 entry cannot carry a signed entry timestamp")
            }
            let payload = signedEntryTimestampPayload(entry)
            guard log.publicKey.isValidSignature(set, for: payload) else {
                throw LogEntryFailure(.signedEntryTimestamp,
                                      "the signed entry timestamp does not verify with the key of \(log.baseURL)")
            }
            let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
            guard entry.integratedTime > 0, log.validFor.contains(time) else {
                throw LogEntryFailure(.integratedTime,
                                      "integrated time \(entry.integratedTime) is outside the validity of the key of \(log.baseURL)")
            }
            guard time <= now else {
                throw LogEntryFailure(.integratedTime, "integrated time \(entry.integratedTime) is in the future")
            }
            integratedTime = time
        }

        // 4. The proof and the checkpoint it is anchored to.
        guard let proof = entry.inclusionProof else {
            if generation == .v2 {
                throw LogEntryFailure(.missingProof, "a Rekor v2 entry needs an inclusion proof")
            }
            if bundleVersion >= 2 {
                throw LogEntryFailure(.missingProof, "a v0.\(bundleVersion) bundle needs an inclusion proof")
            }
            if integratedTime == nil {
                throw LogEntryFailure(.missingProof, "the entry has neither an inclusion proof nor a signed entry timestamp")
            }
            return VerifiedLogEntry(logURL: log.baseURL, logIndex: entry.logIndex, integratedTime: integratedTime,
                                    treeSize: nil, rootHash: nil)
        }
        try checkInclusion(proof, entry: entry, generation: generation)
        try checkCheckpoint(proof, log: log, generation: generation)
        return VerifiedLogEntry(logURL: log.baseURL, logIndex: entry.logIndex, integratedTime: integratedTime,
                                treeSize: proof.treeSize, rootHash: proof.rootHash)
    }

    /// The bytes a Rekor v1 signed entry timestamp signs: the RFC 8785 (JCS) form of
    /// `{"body": base64(canonicalizedBody), "integratedTime": N, "logID": hex(logID), "logIndex": N}`, keys sorted,
    /// no white space (rekor `pkg/verify` `VerifySignedEntryTimestamp`). Base64 and hex need no JSON escaping.
    static func signedEntryTimestampPayload(_ entry: TransparencyLogEntry) -> [UInt8] {
        let text = "{\"body\":\"\(Data(entry.canonicalizedBody).base64EncodedString())\",\"integratedTime\":\(entry.integratedTime),"
            + "\"logID\":\"\(entry.logID.hexString)\",\"logIndex\":\(entry.logIndex)}"
        return Array(text.utf8)
    }

    /// RFC 9162 §2.1.3.2: the body's leaf hash and the audit path must lead to the stated root.
    static func checkInclusion(_ proof: TransparencyLogEntry.InclusionProof, entry: TransparencyLogEntry,
                               generation: Generation) throws(LogEntryFailure) {
        guard proof.logIndex >= 0, proof.treeSize > 0, proof.logIndex < proof.treeSize else {
            throw LogEntryFailure(.inclusionProof,
                                  "leaf index \(proof.logIndex) does not lie in a tree of \(proof.treeSize) leaves")
        }
        // Rekor v1 proofs index within the active shard; Rekor v2 has one tree per log, so the indices agree.
        if generation == .v2 && proof.logIndex != entry.logIndex {
            throw LogEntryFailure(.inclusionProof,
                                  "the proof is for leaf \(proof.logIndex), the entry is \(entry.logIndex)")
        }
        guard proof.rootHash.count == MerkleTree.hashSize else {
            throw LogEntryFailure(.inclusionProof, "the root hash has \(proof.rootHash.count) bytes, not \(MerkleTree.hashSize)")
        }
        let root: [UInt8]
        do {
            root = try MerkleTree.rootFromInclusionProof(index: UInt64(proof.logIndex), size: UInt64(proof.treeSize),
                                                          leafHash: MerkleTree.leafHash(entry.canonicalizedBody),
                                                          proof: proof.hashes)
        } catch {
            throw LogEntryFailure(.inclusionProof, error.message)
        }
        guard root == proof.rootHash else {
            throw LogEntryFailure(.inclusionProof,
                                  "the proof leads to root \(root.hexString), not the stated \(proof.rootHash.hexString)")
        }
    }

    /// The checkpoint must be this log's, for this tree and root, and signed by the log's key.
    ///
    /// A Rekor v2 checkpoint is named by the log's host and its signature is found by that name. A Rekor v1 log names
    /// itself with its server's configured hostname (by default the machine's), which the trusted root does not
    /// record: as in sigstore-go and sigstore-python, its signature is found by the key hint alone.
    static func checkCheckpoint(_ proof: TransparencyLogEntry.InclusionProof, log: TrustedRoot.TransparencyLog,
                                generation: Generation) throws(LogEntryFailure) {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.parse(proof.checkpoint)
        } catch {
            throw LogEntryFailure(.checkpoint, error.message)
        }
        // Rekor v1 origins add the tree ID ("rekor.sigstore.dev - 1193050959916656506"); v2 origins are the host
        // (sigstore-go: `url.Parse(baseUrl).Hostname()`, so no port even when the log is reached on one).
        let origins = log.origins
        let origin: String
        if generation == .v2 {
            guard let named = origins.first(where: { checkpoint.origin == $0 || checkpoint.origin.hasPrefix($0 + " - ") }) else {
                throw LogEntryFailure(.checkpoint, "the checkpoint is for \"\(checkpoint.origin)\", not \(origins.joined(separator: " or "))")
            }
            origin = named
        } else {
            origin = checkpoint.origin
        }
        guard checkpoint.size == UInt64(proof.treeSize) else {
            throw LogEntryFailure(.checkpoint,
                                  "the checkpoint is for a tree of \(checkpoint.size) leaves, the proof for \(proof.treeSize)")
        }
        guard checkpoint.rootHash == proof.rootHash else {
            throw LogEntryFailure(.checkpoint, "the checkpoint's root hash differs from the inclusion proof's")
        }
        var hints = [Array(log.logID.prefix(4))]
        if let id = log.checkpointKeyID, id.count >= 4 { hints.append(Array(id.prefix(4))) }
        let candidates = checkpoint.note.signatures.filter {
            (generation != .v2 || $0.name == origin) && hints.contains($0.keyHint)
        }
        guard !candidates.isEmpty else {
            throw LogEntryFailure(.checkpoint,
                                  "the checkpoint has no signature by \(origin) with key hint \(log.logID.prefix(4).hexString)")
        }
        guard candidates.contains(where: { log.publicKey.isValidSignature($0.signature, for: checkpoint.note.text) }) else {
            throw LogEntryFailure(.checkpoint, "the checkpoint signature by \(origin) does not verify with the log's key")
        }
    }
}
