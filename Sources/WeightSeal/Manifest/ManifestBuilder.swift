import Foundation

/// Builds a ``ModelManifest`` from a model folder: walk, hash in parallel, Merkle root (DESIGN §3, §8).
public struct ManifestBuilder: Sendable {
    /// Paths never covered by default (OMS v1.0 §6.2 plus the Hub client's `--local-dir` bookkeeping).
    public static let defaultIgnorePaths = [".git", ".gitignore", ".gitattributes", ".github", ".cache/huggingface"]
    /// Default name of the signature file, written into the model folder and never covered.
    public static let defaultSignatureFile = "model.sig"

    /// Chunk size in bytes.
    public var chunkSize: UInt64 = ModelManifest.defaultChunkSize
    /// The algorithm of the file and chunk digests.
    public var hashAlgorithm: HashAlgorithm = .sha256
    /// Paths ignored besides ``defaultIgnorePaths`` and the signature file (exact relative paths).
    public var extraIgnorePaths: [String] = []
    /// Relative path of the signature file inside the folder, if it is written there.
    public var signatureFile: String? = ManifestBuilder.defaultSignatureFile
    /// `.withinRoot` records that symlinks inside the root are followed; `.reject` refuses to sign a folder with one.
    public var symlinks: Reference.SymlinkRule = .reject
    /// Worker threads; `nil` means all active cores.
    public var jobs: Int?
    public var model: ModelManifest.Model?
    public var license: LicenseRecord?

    public init() {}

    /// The ignore set recorded in the manifest, sorted and without duplicates.
    public var ignorePaths: [String] {
        var set = ManifestBuilder.defaultIgnorePaths + extraIgnorePaths
        if let signatureFile { set.append(signatureFile) }
        return Array(Set(set)).sorted(by: pathBytesLess)
    }

    /// Lists the files that a manifest of `root` covers.
    /// - Throws: ``WeightSealError/Code/invalidPath`` naming each path that cannot be covered (a symlink when the rule
    ///   is `reject`, a link leaving the root, a fifo, socket or device, a name that is not UTF-8), ``WeightSealError/Code/emptyModel``.
    public func listFiles(root: String) throws(WeightSealError) -> (files: [WalkedFile], warnings: [Finding]) {
        for p in extraIgnorePaths { try ModelPath.validate(p) }
        let listing = try ModelFolder.list(root: root, options: .init(ignorePaths: ignorePaths, symlinks: symlinks))
        // One path rule for signing and verifying: a name a manifest cannot hold (a backslash, say) is refused here,
        // not written into a signature that verification would refuse.
        let unnamable = listing.files.compactMap { f in
            ModelPath.problem(f.path).map { Finding(.invalidName, path: f.path, message: "\($0): this name cannot be recorded in a manifest") }
        }
        let refused = listing.findings.filter { $0.severity == .failure } + unnamable
        if !refused.isEmpty {
            let lines = refused.prefix(20).map { "  \($0.path.map(ModelPath.quoted) ?? root): \($0.message)" }
            let hint = symlinks == .reject && refused.contains { $0.kind == .symlinkRejected } ? "\n(use --allow-symlinks to cover symlinks that stay inside the folder)" : ""
            throw WeightSealError(.invalidPath, "cannot cover every file of \(root):\n" + lines.joined(separator: "\n") + hint)
        }
        guard !listing.files.isEmpty else {
            throw WeightSealError(.emptyModel, "\(root) has no file to cover; an empty model is refused")
        }
        guard listing.files.count <= Limits.maxFiles else {
            throw WeightSealError(.limitExceeded, "\(root) has more than \(Limits.maxFiles) files")
        }
        return (listing.files, ModelFolder.portabilityWarnings(listing.files.map(\.path)))
    }

    /// Walks and hashes `root` (each byte read once) and returns its manifest and any portability warnings.
    /// - Parameter progress: called about ten times a second while hashing, and once at the end.
    /// - Throws: as ``listFiles(root:)``, ``WeightSealError/Code/io`` when a file cannot be read,
    ///   ``WeightSealError/Code/fileChanged`` when a file changes between the walk and the end of its hashing
    ///   (written, replaced or removed).
    public func build(root: String, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> (ModelManifest, [Finding]) {
        try await build(root: root, listed: try listFiles(root: root), progress: progress)
    }

    /// As ``build(root:progress:)``, over a listing already made by ``listFiles(root:)`` (so a caller that read the
    /// listing first, for the license declarations say, does not walk the folder twice).
    public func build(root: String, listed: (files: [WalkedFile], warnings: [Finding]),
                      progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> (ModelManifest, [Finding]) {
        guard chunkSize >= UInt64(Limits.minChunkSize), chunkSize <= UInt64(Limits.maxChunkSize) else {
            throw WeightSealError(.invalidArgument, "chunk size \(chunkSize) is out of range \(Limits.minChunkSize)...\(Limits.maxChunkSize) bytes")
        }
        let (files, warnings) = listed
        let cs = chunkSize
        let algorithm = hashAlgorithm
        let requests = files.map {
            HashRequest(path: $0.fsPath, size: $0.size, algorithm: algorithm, wholeFile: true, chunkSize: $0.size > cs ? cs : nil)
        }
        let results = await ChunkedHasher(jobs: jobs).hash(requests, progress: progress)
        let changes = FileIdentity.changes(results: results) { files[$0] }
        var entries = [ModelManifest.FileEntry]()
        entries.reserveCapacity(files.count)
        for (k, (file, result)) in zip(files, results).enumerated() {
            try Self.checkHashed(file, result, change: changes[k])
            guard let digest = result.whole(algorithm) else { throw WeightSealError(.io, "no digest for \(ModelPath.quoted(file.path))") }
            entries.append(ModelManifest.FileEntry(path: file.path, size: file.size, digest: digest.hexString, algorithm: algorithm,
                                                   chunks: file.size > cs ? result.chunks.map(\.hexString) : nil))
        }
        let name = model?.name ?? URL(fileURLWithPath: root).standardizedFileURL.lastPathComponent
        let manifest = ModelManifest(
            model: model ?? .init(name: name),
            serialization: .init(hashAlgorithm: algorithm.rawValue, chunkSize: cs, ignorePaths: ignorePaths, symlinks: symlinks),
            files: entries,
            root: ModelManifest.computeRoot(entries),
            license: license,
            createdAt: rfc3339(Date()),
            tool: .init(name: "weightseal", version: WeightSealVersion.current))
        return (manifest, warnings)
    }
}

extension ManifestBuilder {
    /// Refuses a file that could not be hashed, or that changed between its walk and the end of its hashing (its
    /// digest would describe no single state of it, and the signature would fail at once).
    /// - Throws: ``WeightSealError/Code/fileChanged`` or the hashing error's code, naming the file.
    /// - Parameter change: the file's ``FileIdentity/change(walked:read:path:)`` when the caller has it already.
    static func checkHashed(_ file: WalkedFile, _ result: HashResult, change known: String?? = nil) throws(WeightSealError) {
        if let error = result.error {
            throw WeightSealError(error.code == .fileChanged ? .fileChanged : .io,
                                  "cannot hash \(ModelPath.quoted(file.path)): \(error.message)")
        }
        let change = known ?? FileIdentity.change(walked: file.identity, read: result.identity, path: file.fsPath)
        if let change {
            throw WeightSealError(.fileChanged, "\(ModelPath.quoted(file.path)) changed while it was hashed: \(change); "
                + "sign again once nothing writes to the model")
        }
    }
}

/// RFC 3339 UTC time with seconds, e.g. `2026-11-29T20:00:00Z`.
public func rfc3339(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: date)
}
