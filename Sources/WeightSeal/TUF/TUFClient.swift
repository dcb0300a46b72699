import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a TUF client gets files: a repository's metadata and target files by name. The core library has no
/// networking; WeightSealServices' `TUFUpdater` answers over HTTP, tests answer from memory.
public protocol TUFRepository: Sendable {
    /// A metadata file: `timestamp.json`, `N.root.json`, `V.snapshot.json`, `V.targets.json` (or the unversioned
    /// names without consistent snapshots).
    /// - Parameter maxLength: most bytes accepted; a longer body is an error, not a cut.
    /// - Returns: the bytes, or `nil` when the repository does not have the file (HTTP 403 or 404).
    func metadata(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]?
    /// A target file by the name it is served under (`HASH.NAME` in a consistent snapshot).
    func target(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]?
}

/// The folder where a TUF client keeps the trusted metadata of one repository and the target files it fetched:
///
/// ```
/// root.json                 the newest trusted root
/// root_history/N.root.json  every root version trusted, so the chain replays without the network
/// timestamp.json, snapshot.json, targets.json
/// targets/NAME              target files, each verified against targets.json when written
/// ```
/// Every file is written atomically (``AtomicFile/write(_:to:mode:)``) and only after it passed verification.
public struct TUFCache: Sendable {
    /// The folder.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// Path of `name` (relative, e.g. `targets/trusted_root.json`).
    public func path(_ name: String) -> String { directory + "/" + name }

    /// The bytes of `name`, or `nil` when absent or unreadable (a cache miss, never an error).
    public func read(_ name: String, limit: Int) -> [UInt8]? {
        try? AtomicFile.read(path(name), limit: limit, what: "cached TUF file")
    }

    /// Writes `name` atomically, making folders as needed.
    /// - Throws: ``WeightSealError/Code/io``.
    public func write(_ name: String, _ bytes: [UInt8]) throws(WeightSealError) {
        let full = path(name)
        let folder = (full as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WeightSealError(.io, "cannot make the cache folder \(folder): \(error.localizedDescription)")
        }
        try AtomicFile.write(bytes, to: full)
    }
}

/// What a TUF update did.
public struct TUFUpdateResult: Sendable {
    /// A role's trusted metadata after the update.
    public struct RoleState: Sendable {
        public var role: TUFRole
        public var version: Int
        public var expires: Date
        /// Whether a newer file was fetched (and stored) by this update.
        public var updated: Bool
    }

    /// A target file after the update.
    public struct Target: Sendable {
        /// The target path (`trusted_root.json`).
        public var name: String
        /// Where it is stored.
        public var path: String
        public var length: Int
        /// SHA-256, lower-case hex, when targets.json lists it.
        public var sha256: String?
        /// Whether it was fetched by this update (else the cached copy was already current).
        public var updated: Bool
    }

    /// The repository's metadata base URL (or a label).
    public var repository: String
    /// Root version trusted before the update (the initial root, or the newest cached one) and after it.
    public var rootVersionBefore: Int
    public var roles: [RoleState]
    public var targets: [Target]
    /// Target names asked for that the repository does not list (only optional ones; a missing required one is an error).
    public var missingTargets: [String]
}

/// The TUF client workflow (TUF specification v1.0.x §5): update the trusted root chain, then timestamp, snapshot
/// and targets, then fetch target files, keeping verified copies in a ``TUFCache``.
///
/// Trust starts from `initialRoot` (embedded in weightseal for Sigstore's repositories, or given by the user);
/// the cache's root history is replayed from it, so a cache only saves downloads and never becomes the anchor. Each
/// file enters the cache only after it passed every check; a refused update leaves the refused role's cached file
/// as it was.
public enum TUFClient {
    /// Most root versions one update moves forward (§5.3.2's bound). A repository that rotated more often than
    /// that since the trusted root needs another run, which continues from the roots already stored.
    public static let maxRootRotations = 32
    /// Largest target file fetched, in bytes.
    public static let maxTargetBytes = 16 * 1024 * 1024

    /// Runs one update.
    /// - Parameters:
    ///   - initialRoot: the root metadata trust starts from (self-signed; it may have expired).
    ///   - initialRootLabel: names it in messages.
    ///   - targetNames: target files to fetch into `cache/targets/`; those in `required` must be listed.
    ///   - now: the update's reference time (§5.1).
    /// - Throws: ``WeightSealError/Code/trustUpdate`` when the repository's metadata is refused (the message names
    ///   the file and why), ``WeightSealError/Code/network`` when it cannot be fetched,
    ///   ``WeightSealError/Code/io`` when the cache cannot be written.
    public static func update(initialRoot: [UInt8], initialRootLabel: String = "root.json",
                              repository: some TUFRepository, repositoryLabel: String, cache: TUFCache,
                              targetNames: [String], required: Set<String>,
                              now: Date = Date()) async throws(WeightSealError) -> TUFUpdateResult {
        var set = try TUFTrustedSet(root: initialRoot, referenceTime: now, file: initialRootLabel)
        if cache.read("root_history/\(set.root.version).root.json", limit: TUFTrustedSet.maxRootBytes) != initialRoot {
            try cache.write("root_history/\(set.root.version).root.json", initialRoot)
        }

        // §5.3: the cached chain first (no network), then the repository's newer roots.
        var rotations = 0
        while rotations < maxRootRotations,
              let data = cache.read("root_history/\(set.root.version + 1).root.json", limit: TUFTrustedSet.maxRootBytes),
              (try? set.updateRoot(data)) != nil {
            rotations += 1
        }
        let rootBefore = set.root.version
        var rootUpdated = false
        while true {
            let name = "\(set.root.version + 1).root.json"
            guard let data = try await repository.metadata(name, maxLength: TUFTrustedSet.maxRootBytes) else { break }
            guard rotations < maxRootRotations else {
                try cache.write("root.json", try rootBytes(cache, set))
                throw WeightSealError(.trustUpdate, "the repository has more than \(maxRootRotations) root versions after the trusted version \(set.root.version - rotations); this update stopped at version \(set.root.version): run it again to continue")
            }
            try set.updateRoot(data)
            try cache.write("root_history/\(set.root.version).root.json", data)
            rotations += 1
            rootUpdated = true
        }
        try cache.write("root.json", try rootBytes(cache, set))
        try set.checkRootNotExpired()

        // §5.4: the cached timestamp is only a rollback reference (it may have expired, or its keys rotated away).
        if let cached = cache.read(TUFRole.timestamp.fileName, limit: TUFTrustedSet.maxTimestampBytes) {
            _ = try? set.updateTimestamp(cached)
        }
        let timestampData = try await require(repository, TUFRole.timestamp.fileName, maxLength: TUFTrustedSet.maxTimestampBytes,
                                              listedLength: nil, lister: "")
        let timestampUpdated = try set.updateTimestamp(timestampData)
        if timestampUpdated { try cache.write(TUFRole.timestamp.fileName, timestampData) }
        guard let timestamp = set.timestamp else { throw WeightSealError(.invalidArgument, "no timestamp after the update") }

        // §5.5: a cached snapshot that is still the one the timestamp lists saves the download.
        // A cached snapshot that fails the final checks may still be kept as the rollback reference.
        var snapshotUpdated = false
        var snapshotCurrent = false
        if let cached = cache.read(TUFRole.snapshot.fileName, limit: TUFTrustedSet.maxSnapshotBytes) {
            snapshotCurrent = (try? set.updateSnapshot(cached, cached: true)) != nil
        }
        if !snapshotCurrent {
            let meta = timestamp.snapshotMeta
            let name = set.root.consistentSnapshot ? "\(meta.version).snapshot.json" : "snapshot.json"
            let data = try await require(repository, name, maxLength: TUFTrustedSet.maxSnapshotBytes, listedLength: meta.length,
                                         lister: "timestamp.json")
            try set.updateSnapshot(data, cached: false)
            try cache.write(TUFRole.snapshot.fileName, data)
            snapshotUpdated = true
        }
        guard let snapshot = set.snapshot, let targetsMeta = snapshot.meta[TUFRole.targets.fileName] else {
            throw WeightSealError(.invalidArgument, "no snapshot after the update")
        }

        // §5.6
        var targetsUpdated = false
        var targetsCurrent = false
        if let cached = cache.read(TUFRole.targets.fileName, limit: TUFTrustedSet.maxTargetsBytes) {
            targetsCurrent = (try? set.updateTargets(cached)) != nil
        }
        if !targetsCurrent {
            let name = set.root.consistentSnapshot ? "\(targetsMeta.version).targets.json" : "targets.json"
            let data = try await require(repository, name, maxLength: TUFTrustedSet.maxTargetsBytes, listedLength: targetsMeta.length,
                                         lister: "snapshot.json")
            try set.updateTargets(data)
            try cache.write(TUFRole.targets.fileName, data)
            targetsUpdated = true
        }
        guard let targets = set.targets else { throw WeightSealError(.invalidArgument, "no targets after the update") }

        // §5.7
        var fetched = [TUFUpdateResult.Target]()
        var missing = [String]()
        for name in targetNames {
            guard let info = try set.targetInfo(name) else {
                if required.contains(name) {
                    throw WeightSealError(.trustUpdate, "targets.json (version \(targets.version)) does not list \(name)")
                }
                missing.append(name)
                continue
            }
            if info.length > maxTargetBytes {
                throw WeightSealError(.trustUpdate, "targets.json lists \(name) as \(info.length) bytes; weightseal fetches at most \(maxTargetBytes)")
            }
            let local = "targets/" + escapedName(name)
            var updated = false
            let current = cache.read(local, limit: maxTargetBytes).map { (try? TUFTrustedSet.checkTarget($0, info)) != nil } ?? false
            if !current {
                let data = try await require(repository, set.targetFileName(info), maxLength: info.length, listedLength: info.length,
                                             lister: "targets.json", target: true)
                try TUFTrustedSet.checkTarget(data, info)
                try cache.write(local, data)
                updated = true
            }
            fetched.append(.init(name: name, path: cache.path(local), length: info.length, sha256: info.sha256, updated: updated))
        }

        return TUFUpdateResult(
            repository: repositoryLabel, rootVersionBefore: rootBefore,
            roles: [.init(role: .root, version: set.root.version, expires: set.root.expires, updated: rootUpdated),
                    .init(role: .timestamp, version: timestamp.version, expires: timestamp.expires, updated: timestampUpdated),
                    .init(role: .snapshot, version: snapshot.version, expires: snapshot.expires, updated: snapshotUpdated),
                    .init(role: .targets, version: targets.version, expires: targets.expires, updated: targetsUpdated)],
            targets: fetched, missingTargets: missing)
    }

    /// The stored bytes of the trusted root version (written to root_history as it was trusted).
    private static func rootBytes(_ cache: TUFCache, _ set: TUFTrustedSet) throws(WeightSealError) -> [UInt8] {
        guard let bytes = cache.read("root_history/\(set.root.version).root.json", limit: TUFTrustedSet.maxRootBytes) else {
            throw WeightSealError(.io, "cannot read back \(cache.path("root_history/\(set.root.version).root.json"))")
        }
        return bytes
    }

    /// A file the workflow cannot go on without. A body longer than a length the metadata lists is a mismatch of
    /// that metadata, said as such.
    private static func require(_ repository: some TUFRepository, _ name: String, maxLength: Int, listedLength: Int?,
                                lister: String, target: Bool = false) async throws(WeightSealError) -> [UInt8] {
        let limit = min(maxLength, listedLength ?? maxLength)
        let data: [UInt8]?
        do {
            data = target ? try await repository.target(name, maxLength: limit) : try await repository.metadata(name, maxLength: limit)
        } catch where error.code == .limitExceeded && listedLength != nil {
            throw WeightSealError(.trustUpdate, "\(name) is longer than the \(limit) bytes that \(lister) lists\(target ? "" : " (mix-and-match)")")
        }
        guard let data else {
            throw WeightSealError(.network, "the TUF repository has no \(target ? "target file" : "metadata file") \(name)")
        }
        return data
    }

    /// `name` percent-encoded except ASCII letters, digits and `._-~` (Python's `urllib.parse.quote(name, safe="")`,
    /// as python-tuf and sigstore-python name files): one file name in a cache folder, one segment of a URL path.
    public static func escapedName(_ name: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
