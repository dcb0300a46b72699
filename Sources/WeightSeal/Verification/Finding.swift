/// One thing verification, inspection or an audit found, with a stable ``Kind`` code.
///
/// Findings of severity ``Severity/failure`` make a verdict fail; warnings and notes never do.
public struct Finding: Sendable, Hashable, Codable {
    /// A stable finding code, e.g. `"digestMismatch"`. Codes are part of the JSON output and never renamed.
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    }

    /// How a finding weighs on the verdict.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case note, warning, failure
        private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var kind: Kind
    public var severity: Severity
    /// The model-relative path the finding is about, if any (`/`-separated, as in the manifest).
    public var path: String?
    /// A one-line human explanation.
    public var message: String
    /// The expected value (hex digest, byte count, license expression, ...), if the finding compares values.
    public var expected: String?
    /// The actual value found.
    public var actual: String?
    /// Zero-based indices of the chunks (or shards) that failed, for a chunked file.
    public var chunks: [Int]?
    /// Extra explanations: "Git LFS pointer", "content equals the expected content of X", ...
    public var hints: [String]

    public init(_ kind: Kind, _ severity: Severity = .failure, path: String? = nil, message: String,
                expected: String? = nil, actual: String? = nil, chunks: [Int]? = nil, hints: [String] = []) {
        self.kind = kind
        self.severity = severity
        self.path = path
        self.message = message
        self.expected = expected
        self.actual = actual
        self.chunks = chunks
        self.hints = hints
    }
}

extension Finding.Kind {
    // Signature and trust.
    public static let signatureInvalid = Finding.Kind("signatureInvalid")
    public static let keyMismatch = Finding.Kind("keyMismatch")
    public static let certificateInvalid = Finding.Kind("certificateInvalid")
    public static let identityMismatch = Finding.Kind("identityMismatch")
    public static let manifestInconsistent = Finding.Kind("manifestInconsistent")
    public static let legacyFormat = Finding.Kind("legacyFormat")
    // Files.
    public static let missing = Finding.Kind("missing")
    public static let unexpected = Finding.Kind("unexpected")
    public static let sizeMismatch = Finding.Kind("sizeMismatch")
    public static let digestMismatch = Finding.Kind("digestMismatch")
    public static let notRegularFile = Finding.Kind("notRegularFile")
    public static let symlinkRejected = Finding.Kind("symlinkRejected")
    public static let symlinkEscapes = Finding.Kind("symlinkEscapes")
    public static let symlinkCycle = Finding.Kind("symlinkCycle")
    public static let danglingSymlink = Finding.Kind("danglingSymlink")
    public static let unreadable = Finding.Kind("unreadable")
    public static let ignored = Finding.Kind("ignored")
    public static let outsideSignature = Finding.Kind("outsideSignature")
    public static let unicodeNormalization = Finding.Kind("unicodeNormalization")
    public static let nameCollision = Finding.Kind("nameCollision")
    public static let unsignedReference = Finding.Kind("unsignedReference")
}
