/// One tensor entry of a safetensors header.
public struct SafetensorsTensor: Sendable, Hashable, Codable {
    /// The tensor name (the header key).
    public var name: String
    /// The dtype string as written (`"F32"`, `"BF16"`, ...).
    public var dtype: String
    /// Dimensions, outermost first.
    public var shape: [UInt64]
    /// Byte range `[begin, end)` relative to the start of the data section (after the header).
    public var begin: UInt64
    public var end: UInt64

    /// A tensor entry; `begin` and `end` in bytes from the start of the data section.
    public init(name: String, dtype: String, shape: [UInt64], begin: UInt64, end: UInt64) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.begin = begin
        self.end = end
    }
}

/// The parsed header of a safetensors file (format: huggingface/safetensors README, "Format").
///
/// A header that repeats a name is ambiguous: Python's `json` and the reference library keep the last entry, other
/// readers the first or refuse the file (FIELD-CASES-2 G07). Repeated names are therefore kept apart, never resolved.
public struct SafetensorsHeader: Sendable, Hashable {
    /// The JSON header's length in bytes (the first 8 bytes, little-endian).
    public var headerLength: UInt64
    /// The `__metadata__` string map (empty when absent): keys that appear once, with a string value.
    public var metadata: [String: String]
    /// `__metadata__` keys that appear more than once (in one `__metadata__` object or across repeated ones), with
    /// every value in header order (`nil` for a value that is not a string). None of them is in ``metadata``.
    public var repeatedMetadata: [String: [String?]]
    /// `__metadata__` keys that appear once with a value that is not a string, with its JSON type (`"array"`, ...).
    public var nonStringMetadata: [String: String]
    /// How many `__metadata__` objects the header has (more than one is ambiguous).
    public var metadataObjectCount: Int
    /// Tensor entries in header order, one per name (the first when a name repeats). Entries whose shape is
    /// malformed are left out (and reported by inspection).
    public var tensors: [SafetensorsTensor]
    /// Tensor names that appear more than once, in header order.
    public var repeatedTensorNames: [String]
    /// Some entries were left out of ``tensors`` (malformed, repeated, or `__metadata__` used as a tensor entry), so
    /// which bytes belong to no tensor is unknown: holes and trailing bytes are not reported.
    var coverageUnknown = false
    /// Absolute offset of the data section: `8 + headerLength`.
    public var dataStart: UInt64 { 8 &+ headerLength }
}

/// Bounded safetensors header reader and layout checker. Never reads tensor data.
public enum SafetensorsFile {
    /// Size of one element in bits, per dtype (safetensors `Dtype`; sub-byte types F4 and F6 are packed).
    public static let dtypeBits: [String: UInt64] = [
        "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
        "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32,
        "I64": 64, "U64": 64, "F64": 64, "C64": 64,
        "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    ]

    /// Reads and parses the JSON header of the safetensors file at `path` (file-system path), reading only
    /// `8 + headerLength` bytes.
    ///
    /// - Throws: ``WeightSealError/Code/limitExceeded`` when the header is longer than
    ///   ``Limits/maxSafetensorsHeaderBytes``; ``WeightSealError/Code/unsupportedFormat`` when the length does not fit
    ///   the file or the header is not a JSON object of tensor entries; ``WeightSealError/Code/io`` when unreadable.
    public static func readHeader(path: String) throws(WeightSealError) -> SafetensorsHeader {
        do throws(FormatError) {
            let file = try BoundedFile(path: path)
            return try parse(file: file).header
        } catch {
            throw error.weightSealError(path: path)
        }
    }

    /// Checks a header's tensor layout against the file size: dtype known, `end − begin == product(shape) × size`,
    /// ranges within the data section, no reversed range, no two tensors sharing bytes, no unindexed hole,
    /// no bytes after the last tensor. Zero-size tensors (`begin == end`, a zero in the shape) are valid.
    /// - Parameters:
    ///   - header: the parsed header.
    ///   - fileSize: the file's size in bytes.
    ///   - path: the model-relative path named in findings.
    /// - Returns: ``Finding/Kind/formatInvalid`` findings, one per problem: failures, and warnings for unknown dtypes.
    public static func checkLayout(_ header: SafetensorsHeader, fileSize: UInt64, path: String) -> [Finding] {
        var findings: [Finding] = []
        func invalid(_ m: String, expected: String? = nil, actual: String? = nil) {
            findings.append(Finding(.formatInvalid, .failure, path: path, message: m, expected: expected, actual: actual))
        }
        let dataLength = fileSize >= header.dataStart ? fileSize - header.dataStart : 0
        var ranged: [SafetensorsTensor] = []
        var excluded = header.coverageUnknown
        for t in header.tensors {
            let q = ModelPath.quoted(t.name)
            if t.begin > t.end {
                invalid("tensor \(q) has reversed data_offsets [\(t.begin), \(t.end)]")
                excluded = true
                continue
            }
            if t.end > dataLength {
                excluded = true
                invalid("tensor \(q) data_offsets [\(t.begin), \(t.end)] lie outside the \(dataLength)-byte data section",
                        expected: "end <= \(dataLength)", actual: String(t.end))
                continue
            }
            let span = t.end - t.begin
            if let bits = dtypeBits[t.dtype] {
                var elements: UInt64? = 1
                for d in t.shape { elements = elements.flatMap { checkedMul($0, d) } }
                if let e = elements, let totalBits = checkedMul(e, bits) {
                    if totalBits % 8 != 0 {
                        invalid("tensor \(q): \(e) elements of \(t.dtype) do not fill whole bytes")
                    } else if totalBits / 8 != span {
                        invalid("tensor \(q): byte span \(span) is not shape \(t.shape) × \(t.dtype) size = \(totalBits / 8) bytes",
                                expected: String(totalBits / 8), actual: String(span))
                    }
                } else {
                    invalid("tensor \(q): shape \(t.shape) × \(t.dtype) size overflows 64 bits", actual: String(span))
                }
            } else {
                findings.append(Finding(.formatInvalid, .warning, path: path,
                                        message: "tensor \(q) has unknown dtype \(ModelPath.quoted(t.dtype)) (readers refuse it); its size is not checked"))
            }
            ranged.append(t)
        }
        // Walk ranges in (begin, end) order: overlaps, holes, trailing bytes.
        ranged.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor: UInt64 = 0
        var owner: SafetensorsTensor?
        for t in ranged {
            if t.begin < cursor, let o = owner, t.begin != t.end {
                if t.begin == o.begin && t.end == o.end {
                    invalid("tensors \(ModelPath.quoted(o.name)) and \(ModelPath.quoted(t.name)) share the byte range [\(t.begin), \(t.end)] (aliased)")
                } else {
                    invalid("tensor \(ModelPath.quoted(t.name)) [\(t.begin), \(t.end)] overlaps \(ModelPath.quoted(o.name)) [\(o.begin), \(o.end)]")
                }
            } else if t.begin < cursor, let o = owner {
                invalid("zero-size tensor \(ModelPath.quoted(t.name)) at \(t.begin) lies inside \(ModelPath.quoted(o.name)) [\(o.begin), \(o.end)]")
            } else if t.begin > cursor, !excluded {
                invalid("bytes [\(cursor), \(t.begin)) of the data section belong to no tensor (hole)",
                        expected: String(cursor), actual: String(t.begin))
            }
            if t.end > cursor || owner == nil {
                cursor = max(cursor, t.end)
                if t.begin != t.end || owner == nil { owner = t }
            }
        }
        // A reversed, out-of-range or left-out entry leaves the coverage unknown: report holes and tails only without one.
        if cursor < dataLength, !excluded {
            invalid("\(dataLength - cursor) bytes after the last tensor (tensors end at byte \(cursor) of the \(dataLength)-byte data section)",
                    expected: String(header.dataStart &+ cursor), actual: String(fileSize))
        }
        return findings
    }

    /// The fields of a tensor entry; an object holding any of them under `__metadata__` is a misplaced tensor entry.
    static let entryFields: Set<String> = ["dtype", "shape", "data_offsets"]

    /// Parses the header: length checks, JSON, `__metadata__`, tensor entries. Malformed entries and repeated names
    /// become `issues` (one message each, for findings); the parse fails only when the header is not a JSON object.
    /// This is the one safetensors header parser: inspection and the license reader both use it.
    static func parse(file: BoundedFile) throws(FormatError) -> (header: SafetensorsHeader, issues: [String]) {
        let lengthBytes = try file.readExactly(at: 0, count: 8, what: "the 8-byte header length")
        let n = littleEndian(lengthBytes)
        let room = file.size - 8
        if n > room {
            var m = "header length \(n) is larger than the rest of the file (\(room) bytes)"
            if n > UInt64(Limits.maxSafetensorsHeaderBytes) { m += " and than the \(Limits.maxSafetensorsHeaderBytes)-byte limit" }
            throw .invalid(m)
        }
        if n > UInt64(Limits.maxSafetensorsHeaderBytes) {
            throw .limit("header of \(n) bytes exceeds the limit of \(Limits.maxSafetensorsHeaderBytes) bytes; not inspected")
        }
        if n < 2 { throw .invalid("header length \(n) is too small for a JSON object") }
        let bytes = try file.readExactly(at: 8, count: Int(n), what: "the JSON header")
        // Duplicate keys are kept so that they can be named here, with every value (G07).
        guard case .object(let members) = try StrictJSON.parse(bytes, keepingDuplicateKeys: true) else {
            throw .invalid("header is not a JSON object")
        }
        var issues: [String] = []
        var metadataValues: [(key: String, value: StrictJSON)] = []
        var metadataObjects = 0
        var coverageUnknown = false
        var tensors: [SafetensorsTensor] = []
        tensors.reserveCapacity(members.count)
        var nameCounts: [String: Int] = [:]
        var repeatedNames: [String] = []
        for (name, _) in members where name != "__metadata__" {
            nameCounts[name, default: 0] += 1
            if nameCounts[name] == 2 { repeatedNames.append(name) }
        }
        for name in repeatedNames {
            issues.append("duplicate tensor name \(ModelPath.quoted(name)): the header has \(nameCounts[name] ?? 0) entries for it, and readers keep different ones")
        }
        if !repeatedNames.isEmpty { coverageUnknown = true }
        var taken = Set<String>()
        for (name, value) in members {
            let q = ModelPath.quoted(name)
            if name == "__metadata__" {
                metadataObjects += 1
                guard case .object(let meta) = value else {
                    issues.append("__metadata__ is \(value.typeNameWithArticle), not an object")
                    continue
                }
                if meta.contains(where: { entryFields.contains($0.0) }) {
                    // A writer stored a tensor under the reserved name (safetensors#849): its bytes belong to no entry.
                    issues.append("__metadata__ is reserved for a string-to-string map but holds a tensor entry (dtype, shape, data_offsets)")
                    coverageUnknown = true
                    continue
                }
                metadataValues += meta.map { (key: $0.0, value: $0.1) }
                continue
            }
            if !taken.insert(name).inserted { continue }  // a repeated name: reported above, only the first entry kept
            guard case .object(let fields) = value else {
                issues.append("entry \(q) is \(value.typeNameWithArticle), not an object")
                coverageUnknown = true
                continue
            }
            var dtype: String?
            var shape: [UInt64]?
            var offsets: [UInt64]?
            var bad = false
            var seenFields = Set<String>()
            for (k, v) in fields {
                if entryFields.contains(k), !seenFields.insert(k).inserted {
                    issues.append("tensor \(q) repeats the field \(k)")
                    bad = true
                    continue
                }
                switch k {
                case "dtype":
                    dtype = v.stringValue
                    if dtype == nil { issues.append("tensor \(q): dtype is not a string"); bad = true }
                case "shape":
                    if case .array(let dims) = v {
                        let parsed = dims.compactMap(\.unsignedInteger)
                        if parsed.count == dims.count { shape = parsed } else { issues.append("tensor \(q): shape has a non-integer or negative dimension"); bad = true }
                    } else { issues.append("tensor \(q): shape is not an array"); bad = true }
                case "data_offsets":
                    if case .array(let o) = v, o.count == 2, let b = o[0].unsignedInteger, let e = o[1].unsignedInteger {
                        offsets = [b, e]
                    } else { issues.append("tensor \(q): data_offsets is not two non-negative integers"); bad = true }
                default:
                    break
                }
            }
            if bad { coverageUnknown = true; continue }
            guard let d = dtype, let s = shape, let o = offsets else {
                issues.append("tensor \(q) lacks \(dtype == nil ? "dtype" : shape == nil ? "shape" : "data_offsets")")
                coverageUnknown = true
                continue
            }
            tensors.append(SafetensorsTensor(name: name, dtype: d, shape: s, begin: o[0], end: o[1]))
        }

        // __metadata__: a key stated twice (in one object or across repeated objects) has no one value.
        var keyCounts: [String: Int] = [:]
        for m in metadataValues { keyCounts[m.key, default: 0] += 1 }
        var metadata: [String: String] = [:]
        var nonString: [String: String] = [:]
        var repeated: [String: [String?]] = [:]
        var repeatedOrder: [String] = []
        for m in metadataValues {
            if keyCounts[m.key, default: 0] > 1 {
                if repeated[m.key] == nil { repeatedOrder.append(m.key) }
                repeated[m.key, default: []].append(m.value.stringValue)
            } else if let s = m.value.stringValue {
                metadata[m.key] = s
            } else {
                nonString[m.key] = m.value.typeName
                issues.append("__metadata__ value \(ModelPath.quoted(m.key)) is \(m.value.typeNameWithArticle), not a string")
            }
        }
        let shown = repeatedOrder.map { key in
            "__metadata__.\(key) = " + (repeated[key] ?? []).map { $0.map(ModelPath.quoted) ?? "(not a string)" }.joined(separator: ", ")
        }
        if metadataObjects > 1 {
            issues.append("duplicate __metadata__: the header has \(metadataObjects) __metadata__ objects, and readers keep different ones"
                          + (shown.isEmpty ? "" : " (" + shown.joined(separator: "; ") + ")"))
        } else {
            for line in shown { issues.append("__metadata__ repeats a key, and readers keep different values: \(line)") }
        }
        var header = SafetensorsHeader(headerLength: n, metadata: metadata, repeatedMetadata: repeated, nonStringMetadata: nonString,
                                       metadataObjectCount: metadataObjects, tensors: tensors, repeatedTensorNames: repeatedNames)
        header.coverageUnknown = coverageUnknown
        return (header, issues)
    }

    /// Inspects one open file: header, entries and layout, as findings (nothing thrown).
    static func inspect(file: BoundedFile, path: String) -> (header: SafetensorsHeader?, findings: [Finding]) {
        do throws(FormatError) {
            let parsed = try parse(file: file)
            var findings = parsed.issues.map { Finding(.formatInvalid, .failure, path: path, message: $0) }
            findings += checkLayout(parsed.header, fileSize: file.size, path: path)
            return (parsed.header, findings)
        } catch {
            return (nil, [error.finding(path: path, format: "safetensors")])
        }
    }
}

extension FormatError {
    /// The finding for a parser that stopped: `formatLimitExceeded` (warning) for a limit, `unreadable` for I/O,
    /// `formatInvalid` otherwise.
    func finding(path: String, format: String) -> Finding {
        switch reason {
        case .invalid: return Finding(.formatInvalid, .failure, path: path, message: "invalid \(format): \(message)")
        case .limit: return Finding(.formatLimitExceeded, .warning, path: path, message: "\(format): \(message)")
        case .io: return Finding(.unreadable, .failure, path: path, message: message)
        }
    }
}
