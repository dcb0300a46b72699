import Crypto
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A unit of work: a file's sequential stream or one of its ranges.
struct WorkUnit {
    enum Kind {
        case stream
        case range(Int)
        /// Piece `k` of a BLAKE3 file hashed as pieces.
        case piece(Int)
    }

    /// The request's position in the run.
    let index: Int
    /// The file's job when several units share it; `nil` for a file read by this unit alone (made when it runs).
    let file: FileJob?
    let kind: Kind
    /// Bytes the unit reads.
    let bytes: UInt64
    /// A stream feeding two kinds of digest, over more than one buffer: a second worker can help.
    let shareable: Bool
    /// Position when planned: ties of the largest-first order keep it.
    var order = 0

    init(index: Int, file: FileJob?, kind: Kind, bytes: UInt64, shareable: Bool) {
        self.index = index
        self.file = file
        self.kind = kind
        self.bytes = bytes
        self.shareable = shareable
    }
}
