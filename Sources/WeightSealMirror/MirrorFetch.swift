import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import WeightSeal
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One response head on the way to the final answer.
struct Hop: Sendable {
    var url: String
    var headers: HTTPHeaders
}

/// What went wrong with a request, as a finding kind and a sentence.
struct Failure: Sendable {
    var kind: Finding.Kind
    /// Whether another attempt may help (connection errors, not timeouts or protocol errors).
    var retryable: Bool
    var text: String
}

extension MirrorRun {
    func execute(_ unit: WorkUnit) async -> UnitOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        var outcome: UnitOutcome
        switch unit.kind {
        case .head:
            outcome = await head(unit.file)
        case .body(let check, let rangeRequest):
            outcome = await body(unit.file, check: check, rangeRequest: rangeRequest)
        }
        let d = clock.now - started
        outcome.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return outcome
    }

    /// Headers of a request to `url`: the bytes as stored (no transfer compression), who asks, and the mirror URL's
    /// credentials, only to the mirror's own origin (never to a host it redirects to).
    func requestHeaders(for url: String) -> HTTPHeaders {
        var h: HTTPHeaders = ["Accept-Encoding": "identity", "User-Agent": "weightseal/\(WeightSealVersion.current)"]
        if let authorization, let origin = MirrorURL.origin(url), origin == MirrorURL.origin(base) {
            h.add(name: "Authorization", value: authorization)
        }
        return h
    }

    /// Longest wait between two attempts, in seconds, however many retries are allowed.
    static let maxBackoff = 10.0

    /// Waits `retryDelay × 2^attempt` seconds, at most ``maxBackoff``.
    func backoff(_ attempt: Int) async {
        let delay = min(options.retryDelay * Double(1 << min(attempt, 16)), Self.maxBackoff)
        try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
    }

    /// The next URL when `status` is a redirect with a `Location` (RFC 9110 §15.4), or `nil` for a final answer.
    /// The client does not follow redirects itself: it would parse the mirror's `Location` on its own terms (a port
    /// out of range in it traps), and the Hub's evidence sits on the `302`.
    /// - Throws: ``RedirectProblem`` for a loop, too many redirects or an unusable `Location`.
    func redirect(status: Int, headers: HTTPHeaders, hops: [Hop]) throws(RedirectProblem) -> String? {
        guard [301, 302, 303, 307, 308].contains(status), options.maxRedirects > 0,
              let location = headers.first(name: "Location"), let current = hops.last?.url else { return nil }
        let next = try MirrorURL.redirectTarget(location, from: current)
        if hops.contains(where: { $0.url == next }) { throw .loop(hops.map(\.url) + [next]) }
        guard hops.count <= options.maxRedirects else { throw .tooMany(options.maxRedirects) }
        return next
    }

    func evidence(_ hops: [Hop], status: Int, url: String) -> MirrorEvidence {
        MirrorURL.evidence(heads: hops.map(\.headers), finalStatus: status,
                           finalURL: hops.count > 1 ? hops.last?.url : nil, requestedURL: url)
    }

    /// Sorts an error from the client into a finding kind, a sentence, and whether to try again.
    static func classify(_ error: any Error) -> Failure {
        if let r = error as? RedirectProblem { return Failure(kind: .badRedirect, retryable: false, text: r.text) }
        if let e = error as? HTTPClientError {
            switch e {
            case .readTimeout: return Failure(kind: .timeout, retryable: false, text: "nothing arrived in time")
            case .deadlineExceeded: return Failure(kind: .timeout, retryable: false, text: "the request did not finish before its deadline")
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return Failure(kind: .timeout, retryable: false, text: "could not connect in time")
            case .remoteConnectionClosed: return Failure(kind: .connectionError, retryable: true, text: "the server closed the connection")
            case .invalidURL, .emptyHost, .emptyScheme:
                return Failure(kind: .connectionError, retryable: false, text: "the URL cannot be requested (\(e))")
            default: return Failure(kind: .connectionError, retryable: true, text: "\(e)")
            }
        }
        // A reply that is not HTTP/1.1 (another protocol on the port, a broken server) does not improve on retry.
        if let e = error as? HTTPParserError {
            if e == .invalidEOFState {
                return Failure(kind: .connectionError, retryable: true, text: "the server closed the connection before the end of the body")
            }
            return Failure(kind: .connectionError, retryable: false, text: "the reply is not valid HTTP/1.1 (\(e))")
        }
        if let e = error as? NIOConnectionError, let first = e.connectionErrors.first?.error {
            return classify(first)
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return Failure(kind: .connectionError, retryable: true, text: "connection refused (nothing listens there)")
            case ECONNRESET: return Failure(kind: .connectionError, retryable: true, text: "connection reset by the server")
            case EHOSTUNREACH, ENETUNREACH: return Failure(kind: .connectionError, retryable: true, text: "host unreachable")
            default: return Failure(kind: .connectionError, retryable: true, text: "\(e)")
            }
        }
        if error is CancellationError { return Failure(kind: .connectionError, retryable: false, text: "cancelled") }
        return Failure(kind: .connectionError, retryable: true, text: String(String(describing: error).prefix(300)))
    }

    func statusFinding(_ path: String, _ status: Int, _ url: String, evidence: MirrorEvidence?, attempts: Int = 1) -> Finding {
        let shown = MirrorURL.display(url) + ((500...599).contains(status) && attempts > 1 ? " after \(attempts) attempts" : "")
        if status == 404 || status == 410 {
            return Finding(.missing, path: path, message: "the mirror answers \(status) for \(shown)", actual: String(status))
        }
        if (300...399).contains(status) {
            let location = evidence?.location.map { " to \(MirrorURL.display($0))" } ?? " without a Location"
            return Finding(.httpStatus, path: path, message: "the mirror answers \(status) for \(shown)\(location), not followed",
                           expected: "200", actual: String(status))
        }
        return Finding(.httpStatus, path: path, message: "the mirror answers \(status) for \(shown)",
                       expected: "200", actual: String(status))
    }

    func failureFinding(_ path: String, _ c: Failure, _ url: String, attempts: Int, received: String = "") -> Finding {
        let shown = MirrorURL.display(url)
        if c.kind == .connectionError, c.retryable {
            return Finding(c.kind, path: path,
                           message: "\(shown): \(c.text)\(received) after \(attempts) attempt\(attempts == 1 ? "" : "s")")
        }
        return Finding(c.kind, path: path, message: "\(shown): \(c.text)\(received)")
    }

    // MARK: - HEAD

    func head(_ fileIndex: Int) async -> UnitOutcome {
        let f = reference.files[fileIndex]
        let url = url(f)
        var outcome = UnitOutcome(file: fileIndex)
        var attempt = 0
        while true {
            var hops: [Hop] = []
            do {
                let deadline = NIODeadline.now() + MirrorAuditor.amount(options.timeout)
                var current = url
                var response: HTTPClientResponse
                while true {
                    var r = HTTPClientRequest(url: current)
                    r.method = .HEAD
                    r.headers = requestHeaders(for: current)
                    response = try await client.execute(r, deadline: deadline)
                    hops.append(Hop(url: current, headers: response.headers))
                    guard let next = try redirect(status: Int(response.status.code), headers: response.headers, hops: hops) else { break }
                    current = next
                }
                let status = Int(response.status.code)
                if (500...599).contains(status), attempt < options.retries {
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                var ev = evidence(hops, status: status, url: url)
                if (300...399).contains(status) { ev.location = response.headers.first(name: "Location").map { MirrorURL.display(String($0.prefix(300))) } }
                outcome.evidence = ev
                if (200...299).contains(status) {
                    // A coded Content-Length is the coded body's length, not the file's size (G12).
                    outcome.servedSize = ev.contentEncoding == nil ? ev.contentLength : nil
                } else {
                    outcome.findings.append(statusFinding(f.path, status, current, evidence: ev, attempts: attempt + 1))
                }
                return outcome
            } catch {
                let c = Self.classify(error)
                if c.retryable, attempt < options.retries {
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                if c.kind == .badRedirect { outcome.evidence = evidence(hops, status: 0, url: url) }
                outcome.findings.append(failureFinding(f.path, c, url, attempts: attempt + 1))
                return outcome
            }
        }
    }

    // MARK: - GET

    /// Fetches the bytes `check` covers and hashes them as they arrive (on the connection's event loop, see
    /// ``HashingDelegate``).
    func body(_ fileIndex: Int, check: BodyCheck, rangeRequest: Bool) async -> UnitOutcome {
        let f = reference.files[fileIndex]
        let url = url(f)
        var outcome = UnitOutcome(file: fileIndex)
        var hasher = BodyHasher(check: check, size: f.size)
        hasher.isWholeFileSpan = !rangeRequest
        var attempt = 0
        func fail(_ finding: Finding) -> UnitOutcome {
            var o = outcome
            o.findings.append(finding)
            o.checked = hasher.checked
            o.bad = hasher.bad
            return o
        }
        // Large bodies are pinned round robin, each on a loop of its own, so their hashing spreads over the cores.
        // async-http-client closes a loop-bound connection as soon as no request waits for it (it never parks one),
        // so every pinned request opens a fresh connection; small bodies take any pooled keep-alive connection.
        let eventLoop = eventLoops.next()
        while true {
            let from = hasher.position
            let sendRange = (rangeRequest || from > 0) && hasher.end.map { from < $0 } ?? false
            let range = sendRange ? "bytes=\(from)-\((hasher.end ?? 1) - 1)" : nil
            let remaining = (hasher.end ?? 0) &- from
            // A backstop: the watchdog ends silent and slow bodies long before.
            let deadline = NIODeadline.now() + MirrorAuditor.amount(4 * options.timeout + Double(remaining) / options.minimumBytesPerSecond)
            let pin = remaining >= MirrorRun.pinnedBodyBytes

            var hops: [Hop] = []
            var current = url
            var delegate: HashingDelegate
            var failure: (any Error)?
            while true {
                delegate = HashingDelegate(hasher: hasher, from: from, rangeRequested: range != nil, counter: received)
                do {
                    var headers = requestHeaders(for: current)
                    if let range { headers.add(name: "Range", value: range) }
                    let request = try HTTPClient.Request(url: current, method: .GET, headers: headers)
                    let task = client.execute(request: request, delegate: delegate,
                                              eventLoop: pin ? .delegateAndChannel(on: eventLoop) : .indifferent,
                                              deadline: deadline)
                    delegate.watch(task, idle: MirrorAuditor.amount(options.timeout),
                                   minimumBytesPerSecond: options.minimumBytesPerSecond)
                    try await task.futureResult.get()
                } catch {
                    if !delegate.droppedBody { failure = error }
                }
                guard let status = delegate.status else { break }
                hops.append(Hop(url: current, headers: delegate.headers))
                guard failure == nil else { break }
                do {
                    guard let next = try redirect(status: status, headers: delegate.headers, hops: hops) else { break }
                    current = next
                } catch {
                    failure = error
                    break
                }
            }
            hasher = delegate.hasher
            outcome.bytes &+= delegate.received
            if let status = delegate.status {
                var ev = evidence(hops, status: status, url: url)
                if (300...399).contains(status) { ev.location = delegate.headers.first(name: "Location").map { MirrorURL.display(String($0.prefix(300))) } }
                if outcome.evidence == nil || !(200...299).contains(outcome.evidence?.status ?? 0) { outcome.evidence = ev }
            }
            if let failure, let problem = failure as? RedirectProblem {
                return fail(failureFinding(f.path, Self.classify(problem), url, attempts: attempt + 1))
            }
            if delegate.contentRangeMismatch {
                let cr = delegate.headers.first(name: "Content-Range")
                let start = cr.flatMap(MirrorURL.contentRange)?.first
                let code = delegate.status.map(String.init) ?? "206"
                return fail(Finding(.mirrorMetadataMismatch, path: f.path,
                    message: start.map { "the mirror answered \(code) with a Content-Range starting at byte \($0), after byte \(from) as asked" }
                        ?? (cr == nil ? "the mirror answered \(code) without a Content-Range" : "the mirror answered \(code) with an unreadable Content-Range"),
                    expected: "bytes \(from)-\((hasher.end ?? 1) - 1)/\(f.size.map(String.init) ?? "*")", actual: cr.map { String($0.prefix(200)) }))
            }
            if let status = delegate.status {
                switch status {
                case 200, 206:
                    if let quirk = delegate.rangeQuirk, let note = Self.rangeNote(quirk, path: f.path),
                       !outcome.findings.contains(note) {
                        outcome.findings.append(note)
                    }
                    if outcome.servedSize == nil {
                        if status == 206 || delegate.rangeQuirk == .status200 {
                            outcome.servedSize = delegate.headers.first(name: "Content-Range").flatMap(MirrorURL.contentRange)?.total
                        } else if delegate.coding == nil {
                            // A coded Content-Length is the length of the coded body, not the file's size (G12).
                            outcome.servedSize = outcome.evidence?.contentLength
                        }
                    }
                case 416:
                    let total = delegate.headers.first(name: "Content-Range").flatMap(MirrorURL.contentRange)?.total
                    outcome.servedSize = total
                    let asked = "bytes \(from)-\((hasher.end ?? 1) - 1)"
                    if let total, let size = f.size, total == size {
                        return fail(Finding(.httpStatus, path: f.path,
                            message: "the mirror refused the range \(asked) (416) although it reports the signed size \(size)",
                            expected: "206", actual: "416"))
                    }
                    return fail(Finding(.sizeMismatch, path: f.path,
                        message: "the mirror cannot serve \(asked) (416): the file ends sooner\(total.map { ", at \($0) bytes" } ?? "")",
                        expected: f.size.map(String.init), actual: total.map(String.init)))
                default:
                    if (500...599).contains(status), attempt < options.retries {
                        await backoff(attempt)
                        attempt += 1
                        continue
                    }
                    return fail(statusFinding(f.path, status, hops.last?.url ?? url, evidence: outcome.evidence, attempts: attempt + 1))
                }
            }
            // Every wanted byte arrived and was checked, then the server stalled or broke promising more: the bytes
            // decide, and the served size (compared when merging) reports the promise.
            if let failure, !delegate.stoppedEarly, !hasher.isDone {
                var c = Self.classify(failure)
                if let stall = delegate.stall {
                    c = Failure(kind: .timeout, retryable: false, text: stall.text)
                } else if let e = failure as? HTTPClientError, e == .deadlineExceeded {
                    c.text = "the body did not arrive before its deadline"
                }
                if c.retryable, attempt < options.retries {
                    hasher.restart()
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                return fail(failureFinding(f.path, c, url, attempts: attempt + 1,
                                           received: delegate.status == nil ? "" : " (at byte \(hasher.position) of \(f.size.map(String.init) ?? "?"))"))
            }
            if let (settled, coding) = delegate.settleCoding() {
                hasher = settled
                outcome.coding = coding
            }
            hasher.bodyEnded()
            outcome.checked = hasher.checked
            outcome.bad = hasher.bad
            outcome.wholeMatches = hasher.wholeMatches
            outcome.wholeActual = hasher.wholeActual
            if let end = hasher.end, hasher.position < end {
                outcome.findings.append(Finding(.sizeMismatch, path: f.path,
                    message: "the body ended at byte \(hasher.position); the manifest signs bytes up to \(end)",
                    expected: String(end), actual: String(hasher.position)))
            } else if hasher.overflow {
                outcome.findings.append(Finding(.sizeMismatch, path: f.path,
                    message: "the mirror sends more than the \(f.size.map(String.init) ?? "?") bytes the manifest signs",
                    expected: f.size.map(String.init), actual: outcome.servedSize.map(String.init)))
            }
            return outcome
        }
    }

    /// The note for a `Range` request answered other than by the book (the bytes were placed by the range stated).
    static func rangeNote(_ quirk: RangeQuirk, path: String) -> Finding? {
        switch quirk {
        case .ignored:
            return Finding(.rangeIgnored, .note, path: path,
                message: "server ignored Range: HTTP 200 with the whole file; the bytes before the range were skipped, so each chunk was hashed at its own offset")
        case .status200:
            return Finding(.nonStandardRange, .note, path: path,
                message: "non-standard status: a Range request answered HTTP 200 with a Content-Range (206 expected); the body was placed by its Content-Range")
        case .earlier:
            return Finding(.nonStandardRange, .note, path: path,
                message: "the mirror answered a Range request with a Content-Range starting before the byte asked for; the extra bytes were skipped")
        }
    }

    /// Bodies of at least this many bytes get a connection of their own on their event loop: a fresh connection (and
    /// TLS handshake) costs a few milliseconds at most, a few percent of fetching and hashing 8 MiB.
    static let pinnedBodyBytes: UInt64 = 8 << 20
}
