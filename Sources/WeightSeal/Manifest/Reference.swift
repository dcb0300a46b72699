/// A byte range of a file with the SHA-256 it must have: a chunk of a weightseal manifest or an OMS shard.
public struct ExpectedRange: Sendable, Hashable {
    /// First byte, inclusive.
    public var start: UInt64
    /// Last byte, exclusive.
    public var end: UInt64
    /// SHA-256 of bytes `start..<end` (32 bytes).
    public var sha256: [UInt8]
    public init(start: UInt64, end: UInt64, sha256: [UInt8]) {
        self.start = start
        self.end = end
        self.sha256 = sha256
    }
}

/// How a file's content is checked.
public enum ContentCheck: Sendable, Hashable {
    /// SHA-256 of the whole file (32 bytes): `sha256sum`, a Hugging Face LFS oid.
    case sha256([UInt8])
    /// SHA-256 of each byte range, in file order, covering the whole file; `whole` (if known) is the whole-file SHA-256.
    case ranges([ExpectedRange], whole: [UInt8]?)
    /// Git blob SHA-1 (20 bytes): `SHA-1("blob " + decimal size + "\0" + bytes)`, the Hub's oid for non-LFS files.
    case gitBlobSHA1([UInt8])
}

/// One file a reference says the model folder must contain.
public struct ExpectedFile: Sendable, Hashable {
    /// Model-relative path, already checked by ``ModelPath/validate(_:)``.
    public var path: String
    /// Size in bytes, when the reference records it.
    public var size: UInt64?
    public var check: ContentCheck
    public init(path: String, size: UInt64?, check: ContentCheck) {
        self.path = path
        self.size = size
        self.check = check
    }
}

/// What a model folder must hold, taken from a signed manifest or an unsigned published reference.
///
/// Every source (weightseal manifest, OMS manifest, SHA256SUMS, Hub tree listing) is turned into this one shape, so
/// the verifier walks and hashes the same way whatever the source.
public struct Reference: Sendable {
    /// Where a reference came from. Raw values appear in reports.
    public enum Kind: String, Sendable, Codable {
        case weightsealManifest, omsManifest, checksumFile, huggingFaceTree, huggingFaceCache
    }
    /// What a signed manifest says of symbolic links.
    public enum SymlinkRule: String, Sendable, Codable {
        /// Any symlink is a finding.
        case reject
        /// A symlink whose target stays inside the root is followed.
        case withinRoot = "within-root"
    }

    public var kind: Kind
    /// Whether the reference's content was checked against a signature.
    public var isSigned: Bool
    /// The files, unique by path.
    public var files: [ExpectedFile]
    /// Exact relative paths not covered (a folder covers everything below it).
    public var ignorePaths: [String]
    public var symlinks: SymlinkRule
    /// A short label for reports, e.g. the signature or checksum file's path.
    public var label: String

    public init(kind: Kind, isSigned: Bool, files: [ExpectedFile], ignorePaths: [String],
                symlinks: SymlinkRule, label: String) {
        self.kind = kind
        self.isSigned = isSigned
        self.files = files
        self.ignorePaths = ignorePaths
        self.symlinks = symlinks
        self.label = label
    }
}
