import WeightSeal

extension Finding.Kind {
    /// The mirror answered a status other than 2xx (404/410 are reported as ``missing``).
    public static let httpStatus = Finding.Kind("httpStatus")
    /// The mirror did not connect, answer or send bytes within the time allowed.
    public static let timeout = Finding.Kind("timeout")
    /// The connection failed or closed before the response was complete, after all retries.
    public static let connectionError = Finding.Kind("connectionError")
    /// What the mirror says about a file (`X-Linked-Size`, `X-Linked-Etag`, `ETag`, `Content-Length`,
    /// `X-Repo-Commit`) disagrees with the signed manifest or with itself. Evidence, never the reference.
    public static let mirrorMetadataMismatch = Finding.Kind("mirrorMetadataMismatch")
    /// The mirror ignored a `Range` request and sent the whole file; the audit skipped the bytes it did not need.
    public static let rangeIgnored = Finding.Kind("rangeIgnored")
    /// A `Range` request answered by a `200` with a `Content-Range`, or by a `206` starting before the byte asked
    /// for; the bytes were placed by the `Content-Range` the server stated (a note).
    public static let nonStandardRange = Finding.Kind("nonStandardRange")
    /// The mirror sent a `Content-Encoding` although the audit asked for `identity`; says which form of the body
    /// (decoded, or as sent) was checked (a note).
    public static let contentCoding = Finding.Kind("contentCoding")
    /// A redirect that cannot be followed: a loop, more than the limit, or a `Location` that is not a usable
    /// http(s) URL (another scheme, a port out of range).
    public static let badRedirect = Finding.Kind("badRedirect")
}

/// Why a redirect was not followed.
enum RedirectProblem: Error, Sendable {
    case unusableLocation(String, String)
    case loop([String])
    case tooMany(Int)

    var text: String {
        switch self {
        case .unusableLocation(let location, let why):
            location.isEmpty ? "the mirror redirects with an empty Location" : "the mirror redirects to \(MirrorURL.display(location)), which \(why)"
        case .loop(let urls): "the redirects loop: \(urls.map(MirrorURL.display).joined(separator: " -> "))"
        case .tooMany(let n): "more than \(n) redirects"
        }
    }
}

/// What a mirror said about a file in its response heads: evidence, compared with the signed manifest but never
/// trusted as the reference.
public struct MirrorEvidence: Sendable, Hashable, Codable {
    /// Status of the final response (after redirects).
    public var status: Int?
    /// URL of the final response, when redirects were followed.
    public var finalURL: String?
    /// Redirects followed.
    public var redirects: Int = 0
    /// `Content-Length` of the final response, in bytes.
    public var contentLength: UInt64?
    /// Total size from a `206` answer's `Content-Range`, in bytes.
    public var contentRangeTotal: UInt64?
    /// `X-Linked-Size` (Hub), in bytes.
    public var linkedSize: UInt64?
    /// `X-Linked-Etag` (Hub: the LFS SHA-256 of the file), quotes removed.
    public var linkedEtag: String?
    /// `ETag` of the final response, quotes and `W/` removed.
    public var etag: String?
    /// `X-Repo-Commit` (Hub: the commit the revision resolved to).
    public var repoCommit: String?
    /// `Content-Encoding` of the final response when it is not `identity` (the audit asks for `identity`; an encoded
    /// body is not the file's bytes).
    public var contentEncoding: String?
    /// `Location` of the last redirect, when it was not followed.
    public var location: String?
    public init() {}
}

/// The outcome of auditing one file on one mirror.
public struct FileAudit: Sendable, Hashable, Codable {
    /// `ok`: every check that ran passed; `failed`: at least one finding of severity failure.
    public enum Status: String, Sendable, Hashable, Codable { case ok, failed }
    /// How much of the file the audit checked.
    public enum Coverage: String, Sendable, Hashable, Codable {
        /// Only the mirror's metadata (head mode): size, and the advertised SHA-256 if any.
        case metadata
        /// Some chunks, each against its signed digest (sample mode).
        case sampled
        /// Every byte against the signed digests.
        case complete
        /// Some bytes were hashed, but not all that this mode checks: the transfer failed or the body ended early.
        case partial
        /// Nothing could be checked (the file could not be fetched).
        case none
    }

    /// Model-relative path from the manifest.
    public var path: String
    /// URL requested.
    public var url: String
    public var status: Status
    public var coverage: Coverage
    /// Size in the signed manifest, bytes.
    public var expectedSize: UInt64?
    /// Body bytes received and hashed.
    public var bytes: UInt64
    /// Wall-clock seconds spent on this file's requests (summed over its requests).
    public var seconds: Double
    /// Chunks whose signed digest was compared with the mirror's bytes.
    public var chunksChecked: Int
    /// Chunks the manifest signs for this file (0 for a file with a single whole-file digest).
    public var chunksTotal: Int
    /// Zero-based indices of the chunks checked, for a sampled file (so the draw can be checked by hand).
    public var sampledChunks: [Int]?
    /// Whether the advertised SHA-256 (`X-Linked-Etag` / 64-hex `ETag`) equals the signed one; `nil` when the mirror
    /// advertised none or the manifest has no whole-file digest.
    public var advertisedDigestMatches: Bool?
    public var evidence: MirrorEvidence?
    public var findings: [Finding]
}

/// The outcome of auditing one mirror.
public struct MirrorAudit: Sendable, Hashable, Codable {
    /// Base URL as given.
    public var url: String
    /// No file has a failure finding.
    public var ok: Bool
    /// Files audited.
    public var files: Int
    /// Paths of the files that failed, in manifest order.
    public var failingFiles: [String]
    /// Body bytes received, and the bytes the manifest lists for the files audited.
    public var bytes: UInt64
    public var expectedBytes: UInt64
    /// Wall-clock seconds for this mirror.
    public var seconds: Double
    /// `bytes / seconds`.
    public var bytesPerSecond: Double
    /// Chunks checked against signed digests, out of the chunks the manifest signs.
    public var chunksChecked: Int
    public var chunksTotal: Int
    /// What the checks that passed prove, in one sentence (depends on the mode).
    public var proof: String
    /// Findings about the mirror as a whole (e.g. an unsigned reference).
    public var findings: [Finding]
    /// Per-file results, in manifest order.
    public var fileAudits: [FileAudit]
}

/// The result of ``MirrorAuditor/audit(reference:mirrors:)``; `--json` prints it. Schema:
/// `manifests/schemas/audit-report-v1.schema.json`.
public struct AuditReport: Sendable, Hashable, Codable {
    /// `"https://weightseal.dev/audit-report/v1"`.
    public var schema: String
    /// The reference's label (the signature file) and kind; whether it was signed.
    public var reference: String
    public var referenceKind: String
    public var referenceSigned: Bool
    public var mode: AuditMode
    /// `"plain"` or `"huggingface"`, with repo and revision for the latter.
    public var layout: String
    public var repo: String?
    public var revision: String?
    /// Sample mode only: chunks drawn per file and the seed of the draw.
    public var samplesPerFile: Int?
    public var seed: UInt64?
    /// Every mirror is ok.
    public var ok: Bool
    public var mirrors: [MirrorAudit]

    public static let schemaID = "https://weightseal.dev/audit-report/v1"
}
