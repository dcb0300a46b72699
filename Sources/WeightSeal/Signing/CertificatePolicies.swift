import Foundation
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

    /// Why `leaf` may not sign models, or `nil` if it may (DESIGN §4, FIELD-CASES-2 G06). Every part must hold:
    ///
    /// - it is not a CA (basic constraints, if present, is not `CA:TRUE`);
    /// - its key usage, if present, includes `digitalSignature`;
    /// - its extended key usage, if present, includes `codeSigning` or `anyExtendedKeyUsage`;
    /// - at least one of the two usage extensions is present (weightseal is stricter than RFC 5280 here: a leaf
    ///   that states no purpose at all is not taken as a signing certificate).
    ///
    /// A usage or basic-constraints extension that does not parse is a reason, never "absent". The message starts
    /// with "certificate is not for code signing:" and ends with the leaf's subject and both usages.
    static func signingUsageProblem(_ leaf: Certificate) -> String? {
        let keyUsage: KeyUsage?
        let extendedKeyUsage: ExtendedKeyUsage?
        let basicConstraints: BasicConstraints?
        do {
            keyUsage = try leaf.extensions.keyUsage
        } catch {
            return "certificate is not for code signing: its key usage extension is malformed (leaf '\(leaf.subject)')"
        }
        do {
            extendedKeyUsage = try leaf.extensions.extendedKeyUsage
        } catch {
            return "certificate is not for code signing: its extended key usage extension is malformed (leaf '\(leaf.subject)')"
        }
        do {
            basicConstraints = try leaf.extensions.basicConstraints
        } catch {
            return "certificate is not for code signing: its basic constraints extension is malformed (leaf '\(leaf.subject)')"
        }
        let reason: String
        if case .isCertificateAuthority? = basicConstraints {
            reason = "the signing certificate is a CA (basic constraints CA:TRUE)"
        } else if let keyUsage, !keyUsage.digitalSignature {
            reason = "key usage lacks digitalSignature"
        } else if let extendedKeyUsage, !extendedKeyUsage.contains(.codeSigning), !extendedKeyUsage.contains(.any) {
            reason = "extended key usage does not permit code signing (it lists neither codeSigning nor anyExtendedKeyUsage)"
        } else if keyUsage == nil && extendedKeyUsage == nil {
            reason = "it has neither a key usage nor an extended key usage extension, so it states no signing purpose"
        } else {
            return nil
        }
        let ku = keyUsage.map { "\($0)".isEmpty ? "empty" : "\($0)" } ?? "none"
        let eku = extendedKeyUsage.map { $0.isEmpty ? "empty" : $0.map { "\($0)" }.joined(separator: ", ") } ?? "none"
        return "certificate is not for code signing: \(reason) (leaf '\(leaf.subject)'; key usage: \(ku); "
            + "extended key usage: \(eku))"
    }

    /// Why `leaf` is not valid at `time`, or `nil`: both bounds are inclusive (RFC 5280 §4.1.2.5), so a time equal
    /// to notBefore or notAfter is inside. The message names the bound that was crossed.
    static func validityProblem(_ leaf: Certificate, at time: Date) -> String? {
        let notBefore = leaf.notValidBefore, notAfter = leaf.notValidAfter
        let iso = CertificateFindings.iso
        if notBefore > notAfter {
            return "certificate has an invalid validity period: notAfter \(iso(notAfter)) is before notBefore \(iso(notBefore)) (leaf '\(leaf.subject)')"
        }
        if time < notBefore {
            return "certificate not yet valid: notBefore is \(iso(notBefore)), it is now \(iso(time)) (leaf '\(leaf.subject)')"
        }
        if time > notAfter {
            return "certificate expired: notAfter was \(iso(notAfter)), it is now \(iso(time)) (leaf '\(leaf.subject)')"
        }
        return nil
    }

    /// Refuses a signing certificate that ``validate(leaf:intermediates:)`` would reject for its own sake, so that
    /// `sign` never writes a signature nobody can verify (DESIGN §4; FIELD-CASES-2 G05, G06): the leaf must be
    /// valid at `time` (bounds inclusive) and meet ``signingUsageProblem(_:)``. The chain to a root is not checked
    /// (the signer need not have the verifier's roots).
    /// - Parameters:
    ///   - leaf: the signing certificate.
    ///   - time: the signing time (now).
    /// - Throws: ``WeightSealError/Code/invalidArgument`` naming the bound crossed or the usage that is missing.
    public static func checkSigningCertificate(_ leaf: Certificate, at time: Date = Date()) throws(WeightSealError) {
        if let problem = validityProblem(leaf, at: time) ?? signingUsageProblem(leaf) {
            throw WeightSealError(.invalidArgument, "refusing to sign with this certificate, verification would reject it: \(problem)")
        }
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

/// The leaf must be meant for code signing (``CertificateTrust/signingUsageProblem(_:)``: not a CA; key usage, if
/// present, with `digitalSignature`; extended key usage, if present, with `codeSigning` or `anyExtendedKeyUsage`; at
/// least one of the two), as SwiftPM's `_CodeSigningPolicy`. Declares the extended key usage extension as
/// understood, since it is what this policy reads.
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
