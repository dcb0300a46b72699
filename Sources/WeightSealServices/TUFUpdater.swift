import Foundation
import NIOHTTP1
import WeightSeal

/// Refreshes the Sigstore trust material from a TUF repository over HTTP (`weightseal trust update`): runs the TUF
/// client workflow (``TUFClient``) against the repository and stores the verified metadata and the targets
/// `trusted_root.json` and `signing_config.v0.2.json` in the repository's cache folder (``SigstoreTUF``).
public enum TUFUpdater {
    /// Updates from `repository`.
    /// - Parameters:
    ///   - initialRoot: the root to start trust from; default: the repository's embedded root, else the root
    ///     stored in the cache by an earlier update (trust on first use of the root given then).
    ///   - cache: where to keep the files; default: ``SigstoreTUF/cache(for:environment:)``.
    ///   - now: the update's reference time.
    /// - Throws: ``WeightSealError``: `trustUpdate` when the repository's metadata is refused (message names the
    ///   file and the reason), `network` when it cannot be fetched, `invalidArgument` when there is no root to
    ///   start from, `malformedTrustRoot` when the given initial root is unusable, `io` for the cache.
    public static func update(repository: SigstoreTUF.Repository, initialRoot: [UInt8]? = nil, initialRootLabel: String? = nil,
                              cache: TUFCache? = nil, now: Date = Date(),
                              settings: ServiceClient.Settings = ServiceClient.Settings()) async throws -> TUFUpdateResult {
        guard let cache = cache ?? SigstoreTUF.cache(for: repository) else {
            throw WeightSealError(.invalidArgument, "no cache folder: set WEIGHTSEAL_CACHE_DIR, XDG_CACHE_HOME or HOME")
        }
        let root: [UInt8]
        let label: String
        if let initialRoot {
            (root, label) = (initialRoot, initialRootLabel ?? "the given root")
        } else if let embedded = repository.embeddedRoot {
            (root, label) = (embedded, "the embedded root of \(repository.url)")
        } else if let stored = cache.read("root.json", limit: TUFTrustedSet.maxRootBytes) {
            (root, label) = (stored, cache.path("root.json"))
        } else {
            throw WeightSealError(.invalidArgument, "weightseal has no root for \(repository.url): give its root.json with --root the first time")
        }
        // The initial root is the caller's: a bad one is a bad argument, not a refused repository.
        do {
            _ = try TUFTrustedSet(root: root, referenceTime: now, file: label)
        } catch {
            throw WeightSealError(error.code == .trustUpdate ? .malformedTrustRoot : error.code, error.message)
        }
        return try await ServiceClient.with(settings: settings) { client in
            let remote = HTTPTUFRepository(client: client, metadataURL: repository.url + "/", targetsURL: repository.targetsURL)
            return try await TUFClient.update(
                initialRoot: root, initialRootLabel: label, repository: remote, repositoryLabel: repository.url, cache: cache,
                targetNames: [SigstoreTUF.trustedRootTarget, SigstoreTUF.signingConfigTarget],
                required: [SigstoreTUF.trustedRootTarget], now: now)
        }
    }
}

/// A TUF repository over HTTP: metadata under `metadataURL`, targets under `targetsURL`.
struct HTTPTUFRepository: TUFRepository {
    let client: ServiceClient
    let metadataURL: String
    let targetsURL: String

    func metadata(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]? {
        try await get(metadataURL + TUFClient.escapedName(name), maxLength: maxLength, what: "TUF repository")
    }

    func target(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]? {
        // Keep a target's folders as path segments; encode each segment.
        let path = name.split(separator: "/", omittingEmptySubsequences: false).map { TUFClient.escapedName(String($0)) }
        return try await get(targetsURL + path.joined(separator: "/"), maxLength: maxLength, what: "TUF repository")
    }

    private func get(_ url: String, maxLength: Int, what: String) async throws(WeightSealError) -> [UInt8]? {
        let response = try await client.send(.GET, url, limit: maxLength, what: what)
        switch response.status {
        case 200: return response.body
        case 403, 404: return nil
        default:
            throw WeightSealError(.network, "\(what) answered \(url.prefix(300)) with HTTP \(response.status): \(response.excerpt)")
        }
    }
}
