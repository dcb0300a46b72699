import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import X509

/// A signature algorithm weightseal signs and verifies with (DESIGN §4).
///
/// - `p256`: ECDSA over NIST P-256 with SHA-256, ASN.1 DER signatures (FIPS 186-5, RFC 5480).
/// - `p384`: ECDSA over NIST P-384 with SHA-384, ASN.1 DER signatures.
/// - `ed25519`: Ed25519 (RFC 8032), 64-byte raw signatures.
public enum KeyAlgorithm: String, Sendable, CaseIterable {
    case p256, p384, ed25519
}

/// What signs a DSSE envelope's PAE: a key in memory (``SigningKey``), a key held in a token, or the ephemeral key of a
/// keyless signature. The signature must verify under ``publicKey`` as ``PublicKey/isValidSignature(_:for:)`` checks it.
public protocol MessageSigner: Sendable {
    /// The public key that verifies the signatures.
    var publicKey: PublicKey { get }
    /// Signs `message` (the whole message; the signer hashes it as its algorithm says).
    /// - Throws: ``WeightSealError`` when the signer cannot sign.
    func signature(for message: [UInt8]) throws(WeightSealError) -> [UInt8]
}

extension MessageSigner {
    /// Whether `certificate` certifies this key (same SubjectPublicKeyInfo).
    public func matches(certificate: X509.Certificate) -> Bool {
        guard let certKey = try? PublicKey(certificate: certificate) else { return false }
        return certKey == publicKey
    }
}

/// A private key that signs DSSE envelopes.
///
/// Read from PEM: PKCS#8 (`PRIVATE KEY`, RFC 5208/5958) for all three algorithms, or SEC1 (`EC PRIVATE KEY`,
/// RFC 5915) for the two NIST curves. Written as PKCS#8 PEM.
public struct SigningKey: MessageSigner {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let backing: Backing

    init(backing: Backing) { self.backing = backing }

    /// A new random key.
    public static func generate(_ algorithm: KeyAlgorithm) -> SigningKey {
        switch algorithm {
        case .p256: return SigningKey(backing: .p256(P256.Signing.PrivateKey()))
        case .p384: return SigningKey(backing: .p384(P384.Signing.PrivateKey()))
        case .ed25519: return SigningKey(backing: .ed25519(Curve25519.Signing.PrivateKey()))
        }
    }

    /// Reads a PEM private key: PKCS#8 `PRIVATE KEY` (P-256, P-384, Ed25519) or SEC1 `EC PRIVATE KEY`
    /// (P-256, P-384). Text around the PEM block is ignored.
    /// - Throws: ``WeightSealError/Code/malformedKey`` when there is no such block or the key is not one of
    ///   the supported algorithms; encrypted keys are not supported.
    public init(pemRepresentation: String) throws(WeightSealError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pemRepresentation)
        } catch {
            throw WeightSealError(.malformedKey, "not a PEM private key: \(error)")
        }
        guard let document = documents.first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") }) else {
            throw WeightSealError(.malformedKey, "no PEM \"PRIVATE KEY\" or \"EC PRIVATE KEY\" block found")
        }
        switch document.discriminator {
        case "PRIVATE KEY", "EC PRIVATE KEY":
            let pem = document.pemString
            if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
                self.init(backing: .p256(key))
            } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
                self.init(backing: .p384(key))
            } else if document.discriminator == "PRIVATE KEY",
                      let key = try? Curve25519.Signing.PrivateKey(derRepresentation: document.derBytes) {
                self.init(backing: .ed25519(key))
            } else {
                throw WeightSealError(.malformedKey,
                    "unsupported or malformed private key (supported: P-256, P-384, Ed25519)")
            }
        case "ENCRYPTED PRIVATE KEY":
            throw WeightSealError(.malformedKey, "encrypted private keys are not supported; decrypt it first")
        default:
            throw WeightSealError(.malformedKey,
                "unsupported PEM block \"\(document.discriminator)\" (supported: PRIVATE KEY, EC PRIVATE KEY)")
        }
    }

    /// Reads a PEM private key file (at most ``Limits/maxPEMBytes`` bytes).
    /// - Throws: ``WeightSealError/Code/io`` or ``WeightSealError/Code/malformedKey``, naming `file`.
    public static func load(file: String) throws(WeightSealError) -> SigningKey {
        let text = try readPEMFile(file, what: "private key")
        do {
            return try SigningKey(pemRepresentation: text)
        } catch {
            throw WeightSealError(error.code, "\(file): \(error.message)")
        }
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), ending with a newline.
    public var pemRepresentation: String {
        switch backing {
        case .p256(let k): return withNewline(k.pemRepresentation)
        case .p384(let k): return withNewline(k.pemRepresentation)
        case .ed25519(let k): return withNewline(k.pemRepresentation)
        }
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        switch backing {
        case .p256(let k): return PublicKey(backing: .p256(k.publicKey))
        case .p384(let k): return PublicKey(backing: .p384(k.publicKey))
        case .ed25519(let k): return PublicKey(backing: .ed25519(k.publicKey))
        }
    }

    /// The key's algorithm.
    public var algorithm: KeyAlgorithm {
        switch backing {
        case .p256: return .p256
        case .p384: return .p384
        case .ed25519: return .ed25519
        }
    }

    /// Signs `message`: ECDSA P-256/SHA-256 or P-384/SHA-384 as an ASN.1 DER `Ecdsa-Sig-Value`, or a
    /// 64-byte Ed25519 signature.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` if the crypto library fails (not expected).
    public func signature(for message: [UInt8]) throws(WeightSealError) -> [UInt8] {
        do {
            switch backing {
            case .p256(let k): return Array(try k.signature(for: message).derRepresentation)
            case .p384(let k): return Array(try k.signature(for: message).derRepresentation)
            case .ed25519(let k): return Array(try k.signature(for: message))
            }
        } catch {
            throw WeightSealError(.invalidArgument, "signing failed: \(error)")
        }
    }
}

/// A public key that verifies DSSE signatures.
///
/// Read from SPKI (`PUBLIC KEY`, RFC 5280 §4.1.2.7) PEM or DER, or from a certificate. Equal keys have equal
/// ``derRepresentation``.
public struct PublicKey: Sendable, Hashable {
    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let backing: Backing
    /// SPKI DER, computed once.
    public let derRepresentation: [UInt8]

    init(backing: Backing) {
        self.backing = backing
        switch backing {
        case .p256(let k): derRepresentation = Array(k.derRepresentation)
        case .p384(let k): derRepresentation = Array(k.derRepresentation)
        case .ed25519(let k): derRepresentation = Array(k.derRepresentation)
        }
    }

    /// Reads an SPKI `PUBLIC KEY` PEM block; text around it (as `certtool` writes) is ignored.
    /// - Throws: ``WeightSealError/Code/malformedKey``.
    public init(pemRepresentation: String) throws(WeightSealError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pemRepresentation)
        } catch {
            throw WeightSealError(.malformedKey, "not a PEM public key: \(error)")
        }
        guard let document = documents.first(where: { $0.discriminator == "PUBLIC KEY" }) else {
            if documents.contains(where: { $0.discriminator == "CERTIFICATE" }) {
                throw WeightSealError(.malformedKey, "found a certificate where a \"PUBLIC KEY\" PEM block was expected")
            }
            if documents.contains(where: { $0.discriminator.hasSuffix("PRIVATE KEY") }) {
                throw WeightSealError(.malformedKey, "this is a private key; verification takes the public key (its .pub file, from `weightseal keygen`)")
            }
            throw WeightSealError(.malformedKey, "no PEM \"PUBLIC KEY\" block found")
        }
        try self.init(derRepresentation: document.derBytes)
    }

    /// Reads a DER SubjectPublicKeyInfo.
    /// - Throws: ``WeightSealError/Code/malformedKey`` if it does not parse, ``WeightSealError/Code/unsupportedAlgorithm``
    ///   for a valid key of another algorithm (RSA, P-521).
    public init(derRepresentation: [UInt8]) throws(WeightSealError) {
        let certKey: Certificate.PublicKey
        do {
            certKey = try Certificate.PublicKey(derEncoded: derRepresentation)
        } catch {
            throw WeightSealError(.malformedKey, "not a valid SubjectPublicKeyInfo: \(error)")
        }
        try self.init(certKey)
    }

    /// The subject public key of `certificate`.
    /// - Throws: ``WeightSealError/Code/unsupportedAlgorithm`` for keys other than P-256, P-384 and Ed25519.
    public init(certificate: X509.Certificate) throws(WeightSealError) {
        try self.init(certificate.publicKey)
    }

    init(_ certKey: Certificate.PublicKey) throws(WeightSealError) {
        if let k = P256.Signing.PublicKey(certKey) {
            self.init(backing: .p256(k))
        } else if let k = P384.Signing.PublicKey(certKey) {
            self.init(backing: .p384(k))
        } else if let k = Curve25519.Signing.PublicKey(certKey) {
            self.init(backing: .ed25519(k))
        } else {
            throw WeightSealError(.unsupportedAlgorithm,
                "unsupported public key type \(certKey) (supported: P-256, P-384, Ed25519)")
        }
    }

    /// Reads a PEM public key file; the same as ``load(file:)``.
    /// - Throws: as ``load(file:)``.
    public init(pemFile: String) throws(WeightSealError) {
        self = try PublicKey.load(file: pemFile)
    }

    /// Reads a PEM public key file (at most ``Limits/maxPEMBytes`` bytes).
    /// - Throws: ``WeightSealError/Code/io`` or ``WeightSealError/Code/malformedKey``, naming `file`.
    public static func load(file: String) throws(WeightSealError) -> PublicKey {
        let text = try readPEMFile(file, what: "public key")
        do {
            return try PublicKey(pemRepresentation: text)
        } catch {
            throw WeightSealError(error.code, "\(file): \(error.message)")
        }
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`, 64-character lines), ending with a newline: the form OpenSSL and
    /// Python `cryptography` write.
    public var pemRepresentation: String {
        withNewline(PEMDocument(type: "PUBLIC KEY", derBytes: derRepresentation).pemString)
    }

    /// Lower-case hex SHA-256 of ``pemRepresentation``'s UTF-8 bytes: the `verificationMaterial.publicKey.hint`
    /// the OMS reference writes (equal to `sha256sum` of a canonically formatted `.pub` file).
    public var hint: String {
        SHA256.hash(data: Array(pemRepresentation.utf8)).hexString
    }

    /// The key's algorithm.
    public var algorithm: KeyAlgorithm {
        switch backing {
        case .p256: return .p256
        case .p384: return .p384
        case .ed25519: return .ed25519
        }
    }

    /// Whether `signature` is valid for `message`: ECDSA DER with SHA-256 (P-256) or SHA-384 (P-384), or a
    /// raw 64-byte Ed25519 signature. Malformed signatures are simply invalid.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch backing {
        case .p256(let k):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(sig, for: message)
        case .p384(let k):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(sig, for: message)
        case .ed25519(let k):
            return k.isValidSignature(signature, for: message)
        }
    }

    /// model-signing 0.2 signed with ECDSA over SHA-256 whatever the curve; accepted only on its legacy PAE path.
    func isValidSHA256Signature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch backing {
        case .p256(let k):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(sig, for: SHA256.hash(data: message))
        case .p384(let k):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(sig, for: SHA256.hash(data: message))
        case .ed25519:
            return false
        }
    }

    /// Keys are equal when their SPKI DER is.
    public static func == (a: PublicKey, b: PublicKey) -> Bool { a.derRepresentation == b.derRepresentation }
    public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }
}

extension PublicKey: CustomStringConvertible {
    /// `"<algorithm> key <hint>"`, e.g. `p256 key 1457b49d…`.
    public var description: String { "\(algorithm.rawValue) key \(hint)" }
}

private func withNewline(_ s: String) -> String { s.hasSuffix("\n") ? s : s + "\n" }

/// Reads a small text file (key, certificate) with a size bound.
func readPEMFile(_ file: String, what: String) throws(WeightSealError) -> String {
    let bytes = try AtomicFile.read(file, limit: Limits.maxPEMBytes, what: "\(what) file", allowPipe: true)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw WeightSealError(.malformedKey, "\(file): \(what) file is not UTF-8 text")
    }
    return text
}

