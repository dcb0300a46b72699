import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a format parser stopped: the bytes are not the format (`invalid`), a bound in ``Limits`` was hit
/// (`limit`), or the file could not be read (`io`).
struct FormatError: Error, Sendable {
    enum Reason: Sendable { case invalid, limit, io }
    var reason: Reason
    var message: String

    static func invalid(_ m: String) -> FormatError { FormatError(reason: .invalid, message: m) }
    static func limit(_ m: String) -> FormatError { FormatError(reason: .limit, message: m) }
    static func io(_ m: String) -> FormatError { FormatError(reason: .io, message: m) }

    /// The public error for APIs that throw.
    func weightSealError(path: String) -> WeightSealError {
        switch reason {
        case .invalid: return WeightSealError(.unsupportedFormat, "\(ModelPath.quoted(path)): \(message)")
        case .limit: return WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)): \(message)")
        case .io: return WeightSealError(.io, "\(ModelPath.quoted(path)): \(message)")
        }
    }
}

/// The project's one bounded file reader: a read-only regular file read only at offsets with `pread`. Every read is
/// bounded by the file size and by what the caller asks; whole-file reads (``AtomicFile/read(_:limit:what:)``) check a
/// limit before reading.
final class BoundedFile {
    let fd: Int32
    /// The size in bytes when opened.
    let size: UInt64

    /// Counts the bytes read by every ``BoundedFile`` in the current task, for tests that must show a check read
    /// only headers (bytes counted, not seconds measured).
    final class ReadCounter: Sendable {
        private let total = Mutex<UInt64>(0)
        package init() {}
        package var bytes: UInt64 { total.withLock { $0 } }
        func add(_ n: Int) { total.withLock { $0 &+= UInt64(n) } }
    }
    @TaskLocal static var readCounter: ReadCounter?

    /// Opens a regular file (following symlinks); a fifo or device is refused without blocking.
    init(path: String) throws(FormatError) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw .io("cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            close(fd)
            throw .io("cannot stat: \(String(cString: strerror(e)))")
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw .io("not a regular file")
        }
        self.fd = fd
        self.size = st.st_size >= 0 ? UInt64(st.st_size) : 0
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        if offset >= size || count <= 0 { return [] }
        let n = Int(min(UInt64(count), size - offset))
        var out = [UInt8](repeating: 0, count: n)
        var done = 0
        while done < n {
            let got = out.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return pread(fd, base + done, n - done, off_t(offset + UInt64(done)))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .io("read failed: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            done += got
        }
        if done < n { out.removeSubrange(done...) }
        Self.readCounter?.add(done)
        return out
    }

    /// Reads exactly `count` bytes at `offset` or throws `invalid` naming `what`.
    func readExactly(at offset: UInt64, count: Int, what: String) throws(FormatError) -> [UInt8] {
        let bytes = try read(at: offset, count: count)
        if bytes.count != count { throw .invalid("file ends inside \(what)") }
        return bytes
    }
}

/// A sequential, buffered reader over a ``BoundedFile`` region `[start, end)`.
struct ByteCursor {
    let file: BoundedFile
    /// Absolute offset of the next byte.
    private(set) var position: UInt64
    /// Absolute end of the readable region.
    let end: UInt64
    private var buffer: [UInt8] = []
    private var bufferStart: UInt64 = 0
    private static let chunk = 1 << 16
    /// Read multi-byte integers big-endian (big-endian GGUF files).
    var bigEndian = false

    init(file: BoundedFile, start: UInt64 = 0, end: UInt64? = nil) {
        self.file = file
        self.position = start
        self.end = min(end ?? file.size, file.size)
    }

    /// Moves back (or forward, within the region) to an absolute offset.
    mutating func rewind(to offset: UInt64) { position = min(offset, end) }

    var remaining: UInt64 { end > position ? end - position : 0 }
    var atEnd: Bool { position >= end }

    private mutating func fill() throws(FormatError) {
        bufferStart = position
        let want = Int(min(UInt64(Self.chunk), remaining))
        buffer = try file.read(at: position, count: want)
    }

    mutating func byte(_ what: @autoclosure () -> String) throws(FormatError) -> UInt8 {
        if position >= end { throw .invalid("file ends inside \(what())") }
        if position < bufferStart || position >= bufferStart + UInt64(buffer.count) {
            try fill()
            if buffer.isEmpty { throw .invalid("file ends inside \(what())") }
        }
        let b = buffer[Int(position - bufferStart)]
        position += 1
        return b
    }

    /// Reads `count` bytes (the caller bounds `count`).
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(FormatError) -> [UInt8] {
        if UInt64(count) > remaining { throw .invalid("file ends inside \(what())") }
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            if position < bufferStart || position >= bufferStart + UInt64(buffer.count) {
                try fill()
                if buffer.isEmpty { throw .invalid("file ends inside \(what())") }
            }
            let i = Int(position - bufferStart)
            let take = min(count - out.count, buffer.count - i)
            out.append(contentsOf: buffer[i..<(i + take)])
            position += UInt64(take)
        }
        return out
    }

    /// Skips `count` bytes without reading them.
    mutating func skip(_ count: UInt64, _ what: @autoclosure () -> String) throws(FormatError) {
        if count > remaining { throw .invalid("file ends inside \(what())") }
        position += count
    }

    /// An unsigned integer of `width` bytes in the cursor's byte order.
    mutating func le(_ width: Int, _ what: @autoclosure () -> String) throws(FormatError) -> UInt64 {
        let b = try bytes(width, what())
        return bigEndian ? littleEndian(b.reversed()) : littleEndian(b)
    }

    mutating func u32(_ what: @autoclosure () -> String) throws(FormatError) -> UInt32 { UInt32(truncatingIfNeeded: try le(4, what())) }
    mutating func u64(_ what: @autoclosure () -> String) throws(FormatError) -> UInt64 { try le(8, what()) }
}

/// Little-endian integer of up to 8 bytes from a slice.
func littleEndian<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var v: UInt64 = 0
    var shift: UInt64 = 0
    for b in bytes.prefix(8) {
        v |= UInt64(b) << shift
        shift += 8
    }
    return v
}

/// `a * b`, or nil on overflow.
@inline(__always) func checkedMul(_ a: UInt64, _ b: UInt64) -> UInt64? {
    let r = a.multipliedReportingOverflow(by: b)
    return r.overflow ? nil : r.partialValue
}

/// `a + b`, or nil on overflow.
@inline(__always) func checkedAdd(_ a: UInt64, _ b: UInt64) -> UInt64? {
    let r = a.addingReportingOverflow(b)
    return r.overflow ? nil : r.partialValue
}

/// The last path component (after the last `/`).
func baseName(_ path: String) -> String {
    if let i = path.lastIndex(of: "/") { return String(path[path.index(after: i)...]) }
    return path
}

/// Lower-cased extension of the last path component, without the dot ("" when none).
func fileExtension(_ path: String) -> String {
    let name = baseName(path)
    guard let i = name.lastIndex(of: "."), i != name.startIndex else { return "" }
    return name[name.index(after: i)...].lowercased()
}
