/// A byte range of a file with the digest it must have: a chunk of a weightseal manifest or an OMS shard.
public struct ExpectedRange: Sendable, Hashable {
    /// First byte, inclusive.
    public var start: UInt64
    /// Last byte, exclusive.
    public var end: UInt64
    /// Digest of bytes `start..<end` alone (32 bytes), in ``algorithm``.
    public var digest: [UInt8]
    public var algorithm: HashAlgorithm

    public init(start: UInt64, end: UInt64, digest: [UInt8], algorithm: HashAlgorithm) {
        self.start = start
        self.end = end
        self.digest = digest
        self.algorithm = algorithm
    }

    /// A range checked with SHA-256.
    public init(start: UInt64, end: UInt64, sha256: [UInt8]) {
        self.init(start: start, end: end, digest: sha256, algorithm: .sha256)
    }
}

/// How a file's content is checked.
public enum ContentCheck: Sendable, Hashable {
    /// SHA-256 of the whole file (32 bytes): `sha256sum`, a Hugging Face LFS oid.
    case sha256([UInt8])
    /// The digest of each byte range (all in one algorithm), in file order, covering the whole file; `whole` (if
    /// known) is the whole-file digest in the same algorithm.
    case ranges([ExpectedRange], whole: [UInt8]?)
    /// Git blob SHA-1 (20 bytes): `SHA-1("blob " + decimal size + "\0" + bytes)`, the Hub's oid for non-LFS files.
    case gitBlobSHA1([UInt8])
    /// BLAKE3 of the whole file (32 bytes): `b3sum`.
    case blake3([UInt8])

    /// The algorithm of the digests checked; nil for the git blob SHA-1.
    public var algorithm: HashAlgorithm? {
        switch self {
        case .sha256: .sha256
        case .blake3: .blake3
        case .ranges(let r, _): r.first?.algorithm ?? .sha256
        case .gitBlobSHA1: nil
        }
    }

    /// The whole-file digest when the reference gives one, with its algorithm.
    public var wholeDigest: (algorithm: HashAlgorithm, digest: [UInt8])? {
        switch self {
        case .sha256(let d): (.sha256, d)
        case .blake3(let d): (.blake3, d)
        case .ranges(let r, let whole): whole.map { (r.first?.algorithm ?? .sha256, $0) }
        case .gitBlobSHA1: nil
        }
    }
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
