import Foundation

/// Sigstore's protobuf-JSON documents (bundles, trusted roots, Rekor bodies) are read with the project's one strict
/// JSON reader: duplicate names rejected after unescaping, bounded depth, numbers kept as text.
typealias SigstoreJSON = StrictJSON

extension StrictJSON {
    /// Parses a whole document; a JSON error becomes ``WeightSealError/Code/malformedBundle`` with the reader's reason.
    ///
    /// A Sigstore document holds tens of values (a bundle about 50, a trusted root about 100; a DSSE payload is one
    /// string): ``Limits/maxSigstoreJSONValues`` bounds memory to a small multiple of the input.
    package static func parseDocument(_ bytes: [UInt8]) throws(WeightSealError) -> StrictJSON {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw WeightSealError(.malformedBundle, "JSON starts with a UTF-8 byte-order mark, which RFC 8259 forbids here")
        }
        do {
            return try StrictJSON.parse(bytes, maxValues: Limits.maxSigstoreJSONValues)
        } catch {
            throw WeightSealError(error.reason == .limit ? .limitExceeded : .malformedBundle, error.message)
        }
    }

    /// The member named `key` of an object, or `nil` (also when this is not an object, and for `null`, which
    /// protobuf JSON reads as the field's absence).
    package subscript(key: String) -> StrictJSON? {
        guard case .object(let members) = self, let value = members.first(where: { $0.0 == key })?.1 else { return nil }
        if case .null = value { return nil }
        return value
    }

    package var string: String? { stringValue }
    package var object: [(String, StrictJSON)]? { objectMembers }
    package var array: [StrictJSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A protobuf `int64`/`uint64` member: JSON string or number of decimal digits; `nil` when absent.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming `field` when present but not a non-negative integer.
    package func int64(_ key: String, field: String) throws(WeightSealError) -> Int64? {
        guard let v = self[key] else { return nil }
        let text: String
        switch v {
        case .string(let s): text = s
        case .number(let s): text = s
        default: throw WeightSealError(.malformedBundle, "\(field).\(key) is not an integer")
        }
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int64(text) else {
            throw WeightSealError(.malformedBundle, "\(field).\(key) is not a non-negative integer: \(text.prefix(40))")
        }
        return n
    }

    /// A protobuf `bytes` member (standard or URL-safe base64, padding optional).
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming `field` when missing or not base64.
    package func bytes(_ key: String, field: String) throws(WeightSealError) -> [UInt8] {
        guard let v = self[key] else {
            throw WeightSealError(.malformedBundle, "\(field) has no \"\(key)\"")
        }
        guard let s = v.string, let b = base64Bytes(s) else {
            throw WeightSealError(.malformedBundle, "\(field).\(key) is not base64")
        }
        return b
    }

    /// Like ``bytes(_:field:)`` but `nil` when the member is absent.
    package func optionalBytes(_ key: String, field: String) throws(WeightSealError) -> [UInt8]? {
        guard self[key] != nil else { return nil }
        return try bytes(key, field: field)
    }

    /// An RFC 3339 time as protobuf JSON writes `Timestamp` (`Z` or an offset, optional fraction).
    static func timestamp(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
