import Foundation

/// One transparency-log entry of a bundle (`verificationMaterial.tlogEntries[i]`, protobuf-specs
/// `dev.sigstore.rekor.v1.TransparencyLogEntry`).
public struct TransparencyLogEntry: Sendable, Hashable {
    /// `logIndex`: the entry's index in its log (for Rekor v1, the global index across shards).
    public var logIndex: Int64
    /// `logId.keyId`: which log (matches ``TrustedRoot/TransparencyLog/logID``).
    public var logID: [UInt8]
    /// `kindVersion.kind` (`hashedrekord`, `dsse`, `intoto`).
    public var kind: String
    /// `kindVersion.version` (`0.0.1`, `0.0.2`).
    public var version: String
    /// `integratedTime`, seconds since the Unix epoch; 0 when absent (Rekor v2 has none).
    public var integratedTime: Int64
    /// `inclusionPromise.signedEntryTimestamp` (SET), Rekor v1 only.
    public var signedEntryTimestamp: [UInt8]?
    /// `inclusionProof`, with its checkpoint.
    public var inclusionProof: InclusionProof?
    /// `canonicalizedBody`: the entry body exactly as the log hashed it (RFC 9162 leaf input).
    public var canonicalizedBody: [UInt8]

    /// An RFC 9162 inclusion proof and the checkpoint (signed note) whose root it proves inclusion in.
    public struct InclusionProof: Sendable, Hashable {
        /// Index of the leaf in the tree the proof is for (for Rekor v1, the index within the shard).
        public var logIndex: Int64
        /// The tree's root hash (32 bytes).
        public var rootHash: [UInt8]
        /// The tree size.
        public var treeSize: Int64
        /// Sibling hashes from the leaf up (RFC 9162 §2.1.3).
        public var hashes: [[UInt8]]
        /// `checkpoint.envelope`: the signed note text; empty when the bundle has no checkpoint.
        public var checkpoint: String
    }

    /// Most entries read from one bundle, and most hashes in one proof.
    static let maxEntries = 32
    static let maxProofHashes = 64

    /// Parses one entry.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming `field` and the bad member.
    static func parse(_ json: StrictJSON, field: String) throws(WeightSealError) -> TransparencyLogEntry {
        guard json.object != nil else { throw WeightSealError(.malformedBundle, "\(field) is not an object") }
        guard let index = try json.int64("logIndex", field: field) else {
            throw WeightSealError(.malformedBundle, "\(field) has no \"logIndex\"")
        }
        guard let logId = json["logId"] else { throw WeightSealError(.malformedBundle, "\(field) has no \"logId\"") }
        let keyID = try logId.bytes("keyId", field: "\(field).logId")
        guard let kv = json["kindVersion"], let kind = kv["kind"]?.string, let version = kv["version"]?.string else {
            throw WeightSealError(.malformedBundle, "\(field) has no \"kindVersion\" with kind and version")
        }
        let integrated = try json.int64("integratedTime", field: field) ?? 0
        var set: [UInt8]? = nil
        if let promise = json["inclusionPromise"] {
            set = try promise.bytes("signedEntryTimestamp", field: "\(field).inclusionPromise")
        }
        var proof: InclusionProof? = nil
        if let p = json["inclusionProof"] {
            let f = "\(field).inclusionProof"
            guard let pIndex = try p.int64("logIndex", field: f) else {
                throw WeightSealError(.malformedBundle, "\(f) has no \"logIndex\"")
            }
            guard let size = try p.int64("treeSize", field: f) else {
                throw WeightSealError(.malformedBundle, "\(f) has no \"treeSize\"")
            }
            let root = try p.bytes("rootHash", field: f)
            let items = p["hashes"]?.array ?? []
            if items.count > maxProofHashes {
                throw WeightSealError(.limitExceeded, "\(f).hashes has \(items.count) hashes (at most \(maxProofHashes))")
            }
            var hashes = [[UInt8]]()
            for (i, h) in items.enumerated() {
                guard let s = h.string, let b = base64Bytes(s) else {
                    throw WeightSealError(.malformedBundle, "\(f).hashes[\(i)] is not base64")
                }
                hashes.append(b)
            }
            // A missing checkpoint is a verification failure (after the proof itself is checked), not a parse error.
            var envelope = ""
            if let c = p["checkpoint"] {
                guard let text = c["envelope"]?.string else {
                    throw WeightSealError(.malformedBundle, "\(f).checkpoint has no \"envelope\" string")
                }
                envelope = text
            }
            proof = InclusionProof(logIndex: pIndex, rootHash: root, treeSize: size, hashes: hashes, checkpoint: envelope)
        }
        let body = try json.bytes("canonicalizedBody", field: field)
        return TransparencyLogEntry(logIndex: index, logID: keyID, kind: kind, version: version,
                                    integratedTime: integrated, signedEntryTimestamp: set,
                                    inclusionProof: proof, canonicalizedBody: body)
    }
}
