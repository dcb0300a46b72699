import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

@Suite("Manifest v1")
struct ManifestTests {
    @Test("Merkle root of one file follows the leaf encoding")
    func singleFileRoot() async throws {
        let dir = TempDir()
        dir.write("a", "hello\n")
        let (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        #expect(m.files.count == 1)
        #expect(m.files[0].sha256 == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(m.root == "7ba0166c98a69bc619f910f98886312eaac3896010abf03c2192d009584b160f")
    }

    @Test("Merkle root of two files in path-byte order")
    func twoFileRoot() async throws {
        let dir = TempDir()
        dir.write("b/c", "world\n")
        dir.write("a", "hello\n")
        let (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        #expect(m.files.map(\.path) == ["a", "b/c"])
        #expect(m.root == "d31b8ec60c457a22ef244565b1d1e1f9e75014c46e3f78a7e5638e400d0717bf")
    }

    @Test("The root is over path-byte order whatever order the entries come in; leaves hashed in parts agree")
    func rootIgnoresEntryOrder() throws {
        let one = ModelManifest.FileEntry(path: "a", size: 6, sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        let two = ModelManifest.FileEntry(path: "b/c", size: 6, sha256: "e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317")
        // The two-file value above (`twoFileRoot`), in both orders.
        #expect(ModelManifest.computeRoot([one, two]) == "d31b8ec60c457a22ef244565b1d1e1f9e75014c46e3f78a7e5638e400d0717bf")
        #expect(ModelManifest.computeRoot([two, one]) == "d31b8ec60c457a22ef244565b1d1e1f9e75014c46e3f78a7e5638e400d0717bf")
        // Past the size where leaves are hashed on several threads: equal to the tree built leaf by leaf.
        let many = (0..<5000).map { i in
            ModelManifest.FileEntry(path: String(format: "d/%05d", i), size: UInt64(i),
                                    sha256: SHA256.hash(data: Array(String(i).utf8)).hexString)
        }
        let expected = MerkleTree.rootHash(leaves: many.map(ModelManifest.leafData)).hexString
        #expect(ModelManifest.computeRoot(many) == expected)
        #expect(ModelManifest.computeRoot(many.reversed()) == expected)
    }

    @Test("The Statement's long lists, written directly, are byte for byte what JSONEncoder writes")
    func statementListsMatchJSONEncoder() throws {
        var every = ""
        for c in 0..<0x80 { every.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
        let names = ["a", "d000/f000000", every, "caf\u{E9}/cafe\u{301}", "\u{2028}\u{FEFF}😀", "quote\"back\\slash/", "model.sig"]
        for algorithm in [HashAlgorithm.sha256, .blake3] {
            let files = names.enumerated().map { i, name in
                ModelManifest.FileEntry(path: name, size: i == 2 ? UInt64.max : UInt64(i * 1000), digest: String(repeating: "ab", count: 32),
                                        algorithm: algorithm, chunks: i % 2 == 0 ? nil : ["00", "ff", every])
            }
            let manifest = ModelManifest(
                model: .init(name: "files \"subject\" \u{1}files"),
                serialization: .init(hashAlgorithm: algorithm.rawValue, chunkSize: 4096, ignorePaths: [".git", "model.sig"], symlinks: .reject),
                files: files, root: "r", license: nil, createdAt: "2026-12-01T00:00:00Z", tool: .init(name: "weightseal", version: "t"))
            let statement = ManifestStatement(type: ManifestStatement.statementType,
                                              subject: files.map { .init(name: $0.path, algorithm: $0.algorithm, digest: $0.digest) },
                                              predicateType: ModelManifest.predicateType, predicate: manifest)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let expected = Array(try encoder.encode(statement))
            #expect(try manifest.statementJSON() == expected, "\(algorithm)")
        }
    }

    @Test("Chunked file: chunk digests and chunk root in the leaf")
    func chunkedRoot() async throws {
        let dir = TempDir()
        dir.write("big", (0..<10000).map { UInt8($0 % 251) })
        let (m, _) = try await ManifestBuilder.small(chunkSize: 4096).build(root: dir.path)
        #expect(m.files[0].chunks == ["d67c656e01756650d77717b0839985a056ec28ffe174601d690fc407a2ceffca",
                                      "416317ed11e1666ed2a36373377df576bd327eb944640bf119b242d6f941bb5a",
                                      "825cabc798c5aefd6ec7b0f6dbab6c5fe7ff84336193a4e462556d1b0bc37bf1"])
        #expect(m.root == "3be9672c8bfc6cdb8c4ee7f1392cdef71808140c26a9f18fbd3d6a7e1518915e")
    }

    @Test("A file of exactly chunkSize bytes lists no chunks; one byte more lists two")
    func chunkBoundary() async throws {
        let dir = TempDir()
        dir.write("exact", pattern(4096))
        dir.write("over", pattern(4097))
        let (m, _) = try await ManifestBuilder.small(chunkSize: 4096).build(root: dir.path)
        #expect(m.files.first { $0.path == "exact" }?.chunks == nil)
        #expect(m.files.first { $0.path == "over" }?.chunks?.count == 2)
    }

    @Test("Empty files are covered; an empty model is refused")
    func emptyFiles() async throws {
        let dir = TempDir()
        dir.write("empty", [UInt8]())
        let (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        #expect(m.files[0].sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let none = TempDir()
        await #expect(throws: WeightSealError(.emptyModel, "")) { try await ManifestBuilder.small().build(root: none.path) }
    }

    @Test("Default ignore set: top-level .git, .gitattributes, model.sig; nested sub/.git is covered")
    func defaultIgnores() async throws {
        let dir = TempDir()
        dir.write("model.bin", "x")
        dir.write(".git/HEAD", "ref")
        dir.write(".gitattributes", "*.bin lfs")
        dir.write("model.sig", "{}")
        dir.write(".cache/huggingface/download/x.lock", "")
        dir.write("sub/.git/HEAD", "ref")
        let (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        #expect(m.files.map(\.path) == ["model.bin", "sub/.git/HEAD"])
        #expect(m.serialization.ignorePaths.contains("model.sig"))
    }

    @Test("Statement round trip: subjects carry each file's SHA-256")
    func statementRoundTrip() async throws {
        let dir = TempDir()
        dir.write("a", "hello\n")
        dir.write("b", pattern(9000))
        let (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        let payload = try m.statementJSON()
        let (parsed, findings) = try ModelManifest.parseStatement(payload, label: "t")
        #expect(parsed == m)
        #expect(findings.isEmpty)
        let json = try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
        #expect(json?["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(json?["predicateType"] as? String == "https://weightseal.dev/manifest/v1")
        let subjects = json?["subject"] as? [[String: Any]]
        #expect((subjects?[0]["digest"] as? [String: String])?["sha256"] == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
    }

    @Test("A root that does not match the files is an inconsistency finding")
    func inconsistentRoot() async throws {
        let dir = TempDir()
        dir.write("a", "hello\n")
        var (m, _) = try await ManifestBuilder.small().build(root: dir.path)
        m.root = String(repeating: "0", count: 64)
        let (_, findings) = try ModelManifest.parseStatement(try m.statementJSON(), label: "t")
        #expect(findings.map(\.kind) == [.manifestInconsistent])
    }

    @Test("Manifest path rules reject bad entries before any file is opened",
          arguments: ["../x", "/etc/hostname", "a/../../x", "a\\b", "", "./a", "a//b", "a/", "a/.", "x\u{0}y"])
    func badPaths(path: String) async throws {
        // A fifo where the path would point: opening it would block the test.
        let work = TempDir()
        mkfifo(work.url("secret.txt").path, 0o600)
        work.write("m/model.safetensors", "x")
        let payload = statementPayload(paths: ["model.safetensors", path])
        #expect(throws: WeightSealError.self) { _ = try ModelManifest.parseStatement(payload, label: "t") }
        do {
            _ = try ModelManifest.parseStatement(payload, label: "t")
        } catch {
            #expect([WeightSealError.Code.invalidPath, .malformedManifest].contains(error.code))
        }
    }

    @Test("A duplicate path rejects the manifest")
    func duplicatePath() {
        let payload = statementPayload(paths: ["a", "a"])
        #expect(throws: WeightSealError(.malformedManifest, "")) { _ = try ModelManifest.parseStatement(payload, label: "t") }
    }

    @Test("A duplicate path out of order, or under another Unicode spelling only, is told apart by bytes")
    func duplicatePathUnsorted() throws {
        #expect(throws: WeightSealError(.malformedManifest, "duplicate path")) {
            try ModelPath.validateAll(["b", "a", "c", "b"])
        }
        #expect(throws: WeightSealError(.malformedManifest, "duplicate path")) { try ModelPath.validateAll(["a", "a"]) }
        try ModelPath.validateAll(["caf\u{E9}", "cafe\u{301}"])
        try ModelPath.validateAll(["b", "a", "c"])
        #expect(throws: WeightSealError(.invalidPath, "")) { try ModelPath.validateAll(["a", "../b"]) }
    }

    @Test("A leaf hashed part by part equals the leaf hash of its leaf data")
    func leafHashParts() {
        let entries = [
            ModelManifest.FileEntry(path: "a", size: 0, sha256: String(repeating: "0", count: 64)),
            ModelManifest.FileEntry(path: "d000/f000123", size: 6, sha256: String(repeating: "ab", count: 32)),
            ModelManifest.FileEntry(path: "caf\u{E9}/x", size: 1 << 40, digest: String(repeating: "c", count: 64), algorithm: .blake3),
            ModelManifest.FileEntry(path: "big", size: 10000, sha256: String(repeating: "1", count: 64),
                                    chunks: [String(repeating: "2", count: 64), String(repeating: "3", count: 64)]),
        ]
        for e in entries {
            #expect(ModelManifest.leafHash(e) == MerkleTree.leafHash(ModelManifest.leafData(e)), "\(e.path)")
        }
    }

    @Test("Unsupported hash algorithm and out-of-range chunk size are errors")
    func unsupported() {
        #expect(throws: WeightSealError(.unsupportedAlgorithm, "")) {
            _ = try ModelManifest.parseStatement(statementPayload(paths: ["a"], algorithm: "blake2b"), label: "t")
        }
        #expect(throws: WeightSealError(.malformedManifest, "")) {
            _ = try ModelManifest.parseStatement(statementPayload(paths: ["a"], chunkSize: 0), label: "t")
        }
        #expect(throws: WeightSealError(.malformedManifest, "")) { _ = try ModelManifest.parseStatement(Array("[]".utf8), label: "t") }
    }

    @Test("Real model: all-MiniLM-L6-v2 model.safetensors has its published size and LFS oid",
          .enabled(if: FileManager.default.fileExists(atPath: realModelsFolder.appendingPathComponent("all-MiniLM-L6-v2/model.safetensors").path)))
    func realMiniLM() async throws {
        let (m, _) = try await ManifestBuilder().build(root: realModelsFolder.appendingPathComponent("all-MiniLM-L6-v2").path)
        let entry = try #require(m.files.first { $0.path == "model.safetensors" })
        #expect(entry.size == 90_868_376)
        #expect(entry.sha256 == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
        #expect(entry.chunks?.count == 2)
    }

    @Test("Real model: SmolLM2 GGUF has its published size and SHA-256",
          .enabled(if: FileManager.default.fileExists(atPath: realModelsFolder.appendingPathComponent("SmolLM2-135M-Instruct-GGUF").path)))
    func realSmolLM() async throws {
        let (m, _) = try await ManifestBuilder().build(root: realModelsFolder.appendingPathComponent("SmolLM2-135M-Instruct-GGUF").path)
        let entry = try #require(m.files.first { $0.path == "SmolLM2-135M-Instruct.Q4_1.gguf" })
        #expect(entry.size == 98_362_432)
        #expect(entry.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    }
}

/// A Statement whose files have the given paths (all "hello\n").
func statementPayload(paths: [String], algorithm: String = "sha256", chunkSize: UInt64 = 4096) -> [UInt8] {
    let sha = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    let files = paths.map { ModelManifest.FileEntry(path: $0, size: 6, sha256: sha) }
    let m = ModelManifest(model: .init(name: "t"),
                          serialization: .init(hashAlgorithm: algorithm, chunkSize: chunkSize, ignorePaths: [], symlinks: .reject),
                          files: files, root: ModelManifest.computeRoot(files), license: nil,
                          createdAt: "2026-01-01T00:00:00Z", tool: .init(name: "weightseal", version: "0"))
    return (try? m.statementJSON()) ?? []
}
