import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

/// Git blob SHA-1: `SHA-1("blob " + decimal size + "\0" + content)` (the Hub's `oid` of a non-LFS file).
func gitBlobSHA1(_ content: [UInt8]) -> String {
    var h = Insecure.SHA1()
    h.update(data: Array("blob \(content.count)\0".utf8))
    h.update(data: content)
    return Array(h.finalize()).hexString
}

func sha256Hex(_ content: [UInt8]) -> String { Array(SHA256.hash(data: content)).hexString }

/// A Hub tree-listing entry, as `GET /api/models/{repo}/tree/{rev}?recursive=true` writes it.
private func fileEntry(_ path: String, _ content: [UInt8], lfs: Bool = false) -> [String: Any] {
    var e: [String: Any] = ["type": "file", "path": path, "size": content.count]
    if lfs {
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256Hex(content))\nsize \(content.count)\n"
        e["oid"] = gitBlobSHA1(Array(pointer.utf8))
        e["lfs"] = ["oid": sha256Hex(content), "size": content.count, "pointerSize": pointer.utf8.count]
        e["xetHash"] = String(repeating: "ab", count: 32)
    } else {
        e["oid"] = gitBlobSHA1(content)
    }
    return e
}

private func json(_ value: Any) -> [UInt8] {
    Array((try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data())
}


private let config = Array("{\"a\":1}\n".utf8)
private let weights = pattern(10_000, seed: 3)
private let tokenizer = Array("{\"model\":{}}".utf8)

private func listing() -> [[String: Any]] {
    [
        ["type": "directory", "path": "sub", "size": 0, "oid": String(repeating: "1", count: 40)],
        fileEntry("config.json", config),
        fileEntry("model.safetensors", weights, lfs: true),
        fileEntry("sub/tokenizer.json", tokenizer),
    ]
}

@Suite struct HFTreeTests {
    @Test func gitBlobHelperMatchesGitAndTheHasher() throws {
        // FIELD-CASES F05 (observed locally).
        #expect(gitBlobSHA1(config) == "0187f3b09d66cef7911083ad49f890f5a6589589")
        let dir = TempDir()
        for (name, content) in [("config.json", config), ("w.bin", weights), ("empty", [UInt8]())] {
            let path = dir.write(name, content)
            let (status, out) = try runTool("/usr/bin/git", ["hash-object", path])
            #expect(status == 0)
            let git = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(gitBlobSHA1(content) == git)
            let r = ChunkedHasher(jobs: 1).hash([HashRequest(path: path, size: UInt64(content.count), wholeFile: false, gitBlobSHA1: true)])
            #expect(r[0].gitBlobSHA1?.hexString == git)
        }
    }

    @Test func parsesAListing() throws {
        let r = try HFTree.parse(json(listing()), label: "tree.json")
        #expect(r.kind == .huggingFaceTree && !r.isSigned && r.label == "tree.json" && r.symlinks == .reject)
        #expect(r.files.map(\.path) == ["config.json", "model.safetensors", "sub/tokenizer.json"])
        #expect(r.files[0] == ExpectedFile(path: "config.json", size: 8,
                                           check: .gitBlobSHA1([UInt8](hexString: "0187f3b09d66cef7911083ad49f890f5a6589589")!)))
        #expect(r.files[1] == ExpectedFile(path: "model.safetensors", size: 10_000,
                                           check: .sha256([UInt8](hexString: sha256Hex(weights))!)))
        #expect(r.files[2].check == .gitBlobSHA1([UInt8](hexString: gitBlobSHA1(tokenizer))!))
    }

    @Test func aHubShapedListingWithExtraFields() throws {
        // The shape the Hub returns (extra fields such as lastCommit are ignored; upper-case hex accepted).
        let text = """
        [{"type":"file","oid":"0187F3B09D66CEF7911083AD49F890F5A6589589","size":8,"path":"config.json",
          "lastCommit":{"id":"\(String(repeating: "c", count: 40))","title":"x","date":"2024-01-01T00:00:00.000Z"}},
         {"type":"file","oid":"\(String(repeating: "d", count: 40))","size":10000,
          "lfs":{"oid":"\(sha256Hex(weights))","size":10000,"pointerSize":135},
          "xetHash":"\(String(repeating: "e", count: 64))","path":"model.safetensors"},
         {"type":"directory","oid":"\(String(repeating: "f", count: 40))","size":0,"path":"onnx"}]
        """
        let r = try HFTree.parse(Array(text.utf8), label: "t")
        #expect(r.files.count == 2)
        #expect(r.files[1].size == 10_000)
    }

    @Test func verifiesAFolderWithTheVerifier() async throws {
        let dir = TempDir()
        dir.write("config.json", config)
        dir.write("model.safetensors", weights)
        dir.write("sub/tokenizer.json", tokenizer)
        let reference = try HFTree.parse(json(listing()), label: "tree.json")
        let ok = try await ModelVerifier(hashing: .init(jobs: 2)).verify(root: dir.path, reference: reference)
        #expect(ok.verdict == .verified, "\(ok.findings)")
        #expect(ok.files.count == 3 && ok.reference.kind == .huggingFaceTree)

        // Same-size corruption of the git-SHA-1 file and of the LFS file both fail.
        dir.write("config.json", Array("{\"a\":2}\n".utf8))
        var bad = weights
        bad[5000] ^= 1
        dir.write("model.safetensors", bad)
        let r = try await ModelVerifier(hashing: .init(jobs: 2)).verify(root: dir.path, reference: reference)
        #expect(r.verdict == .rejected)
        #expect(Set(r.failures.map(\.path)) == ["config.json", "model.safetensors"])
        #expect(r.failures.allSatisfy { $0.kind == .digestMismatch })
    }

    @Test func malformedListings() {
        let good = fileEntry("a.json", config)
        func parse(_ v: Any) throws(WeightSealError) { _ = try HFTree.parse(json(v), label: "tree.json") }
        expectError(.malformedReference, containing: "tree.json") { _ = try HFTree.parse(Array("{".utf8), label: "tree.json") }
        expectError(.malformedReference) { try parse(["type": "file"]) }                      // not an array
        expectError(.malformedReference, containing: "lists no file") { try parse([[String: Any]]()) }
        expectError(.malformedReference, containing: "lists no file") {
            try parse([["type": "directory", "path": "d", "size": 0, "oid": String(repeating: "1", count: 40)]])
        }
        expectError(.malformedReference, containing: "path listed twice") { try parse([good, good]) }
        var noOid = good; noOid["oid"] = nil
        expectError(.malformedReference, containing: "entry 1 (\"a.json\"): oid is not a git blob SHA-1") { try parse([fileEntry("x", config), noOid]) }
        var shortOid = good; shortOid["oid"] = "0187f3b0"
        expectError(.malformedReference, containing: "oid") { try parse([shortOid]) }
        var noSize = good; noSize["size"] = nil
        expectError(.malformedReference, containing: "without size") { try parse([noSize]) }
        var negative = good; negative["size"] = -1
        expectError(.malformedReference) { try parse([negative]) }
        var badLFS = fileEntry("w", weights, lfs: true); badLFS["lfs"] = ["oid": "sha256:" + sha256Hex(weights), "size": 1]
        expectError(.malformedReference, containing: "lfs.oid") { try parse([badLFS]) }
        var odd = good; odd["type"] = "submodule"
        expectError(.malformedReference, containing: "unknown type") { try parse([odd]) }
        for bad in ["../x", "/etc/passwd", "a//b", "a\\b", "./a"] {
            var e = good; e["path"] = bad
            expectError(.invalidPath) { try parse([e]) }
        }
        expectError(.limitExceeded) { _ = try HFTree.parse([UInt8](repeating: 0x20, count: Limits.maxJSONBytes + 1), label: "big") }
    }

    @Test func loadReadsAFile() throws {
        let dir = TempDir()
        let path = dir.write("tree.json", json(listing()))
        #expect(try HFTree.load(file: path).files.count == 3)
        expectError(.io) { _ = try HFTree.load(file: dir.path + "/absent.json") }
    }
}
