/// A callable a pickle imports (opcodes `GLOBAL`, `INST`, `STACK_GLOBAL`, `EXT1/2/4`).
public struct PickleImport: Sendable, Hashable, Codable {
    /// The module, when known (`nil` when `STACK_GLOBAL` takes values the scan cannot resolve, or for `EXT*`).
    public var module: String?
    /// The attribute name, when known.
    public var name: String?
    /// The opcode that imports it: `GLOBAL`, `INST`, `STACK_GLOBAL`, `EXT1`, `EXT2`, `EXT4`.
    public var opcode: String
    /// Byte offset of the opcode in the scanned stream.
    public var offset: UInt64

    /// An import as found by the scan; `offset` in bytes from the start of the scanned stream.
    public init(module: String?, name: String?, opcode: String, offset: UInt64) {
        self.module = module
        self.name = name
        self.opcode = opcode
        self.offset = offset
    }

    /// `module.name`, or a description of what could not be resolved.
    public var qualifiedName: String {
        if let module, let name { return "\(module).\(name)" }
        if opcode.hasPrefix("EXT") { return "copyreg extension code (\(opcode))" }
        return "unresolved \(opcode) import"
    }
}

/// The outcome of scanning one pickle stream.
public struct PickleScan: Sendable, Hashable {
    /// Every distinct import (by ``PickleImport/qualifiedName``), first occurrence, in stream order (allowed ones included).
    public var imports: [PickleImport]
    /// Protocols announced by `PROTO` opcodes (empty for protocol 0/1 pickles).
    public var protocols: [Int]
    /// How many consecutive pickles were scanned (legacy `torch.save` files hold several).
    public var pickleCount: Int
    /// Bytes scanned.
    public var bytesScanned: UInt64
    /// Why the scan stopped early or what is malformed (empty for a clean scan ending at `STOP`).
    public var problems: [String]
    /// The scan stopped at a limit in ``Limits`` rather than at the end of the pickle.
    public var hitLimit: Bool

    /// Imports outside ``PickleScanner/allowedImports``.
    public var disallowedImports: [PickleImport] { imports.filter { !PickleScanner.isAllowed($0) } }
}

/// Scans pickle opcodes (protocols 0–5, CPython `Lib/pickletools.py`) without unpickling: every opcode's argument
/// is skipped by its exact length, and a small stack/memo model resolves `STACK_GLOBAL` module and name strings.
public enum PickleScanner {
    /// Imports that plain tensor checkpoints need: torch rebuild helpers and storages, `collections.OrderedDict`,
    /// numpy array reconstruction. Anything else is reported. A file that only uses these still runs code when
    /// loaded, so every pickle is also reported as ``Finding/Kind/picklePresent``.
    public static let allowedImports: [String: Set<String>] = [
        "collections": ["OrderedDict"],
        "torch._utils": ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
                         "_rebuild_parameter_with_state"],
        "torch._tensor": ["_rebuild_from_type_v2"],
        "torch": ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
                  "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "Size",
                  "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool"],
        "numpy.core.multiarray": ["_reconstruct"],
        "numpy._core.multiarray": ["_reconstruct"],
        "numpy": ["dtype", "ndarray"],
        "_codecs": ["encode"],
    ]

    /// Whether an import is on the allow-list (exact module and name).
    public static func isAllowed(_ i: PickleImport) -> Bool {
        guard let m = i.module, let n = i.name else { return false }
        return allowedImports[m]?.contains(n) ?? false
    }

    /// Whether `prefix` starts like a pickle of protocol 2–5 (`PROTO n`).
    public static func looksLikePickle(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 2 && prefix[0] == 0x80 && prefix[1] >= 2 && prefix[1] <= 5
    }

    /// Scans an in-memory pickle.
    public static func scan(bytes: [UInt8]) -> PickleScan {
        var source = ArrayBytes(bytes: bytes)
        return scan(&source)
    }

    /// Scans a file region `[start, end)` (bounded by ``Limits/maxPickleScanBytes``).
    static func scan(file: BoundedFile, start: UInt64, end: UInt64) -> PickleScan {
        let capped = min(end, start &+ Limits.maxPickleScanBytes)
        var cursor = ByteCursor(file: file, start: start, end: capped)
        var result = scan(&cursor)
        if capped < end, result.problems.contains(where: { $0.contains("ends inside") }) {
            result.problems = ["scan stopped after \(Limits.maxPickleScanBytes) bytes (limit)"]
            result.hitLimit = true
        }
        return result
    }

    private enum Item { case mark, string(String), other }

    static func scan<S: SequentialBytes>(_ s: inout S) -> PickleScan {
        var imports: [PickleImport] = []
        var seenImports = Set<String>()
        var protocols: [Int] = []
        var problems: [String] = []
        var hitLimit = false
        var pickles = 0
        let start = s.position
        outer: while pickles < 16, !s.atEnd {
            // After the first pickle, continue only while another protocol-2+ pickle follows (legacy torch.save).
            if pickles > 0 { guard let next = s.peek(), next == 0x80 else { break } }
            pickles += 1
            var stack: [Item] = []
            // Only string values are kept (they are what STACK_GLOBAL may need); `memoNext` is len(memo) for MEMOIZE.
            var memo: [UInt64: String] = [:]
            var memoNext: UInt64 = 0
            var memoTracking = true
            func push(_ i: Item) throws(FormatError) {
                if stack.count >= Limits.maxPickleStackDepth { throw .limit("pickle stack deeper than \(Limits.maxPickleStackDepth)") }
                stack.append(i)
            }
            func pop(_ op: String) throws(FormatError) -> Item {
                guard let i = stack.popLast() else { throw .invalid("\(op) on an empty stack") }
                return i
            }
            func popMark(_ op: String) throws(FormatError) {
                while let i = stack.popLast() { if case .mark = i { return } }
                throw .invalid("\(op) without MARK")
            }
            func record(_ i: PickleImport) throws(FormatError) {
                guard seenImports.insert(i.qualifiedName).inserted else { return }
                if imports.count >= Limits.maxPickleImports { throw .limit("more than \(Limits.maxPickleImports) distinct imports") }
                imports.append(i)
            }
            func name(_ line: [UInt8]) -> String {
                if line.count <= 256 { return String(decoding: line, as: UTF8.self) }
                return String(decoding: line.prefix(256), as: UTF8.self) + "…"
            }
            func put(_ index: UInt64) {
                if index >= memoNext { memoNext = index &+ 1 }
                guard memoTracking else { return }
                if case .string(let text)? = stack.last {
                    if memo.count >= Limits.maxPickleMemoEntries, memo[index] == nil { memoTracking = false; memo = [:]; return }
                    memo[index] = text
                } else {
                    memo[index] = nil
                }
            }
            func get(_ index: UInt64) -> Item {
                if let text = memo[index] { return .string(text) }
                return .other
            }
            func text(_ bytes: [UInt8]) -> Item {
                // Module and attribute names are short; longer strings are kept as opaque (resolving to "unresolved").
                if bytes.count > 128 { return .other }
                return .string(String(decoding: bytes, as: UTF8.self))
            }
            func payload(_ s: inout S, _ n: UInt64, _ what: String) throws(FormatError) -> [UInt8]? {
                if n <= 128 { return try s.bytes(Int(n), what) }
                try s.skip(n, what)
                return nil
            }
            func decimal(_ line: [UInt8]) -> UInt64? {
                guard !line.isEmpty, line.count <= 20 else { return nil }
                var v: UInt64 = 0
                for c in line {
                    guard c >= 0x30, c <= 0x39, let m = checkedMul(v, 10), let a = checkedAdd(m, UInt64(c - 0x30)) else { return nil }
                    v = a
                }
                return v
            }
            do throws(FormatError) {
                while true {
                    let offset = s.position - start
                    let op = try s.byte("a pickle (no STOP opcode)")
                    switch op {
                    case 0x2E: break  // STOP
                    // No argument, stack effects only.
                    case 0x28: try push(.mark)                                        // MARK
                    case 0x30: _ = try pop("POP")                                     // POP
                    case 0x31: try popMark("POP_MARK")                                // POP_MARK
                    case 0x32: let t = try pop("DUP"); try push(t); try push(t)       // DUP
                    case 0x4E, 0x88, 0x89, 0x29, 0x5D, 0x7D, 0x8F, 0x97:               // NONE NEWTRUE NEWFALSE EMPTY_* NEXT_BUFFER
                        try push(.other)
                    case 0x51: _ = try pop("BINPERSID"); try push(.other)             // BINPERSID
                    case 0x52: _ = try pop("REDUCE"); _ = try pop("REDUCE"); try push(.other)  // REDUCE
                    case 0x62: _ = try pop("BUILD")                                   // BUILD
                    case 0x61: _ = try pop("APPEND")                                  // APPEND
                    case 0x65, 0x75, 0x90: try popMark("APPENDS/SETITEMS/ADDITEMS")   // APPENDS SETITEMS ADDITEMS
                    case 0x73: _ = try pop("SETITEM"); _ = try pop("SETITEM")         // SETITEM
                    case 0x64, 0x6C, 0x74, 0x91, 0x6F:                                // DICT LIST TUPLE FROZENSET OBJ
                        try popMark("DICT/LIST/TUPLE/FROZENSET/OBJ"); try push(.other)
                    case 0x85: _ = try pop("TUPLE1"); try push(.other)
                    case 0x86: for _ in 0..<2 { _ = try pop("TUPLE2") }; try push(.other)
                    case 0x87: for _ in 0..<3 { _ = try pop("TUPLE3") }; try push(.other)
                    case 0x81: for _ in 0..<2 { _ = try pop("NEWOBJ") }; try push(.other)
                    case 0x92: for _ in 0..<3 { _ = try pop("NEWOBJ_EX") }; try push(.other)
                    case 0x98: _ = try pop("READONLY_BUFFER"); try push(.other)       // READONLY_BUFFER
                    case 0x94: put(memoNext)                                           // MEMOIZE
                    case 0x93:                                                         // STACK_GLOBAL
                        let name = try pop("STACK_GLOBAL")
                        let module = try pop("STACK_GLOBAL")
                        var m: String?
                        var n: String?
                        if case .string(let x) = module { m = x }
                        if case .string(let x) = name { n = x }
                        try record(PickleImport(module: m, name: n, opcode: "STACK_GLOBAL", offset: offset))
                        try push(.other)
                    // Fixed-size arguments.
                    case 0x4B, 0x80, 0x82, 0x68, 0x71:                                 // BININT1 PROTO EXT1 BINGET BINPUT
                        let a = try s.byte("an opcode argument")
                        switch op {
                        case 0x80: protocols.append(Int(a)); if a > 5 { problems.append("unknown pickle protocol \(a)") }
                        case 0x82: try record(PickleImport(module: nil, name: nil, opcode: "EXT1", offset: offset)); try push(.other)
                        case 0x68: try push(get(UInt64(a)))
                        case 0x71: put(UInt64(a))
                        default: try push(.other)
                        }
                    case 0x4D, 0x83:                                                   // BININT2 EXT2
                        _ = try s.bytes(2, "an opcode argument")
                        if op == 0x83 { try record(PickleImport(module: nil, name: nil, opcode: "EXT2", offset: offset)) }
                        try push(.other)
                    case 0x4A, 0x84, 0x6A, 0x72:                                       // BININT EXT4 LONG_BINGET LONG_BINPUT
                        let a = try s.le(4, "an opcode argument")
                        switch op {
                        case 0x84: try record(PickleImport(module: nil, name: nil, opcode: "EXT4", offset: offset)); try push(.other)
                        case 0x6A: try push(get(a))
                        case 0x72: put(a)
                        default: try push(.other)
                        }
                    case 0x47: try s.skip(8, "BINFLOAT"); try push(.other)             // BINFLOAT
                    case 0x95: try s.skip(8, "FRAME")                                  // FRAME
                    // Length-prefixed arguments.
                    case 0x55:                                                         // SHORT_BINSTRING
                        let n = try s.byte("SHORT_BINSTRING")
                        try push(text(try s.bytes(Int(n), "SHORT_BINSTRING")))
                    case 0x8C:                                                         // SHORT_BINUNICODE
                        let n = try s.byte("SHORT_BINUNICODE")
                        try push(text(try s.bytes(Int(n), "SHORT_BINUNICODE")))
                    case 0x43, 0x8A:                                                   // SHORT_BINBYTES LONG1
                        let n = try s.byte("an opcode argument")
                        try s.skip(UInt64(n), "an opcode argument")
                        try push(.other)
                    case 0x54:                                                         // BINSTRING (signed length)
                        let n = try s.le(4, "BINSTRING")
                        if n & 0x8000_0000 != 0 { throw .invalid("negative BINSTRING length at offset \(offset)") }
                        if let b = try payload(&s, n, "BINSTRING") { try push(text(b)) } else { try push(.other) }
                    case 0x8B:                                                         // LONG4 (signed length)
                        let n = try s.le(4, "LONG4")
                        if n & 0x8000_0000 != 0 { throw .invalid("negative LONG4 length at offset \(offset)") }
                        try s.skip(n, "LONG4")
                        try push(.other)
                    case 0x58:                                                         // BINUNICODE
                        let n = try s.le(4, "BINUNICODE")
                        if let b = try payload(&s, n, "BINUNICODE") { try push(text(b)) } else { try push(.other) }
                    case 0x42:                                                         // BINBYTES
                        let n = try s.le(4, "BINBYTES")
                        try s.skip(n, "BINBYTES")
                        try push(.other)
                    case 0x8D:                                                         // BINUNICODE8
                        let n = try s.le(8, "BINUNICODE8")
                        if let b = try payload(&s, n, "BINUNICODE8") { try push(text(b)) } else { try push(.other) }
                    case 0x8E, 0x96:                                                   // BINBYTES8 BYTEARRAY8
                        let n = try s.le(8, "an opcode argument")
                        try s.skip(n, "an opcode argument")
                        try push(.other)
                    // Newline-terminated arguments.
                    case 0x46, 0x49, 0x4C:                                             // FLOAT INT LONG
                        _ = try s.line("an opcode argument")
                        try push(.other)
                    case 0x53, 0x56:                                                   // STRING UNICODE
                        var l = try s.line("an opcode argument")
                        if op == 0x53, l.count >= 2, let q = l.first, q == 0x27 || q == 0x22, l.last == q {
                            l = Array(l.dropFirst().dropLast())
                        }
                        try push(text(l))
                    case 0x50: _ = try s.line("PERSID"); try push(.other)              // PERSID
                    case 0x67:                                                         // GET
                        let l = try s.line("GET")
                        try push(decimal(l).map(get) ?? .other)
                    case 0x70:                                                         // PUT
                        let l = try s.line("PUT")
                        if let i = decimal(l) { put(i) }
                    case 0x63, 0x69:                                                   // GLOBAL INST
                        let module = try s.line("GLOBAL module")
                        let nameLine = try s.line("GLOBAL name")
                        try record(PickleImport(module: name(module), name: name(nameLine),
                                                opcode: op == 0x63 ? "GLOBAL" : "INST", offset: offset))
                        if op == 0x69 { try popMark("INST") }
                        try push(.other)
                    default:
                        throw .invalid("unknown opcode 0x\(String(op, radix: 16)) at offset \(offset)")
                    }
                    if op == 0x2E { break }
                }
            } catch {
                switch error.reason {
                case .limit: hitLimit = true
                default: break
                }
                problems.append(error.message)
                break outer
            }
        }
        return PickleScan(imports: imports, protocols: protocols, pickleCount: pickles, bytesScanned: s.position - start,
                          problems: problems, hitLimit: hitLimit)
    }
}

/// Sequential byte access shared by the file cursor and in-memory arrays.
protocol SequentialBytes {
    var position: UInt64 { get }
    var atEnd: Bool { get }
    mutating func peek() -> UInt8?
    mutating func byte(_ what: @autoclosure () -> String) throws(FormatError) -> UInt8
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(FormatError) -> [UInt8]
    mutating func skip(_ count: UInt64, _ what: @autoclosure () -> String) throws(FormatError)
}

extension SequentialBytes {
    mutating func le(_ width: Int, _ what: @autoclosure () -> String) throws(FormatError) -> UInt64 {
        littleEndian(try bytes(width, what()))
    }

    /// Reads up to a newline (dropped), at most ``Limits/maxPickleLineBytes`` bytes.
    mutating func line(_ what: @autoclosure () -> String) throws(FormatError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let b = try byte(what())
            if b == 0x0A { return out }
            if out.count >= Limits.maxPickleLineBytes { throw .limit("\(what()) line longer than \(Limits.maxPickleLineBytes) bytes") }
            out.append(b)
        }
    }
}

extension ByteCursor: SequentialBytes {
    mutating func peek() -> UInt8? {
        if atEnd { return nil }
        let p = position
        guard let b = try? byte("") else { return nil }
        rewind(to: p)
        return b
    }
}

struct ArrayBytes: SequentialBytes {
    let bytes: [UInt8]
    var index = 0
    var position: UInt64 { UInt64(index) }
    var atEnd: Bool { index >= bytes.count }
    mutating func peek() -> UInt8? { atEnd ? nil : bytes[index] }
    mutating func byte(_ what: @autoclosure () -> String) throws(FormatError) -> UInt8 {
        guard index < bytes.count else { throw .invalid("file ends inside \(what())") }
        index += 1
        return bytes[index - 1]
    }
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(FormatError) -> [UInt8] {
        guard count >= 0, bytes.count - index >= count else { throw .invalid("file ends inside \(what())") }
        index += count
        return Array(bytes[(index - count)..<index])
    }
    mutating func skip(_ count: UInt64, _ what: @autoclosure () -> String) throws(FormatError) {
        guard UInt64(bytes.count - index) >= count else { throw .invalid("file ends inside \(what())") }
        index += Int(count)
    }
}
