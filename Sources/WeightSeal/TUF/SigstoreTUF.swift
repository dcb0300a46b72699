import Foundation

/// Sigstore's TUF repositories, where weightseal keeps what it fetched from them, and which trusted root `verify`
/// uses (docs/sigstore.md, "Keeping the trusted root fresh").
///
/// Cache folder: `$WEIGHTSEAL_CACHE_DIR`, else `$XDG_CACHE_HOME/weightseal`, else `$HOME/.cache/weightseal`; inside
/// it `tuf/<repository URL, percent-encoded>/` is the ``TUFCache`` of one repository (as sigstore-python names its
/// folders), whose `targets/trusted_root.json` and `targets/signing_config.v0.2.json` are the fetched targets.
public enum SigstoreTUF {
    /// A TUF repository: its metadata base URL (targets under `URL/targets/`), and the initial root weightseal
    /// embeds for it, if any.
    public struct Repository: Sendable, Hashable {
        /// Metadata base URL without a trailing `/`.
        public var url: String
        /// The embedded initial `root.json`, for Sigstore's production and staging repositories.
        public var embeddedRoot: [UInt8]?

        /// Target files are served under `URL/targets/` (Sigstore's layout).
        public var targetsURL: String { url + "/targets/" }

        /// The repository at `url` (a trailing `/` dropped); Sigstore's two come with their embedded root.
        public init(url: String) {
            var u = Substring(url)
            while u.hasSuffix("/") { u = u.dropLast() }
            self.url = String(u)
            if self.url == SigstoreTUF.productionURL {
                embeddedRoot = Array(SigstoreTUF.productionRootJSON.utf8)
            } else if self.url == SigstoreTUF.stagingURL {
                embeddedRoot = Array(SigstoreTUF.stagingRootJSON.utf8)
            }
        }
    }

    public static let productionURL = "https://tuf-repo-cdn.sigstore.dev"
    public static let stagingURL = "https://tuf-repo-cdn.sigstage.dev"
    /// The public-good instance's repository.
    public static let production = Repository(url: productionURL)
    /// The staging instance's repository.
    public static let staging = Repository(url: stagingURL)

    /// Target names in Sigstore's repositories: the trusted root (`TrustedRoot`) and the signing config
    /// (`SigningConfig` v0.2: Fulcio, Rekor, TSA and OIDC URLs).
    public static let trustedRootTarget = "trusted_root.json"
    public static let signingConfigTarget = "signing_config.v0.2.json"

    /// The cache folder: `$WEIGHTSEAL_CACHE_DIR`, else `$XDG_CACHE_HOME/weightseal`, else `$HOME/.cache/weightseal`
    /// (empty variables are skipped); `nil` when none is set.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let d = environment["WEIGHTSEAL_CACHE_DIR"], !d.isEmpty { return d }
        if let d = environment["XDG_CACHE_HOME"], !d.isEmpty { return d + "/weightseal" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.cache/weightseal" }
        return nil
    }

    /// The cache of `repository`: `<cache folder>/tuf/<URL percent-encoded>`; `nil` without a cache folder.
    public static func cache(for repository: Repository,
                             environment: [String: String] = ProcessInfo.processInfo.environment) -> TUFCache? {
        guard let base = cacheDirectory(environment: environment) else { return nil }
        return TUFCache(directory: base + "/tuf/" + TUFClient.escapedName(repository.url))
    }

    /// The signing config (`signing_config.v0.2.json`, JSON bytes as the repository signed them) that the last
    /// `weightseal trust update` of `repository` fetched and verified, or `nil` when there is none. Its content is
    /// not parsed here.
    public static func cachedSigningConfig(for repository: Repository = production,
                                           environment: [String: String] = ProcessInfo.processInfo.environment) -> [UInt8]? {
        cache(for: repository, environment: environment)?.read("targets/" + signingConfigTarget, limit: TrustedRoot.maxBytes)
    }

    /// Path of the cached `trusted_root.json` of `repository` (which may not exist).
    public static func cachedTrustedRootPath(for repository: Repository = production,
                                             environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        cache(for: repository, environment: environment)?.path("targets/" + trustedRootTarget)
    }
}

extension TrustedRoot {
    /// The newest `validFor.start` of any log key or authority: how recent the root's content is.
    public var newestStart: Date? {
        let periods = transparencyLogs.map(\.validFor) + certificateTransparencyLogs.map(\.validFor)
            + certificateAuthorities.map(\.validFor) + timestampAuthorities.map(\.validFor)
        return periods.compactMap(\.start).max()
    }

    /// The public-good root `verify` uses when given none: the `trusted_root.json` that `weightseal trust update`
    /// fetched from Sigstore's production repository, when it exists and its newest `validFor.start` is not older
    /// than the embedded root's (a refreshed root with the same keys may still end one, so a tie goes to the
    /// fetched copy); else ``publicGood``. The cached file is re-read with the strict reader.
    /// - Throws: ``WeightSealError/Code/malformedTrustRoot`` (or `io`, `limitExceeded`) when the cached file exists
    ///   but cannot be used: a damaged cache is reported, never skipped silently.
    public static func publicGoodPreferringCache(
        environment: [String: String] = ProcessInfo.processInfo.environment) throws(WeightSealError) -> TrustedRoot {
        guard let path = SigstoreTUF.cachedTrustedRootPath(environment: environment),
              FileManager.default.fileExists(atPath: path) else { return publicGood }
        var cached: TrustedRoot
        do {
            cached = try TrustedRoot.load(file: path)
        } catch {
            throw WeightSealError(error.code, "the trusted root that `weightseal trust update` stored cannot be used: \(error.message); run `weightseal trust update` again, remove \(path), or give --trusted-root")
        }
        guard let start = cached.newestStart, let embedded = publicGood.newestStart, start >= embedded else {
            return publicGood
        }
        cached.source = "\(path) (fetched by `weightseal trust update` from \(SigstoreTUF.productionURL))"
        return cached
    }
}
