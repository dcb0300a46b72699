import AsyncHTTPClient
import NIOCore
import NIOHTTP1

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
    /// A `206` whose `Content-Range` does not start at ``from``: nothing was hashed.
    private(set) var contentRangeMismatch = false
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

    init(hasher: BodyHasher, from: UInt64, counter: ByteCounter? = nil) {
        self.hasher = hasher
        self.from = from
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
        switch head.status.code {
        case 200:
            streaming = true
            offset = 0
        case 206:
            if let cr = head.headers.first(name: "Content-Range").flatMap(MirrorURL.contentRange), cr.first == from {
                streaming = true
                offset = from
            } else {
                contentRangeMismatch = true
                task.cancel()
            }
        default:
            break
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        lastActivity = .now()
        if streaming, !stoppedEarly {
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

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}
}
