import AsyncHTTPClient
import CompressNIO
import NIOCore
import NIOHTTP1

/// How a `Range` request was answered, when not by the book (`206` with a `Content-Range` starting where asked).
enum RangeQuirk: Sendable, Equatable {
    /// `200` without `Content-Range`: the whole file, placed from byte 0.
    case ignored
    /// `200` with a `Content-Range`: the slice, placed by its `Content-Range`.
    case status200
    /// `206` whose `Content-Range` starts before the byte asked for: the extra bytes are skipped.
    case earlier(by: UInt64)
}

/// What a body sent with a `Content-Encoding` (despite `Accept-Encoding: identity`) turned out to be.
struct CodingOutcome: Sendable, Equatable {
    enum Form: Sendable, Equatable {
        /// The decoded bytes are the signed bytes: the coding was a transfer quirk.
        case decoded
        /// The bytes as sent are the signed bytes: a stored compressed file labelled as a content coding.
        case asSent
        /// Neither form verified; the decoded bytes were checked (the ones reported).
        case neither
        /// The coding is not one the audit decodes, or the body did not decode: the bytes as sent were checked.
        case undecoded(String)
    }
    var encoding: String
    var form: Form
    /// SHA-256 (or git blob SHA-1) of the bytes as sent, when the check is a whole-file digest and they were not the ones reported.
    var asSentActual: String?
}

/// Receives one `GET` and hashes its body on the channel's event loop as each buffer arrives.
///
/// Hashing where the bytes land saves a thread hop per buffer (an async body sequence wakes a task for every 64 KiB
/// read), which on a loaded machine costs as much CPU as the transfer. It is the same kind of per-byte work NIOSSL
/// does on the event loop when it decrypts, and each call hashes one read buffer (at most 64 KiB, ~50 µs).
///
/// All callbacks run on the one event loop the request is pinned to (``HTTPClient/EventLoopPreference/delegateAndChannel(on:)``),
/// and the caller reads the state only after ``HTTPClient/Task/futureResult`` completes, hence `@unchecked Sendable`.
final class HashingDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    /// Offset of the first byte asked for (the `Range` start, 0 for a whole file).
    let from: UInt64
    private(set) var hasher: BodyHasher
    /// Status and headers of the final response, once it arrived.
    private(set) var status: Int?
    private(set) var headers: HTTPHeaders = [:]
    /// A `206` (or a `200` to a `Range` request with a `Content-Range`) whose `Content-Range` is missing, unreadable
    /// or starts after ``from``: nothing was hashed.
    private(set) var contentRangeMismatch = false
    /// Whether the request carried a `Range` header.
    let rangeRequested: Bool
    /// How the `Range` request was answered, when not by the book.
    private(set) var rangeQuirk: RangeQuirk?
    /// `Content-Encoding` of the answer, lower case, when not `identity`.
    private(set) var coding: String?
    /// With a ``coding``: the same check over the bytes as sent (``hasher`` gets the decoded bytes).
    private var asSentHasher: BodyHasher?
    private var asSentOffset: UInt64 = 0
    /// Inflates a gzip or deflate body, one 64 KiB window at a time (memory stays bounded whatever the ratio).
    private var decoder: ZlibDecompressor?
    private var window: ByteBuffer?
    /// Why the body could not be decoded, if it could not.
    private(set) var decodeProblem: String?
    /// Decoding stopped because every decoded byte wanted (and one window beyond) had arrived.
    private var decodingDone = false
    /// Body bytes received of a `200`/`206` answer.
    private(set) var received: UInt64 = 0
    /// Every byte wanted arrived and the request was cancelled to skip the rest (a mirror ignoring `Range`).
    private(set) var stoppedEarly = false
    /// Why the watchdog failed the request, if it did.
    enum Stall: Sendable, Equatable {
        /// No response head within the timeout (seconds).
        case noHead(Double)
        /// No body bytes for the timeout (seconds).
        case idleBody(Double)
        /// Body bytes arrived, but slower than the minimum rate over one window.
        case slowBody(bytesPerSecond: Double, window: Double, minimum: Double)

        var text: String {
            switch self {
            case .noHead(let s): "no response head within \(format(s)) s"
            case .idleBody(let s): "no body bytes for \(format(s)) s"
            case .slowBody(let rate, let window, let minimum):
                "the body arrived at \(Int(rate)) bytes/s over \(format(window)) s, below the minimum of \(Int(minimum)) bytes/s"
            }
        }

        /// Seconds to one decimal, no trailing `.0`.
        private func format(_ s: Double) -> String {
            let tenths = (s * 10).rounded()
            return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
        }
    }

    private(set) var stall: Stall?
    /// The body of a non-2xx answer was longer than worth reading, and the request was cancelled.
    private(set) var droppedBody = false
    private var streaming = false
    private var offset: UInt64 = 0
    private var discarded = 0
    private var lastActivity = NIODeadline.now()
    private var windowStart = NIODeadline.now()
    private var windowBytes: UInt64 = 0
    private var watchdog: RepeatedTask?

    /// Where body bytes received are also counted, for progress.
    private let counter: ByteCounter?

    init(hasher: BodyHasher, from: UInt64, rangeRequested: Bool = false, counter: ByteCounter? = nil) {
        self.hasher = hasher
        self.from = from
        self.rangeRequested = rangeRequested
        self.counter = counter
    }

    /// Fails `task` when nothing arrives for `idle` (before or after the head), or when the body arrives slower than
    /// `minimumBytesPerSecond` over any `idle`-long window after the head. A coarse timer checked every
    /// `min(idle / 4, 1 s)`, rather than the client's read timeout, which re-arms a timer after every read.
    func watch(_ task: HTTPClient.Task<Void>, idle: TimeAmount, minimumBytesPerSecond: Double) {
        let period = TimeAmount.nanoseconds(max(1_000_000, min(idle.nanoseconds / 4, 1_000_000_000)))
        let idleSeconds = Double(idle.nanoseconds) / 1e9
        task.eventLoop.execute {
            self.lastActivity = .now()
            self.watchdog = task.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { repeated in
                let now = NIODeadline.now()
                if now - self.lastActivity > idle {
                    self.stall = self.status == nil ? .noHead(idleSeconds) : .idleBody(idleSeconds)
                } else if self.status != nil, now - self.windowStart >= idle {
                    let seconds = Double((now - self.windowStart).nanoseconds) / 1e9
                    let total = self.received &+ UInt64(self.discarded)
                    let rate = Double(total &- self.windowBytes) / seconds
                    if rate < minimumBytesPerSecond {
                        self.stall = .slowBody(bytesPerSecond: rate, window: seconds, minimum: minimumBytesPerSecond)
                    }
                    self.windowStart = now
                    self.windowBytes = total
                }
                if self.stall != nil {
                    repeated.cancel()
                    task.fail(reason: HTTPClientError.readTimeout)
                }
            }
            task.futureResult.whenComplete { _ in self.watchdog?.cancel() }
        }
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        lastActivity = .now()
        windowStart = lastActivity
        status = Int(head.status.code)
        headers = head.headers
        // Bytes are placed by the range the server states, not by the status class or the offset asked for (G11).
        let crHeader = head.headers.first(name: "Content-Range")
        switch head.status.code {
        case 200 where !(rangeRequested && crHeader != nil):
            streaming = true
            offset = 0
            if rangeRequested { rangeQuirk = .ignored }
        case 200, 206:
            if let first = crHeader.flatMap(MirrorURL.contentRange)?.first, first <= from {
                streaming = true
                offset = first
                if head.status.code == 200 { rangeQuirk = .status200 } else if first < from { rangeQuirk = .earlier(by: from - first) }
            } else {
                contentRangeMismatch = true
                task.cancel()
            }
        default:
            break
        }
        if streaming, let value = head.headers.first(name: "Content-Encoding")?.trimmed.lowercased(),
           !value.isEmpty, value != "identity" {
            coding = String(value.prefix(64))
            asSentHasher = hasher
            asSentOffset = offset
            let algorithm: ZlibAlgorithm? = switch value {
            case "gzip", "x-gzip": .gzip
            case "deflate": .zlib  // RFC 9110 §8.4.1.2: the zlib format
            default: nil
            }
            if let algorithm, let d = try? ZlibDecompressor(algorithm: algorithm) {
                decoder = d
                window = ByteBufferAllocator().buffer(capacity: 1 << 16)
            } else {
                decodeProblem = algorithm == nil ? "the audit does not decode \(value)" : "the decoder could not start"
            }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        lastActivity = .now()
        if streaming, coding != nil {
            consumeCoded(buffer)
        } else if streaming, !stoppedEarly {
            let n = buffer.readableBytes
            let done = hasher.isDone
            _ = buffer.withUnsafeReadableBytes { hasher.consume($0, at: offset) }
            offset &+= UInt64(n)
            received &+= UInt64(n)
            counter?.add(UInt64(n))
            // Bytes after everything wanted: seen once (so a longer file is noticed), then the rest is not read.
            if done {
                stoppedEarly = true
                task.cancel()
            }
        } else if !streaming {
            discarded += buffer.readableBytes  // an error page or a redirect's body: read a little, then drop it
            if discarded > 1 << 16, !droppedBody {
                droppedBody = true
                task.cancel()
            }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    /// A coded body: the bytes as sent feed ``asSentHasher``, the decoded bytes ``hasher``, both placed from the
    /// stated offset. Decoding stops one window after every byte wanted, so a body that inflates without end costs
    /// one window of work past the signed size.
    private func consumeCoded(_ buffer: ByteBuffer) {
        let n = buffer.readableBytes
        received &+= UInt64(n)
        counter?.add(UInt64(n))
        _ = buffer.withUnsafeReadableBytes { asSentHasher?.consume($0, at: asSentOffset) }
        asSentOffset &+= UInt64(n)
        guard let decoder, var window = self.window, decodeProblem == nil, !decodingDone else { return }
        self.window = nil  // one owner, so the window is not copied on write
        defer { self.window = window }
        var input = buffer
        while input.readableBytes > 0, !decodingDone {
            window.clear()
            var more = false
            do {
                try decoder.inflate(from: &input, to: &window)
                if input.readableBytes > 0 {
                    // The stream ended before the body: another gzip member follows (RFC 1952 §2.2), or garbage,
                    // which the next inflate rejects.
                    try decoder.reset()
                    more = true
                }
            } catch let e as CompressNIOError where e == .bufferOverflow {
                more = true  // the window is full: hash it, then go on
            } catch let e as CompressNIOError where e == .inputBufferOverflow {
                more = false  // all input taken: wait for the next buffer
            } catch {
                decodeProblem = "the body does not decode as \(coding ?? "coded") (\(error))"
            }
            let done = hasher.isDone
            _ = window.withUnsafeReadableBytes { hasher.consume($0, at: offset) }
            offset &+= UInt64(window.readableBytes)
            if done { decodingDone = true }
            if !more || decodeProblem != nil { break }
        }
    }

    /// With a ``coding``: the check to report, and which form of the body it covers. The decoded bytes when they
    /// verify, else the bytes as sent when those do (a stored `.gz` labelled as a coding), else the decoded bytes
    /// (or the bytes as sent when the body could not be decoded). Call after the body ended cleanly.
    func settleCoding() -> (BodyHasher, CodingOutcome)? {
        guard let coding, var asSent = asSentHasher else { return nil }
        var decoded = hasher
        decoded.bodyEnded()
        asSent.bodyEnded()
        if let problem = decodeProblem, decoder == nil || !verifies(decoded) {
            if verifies(asSent) { return (asSent, CodingOutcome(encoding: coding, form: .asSent)) }
            return (asSent, CodingOutcome(encoding: coding, form: .undecoded(problem)))
        }
        if verifies(decoded) { return (decoded, CodingOutcome(encoding: coding, form: .decoded)) }
        if verifies(asSent) { return (asSent, CodingOutcome(encoding: coding, form: .asSent)) }
        return (decoded, CodingOutcome(encoding: coding, form: .neither, asSentActual: asSent.wholeActual))
    }

    /// Every byte the check covers arrived, nothing more, and every digest matched.
    private func verifies(_ h: BodyHasher) -> Bool {
        if let end = h.end, h.position < end { return false }
        guard !h.overflow, h.bad.isEmpty else { return false }
        return h.isChunked ? !h.checked.isEmpty : h.wholeMatches == true
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}
}
