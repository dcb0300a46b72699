/// What a file's bytes are, as detected by ``FormatInspector`` (a stable string code, part of the JSON output).
public struct FileFormat: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }

    /// A safetensors file (by content or name).
    public static let safetensors = FileFormat(rawValue: "safetensors")
    /// A shard index: `*.safetensors.index.json` or `*.bin.index.json`.
    public static let shardIndex = FileFormat(rawValue: "shardIndex")
    /// A GGUF file.
    public static let gguf = FileFormat(rawValue: "gguf")
    /// One byte-split part of a GGUF file (`*.gguf.partNofM`), not parsed.
    public static let ggufPart = FileFormat(rawValue: "ggufPart")
    /// A raw pickle (protocol 0–5), e.g. a legacy `torch.save` file.
    public static let pickle = FileFormat(rawValue: "pickle")
    /// A PyTorch zip container holding `*/data.pkl`.
    public static let pytorchZip = FileFormat(rawValue: "pytorchZip")
    /// Another zip archive.
    public static let zip = FileFormat(rawValue: "zip")
    /// A placeholder (Git LFS pointer, HTML page, HTTP error body, empty weight file).
    public static let placeholder = FileFormat(rawValue: "placeholder")
    /// Anything else (not inspected).
    public static let other = FileFormat(rawValue: "other")
    /// The file could not be opened or read.
    public static let unreadable = FileFormat(rawValue: "unreadable")
}

/// The inspection of one file.
public struct FileInspection: Sendable, Hashable, Codable {
    /// Model-relative path (`/`-separated).
    public var path: String
    /// Size in bytes.
    public var size: UInt64
    /// What the bytes are.
    public var format: FileFormat
    /// Findings about this file, in the order found.
    public var findings: [Finding]
    /// Tensors declared in the header (safetensors, GGUF), or listed in the weight map (shard index).
    public var tensorCount: Int?
    /// GGUF version.
    public var ggufVersion: UInt32?
    /// GGUF `general.architecture`.
    public var architecture: String?
    /// Split position, e.g. `"2 of 3"` (GGUF `split.no` + 1 of `split.count`, or part N of M).
    public var split: String?
    /// Every import a pickle makes, `module.name`, deduplicated, in first-seen order (allowed ones included).
    public var pickleImports: [String]?
    /// The placeholder kind (`gitLFSPointer`, `html`, `errorBody`, `empty`).
    public var placeholder: String?

    /// An inspection with no details yet; `size` in bytes.
    public init(path: String, size: UInt64, format: FileFormat, findings: [Finding] = []) {
        self.path = path
        self.size = size
        self.format = format
        self.findings = findings
    }
}

/// The result of ``FormatInspector/inspect(root:paths:)``: per-file inspections plus findings about sets of files.
public struct InspectionReport: Sendable, Hashable, Codable {
    /// Counts by severity.
    public struct Summary: Sendable, Hashable, Codable {
        /// Files inspected, and findings of each severity (per-file and set findings together).
        public var files: Int
        public var failures: Int
        public var warnings: Int
        public var notes: Int
    }

    /// The JSON schema id of this document (`manifests/schemas/inspect-report-v1.schema.json`).
    public static let schemaID = "https://weightseal.dev/schemas/inspect-report-v1.schema.json"

    /// Always ``schemaID``.
    public var schema: String
    /// One entry per inspected path, in input order.
    public var files: [FileInspection]
    /// Findings about sets of files: GGUF split sets, byte-split parts, license declarations.
    public var setFindings: [Finding]
    public var summary: Summary
    /// The license declarations read from the files (model card, GGUF, safetensors metadata, LICENSE files).
    public var license: InspectedLicense?

    /// What the files say about their license (DESIGN §6).
    public struct InspectedLicense: Sendable, Hashable, Codable {
        /// The SPDX expression the declarations agree on; absent when they disagree or there is none.
        public var expression: String?
        public var declarations: [LicenseDeclaration]
        /// License text files (`LICENSE*`, `USE_POLICY*`).
        public var files: [String]
        public init(expression: String?, declarations: [LicenseDeclaration], files: [String]) {
            self.expression = expression
            self.declarations = declarations
            self.files = files
        }
    }

    /// A report over `files` and `setFindings`; the summary is counted from them.
    public init(files: [FileInspection], setFindings: [Finding], license: InspectedLicense? = nil) {
        self.schema = Self.schemaID
        self.files = files
        self.setFindings = setFindings
        self.license = license
        let all = files.flatMap(\.findings) + setFindings
        self.summary = Summary(files: files.count,
                               failures: all.filter { $0.severity == .failure }.count,
                               warnings: all.filter { $0.severity == .warning }.count,
                               notes: all.filter { $0.severity == .note }.count)
    }

    /// Every finding: per file in file order, then set findings.
    public var findings: [Finding] { files.flatMap(\.findings) + setFindings }

    /// Whether any finding is a failure or a warning (the `inspect` command exits 1 then).
    public var hasProblems: Bool { summary.failures + summary.warnings > 0 }
}
