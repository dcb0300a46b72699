#if canImport(Glibc)
import CoreFoundation
#endif
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes outputs atomically: a temporary file beside the target, `fsync`, then `rename`.
/// A reader sees the old file or the new one, never half of one; a failed write leaves the old file untouched.
public enum AtomicFile {
    /// Writes `bytes` to `path` with the given permission bits (e.g. `0o600` for private keys).
    /// - Throws: ``WeightSealError/Code/io`` naming the path.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(WeightSealError) {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        var template = Array(((dir.isEmpty ? "." : dir) + "/." + base + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WeightSealError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        fchmod(fd, mode)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                throw WeightSealError(.io, "cannot write \(path): \(message)")
            }
            offset += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            throw WeightSealError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, path) == 0 else {
            throw WeightSealError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        ok = true
    }

    /// Reads a whole file of at most `limit` bytes.
    ///
    /// - Parameter allowPipe: also read a pipe to its end (`--key <(…)`): for files the user names on the command
    ///   line. Anything else that is not a regular file (a fifo in a model folder) is refused without blocking.
    /// - Throws: ``WeightSealError/Code/io`` when it cannot be read, ``WeightSealError/Code/limitExceeded`` when larger.
    public static func read(_ path: String, limit: Int, what: String, allowPipe: Bool = false) throws(WeightSealError) -> [UInt8] {
        var st = stat()
        if allowPipe, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO {
            return try readStream(path, limit: limit, what: what)
        }
        let file: BoundedFile
        do {
            file = try BoundedFile(path: path)
        } catch {
            throw WeightSealError(.io, "cannot read \(what) \(path): \(error.message)")
        }
        guard file.size <= UInt64(limit) else {
            throw WeightSealError(.limitExceeded, "\(what) \(path) is \(file.size) bytes; the limit is \(limit)")
        }
        do {
            return try file.read(at: 0, count: Int(file.size))
        } catch {
            throw WeightSealError(.io, "cannot read \(what) \(path): \(error.message)")
        }
    }

    /// A pipe (`--key <(…)`, `--license-policy <(…)`): read to its end, at most `limit` bytes.
    private static func readStream(_ path: String, limit: Int, what: String) throws(WeightSealError) -> [UInt8] {
        // Opened without blocking (a fifo nobody writes to must not hang the command), then read blocking: a
        // writer that is there is waited for, one that is not gives end of file at once.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw WeightSealError(.io, "cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw WeightSealError(.io, "cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return out }
            out += buffer[0..<n]
            if out.count > limit { throw WeightSealError(.limitExceeded, "\(what) \(path) is larger than \(limit) bytes") }
        }
    }
}
