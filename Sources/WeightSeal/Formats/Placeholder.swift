/// A Git LFS pointer file (Git LFS spec v1, `docs/spec.md`: `version`, `oid sha256:<hex>`, `size <bytes>` lines).
public struct LFSPointer: Sendable, Hashable, Codable {
    /// The `version` URL (`https://git-lfs.github.com/spec/v1`).
    public var version: String
    /// The object's SHA-256 (32 bytes).
    public var sha256: [UInt8]
    /// The object's size in bytes.
    public var size: UInt64

    /// A pointer to the object with SHA-256 `sha256` (32 bytes) and `size` bytes.
    public init(version: String, sha256: [UInt8], size: UInt64) {
        self.version = version
        self.sha256 = sha256
        self.size = size
    }

    /// How a pointer relates to the content a reference expects.
    public enum Match: String, Sendable, Hashable, Codable {
        /// The pointer names exactly the expected object: the download kept the pointer, the content was not fetched.
        case contentNotFetched
        /// The pointer names another object (other digest or size).
        case differentObject
    }

    /// Compares the pointer's oid and size with the expected SHA-256 (32 bytes) and size in bytes.
    public func match(sha256 expected: [UInt8], size expectedSize: UInt64) -> Match {
        expected == sha256 && expectedSize == size ? .contentNotFetched : .differentObject
    }

    /// A one-line hint for a report, e.g. `Git LFS pointer: content not fetched (run git lfs pull)`.
    public func hint(expectedSHA256: [UInt8]?, expectedSize: UInt64?) -> String {
        guard let d = expectedSHA256, let s = expectedSize else {
            return "Git LFS pointer to sha256:\(sha256.hexString) (\(size) bytes): the content was not fetched"
        }
        switch match(sha256: d, size: s) {
        case .contentNotFetched:
            return "Git LFS pointer to the expected object: content not fetched (run `git lfs pull` or download without git)"
        case .differentObject:
            return "Git LFS pointer to a different object (sha256:\(sha256.hexString), \(size) bytes)"
        }
    }

    /// Parses pointer text; nil if it is not a well-formed v1 pointer.
    public static func parse(_ bytes: [UInt8]) -> LFSPointer? {
        guard bytes.count <= Placeholder.prefixLength, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var version: String?
        var oid: [UInt8]?
        var size: UInt64?
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() } else { return nil }
        for (i, line) in lines.enumerated() {
            guard let space = line.firstIndex(of: " ") else { return nil }
            let key = line[..<space]
            let value = line[line.index(after: space)...]
            if i == 0 {
                guard key == "version", value.hasPrefix("https://git-lfs.github.com/spec/") || value.hasPrefix("https://hawser.github.com/spec/") else { return nil }
                version = String(value)
            } else if key == "oid" {
                guard value.hasPrefix("sha256:"), value.utf8.count == 71,
                      let d = [UInt8](hexString: String(value.dropFirst(7))), d.count == 32 else { return nil }
                oid = d
            } else if key == "size" {
                guard !value.isEmpty, value.utf8.count <= 20, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let n = UInt64(value) else { return nil }
                size = n
            } else if !key.hasPrefix("ext-") {
                return nil
            }
        }
        guard let v = version, let o = oid, let s = size else { return nil }
        return LFSPointer(version: v, sha256: o, size: s)
    }
}

/// What kind of stand-in a file is instead of its real content (FIELD-CASES F03).
public enum PlaceholderKind: Sendable, Hashable {
    /// A Git LFS pointer: the repository was cloned without fetching LFS objects.
    case gitLFSPointer(LFSPointer)
    /// An HTML page (a login, error or "file not found" page saved under the file's name).
    case html
    /// A short HTTP error body such as `Entry not found` (the text is kept, at most 200 bytes).
    case errorBody(String)
    /// A zero-byte file.
    case empty

    /// A stable short name: `gitLFSPointer`, `html`, `errorBody`, `empty`.
    public var name: String {
        switch self {
        case .gitLFSPointer: return "gitLFSPointer"
        case .html: return "html"
        case .errorBody: return "errorBody"
        case .empty: return "empty"
        }
    }

    /// Hints for a verification report about a file whose content does not match: for an LFS pointer, whether it
    /// names the expected object (SHA-256, 32 bytes, and size in bytes, when the reference has them).
    public func hints(expectedSHA256: [UInt8]?, expectedSize: UInt64?) -> [String] {
        switch self {
        case .gitLFSPointer(let p): return [p.hint(expectedSHA256: expectedSHA256, expectedSize: expectedSize)]
        default: return [description]
        }
    }

    /// A one-line description for reports.
    public var description: String {
        switch self {
        case .gitLFSPointer(let p): return "Git LFS pointer (oid sha256:\(p.sha256.hexString), size \(p.size)): content not fetched"
        case .html: return "HTML page instead of the file's content"
        case .errorBody(let text): return "HTTP error body \(ModelPath.quoted(text)) instead of the file's content"
        case .empty: return "empty file"
        }
    }
}

/// Detects placeholder files from their first bytes.
public enum Placeholder {
    /// How many leading bytes ``detect(prefix:size:)`` needs (1024; Git LFS pointers are smaller).
    public static let prefixLength = 1024
    /// Largest file treated as a possible HTTP error body, in bytes.
    public static let maxErrorBodyBytes: UInt64 = 512

    /// Known error bodies (compared case-insensitively, surrounding whitespace ignored).
    static let errorBodies: [String] = [
        "entry not found", "not found", "404 not found", "404: not found", "404", "repository not found",
        "revision not found", "file not found", "access denied", "forbidden", "403 forbidden", "unauthorized",
        "invalid username or password.", "invalid credentials in authorization header", "internal server error",
        "bad gateway", "service unavailable", "too many requests", "rate limit exceeded",
    ]

    /// Recognises a placeholder from the file's first bytes and its size in bytes.
    /// - Parameters:
    ///   - prefix: the first bytes of the file; pass at least ``prefixLength`` bytes (or the whole file if smaller).
    ///   - size: the file's size in bytes.
    /// - Returns: the kind, or nil when the bytes do not look like a placeholder.
    public static func detect(prefix: [UInt8], size: UInt64) -> PlaceholderKind? {
        if size == 0 { return .empty }
        if size <= UInt64(prefixLength), prefix.count == Int(size), let p = LFSPointer.parse(prefix) {
            return .gitLFSPointer(p)
        }
        if isHTML(prefix) { return .html }
        if size <= maxErrorBodyBytes, prefix.count == Int(size), let body = errorBody(prefix) { return .errorBody(body) }
        return nil
    }

    /// Reads the first ``prefixLength`` bytes of the file at `path` (a file-system path, symlinks followed) and
    /// detects a placeholder. Returns nil when the file cannot be read or is not a placeholder.
    public static func detect(fileAt path: String) -> PlaceholderKind? {
        guard let file = try? BoundedFile(path: path), let prefix = try? file.read(at: 0, count: prefixLength) else { return nil }
        return detect(prefix: prefix, size: file.size)
    }

    static func isHTML(_ prefix: [UInt8]) -> Bool {
        var bytes = prefix[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while let b = bytes.first, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { bytes = bytes.dropFirst() }
        let head = String(decoding: bytes.prefix(64), as: UTF8.self).lowercased()
        return head.hasPrefix("<!doctype html") || head.hasPrefix("<html") || head.hasPrefix("<head") || head.hasPrefix("<body")
    }

    static func errorBody(_ bytes: [UInt8]) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let trimmed = text.trimmingASCIIWhitespace()
        let lower = trimmed.lowercased()
        if errorBodies.contains(lower) { return String(trimmed.prefix(200)) }
        // Hub-style JSON error bodies: {"error":"Entry not found"}.
        if lower.hasPrefix("{"), case .object(let m)? = try? StrictJSON.parse(Array(trimmed.utf8)), m.count == 1,
           m[0].0 == "error", m[0].1.stringValue != nil {
            return String(trimmed.prefix(200))
        }
        return nil
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        var a = 0
        var b = u.count
        func ws(_ x: UInt8) -> Bool { x == 0x20 || x == 0x0A || x == 0x0D || x == 0x09 }
        while a < b, ws(u[a]) { a += 1 }
        while b > a, ws(u[b - 1]) { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}
