import Crypto
import Foundation
import SwiftASN1

/// An RFC 3161 time-stamp request for a signature (RFC 3161 §2.4.1), and the check of the TSA's answer.
///
/// ```
/// TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
///     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, ... }
/// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
/// ```
/// Sigstore timestamps the signature bytes (the DSSE signature) with SHA-256 and asks for the TSA's certificates.
public struct RFC3161TimeStampRequest: Sendable {
    /// SHA-256 of the timestamped bytes (32 bytes).
    public var hashedMessage: [UInt8]
    /// The nonce's INTEGER content octets (positive, minimal): the answer must repeat it.
    public var nonce: [UInt8]

    /// A request for `data` (here: the signature bytes) with a random 64-bit nonce.
    public init(timestamping data: [UInt8]) {
        hashedMessage = Array(SHA256.hash(data: data))
        var n = (0..<8).map { _ in UInt8.random(in: 0...255) }
        n[0] &= 0x7f
        if n[0] == 0 { n[0] = 1 }  // positive and minimal: no leading 0x00 or sign bit
        nonce = n
    }

    /// The DER `TimeStampReq`, as POSTed with `Content-Type: application/timestamp-query`.
    public var derEncoded: [UInt8] {
        var serializer = DER.Serializer()
        // Serializing these fixed shapes cannot fail: no user-sized or invalid values.
        try! serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(1)
            try s.appendConstructedNode(identifier: .sequence) { imprint in
                try imprint.appendConstructedNode(identifier: .sequence) { algorithm in
                    try algorithm.serialize(RFC3161TimeStampToken.OID.sha256)
                    algorithm.appendPrimitiveNode(identifier: .null) { _ in }
                }
                try imprint.serialize(ASN1OctetString(contentBytes: hashedMessage[...]))
            }
            s.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: nonce) }
            try s.serialize(true)
        }
        return serializer.serializedBytes
    }

    /// Checks a TSA's DER `TimeStampResp` against this request: granted, a well-formed token, the same imprint and
    /// nonce. The signature and chain are checked later against the trusted root, as for any bundle.
    /// - Returns: the token's `genTime`.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming what differs, `limitExceeded` for a huge answer.
    public func check(response der: [UInt8]) throws(WeightSealError) -> Date {
        let token = try RFC3161TimeStampToken.parse(der)
        guard token.info.hashedMessage == hashedMessage else {
            throw WeightSealError(.malformedBundle, "the timestamp's message imprint is not the SHA-256 of the signature")
        }
        guard token.info.nonce == nonce else {
            throw WeightSealError(.malformedBundle, "the timestamp does not repeat the request's nonce")
        }
        return token.info.genTime
    }
}
