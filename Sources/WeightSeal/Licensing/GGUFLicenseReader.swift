/// Reads the license keys of a GGUF file's metadata (GGUF spec, `docs/gguf.md` in ggml: "General metadata":
/// `general.license`, `general.license.name`, `general.license.link`).
///
/// The header is parsed by the one GGUF parser (``GGUFFile``) in its licensing scope: the key/value pairs only
/// (GGUF v2 and v3, little- or big-endian), decoding the wanted keys and skipping every other value by its length,
/// never reading tensor infos or tensor data. Bounds: ``Limits/maxLicenseGGUFKeyValues`` pairs,
/// ``Limits/maxLicenseGGUFStringBytes`` per key or kept value, ``Limits/maxLicenseGGUFArrayDepth`` nested arrays,
/// ``Limits/maxLicenseGGUFMetadataBytes`` read, and never past the end of the file.
public enum GGUFLicenseReader {
    /// The GGUF keys that declare a license, in the order they are reported.
    public static let licenseKeys = ["general.license", "general.license.name", "general.license.link"]

    /// What was read: the wanted keys that hold strings, problems with wanted keys, and repeated wanted keys.
    public typealias Result = LicenseReadResult

    /// Reads `keys` from the GGUF file at `fsPath` (reported as model path `path`), in the order of ``licenseKeys``
    /// (other keys after them, sorted). A key stated more than once is an ambiguity, not a declaration.
    /// - Throws: ``WeightSealError/Code/unsupportedFormat`` when the file is not GGUF v2/v3, the header is truncated
    ///   or has an unknown value type; ``WeightSealError/Code/limitExceeded`` when a bound is exceeded;
    ///   ``WeightSealError/Code/io`` on read errors.
    public static func read(fsPath: String, path: String,
                            keys: Set<String> = Set(licenseKeys)) throws(WeightSealError) -> Result {
        let kv: GGUFKeyValues
        do throws(FormatError) {
            kv = try GGUFFile.readKeyValues(path: fsPath, keys: keys)
        } catch {
            throw error.weightSealError(path: path)
        }
        let order = licenseKeys.filter(keys.contains) + keys.subtracting(licenseKeys).sorted()
        var result = Result()
        for key in order {
            if let values = kv.repeated[key] {
                result.ambiguities.append(LicenseAmbiguity(path: path, field: key, values: values.map(describe),
                                                           reason: "the metadata repeats the key"))
            } else if let value = kv.values[key] {
                if case .string(let s) = value {
                    result.values.append(LicenseDeclaration(path: path, field: key, value: s))
                } else {
                    let type = kv.types[key].flatMap { GGUFFile.valueTypeNames[$0] } ?? "?"
                    result.problems.append("\(key) holds a value of GGUF type \(type), not a string")
                }
            }
        }
        return result
    }

    /// A value as shown in an ambiguity: a string quoted, anything else by its kind.
    static func describe(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return ModelPath.quoted(s)
        case .unsigned(let u): return "(the number \(u))"
        case .signed(let i): return "(the number \(i))"
        case .float(let f): return "(the number \(f))"
        case .bool(let b): return "(the bool \(b))"
        case .array(let t, let n): return "(an array of \(n) \(GGUFFile.valueTypeNames[t] ?? "?"))"
        }
    }
}
