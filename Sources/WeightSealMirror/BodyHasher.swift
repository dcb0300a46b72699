import Crypto
import WeightSeal

/// A signed chunk: its index in the file, byte range and digest.
struct IndexedRange: Sendable, Hashable {
    var index: Int
    var start: UInt64
    var end: UInt64
    var digest: [UInt8]
    var algorithm: HashAlgorithm = .sha256
}

/// What one body request must check.
enum BodyCheck: Sendable, Hashable {
    /// Contiguous signed chunks, in order.
    case chunks([IndexedRange])
    /// The whole file's SHA-256.
    case sha256([UInt8])
    /// The whole file's BLAKE3.
    case blake3([UInt8])
    /// The whole file's git blob SHA-1 (needs the size).
    case gitBlobSHA1([UInt8])

    /// The algorithm of the chunk or whole-file digest (SHA-256 for the git blob check, which does not use it).
    var algorithm: HashAlgorithm {
        switch self {
        case .chunks(let r): r.first?.algorithm ?? .sha256
        case .blake3: .blake3
        case .sha256, .gitBlobSHA1: .sha256
        }
    }
}

/// Hashes a response body as it arrives, chunk by chunk, keeping nothing but the running digests.
///
/// Bytes are fed with their absolute file offset, so a `200` answer to a `Range` request (the mirror ignored the
/// range) is handled by skipping bytes before the position wanted. After a broken connection ``restart()`` rewinds
/// to the start of the chunk being hashed, and the next request resumes from there.
struct BodyHasher: Sendable {
    let check: BodyCheck
    /// Absolute offset where the bytes this request checks end; `nil` when the size is unknown (read to the end).
    let end: UInt64?
    /// Absolute offset of the next byte wanted.
    private(set) var position: UInt64
    private var current = 0
    private var sha: RunningDigest
    private var sha1 = Insecure.SHA1()
    /// Indices of chunks compared, and of those that differ.
    private(set) var checked: [Int] = []
    private(set) var bad: [Int] = []
    /// Whole-file digest compared (`sha256` / `gitBlobSHA1` checks); `nil` until the body ends.
    private(set) var wholeMatches: Bool?
    private(set) var wholeActual: String?
    /// The body went past ``end``: the mirror's file is longer than the signed one.
    private(set) var overflow = false
    private let start: UInt64

    init(check: BodyCheck, size: UInt64?) {
        self.check = check
        sha = RunningDigest(check.algorithm)
        switch check {
        case .chunks(let ranges):
            start = ranges.first?.start ?? 0
            end = ranges.last?.end ?? 0
        case .sha256, .blake3:
            start = 0
            end = size
        case .gitBlobSHA1:
            start = 0
            end = size
        }
        position = start
        if case .gitBlobSHA1 = check { sha1.update(data: Array("blob \(size ?? 0)\0".utf8)) }
    }

    /// All bytes wanted have arrived.
    var isDone: Bool {
        if let end { return position >= end && (wholeMatches != nil || isChunked) }
        return false
    }

    var isChunked: Bool { if case .chunks = check { return true } else { return false } }

    /// Feeds `bytes`, which start at absolute file offset `offset`. Returns `true` once every byte wanted has arrived.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        let n = UInt64(bytes.count)
        let (stop, over) = offset.addingReportingOverflow(n)
        guard !over, stop > position else { return isDone }
        var from = Int(position > offset ? position - offset : 0)
        if offset > position { from = bytes.count }  // a gap: cannot happen with well-formed answers; ignore the bytes
        switch check {
        case .chunks(let ranges):
            while from < bytes.count, current < ranges.count {
                let r = ranges[current]
                let take = Int(min(UInt64(bytes.count - from), r.end - position))
                sha.update(UnsafeRawBufferPointer(rebasing: bytes[from..<(from + take)]))
                from += take
                position += UInt64(take)
                if position == r.end {
                    checked.append(r.index)
                    if sha.finalize() != r.digest { bad.append(r.index) }
                    sha = RunningDigest(r.algorithm)
                    current += 1
                }
            }
            if from < bytes.count, current >= ranges.count { overflow = overflow || isWholeFileSpan }
            return current >= ranges.count
        case .sha256, .blake3, .gitBlobSHA1:
            var take = bytes.count - from
            if let end {
                let left = end - position
                if UInt64(take) > left {
                    overflow = true
                    take = Int(left)
                }
            }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[from..<(from + take)])
            if case .gitBlobSHA1 = check { sha1.update(bufferPointer: slice) } else { sha.update(slice) }
            position += UInt64(take)
            if let end, position >= end { finishWhole() }
            return isDone
        }
    }

    /// Whether the chunks span the whole file (a byte past them means the file is longer than signed).
    var isWholeFileSpan = false

    /// Call when the body ended cleanly: finalises a whole-file digest whose size was unknown.
    mutating func bodyEnded() {
        if !isChunked, wholeMatches == nil, end.map({ position >= $0 }) ?? true { finishWhole() }
    }

    private mutating func finishWhole() {
        guard wholeMatches == nil else { return }
        switch check {
        case .sha256(let expected), .blake3(let expected):
            let d = sha.finalize()
            wholeMatches = d == expected
            wholeActual = d.hexString
        case .gitBlobSHA1(let expected):
            let d = Array(sha1.finalize())
            wholeMatches = d == expected
            wholeActual = d.hexString
        case .chunks:
            break
        }
    }

    /// Rewinds after a broken connection: chunked checks resume at the chunk being hashed, whole-file checks at 0.
    mutating func restart() {
        switch check {
        case .chunks(let ranges):
            position = current < ranges.count ? ranges[current].start : (ranges.last?.end ?? start)
            sha = RunningDigest(check.algorithm)
        case .sha256, .blake3:
            position = 0
            sha = RunningDigest(check.algorithm)
        case .gitBlobSHA1:
            position = 0
            sha1 = Insecure.SHA1()
            if case .gitBlobSHA1 = check, let end { sha1.update(data: Array("blob \(end)\0".utf8)) }
        }
    }
}
