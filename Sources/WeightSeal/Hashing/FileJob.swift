import Crypto
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
            return .failure(WeightSealError(.fileChanged, "\(r.path) changed while hashing: it has \(actual) bytes, expected \(r.size)"))
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
            if fd >= 0 {
                if error == nil { result.identity = FileIdentity(descriptor: fd) }
                close(fd)
            }
            fd = -1
            if error == nil, let pieces { pieces.settle(into: &result, request: request, chunkIsWhole: chunkIsWhole) }
            if let error {
                result = HashResult()
                result.error = error
            }
        }
    }
}
