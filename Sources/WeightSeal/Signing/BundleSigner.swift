import Foundation
import SwiftASN1
import X509

/// Makes signature files: a DSSE envelope in a Sigstore bundle v0.3 (DESIGN §4).
public enum BundleSigner {
    /// Signs `payload` (the Statement JSON bytes) as a DSSE envelope in a Sigstore bundle.
    ///
    /// The signature covers ``DSSE/pae(payloadType:payload:)``. Without a chain the verification material is
    /// `publicKey.hint` = ``PublicKey/hint``; with one it is `x509CertificateChain` (leaf first, as OMS writes).
    /// `tlogEntries` is empty; no DSSE `keyid` is written.
    /// - Parameters:
    ///   - payload: the bytes to sign, stored verbatim.
    ///   - payloadType: e.g. ``InTotoStatement/payloadType``.
    ///   - key: the signer (a ``SigningKey``, or another ``MessageSigner``).
    ///   - certificateChain: leaf certificate for `key`, then intermediates (root optional), or `nil`.
    ///   - signingTime: when the leaf must be valid (`nil`: now); see ``CertificateTrust/checkSigningCertificate(_:at:)``.
    /// - Throws: what `key` throws when it cannot sign; ``WeightSealError/Code/invalidArgument`` when the leaf does not certify `key`, the chain is empty or
    ///   longer than ``Limits/maxCertificates``, or the leaf is one verification would reject: outside its validity
    ///   period at `signingTime` (bounds inclusive), a CA, or without code-signing usage (FIELD-CASES-2 G05, G06).
    public static func sign(payload: [UInt8], payloadType: String, key: some MessageSigner,
                            certificateChain: [X509.Certificate]? = nil,
                            signingTime: Date? = nil) throws(WeightSealError) -> SigstoreBundle {
        let material: SigstoreBundle.VerificationMaterial
        if let chain = certificateChain {
            guard let leaf = chain.first else {
                throw WeightSealError(.invalidArgument, "the certificate chain is empty")
            }
            guard chain.count <= Limits.maxCertificates else {
                throw WeightSealError(.invalidArgument, "the certificate chain has \(chain.count) certificates (at most \(Limits.maxCertificates))")
            }
            guard key.matches(certificate: leaf) else {
                throw WeightSealError(.invalidArgument, "the signing key does not match the certificate (subject \(leaf.subject))")
            }
            try CertificateTrust.checkSigningCertificate(leaf, at: signingTime ?? Date())
            var ders = [SigstoreBundle.CertificateBytes]()
            for cert in chain {
                var serializer = DER.Serializer()
                do {
                    try serializer.serialize(cert)
                } catch {
                    throw WeightSealError(.invalidArgument, "cannot encode certificate \(cert.subject): \(error)")
                }
                ders.append(.init(rawBytes: serializer.serializedBytes))
            }
            material = .init(x509CertificateChain: .init(certificates: ders), tlogEntries: [])
        } else {
            material = .init(publicKey: .init(hint: key.publicKey.hint), tlogEntries: [])
        }
        let signature = try key.signature(for: DSSE.pae(payloadType: payloadType, payload: payload))
        let envelope = DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: [.init(sig: signature)])
        return SigstoreBundle(verificationMaterial: material, dsseEnvelope: envelope)
    }
}
