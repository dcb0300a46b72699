import Foundation
import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to standard output.
func printOut(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    writeAll(1, bytes)
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        offset += n
    }
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
