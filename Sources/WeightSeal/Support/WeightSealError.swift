/// The one error type of weightseal: thrown when an operation cannot run.
///
/// A verification that ran and said no is not an error; it is a ``VerificationReport`` with findings.
/// Equality compares ``code`` only, so callers and tests can match on a code while the message
/// stays free to improve. New codes may be added without breaking clients.
public struct WeightSealError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, opaque error code. Its ``description`` (e.g. `"malformedManifest"`) is part of the JSON output.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { self.description = name }

        /// A manifest or in-toto Statement is not valid JSON, not the expected shape, or breaks the path rules (DESIGN §5.1).
        public static let malformedManifest = Code("malformedManifest")
        /// A signature file (Sigstore bundle / DSSE envelope) cannot be parsed.
        public static let malformedBundle = Code("malformedBundle")
        /// A key or certificate cannot be read or parsed.
        public static let malformedKey = Code("malformedKey")
        /// A hash, key or signature algorithm is known but not supported.
        public static let unsupportedAlgorithm = Code("unsupportedAlgorithm")
        /// A format or format version is known but not supported (legacy or keyless bundles, ...).
        public static let unsupportedFormat = Code("unsupportedFormat")
        /// A path is invalid: absolute, `..`, not UTF-8, a symlink leaving the root, ...
        public static let invalidPath = Code("invalidPath")
        /// Reading or writing a file failed.
        public static let io = Code("io")
        /// A file changed while it was hashed (it ended early, or its device, inode, size or modification time
        /// differ from when it was listed): its digest describes no single state of the file. The message names it.
        public static let fileChanged = Code("fileChanged")
        /// An input exceeds a bound in ``Limits``.
        public static let limitExceeded = Code("limitExceeded")
        /// The model folder has no file to cover.
        public static let emptyModel = Code("emptyModel")
        /// The caller's arguments are inconsistent (a key that does not match its certificate, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// License declarations in the model disagree and the publisher gave no `--license` choice.
        public static let licenseConflict = Code("licenseConflict")
        /// A weight file states a license field more than once (two safetensors `__metadata__` objects, a repeated
        /// key): readers disagree on its value, so it cannot be signed, whatever `--license` says.
        public static let licenseAmbiguous = Code("licenseAmbiguous")
        /// A published reference (checksum file, Hub tree listing) is malformed.
        public static let malformedReference = Code("malformedReference")
        /// A network operation failed before any verdict could be reached.
        public static let network = Code("network")
        /// A Sigstore trusted root or trust config cannot be used (malformed, unknown media type, bad key).
        public static let malformedTrustRoot = Code("malformedTrustRoot")
        /// A Sigstore service (Fulcio, Rekor, a timestamp authority, an OIDC token endpoint) refused a request, or
        /// answered with something that is not what was asked or does not verify against the trusted root.
        public static let service = Code("service")
        /// A TUF update was refused: a metadata or target file from the repository failed a check of the TUF client
        /// workflow (malformed, signature threshold, version rollback, expiry, length or hash mismatch). The message
        /// names the file and the reason; the trusted metadata in the cache is left as it was.
        public static let trustUpdate = Code("trustUpdate")
        /// A key in a PKCS #11 token (HSM, smart card, SoftHSM) cannot be used to sign: the module does not load, no
        /// token or more than one matches the URI, the PIN is missing or wrong, the private key or its public key
        /// object is missing or not unique, or the token refuses to sign. The message names the PKCS #11 return value
        /// (`CKR_PIN_INCORRECT`, …) where the module gave one.
        public static let pkcs11 = Code("pkcs11")
    }

    /// The stable code.
    public var code: Code
    /// What went wrong, naming the file or field, and how to fix it where that is known.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?
    /// Where the error was raised (for diagnostics).
    public var location: String

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = "\(fileID):\(line)"
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }

    public static func == (lhs: WeightSealError, rhs: WeightSealError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
