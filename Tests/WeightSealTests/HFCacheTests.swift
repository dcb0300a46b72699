import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal


private let c1 = String(repeating: "a1", count: 20)
private let c2 = String(repeating: "b2", count: 20)
private let config = Array("{\"a\":1}\n".utf8)
private let configID = "0187f3b09d66cef7911083ad49f890f5a6589589"
private let weights = pattern(20_000, seed: 9)
private let tokenizer = Array("{\"model\":{}}".utf8)

/// A Hugging Face cache `hub/models--org--tiny` built by hand (FIELD-CASES F05 A: symlink layout).
private final class Cache {
    let dir = TempDir()
    var hub: String { dir.path + "/hub" }
    var repo: String { hub + "/models--org--tiny" }
    var weightsID: String { sha256Hex(weights) }
    var tokenizerID: String { gitBlobSHA1(tokenizer) }
    var snapshotRel: String { "hub/models--org--tiny/snapshots/\(c1)" }

    init(copyMode: Bool = false, ref: Bool = true) {
        let r = "hub/models--org--tiny"
        if ref { dir.write("\(r)/refs/main", c1) }
        if copyMode {
            dir.write("\(snapshotRel)/model.safetensors", weights)
            dir.write("\(snapshotRel)/config.json", config)
            dir.write("\(snapshotRel)/sub/tokenizer.json", tokenizer)
            try? FileManager.default.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        } else {
            dir.write("\(r)/blobs/\(weightsID)", weights)
            dir.write("\(r)/blobs/\(configID)", config)
            dir.write("\(r)/blobs/\(tokenizerID)", tokenizer)
            dir.symlink("\(snapshotRel)/model.safetensors", to: "../../blobs/\(weightsID)")
            dir.symlink("\(snapshotRel)/config.json", to: "../../blobs/\(configID)")
            dir.symlink("\(snapshotRel)/sub/tokenizer.json", to: "../../../blobs/\(tokenizerID)")
        }
    }

    var snapshotPath: String { dir.path + "/" + snapshotRel }

    func snapshot() throws -> HFCacheSnapshot {
        try #require(HFCacheSnapshot.detect(path: snapshotPath))
    }

    func check() throws -> [Finding] {
        HFCache.check(snapshot: try snapshot(), hasher: ChunkedHasher(jobs: 2))
    }
}

private func failures(_ f: [Finding]) -> [Finding] { f.filter { $0.severity == .failure } }

@Suite struct HFCacheTests {
    @Test func symlinkLayoutPasses() throws {
        let cache = Cache()
        let s = try cache.snapshot()
        #expect(s.revision == c1)
        #expect(s.repoFolder == realPath(cache.repo))
        #expect(s.snapshotPath == realPath(cache.snapshotPath))
        #expect(s.repoID == "org/tiny")
        #expect(s.cacheDirectory == realPath(cache.hub))
        let files = try s.files()
        #expect(files.map(\.path) == ["config.json", "model.safetensors", "sub/tokenizer.json"])
        #expect(files.map(\.size) == [8, 20_000, UInt64(tokenizer.count)])
        #expect(files[1].fsPath == s.repoFolder + "/blobs/" + cache.weightsID)
        let findings = try cache.check()
        #expect(findings.isEmpty, "\(findings)")
        // Located by repository id, through refs/main.
        let located = try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: cache.hub)
        #expect(located == s)
    }

    @Test func ignorePathsLeaveEntriesOut() throws {
        let cache = Cache()
        cache.dir.symlink("\(cache.snapshotRel)/extra/gone.bin", to: "../../../blobs/\(String(repeating: "0", count: 64))")
        let s = try cache.snapshot()
        #expect(try s.listing().findings.map(\.path) == ["extra/gone.bin"])
        let listing = try s.listing(ignorePaths: ["extra", "sub/tokenizer.json"])
        #expect(listing.findings.isEmpty)
        #expect(listing.files.map(\.path) == ["config.json", "model.safetensors"])
        #expect(listing.files.allSatisfy { $0.viaSymlink })
        // Each entry carries the walked identity of the blob it resolves to, so a blob replaced before it is read is
        // reported as it is in a plain folder.
        #expect(listing.files.allSatisfy { $0.identity != nil && $0.identity == FileIdentity(path: $0.fsPath) })
        #expect(try s.files(ignorePaths: ["config.json"]).map(\.path) == ["model.safetensors", "sub/tokenizer.json"])
    }

    @Test func copyModePassesWithANote() throws {
        let cache = Cache(copyMode: true)
        let s = try cache.snapshot()
        #expect(try s.files().map(\.path) == ["config.json", "model.safetensors", "sub/tokenizer.json"])
        let findings = try cache.check()
        #expect(failures(findings).isEmpty)
        #expect(findings.map(\.kind) == [.blobNameUnchecked])
        #expect(findings.first?.message.contains("3 file(s)") == true)
    }

    @Test("copy mode with the cache as the only reference: nothing was checked, so nothing is verified")
    func copyModeAloneIsNotVerified() async throws {
        let cache = Cache(copyMode: true)
        let report = try await ModelVerifier(hashing: .init(jobs: 2)).verify(model: cache.snapshotPath, references: [])[0]
        #expect(report.verdict == .rejected)
        #expect(report.bytesHashed == 0)
        #expect(report.failures.map(\.kind) == [.nothingChecked])
        // With links, the same snapshot verifies by its blob names.
        let withLinks = Cache()
        let linked = try await ModelVerifier(hashing: .init(jobs: 2)).verify(model: withLinks.snapshotPath, references: [])[0]
        #expect(linked.verdict == .verified, "\(linked.findings)")
        #expect(linked.bytesHashed == UInt64(config.count + weights.count + tokenizer.count))
    }

    @Test func absoluteSymlinkToAMissingOldCacheIsDangling() throws {
        let cache = Cache()
        cache.dir.remove("\(cache.snapshotRel)/model.safetensors")
        cache.dir.symlink("\(cache.snapshotRel)/model.safetensors", to: "/nonexistent/old-cache/blobs/\(cache.weightsID)")
        let s = try cache.snapshot()
        let findings = try cache.check()
        #expect(failures(findings).map(\.kind) == [.danglingSymlink])
        #expect(failures(findings).first?.path == "model.safetensors")
        #expect(findings.contains { $0.kind == .absoluteSymlink && $0.severity == .warning && $0.path == "model.safetensors" })
        #expect(try s.files().map(\.path) == ["config.json", "sub/tokenizer.json"])
        #expect(try s.listing().findings.map(\.kind) == [.danglingSymlink])
        #expect(try s.listing().findings.first?.path == "model.safetensors")
    }

    @Test func absoluteSymlinkInsideTheRepositoryIsFollowedWithAWarning() throws {
        let cache = Cache()
        cache.dir.remove("\(cache.snapshotRel)/model.safetensors")
        cache.dir.symlink("\(cache.snapshotRel)/model.safetensors", to: cache.repo + "/blobs/\(cache.weightsID)")
        let findings = try cache.check()
        #expect(findings.map(\.kind) == [.absoluteSymlink])
        #expect(try cache.snapshot().files().count == 3)
        // The walk for the verifier lists the file and carries no finding for it (the warning is check()'s).
        let listing = try cache.snapshot().listing()
        #expect(listing.files.count == 3 && listing.findings.isEmpty)
        #expect(HFCache.check(snapshot: try cache.snapshot(), hasher: ChunkedHasher(jobs: 1), includingWalkFindings: false)
            .map(\.kind) == [.absoluteSymlink])
    }

    @Test func relativeDanglingLinkAndCycle() throws {
        let cache = Cache()
        cache.dir.remove("\(cache.snapshotRel)/config.json")
        cache.dir.symlink("\(cache.snapshotRel)/config.json", to: "../../blobs/\(String(repeating: "0", count: 40))")
        cache.dir.symlink("hub/models--org--tiny/blobs/loop-a", to: "loop-b")
        cache.dir.symlink("hub/models--org--tiny/blobs/loop-b", to: "loop-a")
        cache.dir.symlink("\(cache.snapshotRel)/loop.bin", to: "../../blobs/loop-a")
        cache.dir.symlink("\(cache.snapshotRel)/folder.bin", to: "../../blobs")
        let findings = failures(try cache.check())
        #expect(findings.map(\.kind) == [.danglingSymlink, .notRegularFile, .symlinkCycle])
        #expect(findings.map(\.path) == ["config.json", "folder.bin", "loop.bin"])
        #expect(findings[0].message.contains("does not exist"))
    }

    @Test func sharedBlobChainIsFollowedOnlyInCacheAwareMode() throws {
        let cache = Cache()
        // D: blobs/<sha256> → ../../blobs/ab/<xet> at the cache root.
        let xet = String(repeating: "ef", count: 32)
        cache.dir.remove("hub/models--org--tiny/blobs/\(cache.weightsID)")
        cache.dir.write("hub/blobs/ab/\(xet)", weights)
        cache.dir.symlink("hub/models--org--tiny/blobs/\(cache.weightsID)", to: "../../blobs/ab/\(xet)")
        let s = try cache.snapshot()
        let findings = try cache.check()
        #expect(findings.isEmpty, "\(findings)")
        let model = try #require(try s.files().first { $0.path == "model.safetensors" })
        #expect(model.fsPath == s.cacheDirectory + "/blobs/ab/\(xet)")

        // The blob is checked against ITS name (the SHA-256), not the xet name: corrupt the shared file.
        var bad = weights
        bad[100] ^= 0xFF
        cache.dir.write("hub/blobs/ab/\(xet)", bad)
        let f = failures(try cache.check())
        #expect(f.map(\.kind) == [.blobNameMismatch])
        #expect(f.first?.expected == cache.weightsID)

        // Plain folder walk (symlinks within the repository folder only): the chain leaves the root (F05).
        let plain = try ModelFolder.list(root: s.snapshotPath,
                                         options: .init(ignorePaths: [], symlinks: .withinRoot, containmentRoot: s.repoFolder))
        #expect(plain.findings.contains { $0.kind == .symlinkEscapes && $0.path == "model.safetensors" })
    }

    @Test func linksLeavingTheAllowedFoldersEscape() throws {
        let cache = Cache()
        let outside = TempDir()
        let secret = outside.write("secret", "s")
        // Snapshot link straight into the cache-level blobs/ (not through the repository's blobs/): refused.
        cache.dir.write("hub/blobs/ab/direct", "d")
        cache.dir.symlink("\(cache.snapshotRel)/direct.bin", to: "../../../blobs/ab/direct")
        // Repository blob continuing outside the cache: refused.
        cache.dir.symlink("hub/models--org--tiny/blobs/\(String(repeating: "9", count: 64))", to: secret)
        cache.dir.symlink("\(cache.snapshotRel)/out.bin", to: "../../blobs/\(String(repeating: "9", count: 64))")
        // Relative link climbing out of the cache: refused.
        cache.dir.symlink("\(cache.snapshotRel)/up.bin", to: String(repeating: "../", count: 30) + String(outside.path.dropFirst()) + "/secret")
        // A shared blob that continues elsewhere in the cache (another repository): refused.
        cache.dir.write("hub/models--other--repo/blobs/x", "x")
        cache.dir.symlink("hub/blobs/ab/hop", to: "../../models--other--repo/blobs/x")
        cache.dir.symlink("hub/models--org--tiny/blobs/\(String(repeating: "8", count: 64))", to: "../../blobs/ab/hop")
        cache.dir.symlink("\(cache.snapshotRel)/hop.bin", to: "../../blobs/\(String(repeating: "8", count: 64))")
        let findings = try cache.check()
        let escapes = findings.filter { $0.kind == .symlinkEscapes }.compactMap(\.path).sorted()
        #expect(escapes == ["direct.bin", "hop.bin", "out.bin", "up.bin"])
        #expect(failures(findings).count == 4)
        #expect(try cache.snapshot().files().count == 3)
    }

    @Test func linkTargetsAreResolvedAsTheKernelDoes() throws {
        // `inner/../../../blobs/ID` reads as repo/blobs/ID lexically, but `inner` is a symlink to a folder elsewhere,
        // so the kernel (and any program opening the link) lands outside the cache: refused, never read.
        let cache = Cache()
        let outside = TempDir()
        outside.write("p/q/r/.keep", "")
        outside.write("blobs/\(configID)", "evil")
        cache.dir.symlink("\(cache.snapshotRel)/inner", to: outside.path + "/p/q/r")
        cache.dir.symlink("\(cache.snapshotRel)/trick.bin", to: "inner/../../../blobs/\(configID)")
        let findings = try cache.check()
        #expect(findings.contains { $0.kind == .symlinkEscapes && $0.path == "trick.bin" })
        #expect(findings.contains { $0.kind == .symlinkEscapes && $0.path == "inner" })
        #expect(try cache.snapshot().files().map(\.path) == ["config.json", "model.safetensors", "sub/tokenizer.json"])
    }

    @Test func corruptedBlobsOfTheSameSizeFail() throws {
        let cache = Cache()
        // F: the 64-hex blob's bytes corrupted, same size; and the 40-hex one.
        var bad = weights
        bad[19_999] ^= 1
        cache.dir.write("hub/models--org--tiny/blobs/\(cache.weightsID)", bad)
        cache.dir.write("hub/models--org--tiny/blobs/\(configID)", Array("{\"a\":2}\n".utf8))
        // A second snapshot path linking to the same blob is reported too (the blob is hashed once).
        cache.dir.symlink("\(cache.snapshotRel)/copy/config.json", to: "../../../blobs/\(configID)")
        let f = failures(try cache.check())
        #expect(f.map(\.kind) == [.blobNameMismatch, .blobNameMismatch, .blobNameMismatch])
        #expect(f.map(\.path) == ["config.json", "copy/config.json", "model.safetensors"])
        let model = f[2]
        #expect(model.expected == cache.weightsID && model.actual == sha256Hex(bad))
        #expect(model.message.contains("blobs/\(cache.weightsID)") && model.message.contains("SHA-256"))
        #expect(f[0].expected == configID && f[0].actual == gitBlobSHA1(Array("{\"a\":2}\n".utf8)))
        #expect(f[0].message.contains("git blob SHA-1") && f[0].message.contains("blobs/\(configID)"))
    }

    @Test func bookkeepingIsReportedAsNotes() throws {
        let cache = Cache()
        cache.dir.write("hub/models--org--tiny/.no_exist/\(c1)/generation_config.json", "")
        cache.dir.write("hub/.locks/models--org--tiny/\(cache.weightsID).lock", "")
        cache.dir.write("hub/models--org--tiny/blobs/\(String(repeating: "7", count: 64)).incomplete", "partial")
        let findings = try cache.check()
        #expect(failures(findings).isEmpty)
        #expect(findings.map(\.kind) == [.cacheBookkeeping, .cacheBookkeeping, .cacheBookkeeping])
        #expect(findings.allSatisfy { $0.severity == .note })
        #expect(findings.contains { $0.message.contains(".incomplete") })
        #expect(findings.contains { $0.message.contains(".no_exist/\(c1)") })
        // A snapshot entry linking to a blob whose name is no hash: a note, not a failure.
        cache.dir.write("hub/models--org--tiny/blobs/readme-blob", "r")
        cache.dir.symlink("\(cache.snapshotRel)/README.md", to: "../../blobs/readme-blob")
        let again = try cache.check()
        #expect(failures(again).isEmpty)
        #expect(again.contains { $0.kind == .blobNameUnchecked && $0.path == "README.md" })
    }

    @Test func emptySnapshotFails() throws {
        let cache = Cache(copyMode: true)
        for f in ["model.safetensors", "config.json", "sub"] { cache.dir.remove("\(cache.snapshotRel)/\(f)") }
        #expect(failures(try cache.check()).map(\.kind) == [.emptySnapshot])
    }

    @Test func revisionsAndRefs() throws {
        // E: two snapshots and no refs → refuse to guess.
        let cache = Cache(ref: false)
        cache.dir.write("hub/models--org--tiny/snapshots/\(c2)/config.json", config)
        expectError(.invalidArgument, containing: "--revision") {
            _ = try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: cache.hub)
        }
        #expect(try HFCache.locate(repo: "org/tiny", revision: c2, cacheDir: cache.hub).revision == c2)
        #expect(try HFCache.locate(repo: "org/tiny", revision: c1.uppercased(), cacheDir: cache.hub).revision == c1)
        expectError(.invalidArgument, containing: "not in the cache") {
            _ = try HFCache.locate(repo: "org/tiny", revision: String(repeating: "c", count: 40), cacheDir: cache.hub)
        }
        expectError(.invalidArgument, containing: "revision \"main\"") {
            _ = try HFCache.locate(repo: "org/tiny", revision: "main", cacheDir: cache.hub)
        }
        // A ref (with a trailing newline) picks the snapshot; a branch name reads refs/<branch>.
        cache.dir.write("hub/models--org--tiny/refs/main", c2 + "\n")
        cache.dir.write("hub/models--org--tiny/refs/dev", c1)
        #expect(try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: cache.hub).revision == c2)
        #expect(try HFCache.locate(repo: "org/tiny", revision: "dev", cacheDir: cache.hub).revision == c1)
        cache.dir.write("hub/models--org--tiny/refs/bad", "not a commit")
        expectError(.malformedReference) { _ = try HFCache.locate(repo: "org/tiny", revision: "bad", cacheDir: cache.hub) }
        expectError(.invalidArgument) { _ = try HFCache.locate(repo: "org/tiny", revision: "../refs/main", cacheDir: cache.hub) }
        // One snapshot and no ref: that one.
        let single = Cache(ref: false)
        #expect(try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: single.hub).revision == c1)
        // Unknown repository, malformed ids.
        expectError(.invalidArgument, containing: "models--org--other") {
            _ = try HFCache.locate(repo: "org/other", revision: nil, cacheDir: cache.hub)
        }
        for bad in ["", "a/b/c", "../x", "org/..", "org name/x", "/abs"] {
            expectError(.invalidArgument) { _ = try HFCache.locate(repo: bad, revision: nil, cacheDir: cache.hub) }
        }
    }

    @Test func cacheDirectoryOrder() throws {
        let env = ["HF_HUB_CACHE": "/a/hub", "HUGGINGFACE_HUB_CACHE": "/old", "HF_HOME": "/h", "XDG_CACHE_HOME": "/x", "HOME": "/home/u"]
        #expect(HFCache.cacheDirectory(explicit: "/explicit", environment: env).0 == "/explicit")
        #expect(HFCache.cacheDirectory(explicit: nil, environment: env).0 == "/a/hub")
        var e = env
        e["HF_HUB_CACHE"] = ""
        #expect(HFCache.cacheDirectory(explicit: nil, environment: e).0 == "/old")
        e["HUGGINGFACE_HUB_CACHE"] = nil
        #expect(HFCache.cacheDirectory(explicit: nil, environment: e).0 == "/h/hub")
        e["HF_HOME"] = nil
        #expect(HFCache.cacheDirectory(explicit: nil, environment: e).0 == "/x/huggingface/hub")
        e["XDG_CACHE_HOME"] = nil
        #expect(HFCache.cacheDirectory(explicit: nil, environment: e).0 == "/home/u/.cache/huggingface/hub")
        #expect(HFCache.cacheDirectory(explicit: "~/c", environment: e).0 == "/home/u/c")

        // locate reads the environment it is given.
        let cache = Cache()
        #expect(try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: nil, environment: ["HF_HOME": cache.dir.path]).revision == c1)
        #expect(try HFCache.locate(repo: "org/tiny", revision: nil, cacheDir: nil, environment: ["HF_HUB_CACHE": cache.hub]).revision == c1)
    }

    @Test func detectRecognisesOnlySnapshots() throws {
        let cache = Cache()
        #expect(HFCacheSnapshot.detect(path: cache.snapshotPath + "/") != nil)
        #expect(HFCacheSnapshot.detect(path: cache.snapshotPath + "/sub") == nil)
        #expect(HFCacheSnapshot.detect(path: cache.repo) == nil)
        #expect(HFCacheSnapshot.detect(path: cache.snapshotPath + "/config.json") == nil)
        #expect(HFCacheSnapshot.detect(path: cache.dir.path + "/nope") == nil)
        let plain = TempDir()
        plain.write("snapshots/x/a", "a")
        #expect(HFCacheSnapshot.detect(path: plain.path + "/snapshots/x") == nil)
        // Through a symlink to the snapshot folder.
        let link = TempDir()
        link.symlink("snap", to: cache.snapshotPath)
        #expect(HFCacheSnapshot.detect(path: link.path + "/snap")?.revision == c1)
    }

    @Test func verifySnapshotAloneGivesAReport() async throws {
        let cache = Cache()
        let s = try cache.snapshot()
        let ok = await HFCache.verify(snapshot: s, hasher: ChunkedHasher(jobs: 2))
        #expect(ok.verdict == .verified)
        #expect(ok.reference.kind == .huggingFaceCache && !ok.reference.signed && ok.reference.label == s.snapshotPath)
        #expect(ok.files.map(\.path) == ["config.json", "model.safetensors", "sub/tokenizer.json"])
        #expect(ok.files.allSatisfy { $0.status == .ok })
        #expect(ok.bytesHashed == UInt64(config.count + weights.count + tokenizer.count))
        #expect(ok.findings.map(\.kind) == [.unsignedReference])

        cache.dir.write("hub/models--org--tiny/blobs/\(configID)", Array("{\"a\":2}\n".utf8))
        cache.dir.symlink("\(cache.snapshotRel)/gone.bin", to: "../../blobs/\(String(repeating: "0", count: 64))")
        let bad = await HFCache.verify(snapshot: s, hasher: ChunkedHasher(jobs: 2))
        #expect(bad.verdict == .rejected)
        #expect(bad.failures.map(\.kind) == [.blobNameMismatch, .danglingSymlink])
        #expect(bad.files.filter { $0.status == .failed }.map(\.path) == ["config.json", "gone.bin"])
    }

    @Test func bothChecksRunOnASnapshot() async throws {
        // verify --hf-tree on a cache snapshot: the verifier's check and the blob-name check.
        let cache = Cache()
        let s = try cache.snapshot()
        let tree: [[String: Any]] = [
            ["type": "file", "path": "config.json", "size": config.count, "oid": configID],
            ["type": "file", "path": "model.safetensors", "size": weights.count, "oid": String(repeating: "d", count: 40),
             "lfs": ["oid": cache.weightsID, "size": weights.count, "pointerSize": 134]],
            ["type": "file", "path": "sub/tokenizer.json", "size": tokenizer.count, "oid": cache.tokenizerID],
        ]
        let data = Array(try JSONSerialization.data(withJSONObject: tree))
        let reference = try HFTree.parse(data, label: "tree.json")
        // The library's whole flow: a snapshot path is recognised, its links followed, its blob names checked too.
        let verifier = ModelVerifier(hashing: .init(jobs: 2))
        let report = try await verifier.verify(model: s.snapshotPath, against: UnsignedReference(reference))
        #expect(report.verdict == .verified, "\(report.findings)")

        var bad = weights
        bad[0] ^= 1
        cache.dir.write("hub/models--org--tiny/blobs/\(cache.weightsID)", bad)
        let r2 = try await verifier.verify(model: s.snapshotPath, against: UnsignedReference(reference))
        #expect(r2.verdict == .rejected)
        #expect(Set(r2.failures.map(\.kind)) == [.digestMismatch, .blobNameMismatch])
        #expect(r2.failures.allSatisfy { $0.path == "model.safetensors" })
    }
}
