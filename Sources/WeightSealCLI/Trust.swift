import ArgumentParser
import Foundation
import WeightSeal
import WeightSealServices

extension WeightSealCommand {
    /// `weightseal trust`: the Sigstore trust material (docs/sigstore.md, "Keeping the trusted root fresh").
    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep the Sigstore trusted root fresh (TUF).",
            subcommands: [Update.self, Show.self])
    }
}

extension WeightSealCommand.Trust {
    /// `weightseal trust update`: one TUF client update into the cache.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the current trusted_root.json and signing config from a Sigstore TUF repository.",
            discussion: """
                Runs the TUF client workflow (root rotation chain, signature thresholds, expiry, rollback and \
                freeze protection, snapshot and targets hashes and lengths) from the root embedded in weightseal \
                (or given with --root) and stores the verified files in the cache folder ($WEIGHTSEAL_CACHE_DIR, \
                else $XDG_CACHE_HOME/weightseal, else ~/.cache/weightseal). verify, verify-bundle and audit then \
                use the production trusted_root.json when it is not older than the embedded one. Exit status: 0 \
                updated (or already current); 2 refused or failed, with the reason.
                """)

        @Flag(help: "Use Sigstore's staging repository (\(SigstoreTUF.stagingURL)).")
        var staging = false

        @Option(name: .customLong("tuf-url"), help: "Another TUF repository's metadata URL (targets under URL/targets/).")
        var tufURL: String?

        @Option(help: "The repository's initial root.json to start trust from (needed the first time for --tuf-url).", completion: .file())
        var root: String?

        @Flag(help: "Print the result as one JSON document.")
        var json = false

        func validate() throws {
            if staging && tufURL != nil { throw ValidationError("give --staging or --tuf-url, not both") }
            if root != nil && tufURL == nil && !staging { throw ValidationError("--root goes with --tuf-url (or --staging)") }
            if let tufURL, let problem = HTTPURL.problem(with: tufURL) { throw ValidationError("--tuf-url \(tufURL) \(problem)") }
        }

        func run() async throws {
            let repository = staging ? SigstoreTUF.staging : tufURL.map { SigstoreTUF.Repository(url: $0) } ?? SigstoreTUF.production
            let initialRoot = try root.map { (path) throws(WeightSealError) in
                try AtomicFile.read(path, limit: TUFTrustedSet.maxRootBytes, what: "TUF root", allowPipe: true)
            }
            let result = try await TUFUpdater.update(repository: repository, initialRoot: initialRoot, initialRootLabel: root)
            let report = TrustUpdateReport(result, cache: SigstoreTUF.cache(for: repository)?.directory ?? "")
            printOut(json ? jsonText(report) : report.text)
        }
    }

    /// `weightseal trust show`: which trusted root verify would use.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say which Sigstore trusted root verify uses when given none (embedded, or fetched by trust update).")

        func run() async throws {
            let root = try TrustedRoot.publicGoodPreferringCache()
            printOut("trusted root: \(root.source)")
            printOut("newest validFor.start: \(root.newestStart.map(rfc3339) ?? "none")")
            printOut("embedded root: newest validFor.start \(TrustedRoot.publicGoodNewestStart)")
            if let path = SigstoreTUF.cachedTrustedRootPath() {
                printOut("fetched copy: \(path)\(FileManager.default.fileExists(atPath: path) ? "" : " (absent: run `weightseal trust update`)")")
            }
        }
    }
}

/// What `trust update` prints.
struct TrustUpdateReport: Encodable {
    struct Role: Encodable {
        var role: String
        var version: Int
        var expires: String
        var updated: Bool
    }

    struct Target: Encodable {
        var name: String
        var path: String
        var length: Int
        var sha256: String?
        var updated: Bool
    }

    var repository: String
    var cache: String
    var rootVersionBefore: Int
    var roles: [Role]
    var targets: [Target]
    var missingTargets: [String]

    init(_ r: TUFUpdateResult, cache: String) {
        repository = r.repository
        self.cache = cache
        rootVersionBefore = r.rootVersionBefore
        roles = r.roles.map { Role(role: $0.role.rawValue, version: $0.version, expires: rfc3339($0.expires), updated: $0.updated) }
        targets = r.targets.map { Target(name: $0.name, path: $0.path, length: $0.length, sha256: $0.sha256, updated: $0.updated) }
        missingTargets = r.missingTargets
    }

    var text: String {
        var lines = ["TUF repository \(repository): trusted"]
        for r in roles {
            var note = r.updated ? "updated" : "unchanged"
            if r.role == "root" && r.version != rootVersionBefore { note = "rotated from version \(rootVersionBefore)" }
            lines.append("  \(r.role.padding(toLength: 9, withPad: " ", startingAt: 0)) version \(r.version), expires \(r.expires) (\(note))")
        }
        for t in targets {
            lines.append("  \(t.name): \(t.length) bytes, sha256 \(t.sha256 ?? "not listed") (\(t.updated ? "updated" : "unchanged"))")
        }
        for name in missingTargets { lines.append("  \(name): not listed by the repository") }
        lines.append("cache: \(cache)")
        return lines.joined(separator: "\n")
    }
}
