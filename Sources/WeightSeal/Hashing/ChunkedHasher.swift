import Crypto
import Dispatch
import Foundation
#if canImport(Glibc)
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
}

/// The parallel hashing engine (DESIGN §8).
public final class ChunkedHasher: Sendable {
    /// Worker threads.
    public let jobs: Int
    /// Bytes read per `pread` into each worker's buffer.
    public let bufferSize: Int

    /// - Parameters:
    ///   - jobs: worker threads; default the active processor count.
    ///   - bufferSize: read size in bytes (1–8 MiB is best).
    public init(jobs: Int? = nil, bufferSize: Int = 4 << 20) {
        self.jobs = max(1, jobs ?? activeProcessorCount())
        self.bufferSize = max(4096, bufferSize)
    }

    /// Hashes every request on worker threads and blocks until all are done. Results are in request order.
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) -> [HashResult] {
        let results = ResultBox(count: requests.count)
        DispatchQueue.concurrentPerform(iterations: requests.count) { i in
            results.set(i, Self.hashOne(requests[i], bufferSize: bufferSize))
        }
        return results.values
    }

    /// Async form of ``hash(_:progress:)``: the work runs on its own threads, never on the cooperative pool.
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) async -> [HashResult] {
        await withCheckedContinuation { (cont: CheckedContinuation<[HashResult], Never>) in
            let thread = Thread { cont.resume(returning: self.hash(requests, progress: progress)) }
            thread.start()
        }
    }

    static func hashOne(_ r: HashRequest, bufferSize: Int) -> HashResult {
        var result = HashResult()
        let fd = open(r.path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            result.error = WeightSealError(.io, "cannot open \(r.path): \(String(cString: strerror(errno)))")
            return result
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            result.error = WeightSealError(.io, "\(r.path) is not a regular file")
            return result
        }
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        var whole = SHA256()
        var chunk = SHA256()
        var chunkFill: UInt64 = 0
        var sha1 = Insecure.SHA1()
        if r.gitBlobSHA1 { sha1.update(data: Array("blob \(r.size)\0".utf8)) }
        let needSequential = r.wholeFile || r.chunkSize != nil || r.gitBlobSHA1
        if needSequential {
            var offset: UInt64 = 0
            while offset < r.size {
                let want = Int(min(UInt64(bufferSize), r.size - offset))
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
                if n <= 0 {
                    result.error = WeightSealError(.io, "\(r.path) changed while hashing: ended at \(offset) of \(r.size) bytes")
                    return result
                }
                buffer.withUnsafeBytes { raw in
                    let slice = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                    if r.wholeFile { whole.update(bufferPointer: slice) }
                    if r.gitBlobSHA1 { sha1.update(bufferPointer: slice) }
                    if let cs = r.chunkSize {
                        var pos = 0
                        while pos < n {
                            let take = Int(min(UInt64(n - pos), cs - chunkFill))
                            chunk.update(bufferPointer: UnsafeRawBufferPointer(rebasing: slice[pos..<(pos + take)]))
                            chunkFill += UInt64(take)
                            pos += take
                            if chunkFill == cs {
                                result.chunks.append(Array(chunk.finalize()))
                                chunk = SHA256()
                                chunkFill = 0
                            }
                        }
                    }
                }
                offset += UInt64(n)
            }
            if r.chunkSize != nil && chunkFill > 0 { result.chunks.append(Array(chunk.finalize())) }
            if r.wholeFile { result.sha256 = Array(whole.finalize()) }
            if r.gitBlobSHA1 { result.gitBlobSHA1 = Array(sha1.finalize()) }
        }
        for range in r.ranges {
            var h = SHA256()
            var offset = range.lowerBound
            while offset < range.upperBound {
                let want = Int(min(UInt64(bufferSize), range.upperBound - offset))
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
                if n <= 0 {
                    result.error = WeightSealError(.io, "\(r.path) changed while hashing: ended at \(offset) of \(r.size) bytes")
                    return result
                }
                buffer.withUnsafeBytes { h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                offset += UInt64(n)
            }
            result.ranges.append(Array(h.finalize()))
        }
        return result
    }
}

/// Results written by index from worker threads.
final class ResultBox: @unchecked Sendable {
    private var storage: [HashResult]
    private let lock = NSLockLike()
    init(count: Int) { storage = Array(repeating: HashResult(), count: count) }
    func set(_ i: Int, _ r: HashResult) { lock.withLock { storage[i] = r } }
    var values: [HashResult] { lock.withLock { storage } }
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
