import WeightSeal

/// How a mirror lays out a model's files under its base URL.
public enum MirrorLayout: Sendable, Hashable {
    /// `BASE/path`: a static file server, an object store, an internal cache.
    case plain
    /// `BASE/{repo}/resolve/{revision}/path`: the Hugging Face Hub and its mirrors. The Hub answers `302` to a CDN
    /// and puts `X-Linked-Size`, `X-Linked-Etag` and `X-Repo-Commit` on the redirect.
    case huggingFace(repo: String, revision: String)

    /// `"plain"` or `"huggingface"`, as in the report and on the command line.
    public var name: String {
        switch self {
        case .plain: "plain"
        case .huggingFace: "huggingface"
        }
    }
}

/// How much of each file an audit fetches.
public enum AuditMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// `HEAD` each file: compare the served size and any advertised SHA-256 with the signed manifest. Fetches no bytes,
    /// so it proves only what the mirror says about itself.
    case head
    /// Stream every byte and hash it chunk by chunk against the signed digests; nothing is written to disk.
    case full
    /// Fetch ``MirrorAuditOptions/samplesPerFile`` random chunks of each chunked file by `Range` request and check
    /// them against the signed chunk digests; files without chunk digests are fetched whole.
    case sample
}

/// Settings of a ``MirrorAuditor``.
public struct MirrorAuditOptions: Sendable, Hashable {
    public var layout: MirrorLayout
    public var mode: AuditMode
    /// Chunks drawn per chunked file in ``AuditMode/sample`` mode (at least 1).
    public var samplesPerFile: Int
    /// Seed of the chunk draw in ``AuditMode/sample`` mode; `nil` draws a fresh seed, which the report records so
    /// the same draw can be repeated.
    public var seed: UInt64?
    /// Requests in flight at once, per mirror (at least 1).
    public var concurrency: Int
    /// Seconds allowed to connect, to receive a response head, and between two reads of a body. A server that stays
    /// silent longer ends in a `timeout` finding.
    public var timeout: Double
    /// Slowest acceptable body rate in bytes per second: a body that arrives slower than this over any
    /// ``timeout``-second window after its head is abandoned (a `timeout` finding) even if bytes keep trickling in.
    public var minimumBytesPerSecond: Double
    /// Extra attempts after a connection error or a 5xx answer (timeouts are not retried).
    public var retries: Int
    /// Seconds before the first retry; each further retry waits twice as long, at most 10 seconds.
    public var retryDelay: Double
    /// Most redirects followed for one request.
    public var maxRedirects: Int
    /// In ``AuditMode/full`` mode a chunked file larger than this many bytes is fetched as several `Range` requests
    /// of whole chunks, so one large file is hashed on several cores; `nil` fetches every file with one `GET`.
    public var segmentBytes: UInt64?

    public init(layout: MirrorLayout = .plain, mode: AuditMode = .head, samplesPerFile: Int = 4, seed: UInt64? = nil,
                concurrency: Int = 4, timeout: Double = 30, minimumBytesPerSecond: Double = 64 * 1024,
                retries: Int = 3, retryDelay: Double = 0.25, maxRedirects: Int = 5,
                segmentBytes: UInt64? = 256 << 20) {
        self.layout = layout
        self.mode = mode
        self.samplesPerFile = samplesPerFile
        self.seed = seed
        self.concurrency = concurrency
        self.timeout = timeout
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.retries = retries
        self.retryDelay = retryDelay
        self.maxRedirects = maxRedirects
        self.segmentBytes = segmentBytes
    }

    /// Checks the settings. - Throws: ``WeightSealError/Code/invalidArgument`` naming the bad setting.
    func validated() throws(WeightSealError) -> MirrorAuditOptions {
        guard samplesPerFile >= 1 else { throw WeightSealError(.invalidArgument, "samples per file must be at least 1") }
        guard concurrency >= 1, concurrency <= 256 else {
            throw WeightSealError(.invalidArgument, "concurrency must be between 1 and 256")
        }
        guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
            throw WeightSealError(.invalidArgument, "timeout must be between 0 and 86400 seconds")
        }
        guard minimumBytesPerSecond.isFinite, minimumBytesPerSecond > 0 else {
            throw WeightSealError(.invalidArgument, "minimum bytes per second must be positive")
        }
        guard retries >= 0, retries <= 20 else { throw WeightSealError(.invalidArgument, "retries must be 0...20") }
        guard retryDelay.isFinite, retryDelay >= 0, retryDelay <= 60 else {
            throw WeightSealError(.invalidArgument, "retry delay must be 0...60 seconds")
        }
        guard maxRedirects >= 0, maxRedirects <= 20 else {
            throw WeightSealError(.invalidArgument, "max redirects must be 0...20")
        }
        if case .huggingFace(let repo, let revision) = layout {
            guard !repo.isEmpty, !revision.isEmpty, !repo.hasPrefix("/"), !repo.hasSuffix("/"),
                  !repo.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }),
                  revision != "..", revision != "." else {
                throw WeightSealError(.invalidArgument, "huggingface layout needs a repo like org/name and a revision")
            }
        }
        if let s = segmentBytes, s < UInt64(Limits.minChunkSize) {
            throw WeightSealError(.invalidArgument, "segment size must be at least \(Limits.minChunkSize) bytes")
        }
        return self
    }
}
