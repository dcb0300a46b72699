import Foundation
import SwiftASN1
import X509

/// What a Fulcio-issued leaf certificate says about its signer (Fulcio `docs/oid-info.md`).
public struct FulcioIdentity: Sendable, Hashable {
    /// The subject alternative names, in certificate order: email, URI, and Fulcio's `otherName` usernames.
    public var subjectAlternativeNames: [String]
    /// The OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String), else the deprecated 1.3.6.1.4.1.57264.1.1
    /// (raw string bytes); `nil` when neither is present.
    public var issuer: String?

    /// OID of the OIDC issuer extension (v2, DER-encoded UTF8String).
    public static let issuerV2OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]
    /// OID of the deprecated OIDC issuer extension (v1, the string's bytes unwrapped).
    public static let issuerV1OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]
    /// OID of `otherName` SANs Fulcio uses for usernames (`1.3.6.1.4.1.57264.1.7`).
    static let usernameOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 7]

    /// Reads the identity of `certificate`.
    public init(certificate: Certificate) {
        var names = [String]()
        if let sans = try? certificate.extensions.subjectAlternativeNames {
            for name in sans {
                switch name {
                case .rfc822Name(let s), .uniformResourceIdentifier(let s), .dnsName(let s): names.append(s)
                case .otherName(let other) where other.typeID == Self.usernameOID:
                    if let v = other.value, let s = try? ASN1UTF8String(asn1Any: v) { names.append(String(s)) }
                default: break
                }
            }
        }
        subjectAlternativeNames = names
        var issuer: String? = nil
        if let ext = certificate.extensions[oid: Self.issuerV2OID] {
            if let s = try? ASN1UTF8String(derEncoded: ext.value) { issuer = String(s) }
        } else if let ext = certificate.extensions[oid: Self.issuerV1OID] {
            issuer = String(validating: Array(ext.value), as: UTF8.self)
        }
        self.issuer = issuer
    }
}

/// Who the verifier expects to have signed a keyless bundle (sigstore-go `verify.CertificateIdentity`).
public struct CertificateIdentity: Sendable {
    /// How the SAN is matched.
    public enum SubjectAlternativeName: Sendable {
        /// Equal, byte for byte, to one SAN (`--certificate-identity`).
        case exact(String)
        /// A regular expression (ICU syntax) that must match a whole SAN (`--certificate-identity-regexp`).
        case regularExpression(String)
    }

    /// The SAN rule.
    public var subjectAlternativeName: SubjectAlternativeName
    /// The OIDC issuer, compared exactly (`--certificate-oidc-issuer`).
    public var issuer: String

    /// - Throws: ``WeightSealError/Code/invalidArgument`` for a regular expression that does not compile.
    public init(subjectAlternativeName: SubjectAlternativeName, issuer: String) throws(WeightSealError) {
        if case .regularExpression(let pattern) = subjectAlternativeName {
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                throw WeightSealError(.invalidArgument, "--certificate-identity-regexp is not a valid regular expression: \(pattern)")
            }
        }
        self.subjectAlternativeName = subjectAlternativeName
        self.issuer = issuer
    }

    /// Why `identity` does not satisfy this expectation, or `nil`.
    func problem(with identity: FulcioIdentity) -> (kind: Finding.Kind, message: String)? {
        let names = identity.subjectAlternativeNames
        let matched: Bool
        let wanted: String
        switch subjectAlternativeName {
        case .exact(let s):
            matched = names.contains(s)
            wanted = "identity \"\(s)\""
        case .regularExpression(let pattern):
            wanted = "an identity matching /\(pattern)/"
            let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$")
            matched = regex.map { r in
                names.contains { r.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
            } ?? false
        }
        if !matched {
            let found = names.isEmpty ? "none" : names.map { "\"\($0)\"" }.joined(separator: ", ")
            return (.identityMismatch, "identity mismatch: expected \(wanted); the certificate's subject alternative names: \(found)")
        }
        guard let actual = identity.issuer else {
            return (.issuerMismatch, "issuer mismatch: expected OIDC issuer \"\(issuer)\"; the certificate has no issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)")
        }
        if actual != issuer {
            return (.issuerMismatch, "issuer mismatch: expected OIDC issuer \"\(issuer)\", the certificate names \"\(actual)\"")
        }
        return nil
    }
}

