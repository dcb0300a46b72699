import Foundation
import Synchronization
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Verifies a model, whole flow, as the `verify` command does (DESIGN §5): the signature and its trust, one walk of
/// the folder under the reference's own rules, sizes before any byte is hashed, hashes in parallel (chunked files
/// chunk by chunk on all cores), licenses (§6), formats with ``VerificationPolicy/strict`` (§7), and a Hugging Face
/// cache snapshot's blob names. A fixed algorithm plus the caller's ``VerificationPolicy``; ``HashingSettings`` only
/// changes speed.
///
/// `Sendable` and stateless: one verifier can check many models, concurrently, each with its own verdict; no ignore
/// rule, policy or cache from one verification reaches another.
///
/// ```swift
/// let verifier = ModelVerifier()
/// let trust = SignatureTrust.publicKey(try PublicKey(pemFile: "release.pub"))
/// let report = try await verifier.verify(model: "path/to/model", signature: "path/to/model/model.sig", trust: trust)
/// if report.verdict == .verified { /* use it */ } else { /* report.findings */ }
/// ```
public struct ModelVerifier: Sendable {
    /// What the caller requires.
    public var policy: VerificationPolicy
    /// How the hashing engine runs.
    public var hashing: HashingSettings

    public init(policy: VerificationPolicy = .init(), hashing: HashingSettings = .init()) {
        self.policy = policy
        self.hashing = hashing
    }

    /// One reference to check a model against.
    public enum ModelReference: Sendable {
        /// A signature file (default: `model.sig` in the model folder) checked with `trust`.
        case signature(file: String?, trust: SignatureTrust)
        /// An unsigned published list.
        case unsigned(UnsignedReference)
    }

    /// Verifies `model` against its signature file.
    ///
    /// - Parameters:
    ///   - model: a model folder, a single file (OMS single-file signatures), or a Hugging Face cache snapshot
    ///     (`…/models--ORG--NAME/snapshots/REV`, whose links into `blobs/` are followed inside the repository folder
    ///     and whose blob names are checked too).
    ///   - signature: the signature file; `nil` means `model.sig` inside the model folder.
    ///   - trust: who the caller trusts (never taken from the signature file).
    ///   - progress: hashing progress, about ten times a second.
    /// - Returns: the report: `verified` only when the signature, every file, the licenses and (strict) the formats
    ///   check out. A signature that does not verify gives a report with only its findings: the payload is not read.
    /// - Throws: ``WeightSealError`` when it cannot run: the model or signature file is unreadable, the bundle or
    ///   manifest is malformed, an algorithm or format is unsupported.
    public func verify(model: String, signature: String? = nil, trust: SignatureTrust,
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> VerificationReport {
        try await verify(model: model, references: [.signature(file: signature, trust: trust)], progress: progress)[0]
    }

    /// Verifies `model` against an already verified reference (a signature checked once, several copies checked).
    /// - Throws: as ``verify(model:signature:trust:progress:)``.
    public func verify(model: String, verified: VerifiedReference,
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> VerificationReport {
        let target = try ModelLocation(path: model)
        var report = try await check(target, reference: verified.reference, manifest: verified.manifest,
                                     signer: verified.signer, signatureFile: verified.label, progress: progress)
        if let snapshot = target.snapshot { report.add(await cacheFindings(snapshot)) }
        return report
    }

    /// Verifies `model` against an unsigned published list (checksum file, Hub tree listing).
    /// - Throws: as ``verify(model:signature:trust:progress:)``.
    public func verify(model: String, against reference: UnsignedReference,
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> VerificationReport {
        try await verify(model: model, references: [.unsigned(reference)], progress: progress)[0]
    }

    /// Verifies `model` against each reference in turn, one report each. A Hugging Face cache snapshot's blob names
    /// are checked once, into the first report; with no reference, a snapshot is checked by its blob names alone
    /// (an unsigned report saying what that proves).
    /// - Throws: as ``verify(model:signature:trust:progress:)``; ``WeightSealError/Code/invalidArgument`` for no
    ///   reference and a model that is not a cache snapshot.
    public func verify(model: String, references: [ModelReference],
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> [VerificationReport] {
        let target = try ModelLocation(path: model)
        var reports = [VerificationReport]()
        for source in references {
            switch source {
            case .signature(let file, let trust):
                let path = file ?? target.defaultSignatureFile
                if file == nil, !FileManager.default.fileExists(atPath: path) {
                    throw WeightSealError(.io, "no signature file \(path): give the signature file's path, or verify against an "
                        + "unsigned list (a SHA256SUMS file, the Hub's tree listing) or a Hugging Face cache snapshot's blob names")
                }
                // The folder is walked while the signature is read and checked, under the rules a weightseal
                // manifest usually carries; the walk is used only if the manifest's rules are those.
                var prefetch: ListingPrefetch?
                if reports.isEmpty, !target.isFile, target.snapshot == nil {
                    var ignore = ManifestBuilder.defaultIgnorePaths + [ManifestBuilder.defaultSignatureFile]
                    if let rel = ModelPath.relative(of: path, inside: target.path),
                       !ignore.contains(where: { compareBytes($0, rel) == 0 }) { ignore.append(rel) }
                    prefetch = ListingPrefetch(root: target.path, options: .init(ignorePaths: ignore, symlinks: .reject),
                                               hashingEarly: hashing.hashesEarly && (hashing.jobs ?? 2) > 1 && activeProcessorCount() > 1)
                }
                defer { prefetch?.cancel() }
                // The early hashing starts once the signature checks out, in the algorithm the payload names.
                let signed = try await SignedReference.load(signatureFile: path, trust: trust, verified: { [prefetch] payload in
                    prefetch?.startHashing(algorithm: EarlyDigests.likelyAlgorithm(of: payload))
                })
                guard let verified = signed.verified else {
                    // A payload that fails its signature is not read further.
                    reports.append(VerificationReport(reference: signed.referenceInfo(label: path), findings: signed.findings))
                    continue
                }
                var report = try await check(target, reference: verified.reference, manifest: verified.manifest,
                                             signer: verified.signer, signatureFile: path, prefetched: prefetch,
                                             progress: progress)
                report.add(signed.findings)
                reports.append(report)
            case .unsigned(let unsigned):
                reports.append(try await check(target, reference: unsigned.reference, manifest: nil, signer: nil,
                                               signatureFile: nil, progress: progress))
            }
        }
        if let snapshot = target.snapshot {
            if reports.isEmpty {
                reports.append(await HFCache.verify(snapshot: snapshot, hasher: ChunkedHasher(jobs: hashing.jobs)))
            } else {
                reports[0].add(await cacheFindings(snapshot))
            }
        }
        guard !reports.isEmpty else {
            throw WeightSealError(.invalidArgument, "no reference to verify \(model) against: give a signature or a published list")
        }
        return reports
    }

    /// A cache snapshot's blob names, without the walk findings the verifier's own walk already reported.
    private func cacheFindings(_ snapshot: HFCacheSnapshot) async -> [Finding] {
        await HFCache.check(snapshot: snapshot, hasher: ChunkedHasher(jobs: hashing.jobs), includingWalkFindings: false)
    }

    /// The whole check of one reference: one walk whose file set serves hashing, licenses and formats alike.
    private func check(_ target: ModelLocation, reference: Reference, manifest: ModelManifest?, signer: SignerInfo?,
                       signatureFile: String?, prefetched: ListingPrefetch? = nil,
                       progress: (@Sendable (HashProgress) -> Void)?) async throws(WeightSealError) -> VerificationReport {
        var reference = reference
        // The signature file itself is never covered (OMS signatures made by other tools may sit inside).
        if let signatureFile, let rel = ModelPath.relative(of: signatureFile, inside: target.path),
           !reference.ignorePaths.contains(where: { compareBytes($0, rel) == 0 }) {
            reference.ignorePaths.append(rel)
        }
        if !reference.isSigned {
            // What `hash` leaves out by default (git files, the signature file) and the list file itself are left
            // out of the check against an unsigned list too, unless the list names them.
            let listed = Set(reference.files.map(\.path))
            var extra = (ManifestBuilder.defaultIgnorePaths + [ManifestBuilder.defaultSignatureFile]).filter { !listed.contains($0) }
            if let rel = ModelPath.relative(of: reference.label, inside: target.path), !listed.contains(rel) { extra.append(rel) }
            for p in extra where !reference.ignorePaths.contains(p) { reference.ignorePaths.append(p) }
        }
        var (report, listing) = try await check(root: target.path, reference: reference, signer: signer?.signer,
                                                cacheRepository: target.snapshot?.repoFolder, prefetched: prefetched,
                                                progress: progress)
        if let signer { report.reference = signer.referenceInfo(label: report.reference.label, kind: reference.kind) }
        // A file that failed its size or digest check is not parsed: its bytes are not the signed ones (and may be
        // hostile), so its license and format checks would only echo the failure.
        let failed = report.files.filter { $0.status == .failed || $0.status == .unreadable }.map(\.path)
        if !failed.isEmpty {
            let keys = Set(failed.map(PathKey.init))
            listing.files.removeAll { keys.contains(PathKey($0.path)) }
        }
        report.add(extraChecks(root: target.path, listing: listing, reference: reference, manifest: manifest, skipped: Set(failed)))
        report.license = manifest?.license?.expression
        return report
    }

    /// License checks (DESIGN §6) and, with ``VerificationPolicy/strict``, format checks (§7) of the walked files.
    private func extraChecks(root: String, listing: FolderListing, reference: Reference, manifest: ModelManifest?,
                             skipped: Set<String>) -> [Finding] {
        if reference.files.count == 1, reference.files[0].path == "." { return [] }
        var findings: [Finding]
        let scan = LicenseScanner.scan(files: listing.files)
        // The signed paths are looked up only for a license link's target.
        let hasLink = scan.declarations.contains { $0.field == "license_link" || $0.field == "general.license.link" }
        if let manifest {
            // Declarations of files that failed are not compared: those files were not re-read.
            findings = LicenseCheck.check(signed: manifest.license, scan: scan,
                                          signedPaths: hasLink ? Set(manifest.files.map(\.path)) : [], policy: policy.licensePolicy,
                                          strict: policy.strict, unread: skipped)
        } else {
            findings = LicenseCheck.check(signed: nil, scan: scan,
                                          signedPaths: hasLink ? Set(reference.files.map(\.path)) : [], policy: policy.licensePolicy,
                                          strict: policy.strict)
        }
        if policy.strict {
            // Format problems are read from the files only, and fail only because strict asked for them.
            let report = FormatInspector.inspect(root: root, paths: listing.files.map(\.path), expected: reference.files)
            findings += (report.files.flatMap(\.findings) + report.setFindings).map { f in
                var f = f
                if f.severity == .warning { f.severity = .failure }
                return f
            }
        }
        return findings
    }

    /// Checks the files at `root` against `reference` (sizes, hashes, missing and unexpected files); no license,
    /// format or cache check. For tests and callers that built a ``Reference`` themselves.
    package func verify(root: String, reference: Reference, signer: String? = nil, cacheRepository: String? = nil,
                        progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> VerificationReport {
        try await check(root: root, reference: reference, signer: signer, cacheRepository: cacheRepository, progress: progress).report
    }

    /// Checks `root` against `reference` and returns the walk it made, so that every later check sees the same files.
    /// - Throws: ``WeightSealError/Code/io`` when `root` is not a readable folder.
    private func check(root: String, reference: Reference, signer: String?, cacheRepository: String?,
                       prefetched: ListingPrefetch? = nil,
                       progress: (@Sendable (HashProgress) -> Void)?) async throws(WeightSealError) -> (report: VerificationReport, listing: FolderListing) {
        let started = DispatchTime.now()
        let symlinks: Reference.SymlinkRule = cacheRepository != nil ? .withinRoot : reference.symlinks
        let listing: FolderListing
        var prefetchUsed = false
        var st = stat()
        if lstat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            // A single-file model (OMS names its one resource "."): the path itself is the file.
            guard reference.files.count == 1, reference.files[0].path == "." else {
                throw WeightSealError(.io, "\(root) is a file, but \(reference.label) describes a folder")
            }
            listing = FolderListing(files: [WalkedFile(path: ".", fsPath: root, size: UInt64(st.st_size), viaSymlink: false,
                                                       identity: FileIdentity(st))], findings: [])
        } else if cacheRepository != nil, let snapshot = HFCacheSnapshot.detect(path: root) {
            // The cache's documented link chain (snapshot -> blobs -> shared blobs) is followed only here.
            listing = try snapshot.listing(ignorePaths: reference.ignorePaths)
        } else {
            let options = ModelFolder.Options(ignorePaths: reference.ignorePaths, symlinks: symlinks, containmentRoot: cacheRepository)
            if let prefetched, prefetched.matches(root: root, options: options) {
                listing = try await prefetched.listing()
                prefetchUsed = true
            } else {
                prefetched?.cancel()
                listing = try ModelFolder.list(root: root, options: options)
            }
        }

        var findings = [Finding]()
        // Each file's result as it is decided; a path decided twice keeps its last result (see `files` below).
        var status = [VerificationReport.FileResult]()
        // Positions in `listing.files`: a 200,000-file run keeps one copy of each walked entry, not three.
        var match = PathMatch(expected: reference.files, walked: listing.files)
        status.reserveCapacity(max(reference.files.count, listing.files.count))
        // Only the walk's findings (a few) are looked up by name.
        let expectedPaths = listing.findings.isEmpty ? [] : Set(reference.files.map { key(of: $0.path) })

        // Symlinks, fifos, devices: always failures. --ignore-unsigned-files covers unlisted regular files only,
        // so no caller flag loosens the signed symlink rule.
        var accounted = Set<PathKey>()
        let unreadableFolders = Set(listing.unreadableFolders)
        for f in listing.findings {
            findings.append(f)
            guard let p = f.path else { continue }
            // A folder that cannot be read is not a file: the files the reference lists below it are reported next.
            if f.kind == .unreadable && unreadableFolders.contains(p) && !expectedPaths.contains(key(of: p)) { continue }
            accounted.insert(key(of: p))
            let expected = expectedPaths.contains(key(of: p))
            status.append(.init(path: p, status: expected ? (f.kind == .unreadable ? .unreadable : .failed) : .unexpected, size: nil))
        }
        // Files below a folder that cannot be read were not looked at: never "missing".
        if !unreadableFolders.isEmpty {
            for e in reference.files where !accounted.contains(key(of: e.path)) {
                guard let folder = listing.unreadableFolder(above: e.path) else { continue }
                accounted.insert(key(of: e.path))
                findings.append(Finding(.unreadable, path: e.path,
                    message: "not looked at: the folder \(ModelPath.quoted(folder)) cannot be read"))
                status.append(.init(path: e.path, status: .unreadable, size: nil))
            }
        }

        // Small files the walk's thread hashed while the payload was parsed: used where the reference asks for their
        // whole-file digest in that algorithm (nothing else), with their identity then as at the walk.
        let early = prefetchUsed ? await prefetched?.earlyDigests() : nil
        var isEarly = [Bool]()
        // Sizes first: a truncated shard fails without hashing.
        var requests = [HashRequest]()
        var pending = [(expected: Int, walked: Int)]()
        var missing = [ExpectedFile]()
        requests.reserveCapacity(reference.files.count)
        pending.reserveCapacity(reference.files.count)
        for (ei, e) in reference.files.enumerated() {
            if !accounted.isEmpty, accounted.contains(key(of: e.path)) { continue }
            let wi = match.walkedIndex[ei]
            guard wi >= 0 else {
                missing.append(e)
                continue
            }
            let w = listing.files[wi]
            if let size = e.size, size != w.size {
                findings.append(sizeFinding(e, actual: w))
                status.append(.init(path: e.path, status: .failed, size: w.size))
                continue
            }
            switch e.check {
            case .sha256, .blake3:
                let algorithm = e.check.algorithm ?? .sha256
                if let early, early.has(wi, algorithm) {
                    if isEarly.isEmpty { isEarly = Array(repeating: false, count: reference.files.count) }
                    isEarly[pending.count] = true
                } else {
                    requests.append(HashRequest(path: w.fsPath, size: w.size, algorithm: algorithm, wholeFile: true))
                }
            case .ranges(let ranges, _):
                requests.append(HashRequest(path: w.fsPath, size: w.size, algorithm: e.check.algorithm ?? .sha256,
                                            wholeFile: false, ranges: ranges.map { $0.start..<$0.end }))
            case .gitBlobSHA1:
                requests.append(HashRequest(path: w.fsPath, size: w.size, wholeFile: false, gitBlobSHA1: true))
            }
            pending.append((ei, wi))
        }
        match.walkedIndex = []

        // Two workers per core by default: while one waits for a cold disk the other hashes, so reading and hashing
        // overlap (docs/performance.md, cold reads); warm, the extra workers cost nothing measurable.
        let jobs = hashing.jobs ?? 2 * activeProcessorCount()
        // Bytes the engine really read (its last progress report), not the sizes asked for: a file truncated while
        // it is read stops counting where its reads stopped.
        let read = ReadBytes()
        var results = await ChunkedHasher(jobs: jobs).hash(requests) { p in
            read.bytes.withLock { $0 = p.bytesDone }
            progress?(p)
        }
        // Per-file working lists are let go as soon as they are done with: they scale with the file count.
        requests = []
        var earlyBytes: UInt64 = 0
        if let early, !isEarly.isEmpty {
            // Back in `pending`'s order.
            var merged = [HashResult]()
            merged.reserveCapacity(pending.count)
            var next = 0
            for (k, (_, wi)) in pending.enumerated() {
                if isEarly[k] {
                    var r = HashResult()
                    let digest = early.digest(at: wi, early.algorithm)
                    if early.algorithm == .sha256 { r.sha256 = digest } else { r.blake3 = digest }
                    r.identity = listing.files[wi].identity
                    earlyBytes += listing.files[wi].size
                    merged.append(r)
                } else {
                    merged.append(results[next])
                    next += 1
                }
            }
            results = merged
            isEarly = []
        }
        let bytesHashed = read.bytes.withLock { $0 } + earlyBytes

        // Digests of every expected file, to name swapped or misrouted content: made at the first mismatch only.
        var owners: [[UInt8]: String]?
        func expectedOwner(of digest: [UInt8]) -> String? {
            if owners == nil {
                var map = [[UInt8]: String]()
                for e in reference.files {
                    switch e.check {
                    case .sha256(let d), .blake3(let d): map[d] = e.path
                    case .ranges(let r, let whole):
                        if let first = r.first { map[first.digest] = e.path }
                        if let whole { map[whole] = e.path }
                    case .gitBlobSHA1(let d): map[d] = e.path
                    }
                }
                owners = map
            }
            return owners?[digest]
        }

        // The bytes hashed must be the ones at the path when the verdict is given: a file replaced, written or
        // removed meanwhile is not vouched for, whatever its digest said.
        let hashed = pending.map(\.walked)
        let changes = FileIdentity.changes(results: results) { [listing] k in listing.files[hashed[k]] }
        for (k, ((ei, wi), result)) in zip(pending, results).enumerated() {
            let e = reference.files[ei]
            let w = listing.files[wi]
            if let error = result.error {
                if error.code == .fileChanged {
                    findings.append(Finding(.changedDuringCheck, path: e.path, message: error.message))
                    status.append(.init(path: e.path, status: .failed, size: w.size))
                } else {
                    findings.append(Finding(.unreadable, path: e.path, message: error.message))
                    status.append(.init(path: e.path, status: .unreadable, size: w.size))
                }
                continue
            }
            if let change = changes[k] {
                findings.append(Finding(.changedDuringCheck, path: e.path,
                    message: "changed while it was checked: \(change); check it again once nothing writes to it"))
                status.append(.init(path: e.path, status: .failed, size: w.size))
                continue
            }
            var finding: Finding?
            switch e.check {
            case .sha256(let expected), .blake3(let expected):
                let algorithm = e.check.algorithm ?? .sha256
                if let actual = result.whole(algorithm), actual != expected {
                    finding = Finding(.digestMismatch, path: e.path, message: "\(algorithm.displayName) differs" + (e.size == nil ? " (size \(w.size) bytes)" : " (size matches)"),
                                      expected: expected.hexString, actual: actual.hexString)
                    if let owner = expectedOwner(of: actual), owner != e.path {
                        finding?.hints.append("content equals the expected content of \(ModelPath.quoted(owner)) (swapped or misrouted)")
                    }
                }
            case .ranges(let ranges, _):
                let bad = zip(ranges, result.ranges).enumerated().filter { $0.element.0.digest != $0.element.1 }.map(\.offset)
                if let first = bad.first {
                    let r = ranges[first]
                    // People count chunks from 1 and read inclusive byte ranges; `chunks` in JSON stays zero-based.
                    let bytes = "bytes \(grouped(r.start))–\(grouped(r.end - 1))"
                    let which = bad.count == 1
                        ? "chunk \(first + 1) of \(ranges.count) (\(bytes)) differs"
                        : "\(bad.count) of \(ranges.count) chunks differ (first: chunk \(first + 1), \(bytes))"
                    finding = Finding(.digestMismatch, path: e.path, message: "\(which); size matches",
                                      expected: r.digest.hexString, actual: result.ranges[first].hexString, chunks: bad)
                    if let actualFirst = result.ranges.first, let owner = expectedOwner(of: actualFirst), owner != e.path {
                        finding?.hints.append("content equals the expected content of \(ModelPath.quoted(owner)) (swapped or misrouted)")
                    }
                }
            case .gitBlobSHA1(let expected):
                if let actual = result.gitBlobSHA1, actual != expected {
                    finding = Finding(.digestMismatch, path: e.path, message: "git blob SHA-1 differs (size matches)",
                                      expected: expected.hexString, actual: actual.hexString)
                }
            }
            if var f = finding {
                f.hints += PlaceholderHints.hints(fsPath: w.fsPath, size: w.size, expected: e)
                findings.append(f)
                status.append(.init(path: e.path, status: .failed, size: w.size))
            } else {
                status.append(.init(path: e.path, status: .ok, size: w.size))
            }
        }

        results = []
        pending = []

        // Missing and unexpected, with Unicode and case hints.
        let unexpected = listing.files.indices.filter { !match.isExpected[$0] }.map { listing.files[$0] }
        match.isExpected = []
        var looseUnexpected = [String: [String]]()
        for u in unexpected { looseUnexpected[looseKey(u.path), default: []].append(u.path) }
        var looseMissing = [String: [String]]()
        for m in missing { looseMissing[looseKey(m.path), default: []].append(m.path) }
        for m in missing {
            var f = Finding(.missing, path: m.path, message: "file is missing", expected: m.size.map { "\($0) bytes" })
            if let twins = looseUnexpected[looseKey(m.path)] {
                f.hints.append("present under a name that differs only by Unicode normalization or case: "
                               + twins.map(ModelPath.quoted).joined(separator: ", "))
            }
            findings.append(f)
            status.append(.init(path: m.path, status: .missing, size: nil))
        }
        for u in unexpected {
            var f = Finding(.unexpected, policy.ignoreUnsignedFiles ? .note : .failure, path: u.path,
                            message: reference.isSigned ? "file is not covered by the signature" : "file is not in the reference list",
                            actual: "\(u.size) bytes")
            if let twins = looseMissing[looseKey(u.path)] {
                f.hints.append("differs only by Unicode normalization or case from the expected "
                               + twins.map(ModelPath.quoted).joined(separator: ", "))
            }
            if policy.ignoreUnsignedFiles { f.hints.append("allowed by --ignore-unsigned-files") }
            findings.append(f)
            status.append(.init(path: u.path, status: .unexpected, size: u.size))
        }

        // Files the signer chose to leave out (beyond the usual git and signature files) are worth a note:
        // they are present but nothing vouches for them (a model card that carries the license, say).
        var routine: Set<String> = Set(ManifestBuilder.defaultIgnorePaths + [ManifestBuilder.defaultSignatureFile])
        if let listFile = ModelPath.relative(of: reference.label, inside: root) { routine.insert(listFile) }
        for ignored in reference.ignorePaths where !routine.contains(ignored) && ModelPath.problem(ignored) == nil {
            var st2 = stat()
            if lstat(root + "/" + ignored, &st2) == 0 {
                findings.append(Finding(.outsideSignature, .note, path: ignored,
                    message: "present but outside the \(reference.isSigned ? "signature" : "reference"): the signer excluded it, so nothing vouches for its content"))
            }
        }
        if !reference.isSigned {
            findings.append(Finding(.unsignedReference, .note, message: "\(reference.label) is not signed: it proves only that the files match that list"))
        }
        // By path bytes; of results for one path, the last decided (positions break ties). Results decided in the
        // reference's order are often in that order already.
        var files = [VerificationReport.FileResult]()
        if inPathOrder(status, strictly: true, by: \.path) {
            swap(&files, &status)
        } else {
            let order = status.indices.sorted { a, b in
                let c = compareBytes(status[a].path, status[b].path)
                return c != 0 ? c < 0 : a < b
            }
            files.reserveCapacity(order.count)
            for (n, i) in order.enumerated() {
                if n + 1 < order.count, compareBytes(status[i].path, status[order[n + 1]].path) == 0 { continue }
                files.append(status[i])
            }
        }
        status = []
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let report = VerificationReport(
            reference: .init(kind: reference.kind, label: reference.label, signed: reference.isSigned, signer: signer),
            files: files, findings: findings.sorted(by: findingOrder), bytesHashed: bytesHashed, seconds: seconds)
        return (report, listing)
    }

    private func sizeFinding(_ e: ExpectedFile, actual w: WalkedFile) -> Finding {
        let expected = e.size ?? 0
        var f: Finding
        if w.size == 0 {
            f = Finding(.sizeMismatch, path: e.path, message: "empty file: 0 bytes, expected \(expected)")
        } else if expected == 0 {
            f = Finding(.sizeMismatch, path: e.path, message: "was signed empty, now \(w.size) bytes")
        } else if w.size < expected {
            f = Finding(.sizeMismatch, path: e.path, message: "truncated: \(w.size) of \(expected) bytes (\(expected - w.size) missing)")
        } else {
            f = Finding(.sizeMismatch, path: e.path, message: "longer than expected by \(w.size - expected) bytes")
        }
        f.expected = "\(expected) bytes"
        f.actual = "\(w.size) bytes"
        f.hints = PlaceholderHints.hints(fsPath: w.fsPath, size: w.size, expected: e)
        return f
    }
}

/// The engine's count of bytes read, kept from its progress reports.
private final class ReadBytes: Sendable {
    let bytes = Mutex<UInt64>(0)
}

/// `67108864` → `67,108,864`: byte offsets as people read them.
func grouped(_ n: UInt64) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

/// Byte-exact key of a path (Swift's String equality would equate NFC and NFD).
private func key(of path: String) -> PathKey { PathKey(path) }

/// Which walked file each expected file is, and which walked files are expected: by merging the two lists in
/// path-byte order (the walk's order, and that of every manifest weightseal writes), or through a map of names when
/// the reference is in another order or names a path twice.
struct PathMatch {
    /// Per expected file: its position in the walked files, or -1.
    var walkedIndex: [Int]
    /// Per walked file: whether an expected file names it.
    var isExpected: [Bool]

    init(expected: [ExpectedFile], walked: [WalkedFile]) {
        walkedIndex = Array(repeating: -1, count: expected.count)
        isExpected = Array(repeating: false, count: walked.count)
        if inPathOrder(expected, strictly: true, by: \.path), inPathOrder(walked, strictly: true, by: \.path) {
            var w = 0
            for (e, file) in expected.enumerated() {
                while w < walked.count, compareBytes(walked[w].path, file.path) < 0 { w += 1 }
                if w < walked.count, compareBytes(walked[w].path, file.path) == 0 {
                    walkedIndex[e] = w
                    isExpected[w] = true
                }
            }
            return
        }
        var positions = [PathKey: Int]()
        positions.reserveCapacity(walked.count)
        for (i, f) in walked.enumerated() { positions[PathKey(f.path)] = i }
        for (e, file) in expected.enumerated() {
            guard let w = positions[PathKey(file.path)] else { continue }
            walkedIndex[e] = w
            isExpected[w] = true
        }
    }
}


/// Failures first, then by path.
func findingOrder(_ a: Finding, _ b: Finding) -> Bool {
    if a.severity != b.severity { return a.severity > b.severity }
    return pathBytesLess(a.path ?? "", b.path ?? "")
}

/// What a `model` argument names: a folder, a single file, or a Hugging Face cache snapshot.
public struct ModelLocation: Sendable, Hashable {
    /// The folder (a snapshot's canonical path) or file to check.
    public let path: String
    /// Set when `path` is a cache snapshot: its links are followed inside the repository folder, its blob names checked.
    public let snapshot: HFCacheSnapshot?
    /// Whether `path` is a single file.
    public let isFile: Bool

    /// The model at `path`; a folder inside a Hugging Face cache (`…/models--ORG--NAME/snapshots/REV`) is recognised.
    /// - Throws: ``WeightSealError/Code/io`` when nothing is at `path`.
    public init(path model: String) throws(WeightSealError) {
        var st = stat()
        guard stat(model, &st) == 0 else {
            throw WeightSealError(.io, "cannot read model folder \(model): no such file or folder")
        }
        isFile = (st.st_mode & S_IFMT) == S_IFREG
        snapshot = isFile ? nil : HFCacheSnapshot.detect(path: model)
        path = snapshot?.snapshotPath ?? model
    }

    /// The snapshot of `repo` (`ORG/NAME`) in a Hugging Face cache: `revision` (a commit or a ref; default
    /// `refs/main`) under `cacheDir` (default: `HF_HUB_CACHE`, `HF_HOME/hub`, `~/.cache/huggingface/hub`).
    /// - Throws: ``WeightSealError/Code/io`` naming what is missing (cache, repository, ref, snapshot).
    public init(huggingFaceCache repo: String, revision: String? = nil, cacheDir: String? = nil) throws(WeightSealError) {
        try self.init(path: try HFCache.locate(repo: repo, revision: revision, cacheDir: cacheDir).snapshotPath)
    }

    /// `model.sig` inside the folder (beside a single file).
    public var defaultSignatureFile: String {
        let folder = isFile ? (path as NSString).deletingLastPathComponent : path
        return ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(ManifestBuilder.defaultSignatureFile)
    }
}
