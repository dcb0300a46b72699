import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import WeightSeal

/// A count of bytes shared by the requests of one mirror.
final class ByteCounter: Sendable {
    private let count = Atomic<UInt64>(0)
    func add(_ n: UInt64) { count.wrappingAdd(n, ordering: .relaxed) }
    var value: UInt64 { count.load(ordering: .relaxed) }
}

/// Checks model mirrors over HTTP against a signed manifest, without keeping the files (DESIGN §9).
///
/// The ``Reference`` (the signed manifest) is the only reference. What a mirror says about a file — `Content-Length`,
/// `X-Linked-Size`, `X-Linked-Etag`, `ETag` — is evidence: reported, compared, never trusted. In
/// ``AuditMode/head`` mode that evidence is all there is, so the report says so; ``AuditMode/full`` and
/// ``AuditMode/sample`` hash the bytes against the signed digests as they arrive.
///
/// Requests follow redirects (the Hub answers `302` to a CDN; each `Location` is checked before it is followed, a
/// loop or an unusable target is a `badRedirect` finding), ask for `Accept-Encoding: identity`, are retried with
/// capped exponential backoff after connection errors and 5xx answers, and end in a `timeout` finding when a server
/// stalls or trickles below ``MirrorAuditOptions/minimumBytesPerSecond``.
/// Memory is bounded by ``MirrorAuditOptions/concurrency`` × the client's body buffer, whatever the model size.
public struct MirrorAuditor: Sendable {
    public let options: MirrorAuditOptions

    /// - Throws: ``WeightSealError/Code/invalidArgument`` when an option is out of range.
    public init(options: MirrorAuditOptions = MirrorAuditOptions()) throws(WeightSealError) {
        self.options = try options.validated()
    }

    /// Audits each mirror in turn against a signed reference whose signature verified (the only input accepted: an
    /// unverified payload is never audited against).
    ///
    /// - Parameters:
    ///   - verified: from ``SignedReference/load(signatureFile:trust:)``.
    ///   - mirrors: base URLs, `http://` or `https://`.
    ///   - progress: as for ``audit(reference:mirrors:progress:)``.
    /// - Returns: a report; a mirror that serves wrong bytes is a failed ``MirrorAudit``, not an error.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` for no mirror or a malformed URL.
    public func audit(verified: VerifiedReference, mirrors: [String],
                      progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> AuditReport {
        try await audit(reference: verified.reference, mirrors: mirrors, progress: progress)
    }

    /// Audits each mirror in turn (each with the full concurrency, so the per-mirror times compare).
    ///
    /// - Parameters:
    ///   - reference: the files and digests the mirrors must serve.
    ///   - mirrors: base URLs, `http://` or `https://`.
    /// - Returns: a report; a mirror that serves wrong bytes is a failed ``MirrorAudit``, not an error.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` for no mirror or a malformed URL.
    ///   - progress: for each mirror in turn, body bytes received so far (retries included) of those the mode fetches,
    ///     about ten times a second while bodies are being fetched and once when the mirror is done (head mode
    ///     fetches none).
    package func audit(reference: Reference, mirrors: [String],
                      progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> AuditReport {
        guard !mirrors.isEmpty else { throw WeightSealError(.invalidArgument, "no mirror URL given") }
        var bases: [String] = []
        for m in mirrors { bases.append(try MirrorURL.base(m)) }
        let seed = options.seed ?? UInt64.random(in: 0..<(1 << 53))  // exact in any JSON reader

        var config = HTTPClient.Configuration(
            // Redirects are followed by MirrorRun, which checks each Location first (see MirrorRun.redirect).
            redirectConfiguration: .disallow,
            // No client read timeout: HEAD requests have a deadline and bodies their own idle watchdog (HashingDelegate).
            timeout: .init(connect: Self.amount(options.timeout)),
            decompression: .disabled)
        config.connectionPool = .init(idleTimeout: .seconds(30),
                                      concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, options.concurrency))
        // A refused connection fails the request at once; the audit's own retries (with backoff) decide what next,
        // instead of the pool re-dialling until the connect timeout, on every attempt.
        config.connectionPool.retryConnectionEstablishment = false
        config.httpVersion = .http1Only
        // Bodies are hashed on the event loops (HashingDelegate), so the audit has its own: one per core it may use.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(options.concurrency, System.coreCount)))
        let client = HTTPClient(eventLoopGroup: group, configuration: config)

        var audits: [MirrorAudit] = []
        for (i, base) in bases.enumerated() {
            let (plain, authorization) = MirrorURL.credentials(base)
            let run = MirrorRun(client: client, eventLoops: group, options: options, base: plain,
                                authorization: authorization, reference: reference, seed: seed,
                                received: ByteCounter(), progress: progress)
            var audit = await run.run()
            audit.url = MirrorURL.display(mirrors[i])
            audits.append(audit)
        }
        try? await client.shutdown()
        try? await group.shutdownGracefully()

        var repo: String?, revision: String?
        if case .huggingFace(let r, let v) = options.layout { repo = r; revision = v }
        return AuditReport(schema: AuditReport.schemaID, reference: reference.label,
                           referenceKind: reference.kind.rawValue, referenceSigned: reference.isSigned,
                           mode: options.mode, layout: options.layout.name, repo: repo, revision: revision,
                           samplesPerFile: options.mode == .sample ? options.samplesPerFile : nil,
                           seed: options.mode == .sample ? seed : nil,
                           ok: audits.allSatisfy(\.ok), mirrors: audits)
    }

    /// The chunk indices ``AuditMode/sample`` mode checks for one file: `count` distinct indices in `0..<total`,
    /// sorted, drawn by SplitMix64 seeded with `seed` mixed with the path (FNV-1a 64 of its UTF-8), so a draw depends
    /// only on the seed and the file, not on request order. All indices when `count >= total`.
    public static func sampleChunks(count: Int, of total: Int, seed: UInt64, path: String) -> [Int] {
        guard total > 0, count > 0 else { return [] }
        if count >= total { return Array(0..<total) }
        var fnv: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in path.utf8 { fnv = (fnv ^ UInt64(b)) &* 0x100_0000_01b3 }
        var rng = SplitMix64(seed: seed ^ fnv)
        var picked = Set<Int>()
        while picked.count < count { picked.insert(Int.random(in: 0..<total, using: &rng)) }
        return picked.sorted()
    }

    static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(min(seconds, 86_400 * 365) * 1e9))
    }
}

/// One unit of work: a `HEAD`, or a `GET` of a file or of a range of whole chunks.
struct WorkUnit: Sendable {
    enum Kind: Sendable { case head, body(BodyCheck, rangeRequest: Bool) }
    var file: Int
    var kind: Kind
}

/// What one unit found.
struct UnitOutcome: Sendable {
    var file: Int
    var bytes: UInt64 = 0
    var seconds: Double = 0
    var checked: [Int] = []
    var bad: [Int] = []
    var wholeMatches: Bool?
    var wholeActual: String?
    var findings: [Finding] = []
    var evidence: MirrorEvidence?
    /// The served size (`Content-Length` of an uncoded `200`, total of a `Content-Range`), when known.
    var servedSize: UInt64?
    /// A body sent with a `Content-Encoding`: which form of it was checked.
    var coding: CodingOutcome?
}

/// The audit of one mirror.
struct MirrorRun: Sendable {
    let client: HTTPClient
    /// Where body requests are pinned, round robin, so hashing spreads over the loops.
    let eventLoops: any EventLoopGroup
    let options: MirrorAuditOptions
    /// The mirror's base URL, without user information.
    let base: String
    /// `Authorization` value from the user information of the mirror URL, sent to the mirror's own origin only.
    let authorization: String?
    let reference: Reference
    let seed: UInt64
    /// Body bytes received by this mirror's requests, for ``progress``.
    let received: ByteCounter
    let progress: (@Sendable (HashProgress) -> Void)?

    func url(_ file: ExpectedFile) -> String { MirrorURL.file(base: base, path: file.path, layout: options.layout) }

    func plan() -> (units: [WorkUnit], sampled: [Int: [Int]], notes: [Int: [Finding]]) {
        var units: [WorkUnit] = []
        var sampled: [Int: [Int]] = [:]
        var notes: [Int: [Finding]] = [:]
        for (i, f) in reference.files.enumerated() {
            switch options.mode {
            case .head:
                units.append(WorkUnit(file: i, kind: .head))
            case .full, .sample:
                switch f.check {
                case .ranges(let ranges, _):
                    let indexed = ranges.enumerated().map { IndexedRange(index: $0.offset, start: $0.element.start, end: $0.element.end, digest: $0.element.digest, algorithm: $0.element.algorithm) }
                    if options.mode == .sample {
                        let pick = MirrorAuditor.sampleChunks(count: options.samplesPerFile, of: indexed.count, seed: seed, path: f.path)
                        sampled[i] = pick
                        for p in pick { units.append(WorkUnit(file: i, kind: .body(.chunks([indexed[p]]), rangeRequest: true))) }
                        if pick.isEmpty { units.append(WorkUnit(file: i, kind: .head)) }
                    } else if let seg = options.segmentBytes, let size = f.size, size > seg, indexed.count > 1 {
                        var group: [IndexedRange] = []
                        var groupBytes: UInt64 = 0
                        for r in indexed {
                            group.append(r)
                            groupBytes &+= r.end &- r.start
                            if groupBytes >= seg {
                                units.append(WorkUnit(file: i, kind: .body(.chunks(group), rangeRequest: true)))
                                group = []
                                groupBytes = 0
                            }
                        }
                        if !group.isEmpty { units.append(WorkUnit(file: i, kind: .body(.chunks(group), rangeRequest: true))) }
                    } else {
                        units.append(WorkUnit(file: i, kind: .body(.chunks(indexed), rangeRequest: false)))
                    }
                case .sha256(let d):
                    units.append(WorkUnit(file: i, kind: .body(.sha256(d), rangeRequest: false)))
                case .blake3(let d):
                    units.append(WorkUnit(file: i, kind: .body(.blake3(d), rangeRequest: false)))
                case .gitBlobSHA1(let d):
                    if f.size != nil {
                        units.append(WorkUnit(file: i, kind: .body(.gitBlobSHA1(d), rangeRequest: false)))
                    } else {
                        units.append(WorkUnit(file: i, kind: .head))
                        notes[i, default: []].append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                            message: "the reference gives a git blob SHA-1 without a size, so the bytes cannot be checked"))
                    }
                }
            }
        }
        return (units, sampled, notes)
    }

    func run() async -> MirrorAudit {
        let clock = ContinuousClock()
        let started = clock.now
        let (units, sampled, notes) = plan()
        var outcomes: [UnitOutcome] = []
        outcomes.reserveCapacity(units.count)
        let planned = units.reduce(UInt64(0)) { total, unit in
            guard case .body(let check, _) = unit.kind else { return total }
            switch check {
            case .chunks(let ranges): return total &+ ranges.reduce(0) { $0 &+ ($1.end &- $1.start) }
            case .sha256, .blake3, .gitBlobSHA1: return total &+ (reference.files[unit.file].size ?? 0)
            }
        }
        let reporter = Task { [received, progress] in
            guard let progress, planned > 0 else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                let d = clock.now - started
                progress(HashProgress(bytesDone: received.value, bytesTotal: planned,
                                      seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
            }
        }
        await withTaskGroup(of: UnitOutcome.self) { group in
            var next = 0
            while next < min(options.concurrency, units.count) {
                let u = units[next]
                group.addTask { await self.execute(u) }
                next += 1
            }
            while let o = await group.next() {
                outcomes.append(o)
                if next < units.count {
                    let u = units[next]
                    group.addTask { await self.execute(u) }
                    next += 1
                }
            }
        }
        reporter.cancel()
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if let progress, planned > 0 { progress(HashProgress(bytesDone: received.value, bytesTotal: planned, seconds: seconds)) }

        var byFile = [[UnitOutcome]](repeating: [], count: reference.files.count)
        for o in outcomes { byFile[o.file].append(o) }
        var files: [FileAudit] = []
        for (i, f) in reference.files.enumerated() {
            files.append(merge(file: f, outcomes: byFile[i], sampled: sampled[i], notes: notes[i] ?? []))
        }
        var mirrorFindings: [Finding] = []
        if !reference.isSigned {
            mirrorFindings.append(Finding(.unsignedReference, .warning,
                message: "the reference \(reference.label) is not signed: the audit proves agreement with it, not authenticity"))
        }
        let bytes = files.reduce(UInt64(0)) { $0 &+ $1.bytes }
        let expected = reference.files.reduce(UInt64(0)) { $0 &+ ($1.size ?? 0) }
        let checked = files.reduce(0) { $0 + $1.chunksChecked }
        let total = files.reduce(0) { $0 + $1.chunksTotal }
        let failing = files.filter { $0.status == .failed }.map(\.path)
        return MirrorAudit(url: base, ok: failing.isEmpty && !mirrorFindings.contains { $0.severity == .failure },
                           files: files.count, failingFiles: failing, bytes: bytes, expectedBytes: expected,
                           seconds: seconds, bytesPerSecond: seconds > 0 ? Double(bytes) / seconds : 0,
                           chunksChecked: checked, chunksTotal: total,
                           proof: proof(files: files, checked: checked, total: total),
                           findings: mirrorFindings, fileAudits: files)
    }

    func proof(files: [FileAudit], checked: Int, total: Int) -> String {
        let short = files.filter { $0.coverage == .none || $0.coverage == .partial }.count
        let unchecked = short == 0 ? "" : " \(short) file\(short == 1 ? "" : "s") could not be checked completely (see \(short == 1 ? "its" : "their") findings)."
        switch options.mode {
        case .head:
            let sized = files.filter { $0.coverage == .metadata }.count
            let withDigest = files.filter { $0.advertisedDigestMatches == true }.count
            return "head: sizes compared for \(sized) of \(files.count) files; \(withDigest) advertised a SHA-256 that equals the signed one. "
                + "No bytes were fetched, so this proves only what the mirror says about itself." + unchecked
        case .full:
            let complete = files.filter { $0.coverage == .complete }.count
            if complete == files.count {
                let failed = files.filter { $0.status == .failed }.count
                return "full: every byte of \(files.count) files was hashed against the signed digests (\(checked) chunks)."
                    + (failed == 0 ? "" : " \(failed) of them failed (see \(failed == 1 ? "its" : "their") findings).")
            }
            return "full: \(complete) of \(files.count) files were hashed completely against the signed digests (\(checked) of \(total) chunks)." + unchecked
        case .sample:
            let whole = files.filter { $0.chunksTotal == 0 }.count
            return "sample: \(checked) of \(total) signed chunks checked (\(options.samplesPerFile) per chunked file, seed \(seed)); "
                + "\(whole) file\(whole == 1 ? "" : "s") without chunk digests fetched whole. A file with exactly one bad chunk among n escapes "
                + "a draw of k chunks with probability (n-k)/n; passing proves only the chunks drawn." + unchecked
        }
    }

    // MARK: - Merging

    func merge(file f: ExpectedFile, outcomes: [UnitOutcome], sampled: [Int]?, notes: [Finding]) -> FileAudit {
        var findings = notes
        var bytes: UInt64 = 0
        var seconds = 0.0
        var checked: [Int] = []
        var bad: [Int] = []
        var evidence: MirrorEvidence?
        var wholeMatches: Bool?
        var wholeActual: String?
        var served: UInt64?
        var coding: CodingOutcome?
        for o in outcomes {
            bytes &+= o.bytes
            seconds += o.seconds
            checked += o.checked
            bad += o.bad
            if evidence == nil { evidence = o.evidence }
            if wholeMatches == nil { wholeMatches = o.wholeMatches; wholeActual = o.wholeActual }
            if served == nil { served = o.servedSize }
            if coding == nil || coding?.form == .decoded || coding?.form == .asSent { coding = o.coding ?? coding }
            for finding in o.findings where !findings.contains(finding) { findings.append(finding) }
        }
        checked.sort()
        bad.sort()
        let chunksTotal: Int
        if case .ranges(let r, _) = f.check { chunksTotal = r.count } else { chunksTotal = 0 }
        // Compared with the SHA-256 a mirror advertises (ETag, X-Linked-Etag): a BLAKE3 digest cannot be.
        let expectedWhole = f.check.wholeDigest.flatMap { $0.algorithm == .sha256 ? $0.digest : nil }
        if !bad.isEmpty {
            findings.append(Finding(.digestMismatch, path: f.path,
                message: "\(bad.count) of \(checked.count) chunks checked differ from the signed digests",
                chunks: bad, hints: ["chunk indices are zero-based"]))
        }
        if wholeMatches == false {
            var expected: String?
            switch f.check {
            case .sha256(let d), .blake3(let d): expected = d.hexString
            case .gitBlobSHA1(let d): expected = d.hexString
            case .ranges: expected = nil
            }
            var message = "the served bytes differ from the signed digest"
            var hints: [String] = []
            switch coding?.form {
            case .neither:
                message = "the served bytes, decoded (Content-Encoding: \(coding?.encoding ?? "")), differ from the signed digest; so do the bytes as sent"
                if let a = coding?.asSentActual { hints.append("the bytes as sent (still coded) hash to \(a)") }
            case .undecoded(let why):
                message = "the served bytes as sent (Content-Encoding: \(coding?.encoding ?? ""), not decoded: \(why)) differ from the signed digest"
            default:
                break
            }
            findings.append(Finding(.digestMismatch, path: f.path, message: message,
                                    expected: expected, actual: wholeActual, hints: hints))
        }
        // The served size (Content-Length / Content-Range), when the bytes did not already show the difference.
        let headMode = options.mode == .head
        if let size = f.size, let served, served != size, !findings.contains(where: { $0.kind == .sizeMismatch }) {
            findings.append(Finding(.sizeMismatch, path: f.path, message: "the mirror serves \(served) bytes; the manifest signs \(size)",
                                    expected: String(size), actual: String(served),
                                    hints: headMode ? ["from the response head; no bytes were fetched"] : []))
        }
        let advertised = advertisedDigest(evidence)
        var advertisedMatches: Bool?
        if let evidence {
            findings += metadataFindings(file: f, evidence: evidence, expectedWhole: expectedWhole,
                                         advertised: advertised, headMode: headMode, existing: findings)
            if let a = advertised, let e = expectedWhole { advertisedMatches = a == e }
            if case .gitBlobSHA1(let d) = f.check, let tag = MirrorURL.sha1Hex(evidence.etag) { advertisedMatches = tag == d }
        }
        let answered = evidence?.status.map { (200...299).contains($0) } ?? false
        // A coded Content-Length is the length of the coded body: the file's size is unknown, not wrong (G12).
        let statedLength = evidence?.contentEncoding == nil ? evidence?.contentLength : nil
        if headMode, answered, f.size != nil, statedLength == nil, evidence?.linkedSize == nil,
           !findings.contains(where: { $0.kind == .sizeMismatch }) {
            if let encoding = evidence?.contentEncoding {
                findings.append(Finding(.mirrorMetadataMismatch, path: f.path,
                    message: "size unknown: content-coded (Content-Encoding: \(encoding) although the audit asked for identity), so its Content-Length is not the file's size and head mode compared nothing",
                    actual: evidence?.contentLength.map { "Content-Length \($0) (\(encoding))" },
                    hints: ["use --mode sample or --mode full: the audit decodes the body and checks the decoded bytes"]))
            } else {
                findings.append(Finding(.mirrorMetadataMismatch, path: f.path,
                    message: "the mirror states no size for this file (no Content-Length or X-Linked-Size), so head mode compared nothing",
                    hints: ["use --mode sample or --mode full to check the bytes"]))
            }
        }
        if let coding {
            switch coding.form {
            case .decoded:
                findings.append(Finding(.contentCoding, .note, path: f.path,
                    message: "the mirror sent Content-Encoding: \(coding.encoding) although the audit asked for identity; the body was decoded and the decoded bytes were checked",
                    actual: coding.encoding))
            case .asSent:
                findings.append(Finding(.contentCoding, .note, path: f.path,
                    message: "the mirror labels the body Content-Encoding: \(coding.encoding), but the bytes as sent are the signed ones (a stored compressed file labelled as a content coding); they were checked, not the decoded form",
                    actual: coding.encoding))
            case .neither:
                findings.append(Finding(.contentCoding, .note, path: f.path,
                    message: "the mirror sent Content-Encoding: \(coding.encoding) although the audit asked for identity; neither the decoded bytes nor the bytes as sent are the signed ones",
                    actual: coding.encoding))
            case .undecoded(let why):
                findings.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                    message: "the mirror sent Content-Encoding: \(coding.encoding) although the audit asked for identity, and it was not decoded (\(why)); the bytes as sent were checked",
                    actual: coding.encoding))
            }
        } else if let encoding = evidence?.contentEncoding, !headMode {
            findings.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                message: "the mirror sent Content-Encoding: \(encoding) although the audit asked for identity",
                actual: encoding))
        }
        let failed = findings.contains { $0.severity == .failure }
        let coverage: FileAudit.Coverage
        let everyChunk = chunksTotal > 0 && Set(checked).count == chunksTotal
        let wholeCompared = chunksTotal == 0 && (wholeMatches != nil || (answered && f.size == 0 && bytes == 0))
        switch options.mode {
        case .head:
            coverage = answered && (f.size == nil || statedLength != nil || evidence?.linkedSize != nil) ? .metadata : .none
        case .full:
            coverage = everyChunk || wholeCompared ? .complete : (bytes == 0 && checked.isEmpty ? .none : .partial)
        case .sample:
            if chunksTotal == 0 {
                coverage = wholeCompared ? .complete : (bytes == 0 ? .none : .partial)
            } else {
                let drawn = Set(sampled ?? [])
                coverage = everyChunk ? .complete : (!drawn.isEmpty && drawn.isSubset(of: Set(checked)) ? .sampled
                    : (checked.isEmpty && bytes == 0 ? .none : .partial))
            }
        }
        return FileAudit(path: f.path, url: MirrorURL.display(url(f)), status: failed ? .failed : .ok, coverage: coverage,
                         expectedSize: f.size, bytes: bytes, seconds: seconds, chunksChecked: checked.count,
                         chunksTotal: chunksTotal, sampledChunks: options.mode == .sample && chunksTotal > 0 ? (sampled ?? []) : nil,
                         advertisedDigestMatches: advertisedMatches, evidence: evidence, findings: findings)
    }

    /// An advertised SHA-256: `X-Linked-Etag`, else a 64-hex `ETag`.
    func advertisedDigest(_ e: MirrorEvidence?) -> [UInt8]? {
        MirrorURL.sha256Hex(e?.linkedEtag) ?? MirrorURL.sha256Hex(e?.etag)
    }

    /// Compares the mirror's own claims with the manifest. In head mode a claim that contradicts the manifest fails
    /// the file (it is all the audit has); when bytes were hashed, the bytes decide and a wrong claim is a warning.
    func metadataFindings(file f: ExpectedFile, evidence e: MirrorEvidence, expectedWhole: [UInt8]?, advertised: [UInt8]?,
                          headMode: Bool, existing: [Finding]) -> [Finding] {
        var out: [Finding] = []
        if let linked = e.linkedSize, let size = f.size, linked != size {
            if headMode {
                if !existing.contains(where: { $0.kind == .sizeMismatch }) { out.append(Finding(.sizeMismatch, path: f.path, message: "the mirror says X-Linked-Size \(linked); the manifest signs \(size)",
                                   expected: String(size), actual: String(linked), hints: ["from mirror metadata; no bytes were fetched"])) }
            } else {
                out.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                                   message: "X-Linked-Size \(linked) differs from the signed size \(size)",
                                   expected: String(size), actual: String(linked)))
            }
        }
        if let linked = e.linkedSize, let length = e.contentRangeTotal ?? (e.contentEncoding == nil ? e.contentLength : nil), linked != length,
           e.status.map({ (200...299).contains($0) }) ?? false {
            out.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                               message: "X-Linked-Size \(linked) differs from the served length \(length)",
                               expected: String(linked), actual: String(length)))
        }
        if let advertised, let expectedWhole, advertised != expectedWhole {
            let source = MirrorURL.sha256Hex(e.linkedEtag) != nil ? "X-Linked-Etag" : "ETag"
            if headMode {
                out.append(Finding(.digestMismatch, path: f.path, message: "the mirror advertises a SHA-256 (\(source)) that differs from the signed one",
                                   expected: expectedWhole.hexString, actual: advertised.hexString,
                                   hints: ["from mirror metadata; no bytes were fetched"]))
            } else {
                out.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                                   message: "\(source) differs from the signed SHA-256",
                                   expected: expectedWhole.hexString, actual: advertised.hexString))
            }
        }
        if case .gitBlobSHA1(let d) = f.check, let tag = MirrorURL.sha1Hex(e.etag), tag != d {
            out.append(Finding(headMode ? .digestMismatch : .mirrorMetadataMismatch, headMode ? .failure : .warning, path: f.path,
                               message: "the mirror's ETag (git blob SHA-1) differs from the signed one",
                               expected: d.hexString, actual: tag.hexString))
        }
        if case .huggingFace(_, let revision) = options.layout, let commit = e.repoCommit,
           revision.utf8.count == 40, [UInt8](hexString: revision) != nil, commit.lowercased() != revision.lowercased() {
            out.append(Finding(.mirrorMetadataMismatch, .warning, path: f.path,
                               message: "X-Repo-Commit \(commit) is not the requested revision \(revision)",
                               expected: revision, actual: commit))
        }
        return out
    }
}
