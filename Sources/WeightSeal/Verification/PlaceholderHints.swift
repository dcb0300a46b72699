/// Hints for a file whose bytes are wrong: is it a placeholder (Git LFS pointer, HTML or error body, empty)?
enum PlaceholderHints {
    static func hints(fsPath: String, size: UInt64, expected: ExpectedFile) -> [String] {
        guard let kind = size == 0 ? .empty : Placeholder.detect(fileAt: fsPath) else { return [] }
        // The hints compare SHA-256 values (an LFS pointer's oid).
        let sha = expected.check.wholeDigest.flatMap { $0.algorithm == .sha256 ? $0.digest : nil }
        return kind.hints(expectedSHA256: sha, expectedSize: expected.size)
    }
}
