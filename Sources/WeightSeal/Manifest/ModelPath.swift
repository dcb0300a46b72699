import Foundation

/// Rules for model-relative paths (DESIGN §5.1, OMS v1.0 §6.1.2).
///
/// A path from a manifest is untrusted input: it is checked before any file is opened. Valid paths use `/`
/// separators, are valid UTF-8, relative, at most ``Limits/maxPathBytes`` bytes, and have no empty, `.` or `..`
/// component, no backslash and no NUL.
public enum ModelPath {
    /// Checks one manifest path.
    /// - Throws: ``WeightSealError`` with code ``WeightSealError/Code/invalidPath``, naming the path and the rule it breaks.
    public static func validate(_ path: String) throws(WeightSealError) {
        if let problem = problem(path) {
            throw WeightSealError(.invalidPath, "invalid path \(quoted(path)): \(problem)")
        }
    }

    /// Why `path` is not a valid model path, or `nil` when it is.
    public static func problem(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        if bytes.isEmpty { return "empty path" }
        if bytes.count > Limits.maxPathBytes { return "longer than \(Limits.maxPathBytes) bytes" }
        if bytes.first == UInt8(ascii: "/") { return "absolute path" }
        if bytes.contains(0) { return "contains NUL" }
        if bytes.contains(UInt8(ascii: "\\")) { return "contains a backslash" }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty { return "empty path component" }
            if component.elementsEqual([UInt8(ascii: ".")]) { return "'.' component" }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return "'..' component" }
        }
        return nil
    }

    /// Checks a list of manifest paths: each valid and none twice.
    /// - Throws: ``WeightSealError/Code/invalidPath`` for a bad path, ``WeightSealError/Code/malformedManifest`` for a duplicate.
    public static func validateAll(_ paths: some Collection<String>) throws(WeightSealError) {
        // Paths in strictly increasing byte order (as manifests are written) hold no duplicate: no set is needed.
        var previous: String?
        var sorted = true
        for p in paths {
            try validate(p)
            if sorted, let previous, compareBytes(previous, p) >= 0 { sorted = false }
            previous = p
        }
        if sorted { return }
        var seen = Set<PathKey>()
        seen.reserveCapacity(paths.count)
        for p in paths {
            // Byte-exact comparison: Swift's String == would equate NFC and NFD spellings.
            if !seen.insert(PathKey(p)).inserted {
                throw WeightSealError(.malformedManifest, "duplicate path \(quoted(p)) in manifest")
            }
        }
    }

    /// Whether `path` equals an ignore entry or lies below one (exact relative paths, no globs).
    public static func isIgnored(_ path: String, by ignorePaths: [String]) -> Bool {
        isIgnored(path, in: Set(ignorePaths.map { Array($0.utf8) }))
    }

    /// ``isIgnored(_:by:)`` against a set of entries' UTF-8 bytes: the path and each of its parent folders are looked
    /// up, so the cost grows with the path's depth, not with the number of entries (20,000 `--ignore` options).
    public static func isIgnored(_ path: String, in ignoreSet: Set<[UInt8]>) -> Bool {
        if ignoreSet.isEmpty { return false }
        let p = Array(path.utf8)
        if ignoreSet.contains(p) { return true }
        for (i, byte) in p.enumerated() where byte == UInt8(ascii: "/") {
            if ignoreSet.contains(Array(p[..<i])) { return true }
        }
        return false
    }

    /// Most characters of text from an input shown in a message; longer text is elided in the middle.
    public static let maxQuotedCharacters = 160

    /// The path in double quotes with control characters escaped, for messages: C0 and C1 controls, DEL, and the
    /// bidirectional controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, U+061C) that can make a name display
    /// as another. Text longer than ``maxQuotedCharacters`` is elided in the middle, with its length in bytes: a
    /// name or value from an input never fills a message.
    public static func quoted(_ path: String) -> String {
        let (body, length) = escapedAndElided(path)
        return "\"" + body + "\"" + length
    }

    /// ``quoted(_:)`` without the quotes: for text from an input that a message shows bare (a symlink target, a
    /// pickle import, a media type).
    public static func shown(_ text: String) -> String {
        let (body, length) = escapedAndElided(text)
        return body + length
    }

    /// At most `limit` items of `items` joined with ", ", then how many there are in all.
    public static func listed(_ items: [String], limit: Int = 20) -> String {
        guard items.count > limit else { return items.map(shown).joined(separator: ", ") }
        return items.prefix(limit).map(shown).joined(separator: ", ") + ", … (\(items.count) in all)"
    }

    private static func escapedAndElided(_ text: String) -> (body: String, length: String) {
        let scalars = text.unicodeScalars
        // Looks at no more than the ends of a long text (a 60 MB name costs nothing here).
        guard !scalars.dropFirst(maxQuotedCharacters).isEmpty else {
            return (scalars.map(escaped).joined(), "")
        }
        let head = maxQuotedCharacters * 2 / 3
        return (scalars.prefix(head).map(escaped).joined() + "…" + scalars.suffix(maxQuotedCharacters - head).map(escaped).joined(),
                " (\(text.utf8.count) bytes)")
    }

    /// Whether `s` is a bidirectional formatting control (Unicode TR9: LRM, RLM, ALM, embeddings, overrides, isolates).
    public static func isBidiControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func escaped(_ s: Unicode.Scalar) -> String {
        switch s {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\"": return "\\\""
        case "\\": return "\\\\"
        default:
            if s.value < 0x20 || (s.value >= 0x7f && s.value < 0xa0) || isBidiControl(s) {
                return "\\u{\(String(s.value, radix: 16))}"
            }
            return String(s)
        }
    }
}

/// Orders paths by their UTF-8 bytes (the manifest's order, and OMS's code-point order).
func pathBytesLess(_ a: String, _ b: String) -> Bool {
    compareBytes(a, b) < 0
}

/// Whether `items` are in path-byte order by `path`: each before the next (`strictly`: and none twice). The lists
/// weightseal makes are nearly always in that order already; this one pass spares the sort or the map.
func inPathOrder<C: Collection>(_ items: C, strictly: Bool, by path: (C.Element) -> String) -> Bool {
    zip(items, items.dropFirst()).allSatisfy { a, b in
        let c = compareBytes(path(a), path(b))
        return strictly ? c < 0 : c <= 0
    }
}

/// The order of `a` and `b` by UTF-8 bytes (memcmp's sign: < 0, 0, > 0), without Unicode rules.
func compareBytes(_ a: String, _ b: String) -> Int {
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Int in
            let n = min(x.count, y.count)
            if n > 0, let xp = x.baseAddress, let yp = y.baseAddress {
                let c = memcmp(xp, yp, n)
                if c != 0 { return Int(c) }
            }
            return x.count - y.count
        }
    }
    if let fast = fast ?? nil { return fast }
    // Bridged or other non-contiguous strings.
    if a.utf8.lexicographicallyPrecedes(b.utf8) { return -1 }
    return a.utf8.elementsEqual(b.utf8) ? 0 : 1
}

extension ModelPath {
    /// The `/`-separated path of the file `path` relative to the folder `directory`, or `nil` when it is not inside
    /// it; symlinks in both are resolved first (a signature file written into the model folder must not be covered).
    public static func relative(of path: String, inside directory: String) -> String? {
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        let fileDir = URL(fileURLWithPath: (file as NSString).deletingLastPathComponent).resolvingSymlinksInPath().path
        let full = fileDir + "/" + (file as NSString).lastPathComponent
        guard full.hasPrefix(dir + "/") else { return nil }
        return String(full.dropFirst(dir.count + 1))
    }
}
