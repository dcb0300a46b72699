import Foundation

/// An in-toto Statement v1 (github.com/in-toto/attestation `spec/v1/statement.md`): subjects, a predicate type and
/// a predicate. The JSON key of the type is `_type`.
public struct InTotoStatement<Predicate: Codable & Sendable>: Codable, Sendable {
    /// The `_type` weightseal writes.
    public static var statementType: String { "https://in-toto.io/Statement/v1" }
    /// The DSSE `payloadType` of a Statement.
    public static var payloadType: String { "application/vnd.in-toto+json" }

    /// `_type`; ``statementType`` unless read from elsewhere.
    public var type: String
    /// What the statement is about (for OMS: one subject, the model, with the root digest).
    public var subject: [ResourceDescriptor]
    /// The predicate's type URI, e.g. ``OMSFormat/predicateType``.
    public var predicateType: String
    /// The predicate: a weightseal manifest, an OMS manifest, ...
    public var predicate: Predicate

    public init(subject: [ResourceDescriptor], predicateType: String, predicate: Predicate) {
        self.type = Self.statementType
        self.subject = subject
        self.predicateType = predicateType
        self.predicate = predicate
    }

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }
}

/// An in-toto ResourceDescriptor reduced to what Statements' subjects use here: a name and digests
/// (algorithm name → lower-case hex).
public struct ResourceDescriptor: Codable, Sendable, Hashable {
    /// The artifact's name.
    public var name: String
    /// Algorithm name (`sha256`) → lower-case hex digest.
    public var digest: [String: String]
    public init(name: String, digest: [String: String]) {
        self.name = name
        self.digest = digest
    }
}

/// The strict reading of a signed payload (DESIGN §4: every JSON the tool trusts is read by one strict reader).
enum SignedPayloadJSON {
    /// Parses `payload` with ``StrictJSON``: a member name twice in one object (compared after unescaping, so
    /// `"fil\u0065s"` is `files`), invalid JSON or a byte-order mark is an error, so that no other JSON reader can
    /// see a different document under the same signature (FIELD-CASES-2 G04).
    ///
    /// The value count is bounded in proportion to the size (as ``SigstoreVerifier`` reads Statements).
    /// - Parameter what: begins the message after the label, e.g. "malformed OMS statement".
    /// - Throws: ``WeightSealError/Code/malformedManifest`` naming `label`, the duplicate member and the object that
    ///   holds it; ``WeightSealError/Code/limitExceeded`` past the value or depth bound.
    /// - Parameter elements: when given, the subjects and the weightseal manifest's file entries are decoded into it
    ///   as they are read and left out of the tree (``ManifestStatement/Elements``).
    @discardableResult
    static func parse(_ payload: [UInt8], label: String, what: String,
                      elements: ManifestStatement.Elements? = nil) throws(WeightSealError) -> StrictJSON {
        if payload.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw WeightSealError(.malformedManifest, "\(label): \(what): starts with a UTF-8 byte-order mark")
        }
        do {
            return try StrictJSON.parse(payload, maxValues: Limits.maxSigstoreJSONValues + payload.count / 16,
                                        streaming: elements == nil ? [] : ManifestStatement.Elements.paths,
                                        consume: elements.map { e in { e.consume($0, $1, $2) } })
        } catch {
            let reason = error.message.hasPrefix("JSON: ") ? String(error.message.dropFirst(6)) : error.message
            throw WeightSealError(error.reason == .limit ? .limitExceeded : .malformedManifest,
                                  "\(label): \(what): not strict JSON: \(reason)")
        }
    }
}
