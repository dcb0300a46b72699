import ArgumentParser
import Foundation
import Synchronization
import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to standard output. A failed write (a full disk, a closed pipe) is remembered: the command then
/// exits 2 with "write error", as coreutils do, instead of claiming success over cut output.
func printOut(_ text: String) {
    writeOut(Array((text + "\n").utf8))
}

/// Writes bytes to standard output, remembering a failure as ``printOut(_:)`` does.
func writeOut(_ bytes: [UInt8]) {
    if let error = writeAll(1, bytes) { StandardOutput.failure.withLock { $0 = $0 ?? error } }
}

/// The first write error on standard output, if any.
enum StandardOutput {
    static let failure = Mutex<String?>(nil)
}

/// Writes all of `bytes` to `fd`; returns the error text when a write fails.
@discardableResult
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return String(cString: strerror(errno)) }
        if n == 0 { return "nothing written" }
        offset += n
    }
    return nil
}

/// Encodes a value as one pretty JSON document (keys sorted).
func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

/// `1.23 GB`, `512 B`: decimal units, as throughput is quoted.
/// `1 file`, `2 files`.
func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

func formatBytes(_ n: UInt64) -> String {
    let v = Double(n)
    if v >= 1e12 { return String(format: "%.2f TB", v / 1e12) }
    if v >= 1e9 { return String(format: "%.2f GB", v / 1e9) }
    if v >= 1e6 { return String(format: "%.1f MB", v / 1e6) }
    if v >= 1e3 { return String(format: "%.1f kB", v / 1e3) }
    return "\(n) B"
}

/// Draws a progress line on standard error, only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let label: String
    private let lock = NSLock()
    private var drawn = false

    /// - Parameter label: what is being done to the bytes ("hashing"; "fetching and hashing" for an audit).
    init(enabled: Bool = isatty(2) == 1, label: String = "hashing") {
        self.enabled = enabled
        self.label = label
    }

    /// The callback to hand to the hashing engine, or `nil` when not drawing.
    var handler: (@Sendable (HashProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] p in self.draw(p) }
    }

    private func draw(_ p: HashProgress) {
        let rate = p.seconds > 0 ? Double(p.bytesDone) / p.seconds : 0
        let eta = rate > 0 ? Double(p.bytesTotal - min(p.bytesDone, p.bytesTotal)) / rate : 0
        let pct = p.bytesTotal > 0 ? 100 * Double(p.bytesDone) / Double(p.bytesTotal) : 100
        let line = String(format: "\r  %@ %@ / %@ (%.0f%%)  %.2f GB/s  ETA %.0f s   ",
                          label, formatBytes(p.bytesDone), formatBytes(p.bytesTotal), pct, rate / 1e9, eta)
        lock.lock()
        defer { lock.unlock() }
        drawn = true
        writeAll(2, Array(line.utf8))
    }

    /// Clears the line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { writeAll(2, Array("\r\u{1B}[K".utf8)) }
    }
}

/// Refuses an `-o` that would destroy an input (DESIGN: outputs never modify inputs): a folder, the same file as
/// an input of the command (key, certificate, chain, policy), or an existing file of the model other than an output
/// of this kind (`*.sig`; for `hash` also checksum and manifest files by their usual names).
/// - Throws: `ValidationError` (usage, exit 64) naming what would be lost.
func checkOutput(_ out: String, model: String, inputs: [(option: String, path: String)], allowing kept: (String) -> Bool) throws {
    var st = stat()
    if stat(out, &st) == 0 {
        if (st.st_mode & S_IFMT) == S_IFDIR { throw ValidationError("-o \(out) is a folder; name the file to write") }
        for input in inputs {
            var other = stat()
            if stat(input.path, &other) == 0, other.st_dev == st.st_dev, other.st_ino == st.st_ino {
                throw ValidationError("-o \(out) is the file given to \(input.option); it would be overwritten")
            }
        }
        if let rel = ModelPath.relative(of: out, inside: model), (st.st_mode & S_IFMT) == S_IFREG,
           !kept((rel as NSString).lastPathComponent) {
            throw ValidationError("-o \(out) is a file of the model (\(rel)); it would be replaced. Write elsewhere, or to a new name")
        }
    }
}
