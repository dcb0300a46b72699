import Foundation

/// A reference whose signature verified and whose payload is consistent: the only signed input the file, license
/// and mirror checks accept. It has no public initializer; ``SignedReference/load(signatureFile:trust:)`` makes it.
public struct VerifiedReference: Sendable {
    /// The files the signature covers.
    public let reference: Reference
    /// The weightseal manifest, when the payload is one (it carries the signed license record).
    public let manifest: ModelManifest?
    /// The signature file it came from.
    public let label: String
    /// Who signed, and for Sigstore bundles the issuer, log entries and verified times.
    public let signer: SignerInfo

    package init(reference: Reference, manifest: ModelManifest?, label: String, signer: SignerInfo) {
        self.reference = reference
        self.manifest = manifest
        self.label = label
        self.signer = signer
    }
}

/// Who signed a reference, as far as the signature check established it.
public struct SignerInfo: Sendable, Hashable {
    /// Key description, certificate subject and SANs, or a keyless signer's SANs.
    public var signer: String?
    /// Sigstore keyless: the OIDC issuer the certificate names.
    public var issuer: String?
    /// Sigstore: verified transparency-log entries.
    public var logEntries: [VerificationReport.LogEntryInfo] = []
    /// Sigstore: verified times and their sources.
    public var verifiedTimes: [VerificationReport.TimeInfo] = []

    public init(signer: String? = nil, issuer: String? = nil, logEntries: [VerificationReport.LogEntryInfo] = [],
                verifiedTimes: [VerificationReport.TimeInfo] = []) {
        self.signer = signer
        self.issuer = issuer
        self.logEntries = logEntries
        self.verifiedTimes = verifiedTimes
    }

    /// The report's reference block for a signature file `label` of `kind`.
    func referenceInfo(label: String, kind: Reference.Kind?) -> VerificationReport.ReferenceInfo {
        var info = VerificationReport.ReferenceInfo(kind: kind, label: label, signed: true, signer: signer)
        info.issuer = issuer
        info.logEntries = logEntries.isEmpty ? nil : logEntries
        info.verifiedTimes = verifiedTimes.isEmpty ? nil : verifiedTimes
        return info
    }
}

/// An unsigned published reference (checksum file, Hub tree listing): it proves only that the files match the list.
public struct UnsignedReference: Sendable {
    /// The files listed; ``Reference/isSigned`` is always false.
    public let reference: Reference

    /// Wraps `reference`, marking it unsigned whatever it says.
    public init(_ reference: Reference) {
        var r = reference
        r.isSigned = false
        self.reference = r
    }

    /// A `SHA256SUMS`-style checksum file (GNU or BSD dialect).
    /// - Throws: ``WeightSealError/Code/io``, ``WeightSealError/Code/malformedReference`` naming the line.
    public init(checksumFile path: String) throws(WeightSealError) {
        self.init(ChecksumFile.reference(entries: try ChecksumFile.load(file: path), label: path))
    }

    /// A Hub tree listing (`/api/models/{repo}/tree/{rev}?recursive=true` JSON).
    /// - Throws: ``WeightSealError/Code/io``, ``WeightSealError/Code/malformedReference``.
    public init(hfTreeListing path: String) throws(WeightSealError) {
        self.init(try HFTree.load(file: path))
    }
}

/// A signature file after its check (DESIGN §5.1–§5.2): a value, never thrown for a signature that says no.
///
/// The payload is parsed only after its signature verified: a payload that fails its signature is not read further.
public struct SignedReference: Sendable {
    /// The verified reference; `nil` when the signature did not verify or the payload is inconsistent.
    public let verified: VerifiedReference?
    /// Signature, trust and consistency findings; any failure means the reference must not be trusted.
    public let findings: [Finding]
    /// Who signed, as far as it was established (also for a rejected Sigstore bundle: whose certificate it carries).
    public let signer: SignerInfo
    /// The payload's kind, when it was read.
    public let kind: Reference.Kind?

    /// Whether the signature verified and the payload is consistent.
    public var isVerified: Bool { verified != nil }
    /// The files the signature covers, when verified.
    public var reference: Reference? { verified?.reference }
    /// The weightseal manifest, when verified and the payload is one.
    public var manifest: ModelManifest? { verified?.manifest }

    /// The report's reference block for this signature file.
    public func referenceInfo(label: String) -> VerificationReport.ReferenceInfo {
        signer.referenceInfo(label: label, kind: kind)
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
        try await load(signatureFile: signatureFile, trust: trust, verified: nil)
    }

    /// ``load(signatureFile:trust:)`` that hands the signed payload to `verified` once its signature checked out,
    /// before it is parsed (the verifier starts its early hashing then).
    static func load(signatureFile: String, trust: SignatureTrust,
                     verified: (([UInt8]) -> Void)?) async throws(WeightSealError) -> SignedReference {
        let data = try AtomicFile.read(signatureFile, limit: Limits.maxJSONBytes, what: "signature file")
        if case .sigstore(let policy) = trust {
            return try await loadSigstore(data, label: signatureFile, policy: policy, verified: verified)
        }
        let bundle = try SigstoreBundle.parse(data, label: signatureFile)
        switch await BundleVerifier.verify(bundle, trust: trust) {
        case .rejected(let findings):
            return SignedReference(verified: nil, findings: findings, signer: SignerInfo(), kind: nil)
        case .verified(let result):
            verified?(result.payload)
            return try fromPayload(result.payload, type: result.payloadType, label: signatureFile,
                                   notes: result.notes, signer: SignerInfo(signer: result.signer))
        }
    }

    static func loadSigstore(_ data: [UInt8], label: String, policy: SigstorePolicy,
                             verified: (([UInt8]) -> Void)? = nil) async throws(WeightSealError) -> SignedReference {
        let contents = try SigstoreBundle.Contents.parse(data, label: label)
        guard case .dsse = contents.content else {
            throw WeightSealError(.unsupportedFormat, "\(label): the bundle holds a message signature over one file, not a signed model manifest; check it with `weightseal verify-bundle`")
        }
        let result = await SigstoreVerifier.verify(contents, artifact: .payloadCheckedByCaller, policy: policy)
        let signer = SignerInfo(signer: result.signer, issuer: result.issuer, logEntries: result.reportedLogEntries,
                                verifiedTimes: result.reportedTimes)
        guard result.isVerified, let payload = result.payload else {
            return SignedReference(verified: nil, findings: result.findings, signer: signer, kind: nil)
        }
        verified?(payload.bytes)
        return try fromPayload(payload.bytes, type: payload.type, label: label, notes: result.findings, signer: signer)
    }

    static func fromPayload(_ payload: [UInt8], type: String, label: String, notes: [Finding],
                            signer: SignerInfo) throws(WeightSealError) -> SignedReference {
        guard type == "application/vnd.in-toto+json" else {
            throw WeightSealError(.unsupportedFormat, "\(label): payload type \(ModelPath.quoted(type)) is not an in-toto Statement")
        }
        guard payload.count <= Limits.maxJSONBytes else {
            throw WeightSealError(.limitExceeded, "\(label): the signed statement is larger than \(Limits.maxJSONBytes) bytes")
        }
        // One reading, by the strict reader; each format decodes from its tree.
        let tree: StrictJSON
        // Subjects and file entries are decoded as they are read: the lists that grow with the model never form a tree.
        let elements = ManifestStatement.Elements()
        do {
            tree = try SignedPayloadJSON.parse(payload, label: label, what: "malformed in-toto Statement", elements: elements)
        } catch {
            // The message names the format the payload claims (a lenient look, on this error path only).
            switch try? lenientPredicateType(payload) {
            case ModelManifest.predicateType?: try SignedPayloadJSON.parse(payload, label: label, what: ModelManifest.statementWhat)
            case OMSFormat.predicateType?, OMSFormat.legacyPredicateType?: try SignedPayloadJSON.parse(payload, label: label, what: OMSFormat.statementWhat)
            default: break
            }
            throw error
        }
        let predicateType: String
        switch tree["predicateType"] {
        case .string(let s)?: predicateType = s
        case nil: throw WeightSealError(.malformedManifest, "\(label): the signed payload is not an in-toto Statement: missing field \"predicateType\"")
        case _?: throw WeightSealError(.malformedManifest, "\(label): the signed payload is not an in-toto Statement: field \"predicateType\" is not a string")
        }
        let reference: Reference
        let manifest: ModelManifest?
        let findings: [Finding]
        switch predicateType {
        case ModelManifest.predicateType:
            let parsed = try ModelManifest.parseStatement(tree, elements: elements, label: label)
            (manifest, findings) = (parsed.0, parsed.1)
            reference = parsed.0.reference(label: label, isSigned: true)
        case OMSFormat.predicateType, OMSFormat.legacyPredicateType:
            // OMS reads its subjects from the tree; a Statement with more subjects than were kept is read again whole.
            var whole = tree
            if let restored = elements.restoringSubjects(into: tree) {
                whole = restored
            } else {
                whole = try SignedPayloadJSON.parse(payload, label: label, what: "malformed in-toto Statement")
            }
            let parsed = try OMSFormat.reference(fromTree: whole, label: label)
            (reference, manifest, findings) = (parsed.0, nil, parsed.1)
        default:
            throw WeightSealError(.unsupportedFormat, "\(label): predicate type \(ModelPath.quoted(predicateType)) is not supported")
        }
        let all = notes + findings
        // An inconsistent payload (a root that does not match its files, say) is never handed on as verified.
        let verified = all.contains { $0.severity == .failure }
            ? nil : VerifiedReference(reference: reference, manifest: manifest, label: label, signer: signer)
        return SignedReference(verified: verified, findings: all, signer: signer, kind: reference.kind)
    }

    private struct Peek: Decodable {
        var predicateType: String
    }

    /// The predicate type as a lenient reader sees it, to word the error about a payload the strict reader refused.
    private static func lenientPredicateType(_ payload: [UInt8]) throws -> String {
        try JSONDecoder().decode(Peek.self, from: Data(payload)).predicateType
    }
}
