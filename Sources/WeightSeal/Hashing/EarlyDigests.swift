#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file digests of a listing's small files, hashed on the walk's thread once the walk has ended and the
/// signature has checked out, while the caller still parses the signed payload (a core that would otherwise wait).
/// The verifier uses a digest only where the signed reference asks for exactly that (a whole-file digest in the same
/// algorithm, of the walked size); every other file, and any file whose identity changed while it was read, is
/// hashed by the engine as usual.
struct EarlyDigests: Sendable {
    /// The algorithm of every digest here.
    let algorithm: HashAlgorithm
    /// Files above this size (bytes) are left to the engine: a larger file may be chunked by the manifest.
    static let maxFileSize: UInt64 = 1 << 20

    /// Per listing position: the digest's index in `digests`, or -1.
    private var slots: [Int32]
    /// 32 bytes per digest, in the order hashed.
    private var digests: [UInt8] = []
    /// Bytes hashed.
    private(set) var bytes: UInt64 = 0
    /// Files hashed.
    private(set) var count = 0

    init(files: Int, algorithm: HashAlgorithm) {
        slots = Array(repeating: -1, count: files)
        self.algorithm = algorithm
    }

    /// The algorithm a verified Statement most likely uses, from a look at its bytes before it is parsed: BLAKE3 when
    /// they hold `"hashAlgorithm":"blake3"` (a weightseal manifest's serialization), else SHA-256. Only a guess for
    /// what to hash early: a wrong one costs the early work, never a verdict.
    static func likelyAlgorithm(of payload: [UInt8]) -> HashAlgorithm {
        let needle = Array(#""hashAlgorithm":"blake3""#.utf8)
        // Candidates by `memchr` on the needle's one capital letter, then compared whole.
        let anchor = needle.firstIndex(of: UInt8(ascii: "A"))!
        let found = payload.withUnsafeBytes { hay -> Bool in
            guard let base = hay.baseAddress, hay.count >= needle.count else { return false }
            let last = hay.count - needle.count + anchor  // the last place the anchor can be
            var from = anchor
            while from <= last, let hit = memchr(base + from, Int32(UInt8(ascii: "A")), last + 1 - from) {
                let start = base.distance(to: UnsafeRawPointer(hit)) - anchor
                if needle.withUnsafeBytes({ memcmp(base + start, $0.baseAddress!, needle.count) }) == 0 { return true }
                from = start + anchor + 1
            }
            return false
        }
        return found ? .blake3 : .sha256
    }

    /// Whether ``digest(at:_:)`` has a digest for that file (nothing copied).
    func has(_ index: Int, _ algorithm: HashAlgorithm) -> Bool {
        algorithm == self.algorithm && index < slots.count && slots[index] >= 0
    }

    /// The digest in `algorithm` of the file at listing position `index` (its size at the walk, unchanged while
    /// read), or nil.
    func digest(at index: Int, _ algorithm: HashAlgorithm) -> [UInt8]? {
        guard has(index, algorithm) else { return nil }
        let start = Int(slots[index]) * 32
        return Array(digests[start..<(start + 32)])
    }

    /// Hashes the listing's files of at most ``maxFileSize`` bytes in order with `algorithm` until `stop` returns true.
    static func hash(_ files: [WalkedFile], algorithm: HashAlgorithm = .sha256, stop: () -> Bool) -> EarlyDigests {
        var early = EarlyDigests(files: files.count, algorithm: algorithm)
        var dirs = DirectoryCache()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 4096)
        defer { buffer.deallocate() }
        for (index, file) in files.enumerated() {
            if stop() { break }
            guard file.size <= maxFileSize, let walked = file.identity,
                  let digest = digest(of: file, identity: walked, algorithm: algorithm, dirs: &dirs, buffer: buffer) else { continue }
            early.slots[index] = Int32(early.count)
            early.digests.append(contentsOf: digest)
            early.bytes += file.size
            early.count += 1
        }
        return early
    }

    /// The digest of `file` when it is still the regular file walked (`identity`) before and after it is read;
    /// nil otherwise (the engine then reads it and reports what it finds).
    private static func digest(of file: WalkedFile, identity: FileIdentity, algorithm: HashAlgorithm,
                               dirs: inout DirectoryCache, buffer: UnsafeMutableRawBufferPointer) -> [UInt8]? {
        let fd = dirs.openFile(file.fsPath, flags: O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, FileIdentity(st) == identity else { return nil }
        var h = RunningDigest(algorithm)
        var offset: UInt64 = 0
        // One byte past the walked size is asked for: a file that grew is not this one.
        while offset <= file.size {
            let want = min(buffer.count, Int(file.size - offset) + 1)
            let n = pread(fd, buffer.baseAddress, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            offset += UInt64(n)
        }
        guard offset == file.size, FileIdentity(descriptor: fd) == identity else { return nil }
        return h.finalize()
    }
}
