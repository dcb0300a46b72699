import Foundation
import SwiftASN1
import X509

extension CertificateTrust {
    /// Reads every certificate of a PEM file (a root bundle, a chain, or a single certificate).
    ///
    /// Reads at most ``Limits/maxPEMBytes`` bytes; text outside the `-----BEGIN CERTIFICATE-----` blocks
    /// (comments, `openssl x509 -text` output) is ignored.
    ///
    /// - Parameter pemFile: Path of the file.
    /// - Returns: The certificates, in file order (at least one, at most ``Limits/maxCertificates``).
    /// - Throws: ``WeightSealError/Code/io`` if the file cannot be read, ``WeightSealError/Code/limitExceeded``
    ///   if it is larger than ``Limits/maxPEMBytes`` or holds more than ``Limits/maxCertificates`` certificates,
    ///   ``WeightSealError/Code/malformedKey`` naming the file if it is not UTF-8 PEM, holds no certificate,
    ///   a block of another type (a private key, ...) or a malformed certificate.
    public static func loadCertificates(pemFile: String) throws(WeightSealError) -> [Certificate] {
        let label = "certificate file '\(pemFile)'"
        let bytes = try AtomicFile.read(pemFile, limit: Limits.maxPEMBytes, what: "certificate file", allowPipe: true)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WeightSealError(.malformedKey, "\(label) is not UTF-8 PEM text")
        }
        return try certificates(pem: text, label: label)
    }

    /// Parses every `CERTIFICATE` block of PEM text.
    ///
    /// - Parameter pem: PEM text, at most ``Limits/maxPEMBytes`` UTF-8 bytes.
    /// - Returns: The certificates in text order (at least one, at most ``Limits/maxCertificates``).
    /// - Throws: ``WeightSealError/Code/limitExceeded`` beyond the limits, ``WeightSealError/Code/malformedKey``
    ///   if the text holds no certificate, a block of another type or a malformed certificate.
    public static func certificates(pem: String) throws(WeightSealError) -> [Certificate] {
        try certificates(pem: pem, label: "PEM text")
    }

    /// ``certificates(pem:)`` with `label` naming the source in errors.
    static func certificates(pem: String, label: String) throws(WeightSealError) -> [Certificate] {
        guard pem.utf8.count <= Limits.maxPEMBytes else {
            throw WeightSealError(.limitExceeded, "\(label) is larger than \(Limits.maxPEMBytes) bytes")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw WeightSealError(.malformedKey, "\(label) is not valid PEM: \(error)", cause: error)
        }
        guard !documents.isEmpty else {
            throw WeightSealError(.malformedKey, "\(label) holds no PEM 'CERTIFICATE' block "
                + "(a DER file can be converted with 'openssl x509 -inform der')")
        }
        guard documents.count <= Limits.maxCertificates else {
            throw WeightSealError(.limitExceeded,
                "\(label) holds \(documents.count) PEM blocks, more than the limit of \(Limits.maxCertificates) certificates")
        }
        var result: [Certificate] = []
        for (index, document) in documents.enumerated() {
            guard document.discriminator == Certificate.defaultPEMDiscriminator else {
                throw WeightSealError(.malformedKey, "\(label): PEM block \(index + 1) is '\(document.discriminator)', "
                    + "expected '\(Certificate.defaultPEMDiscriminator)'")
            }
            do {
                result.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw WeightSealError(.malformedKey,
                    "\(label): PEM block \(index + 1) is not a valid X.509 certificate: \(error)", cause: error)
            }
        }
        return result
    }
}
