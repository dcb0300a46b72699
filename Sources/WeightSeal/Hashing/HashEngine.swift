import Crypto
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The worker-pool engine behind ``ChunkedHasher`` (DESIGN §8).
//
// Work units are a file's sequential stream (whole-file SHA-256, chunk digests, git blob SHA-1, all fed from the
// same reads) or one requested byte range. A fixed set of worker threads pulls units, largest first. Each worker
// owns one ring of `ringSlots` buffers of `bufferSize` bytes, so memory is jobs × ringSlots × bufferSize whatever
// the model size. A stream that feeds two kinds of digest (whole-file and chunks) can be shared: each block is read
// once into its owner's ring; the owner feeds the whole-file SHA-256 while one idle worker, if any, feeds the chunk
// digests from the same buffers, and the two take turns reading. One big file then keeps two cores busy.
// A BLAKE3 file larger than a piece is hashed as pieces instead, one unit each (HashEngine+BLAKE3.swift).

/// Digest states fed with a file's bytes in order.
struct DigestSinks {
    /// The algorithm of the whole-file and chunk digests.
    var algorithm: HashAlgorithm
    var whole: RunningDigest?
    /// 0 when no chunk digests are wanted.
    var chunkSize: UInt64 = 0
    var chunk: RunningDigest
    var chunkFill: UInt64 = 0
    var chunks: [[UInt8]] = []
    var sha1: Insecure.SHA1?

    init(algorithm: HashAlgorithm = .sha256) {
        self.algorithm = algorithm
        chunk = RunningDigest(algorithm)
    }

    var isEmpty: Bool { whole == nil && chunkSize == 0 && sha1 == nil }
    var kinds: Int { (whole == nil ? 0 : 1) + (chunkSize == 0 ? 0 : 1) + (sha1 == nil ? 0 : 1) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        whole?.update(bytes)
        sha1?.update(bufferPointer: bytes)
        if chunkSize > 0 {
            var pos = 0
            while pos < bytes.count {
                let room = chunkSize - chunkFill
                let take = UInt64(bytes.count - pos) < room ? bytes.count - pos : Int(room)
                chunk.update(UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + take)]))
                chunkFill += UInt64(take)
                pos += take
                if chunkFill == chunkSize {
                    chunks.append(chunk.finalize())
                    chunk = RunningDigest(algorithm)
                    chunkFill = 0
                }
            }
        }
    }

    /// Closes the last, shorter chunk.
    mutating func finish() {
        if chunkSize > 0 && chunkFill > 0 {
            chunks.append(chunk.finalize())
            chunk = RunningDigest(algorithm)
            chunkFill = 0
        }
    }

    /// Splits into the whole-file digest (the owner's part) and the rest (a helper's part).
    func split() -> (primary: DigestSinks, secondary: DigestSinks) {
        var primary = DigestSinks(algorithm: algorithm)
        var secondary = self
        if whole != nil {
            primary.whole = whole
            secondary.whole = nil
        } else if chunkSize > 0 {
            primary.chunkSize = chunkSize
            secondary.chunkSize = 0
        }
        return (primary, secondary)
    }
}

/// One file of a run: its descriptor (opened once, shared by its units) and its result.
final class FileJob: @unchecked Sendable {
    let request: HashRequest
    let lock = ConditionLock()
    // Guarded by `lock`.
    private var fd: Int32 = -1
    private var opened = false
    private(set) var error: WeightSealError?
    private var remaining: Int
    var result = HashResult()
    /// Chunk digests equal the whole-file digest (the file fits in one chunk): computed once.
    let chunkIsWhole: Bool
    /// Set when a BLAKE3 file is hashed as pieces; its piece results are guarded by `lock`.
    var pieces: BLAKE3Pieces?

    init(request: HashRequest, units: Int) {
        self.request = request
        self.remaining = units
        self.result.ranges = Array(repeating: [], count: request.ranges.count)
        if request.wholeFile, let cs = request.chunkSize, cs > 0, request.size <= cs {
            chunkIsWhole = true
        } else {
            chunkIsWhole = false
        }
    }

    /// The descriptor, opening the file on first use; nil once the file has failed.
    func descriptor() -> Int32? {
        lock.withLock {
            if !opened {
                opened = true
                switch Self.openChecked(request) {
                case .success(let d): fd = d
                case .failure(let e): error = e
                }
            }
            return error == nil ? fd : nil
        }
    }

    /// Opens without following a symlink and without blocking (a fifo must not hang the run), then checks that it is
    /// a regular file at least `size` bytes long.
    static func openChecked(_ r: HashRequest) -> Result<Int32, WeightSealError> {
        let fd = open(r.path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ELOOP {
                return .failure(WeightSealError(.invalidPath, "\(r.path) is a symbolic link, not a regular file"))
            }
            return .failure(WeightSealError(.io, "cannot open \(r.path): \(String(cString: strerror(code)))"))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            return .failure(WeightSealError(.io, "cannot stat \(r.path): \(message)"))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(WeightSealError(.io, "\(r.path) is not a regular file"))
        }
        let actual = UInt64(clamping: st.st_size)
        if actual < r.size {
            close(fd)
            return .failure(WeightSealError(.io, "\(r.path) changed while hashing: it has \(actual) bytes, expected \(r.size)"))
        }
        return .success(fd)
    }

    func fail(_ e: WeightSealError) {
        lock.withLock { if error == nil { error = e } }
    }

    var failed: Bool { lock.withLock { error != nil } }

    /// Called when one of the file's units ends; the last one closes the file and settles the result.
    func unitDone() {
        lock.withLock {
            remaining -= 1
            guard remaining == 0 else { return }
            if fd >= 0 { close(fd) }
            fd = -1
            if error == nil, let pieces { pieces.settle(into: &result, request: request, chunkIsWhole: chunkIsWhole) }
            if let error {
                result = HashResult()
                result.error = error
            }
        }
    }
}

/// A unit of work: a file's sequential stream or one of its ranges.
struct WorkUnit {
    enum Kind {
        case stream
        case range(Int)
        /// Piece `k` of a BLAKE3 file hashed as pieces.
        case piece(Int)
    }

    let file: FileJob
    let kind: Kind
    /// Bytes the unit reads.
    let bytes: UInt64
    /// A stream feeding two kinds of digest, over more than one buffer: a second worker can help.
    let shareable: Bool
}

/// A stream's buffers shared between its owner (whole-file digest) and one helper (the other digests).
///
/// Block `b` lives in ring slot `b % slots`. Blocks are read in order, one read at a time, by both threads in turn
/// (whoever has read fewer reads next, ahead of the hashing, while a slot is free; either one reads when it has
/// nothing else to do), so each pays half of the copying and the ring stays filled ahead of both digests. A slot is read into again only once both the whole-file
/// digest and the secondary digests have consumed its previous block. The secondary digests are fed strictly in
/// order by whoever holds the token: the helper, or the owner itself while no helper is attached.
final class StreamShare: @unchecked Sendable {
    let lock = ConditionLock()
    /// Set by the run's lock when a helper takes this stream.
    var claimed = false
    // Guarded by `lock`.
    var ring: UnsafeMutableRawPointer?
    var slots = 1
    var blockSize = 1
    var size: UInt64 = 0
    var totalBlocks = 0
    var started = false
    /// Reads `count` bytes at `offset` into the buffer; false when the file failed (set by the owner).
    var read: (@Sendable (UnsafeMutableRawPointer, Int, UInt64) -> Bool)?
    var readCount = 0
    var readInFlight = false
    var primaryDone = 0
    var secondaryDone = 0
    var tokenHeld = false
    var helperAttached = false
    var failed = false
    var finished = false
    /// Blocks read by each side: they take turns, so each pays half the copying and the ring stays filled ahead.
    var ownerReads = 0
    var helperReads = 0
    /// Fed only by the token holder.
    var secondary = DigestSinks()

    func blockLength(_ b: Int) -> Int {
        let start = UInt64(b) * UInt64(blockSize)
        return Int(min(UInt64(blockSize), size - start))
    }

    func slot(_ b: Int) -> UnsafeMutableRawPointer? {
        ring.map { $0 + (b % slots) * blockSize }
    }

    /// The next block can be read now: no read running and its slot consumed by both sides.
    var canRead: Bool {
        !failed && !readInFlight && readCount < totalBlocks
            && readCount - primaryDone < slots && readCount - secondaryDone < slots
    }

    /// Reads the next block; called with `lock` held and `canRead` true.
    func readNextLocked() {
        let b = readCount
        guard let slot = slot(b), let read else { return }
        let length = blockLength(b)
        readInFlight = true
        lock.unlock()
        let ok = read(slot, length, UInt64(b) * UInt64(blockSize))
        lock.lock()
        readInFlight = false
        if ok { readCount = b + 1 } else { failed = true }
        lock.broadcast()
    }

    /// Feeds up to `limit` read blocks to the secondary digests; called with `lock` held and the token free.
    func drainLocked(limit: Int = Int.max) {
        tokenHeld = true
        var fed = 0
        while fed < limit, secondaryDone < readCount, let slot = slot(secondaryDone) {
            let length = blockLength(secondaryDone)
            lock.unlock()
            secondary.update(UnsafeRawBufferPointer(start: slot, count: length))
            lock.lock()
            secondaryDone += 1
            fed += 1
            lock.broadcast()
        }
        tokenHeld = false
        lock.broadcast()
    }

    /// A helper's part: keep the owner supplied with blocks and feed the secondary digests until the stream ends.
    func help() {
        lock.lock()
        helperAttached = true
        lock.broadcast()
        while !finished && !failed && !(started && secondaryDone == totalBlocks) {
            if !started {
                lock.wait()
            } else if canRead && helperReads <= ownerReads {
                helperReads += 1
                readNextLocked()
            } else if secondaryDone < readCount && !tokenHeld {
                drainLocked(limit: 1)
            } else if canRead {
                helperReads += 1
                readNextLocked()
            } else {
                lock.wait()
            }
        }
        helperAttached = false
        lock.broadcast()
        lock.unlock()
    }
}

/// One call of ``ChunkedHasher/hash(_:progress:)``.
final class HashRun: @unchecked Sendable {
    let lock = ConditionLock()
    let bufferSize: Int
    let ringSlots: Int
    let files: [FileJob]
    let units: [WorkUnit]
    let bytesTotal: UInt64
    // Guarded by `lock`.
    var next = 0
    var helpable: [StreamShare] = []
    var bytesDone: UInt64 = 0
    var liveWorkers = 0

    init(requests: [HashRequest], bufferSize: Int, ringSlots: Int, pieceSizes: BLAKE3Pieces.Sizes = .init()) {
        self.bufferSize = bufferSize
        self.ringSlots = ringSlots
        var files: [FileJob] = []
        var units: [WorkUnit] = []
        var total: UInt64 = 0
        for r in requests {
            if let plan = BLAKE3Pieces.plan(for: r, sizes: pieceSizes) {
                let file = Self.pieceUnits(r, plan: plan, bufferSize: bufferSize, into: &units, total: &total)
                files.append(file)
                continue
            }
            var sinks = Self.sinks(for: r, chunkIsWhole: false)
            let needsStream = !sinks.isEmpty || r.ranges.isEmpty
            let file = FileJob(request: r, units: (needsStream ? 1 : 0) + r.ranges.count)
            files.append(file)
            if needsStream {
                sinks = Self.sinks(for: r, chunkIsWhole: file.chunkIsWhole)
                let shareable = sinks.kinds >= 2 && r.size > UInt64(bufferSize)
                units.append(WorkUnit(file: file, kind: .stream, bytes: r.size, shareable: shareable))
                total &+= r.size
            }
            for (i, range) in r.ranges.enumerated() {
                let length = range.upperBound - range.lowerBound
                units.append(WorkUnit(file: file, kind: .range(i), bytes: length, shareable: false))
                total &+= length
            }
        }
        // Largest first: big units start early and small ones fill the gaps at the end.
        self.units = units.enumerated().sorted { a, b in
            a.element.bytes != b.element.bytes ? a.element.bytes > b.element.bytes : a.offset < b.offset
        }.map(\.element)
        self.files = files
        self.bytesTotal = total
    }

    /// The digests the stream of `r` feeds.
    static func sinks(for r: HashRequest, chunkIsWhole: Bool) -> DigestSinks {
        var s = DigestSinks(algorithm: r.algorithm)
        if r.wholeFile { s.whole = RunningDigest(r.algorithm) }
        if let cs = r.chunkSize, cs > 0, !chunkIsWhole { s.chunkSize = cs }
        if r.gitBlobSHA1 {
            var h = Insecure.SHA1()
            h.update(data: Array("blob \(r.size)\0".utf8))
            s.sha1 = h
        }
        return s
    }

    /// Threads worth starting: one per unit, plus one helper per shareable stream, at most `jobs`.
    func threadCount(jobs: Int) -> Int {
        let helpers = units.reduce(0) { $0 + ($1.shareable ? 1 : 0) }
        return max(1, min(jobs, units.count + helpers))
    }

    func addProgress(_ n: Int) {
        lock.withLock { bytesDone &+= UInt64(n) }
    }

    // MARK: Worker

    func workerMain() {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: bufferSize * ringSlots, alignment: 4096)
        defer { ring.deallocate() }
        while true {
            lock.lock()
            if next < units.count {
                let unit = units[next]
                next += 1
                var share: StreamShare?
                if unit.shareable {
                    let s = StreamShare()
                    helpable.append(s)
                    share = s
                }
                lock.unlock()
                run(unit, ring: ring, share: share)
                if let share {
                    lock.withLock { helpable.removeAll { $0 === share } }
                }
                continue
            }
            if let s = helpable.first(where: { !$0.claimed }) {
                s.claimed = true
                lock.unlock()
                s.help()
                continue
            }
            liveWorkers -= 1
            lock.broadcast()
            lock.unlock()
            return
        }
    }

    func run(_ unit: WorkUnit, ring: UnsafeMutableRawPointer, share: StreamShare?) {
        defer { unit.file.unitDone() }
        guard let fd = unit.file.descriptor() else {
            // Nothing is read; let a helper waiting on this stream go.
            if let share { share.lock.withLock { share.finished = true; share.lock.broadcast() } }
            return
        }
        switch unit.kind {
        case .stream: stream(unit.file, fd: fd, ring: ring, share: share)
        case .range(let i): range(unit.file, index: i, fd: fd, ring: ring)
        case .piece(let k): piece(unit.file, index: k, fd: fd, ring: ring)
        }
    }

    /// Bytes per `pread` of a range or piece unit (at most `bufferSize`; streams read whole blocks). Measured on a
    /// 2 GiB file (docs/performance.md): from a cold disk, SHA-256 ranges read 512 KiB at a time keep `cat`'s pace
    /// where 2 MiB reads fell 10% behind; warm, BLAKE3 hashes a 512 KiB block from the core's L2 (5–8% less CPU)
    /// and SHA-256 is unchanged.
    static let unitReadSize = 512 << 10

    /// Reads `count` bytes at `offset`; returns the bytes read (fewer at end of file) or an errno.
    static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int,
                          at offset: UInt64) -> (bytes: Int, errno: Int32) {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(clamping: offset &+ UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            if n == 0 { break }
            done += n
        }
        return (done, 0)
    }

    /// Reads one block, reporting a short read as a change and a failed read as an I/O error.
    func readBlock(_ file: FileJob, fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> Bool {
        let (n, code) = Self.readFully(fd, buffer, count, at: offset)
        if code != 0 {
            file.fail(WeightSealError(.io, "cannot read \(file.request.path) at byte \(offset &+ UInt64(n)): \(String(cString: strerror(code)))"))
            return false
        }
        guard n == count else {
            file.fail(WeightSealError(.io, "\(file.request.path) changed while hashing: it ended at byte \(offset &+ UInt64(n)), expected \(file.request.size) bytes"))
            return false
        }
        addProgress(n)
        return true
    }

    func stream(_ file: FileJob, fd: Int32, ring: UnsafeMutableRawPointer, share: StreamShare?) {
        let r = file.request
        let all = file.pieces?.streamSinks(for: r) ?? Self.sinks(for: r, chunkIsWhole: file.chunkIsWhole)
        var primary: DigestSinks
        var secondary = DigestSinks(algorithm: r.algorithm)
        var ok = true
        if let share {
            let parts = all.split()
            primary = parts.primary
            ok = shared(file, fd: fd, ring: ring, share: share, primary: &primary, secondary: parts.secondary)
            secondary = share.lock.withLock { share.secondary }
        } else {
            primary = all
            var offset: UInt64 = 0
            while offset < r.size {
                let n = Int(min(UInt64(bufferSize), r.size - offset))
                if file.failed || !readBlock(file, fd: fd, into: ring, count: n, at: offset) {
                    ok = false
                    break
                }
                primary.update(UnsafeRawBufferPointer(start: ring, count: n))
                offset += UInt64(n)
            }
        }
        guard ok else { return }
        primary.finish()
        secondary.finish()
        let whole = (primary.whole ?? secondary.whole).map { $0.finalize() }
        var chunks = primary.chunkSize > 0 ? primary.chunks : secondary.chunks
        if file.chunkIsWhole, let whole { chunks = r.size > 0 ? [whole] : [] }
        let sha1 = (primary.sha1 ?? secondary.sha1).map { Array($0.finalize()) }
        file.lock.withLock {
            if let pieces = file.pieces {
                // The pieces give the whole-file digest; this stream only what they do not.
                pieces.streamChunks = chunks
            } else {
                file.result.sha256 = r.wholeFile && r.algorithm == .sha256 ? whole : nil
                file.result.blake3 = r.wholeFile && r.algorithm == .blake3 ? whole : nil
                file.result.chunks = chunks
            }
            file.result.gitBlobSHA1 = r.gitBlobSHA1 ? sha1 : nil
        }
    }

    /// The owner's side of a shared stream. Returns false when the file failed.
    func shared(_ file: FileJob, fd: Int32, ring: UnsafeMutableRawPointer, share: StreamShare,
                primary: inout DigestSinks, secondary: DigestSinks) -> Bool {
        let size = file.request.size
        let block = UInt64(bufferSize)
        let blocks = Int(size / block + (size % block == 0 ? 0 : 1))
        share.lock.withLock {
            share.ring = ring
            share.slots = ringSlots
            share.blockSize = bufferSize
            share.size = size
            share.totalBlocks = blocks
            share.secondary = secondary
            share.read = { [self] buffer, count, offset in
                !file.failed && self.readBlock(file, fd: fd, into: buffer, count: count, at: offset)
            }
            share.started = true
            share.lock.broadcast()
        }
        share.lock.lock()
        // Hash every block into the whole-file digest; read when nothing is ready.
        while !share.failed && share.primaryDone < blocks {
            if share.helperAttached && share.canRead && share.ownerReads < share.helperReads {
                share.ownerReads += 1
                share.readNextLocked()
            } else if share.primaryDone < share.readCount, let slot = share.slot(share.primaryDone) {
                let length = share.blockLength(share.primaryDone)
                share.lock.unlock()
                primary.update(UnsafeRawBufferPointer(start: slot, count: length))
                share.lock.lock()
                share.primaryDone += 1
                share.lock.broadcast()
            } else if share.canRead {
                share.ownerReads += 1
                share.readNextLocked()
            } else if !share.helperAttached && !share.tokenHeld && share.secondaryDone < share.readCount {
                share.drainLocked()
            } else {
                share.lock.wait()
            }
        }
        // Then make sure the secondary digests have every block.
        while !share.failed && share.secondaryDone < blocks {
            if !share.helperAttached && !share.tokenHeld { share.drainLocked() } else { share.lock.wait() }
        }
        // A helper may still be reading into or hashing from our ring: wait for it before the ring is reused.
        while share.tokenHeld || share.readInFlight { share.lock.wait() }
        let ok = !share.failed
        share.finished = true
        share.read = nil
        share.lock.broadcast()
        share.lock.unlock()
        return ok
    }

    func range(_ file: FileJob, index: Int, fd: Int32, ring: UnsafeMutableRawPointer) {
        let r = file.request
        let range = r.ranges[index]
        guard range.upperBound <= r.size else {
            file.fail(WeightSealError(.invalidArgument, "range \(range.lowerBound)..<\(range.upperBound) of \(r.path) is beyond its \(r.size) bytes"))
            return
        }
        var h = RunningDigest(r.algorithm)
        let step = min(bufferSize, Self.unitReadSize)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let n = Int(min(UInt64(step), range.upperBound - offset))
            if file.failed || !readBlock(file, fd: fd, into: ring, count: n, at: offset) { return }
            h.update(UnsafeRawBufferPointer(start: ring, count: n))
            offset += UInt64(n)
        }
        let digest = h.finalize()
        file.lock.withLock { file.result.ranges[index] = digest }
    }
}
