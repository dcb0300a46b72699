/// One license statement read from one file of a model folder (DESIGN §3, §6).
///
/// Recorded in the signed manifest's `license.declarations`, e.g.
/// `{"path": "README.md", "field": "license", "value": "apache-2.0"}`. `value` is the text exactly as the file
/// states it (not normalised), so `verify` can compare what it re-reads byte for byte.
public struct LicenseDeclaration: Codable, Sendable, Hashable {
    /// Model-relative path of the file that declares (`/`-separated, as in the manifest).
    public var path: String
    /// The key inside that file: `license`, `license_name`, `license_link` (model card front matter),
    /// `general.license`, `general.license.name`, `general.license.link` (GGUF),
    /// `__metadata__.license`, `__metadata__.modelspec.license` (safetensors).
    public var field: String
    /// The declared value, verbatim.
    public var value: String

    public init(path: String, field: String, value: String) {
        self.path = path
        self.field = field
        self.value = value
    }
}

/// The `license` block of a weightseal manifest (DESIGN §3).
///
/// JSON shape: `{"expression": "Apache-2.0", "declarations": [...], "files": ["LICENSE"], "chosenBy": "publisher"}`;
/// `expression` and `chosenBy` are omitted when `nil`.
public struct LicenseRecord: Codable, Sendable, Hashable {
    /// The canonical SPDX license expression (``SPDXExpression/description``), or `nil` when nothing declares one.
    public var expression: String?
    /// Every declaration read from the model's files when it was signed.
    public var declarations: [LicenseDeclaration]
    /// Model-relative paths of license text files (`LICENSE*`, `USE_POLICY*`, ...), sorted.
    public var files: [String]
    /// `"publisher"` when `sign --license EXPR` chose the expression; `nil` when the declarations agreed.
    public var chosenBy: String?

    /// The value of ``chosenBy`` when the publisher chose the expression.
    public static let chosenByPublisher = "publisher"

    public init(expression: String?, declarations: [LicenseDeclaration], files: [String], chosenBy: String? = nil) {
        self.expression = expression
        self.declarations = declarations
        self.files = files
        self.chosenBy = chosenBy
    }

    private enum CodingKeys: String, CodingKey { case expression, declarations, files, chosenBy }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expression = try c.decodeIfPresent(String.self, forKey: .expression)
        declarations = try c.decodeIfPresent([LicenseDeclaration].self, forKey: .declarations) ?? []
        files = try c.decodeIfPresent([String].self, forKey: .files) ?? []
        chosenBy = try c.decodeIfPresent(String.self, forKey: .chosenBy)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(expression, forKey: .expression)
        try c.encode(declarations, forKey: .declarations)
        try c.encode(files, forKey: .files)
        try c.encodeIfPresent(chosenBy, forKey: .chosenBy)
    }
}

/// One license field that a file states more than once: a safetensors header with two `__metadata__` objects or a
/// repeated `__metadata__` key, a GGUF file with a repeated `general.license*` key (FIELD-CASES-2 G07). Readers keep
/// different values (the first, the last, or none), so the file declares no single value: `sign` refuses it
/// (``WeightSealError/Code/licenseAmbiguous``) and `verify` reports ``Finding/Kind/licenseAmbiguous``.
public struct LicenseAmbiguity: Sendable, Hashable {
    /// Model-relative path of the file.
    public var path: String
    /// The field, as in ``LicenseDeclaration/field`` (`__metadata__.license`, `general.license`, ...).
    public var field: String
    /// Every value the file states for the field, in file order, quoted; a value that is not a string is described
    /// by its type (`a JSON array`, `GGUF UINT32`).
    public var values: [String]
    /// Why it is ambiguous, e.g. `the header has 2 __metadata__ objects`.
    public var reason: String

    public init(path: String, field: String, values: [String], reason: String) {
        self.path = path
        self.field = field
        self.values = values
        self.reason = reason
    }

    /// `"model.safetensors": __metadata__.license is stated 2 times ("mit", "llama3"): the header has 2 __metadata__ objects`.
    public var message: String {
        "\(ModelPath.quoted(path)): \(field) is stated \(values.count) times (\(values.joined(separator: ", "))): \(reason); readers keep different ones, so the file declares no single license"
    }
}

/// What a license reader read from one weight file's header.
public struct LicenseReadResult: Sendable, Hashable {
    /// The wanted keys that hold one string value each.
    public var values: [LicenseDeclaration]
    /// Problems such as a wanted key holding a value that is not a string.
    public var problems: [String]
    /// Wanted keys stated more than once.
    public var ambiguities: [LicenseAmbiguity]

    public init(values: [LicenseDeclaration] = [], problems: [String] = [], ambiguities: [LicenseAmbiguity] = []) {
        self.values = values
        self.problems = problems
        self.ambiguities = ambiguities
    }
}
