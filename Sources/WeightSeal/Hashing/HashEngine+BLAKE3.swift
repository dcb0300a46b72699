import Foundation

// BLAKE3 files hashed as pieces (DESIGN §8, docs/performance.md).
//
// BLAKE3 is a tree: a piece of 2^k chunks (1 KiB each) that starts at a multiple of its size is a subtree of the
// file's tree, and the subtrees' chaining values join into the file's digest (BLAKE3.combine). So one big file is
// cut into pieces, each its own work unit, read once and hashed on whichever worker is free; no stream needs a helper.
// When the manifest's chunk size is such a size, the pieces are the chunks: each piece unit also computes its chunk's
// digest (BLAKE3 of the chunk alone, as `dd | b3sum` gives) from the same reads.

/// The plan of a BLAKE3 file hashed as pieces; the results are in the file's locked state (``Results``).
struct BLAKE3Pieces: Sendable {
    struct Sizes: Sendable {
        /// Bytes per piece when the chunks cannot be the pieces (2^14 BLAKE3 chunks); a power of two from 1 KiB.
        var piece: UInt64 = 16 << 20
        /// Smallest chunk size that gives the pieces (below it a piece is too small a unit of work).
        var minChunkPiece: UInt64 = 1 << 20
    }

    let pieceSize: UInt64
    let count: Int
    /// Pieces compute their subtree's chaining value, for the whole-file digest.
    let whole: Bool
    /// Pieces are the chunks: each also computes its chunk's digest.
    let chunksArePieces: Bool
    /// A sequential stream computes what pieces do not: chunk digests of a chunk size that is not a piece size, the git
    /// blob SHA-1.
    let stream: Bool
    let streamChunkSize: UInt64

    /// What the units of a file hashed as pieces produce.
    struct Results: Sendable {
        var chainingValues: [[UInt8]] = []
        var pieceChunks: [[UInt8]] = []
        var streamChunks: [[UInt8]] = []

        init() {}

        init(for plan: BLAKE3Pieces) {
            chainingValues = Array(repeating: [], count: plan.whole ? plan.count : 0)
            pieceChunks = Array(repeating: [], count: plan.chunksArePieces ? plan.count : 0)
        }
    }

    init(pieceSize: UInt64, size: UInt64, whole: Bool, chunksArePieces: Bool, stream: Bool, streamChunkSize: UInt64) {
        self.pieceSize = pieceSize
        self.count = Int((size - 1) / pieceSize + 1)
        self.whole = whole
        self.chunksArePieces = chunksArePieces
        self.stream = stream
        self.streamChunkSize = streamChunkSize
    }

    /// The pieces of `r`, or nil when it is hashed as one stream (not BLAKE3, or no larger than a piece).
    static func plan(for r: HashRequest, sizes: Sizes) -> BLAKE3Pieces? {
        guard r.algorithm == .blake3 else { return nil }
        let cs = r.chunkSize ?? 0
        let chunkIsWhole = r.wholeFile && cs > 0 && r.size <= cs
        let wantsChunks = cs > 0 && !chunkIsWhole && r.size > cs
        let chunkPieces = wantsChunks && cs >= sizes.minChunkPiece && cs % UInt64(BLAKE3.chunkSize) == 0
            && (cs / UInt64(BLAKE3.chunkSize)).nonzeroBitCount == 1
        let pieceSize = chunkPieces ? cs : sizes.piece
        guard r.size > pieceSize, r.wholeFile || chunkPieces else { return nil }
        let streamChunks = wantsChunks && !chunkPieces
        return BLAKE3Pieces(pieceSize: pieceSize, size: r.size, whole: r.wholeFile, chunksArePieces: chunkPieces,
                            stream: streamChunks || r.gitBlobSHA1, streamChunkSize: streamChunks ? cs : 0)
    }

    /// What the file's stream unit (if any) feeds: never the whole-file digest.
    func streamSinks(for r: HashRequest) -> DigestSinks {
        var s = HashRun.sinks(for: r, chunkIsWhole: false)
        s.whole = nil
        s.chunkSize = streamChunkSize
        return s
    }

    /// Called by the file's last unit, with no error: the digests from the pieces' results.
    func settle(_ results: Results, into result: inout HashResult, request r: HashRequest, chunkIsWhole: Bool) {
        let digest = whole ? BLAKE3.combine(mode: BLAKE3(), chainingValues: results.chainingValues) : nil
        result.blake3 = r.wholeFile ? digest : nil
        if chunkIsWhole, let digest {
            result.chunks = [digest]
        } else {
            result.chunks = chunksArePieces ? results.pieceChunks : results.streamChunks
        }
    }
}

extension HashRun {
    /// The units of a file hashed as pieces: one per piece, the stream if the plan has one, one per range.
    static func pieceUnits(_ r: HashRequest, index: Int, plan: BLAKE3Pieces, bufferSize: Int, into units: inout [WorkUnit],
                           total: inout UInt64) {
        let file = FileJob(request: r, units: plan.count + (plan.stream ? 1 : 0) + r.ranges.count, pieces: plan)
        for k in 0..<plan.count {
            let start = UInt64(k) * plan.pieceSize
            let bytes = min(plan.pieceSize, r.size - start)
            units.append(WorkUnit(index: index, file: file, kind: .piece(k), bytes: bytes, shareable: false))
            total &+= bytes
        }
        if plan.stream {
            let shareable = plan.streamSinks(for: r).kinds >= 2 && r.size > UInt64(bufferSize)
            units.append(WorkUnit(index: index, file: file, kind: .stream, bytes: r.size, shareable: shareable))
            total &+= r.size
        }
        rangeUnits(file, index: index, r, into: &units, total: &total)
    }

    /// Whether BLAKE3 ranges and pieces wholly in the page cache are hashed through a guarded mapping (`mapped.c`)
    /// rather than copied by `pread`: yes, unless `WEIGHTSEAL_PREAD_ONLY=1` (to measure the difference).
    static let mapsResidentByDefault = ProcessInfo.processInfo.environment["WEIGHTSEAL_PREAD_ONLY"] != "1"

    /// Hashes `length` bytes from `offset` into `first` and `second` straight from the page cache when all of them are
    /// there: no copy into the ring (docs/performance.md, BLAKE3). A file that shrank under the mapping fails as a
    /// short read does; `.unavailable` leaves the rest of the range (past the whole windows hashed) to `pread`.
    func mapped(_ file: FileJob, fd: Int32, offset: UInt64, length: UInt64, first: inout BLAKE3?, second: inout BLAKE3?,
                step: Int) -> BLAKE3.MappedUpdate {
        if file.failed { return .changed }
        // A file already shorter than the range is read, so that the short read is reported as usual (past the end
        // but inside its last page, a mapping reads zeros).
        guard let now = FileIdentity(descriptor: fd), now.size >= offset + length else { return .unavailable(hashed: 0) }
        let outcome = BLAKE3.updateMapped(fd: fd, offset: offset, length: Int(length), residentOnly: true,
                                          first: &first, second: &second, step: step)
        switch outcome {
        case .done:
            addProgress(Int(length))
        case .changed:
            let now = FileIdentity(descriptor: fd).map { "it has \($0.size) bytes now" } ?? "it shrank while it was read"
            file.fail(WeightSealError(.fileChanged, "\(file.request.path) changed while hashing: \(now), expected \(file.request.size) bytes"))
        case .readError:
            file.fail(WeightSealError(.io, "cannot read \(file.request.path) between bytes \(offset) and \(offset + length): I/O error"))
        case .unavailable(let hashed):
            addProgress(hashed)
        }
        return outcome
    }

    /// Reads piece `k` once, feeding its subtree hasher and, when the pieces are the chunks, its chunk's own hasher.
    func piece(_ file: FileJob, index k: Int, fd: Int32, ring: UnsafeMutableRawPointer) {
        guard let plan = file.pieces else { return }
        let start = UInt64(k) * plan.pieceSize
        let end = min(start + plan.pieceSize, file.request.size)
        var tree = plan.whole ? BLAKE3(subtreeOf: BLAKE3(), firstChunk: start / UInt64(BLAKE3.chunkSize)) : nil
        var chunk = plan.chunksArePieces ? BLAKE3() : nil
        // With two hashers, each block is hashed twice while it is in the cache.
        let step = min(bufferSize, HashRun.unitReadSize)
        var offset = start
        if mapsResident {
            switch mapped(file, fd: fd, offset: start, length: end - start, first: &tree, second: &chunk, step: step) {
            case .done: offset = end
            case .changed, .readError: return
            case .unavailable(let hashed): offset += UInt64(hashed)
            }
        }
        while offset < end {
            let n = Int(min(UInt64(step), end - offset))
            if file.failed || !readBlock(file, fd: fd, into: ring, count: n, at: offset) { return }
            let bytes = UnsafeRawBufferPointer(start: ring, count: n)
            tree?.update(bytes)
            chunk?.update(bytes)
            offset += UInt64(n)
        }
        let cv = tree?.chainingValue()
        let digest = chunk?.finalize()
        file.withState { s in
            if let cv { s.pieces.chainingValues[k] = cv }
            if let digest { s.pieces.pieceChunks[k] = digest }
        }
    }
}
