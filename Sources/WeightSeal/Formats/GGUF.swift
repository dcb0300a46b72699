/// A GGUF metadata value (ggml `docs/gguf.md`, "gguf_metadata_value_type"). Array contents are not kept.
public enum GGUFValue: Sendable, Hashable {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    /// An array: its element type code and length (elements are skipped, not stored).
    case array(elementType: UInt32, count: UInt64)

    /// The value as an integer when it is one of the integer types and fits.
    public var integer: Int64? {
        switch self {
        case .unsigned(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .signed(let s): return s
        default: return nil
        }
    }
}

/// One tensor info record of a GGUF header.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The tensor name (`blk.0.attn_q.weight`, ...).
    public var name: String
    /// Dimensions, innermost first (ggml order).
    public var dimensions: [UInt64]
    /// The ggml type code (0 F32, 1 F16, 8 Q8_0, 30 BF16, ...).
    public var type: UInt32
    /// Offset of the tensor's data relative to the start of the data section, in bytes.
    public var offset: UInt64
}

/// The parsed header of a GGUF v2/v3 file.
public struct GGUFHeader: Sendable, Hashable {
    /// Format version (2 or 3).
    public var version: UInt32
    /// The file is big-endian (all numbers byte-swapped).
    public var isBigEndian: Bool
    /// Tensor count and key/value count as declared.
    public var tensorCount: UInt64
    public var keyValueCount: UInt64
    /// Every metadata value by key, for keys that appear once (arrays as type and length only).
    public var metadata: [String: GGUFValue]
    /// Keys that appear more than once, with every value in file order. Readers disagree on which one counts (the
    /// first, the last, or neither), so none of them is in ``metadata``.
    public var repeatedKeys: [String: [GGUFValue]]
    /// Tensor infos in header order.
    public var tensors: [GGUFTensorInfo]
    /// `general.alignment` (32 when absent), in bytes. Meaningless when ``alignmentIssue`` is set.
    public var alignment: UInt64
    /// Why `general.alignment` cannot be used, if it cannot: the data section then has no known start, and tensors
    /// are not placed (no silent fallback to 32; FIELD-CASES-2 G09).
    public var alignmentIssue: GGUFAlignmentIssue?
    /// Absolute offset of the data section, in bytes (end of the header, padded to the alignment). Meaningless when
    /// ``alignmentIssue`` is set.
    public var dataOffset: UInt64

    /// The string-valued metadata (`general.architecture`, `general.license`, `general.license.name`, ...).
    public var strings: [String: String] {
        metadata.compactMapValues { if case .string(let s) = $0 { return s } else { return nil } }
    }

    /// `split.no` (0-based), `split.count` and `split.tensors.count` (llama.cpp `gguf-split`), when present.
    public var splitNumber: Int64? { metadata["split.no"]?.integer }
    public var splitCount: Int64? { metadata["split.count"]?.integer }
    public var splitTensorsCount: Int64? { metadata["split.tensors.count"]?.integer }
}

/// Why a GGUF file's `general.alignment` cannot place its data section (ggml `docs/gguf.md`: a UINT32, 32 when
/// absent; llama.cpp and gguf-py also require a power of two).
public enum GGUFAlignmentIssue: Sendable, Hashable, CustomStringConvertible {
    /// The key holds another value type than UINT32 (the type's name, e.g. `INT32`).
    case wrongType(String)
    /// The key appears more than once.
    case repeated(Int)
    /// The value is 0.
    case zero
    /// The value is not a power of two (24 is a multiple of 8, as the spec asks, but loaders refuse it).
    case notPowerOfTwo(UInt64)
    /// The value is above ``Limits/maxGGUFAlignment``.
    case aboveCap(UInt64)

    public var description: String {
        switch self {
        case .wrongType(let t): return "general.alignment must be UINT32, found \(t)"
        case .repeated(let n): return "general.alignment appears \(n) times"
        case .zero: return "general.alignment 0 is invalid"
        case .notPowerOfTwo(let a):
            return "general.alignment \(a) is not a power of two (the GGUF spec asks for a multiple of 8, but llama.cpp and gguf-py refuse it)"
        case .aboveCap(let a): return "general.alignment \(a) exceeds the cap of \(Limits.maxGGUFAlignment) bytes (Limits.maxGGUFAlignment); tensors not checked"
        }
    }
}

/// The key/value section of a GGUF header: everything before the tensor infos.
struct GGUFKeyValues: Sendable {
    var version: UInt32
    var isBigEndian: Bool
    var tensorCount: UInt64
    var keyValueCount: UInt64
    /// Decoded values of the keys that appear once (only the wanted keys for a ``GGUFFile/ReadScope`` with `keys`).
    var values: [String: GGUFValue] = [:]
    /// The value type code of each decoded key.
    var types: [String: UInt32] = [:]
    /// Wanted keys that appear more than once, with every value in file order.
    var repeated: [String: [GGUFValue]] = [:]
    /// Absolute offset just after the last key/value.
    var end: UInt64 = 0
}

/// Bounded GGUF header reader (ggml `docs/gguf.md`; versions 2 and 3, little- or big-endian). Never reads tensor data.
/// This is the one GGUF parser: inspection reads the whole header, the license reader only the key/values.
public enum GGUFFile {
    /// The magic bytes `GGUF`.
    public static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]

    /// ggml type code → (elements per block, bytes per block) (ggml `ggml.c` `type_traits`).
    public static let typeSizes: [UInt32: (block: UInt64, bytes: UInt64)] = [
        0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
        10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
        16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
        23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
        34: (256, 54), 35: (256, 66), 39: (32, 17),
    ]

    /// The GGUF metadata value type names (`gguf_metadata_value_type`), by code.
    public static let valueTypeNames: [UInt32: String] = [
        0: "UINT8", 1: "INT8", 2: "UINT16", 3: "INT16", 4: "UINT32", 5: "INT32", 6: "FLOAT32", 7: "BOOL",
        8: "STRING", 9: "ARRAY", 10: "UINT64", 11: "INT64", 12: "FLOAT64",
    ]

    /// How much of a header one read covers and the caps it applies.
    struct ReadScope: Sendable {
        /// Keys whose values are decoded; `nil` decodes every value. Other values are skipped by their lengths
        /// (not decoded, not validated).
        var keys: Set<String>?
        /// Read the tensor infos after the key/values.
        var tensorInfos: Bool
        var maxKeyValues: UInt64
        /// Longest key or decoded string.
        var maxStringBytes: UInt64
        var maxArrayDepth: Int
        var maxArrayLength: UInt64
        /// Most header bytes read from the start of the file.
        var maxHeaderBytes: UInt64

        /// `inspect` and `verify --strict`: every key/value and tensor info.
        static let inspection = ReadScope(keys: nil, tensorInfos: true, maxKeyValues: Limits.maxGGUFKeyValues,
                                          maxStringBytes: Limits.maxGGUFStringBytes, maxArrayDepth: 2,
                                          maxArrayLength: Limits.maxGGUFArrayLength, maxHeaderBytes: Limits.maxGGUFHeaderBytes)

        /// The license reader: only `keys` decoded, no tensor infos, the licensing caps of ``Limits``.
        static func licensing(keys: Set<String>) -> ReadScope {
            ReadScope(keys: keys, tensorInfos: false, maxKeyValues: UInt64(Limits.maxLicenseGGUFKeyValues),
                      maxStringBytes: UInt64(Limits.maxLicenseGGUFStringBytes), maxArrayDepth: Limits.maxLicenseGGUFArrayDepth,
                      maxArrayLength: .max, maxHeaderBytes: Limits.maxLicenseGGUFMetadataBytes)
        }
    }

    /// Reads the header of the GGUF file at `path` (file-system path): magic, version, key/values, tensor infos.
    ///
    /// Reads sequentially from the start, at most ``Limits/maxGGUFHeaderBytes`` bytes; counts, strings and arrays are
    /// capped by the `Limits.maxGGUF*` constants. Repeated keys and a bad `general.alignment` are not errors: they are
    /// in ``GGUFHeader/repeatedKeys`` and ``GGUFHeader/alignmentIssue``, and ``checkTensors(_:fileSize:path:)``
    /// reports them.
    /// - Throws: ``WeightSealError/Code/unsupportedFormat`` (not GGUF, version other than 2/3, malformed header),
    ///   ``WeightSealError/Code/limitExceeded``, ``WeightSealError/Code/io``.
    public static func read(path: String) throws(WeightSealError) -> GGUFHeader {
        do throws(FormatError) {
            return try parse(file: try BoundedFile(path: path))
        } catch {
            throw error.weightSealError(path: path)
        }
    }

    static func parse(file: BoundedFile) throws(FormatError) -> GGUFHeader {
        let scope = ReadScope.inspection
        var c = ByteCursor(file: file, start: 0, end: min(file.size, scope.maxHeaderBytes))
        let kv = try capped(&c, scope) { (c: inout ByteCursor) throws(FormatError) in try keyValues(&c, scope) }
        var alignment: UInt64 = 32
        var issue: GGUFAlignmentIssue?
        if let values = kv.repeated["general.alignment"] {
            issue = .repeated(values.count)
        } else if let a = kv.values["general.alignment"] {
            let type = kv.types["general.alignment"] ?? 0
            if type != 4 {
                issue = .wrongType(valueTypeNames[type] ?? "type \(type)")
            } else if case .unsigned(let u) = a {
                if u == 0 { issue = .zero }
                else if u & (u - 1) != 0 { issue = .notPowerOfTwo(u) }
                else if u > Limits.maxGGUFAlignment { issue = .aboveCap(u) }
                else { alignment = u }
            }
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(Int(min(kv.tensorCount, 1 << 16)))
        var names = Set<String>()
        try capped(&c, scope) { (c: inout ByteCursor) throws(FormatError) in
            for _ in 0..<kv.tensorCount {
                let name = try string(&c, "a tensor name", scope)
                let nd = try c.u32("the dimension count of \(name)")
                if nd > 4 { throw .invalid("tensor \(ModelPath.quoted(name)) has \(nd) dimensions (at most 4)") }
                var dims: [UInt64] = []
                for _ in 0..<nd { dims.append(try c.u64("a dimension of \(name)")) }
                let type = try c.u32("the type of \(name)")
                let offset = try c.u64("the offset of \(name)")
                if !names.insert(name).inserted { throw .invalid("duplicate tensor name \(ModelPath.quoted(name))") }
                tensors.append(GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: offset))
            }
        }
        let end = c.position
        let padded = end % alignment == 0 ? end : end &+ (alignment - end % alignment)
        return GGUFHeader(version: kv.version, isBigEndian: kv.isBigEndian, tensorCount: kv.tensorCount, keyValueCount: kv.keyValueCount,
                          metadata: kv.values, repeatedKeys: kv.repeated, tensors: tensors, alignment: alignment,
                          alignmentIssue: issue, dataOffset: padded)
    }

    /// Reads only the key/value section of the GGUF file at `path` (file-system path), decoding only `keys` and
    /// skipping every other value by its length: the license reader's view of the file, under its caps
    /// (``Limits/maxLicenseGGUFKeyValues``, ``Limits/maxLicenseGGUFStringBytes`` per key or decoded value,
    /// ``Limits/maxLicenseGGUFArrayDepth``, ``Limits/maxLicenseGGUFMetadataBytes`` read). Tensor infos are not read.
    static func readKeyValues(path: String, keys: Set<String>) throws(FormatError) -> GGUFKeyValues {
        let scope = ReadScope.licensing(keys: keys)
        let file = try BoundedFile(path: path)
        var c = ByteCursor(file: file, start: 0, end: min(file.size, scope.maxHeaderBytes))
        return try capped(&c, scope) { (c: inout ByteCursor) throws(FormatError) in try keyValues(&c, scope) }
    }

    /// Runs `body`; a read that stops at the header cap before the end of the file is a limit, not a truncation.
    private static func capped<T>(_ c: inout ByteCursor, _ scope: ReadScope,
                                  _ body: (inout ByteCursor) throws(FormatError) -> T) throws(FormatError) -> T {
        do throws(FormatError) {
            return try body(&c)
        } catch where error.reason == .invalid && error.message.hasPrefix("file ends inside") && c.end < c.file.size {
            throw .limit("header is longer than the \(scope.maxHeaderBytes)-byte limit (\(error.message))")
        }
    }

    /// Magic, version, counts and every key/value pair.
    private static func keyValues(_ c: inout ByteCursor, _ scope: ReadScope) throws(FormatError) -> GGUFKeyValues {
        let m = try c.bytes(4, "the GGUF magic")
        guard m == magic else { throw .invalid("no GGUF magic") }
        var version = try c.u32("the GGUF version")
        if version.byteSwapped == 1 || version.byteSwapped == 2 || version.byteSwapped == 3 {
            // Big-endian files (written on s390x): every number is byte-swapped, the version included.
            c.bigEndian = true
            version = version.byteSwapped
        }
        if version == 1 { throw .invalid("GGUF version 1 is not supported") }
        if version != 2 && version != 3 { throw .invalid("unknown GGUF version \(version)") }
        let tensorCount = try c.u64("the tensor count")
        let kvCount = try c.u64("the key/value count")
        if scope.tensorInfos, tensorCount > Limits.maxGGUFTensors {
            throw .limit("\(tensorCount) tensors exceed the limit of \(Limits.maxGGUFTensors)")
        }
        if kvCount > scope.maxKeyValues { throw .limit("\(kvCount) key/values exceed the limit of \(scope.maxKeyValues)") }
        var kv = GGUFKeyValues(version: version, isBigEndian: c.bigEndian, tensorCount: tensorCount, keyValueCount: kvCount)
        var seen = Set<String>()
        for _ in 0..<kvCount {
            let key = try string(&c, "a metadata key", scope)
            let type = try c.u32("the type of \(key)")
            let first = seen.insert(key).inserted
            guard scope.keys?.contains(key) ?? true else {
                try skipValue(&c, type: type, key: key, depth: 0, scope)
                continue
            }
            let value = try readValue(&c, type: type, key: key, depth: 0, scope)
            if let earlier = kv.values.removeValue(forKey: key) {
                kv.repeated[key] = [earlier, value]
                kv.types[key] = nil
            } else if !first {
                kv.repeated[key, default: []].append(value)
            } else {
                kv.values[key] = value
                kv.types[key] = type
            }
        }
        kv.end = c.position
        return kv
    }

    private static func string(_ c: inout ByteCursor, _ what: String, _ scope: ReadScope) throws(FormatError) -> String {
        let n = try c.u64("the length of \(what)")
        if n > scope.maxStringBytes { throw .limit("\(what) of \(n) bytes exceeds the limit of \(scope.maxStringBytes)") }
        let b = try c.bytes(Int(n), what)
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalid("\(what) is not valid UTF-8") }
        return s
    }

    /// Bytes of one value of a fixed-size type, or nil for strings, arrays and unknown types.
    private static func width(_ type: UInt32) -> UInt64? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12: return 8
        default: return nil
        }
    }

    /// The array header of `key`: element type and count, with the depth and length caps.
    private static func arrayHeader(_ c: inout ByteCursor, key: String, depth: Int, _ scope: ReadScope) throws(FormatError) -> (UInt32, UInt64) {
        let what = "the value of \(ModelPath.quoted(key))"
        if depth >= scope.maxArrayDepth { throw .limit("\(what): arrays nested deeper than \(scope.maxArrayDepth)") }
        let elementType = try c.u32("the element type of \(ModelPath.quoted(key))")
        let count = try c.u64("the length of \(ModelPath.quoted(key))")
        if count > scope.maxArrayLength { throw .limit("\(what): array of \(count) elements exceeds the limit of \(scope.maxArrayLength)") }
        if width(elementType) == nil, elementType != 8, elementType != 9 { throw .invalid("\(what): unknown array element type \(elementType)") }
        return (elementType, count)
    }

    /// Moves past a value that is not wanted, by its lengths only: nothing is decoded or validated.
    private static func skipValue(_ c: inout ByteCursor, type: UInt32, key: String, depth: Int, _ scope: ReadScope) throws(FormatError) {
        let what = "the value of \(ModelPath.quoted(key))"
        if let w = width(type) { return try c.skip(w, what) }
        switch type {
        case 8:
            try c.skip(try c.u64("the length of \(what)"), what)
        case 9:
            let (elementType, count) = try arrayHeader(&c, key: key, depth: depth, scope)
            if let w = width(elementType) {
                guard let bytes = checkedMul(count, w) else { throw .invalid("file ends inside \(what)") }
                return try c.skip(bytes, what)
            }
            // Each string or array element takes at least 8 bytes: a count the file cannot hold ends here.
            guard let least = checkedMul(count, 8), least <= c.remaining else { throw .invalid("file ends inside \(what)") }
            for _ in 0..<count { try skipValue(&c, type: elementType, key: key, depth: depth + 1, scope) }
        default:
            throw .invalid("\(what) has unknown type \(type)")
        }
    }

    private static func readValue(_ c: inout ByteCursor, type: UInt32, key: String, depth: Int, _ scope: ReadScope) throws(FormatError) -> GGUFValue {
        let what = "the value of \(ModelPath.quoted(key))"
        switch type {
        case 0: return .unsigned(try c.le(1, what))
        case 1: return .signed(Int64(Int8(truncatingIfNeeded: try c.le(1, what))))
        case 2: return .unsigned(try c.le(2, what))
        case 3: return .signed(Int64(Int16(truncatingIfNeeded: try c.le(2, what))))
        case 4: return .unsigned(try c.le(4, what))
        case 5: return .signed(Int64(Int32(truncatingIfNeeded: try c.le(4, what))))
        case 6: return .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try c.le(4, what)))))
        case 7:
            let b = try c.le(1, what)
            if b > 1 { throw .invalid("\(what) is a bool of value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try string(&c, what, scope))
        case 9:
            let (elementType, count) = try arrayHeader(&c, key: key, depth: depth, scope)
            if let w = width(elementType), elementType != 7 {
                guard let bytes = checkedMul(count, w) else { throw .invalid("file ends inside \(what)") }
                try c.skip(bytes, what)
            } else {
                if elementType == 8 || elementType == 9 {
                    guard let least = checkedMul(count, 8), least <= c.remaining else { throw .invalid("file ends inside \(what)") }
                }
                for _ in 0..<count { _ = try readValue(&c, type: elementType, key: key, depth: depth + 1, scope) }
            }
            return .array(elementType: elementType, count: count)
        case 10: return .unsigned(try c.le(8, what))
        case 11: return .signed(Int64(bitPattern: try c.le(8, what)))
        case 12: return .float(Double(bitPattern: try c.le(8, what)))
        default: throw .invalid("\(what) has unknown type \(type)")
        }
    }

    /// Checks the header against the file: no repeated metadata key, a usable `general.alignment`, and for each
    /// tensor info a known type, element count a multiple of the block size, offset aligned, data inside the file,
    /// no two tensors sharing bytes. With an ``GGUFHeader/alignmentIssue`` the tensors are not placed.
    /// - Returns: ``Finding/Kind/formatInvalid`` failures and ``Finding/Kind/formatNote`` warnings, naming `path`.
    public static func checkTensors(_ header: GGUFHeader, fileSize: UInt64, path: String) -> [Finding] {
        var findings: [Finding] = []
        for key in header.repeatedKeys.keys.sorted() {
            let count = header.repeatedKeys[key]?.count ?? 0
            findings.append(Finding(.formatInvalid, .failure, path: path,
                                    message: "metadata key \(ModelPath.quoted(key)) appears \(count) times, and readers keep different values"))
        }
        if let issue = header.alignmentIssue {
            // No data section start is known: placing tensors with a guessed alignment would check the wrong bytes.
            let kind: Finding.Kind
            if case .aboveCap = issue { kind = .formatLimitExceeded } else { kind = .formatInvalid }
            findings.append(Finding(kind, kind == .formatInvalid ? .failure : .warning, path: path, message: issue.description))
            return findings
        }
        if header.dataOffset > fileSize, !header.tensors.isEmpty {
            findings.append(Finding(.formatInvalid, .failure, path: path,
                                    message: "data section starts at \(header.dataOffset), after the end of the file (\(fileSize) bytes)"))
            return findings
        }
        let dataLength = fileSize >= header.dataOffset ? fileSize - header.dataOffset : 0
        var ranges: [(UInt64, UInt64, String)] = []
        for t in header.tensors {
            let q = ModelPath.quoted(t.name)
            if t.offset % header.alignment != 0 {
                findings.append(Finding(.formatInvalid, .failure, path: path, message: "tensor \(q) offset \(t.offset) is not a multiple of the alignment \(header.alignment)"))
            }
            guard let ts = typeSizes[t.type] else {
                findings.append(Finding(.formatNote, .warning, path: path, message: "tensor \(q) has unknown ggml type \(t.type); its size is not checked"))
                continue
            }
            var elements: UInt64? = 1
            for d in t.dimensions { elements = elements.flatMap { checkedMul($0, d) } }
            guard let n = elements, (t.dimensions.first ?? 1) % ts.block == 0,
                  let bytes = checkedMul(n / ts.block, ts.bytes) else {
                findings.append(Finding(.formatInvalid, .failure, path: path, message: "tensor \(q) shape \(t.dimensions) does not fit ggml type \(t.type)"))
                continue
            }
            guard let end = checkedAdd(t.offset, bytes), end <= dataLength else {
                findings.append(Finding(.formatInvalid, .failure, path: path,
                                        message: "tensor \(q) data [\(t.offset), \(t.offset &+ bytes)) lies outside the \(dataLength)-byte data section",
                                        expected: "end <= \(dataLength)"))
                continue
            }
            if bytes > 0 { ranges.append((t.offset, end, t.name)) }
        }
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var cursor: UInt64 = 0
        var owner = ""
        for r in ranges {
            if r.0 < cursor {
                findings.append(Finding(.formatInvalid, .failure, path: path, message: "tensor \(ModelPath.quoted(r.2)) overlaps \(ModelPath.quoted(owner))"))
            }
            if r.1 > cursor { cursor = r.1; owner = r.2 }
        }
        return findings
    }

    /// A GGUF split-set file name `<prefix>-NNNNN-of-MMMMM.gguf` (llama.cpp `gguf-split`, 1-based in the name).
    static func splitName(_ path: String) -> (prefix: String, index: Int, count: Int)? {
        let name = baseName(path)
        guard name.lowercased().hasSuffix(".gguf") else { return nil }
        let stem = Array(name.utf8.dropLast(5))
        // "-NNNNN-of-MMMMM": 15 bytes with 5-digit numbers.
        guard stem.count >= 15 else { return nil }
        let tail = Array(stem.suffix(15))
        func num(_ s: ArraySlice<UInt8>) -> Int? {
            guard s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return s.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard tail[0] == UInt8(ascii: "-"), tail[6...9].elementsEqual(Array("-of-".utf8)),
              let i = num(tail[1...5]), let n = num(tail[10...14]) else { return nil }
        let prefixLength = path.utf8.count - 5 - 15
        let prefix = String(decoding: Array(path.utf8).prefix(prefixLength), as: UTF8.self)
        return (prefix, i, n)
    }

    /// A byte-split part name `<name>.gguf.partNofM` (joined with `cat`), case-insensitive.
    static func partName(_ path: String) -> (whole: String, index: Int, count: Int)? {
        let b = Array(path.utf8)
        let marker = Array(".gguf.part".utf8)
        guard b.count > marker.count else { return nil }
        func lower(_ x: UInt8) -> UInt8 { x >= 0x41 && x <= 0x5A ? x + 0x20 : x }
        var at: Int?
        var i = b.count - marker.count
        while i >= 0 {
            if zip(b[i..<(i + marker.count)], marker).allSatisfy({ lower($0) == $1 }) { at = i; break }
            i -= 1
        }
        guard let a = at else { return nil }
        let rest = Array(b[(a + marker.count)...])
        guard let o = rest.firstIndex(where: { lower($0) == UInt8(ascii: "o") }), o + 1 < rest.count,
              lower(rest[o + 1]) == UInt8(ascii: "f") else { return nil }
        let first = rest[..<o], second = rest[(o + 2)...]
        func num(_ s: ArraySlice<UInt8>) -> Int? {
            guard !s.isEmpty, s.count <= 6, s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return s.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard let n1 = num(first), let n2 = num(second) else { return nil }
        return (String(decoding: b[..<(a + 5)], as: UTF8.self), n1, n2)
    }
}
