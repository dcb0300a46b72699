import Crypto
import Foundation
import SwiftASN1
import X509

/// What the artifact of a bundle is, as the caller knows it.
public enum SigstoreArtifact: Sendable {
    /// The artifact's bytes (a file's content).
    case bytes([UInt8])
    /// Only the artifact's SHA-256 digest (32 bytes), as in `verify-bundle sha256:HEX`.
    case sha256(digest: [UInt8])
    /// The caller checks the signed DSSE payload itself (a model's in-toto Statement, checked against the folder);
    /// only valid for a DSSE bundle.
    case payloadCheckedByCaller
}

/// What a caller requires of a Sigstore bundle: who must have signed it and against which trust material. This is
/// the policy of sigstore-go's `verify.PolicyBuilder`; the trust material is the ``TrustedRoot``.
public struct SigstorePolicy: Sendable {
    /// Who must have signed.
    public enum Signer: Sendable {
        /// A managed key (`--key`): the bundle's `publicKey` material, signature verified with this key.
        case key(SigstorePublicKey)
        /// A Fulcio certificate for this OIDC identity (keyless).
        case certificateIdentity(CertificateIdentity)
    }

    /// The expected signer.
    public var signer: Signer
    /// The trust material (Fulcio CAs, Rekor logs, CT logs, TSAs).
    public var trustedRoot: TrustedRoot
    /// Log entries that must verify (sigstore-go's default: 1).
    public var transparencyLogThreshold: Int
    /// The current time used for "not in the future" checks; `nil` means now.
    public var currentTime: Date?

    public init(signer: Signer, trustedRoot: TrustedRoot = .publicGood, transparencyLogThreshold: Int = 1,
                currentTime: Date? = nil) {
        self.signer = signer
        self.trustedRoot = trustedRoot
        self.transparencyLogThreshold = transparencyLogThreshold
        self.currentTime = currentTime
    }
}

/// A time a bundle's signature is proven to have existed at, and what proves it.
public struct VerifiedTime: Sendable, Hashable, Codable {
    /// The time (UTC).
    public var time: Date
    /// `"rfc3161"` (a TSA's timestamp) or `"integratedTime"` (a Rekor v1 entry's time, covered by its SET).
    public var source: String
    /// The TSA or log that vouches for it.
    public var authority: String
}

/// The outcome of verifying a Sigstore bundle: a value, never thrown (sigstore-go `verify.VerificationResult`).
public struct SigstoreVerification: Sendable {
    /// Failures (any means rejected) and notes, each naming what failed.
    public var findings: [Finding] = []
    /// The signer as the certificate names it (SANs) or the key's description.
    public var signer: String?
    /// The OIDC issuer of a keyless signature.
    public var issuer: String?
    /// Log entries that verified.
    public var logEntries: [VerifiedLogEntry] = []
    /// Times that verified (timestamps, integrated times); a keyless bundle verifies only with at least one.
    public var verifiedTimes: [VerifiedTime] = []
    /// The signed DSSE payload and its type, when the bundle holds an envelope (parse these bytes; never rebuild).
    public var payload: (type: String, bytes: [UInt8])?

    /// Whether every check passed.
    public var isVerified: Bool { !findings.contains { $0.severity == .failure } }

    /// The verified log entries and times as reports show them (RFC 3339, UTC).
    public var reportedLogEntries: [VerificationReport.LogEntryInfo] {
        logEntries.map { .init(log: $0.logURL, logIndex: $0.logIndex, integratedTime: $0.integratedTime.map(rfc3339)) }
    }
    public var reportedTimes: [VerificationReport.TimeInfo] {
        verifiedTimes.map { .init(time: rfc3339($0.time), source: $0.source, authority: $0.authority) }
    }
}

/// Offline verification of Sigstore bundles v0.1–v0.3 against a ``TrustedRoot`` and a ``SigstorePolicy``, in the order
/// of the Sigstore client specification and sigstore-go's `verify.SignedEntityVerifier`:
///
/// 1. the material matches the policy (a key for `--key`, a certificate for an identity);
/// 2. every RFC 3161 timestamp verifies against the trusted TSAs (over the signature bytes);
/// 3. every transparency-log entry verifies: known log, body equal to the bundle's signature, key and artifact digest,
///    SET, inclusion proof and checkpoint; at least ``SigstorePolicy/transparencyLogThreshold`` of them;
/// 4. keyless: at least one verified time; at each, the leaf chains to a Fulcio CA valid then, the leaf is valid then;
///    an SCT verifies; code-signing usage; the SAN and OIDC issuer are the expected ones;
/// 5. the signature verifies over the artifact (message signature) or the PAE (DSSE), and the artifact is the one
///    signed (digest, or a subject of the in-toto Statement).
public enum SigstoreVerifier {
    /// Verifies `bundle` for `artifact` under `policy`. Never throws; every failure is a finding.
    public static func verify(_ bundle: SigstoreBundle.Contents, artifact: SigstoreArtifact,
                              policy: SigstorePolicy) async -> SigstoreVerification {
        var result = SigstoreVerification()
        let now = policy.currentTime ?? Date()
        let root = policy.trustedRoot
        func fail(_ kind: Finding.Kind, _ message: String) { result.findings.append(Finding(kind, message: message)) }

        // 1. Material against policy.
        let signingKey: SigstorePublicKey
        var leaf: Certificate? = nil
        var chain: [Certificate] = []
        switch (bundle.material, policy.signer) {
        case (.publicKey(let hint), .key(let key)):
            if let hint, !hint.isEmpty, let given = try? PublicKey(derRepresentation: key.rawBytes), hint != given.hint,
               hint != Data(key.keyID).base64EncodedString(), hint != key.keyID.hexString {
                result.findings.append(Finding(.keyMismatch, .note,
                    message: "the bundle's public key hint \(hint) does not name the given key; the signature decides"))
            }
            signingKey = key
            result.signer = "key \(key.keyID.hexString.prefix(16))… (\(key.keyDetails))"
        case (.publicKey, .certificateIdentity):
            fail(.certificateInvalid, "the bundle is signed with a managed key, not a certificate: verify it with --key")
            return result
        case (.certificates, .key):
            fail(.keyMismatch, "the bundle carries a certificate, not a managed key: verify it with --certificate-identity and --certificate-oidc-issuer")
            return result
        case (.certificates(let certificates), .certificateIdentity):
            guard let first = certificates.first else {
                fail(.certificateInvalid, "the bundle carries no certificate")
                return result
            }
            leaf = first
            chain = Array(certificates.dropFirst())
            do {
                var s = DER.Serializer()
                try s.serialize(first.publicKey)
                signingKey = try SigstorePublicKey(rawBytes: s.serializedBytes)
            } catch {
                fail(.certificateInvalid, "the leaf certificate's key cannot verify signatures here: \(error)")
                return result
            }
            let identity = FulcioIdentity(certificate: first)
            result.signer = identity.subjectAlternativeNames.joined(separator: ", ")
            result.issuer = identity.issuer
        }

        // 2. Timestamps over the signature bytes.
        let signature = bundle.content.signature
        for (i, token) in bundle.signedTimestamps.enumerated() {
            switch await RFC3161TimestampVerifier.verify(token: token, signature: signature,
                                                         authorities: root.timestampAuthorities) {
            case .success(let ts):
                result.verifiedTimes.append(VerifiedTime(time: ts.time, source: "rfc3161", authority: ts.authority))
            case .failure(let f):
                fail(.timestampInvalid, "RFC 3161 timestamp \(i + 1): \(f.message)")
            }
        }

        // 3. Transparency-log entries.
        let content: SignedContent
        switch bundle.content {
        case .dsse(let envelope): content = .dsse(envelope)
        case .messageSignature(_, let hint, let sig):
            // The log entry must be over the artifact's digest: the caller's, never the bundle's unsigned hint.
            let digest: [UInt8]
            switch artifact {
            case .bytes(let b): digest = Array(SHA256.hash(data: b))
            case .sha256(let d): digest = d
            case .payloadCheckedByCaller:
                fail(.artifactMismatch, "the bundle signs an artifact directly (message signature), not a model manifest")
                return result
            }
            if let hint, hint != digest {
                // The hint is unsigned; a different digest means the bundle is about another artifact.
                fail(.artifactMismatch, "the bundle's messageDigest \(hint.hexString) is not the artifact's SHA-256 \(digest.hexString)")
            }
            content = .messageSignature(digest: digest, signature: sig)
        }
        let certificateDER: [UInt8]? = leaf.flatMap { l in
            var s = DER.Serializer()
            return (try? s.serialize(l)).map { s.serializedBytes }
        }
        for (i, entry) in bundle.transparencyLogEntries.enumerated() {
            switch RekorEntryVerifier.verify(entry: entry, content: content, signerCertificateDER: certificateDER,
                                            signerPublicKeyDER: leaf == nil ? signingKey.rawBytes : nil,
                                            bundleVersion: bundle.minorVersion, trustedRoot: root, now: now) {
            case .success(let v):
                result.logEntries.append(v)
                if let t = v.integratedTime {
                    result.verifiedTimes.append(VerifiedTime(time: t, source: "integratedTime",
                                                             authority: "\(v.logURL) entry \(v.logIndex)"))
                }
            case .failure(let f):
                fail(f.kind.findingKind, "transparency log entry \(i + 1): \(f.message)")
            }
        }
        // Entries that failed are findings already; too few entries is one more.
        if bundle.transparencyLogEntries.count < policy.transparencyLogThreshold {
            fail(.logEntryMissing, "the bundle has \(bundle.transparencyLogEntries.count) transparency log entries; at least \(policy.transparencyLogThreshold) required")
        }

        // 4. The Fulcio certificate at every verified time.
        if let leaf, case .certificateIdentity(let expected) = policy.signer {
            if result.verifiedTimes.isEmpty {
                fail(.noVerifiedTime, "no verified time: a keyless signature needs a verified RFC 3161 timestamp or a transparency log entry with an integrated time, and none verified")
            }
            for t in result.verifiedTimes {
                if let problem = await chainProblem(leaf: leaf, chain: chain, at: t.time, root: root) {
                    fail(.certificateInvalid, "\(problem) (at the \(t.source == "rfc3161" ? "timestamp" : "integrated time") \(rfc3339(t.time)) from \(t.authority))")
                }
            }
            if let problem = fulcioLeafProblem(leaf) { fail(.certificateInvalid, problem) }
            switch sctCheck(leaf: leaf, chain: chain, root: root) {
            case .success: break
            case .failure(let f): fail(.sctInvalid, f.message)
            }
            if let problem = expected.problem(with: FulcioIdentity(certificate: leaf)) {
                fail(problem.kind, problem.message)
            }
        }

        // 5. Signature over the content, and the artifact.
        switch bundle.content {
        case .messageSignature(_, _, let sig):
            let valid: Bool
            switch artifact {
            case .bytes(let b): valid = signingKey.isValidSignature(sig, for: b)
            case .sha256(let d): valid = signingKey.isValidSignature(sig, forDigest: d)
            case .payloadCheckedByCaller: valid = false
            }
            if !valid {
                fail(.signatureInvalid, "signature invalid: the message signature does not verify over the artifact with the \(leaf == nil ? "given key" : "certificate's key")")
            }
        case .dsse(let envelope):
            guard let sig = envelope.signatures.first?.sig,
                  signingKey.isValidSignature(sig, for: DSSE.pae(payloadType: envelope.payloadType, payload: envelope.payload)) else {
                fail(.signatureInvalid, "signature invalid: the DSSE signature does not verify over the payload with the \(leaf == nil ? "given key" : "certificate's key")")
                return result
            }
            result.payload = (envelope.payloadType, envelope.payload)
            switch artifact {
            case .payloadCheckedByCaller: break
            case .bytes(let b): subjectCheck(envelope, digest: Array(SHA256.hash(data: b)), into: &result)
            case .sha256(let d): subjectCheck(envelope, digest: d, into: &result)
            }
        }
        return result
    }

    /// Why `leaf` cannot be a Fulcio signing certificate, or `nil`: Fulcio issues non-CA leaves whose extended key
    /// usage lists codeSigning (Fulcio `docs/certificate-specification.md`); a missing or unparseable extension fails.
    static func fulcioLeafProblem(_ leaf: Certificate) -> String? {
        if case .isCertificateAuthority? = try? leaf.extensions.basicConstraints {
            return "the signing certificate is a CA certificate (basic constraints CA:TRUE), not a Fulcio leaf"
        }
        let eku: ExtendedKeyUsage?
        do {
            eku = try leaf.extensions.extendedKeyUsage
        } catch {
            return "the signing certificate's extended key usage extension is malformed"
        }
        guard let eku else {
            return "the signing certificate has no extended key usage; a Fulcio leaf lists codeSigning"
        }
        guard eku.contains(.codeSigning) else {
            return "the signing certificate's extended key usage (\(eku.map { "\($0)" }.joined(separator: ", "))) does not list codeSigning"
        }
        return nil
    }

    /// The artifact must be a subject of the signed in-toto Statement (by its sha256 digest).
    static func subjectCheck(_ envelope: DSSEEnvelope, digest: [UInt8], into result: inout SigstoreVerification) {
        guard envelope.payloadType == "application/vnd.in-toto+json" else {
            result.findings.append(Finding(.artifactMismatch,
                message: "the DSSE payload type is \(envelope.payloadType), not an in-toto Statement; the artifact cannot be matched"))
            return
        }
        let statement: StrictJSON
        do {
            // A Statement's values grow with its subjects and predicate: allow a count in proportion to its size.
            statement = try StrictJSON.parse(envelope.payload, maxValues: Limits.maxSigstoreJSONValues + envelope.payload.count / 16)
        } catch {
            result.findings.append(Finding(.artifactMismatch, message: "the DSSE payload is not an in-toto Statement: \(error.message)"))
            return
        }
        guard let subjects = statement["subject"]?.array else {
            result.findings.append(Finding(.artifactMismatch, message: "the signed in-toto Statement has no \"subject\" list"))
            return
        }
        let wanted = digest.hexString
        let values = subjects.compactMap { $0["digest"]?["sha256"]?.string }
        if values.contains(wanted) { return }
        // Digests are lower-case hex (in-toto DigestSet): an upper-case spelling is named, not matched.
        let hint = values.contains { $0.lowercased() == wanted } ? " (a subject has this digest in upper-case hex, which is not accepted)" : ""
        result.findings.append(Finding(.artifactMismatch,
            message: "the artifact (sha256 \(wanted)) is not a subject of the signed in-toto Statement\(hint)"))
    }

    /// Why the leaf does not chain to a Fulcio CA trusted at `time`, or `nil`.
    static func chainProblem(leaf: Certificate, chain: [Certificate], at time: Date, root: TrustedRoot) async -> String? {
        let authorities = root.certificateAuthorities.filter { $0.validFor.contains(time) }
        guard !authorities.isEmpty else {
            return "no certificate authority of the trusted root was valid at \(rfc3339(time))"
        }
        var reasons = [String]()
        for ca in authorities {
            guard let anchor = ca.certificates.last else { continue }
            let trust = CertificateTrust(roots: [anchor], identity: nil, validationTime: time)
            switch await trust.validate(leaf: leaf, intermediates: Array(ca.certificates.dropLast()) + chain) {
            case .trusted: return nil
            case .rejected(let finding): reasons.append("\(ca.subject): \(finding.message)")
            }
        }
        return "certificate chain invalid: " + reasons.joined(separator: "; ")
    }

    /// The leaf's SCTs against the CT logs, the issuer found among the trusted CAs and the bundle's chain.
    static func sctCheck(leaf: Certificate, chain: [Certificate], root: TrustedRoot) -> Result<Void, SCTMessage> {
        let candidates = chain + root.certificateAuthorities.flatMap(\.certificates)
        guard let issuer = candidates.first(where: { $0.subject == leaf.issuer && $0.publicKey.isValidSignature(leaf.signature, for: leaf) }) else {
            return .failure(SCTMessage("SCT not checked: the leaf's issuer \(leaf.issuer) is not in the trusted root"))
        }
        switch SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: issuer, logs: root.certificateTransparencyLogs) {
        case .success: return .success(())
        case .failure(let f): return .failure(SCTMessage("SCT invalid: \(f.message)"))
        }
    }

    struct SCTMessage: Error { var message: String; init(_ m: String) { message = m } }
}

extension LogEntryFailure.Kind {
    /// The finding kind a failed log entry is reported as.
    var findingKind: Finding.Kind {
        switch self {
        case .unknownLog: return .unknownLog
        case .bodyMismatch: return .logEntryMismatch
        case .signedEntryTimestamp: return .signedEntryTimestampInvalid
        case .inclusionProof, .missingProof: return .inclusionProofInvalid
        case .checkpoint: return .checkpointInvalid
        case .integratedTime: return .integratedTimeInvalid
        case .unsupported: return .logEntryMismatch
        }
    }
}
