import Crypto
import Foundation
import SwiftASN1

/// The four top-level TUF roles (TUF specification v1.0 §2.1).
public enum TUFRole: String, Sendable, CaseIterable {
    case root, timestamp, snapshot, targets

    /// The metadata file name, e.g. `timestamp.json`.
    public var fileName: String { rawValue + ".json" }
}

/// A TUF public key (`keys` of root metadata, §4.2): its type, scheme and public value. Supported schemes:
/// `ed25519` (hex public key), `ecdsa-sha2-nistp256` and `ecdsa-sha2-nistp384` (PEM SPKI, or hex of the uncompressed
/// point as early Sigstore roots wrote it), `rsassa-pss-sha256` and `rsa-pkcs1v15-sha256` (PEM SPKI). A key of
/// another scheme is kept but verifies nothing: its signatures are not counted.
public struct TUFKey: Sendable {
    public var keyType: String
    public var scheme: String
    /// `keyval.public` as written.
    public var publicValue: String
    /// The key to check signatures with, or `nil` for an unsupported scheme or an unreadable public value.
    let verifier: SigstorePublicKey?

    /// Whether `signature` is valid over `message` (the canonical `signed` bytes).
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        verifier?.isValidSignature(signature, for: message) ?? false
    }

    init(keyType: String, scheme: String, publicValue: String) {
        self.keyType = keyType
        self.scheme = scheme
        self.publicValue = publicValue
        self.verifier = Self.verifier(keyType: keyType, scheme: scheme, publicValue: publicValue)
    }

    private static func verifier(keyType: String, scheme: String, publicValue: String) -> SigstorePublicKey? {
        switch (keyType, scheme) {
        case ("ed25519", "ed25519"):
            guard isHex(publicValue, count: 64), let raw = [UInt8](hexString: publicValue) else { return nil }
            return try? SigstorePublicKey(rawBytes: raw, keyDetails: "PKIX_ED25519")
        case ("ecdsa", "ecdsa-sha2-nistp256"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"):
            guard let der = spki(publicValue, hexPointPrefix: p256SPKIPrefix, pointBytes: 65) else { return nil }
            return try? SigstorePublicKey(rawBytes: der, keyDetails: "PKIX_ECDSA_P256_SHA_256")
        case ("ecdsa", "ecdsa-sha2-nistp384"), ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"):
            guard let der = spki(publicValue, hexPointPrefix: p384SPKIPrefix, pointBytes: 97) else { return nil }
            return try? SigstorePublicKey(rawBytes: der, keyDetails: "PKIX_ECDSA_P384_SHA_384")
        case ("rsa", "rsassa-pss-sha256"):
            guard let der = spki(publicValue, hexPointPrefix: nil, pointBytes: 0) else { return nil }
            return try? SigstorePublicKey(rawBytes: der, keyDetails: "PKIX_RSA_PSS_2048_SHA256")
        case ("rsa", "rsa-pkcs1v15-sha256"):
            guard let der = spki(publicValue, hexPointPrefix: nil, pointBytes: 0) else { return nil }
            return try? SigstorePublicKey(rawBytes: der, keyDetails: "PKIX_RSA_PKCS1V15_2048_SHA256")
        default:
            return nil
        }
    }

    /// DER SPKI headers of P-256 and P-384 keys, to wrap a bare uncompressed point.
    private static let p256SPKIPrefix: [UInt8] = [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                                  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00]
    private static let p384SPKIPrefix: [UInt8] = [0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                                  0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00]

    /// The DER SPKI of a PEM `PUBLIC KEY`, or of a hex uncompressed EC point.
    private static func spki(_ value: String, hexPointPrefix: [UInt8]?, pointBytes: Int) -> [UInt8]? {
        if let hexPointPrefix, isHex(value, count: pointBytes * 2), let point = [UInt8](hexString: value), point.first == 0x04 {
            return hexPointPrefix + point
        }
        guard value.utf8.count <= Limits.maxPEMBytes, let document = try? PEMDocument(pemString: value),
              document.discriminator == "PUBLIC KEY" else { return nil }
        return document.derBytes
    }
}

/// The key IDs of a role and how many of them must sign (`roles` of root metadata, §4.3).
public struct TUFRoleKeys: Sendable {
    /// Distinct key IDs, in the order listed.
    public var keyIDs: [String]
    /// Signatures needed, at least 1.
    public var threshold: Int
}

/// A `METAFILES` entry (timestamp `meta`, snapshot `meta`; §4.4, §4.5): the version of a metadata file, and its
/// length and hashes when the repository lists them.
public struct TUFMetaFile: Sendable {
    public var version: Int
    public var length: Int?
    /// `(algorithm, lower-case hex)` in the order listed; empty when none are listed.
    public var hashes: [(String, String)]
}

/// A `TARGETS` entry (§4.5): a target file's length and hashes (at least one).
public struct TUFTargetFile: Sendable {
    /// The target path, e.g. `trusted_root.json`.
    public var path: String
    public var length: Int
    /// `(algorithm, lower-case hex)` in the order listed; the first one names the file in a consistent snapshot.
    public var hashes: [(String, String)]
    /// SHA-256 of the file, when listed (lower-case hex).
    public var sha256: String? { hashes.first { $0.0 == "sha256" }?.1 }
}

/// Root metadata (`root.json`, §4.3).
public struct TUFRoot: Sendable {
    public var version: Int
    public var expires: Date
    public var consistentSnapshot: Bool
    public var keys: [String: TUFKey]
    public var roles: [TUFRole: TUFRoleKeys]
}

/// Timestamp metadata (`timestamp.json`, §4.6).
public struct TUFTimestamp: Sendable {
    public var version: Int
    public var expires: Date
    /// `meta["snapshot.json"]`.
    public var snapshotMeta: TUFMetaFile
}

/// Snapshot metadata (`snapshot.json`, §4.4).
public struct TUFSnapshot: Sendable {
    public var version: Int
    public var expires: Date
    /// `meta`: `targets.json` and any delegated targets roles, by file name.
    public var meta: [String: TUFMetaFile]
}

/// Targets metadata (`targets.json`, §4.5).
public struct TUFTargets: Sendable {
    public var version: Int
    public var expires: Date
    public var targets: [String: TUFTargetFile]
    /// Whether the role delegates to other targets roles (weightseal does not follow delegations).
    public var hasDelegations: Bool
}

/// A parsed metadata file (`{"signed": …, "signatures": […]}`, §4.2) before any signature is checked.
struct TUFEnvelope: Sendable {
    /// The `signed` object.
    let signed: StrictJSON
    /// The canonical JSON of `signed`: the bytes the signatures cover.
    let signedBytes: [UInt8]
    /// `(keyid, signature bytes)` as listed; a `sig` that is not hex becomes an empty signature (never valid).
    let signatures: [(keyID: String, signature: [UInt8])]

    /// Most signatures read from one metadata file.
    static let maxSignatures = 1024

    /// Parses `data` with the strict JSON reader (duplicate names refused).
    /// - Parameter file: names the file in messages (`timestamp.json`, `2.root.json`).
    /// - Throws: ``WeightSealError/Code/trustUpdate`` naming `file`.
    static func parse(_ data: [UInt8], file: String) throws(WeightSealError) -> TUFEnvelope {
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(data, maxValues: Limits.maxJSONValues(forBytes: data.count))
        } catch {
            throw WeightSealError(.trustUpdate, "\(file) is not valid JSON: \(error.message)")
        }
        guard let signed = json["signed"], signed.object != nil else {
            throw WeightSealError(.trustUpdate, "\(file) has no \"signed\" object")
        }
        guard let list = json["signatures"]?.array else {
            throw WeightSealError(.trustUpdate, "\(file) has no \"signatures\" list")
        }
        if list.count > maxSignatures {
            throw WeightSealError(.trustUpdate, "\(file) has \(list.count) signatures (at most \(maxSignatures))")
        }
        var signatures = [(keyID: String, signature: [UInt8])]()
        for (i, item) in list.enumerated() {
            guard let keyID = item["keyid"]?.string, let sig = item["sig"]?.string else {
                throw WeightSealError(.trustUpdate, "\(file): signatures[\(i)] needs the strings \"keyid\" and \"sig\"")
            }
            signatures.append((keyID, [UInt8](hexString: sig) ?? []))
        }
        return TUFEnvelope(signed: signed, signedBytes: try CanonicalJSON.encode(signed, label: file), signatures: signatures)
    }

    /// Checks that the signatures of at least `role.threshold` distinct keys of `role` (found in `keys`) are valid.
    /// Signatures by keys the role does not list are ignored; several signatures under one key ID, or two key IDs
    /// naming the same public key, count once.
    /// - Parameter by: who delegated the role, for messages ("the trusted root (version 3)").
    /// - Throws: ``WeightSealError/Code/trustUpdate`` saying how many were valid and how many are needed.
    func verify(role: TUFRole, keys: [String: TUFKey], roleKeys: TUFRoleKeys, by: String, file: String) throws(WeightSealError) {
        var counted = Set<[UInt8]>()
        for keyID in roleKeys.keyIDs {
            guard let key = keys[keyID], let verifier = key.verifier else { continue }
            let valid = signatures.contains { $0.keyID == keyID && key.isValidSignature($0.signature, for: signedBytes) }
            if valid { counted.insert(verifier.rawBytes) }
        }
        if counted.count < roleKeys.threshold {
            throw WeightSealError(.trustUpdate, "\(file) is signed by \(counted.count) of the \(role.rawValue) keys \(by) lists; \(roleKeys.threshold) needed")
        }
    }
}

// MARK: - Reading the signed part

/// Field readers shared by the four roles; every one throws ``WeightSealError/Code/trustUpdate`` naming the file.
struct TUFFields {
    let signed: StrictJSON
    let file: String

    func fail(_ message: String) -> WeightSealError { WeightSealError(.trustUpdate, "\(file): \(message)") }

    /// `_type` must be `role`; `spec_version` must be 1.x; returns `version` and `expires`.
    func common(_ role: TUFRole) throws(WeightSealError) -> (version: Int, expires: Date) {
        guard let type = signed["_type"]?.string else { throw fail("signed has no \"_type\"") }
        guard type == role.rawValue else { throw fail("holds \(type) metadata, not \(role.rawValue)") }
        guard let spec = signed["spec_version"]?.string else { throw fail("signed has no \"spec_version\"") }
        let parts = spec.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 3, parts[0] == "1", parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw fail("spec_version \(spec.prefix(40)) is not a 1.x version of the TUF specification")
        }
        let version = try positive(signed["version"], "version")
        guard let text = signed["expires"]?.string else { throw fail("signed has no \"expires\"") }
        guard let expires = Self.expiry(text) else {
            throw fail("expires \(text.prefix(40)) is not a time of the form YYYY-MM-DDTHH:MM:SSZ")
        }
        return (version, expires)
    }

    /// A positive integer that fits an `Int`.
    func positive(_ value: StrictJSON?, _ name: String) throws(WeightSealError) -> Int {
        let n = try count(value, name)
        guard n >= 1 else { throw fail("\(name) is 0; it must be at least 1") }
        return n
    }

    /// A non-negative integer that fits an `Int`.
    func count(_ value: StrictJSON?, _ name: String) throws(WeightSealError) -> Int {
        guard let value else { throw fail("\(name) is missing") }
        guard let n = value.unsignedInteger, n <= UInt64(Int.max) else {
            throw fail("\(name) is not a non-negative integer")
        }
        return Int(n)
    }

    /// `hashes`: a non-empty object of algorithm → lower-case hex digest.
    func hashes(_ value: StrictJSON, _ name: String) throws(WeightSealError) -> [(String, String)] {
        guard let members = value.object, !members.isEmpty else { throw fail("\(name) is not a non-empty object") }
        var out = [(String, String)]()
        for (algorithm, digest) in members {
            guard let hex = digest.string, !hex.isEmpty, hex.utf8.count <= 256,
                  isLowerHex(hex, count: hex.utf8.count) else {
                throw fail("\(name).\(algorithm) is not a lower-case hex digest")
            }
            out.append((algorithm, hex))
        }
        return out
    }

    func metaFile(_ value: StrictJSON, _ name: String) throws(WeightSealError) -> TUFMetaFile {
        guard value.object != nil else { throw fail("\(name) is not an object") }
        let version = try positive(value["version"], "\(name).version")
        let length = value["length"] == nil ? nil : try count(value["length"], "\(name).length")
        let hashes = try value["hashes"].map { (h) throws(WeightSealError) in try self.hashes(h, "\(name).hashes") } ?? []
        return TUFMetaFile(version: version, length: length, hashes: hashes)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` exactly, as the specification writes it (§4.2) and python-tuf reads it.
    static func expiry(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z") else { return nil }
        for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] where !(b[i] >= 0x30 && b[i] <= 0x39) { return nil }
        func n(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + Int(b[$1] - 0x30) } }
        var c = DateComponents()
        c.calendar = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (n(0..<4), n(5..<7), n(8..<10), n(11..<13), n(14..<16), n(17..<19))
        guard (1...12).contains(c.month!), (1...31).contains(c.day!), c.hour! < 24, c.minute! < 60, c.second! < 60,
              c.isValidDate, let date = c.date else { return nil }
        return date
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension TUFRoot {
    /// Most keys in one root.
    static let maxKeys = 1024

    /// Reads the `signed` part of root metadata.
    static func parse(_ envelope: TUFEnvelope, file: String) throws(WeightSealError) -> TUFRoot {
        let f = TUFFields(signed: envelope.signed, file: file)
        let (version, expires) = try f.common(.root)
        var consistent = false
        if let c = envelope.signed["consistent_snapshot"] {
            guard case .bool(let b) = c else { throw f.fail("consistent_snapshot is not true or false") }
            consistent = b
        }
        guard let keyMembers = envelope.signed["keys"]?.object else { throw f.fail("signed has no \"keys\" object") }
        if keyMembers.count > maxKeys { throw f.fail("lists \(keyMembers.count) keys (at most \(maxKeys))") }
        var keys = [String: TUFKey]()
        for (keyID, key) in keyMembers {
            guard let type = key["keytype"]?.string, let scheme = key["scheme"]?.string,
                  let value = key["keyval"]?["public"]?.string else {
                throw f.fail("keys.\(keyID.prefix(16)) needs the strings keytype, scheme and keyval.public")
            }
            keys[keyID] = TUFKey(keyType: type, scheme: scheme, publicValue: value)
        }
        guard let roleMembers = envelope.signed["roles"]?.object else { throw f.fail("signed has no \"roles\" object") }
        let names = Set(roleMembers.map(\.0))
        guard names == Set(TUFRole.allCases.map(\.rawValue)), roleMembers.count == 4 else {
            throw f.fail("roles must be exactly root, timestamp, snapshot and targets; it lists \(roleMembers.map(\.0).sorted().joined(separator: ", ").prefix(200))")
        }
        var roles = [TUFRole: TUFRoleKeys]()
        for (name, value) in roleMembers {
            guard let role = TUFRole(rawValue: name), let ids = value["keyids"]?.array else {
                throw f.fail("roles.\(name) has no \"keyids\" list")
            }
            var keyIDs = [String]()
            for id in ids {
                guard let s = id.string else { throw f.fail("roles.\(name).keyids holds a non-string") }
                guard !keyIDs.contains(s) else { throw f.fail("roles.\(name).keyids lists \(s.prefix(16))… twice") }
                keyIDs.append(s)
            }
            if keyIDs.count > maxKeys { throw f.fail("roles.\(name) lists \(keyIDs.count) keys (at most \(maxKeys))") }
            let threshold = try f.positive(value["threshold"], "roles.\(name).threshold")
            roles[role] = TUFRoleKeys(keyIDs: keyIDs, threshold: threshold)
        }
        return TUFRoot(version: version, expires: expires, consistentSnapshot: consistent, keys: keys, roles: roles)
    }

    /// The keys and threshold of `role` (always present: parsing requires all four).
    func keys(for role: TUFRole) -> TUFRoleKeys { roles[role] ?? TUFRoleKeys(keyIDs: [], threshold: 1) }
}

extension TUFTimestamp {
    static func parse(_ envelope: TUFEnvelope, file: String) throws(WeightSealError) -> TUFTimestamp {
        let f = TUFFields(signed: envelope.signed, file: file)
        let (version, expires) = try f.common(.timestamp)
        guard let meta = envelope.signed["meta"], meta.object != nil else { throw f.fail("signed has no \"meta\" object") }
        guard let snapshot = meta["snapshot.json"] else { throw f.fail("meta does not list snapshot.json") }
        return TUFTimestamp(version: version, expires: expires, snapshotMeta: try f.metaFile(snapshot, "meta.snapshot.json"))
    }
}

extension TUFSnapshot {
    /// Most metadata files one snapshot lists.
    static let maxMeta = 100_000

    static func parse(_ envelope: TUFEnvelope, file: String) throws(WeightSealError) -> TUFSnapshot {
        let f = TUFFields(signed: envelope.signed, file: file)
        let (version, expires) = try f.common(.snapshot)
        guard let members = envelope.signed["meta"]?.object else { throw f.fail("signed has no \"meta\" object") }
        if members.count > maxMeta { throw f.fail("meta lists \(members.count) files (at most \(maxMeta))") }
        var meta = [String: TUFMetaFile]()
        for (name, value) in members { meta[name] = try f.metaFile(value, "meta.\(name)") }
        guard meta["targets.json"] != nil else { throw f.fail("meta does not list targets.json") }
        return TUFSnapshot(version: version, expires: expires, meta: meta)
    }
}

extension TUFTargets {
    /// Most targets one targets file lists.
    static let maxTargets = 100_000

    static func parse(_ envelope: TUFEnvelope, file: String) throws(WeightSealError) -> TUFTargets {
        let f = TUFFields(signed: envelope.signed, file: file)
        let (version, expires) = try f.common(.targets)
        guard let members = envelope.signed["targets"]?.object else { throw f.fail("signed has no \"targets\" object") }
        if members.count > maxTargets { throw f.fail("lists \(members.count) targets (at most \(maxTargets))") }
        var targets = [String: TUFTargetFile]()
        for (path, value) in members {
            let name = "targets.\(path.prefix(100))"
            guard value.object != nil else { throw f.fail("\(name) is not an object") }
            let length = try f.count(value["length"], "\(name).length")
            guard let h = value["hashes"] else { throw f.fail("\(name) has no hashes") }
            targets[path] = TUFTargetFile(path: path, length: length, hashes: try f.hashes(h, "\(name).hashes"))
        }
        let delegations = envelope.signed["delegations"]
        if let delegations, delegations.object == nil { throw f.fail("delegations is not an object") }
        return TUFTargets(version: version, expires: expires, targets: targets, hasDelegations: delegations != nil)
    }
}

// MARK: - Lengths and hashes

enum TUFHashes {
    /// Checks `data` against a listed length and hashes (all of them; an algorithm weightseal cannot compute is a
    /// refusal, as in python-tuf).
    /// - Parameters:
    ///   - file: the file checked (`snapshot.json`); `lister`: the file that lists it (`timestamp.json`);
    ///     `suffix`: appended to a mismatch message (" (mix-and-match)").
    /// - Throws: ``WeightSealError/Code/trustUpdate``.
    static func check(_ data: [UInt8], length: Int?, hashes: [(String, String)], file: String, lister: String,
                      suffix: String) throws(WeightSealError) {
        if let length, data.count != length {
            throw WeightSealError(.trustUpdate, "\(file) is \(data.count) bytes, not the \(length) that \(lister) lists\(suffix)")
        }
        for (algorithm, expected) in hashes {
            guard let actual = digest(algorithm, data) else {
                throw WeightSealError(.trustUpdate, "\(lister) lists a \(algorithm.prefix(40)) hash of \(file); weightseal computes sha256, sha384 and sha512 only")
            }
            guard actual == expected else {
                throw WeightSealError(.trustUpdate, "\(file) does not match the \(algorithm) hash that \(lister) lists\(suffix)")
            }
        }
    }

    static func digest(_ algorithm: String, _ data: [UInt8]) -> String? {
        switch algorithm {
        case "sha256": return SHA256.hash(data: data).hexString
        case "sha384": return SHA384.hash(data: data).hexString
        case "sha512": return SHA512.hash(data: data).hexString
        default: return nil
        }
    }
}
