import Foundation
import SwiftASN1
import X509

/// A Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, JSON form), as weightseal and the OpenSSF
/// Model Signing reference write it: `mediaType` `application/vnd.dev.sigstore.bundle.v0.3+json`, a DSSE envelope,
/// and verification material that is a public-key hint, an X.509 chain, or a single certificate.
///
/// Unknown fields are ignored when reading. Transparency-log entries and timestamps are kept as raw JSON; a bundle
/// that depends on them (Sigstore keyless: Fulcio certificate + Rekor entries) is refused by ``parse(_:label:)``.
public struct SigstoreBundle: Codable, Sendable {
    /// The media type weightseal writes.
    public static let mediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// Media types read: v0.1–v0.3 in both spellings the Sigstore clients use.
    public static let acceptedMediaTypes: Set<String> = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]

    /// `verificationMaterial.publicKey`: identifies the key out of band.
    public struct PublicKeyIdentifier: Codable, Sendable, Hashable {
        /// OMS practice: hex SHA-256 of the SPKI PEM text (``PublicKey/hint``). `nil` in the older form.
        public var hint: String?
        public init(hint: String?) { self.hint = hint }
    }

    /// One DER certificate (`rawBytes`, base64 in JSON).
    public struct CertificateBytes: Codable, Sendable, Hashable {
        /// DER of the certificate.
        public var rawBytes: [UInt8]
        public init(rawBytes: [UInt8]) { self.rawBytes = rawBytes }
        enum CodingKeys: String, CodingKey { case rawBytes }
        public init(from decoder: any Decoder) throws {
            rawBytes = try decodeBase64(try decoder.container(keyedBy: CodingKeys.self), .rawBytes)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Data(rawBytes).base64EncodedString(), forKey: .rawBytes)
        }
    }

    /// `verificationMaterial.x509CertificateChain`: leaf first, then intermediates.
    public struct CertificateChain: Codable, Sendable, Hashable {
        /// Leaf first.
        public var certificates: [CertificateBytes]
        public init(certificates: [CertificateBytes]) { self.certificates = certificates }
    }

    /// What a verifier needs besides its own trust: exactly one of ``publicKey``, ``x509CertificateChain``,
    /// ``certificate``.
    public struct VerificationMaterial: Codable, Sendable {
        /// Bare-key signatures: the key is given by the verifier, identified here by a hint.
        public var publicKey: PublicKeyIdentifier?
        /// Certificate signatures (OMS, weightseal): leaf then intermediates.
        public var x509CertificateChain: CertificateChain?
        /// A single leaf certificate (bundle v0.3 form; Sigstore keyless uses it with log entries).
        public var certificate: CertificateBytes?
        /// Transparency-log entries, as raw JSON (weightseal writes `[]`).
        public var tlogEntries: [JSONValue]?
        /// RFC 3161 timestamps, as raw JSON.
        public var timestampVerificationData: JSONValue?

        public init(publicKey: PublicKeyIdentifier? = nil, x509CertificateChain: CertificateChain? = nil,
                    certificate: CertificateBytes? = nil, tlogEntries: [JSONValue]? = [],
                    timestampVerificationData: JSONValue? = nil) {
            self.publicKey = publicKey
            self.x509CertificateChain = x509CertificateChain
            self.certificate = certificate
            self.tlogEntries = tlogEntries
            self.timestampVerificationData = timestampVerificationData
        }

        /// The certificates carried, leaf first (chain, else the single certificate, else none), as DER.
        public var certificateDERs: [[UInt8]] {
            if let chain = x509CertificateChain { return chain.certificates.map(\.rawBytes) }
            if let certificate { return [certificate.rawBytes] }
            return []
        }
    }

    /// One of ``acceptedMediaTypes``; ``mediaTypeV03`` when written by weightseal.
    public var mediaType: String
    /// The key hint or certificates.
    public var verificationMaterial: VerificationMaterial
    /// The signed payload and its signatures.
    public var dsseEnvelope: DSSEEnvelope

    public init(mediaType: String = SigstoreBundle.mediaTypeV03, verificationMaterial: VerificationMaterial,
                dsseEnvelope: DSSEEnvelope) {
        self.mediaType = mediaType
        self.verificationMaterial = verificationMaterial
        self.dsseEnvelope = dsseEnvelope
    }

    /// Whether the bundle relies on a transparency log or timestamps (Sigstore keyless signing).
    public var isKeyless: Bool {
        if let entries = verificationMaterial.tlogEntries, !entries.isEmpty { return true }
        if let tsa = verificationMaterial.timestampVerificationData, !tsa.isEmptyContainer { return true }
        return false
    }

    /// The parsed certificates of the verification material, leaf first.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` if one is not an X.509 DER certificate.
    public func certificates() throws(WeightSealError) -> [Certificate] {
        var out = [Certificate]()
        for (i, der) in verificationMaterial.certificateDERs.enumerated() {
            do {
                out.append(try Certificate(derEncoded: der))
            } catch {
                throw WeightSealError(.malformedBundle, "certificate \(i + 1) of the verification material is not a valid X.509 DER certificate: \(error)")
            }
        }
        return out
    }

    /// Parses and checks a bundle's JSON.
    ///
    /// Checks: size ≤ ``Limits/maxJSONBytes``; strict JSON (``StrictJSON``: no member twice in one object, compared
    /// after unescaping; no byte-order mark; at most ``Limits/maxSigstoreJSONValues`` values); a known `mediaType`; a
    /// `dsseEnvelope` with exactly one signature; exactly one kind of verification material; at most
    /// ``Limits/maxCertificates`` certificates, each valid DER X.509.
    /// - Parameter label: names the input in messages (usually the signature file's path).
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming `label` and what is wrong;
    ///   ``WeightSealError/Code/limitExceeded`` for an oversized input; ``WeightSealError/Code/unsupportedFormat`` for
    ///   a Sigstore keyless bundle (transparency-log entries or timestamps) or a `messageSignature` bundle.
    public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> SigstoreBundle {
        if data.count > Limits.maxJSONBytes {
            throw WeightSealError(.limitExceeded, "\(label): signature file is larger than \(Limits.maxJSONBytes) bytes")
        }
        // The strict reader first (DESIGN §4): a member given twice, even under another escaping, is an error, so
        // that no other reader sees a different bundle (FIELD-CASES-2 G04).
        let tree: StrictJSON
        do {
            tree = try StrictJSON.parseDocument(data)
        } catch {
            let reason = error.message.hasPrefix("JSON: ") ? String(error.message.dropFirst(6)) : error.message
            throw WeightSealError(error.code, "\(label): not a Sigstore bundle: invalid JSON (\(reason))")
        }
        // A look at the top level first, for precise messages; then the bundle is decoded from the same reading.
        guard case .object = tree else {
            throw WeightSealError(.malformedBundle, "\(label): not a Sigstore bundle: the JSON is not an object")
        }
        guard case .string(let mediaType)? = tree["mediaType"] else {
            throw WeightSealError(.malformedBundle, "\(label): not a Sigstore bundle: no \"mediaType\" string")
        }
        guard acceptedMediaTypes.contains(mediaType) else {
            throw WeightSealError(.malformedBundle, "\(label): unsupported bundle mediaType \(ModelPath.quoted(mediaType)) (expected \(mediaTypeV03))")
        }
        if tree["dsseEnvelope"] == nil {
            if tree["messageSignature"] != nil {
                throw WeightSealError(.unsupportedFormat, "\(label): bundles with a messageSignature (no DSSE envelope) are not supported")
            }
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: missing \"dsseEnvelope\"")
        }
        let bundle: SigstoreBundle
        do {
            bundle = try StrictJSONDecoder.decode(SigstoreBundle.self, from: tree)
        } catch let error as DecodingError {
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: \(describe(error))")
        } catch {
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: \(error)")
        }
        // Exactly one signature (protobuf-specs bundle rule; FIELD-CASES-2 G03): with several, "first only" lets a
        // junk first entry block a valid one and "any valid" lets junk ride along; none is never valid.
        let envelope = bundle.dsseEnvelope
        if envelope.signatures.count != 1 {
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: \(Self.signatureCountProblem(envelope.signatures.count))")
        }
        let material = bundle.verificationMaterial
        let kinds = [material.publicKey != nil, material.x509CertificateChain != nil, material.certificate != nil]
            .filter { $0 }.count
        if kinds == 0 {
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: verificationMaterial has no publicKey, x509CertificateChain or certificate")
        }
        if kinds > 1 {
            throw WeightSealError(.malformedBundle, "\(label): malformed bundle: verificationMaterial has more than one of publicKey, x509CertificateChain, certificate")
        }
        if let chain = material.x509CertificateChain {
            if chain.certificates.isEmpty {
                throw WeightSealError(.malformedBundle, "\(label): malformed bundle: x509CertificateChain has no certificate")
            }
            if chain.certificates.count > Limits.maxCertificates {
                throw WeightSealError(.limitExceeded, "\(label): x509CertificateChain has \(chain.certificates.count) certificates (at most \(Limits.maxCertificates))")
            }
        }
        if bundle.isKeyless {
            throw WeightSealError(.unsupportedFormat, "\(label): the bundle relies on transparency-log entries or timestamps (Sigstore keyless); verify it with --certificate-identity and --certificate-oidc-issuer")
        }
        do {
            _ = try bundle.certificates()
        } catch {
            throw WeightSealError(.malformedBundle, "\(label): \(error.message)")
        }
        return bundle
    }

    /// Why an envelope with `count` (≠ 1) signatures is not a bundle's envelope.
    static func signatureCountProblem(_ count: Int) -> String {
        "the DSSE envelope of a Sigstore bundle must carry exactly one signature, found \(count)"
    }

    /// The bundle as pretty-printed JSON with sorted keys and a final newline.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` if encoding fails (not expected).
    public func jsonData() throws(WeightSealError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")]
        } catch {
            throw WeightSealError(.malformedBundle, "cannot encode the bundle: \(error)")
        }
    }
}

/// Any JSON value, kept verbatim through decode and encode (for bundle parts weightseal does not interpret).
public indirect enum JSONValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// `null`, `[]`, `{}`, or an object whose members are all empty containers.
    var isEmptyContainer: Bool {
        switch self {
        case .null: return true
        case .array(let a): return a.isEmpty
        case .object(let o): return o.values.allSatisfy(\.isEmptyContainer)
        default: return false
        }
    }
}

/// A one-line description of a JSON decoding error: the field path and what is wrong.
func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        let p = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.hasPrefix(".") ? String(p.dropFirst()) : (p.isEmpty ? "(top level)" : p)
    }
    switch error {
    case .keyNotFound(let key, let ctx):
        let parent = path(ctx.codingPath)
        return "missing field \"\(parent == "(top level)" ? key.stringValue : parent + "." + key.stringValue)\""
    case .typeMismatch(let type, let ctx):
        return "field \"\(path(ctx.codingPath))\" is not a \(jsonTypeName(type))"
    case .valueNotFound(let type, let ctx):
        return "field \"\(path(ctx.codingPath))\" is null, expected a \(jsonTypeName(type))"
    case .dataCorrupted(let ctx):
        if ctx.codingPath.isEmpty { return "invalid JSON" }
        return "field \"\(path(ctx.codingPath))\": \(ctx.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

private func jsonTypeName(_ type: Any.Type) -> String {
    let name = "\(type)"
    if name.hasPrefix("Array") { return "list" }
    if name.hasPrefix("Dictionary") { return "object" }
    if name == "String" { return "string" }
    if name == "Bool" { return "boolean" }
    if ["Int", "UInt64", "Double", "Int64", "UInt"].contains(name) { return "number" }
    return "JSON \(name)"
}
