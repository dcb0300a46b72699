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
    public var subject: [ResourceDescriptor]
    public var predicateType: String
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
    public var name: String
    public var digest: [String: String]
    public init(name: String, digest: [String: String]) {
        self.name = name
        self.digest = digest
    }
}
