import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Limits {
    /// Largest checksum file (`SHA256SUMS`) read, in bytes (64 MiB: about 500,000 lines).
    public static let maxChecksumFileBytes = 64 * 1024 * 1024
}

/// One line of a checksum file: a model-relative path and the SHA-256 its content must have.
public struct ChecksumEntry: Sendable, Hashable {
    /// Model-relative path, `/`-separated, unescaped, without a leading `./`.
    public var path: String
    /// SHA-256 of the file's content (32 bytes).
    public var sha256: [UInt8]
    /// 1-based line number in the checksum file (0 for entries not read from a file).
    public var line: Int

    /// - Parameters:
    ///   - path: model-relative path (not escaped).
    ///   - sha256: the 32-byte digest.
    ///   - line: 1-based line number it was read from, or 0.
    public init(path: String, sha256: [UInt8], line: Int = 0) {
        self.path = path
        self.sha256 = sha256
        self.line = line
    }
}

/// Published checksum lists (`SHA256SUMS`, `*.sha256`): the output of GNU `sha256sum`, BSD `sha256 -r`/`shasum`,
/// `sha256sum --tag` and `openssl dgst -sha256` (DESIGN §5, last paragraph; FIELD-CASES F15).
///
/// Reading follows GNU coreutils' `sha256sum -c` line grammar, with these differences, all on the side of refusing:
/// - a line that is not a SHA-256 entry is an error naming its line number, never skipped (GNU skips it with a
///   warning, and skips a first line that starts with a byte-order mark);
/// - a file with no entry is an error;
/// - one path listed twice with different digests is an error (the same digest twice is read once).
///
/// Accepted, all reading to the same entries:
/// - GNU text and binary mode: `HASH  name`, `HASH *name`; a single space or a tab after the digest (`HASH name`);
/// - BSD tag form: `SHA256 (name) = HASH` (also without the space before `(`, and `SHA2-256(name)= HASH` as
///   OpenSSL 3 writes it); other algorithms (`MD5 (…)`, `SHA512 (…)`) are an error;
/// - coreutils escaping: a line starting with `\` has `\\`, `\n` and `\r` in its name for backslash, line feed and
///   carriage return; any other escape is an error. Without the leading `\` a backslash is an ordinary character;
/// - CRLF line ends (one carriage return before the line feed is dropped), a UTF-8 byte-order mark at the start of
///   the file, upper- or lower-case hex, leading spaces or tabs, empty or blank lines (skipped: they hold no entry);
/// - a leading `./` on a name (as `sha256sum ./file` writes it) is removed: `./a/b` and `a/b` are the same entry.
///
/// Names must then be valid model paths (``ModelPath``), with one exception: a backslash is allowed, because
/// checksum files come from POSIX systems where it is an ordinary file-name character (F15 lists `back\slash.bin`);
/// weightseal runs on macOS and Linux only, where it never separates folders.
public enum ChecksumFile {
    /// Parses a checksum file.
    /// - Parameters:
    ///   - data: the file's bytes, at most ``Limits/maxChecksumFileBytes``.
    ///   - label: the file's name, used in error messages.
    /// - Returns: the entries in file order, one per path.
    /// - Throws: ``WeightSealError/Code/malformedReference`` naming the label and the 1-based line number for a line
    ///   that is not a SHA-256 entry (wrong column order, a digest that is not 64 hex digits, a non-SHA-256 BSD tag,
    ///   a bad escape, a name that is not UTF-8), for a path listed twice with different digests, and for a file with
    ///   no entry; ``WeightSealError/Code/invalidPath`` (also naming the line) for a name that breaks the path rules
    ///   (absolute, `..`, `.` or empty component, NUL); ``WeightSealError/Code/limitExceeded`` for a file that is too large
    ///   or a line longer than ``Limits/maxChecksumLineBytes``.
    public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> [ChecksumEntry] {
        guard data.count <= Limits.maxChecksumFileBytes else {
            throw WeightSealError(.limitExceeded,
                "checksum file \(label) is \(data.count) bytes; the limit is \(Limits.maxChecksumFileBytes)")
        }
        var start = 0
        if data.count >= 3, data[0] == 0xEF, data[1] == 0xBB, data[2] == 0xBF { start = 3 }
        var entries = [ChecksumEntry]()
        var byPath = [[UInt8]: Int]()
        var lineNumber = 0
        var lineStart = start
        while lineStart < data.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < data.count && data[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            var end = lineEnd
            if end > lineStart && data[end - 1] == 0x0D { end -= 1 }
            // A line no entry can fill is refused before it is looked at (a 60 MB "name" took seconds and 400 MB).
            guard end - lineStart <= Limits.maxChecksumLineBytes else {
                throw WeightSealError(.limitExceeded,
                    "\(label) line \(lineNumber): \(end - lineStart) bytes long; an entry is at most \(Limits.maxChecksumLineBytes) (a name of at most \(Limits.maxPathBytes) bytes)")
            }
            let line = data[lineStart..<end]
            lineStart = next
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let entry: ChecksumEntry
            switch parseLine(line) {
            case .failure(let problem):
                throw WeightSealError(.malformedReference, "\(label) line \(lineNumber): \(problem.text)")
            case .success(let (nameBytes, digest)):
                guard let name = String(validating: nameBytes, as: UTF8.self) else {
                    throw WeightSealError(.malformedReference, "\(label) line \(lineNumber): file name is not valid UTF-8")
                }
                let path = strippingDotSlash(name)
                if let problem = pathProblem(path) {
                    throw WeightSealError(.invalidPath,
                        "\(label) line \(lineNumber): invalid path \(ModelPath.quoted(name)): \(problem)")
                }
                entry = ChecksumEntry(path: path, sha256: digest, line: lineNumber)
            }
            let key = Array(entry.path.utf8)
            if let i = byPath[key] {
                guard entries[i].sha256 == entry.sha256 else {
                    throw WeightSealError(.malformedReference,
                        "\(label) line \(lineNumber): \(ModelPath.quoted(entry.path)) is listed again with a different "
                        + "digest (first on line \(entries[i].line))")
                }
                continue
            }
            guard entries.count < Limits.maxFiles else {
                throw WeightSealError(.limitExceeded, "checksum file \(label) lists more than \(Limits.maxFiles) files")
            }
            byPath[key] = entries.count
            entries.append(entry)
        }
        guard !entries.isEmpty else {
            throw WeightSealError(.malformedReference, "checksum file \(label) has no entries: nothing would be verified")
        }
        return entries
    }

    /// Reads and parses a checksum file from disk.
    /// - Throws: as ``parse(_:label:)``, with the path as label; ``WeightSealError/Code/io`` when it cannot be read.
    public static func load(file path: String) throws(WeightSealError) -> [ChecksumEntry] {
        let data = try AtomicFile.read(path, limit: Limits.maxChecksumFileBytes, what: "checksum file")
        return try parse(data, label: path)
    }

    /// The unsigned ``Reference`` for checksum entries: each file checked by whole-file SHA-256, no size known.
    /// - Parameters:
    ///   - entries: the parsed entries (unique by path, as ``parse(_:label:)`` returns them).
    ///   - label: what the report calls the reference (the checksum file's path).
    public static func reference(entries: [ChecksumEntry], label: String) -> Reference {
        Reference(kind: .checksumFile, isSigned: false,
                  files: entries.map { ExpectedFile(path: $0.path, size: nil, check: .sha256($0.sha256)) },
                  ignorePaths: [], symlinks: .reject, label: label)
    }

    /// Writes entries as GNU `sha256sum` text-mode lines (`HASH  name`, lower-case hex, LF ends), in the given order.
    ///
    /// A name holding a backslash, line feed or carriage return is written as coreutils 9 writes it: the line starts
    /// with `\` and those characters become `\\`, `\n` and `\r`. `sha256sum -c` reads the result.
    public static func render(entries: [ChecksumEntry]) -> String {
        render(digests: entries.map { ($0.path, $0.sha256) })
    }

    /// Writes `HASH  name` lines as ``render(entries:)`` does, for digests of any algorithm: with BLAKE3 digests,
    /// the lines `b3sum` prints and `b3sum --check` reads.
    public static func render(digests: [(path: String, digest: [UInt8])]) -> String {
        var out = ""
        for e in digests {
            let needsEscape = e.path.utf8.contains { $0 == 0x5C || $0 == 0x0A || $0 == 0x0D }
            if needsEscape {
                var escaped = ""
                for s in e.path.unicodeScalars {
                    switch s {
                    case "\\": escaped += "\\\\"
                    case "\n": escaped += "\\n"
                    case "\r": escaped += "\\r"
                    default: escaped.unicodeScalars.append(s)
                    }
                }
                out += "\\" + e.digest.hexString + "  " + escaped + "\n"
            } else {
                out += e.digest.hexString + "  " + e.path + "\n"
            }
        }
        return out
    }

    // MARK: - Line grammar

    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09
    private static let backslash: UInt8 = 0x5C

    /// One non-blank line (no line end) → (raw name bytes, 32-byte digest), or what is wrong with it.
    static func parseLine(_ line: ArraySlice<UInt8>) -> Result<([UInt8], [UInt8]), LineProblem> {
        var i = line.startIndex
        while i < line.endIndex && (line[i] == space || line[i] == tab) { i += 1 }
        var escaped = false
        if i < line.endIndex && line[i] == backslash {
            escaped = true
            i += 1
        }
        let rest = line[i...]
        if let tagged = parseBSDTag(rest, escaped: escaped) { return tagged }
        // GNU: 64 hex digits, one space or tab, an optional mode character (' ' text, '*' binary), the name.
        var h = rest.startIndex
        while h < rest.endIndex && isHexDigit(rest[h]) { h += 1 }
        let hexCount = h - rest.startIndex
        guard hexCount > 0 else {
            return .failure(LineProblem("expected a SHA-256 digest (64 hex digits) at the start of the line"
                + " (reversed columns, a comment or another format?)"))
        }
        guard h == rest.endIndex || rest[h] == space || rest[h] == tab else {
            return .failure(LineProblem("expected a SHA-256 digest (64 hex digits) followed by a space; found"
                + " \(hexCount) hex digits then \(describe(rest[h]))"))
        }
        guard hexCount == 64 else {
            return .failure(LineProblem("the digest has \(hexCount) hex digits; SHA-256 has 64"))
        }
        guard h < rest.endIndex else { return .failure(LineProblem("no file name after the digest")) }
        let digest = [UInt8](hexString: String(decoding: rest[rest.startIndex..<h], as: UTF8.self)) ?? []
        var n = h + 1
        if n < rest.endIndex && (rest[n] == space || rest[n] == UInt8(ascii: "*")) { n += 1 }
        guard n < rest.endIndex else { return .failure(LineProblem("no file name after the digest")) }
        switch name(rest[n...], escaped: escaped) {
        case .success(let name): return .success((name, digest))
        case .failure(let p): return .failure(p)
        }
    }

    /// BSD tag form `SHA256 (name) = HASH`, or `nil` when the line does not start with a tag.
    private static func parseBSDTag(_ s: ArraySlice<UInt8>, escaped: Bool) -> Result<([UInt8], [UInt8]), LineProblem>? {
        // A tag is letters, digits and '-' followed by optional spaces and '('.
        var t = s.startIndex
        while t < s.endIndex && (isAlnum(s[t]) || s[t] == UInt8(ascii: "-")) { t += 1 }
        guard t > s.startIndex else { return nil }
        // All hex digits: a GNU digest (its name may start with '('), not a tag. Every real tag has other letters.
        guard !s[s.startIndex..<t].allSatisfy(isHexDigit) else { return nil }
        let tag = String(decoding: s[s.startIndex..<t], as: UTF8.self)
        var p = t
        while p < s.endIndex && s[p] == space { p += 1 }
        guard p < s.endIndex, s[p] == UInt8(ascii: "(") else { return nil }
        guard tag == "SHA256" || tag == "SHA2-256" else {
            return .failure(LineProblem("checksum of type \(tag), not SHA256"))
        }
        // The name ends at the last ')' (BSD tools do not escape names), then optional spaces, '=', spaces, digest.
        guard let close = s[(p + 1)...].lastIndex(of: UInt8(ascii: ")")) else {
            return .failure(LineProblem("BSD-style line without ')' after the file name"))
        }
        var e = close + 1
        while e < s.endIndex && (s[e] == space || s[e] == tab) { e += 1 }
        guard e < s.endIndex, s[e] == UInt8(ascii: "=") else {
            return .failure(LineProblem("BSD-style line without ' = ' after the file name"))
        }
        e += 1
        while e < s.endIndex && (s[e] == space || s[e] == tab) { e += 1 }
        var d = s[e...]
        while let last = d.last, last == space || last == tab { d = d.dropLast() }
        guard d.count == 64, d.allSatisfy(isHexDigit) else {
            return .failure(LineProblem("the digest after '=' is not 64 hex digits"))
        }
        let digest = [UInt8](hexString: String(decoding: d, as: UTF8.self)) ?? []
        let raw = s[(p + 1)..<close]
        guard !raw.isEmpty else { return .failure(LineProblem("empty file name")) }
        switch name(raw, escaped: escaped) {
        case .success(let name): return .success((name, digest))
        case .failure(let problem): return .failure(problem)
        }
    }

    /// The name's bytes, unescaped when the line started with `\`.
    private static func name(_ raw: ArraySlice<UInt8>, escaped: Bool) -> Result<[UInt8], LineProblem> {
        guard escaped else { return .success(Array(raw)) }
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            if c == backslash {
                guard i + 1 < raw.endIndex else { return .failure(LineProblem("escaped name ends with a lone '\\'")) }
                switch raw[i + 1] {
                case backslash: out.append(backslash)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                default: return .failure(LineProblem("unknown escape '\\\(describe(raw[i + 1]))' in the file name"))
                }
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return .success(out)
    }

    /// `./a` → `a` (repeated: `././a` → `a`).
    static func strippingDotSlash(_ name: String) -> String {
        var s = Substring(name)
        while s.hasPrefix("./") && s.count > 2 { s = s.dropFirst(2) }
        return String(s)
    }

    /// The model-path rules, except that a backslash is an ordinary character (see the type's documentation).
    static func pathProblem(_ path: String) -> String? {
        ModelPath.problem(path.replacingOccurrences(of: "\\", with: "_"))
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
    }

    private static func describe(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(UnicodeScalar(c)))'" }
        return c == space ? "a space" : "byte 0x\(String(c, radix: 16))"
    }

    /// Why a line is not an entry.
    struct LineProblem: Error, Sendable {
        var text: String
        init(_ text: String) { self.text = text }
    }
}
