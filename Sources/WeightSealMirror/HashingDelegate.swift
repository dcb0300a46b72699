import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
    /// Every response head, redirects included, with the URL that answered it.
    private(set) var visited: [(url: String, headers: HTTPHeaders)] = []
    /// Status and headers of the final response, once it arrived.
    private(set) var status: Int?
    private(set) var headers: HTTPHeaders = [:]
    /// A `206` whose `Content-Range` does not start at ``from``: nothing was hashed.
    private(set) var contentRangeMismatch = false
    /// Body bytes received of a `200`/`206` answer.
    private(set) var received: UInt64 = 0
    /// Every byte wanted arrived and the request was cancelled to skip the rest (a mirror ignoring `Range`).
    private(set) var stoppedEarly = false
    /// Nothing arrived for longer than the idle timeout.
    private(set) var stalled = false
    private var streaming = false
    private var offset: UInt64 = 0
    private var discarded = 0
    private var lastActivity = NIODeadline.now()
    private var watchdog: RepeatedTask?

    init(hasher: BodyHasher, from: UInt64) {
        self.hasher = hasher
        self.from = from
    }

    /// Fails `task` once neither a head nor body bytes arrived for `idle`. A coarse timer checked every
    /// `min(idle / 4, 1 s)`, rather than the client's read timeout, which re-arms a timer after every read.
    func watch(_ task: HTTPClient.Task<Void>, idle: TimeAmount) {
        let period = TimeAmount.nanoseconds(max(1_000_000, min(idle.nanoseconds / 4, 1_000_000_000)))
        task.eventLoop.execute {
            self.lastActivity = .now()
            self.watchdog = task.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { repeated in
                if NIODeadline.now() - self.lastActivity > idle {
                    self.stalled = true
                    repeated.cancel()
                    task.fail(reason: HTTPClientError.readTimeout)
                }
            }
            task.futureResult.whenComplete { _ in self.watchdog?.cancel() }
        }
    }

    func didVisitURL(task: HTTPClient.Task<Void>, _ request: HTTPClient.Request, _ head: HTTPResponseHead) {
        if visited.count < 64 { visited.append((request.url.absoluteString, head.headers)) }
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        lastActivity = .now()
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
            // Bytes after everything wanted: seen once (so a longer file is noticed), then the rest is not read.
            if done {
                stoppedEarly = true
                task.cancel()
            }
        } else if !streaming {
            discarded += buffer.readableBytes  // an error page: read a little, then drop the connection
            if discarded > 1 << 16 { task.cancel() }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}
}
