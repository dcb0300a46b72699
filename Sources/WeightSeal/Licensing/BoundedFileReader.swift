import Foundation

/// A forward reader over one file with a read-ahead buffer and explicit bounds: every read or skip is checked
/// against the file size first, so a hostile length field ends in an error, never in a huge allocation or a trap.
/// Used for model cards, license texts and policy files; weight headers are read by the format parsers
/// (``SafetensorsFile``, ``GGUFFile``).
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

    /// Makes `count` bytes from ``position`` available in `buffer`; returns their start index in `buffer`.
    private func ensure(_ count: Int, what: @autoclosure () -> String) throws(WeightSealError) -> Int {
        guard count >= 0, UInt64(count) <= remaining else { throw truncated(what()) }
        let end = position + UInt64(count)
        if position >= bufferStart, end <= bufferStart + UInt64(buffer.count) {
            return Int(position - bufferStart)
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
        guard buffer.count >= count else { throw truncated(what()) }
        return 0
    }

    /// Reads exactly `count` bytes.
    func read(_ count: Int, what: @autoclosure () -> String) throws(WeightSealError) -> [UInt8] {
        let from = try ensure(count, what: what())
        position += UInt64(count)
        return Array(buffer[from..<(from + count)])
    }
}
