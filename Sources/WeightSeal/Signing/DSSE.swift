import Foundation

/// Dead Simple Signing Envelope helpers (DSSE v1.0, github.com/secure-systems-lab/dsse `protocol.md`).
public enum DSSE {
    /// The Pre-Authentication Encoding the signature covers:
    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
    ///
    /// `pae(payloadType: "http://example.com/HelloWorld", payload: "hello world")` is
    /// `DSSEv1 29 http://example.com/HelloWorld 11 hello world`.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = [UInt8]()
        out.reserveCapacity(payload.count + type.count + 32)
        out += Array("DSSEv1 \(type.count) ".utf8)
        out += type
        out += Array(" \(payload.count) ".utf8)
        out += payload
        return out
    }

    /// The faulty encoding model-signing 0.2 signed: `"DSSEV1 " LEN(type) SP type SP LEN(body) SP repr(body)`, where
    /// `repr` is Python's `bytes` repr (`b'…'` with escapes). The OMS reference 1.1.1 still accepts it, so
    /// weightseal does too (as a legacy-format warning); it is never written.
    public static func paeModelSigningV02(payloadType: String, payload: [UInt8]) -> [UInt8] {
        var out = Array("DSSEV1 \(payloadType.utf8.count) \(payloadType) \(payload.count) b".utf8)
        let quote: UInt8 = payload.contains(UInt8(ascii: "'")) && !payload.contains(UInt8(ascii: "\"")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        let hex = Array("0123456789abcdef".utf8)
        out.append(quote)
        for c in payload {
            switch c {
            case quote, UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), c]
            case UInt8(ascii: "\t"): out += Array("\\t".utf8)
            case UInt8(ascii: "\n"): out += Array("\\n".utf8)
            case UInt8(ascii: "\r"): out += Array("\\r".utf8)
            case 0..<0x20, 0x7f...0xff: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 0x0f)]]
            default: out.append(c)
            }
        }
        out.append(quote)
        return out
    }
}

/// A DSSE envelope: payload, its type, and signatures over ``DSSE/pae(payloadType:payload:)``.
///
/// In JSON, `payload` and `sig` are base64 (standard alphabet with padding when written; URL-safe and unpadded
/// forms are accepted when read, as proto3 JSON allows). `keyid` is optional and omitted when `nil`.
public struct DSSEEnvelope: Codable, Sendable, Hashable {
    /// One signature.
    public struct Signature: Codable, Sendable, Hashable {
        /// Signature bytes (ECDSA DER or raw Ed25519).
        public var sig: [UInt8]
        /// Optional, unauthenticated key identifier.
        public var keyid: String?

        public init(sig: [UInt8], keyid: String? = nil) {
            self.sig = sig
            self.keyid = keyid
        }

        enum CodingKeys: String, CodingKey { case sig, keyid }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sig = try decodeBase64(c, .sig)
            keyid = try c.decodeIfPresent(String.self, forKey: .keyid)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Data(sig).base64EncodedString(), forKey: .sig)
            try c.encodeIfPresent(keyid, forKey: .keyid)
        }
    }

    /// The signed bytes (an in-toto Statement for weightseal and OMS).
    public var payload: [UInt8]
    /// The payload's media type, e.g. `application/vnd.in-toto+json`.
    public var payloadType: String
    /// Signatures over ``pae``. DSSE allows several; the envelope of a Sigstore bundle carries exactly one
    /// (``SigstoreBundle/parse(_:label:)`` refuses other counts).
    public var signatures: [Signature]

    public init(payload: [UInt8], payloadType: String, signatures: [Signature]) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The bytes every signature covers.
    public var pae: [UInt8] { DSSE.pae(payloadType: payloadType, payload: payload) }

    enum CodingKeys: String, CodingKey { case payload, payloadType, signatures }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        payload = try decodeBase64(c, .payload)
        payloadType = try c.decode(String.self, forKey: .payloadType)
        signatures = try c.decode([Signature].self, forKey: .signatures)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Data(payload).base64EncodedString(), forKey: .payload)
        try c.encode(payloadType, forKey: .payloadType)
        try c.encode(signatures, forKey: .signatures)
    }
}

/// Decodes base64 text: standard or URL-safe alphabet, padding optional (proto3 JSON `bytes`).
/// Works on the UTF-8 bytes: a payload of many megabytes decodes at memory speed, not character by character.
package func base64Bytes(_ text: String) -> [UInt8]? {
    // Standard alphabet with padding (what weightseal and most signers write): decoded from the string itself, so a
    // 60 MB payload is not copied twice more on the way.
    // A URL-safe character fails the standard decoding, which then falls to the conversion below.
    if text.utf8.count % 4 == 0, let data = Data(base64Encoded: text) {
        return [UInt8](data)
    }
    var bytes = Array(text.utf8)
    for i in bytes.indices {
        if bytes[i] == UInt8(ascii: "-") { bytes[i] = UInt8(ascii: "+") } else if bytes[i] == UInt8(ascii: "_") { bytes[i] = UInt8(ascii: "/") }
    }
    switch bytes.count % 4 {
    case 2: bytes += [UInt8(ascii: "="), UInt8(ascii: "=")]
    case 3: bytes.append(UInt8(ascii: "="))
    case 1: return nil
    default: break
    }
    guard let data = Data(base64Encoded: Data(bytes)) else { return nil }
    return [UInt8](data)
}

func decodeBase64<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> [UInt8] {
    let text = try c.decode(String.self, forKey: key)
    guard let bytes = base64Bytes(text) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not valid base64")
    }
    return bytes
}
