/// One thing verification, inspection or an audit found, with a stable ``Kind`` code.
///
/// Findings of severity ``Severity/failure`` make a verdict fail; warnings and notes never do. Every finding kind
/// weightseal reports is defined in this file (the audit's own kinds in `WeightSealMirror`'s `AuditReport.swift`),
/// each with what it means; `docs/verification.md` lists them for users.
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
    /// A file, or the folder holding it, could not be read: it was not looked at (never reported as missing).
    public static let unreadable = Finding.Kind("unreadable")
    /// A file changed while it was checked: it ended early, or its device, inode, size or modification time after
    /// hashing differ from when it was listed (replaced, written or removed). Its digest vouches for no state of it.
    public static let changedDuringCheck = Finding.Kind("changedDuringCheck")
    /// A name holding a bidirectional control character (U+202E …) that can make it display as another name:
    /// shown escaped everywhere, and warned about at signing (warning).
    public static let bidiControl = Finding.Kind("bidiControl")
    /// A file whose name a manifest cannot hold (a backslash, a name too long): `sign` and `hash` refuse it.
    public static let invalidName = Finding.Kind("invalidName")
    public static let ignored = Finding.Kind("ignored")
    public static let outsideSignature = Finding.Kind("outsideSignature")
    public static let unicodeNormalization = Finding.Kind("unicodeNormalization")
    public static let nameCollision = Finding.Kind("nameCollision")
    public static let unsignedReference = Finding.Kind("unsignedReference")
}

// MARK: - Formats (DESIGN §7)

extension Finding.Kind {
    /// A file's bytes break its format's rules (safetensors layout, GGUF header, index JSON, pickle opcodes, zip directory).
    public static let formatInvalid = Finding.Kind("formatInvalid")
    /// A format header is larger than a bound in ``Limits`` and was not inspected (not evidence of corruption).
    public static let formatLimitExceeded = Finding.Kind("formatLimitExceeded")
    /// A note about a format: unknown dtype, a compressed entry not scanned, a byte-split part, ...
    public static let formatNote = Finding.Kind("formatNote")
    /// The file is a pickle (or a zip holding one): loading it runs code, whatever callables it names (FIELD-CASES F17).
    public static let picklePresent = Finding.Kind("picklePresent")
    /// A pickle imports a callable outside the allow-list (``PickleScanner/allowedImports``); the import is named.
    public static let pickleImport = Finding.Kind("pickleImport")
    /// The content is another format than the file name says (pickle bytes in `.safetensors`, ...).
    public static let extensionMismatch = Finding.Kind("extensionMismatch")
    /// The file is a stand-in for the real content: a Git LFS pointer, an HTML page, an HTTP error body, empty.
    public static let placeholder = Finding.Kind("placeholder")
    /// A GGUF split set, byte-split set or sharded safetensors set lacks a member or has an empty member.
    public static let splitSetIncomplete = Finding.Kind("splitSetIncomplete")
    /// Members of a split set disagree: duplicate `split.no`, `split.count` unlike the set, tensor counts that do not add up.
    public static let splitSetInconsistent = Finding.Kind("splitSetInconsistent")
    /// A shard index (`model.safetensors.index.json`) disagrees with the shards' headers.
    public static let shardIndexMismatch = Finding.Kind("shardIndexMismatch")
}

// MARK: - Licenses (DESIGN §6)

extension Finding.Kind {
    /// A license declaration re-read from the files differs from the signed one, or the signed expression does not
    /// follow from the signed declarations (failure).
    public static let licenseMismatch = Finding.Kind("licenseMismatch")
    /// The license expression breaks the user's policy (failure).
    public static let licenseNotAllowed = Finding.Kind("licenseNotAllowed")
    /// `license: other` without `license_name` or `license_link`, an empty `license:`, or a `license_link` to a file
    /// that is absent or not covered by the signature (warning; failure under `--strict`).
    public static let licenseIncomplete = Finding.Kind("licenseIncomplete")
    /// A license-like key the Hub does not read, such as `license_url` (warning).
    public static let licenseUnknownKey = Finding.Kind("licenseUnknownKey")
    /// With no signed license record, the model's own declarations disagree with each other (failure).
    public static let licenseConflict = Finding.Kind("licenseConflict")
    /// A license text file reads like a license the expression does not name (warning: it may cover code only).
    public static let licenseTextDiffers = Finding.Kind("licenseTextDiffers")
    /// The model card's prose names a license the expression does not name (warning).
    public static let licenseProseMention = Finding.Kind("licenseProseMention")
    /// The publisher chose the expression with `sign --license` (note).
    public static let licenseChosenByPublisher = Finding.Kind("licenseChosenByPublisher")
    /// A file's license metadata could not be read (warning).
    public static let licenseUnreadable = Finding.Kind("licenseUnreadable")
    /// A weight file states a license field more than once, so it declares no single value (failure).
    public static let licenseAmbiguous = Finding.Kind("licenseAmbiguous")
}

// MARK: - Hugging Face cache

extension Finding.Kind {
    /// A verification whose reference let it check no file at all (a cache snapshot in copy mode checked by blob
    /// names alone): never a verified verdict (failure).
    public static let nothingChecked = Finding.Kind("nothingChecked")
    /// A Hugging Face cache blob whose content does not match its content-addressed name (failure).
    public static let blobNameMismatch = Finding.Kind("blobNameMismatch")
    /// A symlink in a cache snapshot with an absolute target: it breaks when the cache is moved (warning).
    public static let absoluteSymlink = Finding.Kind("absoluteSymlink")
    /// Cache bookkeeping (`.no_exist/`, `.locks/`, `*.incomplete` blobs): reported, never corruption (note).
    public static let cacheBookkeeping = Finding.Kind("cacheBookkeeping")
    /// Snapshot files whose content has no content-addressed name to check: copy mode, or a blob name that is
    /// neither a SHA-256 nor a git blob SHA-1 (note).
    public static let blobNameUnchecked = Finding.Kind("blobNameUnchecked")
    /// A cache snapshot that holds no file (failure).
    public static let emptySnapshot = Finding.Kind("emptySnapshot")
}

// MARK: - Signatures

extension Finding.Kind {
    /// Note: a bundle carrying a certificate was verified with a bare public key; the certificate was not validated.
    public static let certificateNotChecked = Finding.Kind("certificateNotChecked")
}

// MARK: - Sigstore (docs/sigstore.md)

extension Finding.Kind {
    /// The certificate's OIDC issuer is not the expected one.
    public static let issuerMismatch = Finding.Kind("issuerMismatch")
    /// No embedded SCT of the leaf verifies against the trusted root's CT logs.
    public static let sctInvalid = Finding.Kind("sctInvalid")
    /// A transparency-log entry's log is not in the trusted root.
    public static let unknownLog = Finding.Kind("unknownLog")
    /// The log entry's body does not describe this bundle's signature, key or artifact.
    public static let logEntryMismatch = Finding.Kind("logEntryMismatch")
    /// The inclusion promise (signed entry timestamp) does not verify with the log's key.
    public static let signedEntryTimestampInvalid = Finding.Kind("signedEntryTimestampInvalid")
    /// The bundle has fewer transparency-log entries than the policy requires (one, by default).
    public static let logEntryMissing = Finding.Kind("logEntryMissing")
    /// The inclusion proof is missing, or does not lead to the stated root.
    public static let inclusionProofInvalid = Finding.Kind("inclusionProofInvalid")
    /// The checkpoint (signed note) is malformed, names another tree, or no signature of the log verifies.
    public static let checkpointInvalid = Finding.Kind("checkpointInvalid")
    /// The log's integrated time is outside the log key's validity or in the future.
    public static let integratedTimeInvalid = Finding.Kind("integratedTimeInvalid")
    /// An RFC 3161 timestamp does not verify (signature, TSA chain, validity, imprint).
    public static let timestampInvalid = Finding.Kind("timestampInvalid")
    /// A keyless bundle has no verified time (no verified timestamp or integrated time).
    public static let noVerifiedTime = Finding.Kind("noVerifiedTime")
    /// The signature or statement is not about the given artifact (digest, or DSSE subject).
    public static let artifactMismatch = Finding.Kind("artifactMismatch")
}
