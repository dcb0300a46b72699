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
    /// Bytes to hash: a file that has fewer (or ends sooner while it is read) is reported as changed while hashing;
    /// bytes past `size` are not read (the caller compares sizes first).
    public var size: UInt64
    /// The algorithm of the whole-file, chunk and range digests (not of the git blob SHA-1).
    public var algorithm: HashAlgorithm
    /// Compute the whole-file digest.
    public var wholeFile: Bool
    /// Compute the digest of each `chunkSize`-byte range (last one shorter), from the same reads as the whole-file
    /// digest. A file no larger than `chunkSize` gets one chunk (equal to its whole-file digest), an empty file none;
    /// the caller decides whether to record them (DESIGN §3 lists chunks only for files larger than the chunk size).
    /// A chunk size of 0 asks for no chunks.
    public var chunkSize: UInt64?
    /// Compute the digest of each of these byte ranges, each hashed as its own work unit so one file's ranges run
    /// on all workers (verify hashes only what the reference signed). A range past `size` is an `.invalidArgument`
    /// error for the file.
    public var ranges: [Range<UInt64>]
    /// Compute the git blob SHA-1 (`SHA-1("blob <size>\0" ‖ bytes)`).
    public var gitBlobSHA1: Bool

    public init(path: String, size: UInt64, algorithm: HashAlgorithm = .sha256, wholeFile: Bool = true,
                chunkSize: UInt64? = nil, ranges: [Range<UInt64>] = [], gitBlobSHA1: Bool = false) {
        self.path = path
        self.size = size
        self.algorithm = algorithm
        self.wholeFile = wholeFile
        self.chunkSize = chunkSize
        self.ranges = ranges
        self.gitBlobSHA1 = gitBlobSHA1
    }
}

/// Digests computed for one ``HashRequest``.
public struct HashResult: Sendable {
    /// Whole-file SHA-256 (32 bytes), if requested with algorithm SHA-256.
    public var sha256: [UInt8]?
    /// Whole-file BLAKE3 (32 bytes), if requested with algorithm BLAKE3.
    public var blake3: [UInt8]?
    /// Digest of each chunk in the request's algorithm, in order, if a chunk size was given.
    public var chunks: [[UInt8]] = []
    /// Digest of each requested range in the request's algorithm, in request order.
    public var ranges: [[UInt8]] = []
    /// Git blob SHA-1 (20 bytes), if requested.
    public var gitBlobSHA1: [UInt8]?
    /// Why the file could not be hashed (unreadable, not a regular file, changed while hashing).
    public var error: WeightSealError? {
        get { failure?.error }
        set { failure = newValue.map(Failure.init) }
    }
    /// The error, boxed: one result per file of a 200,000-file run, and nearly all without one.
    private var failure: Failure?
    private final class Failure: Sendable {
        let error: WeightSealError
        init(_ error: WeightSealError) { self.error = error }
    }
    /// The file's identity read from its open descriptor after its last byte was read, for the caller to compare
    /// with what it listed (``FileIdentity/change(walked:read:path:)``).
    public var identity: FileIdentity?
    public init() {}

    /// The whole-file digest in `algorithm` (``sha256`` or ``blake3``).
    public func whole(_ algorithm: HashAlgorithm) -> [UInt8]? {
        algorithm == .sha256 ? sha256 : blake3
    }
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
/// first. A unit is one file's sequential stream (whole-file digest, `chunkSize` chunk digests and the git blob
/// SHA-1, all fed from the same reads, so `hash`/`sign` read every byte once) or one requested byte range (so
/// `verify` hashes the ranges of one huge file on all cores). When a worker has no unit left, it helps a running
/// stream that feeds two digests: the owner keeps reading and feeding the whole-file SHA-256, the helper feeds the
/// chunk digests from the same buffers, so one big file keeps two cores busy and is still read once. A BLAKE3 file
/// larger than 16 MiB (or than a chunk, for power-of-two chunk sizes from 1 MiB) is hashed as pieces instead, one
/// unit each: BLAKE3's tree joins the pieces' subtrees into the file's digest, and a piece that is a chunk gives that
/// chunk's digest from the same reads.
///
/// Reads use `pread` into buffers each worker owns and reuses (`ringSlots` × `bufferSize` bytes per worker), so
/// buffer memory is bounded by ``maxBufferBytes`` whatever the model size. A BLAKE3 piece or range already wholly in
/// the page cache is hashed where it lies, through a read-only mapping guarded against the file shrinking meanwhile
/// (the SIGBUS that would follow is caught and reported as a change). Files are opened with
/// `O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC` and must be regular files: a fifo, a device or a symlink is an error, never a
/// hang. A file that ends before `size` bytes is reported as changed while hashing; bytes past `size` are not read.
public final class ChunkedHasher: Sendable {
    /// Worker threads.
    public let jobs: Int
    /// Bytes read per `pread` (one block).
    public let bufferSize: Int
    /// Blocks in each worker's ring of buffers (a shared stream's owner reads ahead of its helper by at most this many).
    public let ringSlots: Int
    /// BLAKE3 pieces: their size when the chunks are not the pieces, and the smallest chunk size that gives them
    /// (HashEngine+BLAKE3.swift; tests make them small).
    let pieceSizes: BLAKE3Pieces.Sizes

    /// - Parameters:
    ///   - jobs: worker threads; default the active processor count.
    ///   - bufferSize: read size in bytes, at least 4096 (default 2 MiB, see docs/performance.md).
    ///   - ringSlots: buffers per worker, at least 2 (default 4).
    public convenience init(jobs: Int? = nil, bufferSize: Int = 2 << 20, ringSlots: Int = 4) {
        self.init(jobs: jobs, bufferSize: bufferSize, ringSlots: ringSlots, pieceSizes: .init())
    }

    /// Whether BLAKE3 ranges and pieces wholly in the page cache are hashed through a guarded mapping
    /// (HashEngine+BLAKE3.swift); tests turn it off to run the `pread` path on warm files.
    let mapsResident: Bool

    init(jobs: Int?, bufferSize: Int, ringSlots: Int, pieceSizes: BLAKE3Pieces.Sizes,
         mapsResident: Bool = HashRun.mapsResidentByDefault) {
        self.jobs = max(1, jobs ?? activeProcessorCount())
        self.bufferSize = max(4096, bufferSize)
        self.ringSlots = max(2, ringSlots)
        self.pieceSizes = pieceSizes
        self.mapsResident = mapsResident
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
    ///   (`.io`: cannot open or read, not a regular file; `.fileChanged`: shorter than `size` or ended early while
    ///   read; `.invalidPath`: a symlink;
    ///   `.invalidArgument`: a range past `size`).
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) -> [HashResult] {
        if requests.isEmpty { return [] }
        let run = HashRun(requests: requests, bufferSize: bufferSize, ringSlots: ringSlots, pieceSizes: pieceSizes,
                          mapsResident: mapsResident)
        let threads = run.threadCount(jobs: jobs)
        let start = monotonicSeconds()
        var lastReport = start
        run.run(threads: threads, tick: progress.map { progress in
            {
                let now = monotonicSeconds()
                guard now - lastReport >= 0.099 else { return }
                lastReport = now
                progress(HashProgress(bytesDone: run.bytesDone, bytesTotal: run.bytesTotal, seconds: now - start))
            }
        })
        progress?(HashProgress(bytesDone: run.bytesDone, bytesTotal: run.bytesTotal, seconds: monotonicSeconds() - start))
        return run.takeResults()
    }

    /// Async form of ``hash(_:progress:)``: the work runs on its own threads, never on the cooperative pool.
    public func hash(_ requests: [HashRequest], progress: (@Sendable (HashProgress) -> Void)? = nil) async -> [HashResult] {
        await withCheckedContinuation { (cont: CheckedContinuation<[HashResult], Never>) in
            let thread = Thread { cont.resume(returning: self.hash(requests, progress: progress)) }
            thread.start()
        }
    }
}

/// Processors available to this process (`ProcessInfo.activeProcessorCount`), at least 1.
func activeProcessorCount() -> Int {
    max(1, ProcessInfo.processInfo.activeProcessorCount)
}
