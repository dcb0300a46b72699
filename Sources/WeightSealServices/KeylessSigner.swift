import Crypto
import Foundation
import WeightSeal
import X509

/// Sigstore keyless signing of a DSSE payload, in sigstore-go's order (`sign.Bundle`): an ephemeral P-256 key that is
/// never written; a Fulcio certificate for the caller's OIDC identity; the DSSE signature; RFC 3161 timestamps of
/// the signature from the signing config's timestamp authorities; the entry in its transparency logs; a bundle v0.3
/// holding the certificate, the log entries (inclusion promise and proof) and the timestamps, verified against the
/// trusted root before it is returned.
///
/// ```swift
/// let signer = KeylessSigner(signingConfig: .publicGood, trustedRoot: .publicGood)
/// let statement = try await ModelSigner().statement(model: "path/to/model")
/// let signed = try await signer.sign(payload: statement.payload, payloadType: statement.payloadType, token: token)
/// try AtomicFile.write(try signed.bundle.jsonData(), to: "path/to/model/model.sig")
/// ```
public struct KeylessSigner: Sendable {
    /// The services to use.
    public var signingConfig: SigningConfig
    /// What the result is verified against: the trusted root of the same Sigstore instance.
    public var trustedRoot: TrustedRoot
    /// Timeouts and retries of every request.
    public var settings: ServiceClient.Settings

    public init(signingConfig: SigningConfig, trustedRoot: TrustedRoot, settings: ServiceClient.Settings = .init()) {
        self.signingConfig = signingConfig
        self.trustedRoot = trustedRoot
        self.settings = settings
    }

    /// A keyless signature and what it records.
    public struct Signature: Sendable {
        /// The bundle to write.
        public var bundle: SigstoreBundle
        /// Fulcio's chain, leaf first.
        public var certificateChain: [Certificate]
        /// The identity the certificate carries (the SAN and OIDC issuer verifiers will ask for).
        public var identity: FulcioIdentity
        /// The verification of ``bundle`` against the trusted root: log entries and verified times.
        public var verification: SigstoreVerification
    }

    /// Signs `payload` (a Statement) as `token`'s identity.
    /// - Parameter token: the OIDC identity token (see ``AmbientCredentials``); checked for expiry and audience first.
    /// - Throws: ``WeightSealError``: `invalidArgument` (a token that is expired or not for `sigstore`),
    ///   `malformedTrustRoot` (no usable service in the signing config), `network` (a service does not answer after
    ///   the retries), `service` (a service refuses, answers wrongly, or the result does not verify against
    ///   ``trustedRoot``: the log does not include the entry, the certificate is not from a trusted CA).
    public func sign(payload: [UInt8], payloadType: String, token: IdentityToken) async throws(WeightSealError) -> Signature {
        try token.checkUsable()
        let now = Date()
        let ca = try SigningConfig.select(signingConfig.certificateAuthorities, versions: [1], selector: .any,
                                          at: now, kind: "certificate authority (Fulcio)")[0]
        let logs = try SigningConfig.select(signingConfig.transparencyLogs, versions: RekorClient.supportedVersions,
                                            selector: signingConfig.transparencyLogSelector, at: now,
                                            kind: "transparency log (Rekor)")
        let tsas = signingConfig.timestampAuthorities.isEmpty ? [] :
            try SigningConfig.select(signingConfig.timestampAuthorities, versions: TimestampAuthorityClient.supportedVersions,
                                     selector: signingConfig.timestampAuthoritySelector, at: now,
                                     kind: "timestamp authority")
        let settings = self.settings
        let trustedRoot = self.trustedRoot
        do {
            return try await ServiceClient.with(settings: settings) { client async throws(WeightSealError) -> Signature in
                let key = P256.Signing.PrivateKey()
                let chain = try await FulcioClient(baseURL: ca.url, client: client).signingCertificate(token: token, key: key)
                let signature: [UInt8]
                do {
                    signature = Array(try key.signature(for: DSSE.pae(payloadType: payloadType, payload: payload)).derRepresentation)
                } catch {
                    throw WeightSealError(.service, "signing failed: \(error)")
                }
                let envelope = DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: [.init(sig: signature)])
                var timestamps = [[UInt8]]()
                for tsa in tsas {
                    timestamps.append(try await TimestampAuthorityClient(url: tsa.url, client: client).timestamp(signature: signature).response)
                }
                var entries = [TransparencyLogEntry]()
                for log in logs {
                    entries.append(try await RekorClient(baseURL: log.url, majorAPIVersion: log.majorAPIVersion, client: client)
                        .submit(envelope, certificate: chain[0]))
                }
                let bundle = Self.bundle(envelope: envelope, leaf: chain[0], entries: entries, timestamps: timestamps)
                return try await Self.check(bundle, chain: chain, trustedRoot: trustedRoot)
            }
        } catch let error as WeightSealError {
            throw error
        } catch {
            throw WeightSealError(.network, "\(error)")
        }
    }

    /// The bundle v0.3: the leaf alone as `certificate` (the chain is in the trusted root), entries, timestamps.
    static func bundle(envelope: DSSEEnvelope, leaf: Certificate, entries: [TransparencyLogEntry],
                       timestamps: [[UInt8]]) -> SigstoreBundle {
        var tsa: JSONValue?
        if !timestamps.isEmpty {
            tsa = .object(["rfc3161Timestamps": .array(timestamps.map {
                .object(["signedTimestamp": .string(Data($0).base64EncodedString())])
            })])
        }
        let material = SigstoreBundle.VerificationMaterial(
            certificate: .init(rawBytes: RekorClient.der(leaf)), tlogEntries: entries.map(\.jsonValue),
            timestampVerificationData: tsa)
        return SigstoreBundle(verificationMaterial: material, dsseEnvelope: envelope)
    }

    /// Verifies the bundle as a verifier will, for the identity the certificate names; refuses to return one that fails.
    static func check(_ bundle: SigstoreBundle, chain: [Certificate], trustedRoot: TrustedRoot) async throws(WeightSealError) -> Signature {
        let identity = FulcioIdentity(certificate: chain[0])
        guard let san = identity.subjectAlternativeNames.first, let issuer = identity.issuer else {
            throw WeightSealError(.service, "Fulcio's certificate names no identity (SAN) or no OIDC issuer")
        }
        let contents = try SigstoreBundle.Contents.parse(try bundle.jsonData(), label: "the new bundle")
        let policy = SigstorePolicy(signer: .certificateIdentity(try CertificateIdentity(subjectAlternativeName: .exact(san), issuer: issuer)),
                                    trustedRoot: trustedRoot)
        let verification = await SigstoreVerifier.verify(contents, artifact: .payloadCheckedByCaller, policy: policy)
        guard verification.isVerified else {
            let reasons = verification.findings.filter { $0.severity == .failure }.map { "\($0.kind.rawValue): \($0.message)" }
            throw WeightSealError(.service,
                "the signature made does not verify against \(trustedRoot.source), so it was not written: \(reasons.joined(separator: "; "))")
        }
        return Signature(bundle: bundle, certificateChain: chain, identity: identity, verification: verification)
    }
}
