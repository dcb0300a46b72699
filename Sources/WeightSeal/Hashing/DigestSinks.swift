import Crypto
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
