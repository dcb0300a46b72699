/// A strict, bounded JSON value (RFC 8259) for format headers and signed documents: keys keep their order, duplicate
/// keys (compared after unescaping) are an error naming the object that holds them (or, on request, kept in order for
/// the caller to report), numbers keep their text so integers up to 2^64−1 are exact, nesting is capped at
/// ``Limits/maxJSONDepth``.
package enum StrictJSON: Sendable, Equatable {
    case object([(String, StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    package static func == (a: StrictJSON, b: StrictJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value as a non-negative integer, or nil (not an integer, negative, fractional, or above 2^64−1).
    package var unsignedInteger: UInt64? {
        guard case .number(let text) = self, !text.isEmpty else { return nil }
        var v: UInt64 = 0
        for c in text.utf8 {
            guard c >= 0x30, c <= 0x39 else { return nil }
            guard let m = checkedMul(v, 10), let a = checkedAdd(m, UInt64(c - 0x30)) else { return nil }
            v = a
        }
        return v
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var objectMembers: [(String, StrictJSON)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// ``typeName`` with its article: "an array", "a string", "null".
    package var typeNameWithArticle: String {
        switch self {
        case .object, .array: return "an " + typeName
        case .null: return "null"
        default: return "a " + typeName
        }
    }

    package var typeName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    /// Whether `bytes` parse as one JSON value under `maxValues` (the fuzz target's entry: `FormatError` is internal).
    package static func parses(_ bytes: [UInt8], maxValues: Int, keepingDuplicateKeys: Bool) -> Bool {
        (try? parse(bytes, maxValues: maxValues, keepingDuplicateKeys: keepingDuplicateKeys)) != nil
    }

    /// Parses `bytes` as one JSON value, surrounded by optional whitespace.
    /// - Parameters:
    ///   - maxValues: most values (objects, arrays, strings, numbers, literals) accepted: bounds memory for
    ///     documents whose size alone does not (a list of millions of empty arrays).
    ///   - keepingDuplicateKeys: keep a repeated key (compared after unescaping) as a second member instead of
    ///     failing, so a format reader can name the duplicate and show every value (safetensors headers).
    static func parse(_ bytes: [UInt8], maxValues: Int = .max, keepingDuplicateKeys: Bool = false) throws(FormatError) -> StrictJSON {
        try parse(bytes, maxValues: maxValues, keepingDuplicateKeys: keepingDuplicateKeys, streaming: [], consume: nil)
    }

    /// ``parse(_:maxValues:keepingDuplicateKeys:)`` that hands the elements of the arrays at `streaming` (member names
    /// from the top, e.g. `["predicate", "files"]`) to `consume(which path, element index, element)` as each is read,
    /// instead of keeping them: those arrays are empty in the returned tree. Every rule (duplicates, value count,
    /// depth) still applies to the elements; a 200,000-element list is then never held as a tree.
    static func parse(_ bytes: [UInt8], maxValues: Int = .max, keepingDuplicateKeys: Bool = false, streaming: [[String]],
                      consume: ((Int, Int, StrictJSON) -> Void)?) throws(FormatError) -> StrictJSON {
        var p = Parser(bytes: bytes, maxValues: maxValues, keepDuplicates: keepingDuplicateKeys)
        p.streamPaths = consume == nil ? [] : streaming
        p.consume = consume
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw .invalid("JSON: unexpected byte at offset \(p.i)") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxValues: Int
        let keepDuplicates: Bool
        var i = 0
        var values = 0
        /// Where the parser is (member names and list indices), to name the object of a duplicate key.
        var path: [PathComponent] = []
        /// Arrays whose elements go to `consume` instead of the tree.
        var streamPaths: [[String]] = []
        var consume: ((Int, Int, StrictJSON) -> Void)?

        /// Which of `streamPaths` the parser is at, if any.
        func streamIndex() -> Int? {
            outer: for (k, names) in streamPaths.enumerated() where names.count == path.count {
                for (component, name) in zip(path, names) {
                    guard case .member(let m) = component, m == name else { continue outer }
                }
                return k
            }
            return nil
        }

        enum PathComponent {
            case member(String)
            case index(Int)
        }

        /// `predicate.files[0]`, or `the top level`.
        var pathText: String {
            if path.isEmpty { return "the top level" }
            var out = ""
            for c in path {
                switch c {
                case .member(let name): out += out.isEmpty ? name : ".\(name)"
                case .index(let n): out += "[\(n)]"
                }
            }
            return out
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        func fail(_ m: String) -> FormatError { .invalid("JSON: \(m) at offset \(i)") }

        mutating func value(depth: Int) throws(FormatError) -> StrictJSON {
            if depth > Limits.maxJSONDepth { throw .limit("JSON nested deeper than \(Limits.maxJSONDepth)") }
            values += 1
            if values > maxValues { throw .limit("JSON has more than \(maxValues) values") }
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, StrictJSON)] = []
                // Keys of a small object are compared in place; a set only past a few members.
                var seen: Set<String>?
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let key = try string()
                    if !keepDuplicates {
                        let repeated: Bool
                        if seen != nil {
                            repeated = !seen!.insert(key).inserted
                        } else if members.count < 8 {
                            repeated = members.contains { $0.0 == key }
                        } else {
                            seen = Set(members.map(\.0))
                            repeated = !seen!.insert(key).inserted
                        }
                        if repeated { throw .invalid("JSON: duplicate key \(ModelPath.quoted(key)) in \(pathText)") }
                    }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    path.append(.member(key))
                    members.append((key, try value(depth: depth + 1)))
                    path.removeLast()
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [StrictJSON] = []
                let stream = streamPaths.isEmpty ? nil : streamIndex()
                var count = 0
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    path.append(.index(count))
                    let item = try value(depth: depth + 1)
                    path.removeLast()
                    if let stream, let consume { consume(stream, count, item) } else { items.append(item) }
                    count += 1
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ word: StaticString) throws(FormatError) {
            let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - i >= w.count, bytes[i..<(i + w.count)].elementsEqual(w) else { throw fail("invalid literal") }
            i += w.count
        }

        mutating func number() throws(FormatError) -> String {
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
            guard i < bytes.count, digit(bytes[i]) else { throw fail("invalid number") }
            if bytes[i] == 0x30 { i += 1 } else { while i < bytes.count, digit(bytes[i]) { i += 1 } }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard i < bytes.count, digit(bytes[i]) else { throw fail("invalid number") }
                while i < bytes.count, digit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < bytes.count, digit(bytes[i]) else { throw fail("invalid number") }
                while i < bytes.count, digit(bytes[i]) { i += 1 }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func hex4() throws(FormatError) -> UInt32 {
            guard bytes.count - i >= 4 else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws(FormatError) -> String {
            i += 1  // opening quote
            let start = i
            // The common case first: up to the closing quote without an escape or a control character, over the raw
            // bytes; an ASCII run is a string as it stands (nothing to validate).
            var end = start
            var high: UInt8 = 0
            bytes.withUnsafeBufferPointer { b in
                // Eight bytes at a time while none is a quote, a backslash or a control character (a 58 MB payload
                // string is one run); the word that holds one is finished byte by byte.
                if let base = b.baseAddress {
                    let raw = UnsafeRawPointer(base)
                    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                    var highWords: UInt64 = 0
                    while end + 8 <= b.count {
                        let w = raw.loadUnaligned(fromByteOffset: end, as: UInt64.self)
                        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
                        let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
                        if special & highs != 0 { break }
                        highWords |= w
                        end += 8
                    }
                    if highWords & highs != 0 { high = 0x80 }
                }
                while end < b.count {
                    let c = b[end]
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                    high |= c
                    end += 1
                }
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                i = end + 1
                let s = bytes.withUnsafeBufferPointer { b -> String? in
                    let run = UnsafeBufferPointer(rebasing: b[start..<end])
                    return high < 0x80 ? String(decoding: run, as: UTF8.self) : String(validating: run, as: UTF8.self)
                }
                guard let s else { throw fail("string is not valid UTF-8") }
                return s
            }
            // An escape, a control character or the end: the general loop from there.
            i = end
            var out: [UInt8] = []
            var runStart = start
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<i])
                    i += 1
                    break
                }
                if b < 0x20 { throw fail("control character in string") }
                if b != UInt8(ascii: "\\") { i += 1; continue }
                out.append(contentsOf: bytes[runStart..<i])
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        throw fail("unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid scalar") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
                runStart = i
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return s
        }
    }
}
