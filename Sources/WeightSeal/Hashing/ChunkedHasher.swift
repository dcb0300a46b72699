import Crypto
import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to compute over one file.
public struct HashRequest: Sendable {
    /// File-system path of the file (already resolved and checked by the caller).
    public var path: String
    /// Bytes the file must have; a file that ends sooner is reported as changed while hashing.
    public var size: UInt64
    /// Compute the whole-file SHA-256.
    public var wholeFile: Bool
    /// Compute the SHA-256 of each `chunkSize`-byte range (last one shorter), from the same reads as the whole-file digest.
    public var chunkSize: UInt64?
    /// Compute the SHA-256 of each of these byte ranges (verify hashes only what the reference signed).
    public var ranges: [Range<UInt64>]
    /// Compute the git blob SHA-1 (`SHA-1("blob <size>\0" ‖ bytes)`).
    public var gitBlobSHA1: Bool

    public init(path: String, size: UInt64, wholeFile: Bool = true, chunkSize: UInt64? = nil,
                ranges: [Range<UInt64>] = [], gitBlobSHA1: Bool = false) {
        self.path = path
        self.size = size
        self.wholeFile = wholeFile
        self.chunkSize = chunkSize
        self.ranges = ranges
        self.gitBlobSHA1 = gitBlobSHA1
    }
}

/// Digests computed for one ``HashRequest``.
public struct HashResult: Sendable {
    /// Whole-file SHA-256 (32 bytes), if requested.
    public var sha256: [UInt8]?
    /// SHA-256 of each chunk, in order, if a chunk size was given.
    public var chunks: [[UInt8]] = []
    /// SHA-256 of each requested range, in request order.
    public var ranges: [[UInt8]] = []
    /// Git blob SHA-1 (20 bytes), if requested.
    public var gitBlobSHA1: [UInt8]?
    /// Why the file could not be hashed (unreadable, not a regular file, changed while hashing).
    public var error: WeightSealError?
    public init() {}
}

/// Progress of a hashing run, reported by callback.
public struct HashProgress: Sendable {
    /// Bytes hashed so far.
    public var bytesDone: UInt64
    /// Bytes to hash in all.
    public var bytesTotal: UInt64
    /// Seconds since the run started.
    public var seconds: Double

    public init(bytesDone: UInt64, bytesTotal: UInt64, seconds: Double) {
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.seconds = seconds
    }
}

/// The parallel hashing engine (DESIGN §8).
///
/// A fixed pool of `jobs` worker threads (plain threads, never Swift's cooperative pool) pulls work units, largest
/// first. A unit is one file's sequential stream (whole-file SHA-256, `chunkSize` chunk digests and the git blob
/// SHA-1, all fed from the same reads, so `hash`/`sign` read every byte once) or one requested byte range (so
/// `verify` hashes the ranges of one huge file on all cores). When a worker has no unit left, it helps a running
/// stream that feeds two digests: the owner keeps reading and feeding the whole-file SHA-256, the helper feeds the
/// chunk digests from the same buffers, so one big file keeps two cores busy and is still read once.
///
/// Reads use `pread` into buffers each worker owns and reuses (`ringSlots` × `bufferSize` bytes per worker), so
/// buffer memory is bounded by ``maxBufferBytes`` whatever the model size. Files are opened with
/// `O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC` and must be regular files: a fifo, a device or a symlink is an error, never a
/// hang. A file that ends before `size` bytes is reported as changed while hashing; bytes past `size` are not read.
public final class ChunkedHasher: Sendable {
    /// Worker threads.
    public let jobs: Int
    /// Bytes read per `pread` (one block).
    public let bufferSize: Int
    /// Blocks in each worker's ring of buffers (a shared stream's owner reads ahead of its helper by at most this many).
    public let ringSlots: Int

    /// - Parameters:
    ///   - jobs: worker threads; default the active processor count.
    ///   - bufferSize: read size in bytes, at least 4096 (default 1 MiB, see docs/performance.md).
    ///   - ringSlots: buffers per worker, at least 2 (default 4).
    public init(jobs: Int? = nil, bufferSize: Int = 1 << 20, ringSlots: Int = 4) {
        self.jobs = max(1, jobs ?? activeProcessorCount())
        self.bufferSize = max(4096, bufferSize)
        self.ringSlots = max(2, ringSlots)
    }

    /// Upper bound of the engine's buffer memory, in bytes: `jobs × ringSlots × bufferSize`.
    public var maxBufferBytes: Int { jobs * ringSlots * bufferSize }

    /// Hashes every request on worker threads and blocks until all are done.
    ///
    /// - Parameters:
    ///   - requests: what to compute per file; the same path may appear more than once.
    ///   - progress: called on the calling thread about ten times a second while the run lasts, and once at the end,
    ///     with bytes read so far, bytes to read in all, and seconds since the start.
    /// - Returns: one result per request, in request order. A file that cannot be hashed has only `error` set
    ///   (`.io`: cannot open or read, not a regular file, changed while hashing; `.invalidPath`: a symlink;
    ///   `.invalidArgument`: a range past `size`).
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) -> [HashResult] {
        if requests.isEmpty { return [] }
        let run = HashRun(requests: requests, bufferSize: bufferSize, ringSlots: ringSlots)
        let threads = run.threadCount(jobs: jobs)
        let start = monotonicSeconds()
        run.lock.withLock { run.liveWorkers = threads }
        for _ in 0..<threads {
            let thread = Thread { run.workerMain() }
            thread.name = "weightseal-hash"
            thread.start()
        }
        var lastReport = start
        run.lock.lock()
        while run.liveWorkers > 0 {
            guard let progress else {
                run.lock.wait()
                continue
            }
            run.lock.wait(seconds: 0.1)
            let now = monotonicSeconds()
            if now - lastReport >= 0.099 && run.liveWorkers > 0 {
                lastReport = now
                let report = HashProgress(bytesDone: run.bytesDone, bytesTotal: run.bytesTotal, seconds: now - start)
                run.lock.unlock()
                progress(report)
                run.lock.lock()
            }
        }
        let final = HashProgress(bytesDone: run.bytesDone, bytesTotal: run.bytesTotal, seconds: monotonicSeconds() - start)
        run.lock.unlock()
        progress?(final)
        return run.files.map { file in file.lock.withLock { file.result } }
    }

    /// Async form of ``hash(_:progress:)``: the work runs on its own threads, never on the cooperative pool.
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) async -> [HashResult] {
        await withCheckedContinuation { (cont: CheckedContinuation<[HashResult], Never>) in
            let thread = Thread { cont.resume(returning: self.hash(requests, progress: progress)) }
            thread.start()
        }
    }
}

/// A small mutex over pthread, so the core needs no Foundation lock.
final class NSLockLike: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Processors available to this process.
func activeProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
