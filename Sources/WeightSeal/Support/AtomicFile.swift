#if canImport(Glibc)
import CoreFoundation
#endif
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes outputs atomically: a temporary file beside the target, `fsync`, then `rename`.
/// A reader sees the old file or the new one, never half of one; a failed write leaves the old file untouched.
///
/// The temporary file is named `.NAME.weightseal-tmp-XXXXXX` (six letters or digits) beside `NAME`: the folder
/// walker never covers or reports such a name (``isTemporaryName(_:)``, `docs/formats/manifest-v1.md`), so a
/// signature being written into a model folder, or left there by a process that was killed, is not part of a model.
/// A process that calls ``removeTemporaryFilesOnSignals()`` also removes its temporary files when it is interrupted.
public enum AtomicFile {
    /// What every temporary name holds between the target's name and the random suffix.
    public static let temporaryMarker = ".weightseal-tmp-"
    /// Length of the random suffix of a temporary name (letters and digits).
    static let temporarySuffixLength = 6

    /// Writes `bytes` to `path` with the given permission bits (e.g. `0o600` for private keys).
    /// - Throws: ``WeightSealError/Code/io`` naming the path.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(WeightSealError) {
        try Pending(path: path, mode: mode).commit(bytes)
    }

    /// Whether `name` (one path component, as raw bytes) is a temporary name this writer makes:
    /// `.` + a non-empty name + ``temporaryMarker`` + six ASCII letters or digits, nothing more.
    public static func isTemporaryName<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
        // Most names fail on their first byte: nothing is copied for them.
        guard name.first == UInt8(ascii: ".") else { return false }
        let marker = Array(temporaryMarker.utf8)
        let bytes = Array(name)
        let minimum = 2 + marker.count + temporarySuffixLength
        guard bytes.count >= minimum, bytes[0] == UInt8(ascii: ".") else { return false }
        let suffix = bytes.suffix(temporarySuffixLength)
        guard suffix.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else {
            return false
        }
        let markerStart = bytes.count - temporarySuffixLength - marker.count
        return bytes[markerStart..<(bytes.count - temporarySuffixLength)].elementsEqual(marker)
    }

    /// Whether `name` (one path component) is a temporary name this writer makes.
    public static func isTemporaryName(_ name: String) -> Bool { isTemporaryName(Array(name.utf8)) }

    /// An output reserved before the work that fills it: its temporary file exists from `init` until
    /// ``commit(_:)`` renames it over the target or ``discard()`` (or `deinit`) removes it.
    ///
    /// Reserving first makes a command fail before hours of hashing when it cannot write its output, and keeps the
    /// temporary name registered for ``AtomicFile/removeTemporaryFilesOnSignals()`` all along.
    public final class Pending: Sendable {
        /// The target path.
        public let path: String
        /// The temporary file beside it.
        public let temporaryPath: String
        private struct State {
            var fd: Int32
            var slot: Int?
            var staged = false
            var done = false
        }
        private let state: Mutex<State>

        /// Creates the temporary file beside `path`, with permission bits `mode`.
        /// - Throws: ``WeightSealError/Code/io`` naming the path when the folder cannot be written.
        public init(path: String, mode: mode_t = 0o644) throws(WeightSealError) {
            self.path = path
            let dir = (path as NSString).deletingLastPathComponent
            let base = (path as NSString).lastPathComponent
            guard !base.isEmpty, base != ".", base != "..", !path.hasSuffix("/") else {
                throw WeightSealError(.io, "cannot write \(ModelPath.quoted(path)): not a file name")
            }
            // Long names are shortened so the temporary name still fits NAME_MAX (255 bytes).
            var shortBase = ""
            for c in base where shortBase.utf8.count + c.utf8.count <= 200 { shortBase.append(c) }
            let prefix = (dir.isEmpty ? "." : dir) + "/." + shortBase + AtomicFile.temporaryMarker
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
            var attempt = 0
            while true {
                let suffix = String(decoding: (0..<AtomicFile.temporarySuffixLength).map { _ in alphabet.randomElement()! }, as: UTF8.self)
                let candidate = prefix + suffix
                // Registered before it exists: an interrupt between `open` and registration would leave it behind.
                let slot = TemporaryFiles.register(candidate)
                let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                if fd >= 0 {
                    fchmod(fd, mode)
                    temporaryPath = candidate
                    state = Mutex(State(fd: fd, slot: slot))
                    return
                }
                let code = errno
                if let slot { TemporaryFiles.unregister(slot) }
                attempt += 1
                guard code == EEXIST, attempt < 100 else {
                    throw WeightSealError(.io, "cannot write \(ModelPath.quoted(path)): \(String(cString: strerror(code)))")
                }
            }
        }

        deinit { discard() }

        /// Writes `bytes` to the temporary file and makes it durable (`fsync`), without replacing the target yet:
        /// for outputs that must appear together (a key pair), each is staged before any is published.
        /// - Throws: ``WeightSealError/Code/io`` naming the target; the temporary file is then removed.
        public func stage(_ bytes: [UInt8]) throws(WeightSealError) {
            let failure: String? = state.withLock { st in
                guard !st.done, !st.staged, st.fd >= 0 else { return "already written" }
                st.staged = true
                let fd = st.fd
                st.fd = -1
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        let message = String(cString: strerror(errno))
                        close(fd)
                        return message
                    }
                    offset += n
                }
                let synced = fsync(fd) == 0 ? nil : String(cString: strerror(errno))
                let closed = close(fd) == 0 ? nil : String(cString: strerror(errno))
                return synced ?? closed
            }
            if let failure {
                discard()
                throw WeightSealError(.io, "cannot write \(ModelPath.quoted(path)): \(failure)")
            }
        }

        /// Renames the staged temporary file over the target.
        /// - Throws: ``WeightSealError/Code/io`` naming the target; the temporary file is then removed.
        public func publish() throws(WeightSealError) {
            let failure: String? = state.withLock { st in
                guard st.staged, !st.done else { return "nothing staged" }
                guard rename(temporaryPath, path) == 0 else { return String(cString: strerror(errno)) }
                st.done = true
                if let slot = st.slot { TemporaryFiles.unregister(slot) }
                st.slot = nil
                return nil
            }
            if let failure {
                discard()
                throw WeightSealError(.io, "cannot write \(ModelPath.quoted(path)): \(failure)")
            }
        }

        /// ``stage(_:)`` then ``publish()``.
        public func commit(_ bytes: [UInt8]) throws(WeightSealError) {
            try stage(bytes)
            try publish()
        }

        /// Removes the temporary file (nothing when it was already published or removed).
        public func discard() {
            state.withLock { st in
                guard !st.done else { return }
                st.done = true
                if st.fd >= 0 { close(st.fd) }
                st.fd = -1
                unlink(temporaryPath)
                if let slot = st.slot { TemporaryFiles.unregister(slot) }
                st.slot = nil
            }
        }
    }

    /// Makes SIGINT, SIGTERM and SIGHUP remove this process's temporary files (of ``write(_:to:mode:)`` and
    /// ``Pending``) before the signal ends it as it would have (same signal, default action). A signal the
    /// process was started ignoring (`nohup`, a background job) stays ignored. For command-line programs; call once,
    /// early. The handler is async-signal-safe: it only calls `unlink` on paths stored in memory allocated beforehand,
    /// then `raise`.
    public static func removeTemporaryFilesOnSignals() {
        TemporaryFiles.installHandlers()
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
