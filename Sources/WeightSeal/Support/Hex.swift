extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal text of these bytes.
    public var hexString: String {
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        let digits = Array("0123456789abcdef".utf8)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Parses hexadecimal text (either case). Returns `nil` for odd length or a non-hex character.
    public init?(hexString: some StringProtocol) {
        let utf8 = Array(hexString.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < utf8.count {
            guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}

/// Whether `s` is exactly `count` lower- or upper-case hex characters.
func isHex(_ s: some StringProtocol, count: Int) -> Bool {
    s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
}

/// Whether `s` is exactly `count` lower-case hex digits: the only spelling of a digest weightseal reads from a
/// signed payload (FIELD-CASES-2 G14).
func isLowerHex(_ s: some StringProtocol, count: Int) -> Bool {
    s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}
