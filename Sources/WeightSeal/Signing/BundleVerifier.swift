import Foundation
import X509

/// Who the verifier trusts: one public key, or X.509 roots (with an optional identity).
public enum SignatureTrust: Sendable {
    /// Trust exactly this key (`--key`).
    case publicKey(PublicKey)
    /// Trust certificates that chain to these roots (`--certificate-roots`, `--identity`).
    case certificates(CertificateTrust)
    /// Sigstore: a keyless signer identity or a managed key, checked offline against a trusted root (Fulcio CAs,
    /// Rekor logs, CT logs, TSAs) by ``SigstoreVerifier``.
    case sigstore(SigstorePolicy)
}

/// A payload whose signature checked out.
public struct VerifiedPayload: Sendable {
    /// The signed bytes, exactly as in the envelope (parse these; never rebuild them).
    public let payload: [UInt8]
    public let payloadType: String
    /// Who signed: `"p256 key <hint>"` for a key, the leaf's subject (and SANs) for a certificate.
    public let signer: String
    /// Warnings and notes about the signature file (older format, hint from another scheme, ...); never failures.
    public let notes: [Finding]

    public init(payload: [UInt8], payloadType: String, signer: String, notes: [Finding]) {
        self.payload = payload
        self.payloadType = payloadType
        self.signer = signer
        self.notes = notes
    }
}

/// The outcome of checking a bundle's signature: a value, never thrown.
public enum BundleVerdict: Sendable {
    /// A signature is valid from the trusted key or certificate.
    case verified(VerifiedPayload)
    /// Rejected; every finding has severity ``Finding/Severity/failure`` except added notes, and a non-empty message.
    case rejected([Finding])
}

/// Checks the signature of a Sigstore bundle (DSSE, DESIGN §4).
public enum BundleVerifier {
    /// Checks the DSSE signature (PAE) with the trusted key or the certificate chain; never reads the payload's content.
    ///
    /// With a public key: a `publicKey.hint` that differs from the key's ``PublicKey/hint`` is a
    /// ``Finding/Kind/keyMismatch`` failure unless a signature is nevertheless valid with the key (the hint is
    /// unsigned; then it is a warning); a missing hint is a ``Finding/Kind/legacyFormat`` note ("older
    /// verification material format", as the OMS reference warns). Then the envelope's one signature must be
    /// valid over the PAE.
    ///
    /// An envelope with zero or several signatures is rejected with a ``Finding/Kind/signatureInvalid`` finding
    /// before any key is tried (a bundle carries exactly one; ``SigstoreBundle/parse(_:label:)`` refuses other
    /// counts as ``WeightSealError/Code/malformedBundle``, FIELD-CASES-2 G03).
    ///
    /// With certificates: the leaf and intermediates from the bundle are validated by
    /// ``CertificateTrust/validate(leaf:intermediates:)``, then a signature must be valid with the leaf's key.
    public static func verify(_ bundle: SigstoreBundle, trust: SignatureTrust) async -> BundleVerdict {
        let envelope = bundle.dsseEnvelope
        guard envelope.signatures.count == 1 else {
            return .rejected([Finding(.signatureInvalid,
                message: SigstoreBundle.signatureCountProblem(envelope.signatures.count))])
        }
        let pae = envelope.pae
        let material = bundle.verificationMaterial
        var notes = [Finding]()

        switch trust {
        case .publicKey(let key):
            let match = signatureMatch(envelope, key: key, pae: pae)
            let valid = match != .none
            if match == .compat { notes.append(compatNote) }
            if let hint = material.publicKey?.hint, !hint.isEmpty, hint.lowercased() != key.hint {
                guard valid else {
                    return .rejected([Finding(.keyMismatch,
                        message: "key mismatch: the public key hint in the signature file does not match the given public key",
                        expected: hint, actual: key.hint)])
                }
                notes.append(Finding(.keyMismatch, .warning,
                    message: "the public key hint in the signature file is not the SHA-256 of the given key's PEM, but the signature is valid with the given key",
                    expected: hint, actual: key.hint))
            } else if material.publicKey != nil {
                if (material.publicKey?.hint ?? "").isEmpty {
                    notes.append(Finding(.legacyFormat, .note,
                        message: "older verification material format: the signature file has no public key hint; re-sign with a current signer"))
                }
            } else {
                notes.append(Finding(.certificateNotChecked, .note,
                    message: "the signature file carries a certificate; it was checked with the given public key only, the certificate was not validated"))
            }
            guard valid else {
                return .rejected(notes + [signatureFailure(envelope, against: "the given public key (\(key))")])
            }
            return .verified(VerifiedPayload(payload: envelope.payload, payloadType: envelope.payloadType,
                                             signer: key.description, notes: notes))

        case .sigstore:
            return .rejected([Finding(.certificateInvalid,
                message: "a Sigstore policy is verified by SigstoreVerifier, not by the DSSE-only bundle verifier")])

        case .certificates(let certificateTrust):
            guard material.publicKey == nil else {
                return .rejected([Finding(.certificateInvalid,
                    message: "the signature file carries no certificate (it was signed with a bare key); verify it with the public key instead")])
            }
            let certificates: [Certificate]
            do {
                certificates = try bundle.certificates()
            } catch {
                return .rejected([Finding(.certificateInvalid, message: error.message)])
            }
            guard let leaf = certificates.first else {
                return .rejected([Finding(.certificateInvalid, message: "the signature file carries no certificate")])
            }
            let identities: [String]
            let subject: String
            switch await certificateTrust.validate(leaf: leaf, intermediates: Array(certificates.dropFirst())) {
            case .rejected(let finding):
                return .rejected([finding])
            case .trusted(let ids, let subj):
                identities = ids
                subject = subj
            }
            let leafKey: PublicKey
            do {
                leafKey = try PublicKey(certificate: leaf)
            } catch {
                return .rejected([Finding(.certificateInvalid,
                    message: "the leaf certificate's key cannot verify signatures here: \(error.message)")])
            }
            let match = signatureMatch(envelope, key: leafKey, pae: pae)
            guard match != .none else {
                return .rejected([signatureFailure(envelope, against: "the leaf certificate's key (\(subject))")])
            }
            if match == .compat { notes.append(compatNote) }
            let signer = identities.isEmpty ? subject : "\(subject) (\(identities.joined(separator: ", ")))"
            return .verified(VerifiedPayload(payload: envelope.payload, payloadType: envelope.payloadType,
                                             signer: signer, notes: notes))
        }
    }

    enum Match { case none, pae, compat }

    /// Whether a signature is valid over the PAE or, failing that, over the PAE of model-signing 0.2
    /// (``DSSE/paeModelSigningV02(payloadType:payload:)``), which signed with SHA-256 on every curve.
    static func signatureMatch(_ envelope: DSSEEnvelope, key: PublicKey, pae: [UInt8]) -> Match {
        if envelope.signatures.contains(where: { key.isValidSignature($0.sig, for: pae) }) { return .pae }
        let compat = DSSE.paeModelSigningV02(payloadType: envelope.payloadType, payload: envelope.payload)
        if envelope.signatures.contains(where: {
            key.isValidSignature($0.sig, for: compat) || key.isValidSHA256Signature($0.sig, for: compat)
        }) { return .compat }
        return .none
    }

    static let compatNote = Finding(.legacyFormat, .warning,
        message: "the signature was made over model-signing 0.2's faulty DSSE encoding (\"DSSEV1 … b'…'\"); re-sign with a current signer")

    private static func signatureFailure(_ envelope: DSSEEnvelope, against what: String) -> Finding {
        Finding(.signatureInvalid,
            message: "signature invalid: the DSSE signature does not verify with \(what) over the payload; the payload or the signature was altered, or another key signed it")
    }
}
