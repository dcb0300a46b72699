import Crypto
import Foundation
import SwiftASN1
import X509

/// An SCT whose signature verified with the key of a CT log of the trusted root, at a time that key was valid.
struct VerifiedSCT: Sendable, Hashable {
    /// The log's `logId.keyId`: SHA-256 of its DER SubjectPublicKeyInfo, 32 bytes.
    var logID: [UInt8]
    /// The log's `baseUrl` in the trusted root, e.g. `https://ctfe.sigstore.dev/2022`.
    var logURL: String
    /// The SCT's `timestamp`: when the log promised to include the certificate (millisecond precision).
    var timestamp: Date
}

/// Why the SCTs of a certificate did not verify. The message names the certificate's SCTs by position (1-based)
/// and, for each that failed, what failed.
struct SCTFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed, for a person.
    var message: String

    var description: String { message }
}

/// Verifies the Signed Certificate Timestamps embedded in a Fulcio certificate against the CT logs of a trusted
/// root (RFC 6962 §3.2–3.3; sigstore-go `verify.VerifySignedCertificateTimestamp`, certificate-transparency-go
/// `ctutil.VerifySCT`).
///
/// A log issues an SCT for the precertificate, then the CA adds the SCT list to the final certificate. So the
/// signature covers the final certificate's TBSCertificate with the SCT extension taken out, bound to the issuer
/// by the hash of the issuer's key.
enum SignedCertificateTimestampVerifier {
    /// Verifies the SCTs embedded in `leaf` (extension 1.3.6.1.4.1.11129.2.4.2) issued by `issuer`.
    ///
    /// Each v1 SCT is checked against the logs whose `logId` equals its log ID: its `timestamp` must lie in the
    /// log key's `validFor`, its algorithm must be the key's scheme, and its signature must verify over the
    /// RFC 6962 §3.2 `digitally-signed` data of a `precert_entry`. SCTs of logs the root does not list, and of
    /// versions other than v1, are skipped (they count for nothing). A malformed SCT list fails as a whole.
    ///
    /// - Parameters:
    ///   - leaf: the certificate carrying the SCT list (the Fulcio signing certificate).
    ///   - issuer: the certificate that signed `leaf`; the SCTs bind the SHA-256 of its SubjectPublicKeyInfo.
    ///     The caller has already verified that it issued `leaf`.
    ///   - logs: the trusted root's CT logs (``TrustedRoot/certificateTransparencyLogs``).
    ///   - threshold: how many distinct logs must have a verified SCT (sigstore-go's default is 1). Values
    ///     below 1 count as 1: a certificate never passes with no verified SCT.
    /// - Returns: on success the verified SCTs, one per log (the first of that log in list order), in list
    ///   order; otherwise an ``SCTFailure`` naming the missing extension, the malformed list, or each SCT that
    ///   failed and why (unknown log, key not valid at the SCT's time, algorithm, bad signature).
    static func verify(leaf: Certificate, issuer: Certificate, logs: [TrustedRoot.TransparencyLog],
                       threshold: Int = 1) -> Result<[VerifiedSCT], SCTFailure> {
        let required = max(threshold, 1)
        guard let sctExtension = leaf.extensions[oid: SignedCertificateTimestamp.extensionOID] else {
            return .failure(SCTFailure(
                message: "the certificate has no embedded SCT list (extension 1.3.6.1.4.1.11129.2.4.2)"))
        }
        let entries: [SignedCertificateTimestamp.Entry]
        do {
            entries = try SignedCertificateTimestamp.parseList(extensionValue: sctExtension.value)
        } catch {
            return .failure(SCTFailure(message: "malformed SCT list: \(error.message)"))
        }
        let tbs: [UInt8]
        let issuerKeyHash: [UInt8]
        do {
            tbs = try precertificateTBS(of: leaf)
            issuerKeyHash = Array(SHA256.hash(data: try subjectPublicKeyInfo(of: issuer)))
        } catch {
            return .failure(SCTFailure(message: "cannot rebuild the signed precertificate entry: \(error.message)"))
        }

        var verified = [VerifiedSCT]()
        var reasons = [String]()
        for (index, entry) in entries.enumerated() {
            let n = index + 1
            guard case .v1(let sct) = entry else {
                if case .unsupported(let version) = entry {
                    reasons.append("SCT \(n) has unsupported version \(version)")
                }
                continue
            }
            let candidates = logs.filter { $0.logID == sct.logID }
            guard !candidates.isEmpty else {
                reasons.append("SCT \(n) is from log \(sct.logID.hexString), not a CT log of the trusted root")
                continue
            }
            let message: [UInt8]
            do {
                message = try signedData(sct, issuerKeyHash: issuerKeyHash, tbs: tbs)
            } catch {
                reasons.append("SCT \(n): \(error.message)")
                continue
            }
            // Several entries may share a log ID (one key, several validity windows): any one suffices.
            var accepted: TrustedRoot.TransparencyLog?
            for log in candidates {
                if let reason = check(sct, message: message, log: log) {
                    reasons.append("SCT \(n) from \(log.baseURL): \(reason)")
                } else {
                    accepted = log
                    break
                }
            }
            guard let log = accepted else { continue }
            if verified.contains(where: { $0.logID == log.logID }) {
                reasons.append("SCT \(n) from \(log.baseURL) verified, but an earlier SCT of that log already counted")
                continue
            }
            verified.append(VerifiedSCT(logID: log.logID, logURL: log.baseURL, timestamp: sct.date))
        }

        if verified.count >= required { return .success(verified) }
        let detail = reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
        if verified.isEmpty {
            return .failure(SCTFailure(message: "no SCT verified (\(entries.count) embedded)\(detail)"))
        }
        return .failure(SCTFailure(
            message: "SCTs of \(verified.count) distinct CT logs verified, \(required) required\(detail)"))
    }

    /// Why `sct` does not verify with `log`, or `nil` when it does.
    private static func check(_ sct: SignedCertificateTimestamp, message: [UInt8],
                              log: TrustedRoot.TransparencyLog) -> String? {
        // sigstore-go skips an SCT outside its log key's validity: a retired key proves nothing after retirement.
        guard log.validFor.contains(sct.date) else {
            return "SCT time \(timeText(sct.date)) is outside the log key's validity "
                + "(\(log.validFor.start.map(timeText) ?? "open") to \(log.validFor.end.map(timeText) ?? "open"))"
        }
        guard let expected = algorithm(forKeyDetails: log.publicKey.keyDetails),
              expected == (sct.hashAlgorithm, sct.signatureAlgorithm) else {
            return "signed with TLS algorithm (hash \(sct.hashAlgorithm), signature \(sct.signatureAlgorithm)), "
                + "which the log's \(log.publicKey.keyDetails) key does not use"
        }
        guard log.publicKey.isValidSignature(sct.signature, for: message) else {
            return "signature does not verify with the log's key"
        }
        return nil
    }

    /// The TLS 1.2 `SignatureAndHashAlgorithm` (hash, signature) a key of this protobuf-specs scheme signs SCTs
    /// with (RFC 5246 §7.4.1.4.1; Ed25519 as RFC 8446 codes it, 0x0807); `nil` for a scheme CT does not define.
    private static func algorithm(forKeyDetails details: String) -> (UInt8, UInt8)? {
        switch details {
        case "PKIX_ECDSA_P256_SHA_256": return (4, 3)
        case "PKIX_ECDSA_P384_SHA_384": return (5, 3)
        case "PKIX_ECDSA_P521_SHA_512": return (6, 3)
        case "PKIX_ED25519": return (8, 7)
        case "PKCS1_RSA_PKCS1V5", "PKIX_RSA_PKCS1V5", "PKIX_RSA_PKCS1V15_2048_SHA256",
             "PKIX_RSA_PKCS1V15_3072_SHA256", "PKIX_RSA_PKCS1V15_4096_SHA256": return (4, 1)
        default: return nil
        }
    }

    /// The `digitally-signed` data of an SCT for a precertificate (RFC 6962 §3.2):
    /// `sct_version` (u8) ‖ `signature_type` = certificate_timestamp (u8 0) ‖ `timestamp` (u64 ms) ‖
    /// `entry_type` = precert_entry (u16 1) ‖ `issuer_key_hash` (32) ‖ `tbs_certificate` (u24 length + DER) ‖
    /// `extensions` (u16 length + bytes).
    /// - Throws: ``WeightSealError/Code/limitExceeded`` when the TBSCertificate does not fit a u24 length.
    static func signedData(_ sct: SignedCertificateTimestamp, issuerKeyHash: [UInt8],
                           tbs: [UInt8]) throws(WeightSealError) -> [UInt8] {
        guard tbs.count < 1 << 24 else {
            throw WeightSealError(.limitExceeded, "the TBSCertificate is \(tbs.count) bytes, more than a u24 length holds")
        }
        var out = [UInt8]()
        out.reserveCapacity(2 + 8 + 2 + issuerKeyHash.count + 3 + tbs.count + 2 + sct.extensions.count)
        out.append(sct.version)
        out.append(0)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: sct.timestamp >> UInt64(shift)))
        }
        out += [0, 1]
        out += issuerKeyHash
        out += [UInt8(truncatingIfNeeded: tbs.count >> 16), UInt8(truncatingIfNeeded: tbs.count >> 8),
                UInt8(truncatingIfNeeded: tbs.count)]
        out += tbs
        // The parser read the extensions through a u16 length, so they fit one.
        out += [UInt8(truncatingIfNeeded: sct.extensions.count >> 8), UInt8(truncatingIfNeeded: sct.extensions.count)]
        out += sct.extensions
        return out
    }

    /// The precertificate's TBSCertificate as the log saw it: `leaf`'s TBSCertificate DER with the SCT list
    /// extension removed and nothing else changed (RFC 6962 §3.3). The other extensions keep their order and
    /// bytes; the lengths of the Extensions SEQUENCE, its `[3]` wrapper and the TBSCertificate SEQUENCE are
    /// re-encoded. When the SCT list was the only extension, the `[3]` field is omitted, as Go's `x509` does for
    /// an empty list.
    /// - Throws: ``WeightSealError/Code/malformedKey`` when the TBSCertificate has no extensions field of the
    ///   expected shape, or not exactly one SCT list extension.
    static func precertificateTBS(of leaf: Certificate) throws(WeightSealError) -> [UInt8] {
        let extensionsTag = ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific)
        let tbs: ASN1Node
        do {
            tbs = try DER.parse(leaf.tbsCertificateBytes)
        } catch {
            throw WeightSealError(.malformedKey, "the TBSCertificate is not DER")
        }
        guard case .constructed(let fields) = tbs.content else {
            throw WeightSealError(.malformedKey, "the TBSCertificate is not a SEQUENCE")
        }

        // Each field kept as encoded; the extensions field is replaced by the extensions it keeps (nil: the field).
        var pieces = [(raw: ArraySlice<UInt8>, kept: [ArraySlice<UInt8>]?, listTag: ASN1Identifier?)]()
        var removed = 0
        for field in fields {
            guard field.identifier == extensionsTag else {
                pieces.append((field.encodedBytes, nil, nil))
                continue
            }
            guard case .constructed(let wrapped) = field.content else {
                throw WeightSealError(.malformedKey, "the TBSCertificate's [3] field is not constructed")
            }
            var inside = wrapped.makeIterator()
            guard let list = inside.next(), inside.next() == nil, list.identifier == .sequence,
                  case .constructed(let extensions) = list.content else {
                throw WeightSealError(.malformedKey, "the TBSCertificate's [3] field does not hold a SEQUENCE of extensions")
            }
            var kept = [ArraySlice<UInt8>]()
            for ext in extensions {
                guard case .constructed(let parts) = ext.content, let oidNode = Array(parts).first,
                      let oid = try? ASN1ObjectIdentifier(derEncoded: oidNode) else {
                    throw WeightSealError(.malformedKey, "an extension of the TBSCertificate has no OID")
                }
                if oid == SignedCertificateTimestamp.extensionOID {
                    removed += 1
                } else {
                    kept.append(ext.encodedBytes)
                }
            }
            pieces.append((field.encodedBytes, kept, list.identifier))
        }
        guard removed == 1 else {
            throw WeightSealError(.malformedKey, "the TBSCertificate has \(removed) SCT list extensions, not 1")
        }

        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: tbs.identifier) { tbsCoder in
            for piece in pieces {
                guard let kept = piece.kept, let listTag = piece.listTag else {
                    tbsCoder.serializeRawBytes(piece.raw)
                    continue
                }
                guard !kept.isEmpty else { continue }
                tbsCoder.appendConstructedNode(identifier: extensionsTag) { wrapperCoder in
                    wrapperCoder.appendConstructedNode(identifier: listTag) { listCoder in
                        for ext in kept { listCoder.serializeRawBytes(ext) }
                    }
                }
            }
        }
        return serializer.serializedBytes
    }

    /// The exact DER SubjectPublicKeyInfo of `certificate`, as its TBSCertificate encodes it (the bytes Go's
    /// `RawSubjectPublicKeyInfo` holds; a re-encoding could differ for unusual keys).
    /// - Throws: ``WeightSealError/Code/malformedKey`` when the TBSCertificate does not have the RFC 5280 shape.
    static func subjectPublicKeyInfo(of certificate: Certificate) throws(WeightSealError) -> ArraySlice<UInt8> {
        guard let tbs = try? DER.parse(certificate.tbsCertificateBytes), case .constructed(let fields) = tbs.content else {
            throw WeightSealError(.malformedKey, "the issuer's TBSCertificate is not a DER SEQUENCE")
        }
        // version [0] (optional), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
        var rest = Array(fields)
        if let first = rest.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            rest.removeFirst()
        }
        guard rest.count > 5, rest[5].identifier == .sequence else {
            throw WeightSealError(.malformedKey, "the issuer's TBSCertificate has no SubjectPublicKeyInfo")
        }
        return rest[5].encodedBytes
    }

    private static func timeText(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
