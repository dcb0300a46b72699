import Foundation

/// A forward reader over one file with a read-ahead buffer and explicit bounds: every read or skip is checked
/// against the file size first, so a hostile length field ends in an error, never in a huge allocation or a trap.
/// Used by the license readers for GGUF and safetensors headers; it never reads tensor data.
final class BoundedFileReader {
    let path: String
    let size: UInt64
    private let handle: FileHandle
    private(set) var position: UInt64 = 0
    private var buffer: [UInt8] = []
    private var bufferStart: UInt64 = 0
    private static let readAhead = 1 << 20

    init(fsPath: String, label: String) throws(WeightSealError) {
        path = label
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: fsPath))
            size = try handle.seekToEnd()
        } catch {
            throw WeightSealError(.io, "cannot read \(ModelPath.quoted(label))", cause: error)
        }
    }

    deinit { try? handle.close() }

    var remaining: UInt64 { size - position }

    func truncated(_ what: String) -> WeightSealError {
        WeightSealError(.malformedReference, "\(ModelPath.quoted(path)) ends inside \(what) (file is \(size) bytes)")
    }

    /// Reads exactly `count` bytes.
    func read(_ count: Int, what: String) throws(WeightSealError) -> [UInt8] {
        guard count >= 0, UInt64(count) <= remaining else { throw truncated(what) }
        let end = position + UInt64(count)
        if position >= bufferStart, end <= bufferStart + UInt64(buffer.count) {
            let from = Int(position - bufferStart)
            position = end
            return Array(buffer[from..<(from + count)])
        }
        let want = UInt64(max(count, Self.readAhead))
        let take = Int(min(want, remaining))
        do {
            try handle.seek(toOffset: position)
            let data = try handle.read(upToCount: take) ?? Data()
            buffer = [UInt8](data)
        } catch {
            throw WeightSealError(.io, "cannot read \(ModelPath.quoted(path))", cause: error)
        }
        bufferStart = position
        guard buffer.count >= count else { throw truncated(what) }
        position = end
        return Array(buffer[0..<count])
    }

    /// Moves forward `count` bytes without reading them.
    func skip(_ count: UInt64, what: String) throws(WeightSealError) {
        guard count <= remaining else { throw truncated(what) }
        position += count
    }

    func readUInt32(bigEndian: Bool = false, what: String) throws(WeightSealError) -> UInt32 {
        let b = try read(4, what: what)
        let v = b.reversed().reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        return bigEndian ? v.byteSwapped : v
    }

    func readUInt64(bigEndian: Bool = false, what: String) throws(WeightSealError) -> UInt64 {
        let b = try read(8, what: what)
        let v = b.reversed().reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return bigEndian ? v.byteSwapped : v
    }
}
