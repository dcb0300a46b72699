import Foundation

/// The services a Sigstore signer uses: Fulcio, OIDC, Rekor and timestamp authority URLs, each with the major API
/// version it speaks and when it may be used (protobuf-specs `dev.sigstore.trustroot.v1.SigningConfig`,
/// media type `application/vnd.dev.sigstore.signingconfig.v0.2+json`).
///
/// Read from a `signing_config.v0.2.json` or from the `signingConfig` of a ClientTrustConfig, by the strict JSON
/// reader. Service selection follows the specification: among the services valid at the signing time and speaking a
/// version the client supports, the highest version wins, then the order listed; `rekorTlogConfig` and `tsaConfig`
/// say how many to use (`ALL`, `ANY` = one, `EXACT` = `count`).
public struct SigningConfig: Sendable {
    /// The media type read.
    public static let mediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json"

    /// One service endpoint.
    public struct Service: Sendable, Hashable {
        /// Its URL (for a TSA the full endpoint, for the others the base URL).
        public var url: String
        /// The major version of its API (Rekor: 1 or 2).
        public var majorAPIVersion: Int
        /// When the service may be used.
        public var validFor: TrustedRoot.ValidityPeriod
        /// Who runs it, e.g. `sigstore.dev`.
        public var `operator`: String

        public init(url: String, majorAPIVersion: Int, validFor: TrustedRoot.ValidityPeriod, operator: String = "") {
            self.url = url
            self.majorAPIVersion = majorAPIVersion
            self.validFor = validFor
            self.operator = `operator`
        }
    }

    /// How many of a kind of service a signature uses (`ServiceConfiguration`).
    public enum Selector: Sendable, Hashable {
        /// Every valid service.
        case all
        /// One.
        case any
        /// Exactly this many, distinct operators preferred.
        case exact(Int)
    }

    public var certificateAuthorities: [Service]
    public var oidcProviders: [Service]
    public var transparencyLogs: [Service]
    public var timestampAuthorities: [Service]
    public var transparencyLogSelector: Selector
    public var timestampAuthoritySelector: Selector
    /// Names the input in messages.
    public var source: String

    public init(certificateAuthorities: [Service], oidcProviders: [Service] = [], transparencyLogs: [Service],
                timestampAuthorities: [Service] = [], transparencyLogSelector: Selector = .any,
                timestampAuthoritySelector: Selector = .any, source: String = "signing config") {
        self.certificateAuthorities = certificateAuthorities
        self.oidcProviders = oidcProviders
        self.transparencyLogs = transparencyLogs
        self.timestampAuthorities = timestampAuthorities
        self.transparencyLogSelector = transparencyLogSelector
        self.timestampAuthoritySelector = timestampAuthoritySelector
        self.source = source
    }

    /// Most services of one kind read.
    public static let maxServices = 64

    /// Reads a signing config, or the `signingConfig` of a ClientTrustConfig, from a file of at most
    /// ``TrustedRoot/maxBytes`` bytes.
    /// - Throws: ``WeightSealError``: `io`, `limitExceeded`, `malformedTrustRoot`.
    public static func load(file: String) throws(WeightSealError) -> SigningConfig {
        let data = try AtomicFile.read(file, limit: TrustedRoot.maxBytes, what: "signing config", allowPipe: true)
        return try parse(data, label: file)
    }

    /// Parses a signing config (v0.2), or the `signingConfig` member of a ClientTrustConfig.
    /// - Throws: ``WeightSealError/Code/malformedTrustRoot`` naming the field, `limitExceeded` over the bounds.
    public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> SigningConfig {
        if data.count > TrustedRoot.maxBytes {
            throw WeightSealError(.limitExceeded, "\(label): signing config is larger than \(TrustedRoot.maxBytes) bytes")
        }
        let json: SigstoreJSON
        do {
            json = try SigstoreJSON.parseDocument(data)
        } catch {
            throw WeightSealError(.malformedTrustRoot, "\(label): not a signing config: \(error.message)")
        }
        var config = json
        if let media = json["mediaType"]?.string, media.hasPrefix("application/vnd.dev.sigstore.clienttrustconfig") {
            guard let inner = json["signingConfig"], inner.object != nil else {
                throw WeightSealError(.malformedTrustRoot, "\(label): ClientTrustConfig has no \"signingConfig\" object")
            }
            config = inner
        }
        guard let media = config["mediaType"]?.string else {
            throw WeightSealError(.malformedTrustRoot, "\(label): signing config has no \"mediaType\"")
        }
        guard media == mediaType else {
            throw WeightSealError(.malformedTrustRoot, "\(label): unsupported signing config mediaType \(ModelPath.quoted(media)) (reads \(mediaType))")
        }
        do {
            return SigningConfig(
                certificateAuthorities: try services(config["caUrls"], field: "caUrls"),
                oidcProviders: try services(config["oidcUrls"], field: "oidcUrls"),
                transparencyLogs: try services(config["rekorTlogUrls"], field: "rekorTlogUrls"),
                timestampAuthorities: try services(config["tsaUrls"], field: "tsaUrls"),
                transparencyLogSelector: try selector(config["rekorTlogConfig"], field: "rekorTlogConfig"),
                timestampAuthoritySelector: try selector(config["tsaConfig"], field: "tsaConfig"),
                source: label)
        } catch {
            throw WeightSealError(error.code, "\(label): \(error.message)")
        }
    }

    private static func services(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> [Service] {
        guard let value else { return [] }
        guard let items = value.array else { throw WeightSealError(.malformedTrustRoot, "\"\(field)\" is not a list") }
        if items.count > maxServices {
            throw WeightSealError(.limitExceeded, "\"\(field)\" has \(items.count) entries (at most \(maxServices))")
        }
        var out = [Service]()
        for (i, item) in items.enumerated() {
            let f = "\(field)[\(i)]"
            guard let url = item["url"]?.string, !url.isEmpty else {
                throw WeightSealError(.malformedTrustRoot, "\(f) has no \"url\"")
            }
            let version: Int64
            do {
                version = try item.int64("majorApiVersion", field: f) ?? 0
            } catch {
                throw WeightSealError(.malformedTrustRoot, error.message)
            }
            guard version >= 1, version <= 1000 else {
                throw WeightSealError(.malformedTrustRoot, "\(f).majorApiVersion must be a version from 1")
            }
            let validity = try TrustedRoot.period(item["validFor"], field: "\(f).validFor")
            guard validity.start != nil else {
                throw WeightSealError(.malformedTrustRoot, "\(f).validFor has no \"start\"")
            }
            out.append(Service(url: url, majorAPIVersion: Int(version), validFor: validity,
                               operator: item["operator"]?.string ?? ""))
        }
        return out
    }

    private static func selector(_ value: SigstoreJSON?, field: String) throws(WeightSealError) -> Selector {
        guard let value else { return .any }
        switch value["selector"]?.string {
        case "ALL": return .all
        case "ANY", nil: return .any
        case "EXACT":
            let count: Int64?
            do { count = try value.int64("count", field: field) } catch { throw WeightSealError(.malformedTrustRoot, error.message) }
            guard let count, count >= 1, count <= Int64(maxServices) else {
                throw WeightSealError(.malformedTrustRoot, "\(field): selector EXACT needs a \"count\" from 1 to \(maxServices)")
            }
            return .exact(Int(count))
        case let other?:
            throw WeightSealError(.malformedTrustRoot, "\(field): unknown selector \"\(other.prefix(40))\"")
        }
    }

    /// The services of one kind to use at `time`: valid then, speaking one of `versions`, the highest version first,
    /// then in the order listed; as many as `selector` says (``Selector/exact(_:)`` prefers distinct operators).
    /// - Throws: ``WeightSealError/Code/malformedTrustRoot`` when fewer than the selector needs are usable.
    public static func select(_ services: [Service], versions: Set<Int>, selector: Selector, at time: Date,
                              kind: String) throws(WeightSealError) -> [Service] {
        let usable = services.enumerated()
            .filter { versions.contains($0.element.majorAPIVersion) && $0.element.validFor.contains(time) }
            .sorted { ($0.element.majorAPIVersion, -$0.offset) > ($1.element.majorAPIVersion, -$1.offset) }
            .map(\.element)
        guard !usable.isEmpty else {
            throw WeightSealError(.malformedTrustRoot,
                "no \(kind) in the signing config is valid now with a supported API version (\(versions.sorted().map(String.init).joined(separator: ", ")))")
        }
        switch selector {
        case .all: return usable
        case .any: return [usable[0]]
        case .exact(let n):
            var picked = [Service](), operators = Set<String>()
            for s in usable where picked.count < n && !operators.contains(s.operator) {
                picked.append(s)
                operators.insert(s.operator)
            }
            for s in usable where picked.count < n && !picked.contains(s) { picked.append(s) }
            guard picked.count == n else {
                throw WeightSealError(.malformedTrustRoot, "the signing config asks for \(n) \(kind)s; \(usable.count) usable")
            }
            return picked
        }
    }
}

extension SigningConfig {
    /// The Sigstore public-good production services (Fulcio, Rekor, the timestamp authority), embedded.
    public static let publicGood: SigningConfig = embedded(publicGoodJSON, label: "embedded public-good signing config")

    /// The Sigstore staging services, embedded (`--staging`; pair with ``TrustedRoot/staging``).
    public static let staging: SigningConfig = embedded(stagingJSON, label: "embedded staging signing config")

    private static func embedded(_ json: String, label: String) -> SigningConfig {
        // The embedded text is generated and checked by a test; a failure here is a build defect, not input.
        do { return try parse(Array(json.utf8), label: label) } catch { fatalError("\(label) does not parse: \(error)") }
    }
}

extension TrustedRoot {
    /// The Sigstore staging trusted root, embedded (`--staging`); never used unless asked for.
    public static let staging: TrustedRoot = {
        do {
            return try TrustedRoot.parse(Array(stagingJSON.utf8), label: "embedded staging trusted root")
        } catch {
            fatalError("the embedded staging trusted root does not parse: \(error)")
        }
    }()
}
