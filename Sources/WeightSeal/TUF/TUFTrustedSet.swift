import Foundation

/// The trusted TUF metadata of one client update, and every check of the TUF specification's detailed client
/// workflow (v1.0.x §5.3–§5.6) that does not need the network: a pure value fed bytes in the order root → timestamp →
/// snapshot → targets (as python-tuf's `TrustedMetadataSet`).
///
/// Metadata enters only when its signatures meet the threshold of the role's keys in the trusted root. Each refusal
/// is a ``WeightSealError`` with code ``WeightSealError/Code/trustUpdate`` whose message names the file and the
/// reason ("timestamp.json expired at …", "… (rollback)", "… (mix-and-match)").
///
/// An expired timestamp or snapshot, or a snapshot whose version differs from the one the timestamp lists, is kept
/// as *intermediate* metadata (it still guards against rollback of the next one) but the step after it is refused.
public struct TUFTrustedSet: Sendable {
    /// The update's fixed start time (§5.1): every expiry is judged against it.
    public let referenceTime: Date
    /// The trusted root.
    public private(set) var root: TUFRoot
    /// The trusted timestamp, snapshot and top-level targets, once loaded.
    public private(set) var timestamp: TUFTimestamp?
    public private(set) var snapshot: TUFSnapshot?
    public private(set) var targets: TUFTargets?

    /// Largest metadata files read, in bytes (python-tuf's defaults): root 512 KB, timestamp 16 KiB,
    /// snapshot 2 MB, targets 5 MB. A length the repository lists is used instead when smaller.
    public static let maxRootBytes = 512_000
    public static let maxTimestampBytes = 16_384
    public static let maxSnapshotBytes = 2_000_000
    public static let maxTargetsBytes = 5_000_000

    /// Trusts `rootData` as the initial root (§5.2): it must be signed by a threshold of its own root keys. Its
    /// expiry is not checked here: an expired initial root can still be updated.
    /// - Parameter file: names the root in messages (a path, or "the embedded Sigstore root").
    /// - Throws: ``WeightSealError/Code/trustUpdate`` when malformed or not self-signed.
    public init(root rootData: [UInt8], referenceTime: Date, file: String = "root.json") throws(WeightSealError) {
        if rootData.count > Self.maxRootBytes {
            throw WeightSealError(.limitExceeded, "\(file) is \(rootData.count) bytes; a root is at most \(Self.maxRootBytes)")
        }
        let envelope = try TUFEnvelope.parse(rootData, file: file)
        let root = try TUFRoot.parse(envelope, file: file)
        try envelope.verify(role: .root, keys: root.keys, roleKeys: root.keys(for: .root), by: "it", file: file)
        self.root = root
        self.referenceTime = referenceTime
    }

    // MARK: Root (§5.3)

    /// Trusts the next root version (§5.3.3–§5.3.6): it must be signed by a threshold of the trusted root's root
    /// keys and of its own, and its version must be exactly one more. Its expiry is not checked (an intermediate
    /// root may have expired); ``checkRootNotExpired()`` checks the final one.
    /// - Throws: ``WeightSealError/Code/trustUpdate``.
    public mutating func updateRoot(_ data: [UInt8]) throws(WeightSealError) {
        guard timestamp == nil else {
            throw WeightSealError(.invalidArgument, "the root cannot change after the timestamp is loaded")
        }
        let expected = root.version + 1
        let file = "\(expected).root.json"
        if data.count > Self.maxRootBytes {
            throw WeightSealError(.trustUpdate, "\(file) is \(data.count) bytes; a root is at most \(Self.maxRootBytes)")
        }
        let envelope = try TUFEnvelope.parse(data, file: file)
        let new = try TUFRoot.parse(envelope, file: file)
        try envelope.verify(role: .root, keys: root.keys, roleKeys: root.keys(for: .root),
                            by: "the trusted root (version \(root.version))", file: file)
        guard new.version == expected else {
            throw WeightSealError(.trustUpdate, "\(file) holds root version \(new.version), not \(expected)")
        }
        try envelope.verify(role: .root, keys: new.keys, roleKeys: new.keys(for: .root), by: "it", file: file)
        root = new
    }

    /// The freeze check of §5.3.10: the final root must not have expired.
    /// - Throws: ``WeightSealError/Code/trustUpdate``.
    public func checkRootNotExpired() throws(WeightSealError) {
        if root.expires <= referenceTime {
            throw WeightSealError(.trustUpdate, "root.json expired at \(rfc3339(root.expires)) (version \(root.version)) and the repository offers no newer root (freeze attack, or a repository that is no longer kept)")
        }
    }

    // MARK: Timestamp (§5.4)

    /// Loads timestamp metadata (§5.4.2–§5.4.4): signed by the root's timestamp keys; its version not lower than the
    /// trusted timestamp's, nor the snapshot version it lists lower than the trusted one (rollback); not expired.
    ///
    /// Call it first with the cached timestamp (if any; errors ignored), then with the repository's.
    /// - Returns: `false` when `data` has the trusted timestamp's version: the trusted one is kept.
    /// - Throws: ``WeightSealError/Code/trustUpdate``; an expired timestamp is still kept as the rollback reference.
    @discardableResult
    public mutating func updateTimestamp(_ data: [UInt8]) throws(WeightSealError) -> Bool {
        guard snapshot == nil else {
            throw WeightSealError(.invalidArgument, "the timestamp cannot change after the snapshot is loaded")
        }
        try checkRootNotExpired()
        let file = TUFRole.timestamp.fileName
        if data.count > Self.maxTimestampBytes {
            throw WeightSealError(.trustUpdate, "\(file) is \(data.count) bytes; a timestamp is at most \(Self.maxTimestampBytes)")
        }
        let envelope = try TUFEnvelope.parse(data, file: file)
        let new = try TUFTimestamp.parse(envelope, file: file)
        try envelope.verify(role: .timestamp, keys: root.keys, roleKeys: root.keys(for: .timestamp),
                            by: "root version \(root.version)", file: file)
        if let trusted = timestamp {
            if new.version < trusted.version {
                throw WeightSealError(.trustUpdate, "timestamp version \(new.version) is older than the trusted \(trusted.version) (rollback)")
            }
            if new.version == trusted.version {
                try checkTimestampNotExpired()
                return false
            }
            if new.snapshotMeta.version < trusted.snapshotMeta.version {
                throw WeightSealError(.trustUpdate, "timestamp.json lists snapshot version \(new.snapshotMeta.version), older than the trusted \(trusted.snapshotMeta.version) (rollback)")
            }
        }
        timestamp = new
        try checkTimestampNotExpired()
        return true
    }

    private func checkTimestampNotExpired() throws(WeightSealError) {
        guard let timestamp else { throw WeightSealError(.invalidArgument, "no timestamp is loaded") }
        if timestamp.expires <= referenceTime {
            throw WeightSealError(.trustUpdate, "timestamp.json expired at \(rfc3339(timestamp.expires)) (version \(timestamp.version))")
        }
    }

    // MARK: Snapshot (§5.5)

    /// Loads snapshot metadata (§5.5.2–§5.5.6): its length and hashes those the timestamp lists (unless `cached`:
    /// a file this client verified before), signed by the root's snapshot keys, no targets file it lists older than
    /// in the trusted snapshot nor missing (rollback), its version the one the timestamp lists (mix-and-match), not
    /// expired.
    /// - Parameter cached: `data` is the snapshot this client stored after verifying it.
    /// - Throws: ``WeightSealError/Code/trustUpdate``; a snapshot that passed the signature and rollback checks but
    ///   is expired or of another version is kept as the rollback reference.
    public mutating func updateSnapshot(_ data: [UInt8], cached: Bool) throws(WeightSealError) {
        guard targets == nil else {
            throw WeightSealError(.invalidArgument, "the snapshot cannot change after the targets are loaded")
        }
        try checkTimestampNotExpired()
        guard let meta = timestamp?.snapshotMeta else { throw WeightSealError(.invalidArgument, "no timestamp is loaded") }
        let file = TUFRole.snapshot.fileName
        if data.count > Self.maxSnapshotBytes {
            throw WeightSealError(.trustUpdate, "\(file) is \(data.count) bytes; a snapshot is at most \(Self.maxSnapshotBytes)")
        }
        if !cached {
            try TUFHashes.check(data, length: meta.length, hashes: meta.hashes, file: file, lister: "timestamp.json",
                                suffix: " (mix-and-match)")
        }
        let envelope = try TUFEnvelope.parse(data, file: file)
        let new = try TUFSnapshot.parse(envelope, file: file)
        try envelope.verify(role: .snapshot, keys: root.keys, roleKeys: root.keys(for: .snapshot),
                            by: "root version \(root.version)", file: file)
        if let trusted = snapshot {
            for (name, old) in trusted.meta.sorted(by: { $0.key < $1.key }) {
                guard let listed = new.meta[name] else {
                    throw WeightSealError(.trustUpdate, "snapshot.json no longer lists \(name), which the trusted snapshot lists (rollback)")
                }
                if listed.version < old.version {
                    throw WeightSealError(.trustUpdate, "snapshot.json lists \(name) version \(listed.version), older than the trusted \(old.version) (rollback)")
                }
            }
        }
        snapshot = new
        try checkFinalSnapshot()
    }

    private func checkFinalSnapshot() throws(WeightSealError) {
        guard let snapshot, let meta = timestamp?.snapshotMeta else {
            throw WeightSealError(.invalidArgument, "no snapshot is loaded")
        }
        if snapshot.expires <= referenceTime {
            throw WeightSealError(.trustUpdate, "snapshot.json expired at \(rfc3339(snapshot.expires)) (version \(snapshot.version))")
        }
        if snapshot.version != meta.version {
            throw WeightSealError(.trustUpdate, "snapshot.json has version \(snapshot.version), not the version \(meta.version) that timestamp.json lists (mix-and-match)")
        }
    }

    // MARK: Targets (§5.6)

    /// Loads top-level targets metadata (§5.6.2–§5.6.5): its length and hashes those the snapshot lists, signed by
    /// the root's targets keys, its version the one the snapshot lists (mix-and-match), not expired.
    /// - Throws: ``WeightSealError/Code/trustUpdate``.
    public mutating func updateTargets(_ data: [UInt8]) throws(WeightSealError) {
        guard targets == nil else { throw WeightSealError(.invalidArgument, "the targets are already loaded") }
        try checkFinalSnapshot()
        let file = TUFRole.targets.fileName
        guard let meta = snapshot?.meta[file] else {
            throw WeightSealError(.trustUpdate, "snapshot.json does not list targets.json")
        }
        if data.count > Self.maxTargetsBytes {
            throw WeightSealError(.trustUpdate, "\(file) is \(data.count) bytes; a targets file is at most \(Self.maxTargetsBytes)")
        }
        try TUFHashes.check(data, length: meta.length, hashes: meta.hashes, file: file, lister: "snapshot.json",
                            suffix: " (mix-and-match)")
        let envelope = try TUFEnvelope.parse(data, file: file)
        let new = try TUFTargets.parse(envelope, file: file)
        try envelope.verify(role: .targets, keys: root.keys, roleKeys: root.keys(for: .targets),
                            by: "root version \(root.version)", file: file)
        if new.version != meta.version {
            throw WeightSealError(.trustUpdate, "targets.json has version \(new.version), not the version \(meta.version) that snapshot.json lists (mix-and-match)")
        }
        if new.expires <= referenceTime {
            throw WeightSealError(.trustUpdate, "targets.json expired at \(rfc3339(new.expires)) (version \(new.version))")
        }
        targets = new
    }

    // MARK: Target files (§5.7)

    /// What the top-level targets say about `path`, or `nil` when they do not list it.
    ///
    /// Delegated targets roles are not followed: a path missing from the top-level targets of a repository that
    /// delegates is refused rather than looked up (Sigstore lists its trust material at the top level).
    /// - Throws: ``WeightSealError/Code/trustUpdate`` for that case; ``WeightSealError/Code/invalidArgument``
    ///   before the targets are loaded.
    public func targetInfo(_ path: String) throws(WeightSealError) -> TUFTargetFile? {
        guard let targets else { throw WeightSealError(.invalidArgument, "the targets are not loaded") }
        if let info = targets.targets[path] { return info }
        if targets.hasDelegations {
            throw WeightSealError(.trustUpdate, "targets.json does not list \(path) and delegates to other targets roles, which weightseal does not follow")
        }
        return nil
    }

    /// Checks a downloaded target file against its length and every hash targets.json lists (§5.7.3).
    /// - Throws: ``WeightSealError/Code/trustUpdate``.
    public static func checkTarget(_ data: [UInt8], _ info: TUFTargetFile) throws(WeightSealError) {
        try TUFHashes.check(data, length: info.length, hashes: info.hashes, file: info.path, lister: "targets.json", suffix: "")
    }

    /// The name a target is fetched under: `HASH.NAME` in a consistent snapshot (the first hash listed, as
    /// python-tuf), else `NAME`; a folder part stays in front.
    public func targetFileName(_ info: TUFTargetFile) -> String {
        guard root.consistentSnapshot, let hash = info.hashes.first?.1 else { return info.path }
        if let slash = info.path.lastIndex(of: "/") {
            return String(info.path[...slash]) + hash + "." + info.path[info.path.index(after: slash)...]
        }
        return hash + "." + info.path
    }
}
