import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One revision of a repository in a Hugging Face cache: `CACHE/models--ORG--NAME/snapshots/REV`.
///
/// Layout (huggingface_hub's cache guide): `models--ORG--NAME/refs/<branch>` holds a commit hash;
/// `blobs/<id>` holds each file's content under its Hub identity (64 hex digits: the LFS SHA-256; 40 hex digits:
/// the git blob SHA-1); `snapshots/<commit>/<path>` is a relative symlink `../../blobs/<id>` (more `../` in
/// sub-folders), or a regular file in copy mode (no symlink support, `HF_HUB_DISABLE_SYMLINKS=1`).
///
/// How symlinks are followed (cache-aware mode, FIELD-CASES F05):
/// - a snapshot link is followed only while it stays inside ``repoFolder`` (the containment root);
/// - one exception, the "shared blob" layout: a link stored directly in `repoFolder/blobs/` may continue into the
///   cache's own cache-level `blobs/` folder (``cacheDirectory``/`blobs`), and from there only within it. Nothing
///   else outside the repository folder is ever opened;
/// - an absolute link target is reported (``Finding/Kind/absoluteSymlink``, a warning: huggingface_hub writes
///   relative links, and an absolute one breaks when the cache moves) and then held to the same rules: one that
///   does not exist is a ``Finding/Kind/danglingSymlink`` failure, one that leaves the allowed folders is a
///   ``Finding/Kind/symlinkEscapes`` failure;
/// - at most ``Limits/maxSymlinkHops`` hops (then ``Finding/Kind/symlinkCycle``); a link to a folder, fifo or
///   device is ``Finding/Kind/notRegularFile``. Folders of the snapshot itself are walked without following links;
/// - each hop's folder part is resolved with `realpath` (symlinked folders and `..` in the kernel's order), so the
///   file judged and hashed is the one any program opening the link gets.
public struct HFCacheSnapshot: Sendable, Hashable {
    /// The snapshot folder, canonical (symlinks in its own path resolved).
    public var snapshotPath: String
    /// The `models--ORG--NAME` folder, canonical: the containment root for the snapshot's symlinks.
    public var repoFolder: String
    /// The snapshot folder's name: the commit hash.
    public var revision: String

    /// The cache folder holding ``repoFolder`` (the "hub" folder).
    public var cacheDirectory: String { parentPath(repoFolder) }

    /// The repository id read from the folder name: `models--org--name` → `org/name`.
    public var repoID: String {
        let name = lastComponent(repoFolder)
        let parts = name.components(separatedBy: "--")
        return parts.dropFirst().joined(separator: "/")
    }

    /// Recognises a snapshot folder given directly: `…/models--ORG--NAME/snapshots/REV` (also `datasets--` and
    /// `spaces--` repositories). Symlinks in `path` are resolved first.
    /// - Returns: the snapshot, or `nil` when `path` is not a readable snapshot folder.
    public static func detect(path: String) -> HFCacheSnapshot? {
        guard let real = realPath(path), isDirectory(real) else { return nil }
        let snapshots = parentPath(real)
        let repo = parentPath(snapshots)
        guard lastComponent(snapshots) == "snapshots", repo != snapshots,
              isRepoFolderName(lastComponent(repo)) else { return nil }
        return HFCacheSnapshot(snapshotPath: real, repoFolder: repo, revision: lastComponent(real))
    }

    /// The snapshot's regular files as the verifier must read them: model-relative path (`/`-separated, as on the
    /// Hub), the resolved file to open, and its size in bytes; sorted by path bytes.
    ///
    /// Only entries that resolve under the rules above are listed; the others are findings of ``listing(ignorePaths:)``.
    /// - Parameter ignorePaths: exact relative paths left out (a folder and all below it), as in ``Reference/ignorePaths``.
    /// - Throws: ``WeightSealError/Code/io`` when the snapshot folder cannot be read.
    public func files(ignorePaths: [String] = []) throws(WeightSealError) -> [(path: String, fsPath: String, size: UInt64)] {
        try scan(ignorePaths: ignorePaths).entries.map { (path: $0.path, fsPath: $0.fsPath, size: $0.size) }
    }

    /// The snapshot as a folder walk for ``ModelVerifier``: the resolved files (``files(ignorePaths:)``) plus one failing finding,
    /// with its path, for each entry that does not resolve (dangling or escaping link, cycle, link to a folder, fifo,
    /// non-UTF-8 name). A verifier that counts those paths as accounted for reports a dangling link as such, not as
    /// `missing`. `ignorePaths` as in ``files(ignorePaths:)``. Warnings about entries that do resolve (absolute links) are not here but in ``HFCache/check(snapshot:hasher:includingWalkFindings:)``.
    /// - Throws: ``WeightSealError/Code/io`` when the snapshot folder cannot be read.
    public func listing(ignorePaths: [String] = []) throws(WeightSealError) -> FolderListing {
        let s = try scan(ignorePaths: ignorePaths)
        return FolderListing(
            files: s.entries.map { WalkedFile(path: $0.path, fsPath: $0.fsPath, size: $0.size, viaSymlink: $0.viaSymlink,
                                              identity: $0.identity) },
            findings: s.findings, unreadableFolders: s.unreadableFolders)
    }

    init(snapshotPath: String, repoFolder: String, revision: String) {
        self.snapshotPath = snapshotPath
        self.repoFolder = repoFolder
        self.revision = revision
    }

    // MARK: - Walk

    struct Entry: Sendable {
        var path: String
        var fsPath: String
        var size: UInt64
        /// Name of the blob in `repoFolder/blobs/` the entry's chain passes through; `nil` in copy mode.
        var blob: String?
        var viaSymlink: Bool
        /// The resolved file's identity when it was walked (compared with what was read, as for a plain folder).
        var identity: FileIdentity?
    }

    struct Scan: Sendable {
        var entries: [Entry] = []
        /// Entries that do not resolve to a regular file (each names its path).
        var findings: [Finding] = []
        /// Warnings about entries that do resolve (absolute links).
        var warnings: [Finding] = []
        /// Folders that could not be read (nothing below them was looked at).
        var unreadableFolders: [String] = []
    }

    func scan(ignorePaths: [String] = []) throws(WeightSealError) -> Scan {
        var st = stat()
        guard lstat(snapshotPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw WeightSealError(.io, "cannot read cache snapshot \(snapshotPath): not a readable folder")
        }
        guard let dir = opendir(snapshotPath) else {
            throw WeightSealError(.io, "cannot read cache snapshot \(snapshotPath): \(String(cString: strerror(errno)))")
        }
        closedir(dir)
        // The one folder walker, with the cache's link chain as its link rule.
        let chain = CacheLinkChain(snapshot: self)
        var walker = Walker(ignorePaths: ignorePaths, links: .rule { chain.follow($0, relPath: $1) })
        walker.walk(fsDir: snapshotPath, relDir: "", depth: 0)
        var scan = Scan()
        scan.entries = walker.files.map {
            Entry(path: $0.path, fsPath: $0.fsPath, size: $0.size, blob: chain.blobs[$0.path], viaSymlink: $0.viaSymlink,
                  identity: $0.identity)
        }
        scan.entries.sort { pathBytesLess($0.path, $1.path) }
        scan.findings = walker.findings
        scan.warnings = chain.warnings
        scan.unreadableFolders = walker.unreadableFolders
        return scan
    }
}

/// The cache's documented link chain (snapshot → repository blobs → shared blobs), as the folder walker's link rule:
/// where each hop may land, and the blob each file passes through.
private final class CacheLinkChain {
    let snapshot: HFCacheSnapshot
    let repoBlobs: String
    let sharedBlobs: String
    /// Blob names by model-relative path.
    var blobs: [String: String] = [:]
    /// Warnings about links that do resolve (absolute targets).
    var warnings: [Finding] = []

    init(snapshot: HFCacheSnapshot) {
        self.snapshot = snapshot
        repoBlobs = joinPath(snapshot.repoFolder, "blobs")
        sharedBlobs = joinPath(snapshot.cacheDirectory, "blobs")
    }

    /// Where a hop may land.
    private enum Zone { case repository, sharedBlobs }

    func follow(_ linkPath: String, relPath: String) -> Walker.LinkOutcome {
        var current = linkPath
        var zone = Zone.repository
        var blob: String?
        var reportedAbsolute = false
        var hops = 0
        while true {
            hops += 1
            guard hops <= Limits.maxSymlinkHops else {
                return .finding(Finding(.symlinkCycle, path: relPath,
                    message: "more than \(Limits.maxSymlinkHops) symlink hops (a cycle?)"))
            }
            guard let target = readLink(current) else {
                return .finding(Finding(.unreadable, path: relPath, message: "cannot read symlink \(current)"))
            }
            let absolute = target.hasPrefix("/")
            if absolute && !reportedAbsolute {
                reportedAbsolute = true
                warnings.append(Finding(.absoluteSymlink, .warning, path: relPath,
                    message: "symlink with an absolute target \(ModelPath.quoted(target)); the Hugging Face cache writes "
                        + "relative links, and an absolute one breaks when the cache is moved or mounted elsewhere"))
            }
            // Resolve the target's folder part as the kernel does (symlinked folders and `..` in order), so that
            // containment is judged on, and the content read from, the file any program opening the link would get.
            let slash = target.lastIndex(of: "/")
            let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
            let folderPart = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? ""
            let folder = absolute ? folderPart : (folderPart.isEmpty ? parentPath(current) : parentPath(current) + "/" + folderPart)
            guard !base.isEmpty, base != ".", base != ".." else {
                return .finding(Finding(.notRegularFile, path: relPath,
                    message: "symlink to a folder, not a regular file (to \(ModelPath.quoted(target)))"))
            }
            guard let realFolder = realPath(folder) else {
                return .finding(Finding(.danglingSymlink, path: relPath,
                    message: "dangling symlink: \(ModelPath.quoted(target)) does not exist" + blobNote(blob)))
            }
            let candidate = joinPath(realFolder, base)

            let inRepo = isInside(candidate, snapshot.repoFolder)
            let inShared = isInside(candidate, sharedBlobs)
            let fromRepoBlob = parentPath(current) == repoBlobs
            let allowed: Bool
            switch zone {
            case .repository: allowed = inRepo || (inShared && fromRepoBlob)
            case .sharedBlobs: allowed = inShared
            }
            var st = stat()
            let exists = lstat(candidate, &st) == 0
            guard allowed else {
                if !exists {
                    return .finding(Finding(.danglingSymlink, path: relPath,
                        message: "dangling symlink: \(ModelPath.quoted(target)) does not exist" + blobNote(blob),
                        actual: candidate))
                }
                return .finding(Finding(.symlinkEscapes, path: relPath,
                    message: "symlink leaves the repository folder \(snapshot.repoFolder) (to \(ModelPath.quoted(target)))"
                        + blobNote(blob), actual: candidate))
            }
            if inShared && !inRepo { zone = .sharedBlobs }
            guard exists else {
                return .finding(Finding(.danglingSymlink, path: relPath,
                    message: "dangling symlink: \(ModelPath.quoted(target)) does not exist" + blobNote(blob),
                    actual: candidate))
            }
            if blob == nil && parentPath(candidate) == repoBlobs { blob = lastComponent(candidate) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                current = candidate
            case S_IFREG:
                if let blob { blobs[relPath] = blob }
                return .file(fsPath: candidate, st)
            default:
                return .finding(Finding(.notRegularFile, path: relPath,
                    message: "symlink to a \(kindName(st.st_mode)), not a regular file (to \(ModelPath.quoted(target)))"))
            }
        }
    }

    private func blobNote(_ blob: String?) -> String {
        blob.map { " (via blob blobs/\($0))" } ?? ""
    }
}

/// Hugging Face cache checks: find a snapshot, and check each blob against its content-addressed name.
public enum HFCache {
    /// Finds a repository's snapshot in a Hugging Face cache.
    ///
    /// The cache folder is, in order: `cacheDir`; `HF_HUB_CACHE`; `HUGGINGFACE_HUB_CACHE` (its older name);
    /// `HF_HOME`/hub; `XDG_CACHE_HOME`/huggingface/hub; `~/.cache/huggingface/hub` (huggingface_hub's own order;
    /// empty variables count as unset, a leading `~/` is expanded).
    /// The revision: a 40-hex-digit commit is used directly; any other name (a branch or tag, default `main`) is
    /// read from `refs/<name>`. With no `revision` and no `refs/main`, a repository with a single snapshot uses
    /// it; with several, the call fails rather than guess.
    /// - Parameters:
    ///   - repo: `ORG/NAME` (or a bare `NAME` for old un-namespaced models).
    ///   - revision: a commit hash, branch or tag; `nil` for `main`.
    ///   - cacheDir: the cache folder (the one holding `models--ORG--NAME`), overriding the environment.
    ///   - environment: the variables to read (the process environment by default; tests pass their own).
    /// - Throws: ``WeightSealError/Code/invalidArgument`` for a malformed repository id or revision, a repository or
    ///   revision not in the cache (naming the folder searched), and several snapshots with no ref (asking for
    ///   `--revision`); ``WeightSealError/Code/malformedReference`` for a ref file that does not hold a commit hash.
    public static func locate(repo: String, revision: String?, cacheDir: String?,
                              environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(WeightSealError) -> HFCacheSnapshot {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.allSatisfy(isRepoIDByte) }) else {
            throw WeightSealError(.invalidArgument,
                "invalid repository id \(ModelPath.quoted(repo)): expected ORG/NAME (letters, digits, '-', '_', '.')")
        }
        let (cache, source) = cacheDirectory(explicit: cacheDir, environment: environment)
        let folderName = "models--" + parts.joined(separator: "--")
        let repoPath = joinPath(cache, folderName)
        guard let repoFolder = realPath(repoPath), isDirectory(repoFolder) else {
            throw WeightSealError(.invalidArgument,
                "\(repo) is not in the Hugging Face cache: no folder \(repoPath) (cache folder from \(source); "
                + "use --cache-dir to name another)")
        }
        let snapshotsFolder = joinPath(repoFolder, "snapshots")
        let commit: String
        if let revision, isHex(revision, count: 40) {
            commit = revision.lowercased()
        } else {
            let ref = revision ?? "main"
            guard ModelPath.problem(ref) == nil else {
                throw WeightSealError(.invalidArgument, "invalid revision \(ModelPath.quoted(ref))")
            }
            let refFile = joinPath(joinPath(repoFolder, "refs"), ref)
            var st = stat()
            if stat(refFile, &st) == 0 {
                let bytes = try AtomicFile.read(refFile, limit: 4096, what: "cache ref")
                let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard isHex(text, count: 40) else {
                    throw WeightSealError(.malformedReference, "cache ref \(refFile) does not hold a commit hash (40 hex digits)")
                }
                commit = text.lowercased()
            } else if revision == nil {
                let snapshots = listNames(snapshotsFolder).filter { isDirectory(joinPath(snapshotsFolder, $0)) }
                guard snapshots.count == 1, let only = snapshots.first else {
                    if snapshots.isEmpty {
                        throw WeightSealError(.invalidArgument, "\(repo) has no snapshot in \(snapshotsFolder)")
                    }
                    throw WeightSealError(.invalidArgument,
                        "\(repo) has \(snapshots.count) snapshots (\(snapshots.sorted().joined(separator: ", "))) and no "
                        + "refs/main to choose one: name it with --revision")
                }
                commit = only
            } else {
                let known = listNames(joinPath(repoFolder, "refs")).sorted()
                throw WeightSealError(.invalidArgument,
                    "revision \(ModelPath.quoted(ref)) is not in the cache for \(repo): no \(refFile)"
                    + (known.isEmpty ? "" : " (refs: \(known.joined(separator: ", ")))") + "; give a commit hash with --revision")
            }
        }
        let snapshotPath = joinPath(snapshotsFolder, commit)
        guard let real = realPath(snapshotPath), isDirectory(real) else {
            throw WeightSealError(.invalidArgument, "snapshot \(commit) of \(repo) is not in the cache: no folder \(snapshotPath)")
        }
        return HFCacheSnapshot(snapshotPath: real, repoFolder: repoFolder, revision: lastComponent(real))
    }

    /// The cache folder `locate` uses, and where it came from (for messages).
    static func cacheDirectory(explicit: String?, environment: [String: String]) -> (String, String) {
        func value(_ name: String) -> String? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            return expandTilde(v, environment: environment)
        }
        if let explicit, !explicit.isEmpty { return (expandTilde(explicit, environment: environment), "--cache-dir") }
        if let v = value("HF_HUB_CACHE") { return (v, "HF_HUB_CACHE") }
        if let v = value("HUGGINGFACE_HUB_CACHE") { return (v, "HUGGINGFACE_HUB_CACHE") }
        if let v = value("HF_HOME") { return (joinPath(v, "hub"), "HF_HOME") }
        if let v = value("XDG_CACHE_HOME") { return (joinPath(joinPath(v, "huggingface"), "hub"), "XDG_CACHE_HOME") }
        let home = value("HOME") ?? NSHomeDirectory()
        return (joinPath(home, ".cache/huggingface/hub"), "the default ~/.cache/huggingface/hub")
    }

    /// Checks a snapshot against the cache's content addressing: every blob a snapshot entry links to must hash to
    /// its own name (64 hex digits: SHA-256 of the content; 40 hex digits: git blob SHA-1), and reports the
    /// cache's bookkeeping.
    ///
    /// Findings: ``Finding/Kind/blobNameMismatch`` (failure) naming the snapshot path and the blob;
    /// ``Finding/Kind/unreadable`` when a blob cannot be hashed; the walk's failures (``HFCacheSnapshot/listing(ignorePaths:)``:
    /// dangling and escaping links, cycles) unless `includingWalkFindings` is false (pass false when the verifier
    /// already walked with ``HFCacheSnapshot/listing(ignorePaths:)``); ``Finding/Kind/absoluteSymlink`` warnings (always);
    /// ``Finding/Kind/emptySnapshot`` for a snapshot without
    /// files; notes: ``Finding/Kind/blobNameUnchecked`` (copy-mode files, blob names that are no hash),
    /// ``Finding/Kind/cacheBookkeeping`` (`.no_exist/<revision>`, the repository's `.locks/`, `*.incomplete` blobs).
    /// Each blob is hashed once, however many entries link to it.
    public static func check(snapshot: HFCacheSnapshot, hasher: ChunkedHasher,
                             includingWalkFindings: Bool = true) async -> [Finding] {
        let (findings, requests, owners) = prepare(snapshot, includingWalkFindings: includingWalkFindings)
        let results = await hasher.hash(requests.map(\.request))
        return findings + compare(requests, results, owners: owners)
    }

    /// Blocking form of ``check(snapshot:hasher:includingWalkFindings:)``.
    public static func check(snapshot: HFCacheSnapshot, hasher: ChunkedHasher,
                             includingWalkFindings: Bool = true) -> [Finding] {
        let (findings, requests, owners) = prepare(snapshot, includingWalkFindings: includingWalkFindings)
        let results = hasher.hash(requests.map(\.request))
        return findings + compare(requests, results, owners: owners)
    }

    /// `weightseal verify SNAPSHOT_DIR` with no other reference: a whole report from ``check(snapshot:hasher:includingWalkFindings:)``.
    ///
    /// The reference is of kind ``Reference/Kind/huggingFaceCache``, unsigned, labelled with the snapshot path. Each
    /// resolved file is `ok` unless a failing finding names it; paths named only by findings (dangling links, ...)
    /// are `failed`. A ``Finding/Kind/unsignedReference`` note says what the check proves: that each cached file is
    /// the content the Hub named at download time, not which files the revision holds.
    public static func verify(snapshot: HFCacheSnapshot, hasher: ChunkedHasher) async -> VerificationReport {
        let started = DispatchTime.now()
        var findings = await check(snapshot: snapshot, hasher: hasher)
        let entries = (try? snapshot.scan().entries) ?? []
        findings.append(Finding(.unsignedReference, .note,
            message: "cache blob names are not a signature: they prove each file is the content the Hub named when it was "
                + "downloaded, not which files revision \(snapshot.revision) holds (add --hf-tree, --checksums or --signature)"))
        let failed = Set(findings.filter { $0.severity == .failure }.compactMap(\.path))
        var files = [VerificationReport.FileResult]()
        var seen = Set<String>()
        var hashed = Set<String>()
        var bytes: UInt64 = 0
        for e in entries {
            seen.insert(e.path)
            files.append(.init(path: e.path, status: failed.contains(e.path) ? .failed : .ok, size: e.size))
            if let blob = e.blob, isHex(blob, count: 64) || isHex(blob, count: 40), hashed.insert(e.fsPath).inserted {
                bytes &+= e.size
            }
        }
        for p in failed where !seen.contains(p) { files.append(.init(path: p, status: .failed, size: nil)) }
        // A check that checked nothing is not a verification (copy mode: no blob names to compare).
        if !entries.isEmpty, hashed.isEmpty {
            findings.append(Finding(.nothingChecked,
                message: "no file of the snapshot could be checked: it has no content-addressed blob names (copy mode); "
                    + "give a reference to check it against (--signature, --hf-tree or --checksums)"))
        }
        files.sort { pathBytesLess($0.path, $1.path) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return VerificationReport(
            reference: .init(kind: .huggingFaceCache, label: snapshot.snapshotPath, signed: false, signer: nil),
            files: files, findings: findings.sorted(by: findingOrder), bytesHashed: bytes, seconds: seconds)
    }

    struct BlobRequest {
        var request: HashRequest
        var blob: String
        var sha256: Bool
    }

    private static func prepare(_ snapshot: HFCacheSnapshot, includingWalkFindings: Bool)
        -> ([Finding], [BlobRequest], [String: [String]]) {
        var findings = [Finding]()
        let scan: HFCacheSnapshot.Scan
        do {
            scan = try snapshot.scan()
        } catch {
            return ([Finding(.unreadable, message: error.message)], [], [:])
        }
        if includingWalkFindings { findings += scan.findings }
        findings += scan.warnings
        if scan.entries.isEmpty && scan.findings.isEmpty {
            findings.append(Finding(.emptySnapshot, message: "cache snapshot \(snapshot.snapshotPath) holds no file"))
        }
        var requests = [BlobRequest]()
        var owners = [String: [String]]()   // fsPath → snapshot paths
        var copies = [String]()
        for e in scan.entries {
            guard let blob = e.blob else {
                copies.append(e.path)
                continue
            }
            let isSHA256 = isHex(blob, count: 64)
            guard isSHA256 || isHex(blob, count: 40) else {
                findings.append(Finding(.blobNameUnchecked, .note, path: e.path,
                    message: "blob blobs/\(blob) is not named by a SHA-256 or git blob SHA-1; its content cannot be checked by name"))
                continue
            }
            if owners[e.fsPath] == nil {
                requests.append(BlobRequest(
                    request: HashRequest(path: e.fsPath, size: e.size, wholeFile: isSHA256, gitBlobSHA1: !isSHA256),
                    blob: blob, sha256: isSHA256))
            }
            owners[e.fsPath, default: []].append(e.path)
        }
        if !copies.isEmpty {
            findings.append(Finding(.blobNameUnchecked, .note,
                message: "\(copies.count) file(s) are regular files in the snapshot (copy mode): no blob name to check them "
                    + "against; verify them with --signature, --checksums or --hf-tree",
                hints: Array(copies.prefix(10))))
        }
        findings += bookkeeping(snapshot)
        return (findings, requests, owners)
    }

    private static func compare(_ requests: [BlobRequest], _ results: [HashResult], owners: [String: [String]]) -> [Finding] {
        var findings = [Finding]()
        for (r, result) in zip(requests, results) {
            let paths = owners[r.request.path] ?? []
            if let error = result.error {
                for p in paths {
                    findings.append(Finding(.unreadable, path: p, message: "cannot hash blob blobs/\(r.blob): \(error.message)"))
                }
                continue
            }
            let actual = (r.sha256 ? result.sha256 : result.gitBlobSHA1)?.hexString ?? ""
            guard actual != r.blob.lowercased() else { continue }
            for p in paths {
                findings.append(Finding(.blobNameMismatch, path: p,
                    message: "content of blob blobs/\(r.blob) (\(r.request.size) bytes) does not match its name: the "
                        + (r.sha256 ? "SHA-256" : "git blob SHA-1") + " of the content differs (corrupted or replaced in the cache)",
                    expected: r.blob.lowercased(), actual: actual, hints: ["blob file: \(r.request.path)"]))
            }
        }
        return findings.sorted { pathBytesLess($0.path ?? "", $1.path ?? "") }
    }

    /// Notes on `.no_exist/<revision>`, the repository's `.locks/` folder and `*.incomplete` blobs.
    static func bookkeeping(_ snapshot: HFCacheSnapshot) -> [Finding] {
        var notes = [Finding]()
        let noExist = joinPath(joinPath(snapshot.repoFolder, ".no_exist"), snapshot.revision)
        if isDirectory(noExist) {
            let names = listNames(noExist)
            notes.append(Finding(.cacheBookkeeping, .note,
                message: ".no_exist/\(snapshot.revision) records \(names.count) file name(s) the Hub reported absent at this "
                    + "revision (cache bookkeeping, not content)"))
        }
        let locks = joinPath(joinPath(snapshot.cacheDirectory, ".locks"), lastComponent(snapshot.repoFolder))
        if isDirectory(locks) {
            let names = listNames(locks)
            if !names.isEmpty {
                notes.append(Finding(.cacheBookkeeping, .note,
                    message: "\(names.count) download lock file(s) in \(locks): a download may be running or was interrupted"))
            }
        }
        let blobs = joinPath(snapshot.repoFolder, "blobs")
        for name in listNames(blobs).sorted() where name.hasSuffix(".incomplete") {
            notes.append(Finding(.cacheBookkeeping, .note,
                message: "blobs/\(name) is an incomplete download (not part of any snapshot, not corruption)"))
        }
        return notes
    }
}

// MARK: - Path helpers (POSIX, no symlink resolution unless named)

/// `a/b/c` → `a/b`; `/a` → `/`.
func parentPath(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

func lastComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

func joinPath(_ a: String, _ b: String) -> String {
    a.hasSuffix("/") ? a + b : a + "/" + b
}

/// Whether `path` is `folder` or below it (both canonical).
func isInside(_ path: String, _ folder: String) -> Bool {
    path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
}

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// Names in a folder (not `.`/`..`); empty when it cannot be read.
func listNames(_ folder: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
}

private func isRepoFolderName(_ name: String) -> Bool {
    for prefix in ["models--", "datasets--", "spaces--"] where name.hasPrefix(prefix) && name.count > prefix.count {
        return true
    }
    return false
}

private func isRepoIDByte(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
        || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
}

private func expandTilde(_ path: String, environment: [String: String]) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + path.dropFirst()
}
