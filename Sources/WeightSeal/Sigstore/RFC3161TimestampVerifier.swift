import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// A timestamp that verified: the time the TSA vouches for and which TSA.
struct VerifiedTimestamp: Sendable, Hashable {
    /// `TSTInfo.genTime` (RFC 3161 §2.4.2), UTC, with its fraction of a second when the TSA gave one.
    var time: Date
    /// The timestamp authority of the trusted root that verified it: its `uri`, or its subject when it has none.
    var authority: String
}

/// Why a signed timestamp did not verify. The message starts with one of these phrases, followed by details:
/// "timestamp is malformed", "timestamp is not over this signature", "timestamp signature invalid",
/// "timestamp not signed by a trusted TSA", "timestamp outside TSA validity",
/// "timestamp outside certificate validity".
struct TimestampFailure: Error, Sendable, Hashable {
    /// What failed, naming the field, certificate or authority.
    var message: String
}

/// Offline verification of RFC 3161 signed timestamps against the timestamp authorities of a Sigstore trusted root,
/// as sigstore-go does (`pkg/verify/tsa.go`, `root.SigstoreTimestampingAuthority.Verify`).
enum RFC3161TimestampVerifier {
    /// Verifies one `signedTimestamp` over `signature` against the trusted root's TSAs.
    ///
    /// The token must parse (``RFC3161TimeStampToken/parse(_:)``: at most 64 KiB and 16 certificates, one
    /// `SignerInfo`, an id-ct-TSTInfo content), be a `TSTInfo` version 1 whose `messageImprint` is the SHA-256,
    /// SHA-384 or SHA-512 of `signature` (RFC 3161 §2.4.2), and carry signed attributes whose `content-type` is
    /// id-ct-TSTInfo and whose `message-digest` is the `SignerInfo` digest of the `TSTInfo` octets (RFC 5652 §5.4).
    /// Then, for each authority in order, the first one for which all of these hold wins:
    /// 1. the signer certificate (named by `sid`, taken from the token's certificates, else from the authority's
    ///    chain) verifies the signature over the DER of the signed attributes (ECDSA or RSA PKCS#1 v1.5 with
    ///    SHA-256/384/512);
    /// 2. it is the authority's signing certificate (the first of its chain, when the chain has two or more) and
    ///    chains, at `genTime`, to the authority's last certificate (its other certificates and the token's are
    ///    intermediates; the token's certificates are never anchors), with RFC 5280 validity at `genTime` and the
    ///    critical extended key usage `timeStamping` (RFC 3161 §2.3);
    /// 3. `genTime` lies in the authority's `validFor`.
    ///
    /// Never throws: a failure is returned with a message naming what failed, for the authority that came
    /// closest when none verified.
    /// - Parameters:
    ///   - token: The DER `TimeStampResp` (or bare `TimeStampToken`) of `rfc3161Timestamps[].signedTimestamp`.
    ///   - signature: The bundle's signature bytes (`messageSignature.signature`, or the DSSE signature `sig`).
    ///   - authorities: `TrustedRoot.timestampAuthorities`.
    static func verify(token: [UInt8], signature: [UInt8],
                       authorities: [TrustedRoot.CertificateAuthority]) async -> Result<VerifiedTimestamp, TimestampFailure> {
        let parsed: RFC3161TimeStampToken
        do {
            parsed = try RFC3161TimeStampToken.parse(token)
        } catch {
            return .failure(TimestampFailure(message: error.message.hasPrefix("timestamp is malformed")
                ? error.message : "timestamp is malformed: \(error.message)"))
        }
        if let problem = contentProblem(parsed, signature: signature) {
            return .failure(TimestampFailure(message: problem))
        }
        guard !authorities.isEmpty else {
            return .failure(TimestampFailure(message: "timestamp not signed by a trusted TSA: the trusted root has no timestamp authority"))
        }

        var closest: (stage: Stage, message: String)?
        for authority in authorities {
            switch await check(parsed, against: authority) {
            case .success(let verified):
                return .success(verified)
            case .failure(let failure):
                if let current = closest, current.stage >= failure.stage { continue }
                closest = (failure.stage, failure.message)
            }
        }
        let count = authorities.count
        let message = closest?.message ?? "timestamp not signed by a trusted TSA"
        return .failure(TimestampFailure(message: count == 1 ? message
            : "\(message) (the closest of \(count) timestamp authorities)"))
    }

    // MARK: Checks that do not depend on the authority

    /// The `TSTInfo` and signed-attribute checks, or `nil` when they pass.
    private static func contentProblem(_ token: RFC3161TimeStampToken, signature: [UInt8]) -> String? {
        guard token.info.version == 1 else {
            return "timestamp is malformed: TSTInfo version is \(token.info.version), not 1"
        }
        let imprint = digest(signature, token.info.hashAlgorithm)
        guard imprint == token.info.hashedMessage else {
            return "timestamp is not over this signature: its message imprint (\(token.info.hashAlgorithm.rawValue) "
                + "\(token.info.hashedMessage.hexString)) differs from the signature's (\(imprint.hexString))"
        }
        guard token.contentTypeAttribute == RFC3161TimeStampToken.OID.tstInfo else {
            return "timestamp signature invalid: the content-type attribute is \(token.contentTypeAttribute), not id-ct-TSTInfo"
        }
        guard digest(token.encapsulatedContent, token.digestAlgorithm) == token.messageDigestAttribute else {
            return "timestamp signature invalid: the message-digest attribute is not the "
                + "\(token.digestAlgorithm.rawValue) of the TSTInfo"
        }
        return nil
    }

    private static func digest(_ bytes: [UInt8], _ algorithm: RFC3161TimeStampToken.DigestAlgorithm) -> [UInt8] {
        switch algorithm {
        case .sha256: return Array(SHA256.hash(data: bytes))
        case .sha384: return Array(SHA384.hash(data: bytes))
        case .sha512: return Array(SHA512.hash(data: bytes))
        }
    }

    // MARK: Checks against one authority

    /// How far a token got with one authority; the furthest failure is the one reported.
    private enum Stage: Int, Comparable {
        case noSignerCertificate, signatureInvalid, untrusted, outsideCertificateValidity, outsideAuthorityValidity
        static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    private struct AuthorityFailure: Error {
        var stage: Stage
        var message: String
    }

    private static func check(_ token: RFC3161TimeStampToken,
                              against authority: TrustedRoot.CertificateAuthority) async -> Result<VerifiedTimestamp, AuthorityFailure> {
        let name = authority.subject.isEmpty ? authority.uri : authority.subject
        let label = "TSA '\(name)'" + (authority.uri.isEmpty || authority.uri == name ? "" : " (\(authority.uri))")
        let genTime = token.info.genTime

        // 1. The signer certificate and its signature.
        let candidates = token.certificates.filter { token.signerIdentifier.matches($0) }
            + authority.certificates.filter { token.signerIdentifier.matches($0) }
        guard let signer = candidates.first else {
            return .failure(AuthorityFailure(stage: .noSignerCertificate, message:
                "timestamp not signed by a trusted TSA: no certificate of the timestamp or of \(label) matches the signer identifier"))
        }
        switch signatureCheck(token, certificate: signer) {
        case .failure(let problem):
            return .failure(AuthorityFailure(stage: .signatureInvalid, message: "timestamp signature invalid: \(problem)"))
        case .success:
            break
        }

        // 2. The chain to this authority's root, at genTime.
        guard let anchor = authority.certificates.last else {
            return .failure(AuthorityFailure(stage: .untrusted, message: "timestamp not signed by a trusted TSA: \(label) has no certificate"))
        }
        // A chain of two or more names the TSA's own signing certificate first; sigstore-go then accepts only that
        // certificate (timestamp-authority `verifyLeafCert`), not any other one the same root issued.
        if authority.certificates.count > 1, let pinned = authority.certificates.first, signer != pinned {
            return .failure(AuthorityFailure(stage: .untrusted, message:
                "timestamp not signed by a trusted TSA: it is signed by '\(signer.subject)' (serial \(signer.serialNumber)), "
                + "not by the signing certificate '\(pinned.subject)' (serial \(pinned.serialNumber)) of \(label)"))
        }
        let intermediates = Array(authority.certificates.dropLast()) + token.certificates
        if let problem = await chainProblem(leaf: signer, anchor: anchor, intermediates: intermediates, at: genTime) {
            let inValidity = signer.notValidBefore <= genTime && genTime <= signer.notValidAfter
            // An expired signer is reported as such only when the chain is otherwise trusted (within its validity).
            if !inValidity,
               await chainProblem(leaf: signer, anchor: anchor, intermediates: intermediates, at: signer.notValidBefore) == nil {
                return .failure(AuthorityFailure(stage: .outsideCertificateValidity, message:
                    "timestamp outside certificate validity: genTime \(rfc3339(genTime)) is outside the validity "
                    + "[\(rfc3339(signer.notValidBefore)), \(rfc3339(signer.notValidAfter))] of the TSA certificate "
                    + "'\(signer.subject)' of \(label)"))
            }
            return .failure(AuthorityFailure(stage: .untrusted, message:
                "timestamp not signed by a trusted TSA: the signing certificate '\(signer.subject)' does not chain to \(label): \(problem)"))
        }

        // 3. The authority's validity period in the trusted root.
        guard authority.validFor.contains(genTime) else {
            let start = authority.validFor.start.map(rfc3339) ?? "-"
            let end = authority.validFor.end.map(rfc3339) ?? "-"
            return .failure(AuthorityFailure(stage: .outsideAuthorityValidity, message:
                "timestamp outside TSA validity: genTime \(rfc3339(genTime)) is outside the validity [\(start), \(end)] of \(label)"))
        }
        return .success(VerifiedTimestamp(time: genTime, authority: authority.uri.isEmpty ? authority.subject : authority.uri))
    }

    /// Verifies the `SignerInfo` signature over the signed attributes with `certificate`'s key.
    private static func signatureCheck(_ token: RFC3161TimeStampToken, certificate: Certificate) -> Result<Void, SignatureProblem> {
        typealias OID = RFC3161TimeStampToken.OID
        let algorithm: Certificate.SignatureAlgorithm
        switch token.signatureAlgorithm {
        case OID.ecdsaWithSHA256: algorithm = .ecdsaWithSHA256
        case OID.ecdsaWithSHA384: algorithm = .ecdsaWithSHA384
        case OID.ecdsaWithSHA512: algorithm = .ecdsaWithSHA512
        case OID.sha256WithRSAEncryption: algorithm = .sha256WithRSAEncryption
        case OID.sha384WithRSAEncryption: algorithm = .sha384WithRSAEncryption
        case OID.sha512WithRSAEncryption: algorithm = .sha512WithRSAEncryption
        case OID.rsaEncryption:
            // Many TSAs (FreeTSA, OpenSSL) name only the key type; the hash is then the SignerInfo digestAlgorithm.
            switch token.digestAlgorithm {
            case .sha256: algorithm = .sha256WithRSAEncryption
            case .sha384: algorithm = .sha384WithRSAEncryption
            case .sha512: algorithm = .sha512WithRSAEncryption
            }
        case OID.rsaPSS:
            return .failure(SignatureProblem(text: "RSASSA-PSS signatures are not supported"))
        default:
            return .failure(SignatureProblem(text: "unsupported signature algorithm \(token.signatureAlgorithm)"))
        }
        // swift-certificates picks the curve or RSA from the key and refuses a key/algorithm mismatch.
        guard certificate.publicKey.isValidSignature(token.signature, for: token.signedAttributes,
                                                     signatureAlgorithm: algorithm) else {
            return .failure(SignatureProblem(text:
                "the signature (\(algorithm)) does not verify with the key of '\(certificate.subject)'"))
        }
        return .success(())
    }

    private struct SignatureProblem: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    /// Why `leaf` does not chain to `anchor` at `time` under RFC 5280 with the TSA usage, or `nil` if it does.
    private static func chainProblem(leaf: Certificate, anchor: Certificate, intermediates: [Certificate],
                                     at time: Date) async -> String? {
        var verifier = Verifier(rootCertificates: CertificateStore([anchor])) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            TimeStampingUsagePolicy()
        }
        var seen = Set<Certificate>()
        let pool = intermediates.filter { $0 != anchor && seen.insert($0).inserted }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(pool)) {
        case .validCertificate:
            return nil
        case .couldNotValidate(let failures):
            guard !failures.isEmpty else { return "no chain to the authority's root certificate '\(anchor.subject)'" }
            return failures.prefix(3).map { "\($0.policyFailureReason)" }.joined(separator: "; ")
        }
    }
}

/// The TSA signing certificate's extended key usage must be present, critical and list `timeStamping`
/// (RFC 3161 §2.3; sigstore timestamp-authority `verifyLeafCertEKU`). Declares the extension as understood.
struct TimeStampingUsagePolicy: VerifierPolicy, Sendable {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        guard let ext = leaf.extensions[oid: .X509ExtensionID.extendedKeyUsage] else {
            return .failsToMeetPolicy(reason: "TSA certificate '\(leaf.subject)' has no extended key usage")
        }
        guard ext.critical else {
            return .failsToMeetPolicy(reason: "TSA certificate '\(leaf.subject)' has a non-critical extended key usage")
        }
        guard let usage = try? ExtendedKeyUsage(ext), usage.contains(.timeStamping) else {
            return .failsToMeetPolicy(reason: "TSA certificate '\(leaf.subject)' extended key usage does not list timeStamping")
        }
        return .meetsPolicy
    }
}
