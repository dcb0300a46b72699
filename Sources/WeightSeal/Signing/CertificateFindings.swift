import Foundation
import SwiftASN1
import X509

/// Turns swift-certificates' `.couldNotValidate([PolicyFailure])` into the ONE finding a
/// ``CertificateVerdict/rejected(_:)`` carries, with a message that names the reason.
enum CertificateFindings {
    /// What the explanation needs besides the failures.
    struct Context {
        let leaf: Certificate
        let identity: String?
        let time: Date
        let anchors: [Certificate]
        let intermediates: [Certificate]
        let notAnchors: [(certificate: Certificate, reason: String)]
        let handledCriticalExtensions: [ASN1ObjectIdentifier]
    }

    // MARK: - No anchor at all

    /// No certificate of the roots is a self-signed CA (e.g. an intermediate given as the only root).
    static func noTrustAnchor(rootCount: Int, notAnchors: [(certificate: Certificate, reason: String)]) -> Finding {
        guard rootCount > 0 else {
            return Finding(.certificateInvalid, message: "no trusted root certificate was given")
        }
        let which = notAnchors.map { "'\($0.certificate.subject)' is \($0.reason)" }.joined(separator: "; ")
        return Finding(
            .certificateInvalid,
            message: "no trust anchor: none of the \(rootCount) certificate(s) given as roots is a self-signed root CA "
                + "certificate, and an intermediate or leaf certificate cannot be a trust anchor (\(which))",
            hints: ["give the self-signed root CA of the signer's chain as the roots; intermediates belong in the "
                + "signature's certificate chain"])
    }

    // MARK: - Failures of the verifier

    /// The finding for a failed validation: among several candidate chains, the one that got furthest through
    /// the policies (RFC 5280, then signing usage, then identity) explains the rejection.
    static func finding(for failures: [CertificateValidationResult.PolicyFailure], context: Context) -> Finding {
        var best: (rank: Int, finding: Finding)?
        for failure in failures {
            let candidate = classify(failure, context: context)
            if let current = best, candidate.rank <= current.rank { continue }
            best = candidate
        }
        guard var finding = best?.finding else { return noChain(context: context) }
        if failures.count > 1 {
            finding.hints.append("\(failures.count) candidate chains were rejected; this is the one that got furthest")
        }
        return finding
    }

    /// Rank: 2 = failed only on identity, 1 = failed on signing usage, 0 = failed RFC 5280.
    private static func classify(_ failure: CertificateValidationResult.PolicyFailure,
                                 context: Context) -> (rank: Int, finding: Finding) {
        let reason = failure.policyFailureReason.description
        let leaf = context.leaf
        if let problem = CertificateTrust.identityProblem(leaf, identity: context.identity), problem == reason {
            let names = CertificateTrust.identities(of: leaf)
            return (2, Finding(.identityMismatch, message: problem, expected: context.identity,
                               actual: names.isEmpty ? nil : names.joined(separator: ", ")))
        }
        if let problem = CertificateTrust.signingUsageProblem(leaf), problem == reason {
            return (1, Finding(.certificateInvalid, message: problem))
        }
        let chain = Array(failure.chain)
        if let finding = validityProblem(chain: chain, time: context.time) {
            return (0, finding)
        }
        let path = chain.map { "'\($0.subject)'" }.joined(separator: " -> ")
        return (0, Finding(.certificateInvalid, message: "certificate chain rejected: \(reason) (chain \(path))"))
    }

    /// The first certificate of `chain` (leaf first) not valid at `time`, as a finding.
    static func validityProblem(chain: [Certificate], time: Date) -> Finding? {
        for (index, certificate) in chain.enumerated() {
            let role = index == 0 ? "leaf" : index == chain.count - 1 ? "root" : "intermediate"
            let who = "\(role) '\(certificate.subject)'"
            let notBefore = certificate.notValidBefore
            let notAfter = certificate.notValidAfter
            let period = "valid from \(iso(notBefore)) to \(iso(notAfter))"
            let at = "valid at \(iso(time))"
            if notBefore > notAfter {
                return Finding(.certificateInvalid, message:
                    "certificate has an invalid validity period: it ends (\(iso(notAfter))) before it starts "
                        + "(\(iso(notBefore))) (\(who))", expected: at, actual: period)
            }
            if time < notBefore {
                return Finding(.certificateInvalid, message:
                    "certificate not yet valid: valid from \(iso(notBefore)) (\(who); validation time \(iso(time)))",
                    expected: at, actual: period)
            }
            if time > notAfter {
                var hints: [String] = []
                if index == 0 {
                    hints.append("a signature made while the certificate was valid can be audited at that time "
                        + "(verify --at RFC3339)")
                }
                return Finding(.certificateInvalid, message:
                    "certificate expired at \(iso(notAfter)) (\(who); validation time \(iso(time)))",
                    expected: at, actual: period, hints: hints)
            }
        }
        return nil
    }

    // MARK: - No chain was built

    /// Explains why the verifier built no candidate chain: walks up from the leaf to where the chain stops.
    static func noChain(context: Context) -> Finding {
        let leaf = context.leaf
        let unhandledLeaf = unhandledCriticalExtensions(leaf, context: context)
        if !unhandledLeaf.isEmpty {
            return Finding(.certificateInvalid, message:
                "certificate has critical extension(s) weightseal does not process: \(unhandledLeaf.joined(separator: ", ")) "
                    + "(leaf '\(leaf.subject)')")
        }
        let pool = context.anchors.map { (certificate: $0, isAnchor: true) }
            + (context.intermediates + context.notAnchors.map(\.certificate)).map { (certificate: $0, isAnchor: false) }
        let prefix = "no certificate chain to a trusted root"
        var message = "\(prefix) could be built from the leaf '\(leaf.subject)'"
        var tip = leaf
        var seen: Set<Certificate> = [leaf]
        walk: for _ in 0...(Limits.maxCertificates + 1) {
            let describeTip = tip == leaf ? "the leaf certificate '\(tip.subject)'" : "certificate '\(tip.subject)'"
            let named = pool.filter { $0.certificate.subject == tip.issuer }
            if named.isEmpty {
                message = "\(prefix): no trusted root (\(context.anchors.count) given) or intermediate certificate "
                    + "has the subject '\(tip.issuer)', the issuer of \(describeTip)"
                break walk
            }
            let signers = named.filter { $0.certificate.publicKey.isValidSignature(tip.signature, for: tip) }
            if signers.isEmpty {
                message = "\(prefix): the signature of \(describeTip) does not verify with the key of any given "
                    + "certificate named '\(tip.issuer)' (\(named.count) found; a different CA with the same name?)"
                break walk
            }
            let usable = signers.filter {
                !seen.contains($0.certificate) && unhandledCriticalExtensions($0.certificate, context: context).isEmpty
            }
            guard let next = usable.first else {
                if let blocked = signers.first(where: { !unhandledCriticalExtensions($0.certificate, context: context).isEmpty }) {
                    let oids = unhandledCriticalExtensions(blocked.certificate, context: context)
                    message = "\(prefix): issuer '\(blocked.certificate.subject)' has critical extension(s) weightseal "
                        + "does not process: \(oids.joined(separator: ", "))"
                }
                break walk
            }
            if next.isAnchor { break walk }  // Unexpected: the verifier should have tried this chain.
            tip = next.certificate
            seen.insert(tip)
        }
        return Finding(.certificateInvalid, message: message, hints: notAnchorHints(context))
    }

    private static func unhandledCriticalExtensions(_ certificate: Certificate, context: Context) -> [String] {
        certificate.extensions
            .filter { $0.critical && !context.handledCriticalExtensions.contains($0.oid) }
            .map { "\($0.oid)" }
    }

    private static func notAnchorHints(_ context: Context) -> [String] {
        context.notAnchors.map {
            "'\($0.certificate.subject)' was given as a root but is not a trust anchor: \($0.reason); "
                + "only self-signed root CA certificates are"
        }
    }

    /// RFC 3339 / ISO 8601 UTC, e.g. `2026-11-29T19:23:03Z`.
    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
