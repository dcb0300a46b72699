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
        try loadCertificates(pemFile: pemFile, maxBytes: Limits.maxPEMBytes, maxCount: Limits.maxCertificates)
    }

    /// ``loadCertificates(pemFile:)`` with other bounds: a file of trusted roots (`--certificate-roots`) may be a
    /// system CA bundle of a few hundred certificates (``Limits/maxRootCertificatesBytes``,
    /// ``Limits/maxRootCertificates``). The size is checked before anything is parsed.
    static func loadCertificates(pemFile: String, maxBytes: Int, maxCount: Int) throws(WeightSealError) -> [Certificate] {
        let label = "certificate file '\(pemFile)'"
        let bytes = try AtomicFile.read(pemFile, limit: maxBytes, what: "certificate file", allowPipe: true)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WeightSealError(.malformedKey, "\(label) is not UTF-8 PEM text")
        }
        return try certificates(pem: text, label: label, maxBytes: maxBytes, maxCount: maxCount)
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
    static func certificates(pem: String, label: String, maxBytes: Int = Limits.maxPEMBytes,
                             maxCount: Int = Limits.maxCertificates) throws(WeightSealError) -> [Certificate] {
        guard pem.utf8.count <= maxBytes else {
            throw WeightSealError(.limitExceeded, "\(label) is larger than \(maxBytes) bytes")
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
        guard documents.count <= maxCount else {
            throw WeightSealError(.limitExceeded,
                "\(label) holds \(documents.count) PEM blocks, more than the limit of \(maxCount) certificates")
        }
        var result: [Certificate] = []
        for (index, document) in documents.enumerated() {
            guard document.discriminator == Certificate.defaultPEMDiscriminator else {
                throw WeightSealError(.malformedKey, "\(label): PEM block \(index + 1) is '\(document.discriminator)', "
                    + "expected '\(Certificate.defaultPEMDiscriminator)'")
            }
            guard document.derBytes.count <= Limits.maxCertificateBytes else {
                throw WeightSealError(.limitExceeded, "\(label): PEM block \(index + 1) is \(document.derBytes.count) bytes of DER, "
                    + "more than the limit of \(Limits.maxCertificateBytes) for one certificate")
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
