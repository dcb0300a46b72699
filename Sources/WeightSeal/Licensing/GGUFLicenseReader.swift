/// Reads the license keys of a GGUF file's metadata (GGUF spec, `docs/gguf.md` in ggml: "General metadata":
/// `general.license`, `general.license.name`, `general.license.link`).
///
/// A small, bounded reader of its own so licensing does not depend on the formats parser: it walks the header's
/// key/value pairs (GGUF v2 and v3, little- or big-endian), keeps only the string values of the wanted keys and
/// skips everything else by length, never reading tensor infos or tensor data. Bounds: ``Limits/maxLicenseGGUFKeyValues``
/// pairs, ``Limits/maxLicenseGGUFStringBytes`` per key or kept value, ``Limits/maxLicenseGGUFArrayDepth`` nested
/// arrays, ``Limits/maxLicenseGGUFMetadataBytes`` walked, and never past the end of the file.
public enum GGUFLicenseReader {
    /// The GGUF keys that declare a license, in the order they are reported.
    public static let licenseKeys = ["general.license", "general.license.name", "general.license.link"]

    /// What was read: the wanted keys that hold strings, in file order, and problems with wanted keys.
    public struct Result: Sendable, Hashable {
        /// `(key, value)` pairs for the wanted keys that hold strings.
        public var values: [LicenseDeclaration]
        /// Problems such as a wanted key holding a non-string value.
        public var problems: [String]
    }

    /// Reads `keys` from the GGUF file at `fsPath` (reported as model path `path`).
    /// - Throws: ``WeightSealError/Code/unsupportedFormat`` when the file is not GGUF v2/v3;
    ///   ``WeightSealError/Code/malformedReference`` when the header is truncated or has an unknown value type;
    ///   ``WeightSealError/Code/limitExceeded`` when a bound is exceeded; ``WeightSealError/Code/io`` on read errors.
    public static func read(fsPath: String, path: String,
                            keys: Set<String> = Set(licenseKeys)) throws(WeightSealError) -> Result {
        let r = try BoundedFileReader(fsPath: fsPath, label: path)
        let magic = try r.read(4, what: "the GGUF magic")
        guard magic == Array("GGUF".utf8) else {
            throw WeightSealError(.unsupportedFormat, "\(ModelPath.quoted(path)) is not a GGUF file (no GGUF magic)")
        }
        var version = try r.readUInt32(what: "the GGUF version")
        var bigEndian = false
        if version > 0xFFFF, version.byteSwapped <= 0xFFFF {
            bigEndian = true
            version = version.byteSwapped
        }
        guard version == 2 || version == 3 else {
            throw WeightSealError(.unsupportedFormat, "\(ModelPath.quoted(path)) is GGUF version \(version); versions 2 and 3 are read")
        }
        _ = try r.readUInt64(bigEndian: bigEndian, what: "the tensor count")
        let kvCount = try r.readUInt64(bigEndian: bigEndian, what: "the metadata count")
        guard kvCount <= UInt64(Limits.maxLicenseGGUFKeyValues) else {
            throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)) declares \(kvCount) metadata pairs, more than \(Limits.maxLicenseGGUFKeyValues)")
        }
        let walker = Walker(reader: r, bigEndian: bigEndian, path: path)
        var result = Result(values: [], problems: [])
        for _ in 0..<kvCount {
            let key = try walker.string(what: "a metadata key")
            let type = try r.readUInt32(bigEndian: bigEndian, what: "the type of \(key)")
            if keys.contains(key) {
                if type == Walker.stringType {
                    result.values.append(LicenseDeclaration(path: path, field: key, value: try walker.string(what: "the value of \(key)")))
                    continue
                }
                result.problems.append("\(key) holds a value of GGUF type \(type), not a string")
            }
            try walker.skipValue(type: type, depth: 0, key: key)
            guard r.position <= Limits.maxLicenseGGUFMetadataBytes else {
                throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)) has more than \(Limits.maxLicenseGGUFMetadataBytes) bytes of metadata")
            }
        }
        return result
    }

    private struct Walker {
        static let stringType: UInt32 = 8
        static let arrayType: UInt32 = 9
        let reader: BoundedFileReader
        let bigEndian: Bool
        let path: String

        static func fixedSize(_ type: UInt32) -> UInt64? {
            switch type {
            case 0, 1, 7: return 1      // uint8, int8, bool
            case 2, 3: return 2         // uint16, int16
            case 4, 5, 6: return 4      // uint32, int32, float32
            case 10, 11, 12: return 8   // uint64, int64, float64
            default: return nil
            }
        }

        func string(what: @autoclosure () -> String) throws(WeightSealError) -> String {
            let length = try reader.readUInt64(bigEndian: bigEndian, what: what())
            guard length <= UInt64(Limits.maxLicenseGGUFStringBytes) else {
                throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)): \(what()) is \(length) bytes, more than \(Limits.maxLicenseGGUFStringBytes)")
            }
            return String(decoding: try reader.read(Int(length), what: what()), as: UTF8.self)
        }

        func skipValue(type: UInt32, depth: Int, key: String) throws(WeightSealError) {
            if let size = Self.fixedSize(type) {
                try reader.skip(size, what: "the value of \(key)")
                return
            }
            switch type {
            case Self.stringType:
                let length = try reader.readUInt64(bigEndian: bigEndian, what: "the value of \(key)")
                try reader.skip(length, what: "the value of \(key)")
            case Self.arrayType:
                guard depth < Limits.maxLicenseGGUFArrayDepth else {
                    throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)): \(key) nests arrays deeper than \(Limits.maxLicenseGGUFArrayDepth)")
                }
                let elementType = try reader.readUInt32(bigEndian: bigEndian, what: "the array type of \(key)")
                let count = try reader.readUInt64(bigEndian: bigEndian, what: "the array length of \(key)")
                if let size = Self.fixedSize(elementType) {
                    let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
                    guard !overflow else { throw reader.truncated("the array \(key)") }
                    try reader.skip(bytes, what: "the array \(key)")
                    return
                }
                guard elementType == Self.stringType || elementType == Self.arrayType else {
                    throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): \(key) is an array of unknown GGUF type \(elementType)")
                }
                // Each element takes at least 8 bytes, so the count is bounded by the file size.
                let (minimum, overflow) = count.multipliedReportingOverflow(by: 8)
                guard !overflow, minimum <= reader.remaining else { throw reader.truncated("the array \(key)") }
                if elementType == Self.stringType {
                    try reader.skipStrings(count, bigEndian: bigEndian, what: "the array \(key)")
                    return
                }
                var i: UInt64 = 0
                while i < count {
                    try skipValue(type: elementType, depth: depth + 1, key: key)
                    i += 1
                }
            default:
                throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): \(key) has unknown GGUF value type \(type)")
            }
        }
    }
}
