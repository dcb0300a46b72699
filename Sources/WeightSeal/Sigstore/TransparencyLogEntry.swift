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

        public init(logIndex: Int64, rootHash: [UInt8], treeSize: Int64, hashes: [[UInt8]], checkpoint: String) {
            self.logIndex = logIndex
            self.rootHash = rootHash
            self.treeSize = treeSize
            self.hashes = hashes
            self.checkpoint = checkpoint
        }
    }

    public init(logIndex: Int64, logID: [UInt8], kind: String, version: String, integratedTime: Int64,
                signedEntryTimestamp: [UInt8]?, inclusionProof: InclusionProof?, canonicalizedBody: [UInt8]) {
        self.logIndex = logIndex
        self.logID = logID
        self.kind = kind
        self.version = version
        self.integratedTime = integratedTime
        self.signedEntryTimestamp = signedEntryTimestamp
        self.inclusionProof = inclusionProof
        self.canonicalizedBody = canonicalizedBody
    }

    /// The entry in protobuf JSON, as a bundle's `verificationMaterial.tlogEntries[i]` holds it (64-bit integers as
    /// strings, bytes as base64).
    public var jsonValue: JSONValue {
        func b64(_ bytes: [UInt8]) -> JSONValue { .string(Data(bytes).base64EncodedString()) }
        var entry: [String: JSONValue] = [
            "logIndex": .string(String(logIndex)),
            "logId": .object(["keyId": b64(logID)]),
            "kindVersion": .object(["kind": .string(kind), "version": .string(version)]),
            "integratedTime": .string(String(integratedTime)),
            "canonicalizedBody": b64(canonicalizedBody),
        ]
        if let signedEntryTimestamp {
            entry["inclusionPromise"] = .object(["signedEntryTimestamp": b64(signedEntryTimestamp)])
        }
        if let p = inclusionProof {
            var proof: [String: JSONValue] = [
                "logIndex": .string(String(p.logIndex)),
                "rootHash": b64(p.rootHash),
                "treeSize": .string(String(p.treeSize)),
                "hashes": .array(p.hashes.map(b64)),
            ]
            if !p.checkpoint.isEmpty { proof["checkpoint"] = .object(["envelope": .string(p.checkpoint)]) }
            entry["inclusionProof"] = .object(proof)
        }
        return .object(entry)
    }

    /// Most entries read from one bundle, and most hashes in one proof.
    static let maxEntries = 32
    static let maxProofHashes = 64

    /// Parses one entry.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming `field` and the bad member.
    package static func parse(_ json: StrictJSON, field: String) throws(WeightSealError) -> TransparencyLogEntry {
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
