/// The outcome of a verification: a value carrying its reasons, never thrown.
///
/// The verdict is ``Verdict/verified`` only when no finding has severity ``Finding/Severity/failure``.
/// Its JSON form is described by `manifests/schemas/verification-report-v1.schema.json`.
public struct VerificationReport: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        case verified, rejected
    }

    /// Where the expected values came from.
    public struct ReferenceInfo: Codable, Sendable {
        /// `nil` when the signature did not verify: an unverified payload is not read, so its format is unknown.
        public var kind: Reference.Kind?
        /// The signature, checksum or listing file.
        public var label: String
        /// Whether a signature was checked; unsigned references prove only that the files match the list.
        public var signed: Bool
        /// Who signed: the key hint or the certificate subject and identities.
        public var signer: String?
        /// Sigstore keyless: the OIDC issuer the Fulcio certificate names.
        public var issuer: String?
        /// Sigstore: the transparency-log entries that verified.
        public var logEntries: [LogEntryInfo]?
        /// Sigstore: the times the signature is proven to have existed at, with their sources.
        public var verifiedTimes: [TimeInfo]?

        public init(kind: Reference.Kind?, label: String, signed: Bool, signer: String? = nil) {
            self.kind = kind
            self.label = label
            self.signed = signed
            self.signer = signer
        }
    }

    /// A verified transparency-log entry, as reported.
    public struct LogEntryInfo: Codable, Sendable, Hashable {
        /// The log's base URL.
        public var log: String
        /// The entry's index in the log.
        public var logIndex: Int64
        /// Rekor v1: the integrated time (RFC 3339, UTC), covered by the signed entry timestamp.
        public var integratedTime: String?
        public init(log: String, logIndex: Int64, integratedTime: String?) {
            self.log = log
            self.logIndex = logIndex
            self.integratedTime = integratedTime
        }
    }

    /// A verified time, as reported.
    public struct TimeInfo: Codable, Sendable, Hashable {
        /// RFC 3339, UTC.
        public var time: String
        /// `rfc3161` (a TSA's timestamp) or `integratedTime` (a Rekor v1 entry's time).
        public var source: String
        /// The TSA, or the log and entry index.
        public var authority: String
        public init(time: String, source: String, authority: String) {
            self.time = time
            self.source = source
            self.authority = authority
        }
    }

    /// Per-file outcome.
    public struct FileResult: Codable, Sendable {
        /// `unreadable`: the file (or the folder holding it) could not be read, so it was not looked at; it is
        /// neither known to be missing nor known to be bad.
        public enum Status: String, Codable, Sendable {
            case ok, failed, missing, unexpected, unreadable
        }
        public var path: String
        public var status: Status
        /// Size on disk in bytes, when the file exists.
        public var size: UInt64?

        public init(path: String, status: Status, size: UInt64? = nil) {
            self.path = path
            self.status = status
            self.size = size
        }
    }

    public var verdict: Verdict
    public var reference: ReferenceInfo
    /// Files in path-byte order.
    public var files: [FileResult]
    public var findings: [Finding]
    /// The signed SPDX license expression, when the reference records one.
    public var license: String?
    /// Bytes read and hashed (a file that ends early while it is read counts the bytes read before).
    public var bytesHashed: UInt64
    /// Wall-clock seconds spent.
    public var seconds: Double

    public init(reference: ReferenceInfo, files: [FileResult] = [], findings: [Finding] = [], bytesHashed: UInt64 = 0, seconds: Double = 0) {
        self.reference = reference
        self.files = files
        self.findings = findings
        self.bytesHashed = bytesHashed
        self.seconds = seconds
        self.verdict = .rejected
        self.verdict = computeVerdict()
    }

    /// Findings that fail the verdict.
    public var failures: [Finding] { findings.filter { $0.severity == .failure } }

    /// Adds findings (license, format, cache checks) and recomputes the verdict.
    public mutating func add(_ more: [Finding]) {
        findings += more
        for f in more where f.severity == .failure {
            if let p = f.path, let i = files.firstIndex(where: { $0.path == p }), files[i].status == .ok {
                files[i].status = .failed
            }
        }
        verdict = computeVerdict()
    }

    private func computeVerdict() -> Verdict {
        findings.contains { $0.severity == .failure } ? .rejected : .verified
    }
}
