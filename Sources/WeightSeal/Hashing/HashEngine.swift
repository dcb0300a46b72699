import Crypto
import Dispatch
import Foundation
import Synchronization
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
// The types are in DigestSinks.swift, FileJob.swift, WorkUnit.swift and StreamShare.swift.

/// One call of ``ChunkedHasher/hash(_:progress:)``.
final class HashRun: Sendable {
    let bufferSize: Int
    let ringSlots: Int
    let requests: [HashRequest]
    let units: [WorkUnit]
    let bytesTotal: UInt64
    /// BLAKE3 ranges and pieces wholly in the page cache are hashed through a guarded mapping, not copied.
    let mapsResident: Bool

    /// Which unit is next, and the shared streams a free worker may help with.
    struct Schedule: Sendable {
        var next = 0
        var helpable: [(share: StreamShare, claimed: Bool)] = []
    }

    private let schedule = Mutex(Schedule())
    /// One result per request, stored as each file's last unit ends.
    private let results: Mutex<[HashResult]>
    /// Bytes read so far, for progress reports.
    private let bytesRead = Atomic<UInt64>(0)
    /// Signalled once by each worker as it exits.
    private let workerExited = DispatchSemaphore(value: 0)

    /// Plans the run. A file read by its stream alone gets its ``FileJob`` only when a worker takes that unit, and
    /// loses it when the unit ends: a 200,000-file run keeps a few jobs alive, not one per file. A file with ranges
    /// or BLAKE3 pieces has its job from the start, shared by its units; so has every file with `eager` (tests that
    /// open a file before the run).
    init(requests: [HashRequest], bufferSize: Int, ringSlots: Int, pieceSizes: BLAKE3Pieces.Sizes = .init(),
         eager: Bool = false, mapsResident: Bool = HashRun.mapsResidentByDefault) {
        self.mapsResident = mapsResident
        self.bufferSize = bufferSize
        self.ringSlots = ringSlots
        self.requests = requests
        var units: [WorkUnit] = []
        units.reserveCapacity(requests.count)
        var total: UInt64 = 0
        for (index, r) in requests.enumerated() {
            if let plan = BLAKE3Pieces.plan(for: r, sizes: pieceSizes) {
                Self.pieceUnits(r, index: index, plan: plan, bufferSize: bufferSize, into: &units, total: &total)
                continue
            }
            // Counted from the request: making the digest states here would cost a copy per file of a 200,000-file run.
            let wantsChunks = (r.chunkSize ?? 0) > 0
            let needsStream = r.wholeFile || wantsChunks || r.gitBlobSHA1 || r.ranges.isEmpty
            let unitCount = (needsStream ? 1 : 0) + r.ranges.count
            let file = !r.ranges.isEmpty || eager ? FileJob(request: r, units: unitCount) : nil
            if needsStream {
                let kinds = (r.wholeFile ? 1 : 0) + (wantsChunks && !FileJob.chunkIsWhole(r) ? 1 : 0) + (r.gitBlobSHA1 ? 1 : 0)
                let shareable = kinds >= 2 && r.size > UInt64(bufferSize)
                units.append(WorkUnit(index: index, file: file, kind: .stream, bytes: r.size, shareable: shareable))
                total &+= r.size
            }
            if let file { Self.rangeUnits(file, index: index, r, into: &units, total: &total) }
        }
        // Largest first: big units start early and small ones fill the gaps at the end. Sorted in place, ties in
        // planning order (a file's units stay in order, files in request order).
        for k in units.indices { units[k].order = k }
        units.sort { a, b in a.bytes != b.bytes ? a.bytes > b.bytes : a.order < b.order }
        self.units = units
        self.results = Mutex(Array(repeating: HashResult(), count: requests.count))
        self.bytesTotal = total
    }

    /// The results, one per request in request order (complete once ``run(threads:interval:tick:)`` returned).
    func takeResults() -> [HashResult] {
        results.withLock { r in
            defer { r = [] }
            return r
        }
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
        bytesRead.wrappingAdd(UInt64(n), ordering: .relaxed)
    }

    var bytesDone: UInt64 { bytesRead.load(ordering: .relaxed) }

    /// Runs the units on `threads` worker threads and returns when every worker has exited; `tick` is called on the
    /// calling thread about every `interval` seconds meanwhile (never after the last worker exits).
    func run(threads: Int, interval: Double = 0.1, tick: (() -> Void)? = nil) {
        for _ in 0..<threads {
            let thread = Thread { self.workerMain() }
            thread.name = "weightseal-hash"
            thread.start()
        }
        var exited = 0
        while exited < threads {
            guard let tick else {
                workerExited.wait()
                exited += 1
                continue
            }
            if workerExited.wait(timeout: .now() + interval) == .success {
                exited += 1
            } else {
                tick()
            }
        }
    }

    // MARK: Worker

    private enum Assignment {
        case unit(WorkUnit, StreamShare?)
        case help(StreamShare)
        case exit
    }

    func workerMain() {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: bufferSize * ringSlots, alignment: 4096)
        defer { ring.deallocate() }
        var dirs = DirectoryCache()
        while true {
            let assignment: Assignment = schedule.withLock { s in
                if s.next < units.count {
                    let unit = units[s.next]
                    s.next += 1
                    guard unit.shareable else { return .unit(unit, nil) }
                    let share = StreamShare()
                    s.helpable.append((share, false))
                    return .unit(unit, share)
                }
                if let i = s.helpable.firstIndex(where: { !$0.claimed }) {
                    s.helpable[i].claimed = true
                    return .help(s.helpable[i].share)
                }
                return .exit
            }
            switch assignment {
            case .unit(let unit, let share):
                run(unit, ring: ring, share: share, dirs: &dirs)
                if let share {
                    schedule.withLock { $0.helpable.removeAll { $0.share === share } }
                }
            case .help(let share):
                share.help()
            case .exit:
                workerExited.signal()
                return
            }
        }
    }

    func run(_ unit: WorkUnit, ring: UnsafeMutableRawPointer, share: StreamShare?, dirs: inout DirectoryCache) {
        if unit.file == nil, case .stream = unit.kind, let result = single(requests[unit.index], ring: ring, dirs: &dirs) {
            results.withLock { $0[unit.index] = result }
            return
        }
        let file = unit.file ?? FileJob(request: requests[unit.index], units: 1)
        defer {
            if let result = file.unitDone() { results.withLock { $0[unit.index] = result } }
        }
        guard let fd = file.descriptor(&dirs) else {
            // Nothing is read; let a helper waiting on this stream go.
            share?.finishWithoutReading()
            return
        }
        switch unit.kind {
        case .stream: stream(file, fd: fd, ring: ring, share: share)
        case .range(let i): range(file, index: i, fd: fd, ring: ring)
        case .piece(let k): piece(file, index: k, fd: fd, ring: ring)
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
        if let error = readChecked(file.request, fd: fd, into: buffer, count: count, at: offset) {
            file.fail(error)
            return false
        }
        return true
    }

    /// Reads `count` bytes at `offset` of `r`'s file: nil when all were read, else the error to report (a short read
    /// is a change, a failed read an I/O error).
    func readChecked(_ r: HashRequest, fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> WeightSealError? {
        let (n, code) = Self.readFully(fd, buffer, count, at: offset)
        if code != 0 {
            return WeightSealError(.io, "cannot read \(r.path) at byte \(offset &+ UInt64(n)): \(String(cString: strerror(code)))")
        }
        guard n == count else {
            // Ranges are read in parallel: where this read stopped is not where the file ends now; fstat says.
            let now = FileIdentity(descriptor: fd).map { "it has \($0.size) bytes now" } ?? "it ended at byte \(offset &+ UInt64(n))"
            return WeightSealError(.fileChanged, "\(r.path) changed while hashing: \(now), expected \(r.size) bytes")
        }
        addProgress(n)
        return nil
    }

    /// A file that fits in one buffer and needs only its whole-file digest (and its one chunk, which is that digest):
    /// opened, read and hashed in one go, without the shared job a stream of many blocks needs (a third of the time
    /// per file on 200,000 small files). Nil when the request is not of that kind; the result otherwise, as a stream
    /// would give it.
    func single(_ r: HashRequest, ring: UnsafeMutableRawPointer, dirs: inout DirectoryCache) -> HashResult? {
        guard r.wholeFile, r.ranges.isEmpty, !r.gitBlobSHA1, r.size <= UInt64(bufferSize),
              (r.chunkSize ?? 0) == 0 || FileJob.chunkIsWhole(r) else { return nil }
        var result = HashResult()
        let fd: Int32
        switch FileJob.openChecked(r, dirs: &dirs) {
        case .success(let d): fd = d
        case .failure(let error):
            result.error = error
            return result
        }
        defer { close(fd) }
        if let error = readChecked(r, fd: fd, into: ring, count: Int(r.size), at: 0) {
            result.error = error
            return result
        }
        var h = RunningDigest(r.algorithm)
        h.update(UnsafeRawBufferPointer(start: ring, count: Int(r.size)))
        let whole = h.finalize()
        if r.algorithm == .sha256 { result.sha256 = whole } else { result.blake3 = whole }
        if (r.chunkSize ?? 0) > 0, r.size > 0 { result.chunks = [whole] }
        result.identity = FileIdentity(descriptor: fd)
        return result
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
            if let rest = share.own(ring: ring, slots: ringSlots, blockSize: bufferSize, size: r.size, secondary: parts.secondary,
                                    primary: &primary, read: { [self] buffer, count, offset in
                                        !file.failed && self.readBlock(file, fd: fd, into: buffer, count: count, at: offset)
                                    }) {
                secondary = rest
            } else {
                ok = false
            }
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
        file.withState { s in
            if file.pieces != nil {
                // The pieces give the whole-file digest; this stream only what they do not.
                s.pieces.streamChunks = chunks
            } else {
                s.result.sha256 = r.wholeFile && r.algorithm == .sha256 ? whole : nil
                s.result.blake3 = r.wholeFile && r.algorithm == .blake3 ? whole : nil
                s.result.chunks = chunks
            }
            s.result.gitBlobSHA1 = r.gitBlobSHA1 ? sha1 : nil
        }
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
        if r.algorithm == .blake3, mapsResident {
            var b: BLAKE3? = BLAKE3(), none: BLAKE3? = nil
            switch mapped(file, fd: fd, offset: range.lowerBound, length: range.upperBound - range.lowerBound,
                          first: &b, second: &none, step: step) {
            case .done:
                let digest = b?.finalize() ?? []
                file.withState { $0.result.ranges[index] = digest }
                return
            case .changed, .readError:
                return
            case .unavailable(let hashed):
                // The rest is read: the windows hashed so far carry on in the same digest.
                if let b { h = RunningDigest(continuing: b) }
                offset += UInt64(hashed)
            }
        }
        while offset < range.upperBound {
            let n = Int(min(UInt64(step), range.upperBound - offset))
            if file.failed || !readBlock(file, fd: fd, into: ring, count: n, at: offset) { return }
            h.update(UnsafeRawBufferPointer(start: ring, count: n))
            offset += UInt64(n)
        }
        let digest = h.finalize()
        file.withState { $0.result.ranges[index] = digest }
    }
}

extension HashRun {
    /// One unit per requested byte range of `r`.
    static func rangeUnits(_ file: FileJob, index: Int, _ r: HashRequest, into units: inout [WorkUnit], total: inout UInt64) {
        for (i, range) in r.ranges.enumerated() {
            let length = range.upperBound - range.lowerBound
            units.append(WorkUnit(index: index, file: file, kind: .range(i), bytes: length, shareable: false))
            total &+= length
        }
    }
}
