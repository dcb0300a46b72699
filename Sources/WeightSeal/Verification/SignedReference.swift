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
    /// Who signed: key hint, or certificate subject and identities.
    public var signer: String?

    /// Whether the signature verified and the payload is consistent.
    public var isVerified: Bool { reference != nil && !findings.contains { $0.severity == .failure } }

    /// Reads a signature file (Sigstore bundle v0.3 JSON), verifies its DSSE signature with `trust`, then parses the
    /// signed in-toto Statement: a weightseal manifest or an OMS v1.0 manifest.
    /// - Throws: ``WeightSealError`` when it cannot run: unreadable file (`io`), malformed bundle (`malformedBundle`),
    ///   malformed or path-breaking manifest (`malformedManifest`, `invalidPath`), unsupported algorithm or format.
    public static func load(signatureFile: String, trust: SignatureTrust) async throws(WeightSealError) -> SignedReference {
        let data = try AtomicFile.read(signatureFile, limit: Limits.maxJSONBytes, what: "signature file")
        let bundle = try SigstoreBundle.parse(data, label: signatureFile)
        switch await BundleVerifier.verify(bundle, trust: trust) {
        case .rejected(let findings):
            return SignedReference(reference: nil, manifest: nil, findings: findings, signer: nil)
        case .verified(let verified):
            guard verified.payloadType == "application/vnd.in-toto+json" else {
                throw WeightSealError(.unsupportedFormat, "\(signatureFile): payload type \(verified.payloadType) is not an in-toto Statement")
            }
            let predicateType = try peekPredicateType(verified.payload, label: signatureFile)
            switch predicateType {
            case ModelManifest.predicateType:
                let (manifest, findings) = try ModelManifest.parseStatement(verified.payload, label: signatureFile)
                return SignedReference(reference: manifest.reference(label: signatureFile, isSigned: true), manifest: manifest,
                                       findings: verified.notes + findings, signer: verified.signer)
            case OMSFormat.predicateType, OMSFormat.legacyPredicateType:
                let (reference, findings) = try OMSFormat.reference(fromPayload: verified.payload, label: signatureFile)
                return SignedReference(reference: reference, manifest: nil, findings: verified.notes + findings, signer: verified.signer)
            default:
                throw WeightSealError(.unsupportedFormat, "\(signatureFile): predicate type \(predicateType) is not supported")
            }
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
