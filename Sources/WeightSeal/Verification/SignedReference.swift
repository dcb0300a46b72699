import Foundation

/// A signature file whose signature was checked, and the reference its payload holds (DESIGN §5.1–§5.2).
///
/// The payload is parsed only after its signature verified: a payload that fails its signature is not read further.
public struct SignedReference: Sendable {
    /// The files the signature covers; `nil` when the signature did not verify.
    public var reference: Reference?
    /// The weightseal manifest, when the payload is one (carries the signed license record).
    public var manifest: ModelManifest?
    /// Signature, trust and consistency findings; any failure means the reference must not be trusted.
    public var findings: [Finding]
    /// Who signed: key hint, certificate subject and identities, or a keyless signer's SANs.
    public var signer: String?
    /// Sigstore keyless: the OIDC issuer the certificate names.
    public var issuer: String?
    /// Sigstore: verified transparency-log entries.
    public var logEntries: [VerificationReport.LogEntryInfo] = []
    /// Sigstore: verified times and their sources.
    public var verifiedTimes: [VerificationReport.TimeInfo] = []

    /// Whether the signature verified and the payload is consistent.
    public var isVerified: Bool { reference != nil && !findings.contains { $0.severity == .failure } }

    /// The report's reference block for this signature.
    /// - Parameters:
    ///   - label: the signature file, as the report names it.
    ///   - kind: the reference kind, when the caller knows it better (default: this payload's).
    public func referenceInfo(label: String, kind: Reference.Kind? = nil) -> VerificationReport.ReferenceInfo {
        var info = VerificationReport.ReferenceInfo(kind: kind ?? reference?.kind, label: label, signed: true, signer: signer)
        info.issuer = issuer
        info.logEntries = logEntries.isEmpty ? nil : logEntries
        info.verifiedTimes = verifiedTimes.isEmpty ? nil : verifiedTimes
        return info
    }

    /// Reads a signature file (Sigstore bundle JSON), verifies it with `trust`, then parses the signed in-toto
    /// Statement: a weightseal manifest or an OMS v1.0 manifest.
    ///
    /// With ``SignatureTrust/sigstore(_:)`` the bundle is verified offline by ``SigstoreVerifier`` (Fulcio chain,
    /// transparency-log entries, timestamps, identity and issuer); a bundle that carries log entries or timestamps
    /// needs that trust.
    /// - Throws: ``WeightSealError`` when it cannot run: unreadable file (`io`), malformed bundle (`malformedBundle`),
    ///   malformed or path-breaking manifest (`malformedManifest`, `invalidPath`), unsupported algorithm or format.
    public static func load(signatureFile: String, trust: SignatureTrust) async throws(WeightSealError) -> SignedReference {
        let data = try AtomicFile.read(signatureFile, limit: Limits.maxJSONBytes, what: "signature file")
        if case .sigstore(let policy) = trust {
            return try await loadSigstore(data, label: signatureFile, policy: policy)
        }
        let bundle = try SigstoreBundle.parse(data, label: signatureFile)
        switch await BundleVerifier.verify(bundle, trust: trust) {
        case .rejected(let findings):
            return SignedReference(reference: nil, manifest: nil, findings: findings, signer: nil)
        case .verified(let verified):
            return try fromPayload(verified.payload, type: verified.payloadType, label: signatureFile,
                                   notes: verified.notes, signer: verified.signer)
        }
    }

    static func loadSigstore(_ data: [UInt8], label: String, policy: SigstorePolicy) async throws(WeightSealError) -> SignedReference {
        let contents = try SigstoreBundle.Contents.parse(data, label: label)
        guard case .dsse = contents.content else {
            throw WeightSealError(.unsupportedFormat, "\(label): the bundle holds a message signature over one file, not a signed model manifest; check it with `weightseal verify-bundle`")
        }
        let result = await SigstoreVerifier.verify(contents, artifact: .payloadCheckedByCaller, policy: policy)
        var signed: SignedReference
        if result.isVerified, let payload = result.payload {
            signed = try fromPayload(payload.bytes, type: payload.type, label: label,
                                     notes: result.findings, signer: result.signer)
        } else {
            signed = SignedReference(reference: nil, manifest: nil, findings: result.findings, signer: result.signer)
        }
        signed.issuer = result.issuer
        signed.logEntries = result.logEntries.map {
            .init(log: $0.logURL, logIndex: $0.logIndex, integratedTime: $0.integratedTime.map(rfc3339))
        }
        signed.verifiedTimes = result.verifiedTimes.map { .init(time: rfc3339($0.time), source: $0.source, authority: $0.authority) }
        return signed
    }

    static func fromPayload(_ payload: [UInt8], type: String, label: String, notes: [Finding],
                            signer: String?) throws(WeightSealError) -> SignedReference {
        guard type == "application/vnd.in-toto+json" else {
            throw WeightSealError(.unsupportedFormat, "\(label): payload type \(type) is not an in-toto Statement")
        }
        let predicateType = try peekPredicateType(payload, label: label)
        switch predicateType {
        case ModelManifest.predicateType:
            let (manifest, findings) = try ModelManifest.parseStatement(payload, label: label)
            return SignedReference(reference: manifest.reference(label: label, isSigned: true), manifest: manifest,
                                   findings: notes + findings, signer: signer)
        case OMSFormat.predicateType, OMSFormat.legacyPredicateType:
            let (reference, findings) = try OMSFormat.reference(fromPayload: payload, label: label)
            return SignedReference(reference: reference, manifest: nil, findings: notes + findings, signer: signer)
        default:
            throw WeightSealError(.unsupportedFormat, "\(label): predicate type \(predicateType) is not supported")
        }
    }

    private struct Peek: Decodable {
        var predicateType: String
    }

    static func peekPredicateType(_ payload: [UInt8], label: String) throws(WeightSealError) -> String {
        do {
            return try JSONDecoder().decode(Peek.self, from: Data(payload)).predicateType
        } catch {
            throw WeightSealError(.malformedManifest, "\(label): the signed payload is not an in-toto Statement: \(describe(error))")
        }
    }
}
