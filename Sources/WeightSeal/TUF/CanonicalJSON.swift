/// The canonical JSON form that TUF signs (OLPC canonical JSON as securesystemslib's `encode_canonical` writes it):
/// no whitespace, object members sorted by name (code-point order, which is UTF-8 byte order), strings as UTF-8 with
/// only `"` and `\` escaped (every other character, control characters included, written as itself), integers in
/// shortest decimal form, no floating-point numbers.
///
/// The bytes a TUF signature covers are this form of the parsed `signed` object, never the bytes as served.
enum CanonicalJSON {
    /// Encodes `value`.
    /// - Throws: ``WeightSealError/Code/trustUpdate`` for a number that is not an integer (canonical JSON has none),
    ///   naming `label`.
    static func encode(_ value: StrictJSON, label: String) throws(WeightSealError) -> [UInt8] {
        var out = [UInt8]()
        try write(value, into: &out, label: label)
        return out
    }

    private static func write(_ value: StrictJSON, into out: inout [UInt8], label: String) throws(WeightSealError) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .string(let s): writeString(s, into: &out)
        case .number(let text): out += try integer(text, label: label)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, into: &out, label: label)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // The strict reader refuses duplicate names, so sorting by name alone is a total order.
            let sorted = members.map { (Array($0.0.utf8), $0.1) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
            for (i, (name, member)) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(bytes: name, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(member, into: &out, label: label)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        writeString(bytes: Array(s.utf8), into: &out)
    }

    private static func writeString(bytes: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// An integer's shortest decimal form as Python's `str(int)` writes it (`-0` → `0`, `007` cannot occur: the
    /// reader refuses leading zeros). A fraction or exponent (`1.0`, `1e3`) is a float to Python's JSON reader and
    /// securesystemslib refuses to encode it.
    private static func integer(_ text: String, label: String) throws(WeightSealError) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard !bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            throw WeightSealError(.trustUpdate, "\(label) holds the number \(text.prefix(40)), which is not an integer: canonical JSON cannot encode it, so no signature over it can be checked")
        }
        if bytes == Array("-0".utf8) { return [UInt8(ascii: "0")] }
        return bytes
    }
}
