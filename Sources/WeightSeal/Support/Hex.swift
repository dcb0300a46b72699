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
        let parsed: [UInt8]?
        if let direct = hexString.utf8.withContiguousStorageIfAvailable({ Self.parseHex($0) }) {
            parsed = direct
        } else {
            parsed = Array(hexString.utf8).withUnsafeBufferPointer { Self.parseHex($0) }
        }
        guard let parsed else { return nil }
        self = parsed
    }

    private static func parseHex(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let hi = value(text[i]), let lo = value(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// Whether `s` is exactly `count` lower- or upper-case hex characters.
func isHex(_ s: some StringProtocol, count: Int) -> Bool {
    allBytes(of: s, count: count) { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
}

/// Whether `s` is exactly `count` lower-case hex digits: the only spelling of a digest weightseal reads from a
/// signed payload (FIELD-CASES-2 G14).
func isLowerHex(_ s: some StringProtocol, count: Int) -> Bool {
    allBytes(of: s, count: count) { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}

/// Whether `s` has `count` UTF-8 bytes, each passing `test`; over the contiguous bytes where the string has them (a
/// manifest's 400,000 digests are checked twice each).
private func allBytes(of s: some StringProtocol, count: Int, _ test: (UInt8) -> Bool) -> Bool {
    guard s.utf8.count == count else { return false }
    if let all = s.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(test) }) { return all }
    return s.utf8.allSatisfy(test)
}
