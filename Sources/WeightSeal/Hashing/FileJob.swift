import Crypto
import Synchronization
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file of a run: its descriptor (opened once, shared by its units) and its result.
///
/// Everything that changes while units run is in ``State``, reachable only under the file's `Mutex`.
final class FileJob: Sendable {
    let request: HashRequest
    /// Chunk digests equal the whole-file digest (the file fits in one chunk): computed once.
    let chunkIsWhole: Bool
    /// Set when a BLAKE3 file is hashed as pieces (fixed when the run is planned).
    let pieces: BLAKE3Pieces?

    struct State: Sendable {
        var fd: Int32 = -1
        var opened = false
        var error: WeightSealError?
        var remaining: Int
        var result = HashResult()
        /// Per-piece results of a BLAKE3 file hashed as pieces.
        var pieces = BLAKE3Pieces.Results()
    }

    private let state: Mutex<State>

    init(request: HashRequest, units: Int, pieces: BLAKE3Pieces? = nil) {
        self.request = request
        self.pieces = pieces
        chunkIsWhole = Self.chunkIsWhole(request)
        var initial = State(remaining: units)
        if !request.ranges.isEmpty { initial.result.ranges = Array(repeating: [], count: request.ranges.count) }
        if let pieces { initial.pieces = BLAKE3Pieces.Results(for: pieces) }
        state = Mutex(initial)
    }

    /// Whether `request`'s chunk digests equal its whole-file digest (one chunk holds the file).
    static func chunkIsWhole(_ request: HashRequest) -> Bool {
        request.wholeFile && (request.chunkSize ?? 0) > 0 && request.size <= (request.chunkSize ?? 0)
    }

    /// Runs `body` with the file's state, under its lock.
    func withState<T: Sendable>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// The descriptor, opening the file on first use; nil once the file has failed.
    func descriptor(_ dirs: inout DirectoryCache) -> Int32? {
        withState { s in
            if !s.opened {
                s.opened = true
                switch Self.openChecked(request, dirs: &dirs) {
                case .success(let d): s.fd = d
                case .failure(let e): s.error = e
                }
            }
            return s.error == nil ? s.fd : nil
        }
    }

    /// Opens without following a symlink and without blocking (a fifo must not hang the run), then checks that it is
    /// a regular file at least `size` bytes long.
    static func openChecked(_ r: HashRequest, dirs: inout DirectoryCache) -> Result<Int32, WeightSealError> {
        let fd = dirs.openFile(r.path, flags: O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
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
            return .failure(WeightSealError(.fileChanged, "\(r.path) changed while hashing: it has \(actual) bytes, expected \(r.size)"))
        }
        return .success(fd)
    }

    func fail(_ e: WeightSealError) {
        withState { s in if s.error == nil { s.error = e } }
    }

    var failed: Bool { withState { $0.error != nil } }

    /// Called when one of the file's units ends; the last one closes the file, settles the result and returns it.
    func unitDone() -> HashResult? {
        withState { s in
            s.remaining -= 1
            guard s.remaining == 0 else { return nil }
            if s.fd >= 0 {
                if s.error == nil { s.result.identity = FileIdentity(descriptor: s.fd) }
                close(s.fd)
            }
            s.fd = -1
            if s.error == nil, let pieces { pieces.settle(s.pieces, into: &s.result, request: request, chunkIsWhole: chunkIsWhole) }
            if let error = s.error {
                s.result = HashResult()
                s.result.error = error
            }
            return s.result
        }
    }
}
