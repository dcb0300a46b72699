import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hints for a file whose bytes are wrong: is it a placeholder (Git LFS pointer, HTML or error body, empty)?
enum PlaceholderHints {
    static func hints(fsPath: String, size: UInt64, expected: ExpectedFile) -> [String] {
        if size == 0 { return ["empty file"] }
        guard size <= 4096 else { return [] }
        let prefix = readPrefix(fsPath, count: Int(size))
        guard !prefix.isEmpty else { return [] }
        return hints(prefix: prefix, size: size, expected: expected)
    }

    static func hints(prefix: [UInt8], size: UInt64, expected: ExpectedFile) -> [String] {
        let text = String(decoding: prefix, as: UTF8.self)
        if text.hasPrefix("version https://git-lfs.github.com/spec/") {
            var oid: String?
            var lfsSize: UInt64?
            for line in text.split(whereSeparator: \.isNewline) {
                if line.hasPrefix("oid sha256:") { oid = String(line.dropFirst("oid sha256:".count)).lowercased() }
                if line.hasPrefix("size ") { lfsSize = UInt64(line.dropFirst(5)) }
            }
            var whole: [UInt8]?
            switch expected.check {
            case .sha256(let d): whole = d
            case .ranges(_, let w): whole = w
            case .gitBlobSHA1: whole = nil
            }
            if let oid, let whole, oid == whole.hexString, lfsSize == nil || expected.size == nil || lfsSize == expected.size {
                return ["Git LFS pointer to the expected object: content not fetched (run `git lfs pull`)"]
            }
            return ["Git LFS pointer to a different object (oid \(oid ?? "?"), size \(lfsSize.map(String.init) ?? "?"))"]
        }
        let lower = text.prefix(512).lowercased().drop { $0.isWhitespace }
        if lower.hasPrefix("<!doctype html") || lower.hasPrefix("<html") {
            return ["HTML page, not model data (an error or login page saved as the file)"]
        }
        if text.hasPrefix("Entry not found") || text.hasPrefix("Repository not found") || text.hasPrefix("Invalid username or password") {
            return ["HTTP error body saved as the file: \(text.prefix(60).trimmingCharacters(in: .whitespacesAndNewlines))"]
        }
        return []
    }

    static func readPrefix(_ path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }
}
