import SwiftASN1
import X509

extension CertificateTrust {
    /// The email (`rfc822Name`) and URI subject alternative names of `certificate`, in certificate order.
    ///
    /// These are the names `--identity` is compared with, and what reports show as the signer.
    /// An absent or unparseable SAN extension gives `[]`.
    public static func identities(of certificate: Certificate) -> [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .rfc822Name(let email): return email
            case .uniformResourceIdentifier(let uri): return uri
            default: return nil
            }
        }
    }

    /// Why `certificate` cannot be a trust anchor, or `nil` if it can: anchors are self-issued
    /// (subject = issuer), CA (basic constraints `CA:TRUE`) and self-signed (signature verifies with own key).
    static func trustAnchorProblem(_ certificate: Certificate) -> String? {
        guard certificate.subject == certificate.issuer else {
            return "not self-issued (issuer '\(certificate.issuer)')"
        }
        switch try? certificate.extensions.basicConstraints {
        case .isCertificateAuthority?: break
        case .notCertificateAuthority?: return "not a CA certificate (basic constraints CA:FALSE)"
        case nil: return "not a CA certificate (no basic constraints extension)"
        }
        guard certificate.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            return "its self-signature does not verify"
        }
        return nil
    }

    /// Why `leaf` may not sign, or `nil` if its key usage allows `digitalSignature` or its extended key
    /// usage lists `codeSigning`. The message starts with "certificate has no signing usage".
    static func signingUsageProblem(_ leaf: Certificate) -> String? {
        let keyUsage = try? leaf.extensions.keyUsage
        let extendedKeyUsage = try? leaf.extensions.extendedKeyUsage
        if keyUsage?.digitalSignature == true { return nil }
        if let extendedKeyUsage, extendedKeyUsage.contains(.codeSigning) { return nil }
        let ku = keyUsage.map { "\($0)".isEmpty ? "empty" : "\($0)" } ?? "none"
        let eku = extendedKeyUsage.map { $0.isEmpty ? "empty" : $0.map { "\($0)" }.joined(separator: ", ") } ?? "none"
        return "certificate has no signing usage: key usage does not allow digitalSignature and extended key usage "
            + "does not list codeSigning (leaf '\(leaf.subject)'; key usage: \(ku); extended key usage: \(eku))"
    }

    /// Why `leaf` does not carry `identity` as an email or URI SAN, or `nil` if it does (or `identity` is `nil`).
    static func identityProblem(_ leaf: Certificate, identity: String?) -> String? {
        guard let identity else { return nil }
        let names = identities(of: leaf)
        if names.contains(identity) { return nil }
        let found = names.isEmpty
            ? "the leaf certificate has no email or URI subject alternative name"
            : "the leaf certificate's email/URI SANs are: \(names.joined(separator: ", "))"
        return "identity '\(identity)' not found in the signing certificate: \(found) (subject '\(leaf.subject)')"
    }
}

/// The leaf must be allowed to sign: key usage `digitalSignature` or extended key usage `codeSigning`
/// (as SwiftPM's `_CodeSigningPolicy`, but accepting either). Declares the extended key usage extension
/// as understood, since it is what this policy reads.
struct SigningUsagePolicy: VerifierPolicy, Sendable {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        if let problem = CertificateTrust.signingUsageProblem(chain.leaf) {
            return .failsToMeetPolicy(reason: problem)
        }
        return .meetsPolicy
    }
}

/// When `identity` is set, the leaf must carry it as an email or URI SAN. Always part of the policy (a no-op
/// without identity) so that a critical SAN extension (as in certificates with an empty subject) is understood
/// the same way with and without `--identity`: weightseal reads the SANs for its reports either way.
struct IdentityPolicy: VerifierPolicy, Sendable {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]
    let identity: String?

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        if let problem = CertificateTrust.identityProblem(chain.leaf, identity: identity) {
            return .failsToMeetPolicy(reason: problem)
        }
        return .meetsPolicy
    }
}
