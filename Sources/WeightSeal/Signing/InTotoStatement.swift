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
