import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import WeightSeal

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

    /// Headers of every request: the bytes as stored (no transfer compression), and who asks.
    var requestHeaders: HTTPHeaders {
        ["Accept-Encoding": "identity", "User-Agent": "weightseal/\(WeightSealVersion.current)"]
    }

    func request(_ url: String, method: HTTPMethod) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: url)
        r.method = method
        r.headers = requestHeaders
        return r
    }

    /// Waits `retryDelay × 2^attempt` seconds.
    func backoff(_ attempt: Int) async {
        let delay = options.retryDelay * Double(1 << min(attempt, 16))
        try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
    }

    func evidence(of response: HTTPClientResponse, url: String) -> MirrorEvidence {
        var heads = response.history.map(\.responseHead.headers)
        if heads.isEmpty { heads = [response.headers] }
        return MirrorURL.evidence(heads: heads, finalStatus: Int(response.status.code),
                                  finalURL: response.history.last?.request.url, requestedURL: url)
    }

    /// Whether an error means the server was too slow, and whether trying again may help.
    static func classify(_ error: any Error) -> (timeout: Bool, retryable: Bool, text: String) {
        if let e = error as? HTTPClientError {
            switch e {
            case .readTimeout: return (true, false, "nothing arrived for longer than the timeout")
            case .deadlineExceeded: return (true, false, "no response within the deadline")
            case .connectTimeout, .getConnectionFromPoolTimeout: return (true, false, "could not connect in time")
            case .redirectLimitReached, .redirectCycleDetected, .invalidURL, .emptyHost, .emptyScheme:
                return (false, false, "\(e)")
            case .remoteConnectionClosed: return (false, true, "the server closed the connection")
            default: return (false, true, "\(e)")
            }
        }
        if error is CancellationError { return (false, false, "cancelled") }
        return (false, true, String(describing: error).prefix(300).description)
    }

    func statusFinding(_ path: String, _ status: Int, _ url: String) -> Finding {
        if status == 404 || status == 410 {
            return Finding(.missing, path: path, message: "the mirror answers \(status) for \(url)", actual: String(status))
        }
        return Finding(.httpStatus, path: path, message: "the mirror answers \(status) for \(url)",
                       expected: "200", actual: String(status))
    }

    func errorFinding(_ path: String, _ c: (timeout: Bool, retryable: Bool, text: String), _ url: String,
                      attempts: Int, received: String = "") -> Finding {
        if c.timeout {
            return Finding(.timeout, path: path, message: "\(url): \(c.text) (timeout \(options.timeout) s)\(received)")
        }
        return Finding(.connectionError, path: path,
                       message: "\(url): \(c.text)\(received) after \(attempts) attempt\(attempts == 1 ? "" : "s")")
    }

    // MARK: - HEAD

    func head(_ fileIndex: Int) async -> UnitOutcome {
        let f = reference.files[fileIndex]
        let url = url(f)
        var outcome = UnitOutcome(file: fileIndex)
        var attempt = 0
        while true {
            do {
                let response = try await client.execute(request(url, method: .HEAD),
                                                        deadline: .now() + MirrorAuditor.amount(options.timeout))
                let status = Int(response.status.code)
                if status >= 500, attempt < options.retries {
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                let ev = evidence(of: response, url: url)
                outcome.evidence = ev
                if (200...299).contains(status) {
                    outcome.servedSize = ev.contentLength
                } else {
                    outcome.findings.append(statusFinding(f.path, status, url))
                }
                return outcome
            } catch {
                let c = Self.classify(error)
                if c.retryable, attempt < options.retries {
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                outcome.findings.append(errorFinding(f.path, c, url, attempts: attempt + 1))
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
        var rangeIgnoredNoted = false
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
            let request: HTTPClient.Request
            do {
                var headers = requestHeaders
                if sendRange { headers.add(name: "Range", value: "bytes=\(from)-\((hasher.end ?? 1) - 1)") }
                request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
            } catch {
                return fail(errorFinding(f.path, Self.classify(error), url, attempts: attempt + 1))
            }
            // One deadline for head and body: a body trickling in slower than the minimum rate ends in a timeout.
            let remaining = (hasher.end ?? 0) &- from
            let budget = options.timeout + Double(remaining) / options.minimumBytesPerSecond
            let delegate = HashingDelegate(hasher: hasher, from: from)
            let pin = remaining >= MirrorRun.pinnedBodyBytes
            let task = client.execute(request: request, delegate: delegate,
                                      eventLoop: pin ? .delegateAndChannel(on: eventLoop) : .indifferent,
                                      deadline: .now() + MirrorAuditor.amount(budget))
            delegate.watch(task, idle: MirrorAuditor.amount(options.timeout))
            var failure: (any Error)?
            do {
                try await task.futureResult.get()
            } catch {
                failure = error
            }
            hasher = delegate.hasher
            outcome.bytes &+= delegate.received
            if delegate.contentRangeMismatch {
                outcome.evidence = evidence(delegate, url: url)
                return fail(Finding(.mirrorMetadataMismatch, path: f.path,
                    message: "the mirror answered 206 with a Content-Range that does not start at byte \(from)",
                    actual: delegate.headers.first(name: "Content-Range")))
            }
            if let status = delegate.status {
                let ev = evidence(delegate, url: url)
                if outcome.evidence == nil || !(200...299).contains(outcome.evidence?.status ?? 0) { outcome.evidence = ev }
                switch status {
                case 200:
                    if sendRange, !rangeIgnoredNoted {
                        rangeIgnoredNoted = true
                        outcome.findings.append(Finding(.rangeIgnored, .note, path: f.path,
                            message: "the mirror ignored a Range request and sent the whole file; unneeded bytes were skipped"))
                    }
                    if outcome.servedSize == nil { outcome.servedSize = ev.contentLength }
                case 206:
                    if outcome.servedSize == nil {
                        outcome.servedSize = delegate.headers.first(name: "Content-Range").flatMap(MirrorURL.contentRange)?.total
                    }
                case 416:
                    let total = delegate.headers.first(name: "Content-Range").flatMap(MirrorURL.contentRange)?.total
                    outcome.servedSize = total
                    return fail(Finding(.sizeMismatch, path: f.path,
                        message: "the mirror cannot serve bytes \(from)-: the file ends sooner\(total.map { " (\($0) bytes)" } ?? "")",
                        expected: f.size.map(String.init), actual: total.map(String.init)))
                default:
                    if status >= 500, attempt < options.retries {
                        await backoff(attempt)
                        attempt += 1
                        continue
                    }
                    return fail(statusFinding(f.path, status, url))
                }
            }
            if let failure, !delegate.stoppedEarly {
                var c = Self.classify(failure)
                if delegate.status != nil, let e = failure as? HTTPClientError, e == .deadlineExceeded {
                    c.text = "the body did not arrive within the deadline"
                }
                if c.retryable, attempt < options.retries {
                    hasher.restart()
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                return fail(errorFinding(f.path, c, url, attempts: attempt + 1,
                                         received: delegate.status == nil ? "" : " (at byte \(hasher.position) of \(f.size.map(String.init) ?? "?"))"))
            }
            hasher.bodyEnded()
            outcome.checked = hasher.checked
            outcome.bad = hasher.bad
            outcome.wholeMatches = hasher.wholeMatches
            outcome.wholeActual = hasher.wholeActual
            if let end = hasher.end, hasher.position < end {
                outcome.findings.append(Finding(.sizeMismatch, path: f.path,
                    message: "the body ended at byte \(hasher.position); the manifest signs bytes up to \(end)",
                    expected: f.size.map(String.init), actual: String(hasher.position)))
            } else if hasher.overflow {
                outcome.findings.append(Finding(.sizeMismatch, path: f.path,
                    message: "the mirror sends more than the \(f.size.map(String.init) ?? "?") bytes the manifest signs",
                    expected: f.size.map(String.init), actual: outcome.servedSize.map(String.init)))
            }
            return outcome
        }
    }

    /// Bodies of at least this many bytes get a connection of their own on their event loop: a fresh connection (and
    /// TLS handshake) costs a few milliseconds at most, a few percent of fetching and hashing 8 MiB.
    static let pinnedBodyBytes: UInt64 = 8 << 20

    func evidence(_ d: HashingDelegate, url: String) -> MirrorEvidence {
        var heads = d.visited.map(\.headers)
        if heads.isEmpty { heads = [d.headers] }
        return MirrorURL.evidence(heads: heads, finalStatus: d.status ?? 0, finalURL: d.visited.last?.url, requestedURL: url)
    }
}
