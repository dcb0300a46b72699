import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a model folder against a ``Reference`` (DESIGN §5): a fixed algorithm plus the caller's
/// ``VerificationPolicy``. It keeps no state between calls, so one verifier can check many models.
///
/// Order: the reference was already parsed and path-checked (§5.1) and its signature verified (§5.2) by the
/// caller (see ``SignedReference``). Then the folder is walked under the reference's own rules (§5.3, §5.4), every
/// size is compared before any byte is hashed (§5.5), and the rest is hashed in parallel: chunked files chunk by
/// chunk on all cores.
public struct ModelVerifier: Sendable {
    public var policy: VerificationPolicy

    public init(policy: VerificationPolicy = .init()) {
        self.policy = policy
    }

    /// Verifies `root` against `reference`.
    /// - Parameters:
    ///   - root: the model folder.
    ///   - reference: what it must hold.
    ///   - signer: who signed the reference, for the report.
    ///   - progress: hashing progress, called from worker threads.
    /// - Returns: the report; its verdict is `verified` only with no failing finding.
    /// - Throws: ``WeightSealError/Code/io`` when `root` is not a readable folder.
    public func verify(root: String, reference: Reference, signer: String? = nil,
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> VerificationReport {
        let started = DispatchTime.now()
        let symlinks: Reference.SymlinkRule = policy.cacheRepositoryFolder != nil ? .withinRoot : reference.symlinks
        let listing: FolderListing
        var st = stat()
        if lstat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            // A single-file model (OMS names its one resource "."): the path itself is the file.
            guard reference.files.count == 1, reference.files[0].path == "." else {
                throw WeightSealError(.io, "\(root) is a file, but \(reference.label) describes a folder")
            }
            listing = FolderListing(files: [WalkedFile(path: ".", fsPath: root, size: UInt64(st.st_size), viaSymlink: false)], findings: [])
        } else if policy.cacheRepositoryFolder != nil, let snapshot = HFCacheSnapshot.detect(path: root) {
            // The cache's documented link chain (snapshot -> blobs -> shared blobs) is followed only here.
            listing = try snapshot.listing(ignorePaths: reference.ignorePaths)
        } else {
            listing = try ModelFolder.list(root: root, options: .init(
                ignorePaths: reference.ignorePaths, symlinks: symlinks, containmentRoot: policy.cacheRepositoryFolder))
        }

        var findings = [Finding]()
        var status = [String: VerificationReport.FileResult]()
        let expectedByPath = Dictionary(reference.files.map { (key(of: $0.path), $0) }, uniquingKeysWith: { a, _ in a })
        var walked = [[UInt8]: WalkedFile]()
        for f in listing.files { walked[key(of: f.path)] = f }

        // Symlinks, fifos, devices: always failures. --ignore-unsigned-files covers unlisted regular files only,
        // so no caller flag loosens the signed symlink rule.
        var accounted = Set<[UInt8]>()
        for f in listing.findings {
            findings.append(f)
            guard let p = f.path else { continue }
            accounted.insert(key(of: p))
            status[p] = .init(path: p, status: expectedByPath[key(of: p)] != nil ? .failed : .unexpected, size: nil)
        }

        // Sizes first: a truncated shard fails without hashing.
        var requests = [HashRequest]()
        var pending = [(ExpectedFile, WalkedFile)]()
        var missing = [ExpectedFile]()
        for e in reference.files {
            let k = key(of: e.path)
            if accounted.contains(k) { continue }
            guard let w = walked[k] else {
                missing.append(e)
                continue
            }
            if let size = e.size, size != w.size {
                findings.append(sizeFinding(e, actual: w))
                status[e.path] = .init(path: e.path, status: .failed, size: w.size)
                continue
            }
            switch e.check {
            case .sha256:
                requests.append(HashRequest(path: w.fsPath, size: w.size, wholeFile: true))
            case .ranges(let ranges, _):
                requests.append(HashRequest(path: w.fsPath, size: w.size, wholeFile: false,
                                            ranges: ranges.map { $0.start..<$0.end }))
            case .gitBlobSHA1:
                requests.append(HashRequest(path: w.fsPath, size: w.size, wholeFile: false, gitBlobSHA1: true))
            }
            pending.append((e, w))
        }

        let results = await ChunkedHasher(jobs: policy.jobs).hash(requests, progress: progress)
        let bytesHashed = requests.reduce(UInt64(0)) { sum, r in
            sum + (r.wholeFile || r.gitBlobSHA1 ? r.size : r.ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) })
        }

        // Digests of every expected file, to name swapped or misrouted content.
        var expectedOwner = [[UInt8]: String]()
        for e in reference.files {
            switch e.check {
            case .sha256(let d): expectedOwner[d] = e.path
            case .ranges(let r, let whole):
                if let first = r.first { expectedOwner[first.sha256] = e.path }
                if let whole { expectedOwner[whole] = e.path }
            case .gitBlobSHA1(let d): expectedOwner[d] = e.path
            }
        }

        for ((e, w), result) in zip(pending, results) {
            if let error = result.error {
                findings.append(Finding(.unreadable, path: e.path, message: error.message))
                status[e.path] = .init(path: e.path, status: .failed, size: w.size)
                continue
            }
            var finding: Finding?
            switch e.check {
            case .sha256(let expected):
                if let actual = result.sha256, actual != expected {
                    finding = Finding(.digestMismatch, path: e.path, message: "SHA-256 differs" + (e.size == nil ? " (size \(w.size) bytes)" : " (size matches)"),
                                      expected: expected.hexString, actual: actual.hexString)
                    if let owner = expectedOwner[actual], owner != e.path {
                        finding?.hints.append("content equals the expected content of \(ModelPath.quoted(owner)) (swapped or misrouted)")
                    }
                }
            case .ranges(let ranges, _):
                let bad = zip(ranges, result.ranges).enumerated().filter { $0.element.0.sha256 != $0.element.1 }.map(\.offset)
                if let first = bad.first {
                    let r = ranges[first]
                    let which = bad.count == 1 ? "chunk \(first)" : "\(bad.count) of \(ranges.count) chunks (first: \(first))"
                    finding = Finding(.digestMismatch, path: e.path,
                                      message: "\(which) differ\(bad.count == 1 ? "s" : ""): bytes \(r.start)..<\(r.end) of \(ranges.count) chunks; size matches",
                                      expected: r.sha256.hexString, actual: result.ranges[first].hexString, chunks: bad)
                    if let actualFirst = result.ranges.first, let owner = expectedOwner[actualFirst], owner != e.path {
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
                status[e.path] = .init(path: e.path, status: .failed, size: w.size)
            } else {
                status[e.path] = .init(path: e.path, status: .ok, size: w.size)
            }
        }

        // Missing and unexpected, with Unicode and case hints.
        let expectedKeys = Set(reference.files.map { key(of: $0.path) })
        let unexpected = listing.files.filter { !expectedKeys.contains(key(of: $0.path)) }
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
            status[m.path] = .init(path: m.path, status: .missing, size: nil)
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
            status[u.path] = .init(path: u.path, status: .unexpected, size: u.size)
        }

        // Files the signer chose to leave out (beyond the usual git and signature files) are worth a note:
        // they are present but nothing vouches for them (a model card that carries the license, say).
        let routine: Set<String> = Set(ManifestBuilder.defaultIgnorePaths + [ManifestBuilder.defaultSignatureFile])
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
        let files = status.values.sorted { pathBytesLess($0.path, $1.path) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return VerificationReport(
            reference: .init(kind: reference.kind, label: reference.label, signed: reference.isSigned, signer: signer),
            files: files, findings: findings.sorted(by: findingOrder), bytesHashed: bytesHashed, seconds: seconds)
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

/// Byte-exact key of a path (Swift's String equality would equate NFC and NFD).
private func key(of path: String) -> [UInt8] { Array(path.utf8) }

/// Key under which NFC/NFD and case variants meet.
private func looseKey(_ path: String) -> String { path.precomposedStringWithCanonicalMapping.lowercased() }

/// Failures first, then by path.
func findingOrder(_ a: Finding, _ b: Finding) -> Bool {
    if a.severity != b.severity { return a.severity > b.severity }
    return pathBytesLess(a.path ?? "", b.path ?? "")
}
