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
    /// Every metadata value by key (arrays as type and length only).
    public var metadata: [String: GGUFValue]
    /// Tensor infos in header order.
    public var tensors: [GGUFTensorInfo]
    /// `general.alignment` (default 32), in bytes.
    public var alignment: UInt64
    /// Absolute offset of the data section, in bytes (end of the header, padded to the alignment).
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

/// Bounded GGUF header reader (ggml `docs/gguf.md`; versions 2 and 3, little- or big-endian). Never reads tensor data.
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

    /// Reads the header of the GGUF file at `path` (file-system path): magic, version, key/values, tensor infos.
    ///
    /// Reads sequentially from the start, at most ``Limits/maxGGUFHeaderBytes`` bytes; counts, strings and arrays are
    /// capped by the `Limits.maxGGUF*` constants.
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
        var c = ByteCursor(file: file, start: 0, end: min(file.size, Limits.maxGGUFHeaderBytes))
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
        if tensorCount > Limits.maxGGUFTensors { throw .limit("\(tensorCount) tensors exceed the limit of \(Limits.maxGGUFTensors)") }
        if kvCount > Limits.maxGGUFKeyValues { throw .limit("\(kvCount) key/values exceed the limit of \(Limits.maxGGUFKeyValues)") }
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<kvCount {
            let key = try string(&c, "a metadata key")
            let type = try c.u32("the type of \(key)")
            let value = try readValue(&c, type: type, key: key, depth: 0)
            if metadata[key] != nil { throw .invalid("duplicate metadata key \(ModelPath.quoted(key))") }
            metadata[key] = value
        }
        var alignment: UInt64 = 32
        if let a = metadata["general.alignment"] {
            guard case .unsigned(let u) = a, u > 0, u & (u - 1) == 0, u <= 1 << 20 else {
                throw .invalid("general.alignment is not a power of two")
            }
            alignment = u
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(Int(min(tensorCount, 1 << 16)))
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let name = try string(&c, "a tensor name")
            let nd = try c.u32("the dimension count of \(name)")
            if nd > 4 { throw .invalid("tensor \(ModelPath.quoted(name)) has \(nd) dimensions (at most 4)") }
            var dims: [UInt64] = []
            for _ in 0..<nd { dims.append(try c.u64("a dimension of \(name)")) }
            let type = try c.u32("the type of \(name)")
            let offset = try c.u64("the offset of \(name)")
            if !names.insert(name).inserted { throw .invalid("duplicate tensor name \(ModelPath.quoted(name))") }
            tensors.append(GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: offset))
        }
        let end = c.position
        let padded = end % alignment == 0 ? end : end &+ (alignment - end % alignment)
        return GGUFHeader(version: version, isBigEndian: c.bigEndian, tensorCount: tensorCount, keyValueCount: kvCount, metadata: metadata,
                          tensors: tensors, alignment: alignment, dataOffset: padded)
    }

    private static func string(_ c: inout ByteCursor, _ what: String) throws(FormatError) -> String {
        let n = try c.u64("the length of \(what)")
        if n > Limits.maxGGUFStringBytes { throw .limit("\(what) of \(n) bytes exceeds the limit of \(Limits.maxGGUFStringBytes)") }
        let b = try c.bytes(Int(n), what)
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalid("\(what) is not valid UTF-8") }
        return s
    }

    private static func readValue(_ c: inout ByteCursor, type: UInt32, key: String, depth: Int) throws(FormatError) -> GGUFValue {
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
        case 8: return .string(try string(&c, what))
        case 9:
            if depth >= 2 { throw .limit("\(what): arrays nested deeper than 2") }
            let elementType = try c.u32("the element type of \(ModelPath.quoted(key))")
            let count = try c.u64("the length of \(ModelPath.quoted(key))")
            if count > Limits.maxGGUFArrayLength { throw .limit("\(what): array of \(count) elements exceeds the limit of \(Limits.maxGGUFArrayLength)") }
            let width: UInt64? = switch elementType {
            case 0, 1, 7: 1
            case 2, 3: 2
            case 4, 5, 6: 4
            case 10, 11, 12: 8
            default: nil
            }
            if let w = width {
                if elementType == 7 {
                    for _ in 0..<count { _ = try readValue(&c, type: 7, key: key, depth: depth + 1) }
                } else {
                    // count ≤ 2^26 and w ≤ 8: no overflow.
                    try c.skip(count * w, what)
                }
            } else if elementType == 8 || elementType == 9 {
                for _ in 0..<count { _ = try readValue(&c, type: elementType, key: key, depth: depth + 1) }
            } else {
                throw .invalid("\(what): unknown array element type \(elementType)")
            }
            return .array(elementType: elementType, count: count)
        case 10: return .unsigned(try c.le(8, what))
        case 11: return .signed(Int64(bitPattern: try c.le(8, what)))
        case 12: return .float(Double(bitPattern: try c.le(8, what)))
        default: throw .invalid("\(what) has unknown type \(type)")
        }
    }

    /// Checks tensor infos against the file: known type, element count a multiple of the block size, offset aligned,
    /// data inside the file, no two tensors sharing bytes.
    /// - Returns: ``Finding/Kind/formatInvalid`` failures and ``Finding/Kind/formatNote`` warnings, naming `path`.
    public static func checkTensors(_ header: GGUFHeader, fileSize: UInt64, path: String) -> [Finding] {
        var findings: [Finding] = []
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
