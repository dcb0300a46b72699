import Foundation
import SwiftASN1
import X509

/// One Signed Certificate Timestamp as a CT log issues it (RFC 6962 §3.2), read from the TLS presentation
/// language. Parsed only: nothing in it has been verified.
struct SignedCertificateTimestamp: Sendable, Hashable {
    /// `sct_version`; `0` is v1, the only version this type describes.
    var version: UInt8
    /// `id.key_id`: SHA-256 of the log's DER SubjectPublicKeyInfo, 32 bytes.
    var logID: [UInt8]
    /// `timestamp`: milliseconds since the Unix epoch, UTC.
    var timestamp: UInt64
    /// `extensions` (`CtExtensions`): opaque bytes, signed over as given; RFC 6962 defines none, but logs may send some.
    var extensions: [UInt8]
    /// `signature.algorithm.hash`, a TLS 1.2 `HashAlgorithm` (4 SHA-256, 5 SHA-384, 6 SHA-512; 8 intrinsic for Ed25519).
    var hashAlgorithm: UInt8
    /// `signature.algorithm.signature`, a TLS 1.2 `SignatureAlgorithm` (1 RSA, 3 ECDSA; 7 Ed25519).
    var signatureAlgorithm: UInt8
    /// `signature.signature`: a DER `ECDSA-Sig-Value`, an RSASSA-PKCS1-v1_5 signature, or 64 Ed25519 bytes.
    var signature: [UInt8]

    /// ``timestamp`` as a `Date` (millisecond precision).
    var date: Date { Date(timeIntervalSince1970: Double(timestamp) / 1000) }

    /// The X.509v3 extension that embeds SCTs in a certificate (RFC 6962 §3.3): 1.3.6.1.4.1.11129.2.4.2.
    static let extensionOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 2]
    /// Largest `SignedCertificateTimestampList` read, in bytes: its u16 length allows no more.
    static let maxListBytes = 65_535
    /// Most SCTs read from one list (a Fulcio certificate carries one or two).
    static let maxCount = 64

    /// One entry of a `SignedCertificateTimestampList`: a v1 SCT, or the version of one this type cannot read.
    enum Entry: Sendable, Hashable {
        case v1(SignedCertificateTimestamp)
        /// An SCT whose `sct_version` is not v1; its body is not interpreted.
        case unsupported(version: UInt8)
    }

    /// Reads the SCT list from the value of the SCT extension: a DER OCTET STRING wrapping a TLS
    /// `SignedCertificateTimestampList` (RFC 6962 §3.3): `opaque SerializedSCT<1..2^16-1>` items in a
    /// `sct_list<1..2^16-1>`.
    /// - Parameter extensionValue: `extnValue`'s content, as ``Certificate/Extension/value`` gives it.
    /// - Returns: the entries in list order, 1 to ``maxCount`` of them.
    /// - Throws: ``WeightSealError/Code/malformedKey`` naming the first framing error (no OCTET STRING, a length
    ///   running past its data, trailing bytes, an empty list or SCT, a v1 SCT that is not well formed);
    ///   ``WeightSealError/Code/limitExceeded`` past ``maxListBytes`` or ``maxCount``.
    static func parseList(extensionValue: ArraySlice<UInt8>) throws(WeightSealError) -> [Entry] {
        // The OCTET STRING's header adds at most 4 bytes to a list of at most 2 + 65535 bytes.
        guard extensionValue.count <= maxListBytes + 2 + 4 else {
            throw WeightSealError(.limitExceeded,
                                  "the SCT extension is \(extensionValue.count) bytes (at most \(maxListBytes) of list)")
        }
        let list: ArraySlice<UInt8>
        do {
            list = try ASN1OctetString(derEncoded: extensionValue).bytes
        } catch {
            throw WeightSealError(.malformedKey, "the SCT extension value is not a DER OCTET STRING")
        }
        var reader = TLSReader(list)
        let items = try reader.vector16(what: "SignedCertificateTimestampList")
        guard reader.isAtEnd else {
            throw WeightSealError(.malformedKey, "\(reader.remaining) bytes follow the SignedCertificateTimestampList")
        }
        guard !items.isEmpty else {
            throw WeightSealError(.malformedKey, "the SignedCertificateTimestampList is empty")
        }
        var entries = [Entry]()
        var itemReader = TLSReader(items)
        while !itemReader.isAtEnd {
            guard entries.count < maxCount else {
                throw WeightSealError(.limitExceeded, "the SCT list has more than \(maxCount) SCTs")
            }
            let n = entries.count + 1
            let serialized = try itemReader.vector16(what: "SCT \(n)")
            guard !serialized.isEmpty else {
                throw WeightSealError(.malformedKey, "SCT \(n) is empty")
            }
            entries.append(try entry(serialized, number: n))
        }
        return entries
    }

    /// One `SerializedSCT`: `sct_version`, then for v1 `id` (32), `timestamp` (u64), `extensions`
    /// (`opaque<0..2^16-1>`) and `digitally-signed` (hash u8, signature u8, `opaque<0..2^16-1>`), nothing after.
    private static func entry(_ bytes: ArraySlice<UInt8>, number n: Int) throws(WeightSealError) -> Entry {
        var r = TLSReader(bytes)
        let version = try r.u8(what: "SCT \(n) version")
        // Only v1's layout is known; a later version is skipped by the caller, not treated as a framing error.
        guard version == 0 else { return .unsupported(version: version) }
        let logID = try r.bytes(32, what: "SCT \(n) log id")
        let timestamp = try r.u64(what: "SCT \(n) timestamp")
        let extensions = try r.vector16(what: "SCT \(n) extensions")
        let hash = try r.u8(what: "SCT \(n) hash algorithm")
        let signatureAlgorithm = try r.u8(what: "SCT \(n) signature algorithm")
        let signature = try r.vector16(what: "SCT \(n) signature")
        guard r.isAtEnd else {
            throw WeightSealError(.malformedKey, "SCT \(n) has \(r.remaining) bytes after its signature")
        }
        return .v1(SignedCertificateTimestamp(
            version: version, logID: Array(logID), timestamp: timestamp, extensions: Array(extensions),
            hashAlgorithm: hash, signatureAlgorithm: signatureAlgorithm, signature: Array(signature)))
    }
}

/// Reads TLS presentation-language fields (RFC 5246 §4) from a byte slice: big-endian integers and
/// length-prefixed vectors. Every read checks the bytes left first, so no input traps.
private struct TLSReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var remaining: Int { bytes.count }

    mutating func bytes(_ count: Int, what: String) throws(WeightSealError) -> ArraySlice<UInt8> {
        guard count <= bytes.count else {
            throw WeightSealError(.malformedKey, "\(what) needs \(count) bytes, \(bytes.count) left (truncated)")
        }
        let out = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return out
    }

    mutating func u8(what: String) throws(WeightSealError) -> UInt8 {
        try bytes(1, what: what).first ?? 0
    }

    mutating func u64(what: String) throws(WeightSealError) -> UInt64 {
        try bytes(8, what: what).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// An `opaque<0..2^16-1>`: a big-endian u16 length, then that many bytes.
    mutating func vector16(what: String) throws(WeightSealError) -> ArraySlice<UInt8> {
        let length = try bytes(2, what: "\(what) length").reduce(0) { $0 << 8 | Int($1) }
        return try bytes(length, what: what)
    }
}
