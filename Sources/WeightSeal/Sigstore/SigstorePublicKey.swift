import Crypto
import CryptoExtras
import Foundation
import SwiftASN1

/// A public key of the Sigstore trust material (a log, CT log or managed signing key) with its signature scheme,
/// as protobuf-specs `PublicKeyDetails` names them.
///
/// Supported: `PKIX_ECDSA_P256_SHA_256`, `PKIX_ECDSA_P384_SHA_384`, `PKIX_ECDSA_P521_SHA_512` (DER signatures),
/// `PKIX_ED25519`, `PKIX_RSA_PKCS1V15_*_SHA256` and the older `PKCS1_RSA_PKCS1V5`/`PKIX_RSA_PKCS1V5`
/// (RSASSA-PKCS1-v1_5 with SHA-256), `PKIX_RSA_PSS_*_SHA256`. A key given without details is classified by its SPKI
/// algorithm with the usual hash (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, RSA PKCS#1 v1.5/SHA-256).
public struct SigstorePublicKey: Sendable, Hashable {
    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey, pss: Bool)
    }

    let backing: Backing
    /// The key as given (DER SPKI, or PKCS#1 `RSAPublicKey` for `PKCS1_RSA_PKCS1V5`).
    public let rawBytes: [UInt8]
    /// The scheme name (`PKIX_ECDSA_P256_SHA_256`, ...), the one given or the inferred one.
    public let keyDetails: String

    public static func == (a: Self, b: Self) -> Bool { a.rawBytes == b.rawBytes && a.keyDetails == b.keyDetails }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawBytes) }

    /// Creates a key from its DER bytes and `keyDetails` (empty: infer from the SPKI).
    /// - Throws: ``WeightSealError/Code/malformedKey`` for bytes that are not such a key, or an unknown scheme.
    public init(rawBytes: [UInt8], keyDetails: String = "") throws(WeightSealError) {
        self.rawBytes = rawBytes
        var details = keyDetails
        if details.isEmpty || details == "PUBLIC_KEY_DETAILS_UNSPECIFIED" {
            details = Self.inferDetails(rawBytes)
        }
        self.keyDetails = details
        do {
            switch details {
            case "PKIX_ECDSA_P256_SHA_256":
                backing = .p256(try P256.Signing.PublicKey(derRepresentation: rawBytes))
            case "PKIX_ECDSA_P384_SHA_384":
                backing = .p384(try P384.Signing.PublicKey(derRepresentation: rawBytes))
            case "PKIX_ECDSA_P521_SHA_512":
                backing = .p521(try P521.Signing.PublicKey(derRepresentation: rawBytes))
            case "PKIX_ED25519":
                backing = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: Self.ed25519Raw(rawBytes)))
            case "PKCS1_RSA_PKCS1V5", "PKIX_RSA_PKCS1V5", "PKIX_RSA_PKCS1V15_2048_SHA256",
                 "PKIX_RSA_PKCS1V15_3072_SHA256", "PKIX_RSA_PKCS1V15_4096_SHA256":
                backing = .rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: rawBytes), pss: false)
            case "PKIX_RSA_PSS_2048_SHA256", "PKIX_RSA_PSS_3072_SHA256", "PKIX_RSA_PSS_4096_SHA256":
                backing = .rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: rawBytes), pss: true)
            default:
                throw WeightSealError(.malformedKey, "unsupported key scheme \(details)")
            }
        } catch let error as WeightSealError {
            throw error
        } catch {
            // swift-crypto's errors name internals; say what the bytes are not.
            throw WeightSealError(.malformedKey, "the key bytes are not a \(details) public key (\(Self.inferDetails(rawBytes)) by its encoding)")
        }
    }

    /// SHA-256 of the key bytes: the log ID of a Rekor v1 or CT log key (RFC 6962 §3.2).
    public var keyID: [UInt8] { Array(SHA256.hash(data: rawBytes)) }

    /// Whether `signature` is valid over `message` (hashed with the scheme's hash).
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch backing {
        case .p256(let k):
            guard let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: message)
        case .p384(let k):
            guard let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: message)
        case .p521(let k):
            guard let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: message)
        case .ed25519(let k):
            return k.isValidSignature(signature, for: message)
        case .rsa(let k, let pss):
            return k.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: message,
                                      padding: pss ? .PSS : .insecurePKCS1v1_5)
        }
    }

    /// Whether `signature` is valid over a message whose digest (with the scheme's hash) is `digest`.
    /// Ed25519 signs messages, not digests: always `false` for it.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8]) -> Bool {
        switch backing {
        case .p256(let k):
            guard digest.count == 32, let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: PrehashedDigest<SHA256Digest>(bytes: digest))
        case .p384(let k):
            guard digest.count == 48, let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: PrehashedDigest<SHA384Digest>(bytes: digest))
        case .p521(let k):
            guard digest.count == 64, let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: PrehashedDigest<SHA512Digest>(bytes: digest))
        case .ed25519:
            return false
        case .rsa(let k, let pss):
            guard digest.count == 32 else { return false }
            return k.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature),
                                      for: PrehashedDigest<SHA256Digest>(bytes: digest),
                                      padding: pss ? .PSS : .insecurePKCS1v1_5)
        }
    }

    /// The hash the scheme signs with, applied to `message`.
    public func digest(_ message: [UInt8]) -> [UInt8] {
        switch backing {
        case .p384: return Array(SHA384.hash(data: message))
        case .p521: return Array(SHA512.hash(data: message))
        default: return Array(SHA256.hash(data: message))
        }
    }

    /// Whether the key is Ed25519 (which signs whole messages only).
    public var isEd25519: Bool { if case .ed25519 = backing { return true } else { return false } }

    static func inferDetails(_ der: [UInt8]) -> String {
        guard let node = try? DER.parse(der), case .constructed(let top) = node.content,
              let algorithm = Array(top).first, case .constructed(let alg) = algorithm.content,
              let oidNode = Array(alg).first, let oid = try? ASN1ObjectIdentifier(derEncoded: oidNode) else {
            // A bare PKCS#1 RSAPublicKey.
            return "PKCS1_RSA_PKCS1V5"
        }
        switch oid.description {
        case "1.2.840.10045.2.1":
            let curve = Array(alg).dropFirst().first.flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }?.description
            switch curve {
            case "1.3.132.0.34": return "PKIX_ECDSA_P384_SHA_384"
            case "1.3.132.0.35": return "PKIX_ECDSA_P521_SHA_512"
            default: return "PKIX_ECDSA_P256_SHA_256"
            }
        case "1.3.101.112": return "PKIX_ED25519"
        case "1.2.840.113549.1.1.1": return "PKIX_RSA_PKCS1V5"
        default: return "unknown algorithm \(oid)"
        }
    }

    /// The 32 key bytes of an Ed25519 SPKI (`30 2a 30 05 06 03 2b 65 70 03 21 00 ‖ key`), or the bytes as given.
    static func ed25519Raw(_ der: [UInt8]) -> [UInt8] {
        let prefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        if der.count == 44, Array(der.prefix(12)) == prefix { return Array(der.suffix(32)) }
        return der
    }
}

/// A digest computed elsewhere (a hashedrekord's or message signature's SHA-256), for swift-crypto's digest APIs.
struct PrehashedDigest<D: Digest>: Digest {
    static var byteCount: Int { D.byteCount }
    let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { bytes.hexString }
}

extension SigstorePublicKey {
    /// Reads a PEM public key file (`PUBLIC KEY` SPKI, or `RSA PUBLIC KEY` PKCS#1), at most ``Limits/maxPEMBytes``.
    /// - Throws: ``WeightSealError/Code/io`` if unreadable, ``WeightSealError/Code/malformedKey`` if not such a key.
    public static func load(file: String) throws(WeightSealError) -> SigstorePublicKey {
        let data = try AtomicFile.read(file, limit: Limits.maxPEMBytes, what: "public key", allowPipe: true)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw WeightSealError(.malformedKey, "\(file): not a PEM public key")
        }
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: text)
        } catch {
            throw WeightSealError(.malformedKey, "\(file): not a PEM public key (no complete -----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY----- block with valid base64)")
        }
        guard document.discriminator == "PUBLIC KEY" || document.discriminator == "RSA PUBLIC KEY" else {
            throw WeightSealError(.malformedKey, "\(file): PEM block is \(document.discriminator), not PUBLIC KEY")
        }
        do {
            return try SigstorePublicKey(rawBytes: document.derBytes)
        } catch {
            throw WeightSealError(.malformedKey, "\(file): \(error.message)")
        }
    }
}
