import Foundation
import SwiftASN1
import X509

/// The Sigstore trust material a verifier relies on (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`, JSON
/// form, media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1`): Fulcio certificate authorities,
/// Rekor transparency logs, certificate-transparency logs and RFC 3161 timestamp authorities, each with the period
/// in which it may be trusted.
///
/// Read from a `trusted_root.json`, from the `trustedRoot` member of a `ClientTrustConfig` (as sigstore-python and
/// model-signing take with `--trust_config`), or the embedded public-good root (``publicGood``). Nothing is fetched.
public struct TrustedRoot: Sendable {
    /// A validity window (`validFor`): `start` inclusive, `end` inclusive; a missing `end` is open.
    public struct ValidityPeriod: Sendable, Hashable {
        /// First instant of trust; `nil` only in malformed roots (a log without `start` is refused at parse).
        public var start: Date?
        /// Last instant of trust, inclusive; `nil` when still trusted.
        public var end: Date?
        public init(start: Date?, end: Date?) { self.start = start; self.end = end }
        /// Whether `time` lies in `[start, end]`.
        public func contains(_ time: Date) -> Bool {
            if let start, time < start { return false }
            if let end, time > end { return false }
            return true
        }
    }

    /// A transparency log (Rekor) or certificate-transparency log (CT) instance.
    public struct TransparencyLog: Sendable {
        /// `baseUrl`, e.g. `https://rekor.sigstore.dev`.
        public var baseURL: String
        /// `hashAlgorithm` of the log's Merkle tree (`SHA2_256`).
        public var hashAlgorithm: String
        /// The log's public key and its `keyDetails` (signature scheme).
        public var publicKey: SigstorePublicKey
        /// When the key may be trusted.
        public var validFor: ValidityPeriod
        /// `logId.keyId`: SHA-256 of the key's DER SPKI for Rekor v1 and CT (RFC 6962 §3.2), 32 bytes.
        public var logID: [UInt8]
        /// `checkpointKeyId.keyId`, when given (Rekor v2).
        public var checkpointKeyID: [UInt8]?
        /// The checkpoint origin (signed-note name) a Rekor v2 log uses: the host of `baseURL`, without scheme,
        /// user, port or path, as sigstore-go derives it (`url.Parse(baseUrl).Hostname()` in `pkg/verify/tlog.go`).
        public var origin: String { Self.origin(ofBaseURL: baseURL) }

        /// The names this log's checkpoints may carry: ``origin`` and, when it differs, `baseURL` without scheme
        /// and trailing slashes (host, port and path as written). A Rekor v1 origin is its operator's
        /// `rekor_server.hostname`, which local deployments set with the port ("localhost:8000 - <tree ID>" in the
        /// sigstore-conformance `intoto-with-custom-trust-root` case); rekor-tiles logs use the host alone.
        public var origins: [String] {
            let host = origin
            var s = Substring(baseURL)
            if let r = s.range(of: "://") { s = s[r.upperBound...] }
            while s.hasSuffix("/") { s = s.dropLast() }
            return s.isEmpty || String(s) == host ? [host] : [host, String(s)]
        }

        /// Go's `url.URL.Hostname()` of `baseURL`: `http://127.0.0.1:3003/` gives `127.0.0.1`, `http://[::1]:80`
        /// gives `::1`.
        static func origin(ofBaseURL baseURL: String) -> String {
            var s = Substring(baseURL)
            if let r = s.range(of: "://") { s = s[r.upperBound...] }
            if let end = s.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { s = s[..<end] }
            if let at = s.lastIndex(of: "@") { s = s[s.index(after: at)...] }
            if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
                return String(s[s.index(after: s.startIndex)..<close])
            }
            // A port: the digits after the last colon (Go's `validOptionalPort`; an empty port counts too).
            if let colon = s.lastIndex(of: ":"), s[s.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) {
                s = s[..<colon]
            }
            return String(s)
        }
    }

    /// A certificate authority (Fulcio) or timestamp authority (TSA).
    public struct CertificateAuthority: Sendable {
        /// `subject.organization` and `subject.commonName`, joined for messages.
        public var subject: String
        /// `uri`.
        public var uri: String
        /// `certChain.certificates` in the order given: the issuing (or signing) certificate first, the root last.
        public var certificates: [Certificate]
        /// When the authority may be trusted.
        public var validFor: ValidityPeriod
    }

    /// Rekor logs (`tlogs`).
    public var transparencyLogs: [TransparencyLog]
    /// Fulcio CAs (`certificateAuthorities`).
    public var certificateAuthorities: [CertificateAuthority]
    /// CT logs (`ctlogs`).
    public var certificateTransparencyLogs: [TransparencyLog]
    /// RFC 3161 TSAs (`timestampAuthorities`).
    public var timestampAuthorities: [CertificateAuthority]
    /// Where the root came from (file path, or "embedded public-good root of DATE").
    public var source: String

    /// The Rekor log whose `logId` is `keyID`, if any.
    public func transparencyLog(keyID: [UInt8]) -> TransparencyLog? {
        transparencyLogs.first { $0.logID == keyID }
    }

    /// The CT log whose `logId` is `keyID`, if any.
    public func certificateTransparencyLog(keyID: [UInt8]) -> TransparencyLog? {
        certificateTransparencyLogs.first { $0.logID == keyID }
    }

    // MARK: Reading

    /// Largest trusted root or trust config read, in bytes (the public-good root is about 8 KB).
    public static let maxBytes = 4 * 1024 * 1024
    /// Most entries of one list (`tlogs`, `ctlogs`, authorities) and certificates of one chain.
    public static let maxEntries = 256

    /// Reads a `trusted_root.json` or a `ClientTrustConfig` (its `trustedRoot` member).
    /// - Throws: ``WeightSealError/Code/io`` if unreadable; ``WeightSealError/Code/malformedTrustRoot`` naming the
    ///   field; ``WeightSealError/Code/limitExceeded`` past ``maxBytes`` or ``maxEntries``.
    public static func load(file: String) throws(WeightSealError) -> TrustedRoot {
        let data = try AtomicFile.read(file, limit: maxBytes, what: "trusted root", allowPipe: true)
        return try parse(data, label: file)
    }

    /// Parses a `trusted_root.json` or `ClientTrustConfig`.
    ///
    /// Rules (sigstore-go `root.NewTrustedRootFromJSON`): a known media type; every log has a key with
    /// `validFor.start`; every authority has at least one certificate; keys are parsed now, so an unusable key is
    /// an error here, not a silent rejection later.
    /// - Parameter label: names the input in messages.
    /// - Throws: ``WeightSealError/Code/malformedTrustRoot`` or ``WeightSealError/Code/limitExceeded``.
    public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> TrustedRoot {
        if data.count > maxBytes {
            throw WeightSealError(.limitExceeded, "\(label): trusted root is larger than \(maxBytes) bytes")
        }
        let json: SigstoreJSON
        do {
            json = try SigstoreJSON.parseDocument(data)
        } catch {
            throw WeightSealError(.malformedTrustRoot, "\(label): not a trusted root: \(error.message)")
        }
        var root = json
        if let media = json["mediaType"]?.string, media.hasPrefix("application/vnd.dev.sigstore.clienttrustconfig") {
            guard let inner = json["trustedRoot"], inner.object != nil else {
                throw WeightSealError(.malformedTrustRoot, "\(label): ClientTrustConfig has no \"trustedRoot\" object")
            }
            root = inner
        } else if json["trustedRoot"]?.object != nil && json["tlogs"] == nil {
            root = json["trustedRoot"]!
        }
        guard let media = root["mediaType"]?.string else {
            throw WeightSealError(.malformedTrustRoot, "\(label): trusted root has no \"mediaType\"")
        }
        guard media == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
                || media == "application/vnd.dev.sigstore.trustedroot.v0.1+json" else {
            throw WeightSealError(.malformedTrustRoot, "\(label): unsupported trusted root mediaType \(ModelPath.quoted(media))")
        }
        do {
            return TrustedRoot(
                transparencyLogs: try logs(root["tlogs"], field: "tlogs"),
                certificateAuthorities: try authorities(root["certificateAuthorities"], field: "certificateAuthorities"),
                certificateTransparencyLogs: try logs(root["ctlogs"], field: "ctlogs"),
                timestampAuthorities: try authorities(root["timestampAuthorities"], field: "timestampAuthorities"),
                source: label)
        } catch {
            throw WeightSealError(error.code, "\(label): \(error.message)")
        }
    }

    private static func list(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> [SigstoreJSON] {
        guard let value else { return [] }
        guard let items = value.array else {
            throw WeightSealError(.malformedTrustRoot, "\"\(field)\" is not a list")
        }
        if items.count > maxEntries {
            throw WeightSealError(.limitExceeded, "\"\(field)\" has \(items.count) entries (at most \(maxEntries))")
        }
        return items
    }

    private static func logs(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> [TransparencyLog] {
        var out = [TransparencyLog]()
        for (i, item) in try list(value, field: field).enumerated() {
            let f = "\(field)[\(i)]"
            let base = item["baseUrl"]?.string ?? ""
            let hashAlgorithm = item["hashAlgorithm"]?.string ?? "SHA2_256"
            guard let key = item["publicKey"], key.object != nil else {
                throw WeightSealError(.malformedTrustRoot, "\(f) has no \"publicKey\"")
            }
            let raw = try key.bytes("rawBytes", field: "\(f).publicKey")
            let details = key["keyDetails"]?.string ?? ""
            let publicKey: SigstorePublicKey
            do {
                publicKey = try SigstorePublicKey(rawBytes: raw, keyDetails: details)
            } catch {
                throw WeightSealError(.malformedTrustRoot, "\(f).publicKey: \(error.message)")
            }
            let validity = try period(key["validFor"], field: "\(f).publicKey.validFor")
            guard validity.start != nil else {
                throw WeightSealError(.malformedTrustRoot, "\(f).publicKey.validFor has no \"start\"")
            }
            guard let logID = item["logId"] else {
                throw WeightSealError(.malformedTrustRoot, "\(f) has no \"logId\"")
            }
            let keyID = try logID.bytes("keyId", field: "\(f).logId")
            var checkpointKeyID: [UInt8]? = nil
            if let c = item["checkpointKeyId"] { checkpointKeyID = try c.bytes("keyId", field: "\(f).checkpointKeyId") }
            out.append(TransparencyLog(baseURL: base, hashAlgorithm: hashAlgorithm, publicKey: publicKey,
                                       validFor: validity, logID: keyID, checkpointKeyID: checkpointKeyID))
        }
        return out
    }

    private static func authorities(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> [CertificateAuthority] {
        var out = [CertificateAuthority]()
        for (i, item) in try list(value, field: field).enumerated() {
            let f = "\(field)[\(i)]"
            let subject = [item["subject"]?["organization"]?.string, item["subject"]?["commonName"]?.string]
                .compactMap { $0 }.joined(separator: "/")
            let certs = try list(item["certChain"]?["certificates"], field: "\(f).certChain.certificates")
            guard !certs.isEmpty else {
                throw WeightSealError(.malformedTrustRoot, "\(f).certChain has no certificate")
            }
            var certificates = [Certificate]()
            for (j, c) in certs.enumerated() {
                let der = try c.bytes("rawBytes", field: "\(f).certChain.certificates[\(j)]")
                do {
                    certificates.append(try Certificate(derEncoded: der))
                } catch {
                    throw WeightSealError(.malformedTrustRoot, "\(f).certChain.certificates[\(j)] is not an X.509 DER certificate")
                }
            }
            out.append(CertificateAuthority(subject: subject, uri: item["uri"]?.string ?? "", certificates: certificates,
                                            validFor: try period(item["validFor"], field: "\(f).validFor")))
        }
        return out
    }

    static func period(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> ValidityPeriod {
        guard let value else { return ValidityPeriod(start: nil, end: nil) }
        func time(_ name: String) throws(WeightSealError) -> Date? {
            guard let v = value[name] else { return nil }
            guard let s = v.string, let d = SigstoreJSON.timestamp(s) else {
                throw WeightSealError(.malformedTrustRoot, "\(field).\(name) is not an RFC 3339 time")
            }
            return d
        }
        return ValidityPeriod(start: try time("start"), end: try time("end"))
    }
}

extension TrustedRoot {
    /// The Sigstore public-good production trusted root embedded in weightseal (see `docs/sigstore.md` for its age
    /// and how to refresh it; `--trusted-root` or `--trust-config` override it).
    public static let publicGood: TrustedRoot = {
        // The embedded text is generated and checked by a test; a failure here is a build defect, not input.
        do {
            return try TrustedRoot.parse(Array(publicGoodJSON.utf8), label: "embedded public-good trusted root")
        } catch {
            fatalError("the embedded trusted root does not parse: \(error)")
        }
    }()
}
