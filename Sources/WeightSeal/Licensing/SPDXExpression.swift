/// A parsed SPDX license expression (SPDX specification v2.3 Annex D / v3.0 "SPDX license expressions").
///
/// Grammar (ABNF from the spec, operators by precedence, tightest first: `+`, `WITH`, `AND`, `OR`):
/// ```
/// idstring           = 1*(ALPHA / DIGIT / "-" / ".")
/// simple-expression  = license-id / license-id "+" / license-ref
/// license-ref        = ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
/// compound           = simple-expression / simple-expression "WITH" exception-id
///                    / compound "AND" compound / compound "OR" compound / "(" compound ")"
/// ```
/// Input is read leniently where the spec asks for case-insensitive matching: license and exception ids and the
/// operators are matched ignoring case (`apache-2.0 or mit` is read as `Apache-2.0 OR MIT`). Ids must be on the
/// embedded ``SPDXLicenseList``; anything else must be a `LicenseRef-`. Output (``description``) is canonical:
/// ids in the list's spelling, operators in upper case, nested `AND`/`OR` of the same kind flattened, and
/// parentheses only where precedence needs them (around an `OR` inside an `AND`).
///
/// The parser is bounded: at most ``Limits/maxLicenseExpressionBytes`` bytes and
/// ``Limits/maxLicenseExpressionDepth`` nested parentheses, so hostile input cannot exhaust the stack.
public indirect enum SPDXExpression: Sendable, Hashable, CustomStringConvertible {
    /// One license (with its optional `+` and `WITH` exception).
    case term(Term)
    /// All of these apply (conjunction), two or more operands, none itself an `.and`.
    case and([SPDXExpression])
    /// Any one of these may be chosen (disjunction), two or more operands, none itself an `.or`.
    case or([SPDXExpression])

    /// A simple expression with an optional exception: `GPL-2.0-only WITH Classpath-exception-2.0`, `GPL-2.0+`,
    /// `LicenseRef-llama3.1`.
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        /// The canonical license id from the SPDX list, or a `LicenseRef-…` / `DocumentRef-…:LicenseRef-…` reference.
        public var license: String
        /// `true` for the `+` operator ("this version or any later version").
        public var orLater: Bool
        /// The canonical exception id (or `AdditionRef-…`) after `WITH`, if any.
        public var exception: String?

        public init(license: String, orLater: Bool = false, exception: String? = nil) {
            self.license = license
            self.orLater = orLater
            self.exception = exception
        }

        /// Whether ``license`` is a user-defined `LicenseRef-` (not on the SPDX list).
        public var isReference: Bool { license.hasPrefix("LicenseRef-") || license.hasPrefix("DocumentRef-") }

        public var description: String {
            var s = license
            if orLater { s += "+" }
            if let exception { s += " WITH " + exception }
            return s
        }
    }

    /// Parses `text` against `list`.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` naming the offending token (unknown id, missing operand,
    ///   unbalanced parenthesis, stray character); ``WeightSealError/Code/limitExceeded`` when the text is longer
    ///   than ``Limits/maxLicenseExpressionBytes`` or nests deeper than ``Limits/maxLicenseExpressionDepth``.
    public init(parsing text: String, list: SPDXLicenseList = .shared) throws(WeightSealError) {
        var parser = try Parser(text, list: list)
        self = try parser.parseAll()
    }

    /// Every term, left to right.
    public var terms: [Term] {
        switch self {
        case .term(let t): return [t]
        case .and(let items), .or(let items): return items.flatMap(\.terms)
        }
    }

    /// The canonical text: `MIT OR Apache-2.0`, `(MIT OR BSD-3-Clause) AND GPL-2.0+`.
    public var description: String {
        switch self {
        case .term(let t):
            return t.description
        case .and(let items):
            return items.map { item -> String in
                if case .or = item { return "(" + item.description + ")" }
                return item.description
            }.joined(separator: " AND ")
        case .or(let items):
            return items.map(\.description).joined(separator: " OR ")
        }
    }

    /// The same expression with the operands of every `AND`/`OR` sorted by their text and duplicates removed,
    /// so that `Apache-2.0 OR MIT` and `MIT OR Apache-2.0` compare equal. Use for comparing, not for display.
    public var normalized: SPDXExpression {
        switch self {
        case .term:
            return self
        case .and(let items):
            return Self.combine(items.map(\.normalized), isAnd: true)
        case .or(let items):
            return Self.combine(items.map(\.normalized), isAnd: false)
        }
    }

    private static func combine(_ items: [SPDXExpression], isAnd: Bool) -> SPDXExpression {
        var seen = Set<String>()
        var unique: [(String, SPDXExpression)] = []
        for item in items {
            let key = item.description
            if seen.insert(key).inserted { unique.append((key, item)) }
        }
        unique.sort { $0.0 < $1.0 }
        if unique.count == 1 { return unique[0].1 }
        return isAnd ? .and(unique.map(\.1)) : .or(unique.map(\.1))
    }

    /// Joins expressions with `AND` (flattening nested `AND`s); one operand is returned unchanged.
    /// - Precondition: `items` is not empty.
    public static func allOf(_ items: [SPDXExpression]) -> SPDXExpression {
        var flat: [SPDXExpression] = []
        for item in items {
            if case .and(let inner) = item { flat += inner } else { flat.append(item) }
        }
        return flat.count == 1 ? flat[0] : .and(flat)
    }

    /// Evaluates the expression with a per-term verdict: `OR` holds when any operand holds, `AND` when all do.
    public func evaluate(_ termHolds: (Term) -> Bool) -> Bool {
        switch self {
        case .term(let t): return termHolds(t)
        case .and(let items): return items.allSatisfy { $0.evaluate(termHolds) }
        case .or(let items): return items.contains { $0.evaluate(termHolds) }
        }
    }
}

// MARK: - Parser

extension SPDXExpression {
    fileprivate enum Token: Equatable {
        case open, close, word(String)
    }

    fileprivate struct Parser {
        let text: String
        let list: SPDXLicenseList
        var tokens: [(token: Token, offset: Int)] = []
        var index = 0

        init(_ text: String, list: SPDXLicenseList) throws(WeightSealError) {
            self.text = text
            self.list = list
            let bytes = Array(text.utf8)
            if bytes.count > Limits.maxLicenseExpressionBytes {
                throw WeightSealError(.limitExceeded,
                    "SPDX license expression is \(bytes.count) bytes, longer than \(Limits.maxLicenseExpressionBytes)")
            }
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    i += 1
                case UInt8(ascii: "("):
                    tokens.append((.open, i)); i += 1
                case UInt8(ascii: ")"):
                    tokens.append((.close, i)); i += 1
                default:
                    guard Self.isWordByte(b) else {
                        throw Self.error(text, "unexpected character \(Self.describe(byte: b)) at offset \(i)")
                    }
                    let start = i
                    while i < bytes.count, Self.isWordByte(bytes[i]) { i += 1 }
                    tokens.append((.word(String(decoding: bytes[start..<i], as: UTF8.self)), start))
                }
            }
        }

        static func isWordByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: ":")
        }

        static func describe(byte b: UInt8) -> String {
            if b >= 0x20 && b < 0x7f { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x" + [b].hexString
        }

        static func error(_ text: String, _ problem: String) -> WeightSealError {
            let shown = text.utf8.count > 200 ? String(text.prefix(200)) + "…" : text
            return WeightSealError(.invalidArgument, "invalid SPDX license expression \"\(shown)\": \(problem)")
        }

        func fail(_ problem: String) -> WeightSealError { Self.error(text, problem) }

        var current: (token: Token, offset: Int)? { index < tokens.count ? tokens[index] : nil }

        func isOperator(_ name: String) -> Bool {
            if case .word(let w)? = current?.token { return w.uppercased() == name }
            return false
        }

        mutating func parseAll() throws(WeightSealError) -> SPDXExpression {
            if tokens.isEmpty { throw fail("empty expression") }
            let expr = try parseOr(depth: 0)
            if let extra = current {
                switch extra.token {
                case .close: throw fail("unbalanced ')' at offset \(extra.offset)")
                case .open: throw fail("unexpected '(' at offset \(extra.offset); an operator is missing")
                case .word(let w): throw fail("unexpected '\(w)' at offset \(extra.offset); an operator (AND, OR, WITH) is missing")
                }
            }
            return expr
        }

        mutating func parseOr(depth: Int) throws(WeightSealError) -> SPDXExpression {
            var items = [try parseAnd(depth: depth)]
            while isOperator("OR") {
                index += 1
                items.append(try parseAnd(depth: depth))
            }
            if items.count == 1 { return items[0] }
            var flat: [SPDXExpression] = []
            for item in items {
                if case .or(let inner) = item { flat += inner } else { flat.append(item) }
            }
            return .or(flat)
        }

        mutating func parseAnd(depth: Int) throws(WeightSealError) -> SPDXExpression {
            var items = [try parseWith(depth: depth)]
            while isOperator("AND") {
                index += 1
                items.append(try parseWith(depth: depth))
            }
            return items.count == 1 ? items[0] : SPDXExpression.allOf(items)
        }

        mutating func parseWith(depth: Int) throws(WeightSealError) -> SPDXExpression {
            let primary = try parsePrimary(depth: depth)
            guard isOperator("WITH") else { return primary }
            let withOffset = current?.offset ?? 0
            index += 1
            guard case .term(var term) = primary, term.exception == nil else {
                throw fail("WITH at offset \(withOffset) must follow a single license id, not a compound expression")
            }
            guard let next = current, case .word(let w) = next.token else {
                throw fail("WITH at offset \(withOffset) is not followed by an exception id")
            }
            index += 1
            term.exception = try exceptionID(w, offset: next.offset)
            return .term(term)
        }

        mutating func parsePrimary(depth: Int) throws(WeightSealError) -> SPDXExpression {
            guard let tok = current else {
                throw fail("the expression ends where a license id or '(' is expected")
            }
            switch tok.token {
            case .open:
                if depth + 1 > Limits.maxLicenseExpressionDepth {
                    throw WeightSealError(.limitExceeded,
                        "SPDX license expression nests parentheses deeper than \(Limits.maxLicenseExpressionDepth)")
                }
                index += 1
                let inner = try parseOr(depth: depth + 1)
                guard let close = current, close.token == .close else {
                    throw fail("'(' at offset \(tok.offset) is not closed")
                }
                index += 1
                return inner
            case .close:
                throw fail("unexpected ')' at offset \(tok.offset) where a license id is expected")
            case .word(let w):
                if ["AND", "OR", "WITH"].contains(w.uppercased()) {
                    throw fail("operator '\(w)' at offset \(tok.offset) where a license id is expected")
                }
                index += 1
                return .term(try licenseTerm(w, offset: tok.offset))
            }
        }

        func licenseTerm(_ word: String, offset: Int) throws(WeightSealError) -> Term {
            var id = Substring(word)
            var orLater = false
            if id.hasSuffix("+") {
                orLater = true
                id = id.dropLast()
            }
            if id.contains("+") { throw fail("misplaced '+' in '\(word)' at offset \(offset)") }
            if let ref = Self.reference(id, kind: "LicenseRef-") {
                if orLater { throw fail("'+' cannot follow the license reference '\(word)' at offset \(offset)") }
                return Term(license: ref)
            }
            if id.contains(":") { throw fail("malformed license reference '\(word)' at offset \(offset)") }
            guard let entry = list.license(String(id)) else {
                throw fail("unknown license id '\(id)' at offset \(offset) (not on the SPDX License List \(list.licenseListVersion); use LicenseRef-… for other licenses)")
            }
            return Term(license: entry.id, orLater: orLater)
        }

        func exceptionID(_ word: String, offset: Int) throws(WeightSealError) -> String {
            if let ref = Self.reference(Substring(word), kind: "AdditionRef-") { return ref }
            guard !word.contains("+"), !word.contains(":"), let entry = list.exception(word) else {
                throw fail("unknown license exception '\(word)' at offset \(offset)")
            }
            return entry.id
        }

        /// `LicenseRef-x` or `DocumentRef-d:LicenseRef-x` (any case of the prefixes) in canonical spelling;
        /// `nil` when `word` is not a reference of that kind or malformed.
        static func reference(_ word: Substring, kind: String) -> String? {
            var document: Substring? = nil
            var rest = word
            if let colon = word.firstIndex(of: ":") {
                let doc = word[..<colon]
                guard doc.lowercased().hasPrefix("documentref-") else { return nil }
                let docID = doc.dropFirst("DocumentRef-".count)
                guard isIDString(docID) else { return nil }
                document = docID
                rest = word[word.index(after: colon)...]
            }
            guard rest.lowercased().hasPrefix(kind.lowercased()) else { return nil }
            let id = rest.dropFirst(kind.count)
            guard isIDString(id) else { return nil }
            if let document { return "DocumentRef-\(document):\(kind)\(id)" }
            return kind + id
        }

        static func isIDString(_ s: Substring) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy { isWordByte($0) && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: ":") }
        }
    }
}
