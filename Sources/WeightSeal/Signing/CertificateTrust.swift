import Foundation
@_spi(FixedExpiryValidationTime) import X509

/// Trust anchored in X.509 roots: chain building and RFC 5280 validation with swift-certificates.
///
/// ``validate(leaf:intermediates:)`` builds a chain from the signer's leaf certificate through the given
/// intermediates to one of ``roots`` with swift-certificates' `Verifier`, and accepts it only when every one
/// of these policies holds (DESIGN §4, issue #3 "Certificates"):
///
/// 1. RFC 5280 (`RFC5280Policy`): version, validity period of every certificate at ``validationTime``,
///    basic constraints (path length, CA flag of issuers) and name constraints.
/// 2. Signing usage (``signingUsageProblem(_:)``, FIELD-CASES-2 G06): the leaf is not a CA; its key usage, if
///    present, allows `digitalSignature`; its extended key usage, if present, lists `codeSigning` or
///    `anyExtendedKeyUsage`; and at least one of the two extensions is present. Each present extension must allow
///    the use: an "or" between them would let a TLS server certificate (digitalSignature, serverAuth) sign models.
/// 3. Identity: when ``identity`` is set, it equals one of the leaf's email (`rfc822Name`) or URI
///    subject alternative names, compared exactly (byte for byte, case-sensitive).
///
/// **Trust anchors are self-signed CA certificates only.** swift-certificates' RFC 5280 policy would end a
/// chain at *any* certificate in the root store, so an intermediate CA (or even a leaf) put in the roots file
/// would become a trust anchor on its own. weightseal does not allow that: a certificate of ``roots`` is an
/// anchor only when it is self-issued (subject equals issuer), is a CA (basic constraints `CA:TRUE`) and its
/// signature verifies with its own key. Any other certificate of ``roots`` is used as an intermediate (it may
/// complete a chain to a real root, it never ends one), and when no anchor remains the validation is rejected
/// with a message naming the certificates that were not accepted as roots. ``load(rootsFile:identity:validationTime:)``
/// does not throw for such a file: the outcome is a rejection, like any other untrusted chain.
///
/// Modelled on SwiftPM's `PackageSigning` (`VerifierPolicies.swift`) and swift-certificates' `Verifier`.
public struct CertificateTrust: Sendable {
    /// Trusted root certificates (self-signed CA certificates; see the type's discussion for the others).
    public var roots: [Certificate]
    /// An email or URI SAN the leaf must carry, if any (exact match).
    public var identity: String?
    /// Validation time; `nil` means now (read once at the start of each ``validate(leaf:intermediates:)``).
    public var validationTime: Date?

    /// Creates a trust configuration.
    ///
    /// - Parameters:
    ///   - roots: Trusted root certificates; only self-signed CA certificates among them act as anchors.
    ///   - identity: An email address or URI that must equal an email or URI SAN of the leaf.
    ///   - validationTime: The time at which certificates must be valid (`--at` for audits); `nil` for now.
    public init(roots: [Certificate], identity: String? = nil, validationTime: Date? = nil) {
        self.roots = roots
        self.identity = identity
        self.validationTime = validationTime
    }

    /// Reads the trusted roots from a PEM file (one or more `CERTIFICATE` blocks).
    ///
    /// - Parameters:
    ///   - rootsFile: Path of the PEM file (`--certificate-roots`).
    ///   - identity: See ``identity``.
    ///   - validationTime: See ``validationTime``.
    /// - Throws: ``WeightSealError/Code/io`` if the file cannot be read, ``WeightSealError/Code/limitExceeded``
    ///   beyond ``Limits/maxRootCertificatesBytes``, ``Limits/maxRootCertificates`` or, for one certificate,
    ///   ``Limits/maxCertificateBytes``; ``WeightSealError/Code/malformedKey``
    ///   naming the file if it holds no certificate or a malformed one. A file whose certificates are not
    ///   self-signed roots loads fine; ``validate(leaf:intermediates:)`` then rejects.
    public static func load(rootsFile: String, identity: String? = nil,
                            validationTime: Date? = nil) throws(WeightSealError) -> CertificateTrust {
        let roots = try loadCertificates(pemFile: rootsFile, maxBytes: Limits.maxRootCertificatesBytes,
                                         maxCount: Limits.maxRootCertificates)
        return CertificateTrust(roots: roots, identity: identity, validationTime: validationTime)
    }

    /// Validates `leaf` through `intermediates` to one of the self-signed ``roots``.
    ///
    /// Never throws: an untrusted chain is a ``CertificateVerdict/rejected(_:)`` with ONE finding of kind
    /// ``Finding/Kind/certificateInvalid`` (expired or not-yet-valid certificate at ``validationTime``, both bounds
    /// inclusive; a leaf not for code signing; no chain to a
    /// trusted root, no self-signed root among ``roots``, other RFC 5280 failures) or
    /// ``Finding/Kind/identityMismatch`` (the leaf does not carry ``identity``), whose message names the reason.
    ///
    /// - Parameters:
    ///   - leaf: The signer's certificate.
    ///   - intermediates: Certificates that may complete the chain (from the signature file), in any order;
    ///     at most ``Limits/maxCertificates``.
    /// - Returns: ``CertificateVerdict/trusted(identities:subject:)`` with the leaf's email/URI SANs and subject.
    public func validate(leaf: Certificate, intermediates: [Certificate]) async -> CertificateVerdict {
        let time = validationTime ?? Date()
        guard intermediates.count <= Limits.maxCertificates else {
            return .rejected(Finding(.certificateInvalid, message:
                "certificate chain has \(intermediates.count) intermediate certificates, more than the limit of \(Limits.maxCertificates)"))
        }

        // Only self-signed CA certificates are anchors; the others may still serve as intermediates.
        var anchors: [Certificate] = []
        var notAnchors: [(certificate: Certificate, reason: String)] = []
        for root in roots {
            if let reason = Self.trustAnchorProblem(root) {
                notAnchors.append((root, reason))
            } else {
                anchors.append(root)
            }
        }
        guard !anchors.isEmpty else {
            return .rejected(CertificateFindings.noTrustAnchor(rootCount: roots.count, notAnchors: notAnchors))
        }

        let identity = self.identity
        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            SigningUsagePolicy()
            IdentityPolicy(identity: identity)
        }
        // Each certificate once: a duplicate would only make the verifier try the same chain twice.
        var seen = Set<Certificate>()
        let pool = (intermediates + notAnchors.map(\.certificate)).filter { seen.insert($0).inserted }
        let intermediateStore = CertificateStore(pool)
        let result = await verifier.validate(leaf: leaf, intermediates: intermediateStore)

        switch result {
        case .validCertificate:
            return .trusted(identities: Self.identities(of: leaf), subject: leaf.subject.description)
        case .couldNotValidate(let failures):
            let context = CertificateFindings.Context(
                leaf: leaf, identity: identity, time: time,
                anchors: anchors, intermediates: intermediates, notAnchors: notAnchors,
                handledCriticalExtensions: verifier.policy.verifyingCriticalExtensions)
            return .rejected(CertificateFindings.finding(for: failures, context: context))
        }
    }
}

/// Outcome of a certificate chain validation: a value, never thrown.
public enum CertificateVerdict: Sendable {
    /// The chain is valid; `identities` are the leaf's email and URI SANs, `subject` its subject name
    /// (RFC 4514 string, e.g. `CN=model-signer@example.test,O=OMS interop test`).
    case trusted(identities: [String], subject: String)
    /// Rejected, with the reason (kind ``Finding/Kind/certificateInvalid`` or ``Finding/Kind/identityMismatch``).
    case rejected(Finding)
}
