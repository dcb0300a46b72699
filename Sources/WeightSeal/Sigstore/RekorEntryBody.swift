import Crypto
import Foundation

/// Compares a Rekor entry's `canonicalizedBody` with what the bundle says was signed.
///
/// The body is what the log signed; the bundle's signature, signer and content are what the verifier checks. Unless
/// the two agree, a genuine log entry for something else could vouch for this bundle. Field shapes:
/// - `hashedrekord` 0.0.1 (rekor `pkg/types/hashedrekord/v0.0.1`): `spec.data.hash {algorithm: "sha256", value: hex}`,
///   `spec.signature.content` (base64 signature), `spec.signature.publicKey.content` (base64 of a PEM certificate
///   or public key).
/// - `dsse` 0.0.1 (`pkg/types/dsse/v0.0.1`): `spec.payloadHash {algorithm, value: hex}` and `spec.signatures[]`
///   `{signature: base64, verifier: base64 of PEM}`.
/// - `intoto` 0.0.2 (`pkg/types/intoto/v0.0.2`): `spec.content.envelope {payloadType, payload, signatures[]}` where
///   `payload` and each `sig` are base64 of the envelope's own base64 text and `publicKey` is base64 of PEM, and
///   `spec.content.payloadHash {algorithm, value: hex}`.
/// - `hashedrekord` 0.0.2 (rekor-tiles, protobuf JSON): `spec.hashedRekordV002.data {algorithm: "SHA2_256",
///   digest: base64}` and `.signature {content, verifier {x509Certificate.rawBytes | publicKey.rawBytes, keyDetails}}`.
///   A DSSE envelope logged this way records SHA-256(PAE(payloadType, payload)) and the envelope's signature.
/// - `dsse` 0.0.2 (rekor-tiles): `spec.dsseV002.payloadHash {algorithm, digest: base64}` and `.signatures[]
///   {content, verifier}`.
///
/// The envelope hashes of `dsse` 0.0.1 (`envelopeHash`) and `intoto` 0.0.2 (`hash`) are not compared: Rekor hashed
/// the envelope JSON as it was submitted, which the bundle does not keep byte for byte; the payload hash and the
/// signatures bind the same content.
enum RekorEntryBody {
    /// Most signatures a DSSE body may list.
    static let maxSignatures = Limits.maxSignatures

    /// - Throws: ``LogEntryFailure/Kind/bodyMismatch`` naming the first field that differs, or
    ///   ``LogEntryFailure/Kind/unsupported`` for an unknown kind or hash algorithm.
    static func check(_ body: [UInt8], kind: String, version: String, content: SignedContent,
                      signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        guard body.count <= RekorEntryVerifier.maxBodyBytes else {
            throw LogEntryFailure(.bodyMismatch, "canonicalizedBody is larger than \(RekorEntryVerifier.maxBodyBytes) bytes")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parseDocument(body)
        } catch {
            throw LogEntryFailure(.bodyMismatch, "canonicalizedBody is not JSON: \(error.message)")
        }
        guard json["kind"]?.string == kind, json["apiVersion"]?.string == version else {
            throw LogEntryFailure(.bodyMismatch, "canonicalizedBody is not a \(kind) \(version) entry as kindVersion says")
        }
        guard let spec = json["spec"], spec.object != nil else {
            throw LogEntryFailure(.bodyMismatch, "canonicalizedBody has no spec")
        }
        switch (kind, version) {
        case ("hashedrekord", "0.0.1"): try hashedRekordV001(spec, content: content, signer: signer)
        case ("dsse", "0.0.1"): try dsseV001(spec, content: content, signer: signer)
        case ("intoto", "0.0.2"): try intotoV002(spec, content: content, signer: signer)
        case ("hashedrekord", "0.0.2"): try hashedRekordV002(spec, content: content, signer: signer)
        case ("dsse", "0.0.2"): try dsseV002(spec, content: content, signer: signer)
        default: throw LogEntryFailure(.unsupported, "Rekor entry kind \(kind) \(version) is not supported")
        }
    }

    // MARK: - Rekor v1

    static func hashedRekordV001(_ spec: StrictJSON, content: SignedContent,
                                 signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        guard case .messageSignature(let digest, let signature) = content else {
            throw LogEntryFailure(.bodyMismatch, "a hashedrekord 0.0.1 entry records a message signature, the bundle has a DSSE envelope")
        }
        try hexHash(spec["data"]?["hash"], field: "spec.data.hash", equals: digest)
        guard try base64(spec["signature"]?["content"], field: "spec.signature.content") == signature else {
            throw LogEntryFailure(.bodyMismatch, "spec.signature.content is not the bundle's signature")
        }
        let pem = try base64(spec["signature"]?["publicKey"]?["content"], field: "spec.signature.publicKey.content")
        try pemVerifier(pem, field: "spec.signature.publicKey.content", signer: signer)
    }

    static func dsseV001(_ spec: StrictJSON, content: SignedContent,
                         signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        let envelope = try dsseContent(content, kind: "dsse 0.0.1")
        try hexHash(spec["payloadHash"], field: "spec.payloadHash", equals: Array(SHA256.hash(data: envelope.payload)))
        let items = try list(spec["signatures"], field: "spec.signatures")
        var logged = [[UInt8]]()
        for (i, item) in items.enumerated() {
            let f = "spec.signatures[\(i)]"
            logged.append(try base64(item["signature"], field: "\(f).signature"))
            try pemVerifier(try base64(item["verifier"], field: "\(f).verifier"), field: "\(f).verifier", signer: signer)
        }
        try sameSignatures(logged, envelope, field: "spec.signatures")
    }

    static func intotoV002(_ spec: StrictJSON, content: SignedContent,
                           signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        let envelope = try dsseContent(content, kind: "intoto 0.0.2")
        guard let c = spec["content"] else { throw LogEntryFailure(.bodyMismatch, "spec.content is missing") }
        try hexHash(c["payloadHash"], field: "spec.content.payloadHash", equals: Array(SHA256.hash(data: envelope.payload)))
        guard let logged = c["envelope"] else { throw LogEntryFailure(.bodyMismatch, "spec.content.envelope is missing") }
        guard logged["payloadType"]?.string == envelope.payloadType else {
            throw LogEntryFailure(.bodyMismatch, "spec.content.envelope.payloadType is not the envelope's")
        }
        // Rekor may drop the payload from the stored body; when present, it must be the envelope's.
        if logged["payload"] != nil {
            let text = try base64(logged["payload"], field: "spec.content.envelope.payload")
            guard base64Bytes(String(decoding: text, as: UTF8.self)) == envelope.payload else {
                throw LogEntryFailure(.bodyMismatch, "spec.content.envelope.payload is not the envelope's payload")
            }
        }
        let items = try list(logged["signatures"], field: "spec.content.envelope.signatures")
        var sigs = [[UInt8]]()
        for (i, item) in items.enumerated() {
            let f = "spec.content.envelope.signatures[\(i)]"
            // `sig` holds the envelope's base64 text, itself base64-encoded (sigstore-go `Entry.Signature`).
            let text = try base64(item["sig"], field: "\(f).sig")
            guard let sig = base64Bytes(String(decoding: text, as: UTF8.self)) else {
                throw LogEntryFailure(.bodyMismatch, "\(f).sig is not base64 of a base64 signature")
            }
            sigs.append(sig)
            try pemVerifier(try base64(item["publicKey"], field: "\(f).publicKey"), field: "\(f).publicKey", signer: signer)
        }
        try sameSignatures(sigs, envelope, field: "spec.content.envelope.signatures")
    }

    // MARK: - Rekor v2

    static func hashedRekordV002(_ spec: StrictJSON, content: SignedContent,
                                 signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        guard let entry = spec["hashedRekordV002"] else {
            throw LogEntryFailure(.bodyMismatch, "spec.hashedRekordV002 is missing")
        }
        let digest: [UInt8]
        let signature: [UInt8]
        switch content {
        case .messageSignature(let d, let s):
            digest = d
            signature = s
        case .dsse(let envelope):
            // hashedrekord over DSSE: the log records the digest of what the signature covers.
            guard envelope.signatures.count == 1, let only = envelope.signatures.first else {
                throw LogEntryFailure(.bodyMismatch,
                                      "a hashedrekord 0.0.2 entry records one signature, the envelope has \(envelope.signatures.count)")
            }
            digest = Array(SHA256.hash(data: envelope.pae))
            signature = only.sig
        }
        try protoHash(entry["data"], field: "spec.hashedRekordV002.data", equals: digest)
        let f = "spec.hashedRekordV002.signature"
        guard let sig = entry["signature"] else { throw LogEntryFailure(.bodyMismatch, "\(f) is missing") }
        guard try base64(sig["content"], field: "\(f).content") == signature else {
            throw LogEntryFailure(.bodyMismatch, "\(f).content is not the bundle's signature")
        }
        try protoVerifier(sig["verifier"], field: "\(f).verifier", signer: signer)
    }

    static func dsseV002(_ spec: StrictJSON, content: SignedContent,
                         signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        let envelope = try dsseContent(content, kind: "dsse 0.0.2")
        guard let entry = spec["dsseV002"] else { throw LogEntryFailure(.bodyMismatch, "spec.dsseV002 is missing") }
        try protoHash(entry["payloadHash"], field: "spec.dsseV002.payloadHash",
                      equals: Array(SHA256.hash(data: envelope.payload)))
        let items = try list(entry["signatures"], field: "spec.dsseV002.signatures")
        var sigs = [[UInt8]]()
        for (i, item) in items.enumerated() {
            let f = "spec.dsseV002.signatures[\(i)]"
            sigs.append(try base64(item["content"], field: "\(f).content"))
            try protoVerifier(item["verifier"], field: "\(f).verifier", signer: signer)
        }
        try sameSignatures(sigs, envelope, field: "spec.dsseV002.signatures")
    }

    // MARK: - Fields

    static func dsseContent(_ content: SignedContent, kind: String) throws(LogEntryFailure) -> DSSEEnvelope {
        guard case .dsse(let envelope) = content else {
            throw LogEntryFailure(.bodyMismatch, "a \(kind) entry records a DSSE envelope, the bundle has a message signature")
        }
        return envelope
    }

    static func base64(_ value: StrictJSON?, field: String) throws(LogEntryFailure) -> [UInt8] {
        guard let text = value?.string else { throw LogEntryFailure(.bodyMismatch, "\(field) is missing") }
        guard let bytes = base64Bytes(text) else { throw LogEntryFailure(.bodyMismatch, "\(field) is not base64") }
        return bytes
    }

    static func list(_ value: StrictJSON?, field: String) throws(LogEntryFailure) -> [StrictJSON] {
        guard let items = value?.array, !items.isEmpty else {
            throw LogEntryFailure(.bodyMismatch, "\(field) is missing or empty")
        }
        guard items.count <= maxSignatures else {
            throw LogEntryFailure(.bodyMismatch, "\(field) lists \(items.count) signatures (at most \(maxSignatures))")
        }
        return items
    }

    /// Rekor v1 hashes: `{algorithm: "sha256", value: lower-case hex}`.
    static func hexHash(_ value: StrictJSON?, field: String, equals expected: [UInt8]) throws(LogEntryFailure) {
        guard let algorithm = value?["algorithm"]?.string, let hex = value?["value"]?.string else {
            throw LogEntryFailure(.bodyMismatch, "\(field) has no algorithm and value")
        }
        guard algorithm == "sha256" else {
            throw LogEntryFailure(.unsupported, "\(field).algorithm \(algorithm) is not supported (sha256 only)")
        }
        guard let bytes = [UInt8](hexString: hex), bytes == expected else {
            throw LogEntryFailure(.bodyMismatch, "\(field).value \(hex.prefix(64)) is not \(expected.hexString)")
        }
    }

    /// Rekor v2 hashes: protobuf `HashOutput {algorithm: "SHA2_256", digest: base64}`.
    static func protoHash(_ value: StrictJSON?, field: String, equals expected: [UInt8]) throws(LogEntryFailure) {
        guard let algorithm = value?["algorithm"]?.string else {
            throw LogEntryFailure(.bodyMismatch, "\(field).algorithm is missing")
        }
        guard algorithm == "SHA2_256" else {
            throw LogEntryFailure(.unsupported, "\(field).algorithm \(algorithm) is not supported (SHA2_256 only)")
        }
        guard try base64(value?["digest"], field: "\(field).digest") == expected else {
            throw LogEntryFailure(.bodyMismatch, "\(field).digest is not \(expected.hexString)")
        }
    }

    /// A v1 verifier: PEM text of a certificate (Fulcio) or a public key (managed key), compared as DER.
    static func pemVerifier(_ pem: [UInt8], field: String, signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        guard pem.count <= Limits.maxPEMBytes, let text = String(validating: pem, as: UTF8.self),
              let (label, derBytes) = firstPEMBlock(text) else {
            throw LogEntryFailure(.bodyMismatch, "\(field) is not a PEM certificate or public key")
        }
        switch label {
        case "CERTIFICATE":
            guard let der = signer.certificateDER, der == derBytes else {
                throw LogEntryFailure(.bodyMismatch, "\(field) is not the bundle's signing certificate")
            }
        case "PUBLIC KEY":
            guard let der = signer.publicKeyDER, der == derBytes else {
                throw LogEntryFailure(.bodyMismatch, "\(field) is not the bundle's signing key")
            }
        default:
            throw LogEntryFailure(.bodyMismatch, "\(field) is a PEM \(label.prefix(40)), not a certificate or public key")
        }
    }

    /// The label and bytes of the first PEM block, as Go's `pem.Decode` reads it (Rekor's own reader): base64 lines
    /// of any length. swift-asn1's `PEMDocument` wants 64-character lines, which in-toto 0.0.2 bodies do not have.
    static func firstPEMBlock(_ text: String) -> (label: String, der: [UInt8])? {
        guard let begin = text.range(of: "-----BEGIN ") else { return nil }
        let afterBegin = text[begin.upperBound...]
        guard let labelEnd = afterBegin.range(of: "-----") else { return nil }
        let label = String(afterBegin[..<labelEnd.lowerBound])
        let body = afterBegin[labelEnd.upperBound...]
        guard !label.contains("\n"), let end = body.range(of: "-----END \(label)-----") else { return nil }
        // Bytes, not Characters: "\r\n" is one Character.
        let base64 = body[..<end.lowerBound].utf8.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d && $0 != 0x0a }
        // A block with headers (`Proc-Type: ...`) is encrypted or legacy: not a signer's certificate or key.
        guard !base64.contains(UInt8(ascii: ":")), let der = base64Bytes(String(decoding: base64, as: UTF8.self)),
              !der.isEmpty else { return nil }
        return (label, der)
    }

    /// A v2 verifier: protobuf `Verifier {x509Certificate {rawBytes} | publicKey {rawBytes}, keyDetails}`.
    static func protoVerifier(_ value: StrictJSON?, field: String, signer: RekorEntryVerifier.Signer) throws(LogEntryFailure) {
        guard let value else { throw LogEntryFailure(.bodyMismatch, "\(field) is missing") }
        if let cert = value["x509Certificate"] {
            guard let der = signer.certificateDER,
                  try base64(cert["rawBytes"], field: "\(field).x509Certificate.rawBytes") == der else {
                throw LogEntryFailure(.bodyMismatch, "\(field).x509Certificate is not the bundle's signing certificate")
            }
        } else if let key = value["publicKey"] {
            guard let der = signer.publicKeyDER,
                  try base64(key["rawBytes"], field: "\(field).publicKey.rawBytes") == der else {
                throw LogEntryFailure(.bodyMismatch, "\(field).publicKey is not the bundle's signing key")
            }
        } else {
            throw LogEntryFailure(.bodyMismatch, "\(field) has neither x509Certificate nor publicKey")
        }
    }

    /// The logged signatures must be exactly the envelope's (as sets: order carries no meaning in DSSE).
    static func sameSignatures(_ logged: [[UInt8]], _ envelope: DSSEEnvelope, field: String) throws(LogEntryFailure) {
        let mine = envelope.signatures.map(\.sig)
        guard logged.count == mine.count, mine.allSatisfy({ logged.contains($0) }),
              logged.allSatisfy({ mine.contains($0) }) else {
            throw LogEntryFailure(.bodyMismatch, "\(field) are not the envelope's signatures")
        }
    }
}
