/// Hints for a file whose bytes are wrong: is it a placeholder (Git LFS pointer, HTML or error body, empty)?
enum PlaceholderHints {
    static func hints(fsPath: String, size: UInt64, expected: ExpectedFile) -> [String] {
        guard let kind = size == 0 ? .empty : Placeholder.detect(fileAt: fsPath) else { return [] }
        var whole: [UInt8]?
        switch expected.check {
        case .sha256(let d): whole = d
        case .ranges(_, let w): whole = w
        case .gitBlobSHA1: whole = nil
        }
        return kind.hints(expectedSHA256: whole, expectedSize: expected.size)
    }
}
