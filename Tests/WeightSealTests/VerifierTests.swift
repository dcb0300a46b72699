import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

@Suite("Model verifier")
struct VerifierTests {
    /// config.json, two equal-size "shards" of 3 chunks each, an empty file, a nested file.
    func model() -> TempDir {
        let dir = TempDir()
        dir.write("config.json", "{\"a\":1}\n")
        dir.write("model-00001-of-00002.safetensors", pattern(10000, seed: 1))
        dir.write("model-00002-of-00002.safetensors", pattern(10000, seed: 2))
        dir.write("empty.txt", [UInt8]())
        dir.write("tokenizer/vocab.txt", "a\nb\n")
        return dir
    }

    @Test("An untouched copy verifies")
    func clean() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .verified)
        #expect(report.files.count == 5)
        #expect(report.files.allSatisfy { $0.status == .ok })
        #expect(report.bytesHashed == 20000 + 8 + 4)
    }

    @Test("One byte flipped inside one chunk names the file and the chunk")
    func flippedByte() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        var bytes = dir.read("model-00002-of-00002.safetensors")
        let signedChunk = Array(SHA256.hash(data: bytes[4096..<8192])).hexString
        bytes[4096 + 17] ^= 0x01
        let tamperedChunk = Array(SHA256.hash(data: bytes[4096..<8192])).hexString
        dir.write("model-00002-of-00002.safetensors", bytes)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .rejected)
        let f = try #require(findings(report, .digestMismatch).first)
        #expect(f.path == "model-00002-of-00002.safetensors")
        #expect(f.chunks == [1])
        #expect(f.expected == signedChunk)
        #expect(f.actual == tamperedChunk)
        #expect(report.failures.count == 1)
    }

    @Test("A truncated shard fails on size without being hashed")
    func truncated() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        dir.write("model-00001-of-00002.safetensors", Array(pattern(10000, seed: 1).prefix(4000)))
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        let f = try #require(findings(report, .sizeMismatch).first)
        #expect(f.path == "model-00001-of-00002.safetensors")
        #expect(f.expected == "10000 bytes")
        #expect(f.actual == "4000 bytes")
        #expect(f.message.contains("truncated"))
        #expect(report.bytesHashed == 10000 + 8 + 4)
    }

    @Test("A deleted file is missing")
    func deleted() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        dir.remove("config.json")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .missing).map(\.path) == ["config.json"])
        #expect(report.verdict == .rejected)
    }

    @Test("An extra file fails, and passes with ignoreUnsignedFiles")
    func extra() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        dir.write("notes.txt", "hi")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .unexpected).map(\.path) == ["notes.txt"])
        let lenient = try await ModelVerifier(policy: .init(ignoreUnsignedFiles: true)).verify(root: dir.path, reference: ref)
        #expect(lenient.verdict == .verified)
        #expect(lenient.findings.contains { $0.kind == .unexpected && $0.severity == .note })
    }

    @Test("An empty file deleted is missing; filled is a size mismatch")
    func emptyFile() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        let copy = dir.copy()
        dir.remove("empty.txt")
        var report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .missing).map(\.path) == ["empty.txt"])
        copy.write("empty.txt", "now full")
        report = try await ModelVerifier().verify(root: copy.path, reference: ref)
        let f = try #require(findings(report, .sizeMismatch).first)
        #expect(f.path == "empty.txt")
        #expect(f.message.contains("signed empty"))
    }

    @Test("A renamed file is missing under its old name and unexpected under the new")
    func renamed() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        try FileManager.default.moveItem(at: dir.url("config.json"), to: dir.url("config2.json"))
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .missing).map(\.path) == ["config.json"])
        #expect(findings(report, .unexpected).map(\.path) == ["config2.json"])
    }

    @Test("Two files' contents swapped: both fail, each hinting at the other (F01 B)")
    func swapped() async throws {
        let dir = model()
        let (_, ref) = try await reference(of: dir)
        let a = dir.read("model-00001-of-00002.safetensors")
        let b = dir.read("model-00002-of-00002.safetensors")
        dir.write("model-00001-of-00002.safetensors", b)
        dir.write("model-00002-of-00002.safetensors", a)
        for _ in 0..<2 {
            let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
            let fs = findings(report, .digestMismatch)
            #expect(fs.map(\.path) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
            #expect(fs[0].hints.contains { $0.contains("model-00002-of-00002.safetensors") })
            #expect(fs[1].hints.contains { $0.contains("model-00001-of-00002.safetensors") })
            #expect(report.files.first { $0.path == "config.json" }?.status == .ok)
        }
    }

    @Test("F01 A: a flipped last bit with the mtime restored is still found")
    func mtimeRestored() async throws {
        let dir = TempDir()
        dir.write("config.json", "{\"a\":1}\n")
        dir.write("s1.safetensors", pattern(300, seed: 3))
        let (_, ref) = try await reference(of: dir)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir.url("s1.safetensors").path)
        var bytes = dir.read("s1.safetensors")
        bytes[bytes.count - 1] ^= 1
        dir.write("s1.safetensors", bytes)
        try FileManager.default.setAttributes([.modificationDate: attrs[.modificationDate]!], ofItemAtPath: dir.url("s1.safetensors").path)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        let f = try #require(findings(report, .digestMismatch).first)
        #expect(f.path == "s1.safetensors")
        #expect(f.expected != nil && f.actual != nil && f.expected != f.actual)
    }

    @Test("F02: truncated, emptied, over-long shards and a leftover .incomplete, each with its own reason")
    func badResume() async throws {
        let dir = TempDir()
        for i in 1...4 { dir.write("model-0000\(i)-of-00004.safetensors", pattern(65536, seed: i)) }
        let (_, ref) = try await reference(of: dir)
        dir.write("model-00002-of-00004.safetensors", Array(pattern(65536, seed: 2).prefix(26214)))
        dir.write("model-00003-of-00004.safetensors", [UInt8]())
        dir.write("model-00004-of-00004.safetensors", pattern(65536, seed: 4) + Array(pattern(65536, seed: 4).prefix(19660)))
        dir.write("model-00002-of-00004.safetensors.incomplete", pattern(10240))
        for _ in 0..<2 {
            let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
            #expect(report.verdict == .rejected)
            let sizes = findings(report, .sizeMismatch)
            #expect(sizes.map(\.path) == ["model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"])
            #expect(sizes[0].message.contains("truncated"))
            #expect(sizes[1].message.contains("empty file"))
            #expect(sizes[2].message.contains("longer than expected by 19660 bytes"))
            #expect(findings(report, .unexpected).map(\.path) == ["model-00002-of-00004.safetensors.incomplete"])
            #expect(report.files.first { $0.path == "model-00001-of-00004.safetensors" }?.status == .ok)
            #expect(report.bytesHashed == 65536)
        }
    }

    @Test("F03: placeholders saved under the weight's name are named")
    func placeholders() async throws {
        let dir = TempDir()
        dir.write("model.safetensors", pattern(65536))
        dir.write("pytorch_model.bin", pattern(1024, seed: 9))
        dir.write("tokenizer.json", "{\"v\": 1}")
        let (m, ref) = try await reference(of: dir, builder: .small(chunkSize: 1 << 20))
        let st = try #require(m.files.first { $0.path == "model.safetensors" })
        dir.write("model.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:\(st.digest)\nsize \(st.size)\n")
        dir.write("pytorch_model.bin", "Entry not found")
        dir.write("tokenizer.json", "<!DOCTYPE html><html><body>502</body></html>")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.failures.count == 3)
        let hints = Dictionary(uniqueKeysWithValues: report.failures.map { ($0.path ?? "", $0.hints.joined()) })
        #expect(hints["model.safetensors"]?.contains("content not fetched") == true)
        #expect(hints["pytorch_model.bin"]?.contains("HTTP error body") == true)
        #expect(hints["tokenizer.json"]?.contains("HTML page") == true)
    }

    @Test("F12 (c): an 8 GiB sparse file listed as 16 bytes fails on size without reading it")
    func sparse() async throws {
        let dir = TempDir()
        dir.write("sparse.safetensors", pattern(16))
        let (_, ref) = try await reference(of: dir)
        let fd = open(dir.url("sparse.safetensors").path, O_WRONLY)
        #expect(ftruncate(fd, 8 << 30) == 0)
        close(fd)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .sizeMismatch).first?.actual == "\(UInt64(8) << 30) bytes")
        // Not a byte read: the size check decides (no wall-clock bound: it flakes on a loaded machine).
        #expect(report.bytesHashed == 0)
    }

    @Test("F08: the signed ignore set applies, nested .git is not ignored, exact paths only")
    func ignoreSet() async throws {
        let dir = TempDir()
        dir.write("config.json", "{\"a\":1}\n")
        dir.write("model.safetensors", pattern(100))
        dir.write("cache/tmp.bin", "t")
        dir.write("sub/cache/x.bin", "x")
        var b = ManifestBuilder.small()
        b.extraIgnorePaths = ["cache"]
        let (m, ref) = try await reference(of: dir, builder: b)
        #expect(m.files.map(\.path) == ["config.json", "model.safetensors", "sub/cache/x.bin"])
        dir.write(".gitattributes", "*")
        dir.write(".git/HEAD", "x")
        dir.write(".git/objects/ab/cdef", "x")
        dir.write("sub/.git/HEAD", "x")
        dir.write("notes.txt", "n")
        dir.write("cache/tmp.bin", "changed")
        dir.write("config.json", "{\"a\":2}\n")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .unexpected).map(\.path) == ["notes.txt", "sub/.git/HEAD"])
        #expect(findings(report, .digestMismatch).map(\.path) == ["config.json"])
        #expect(findings(report, .missing).isEmpty)
        #expect(report.files.first { $0.path == "sub/cache/x.bin" }?.status == .ok)
    }

    @Test("Symlinks are rejected by default, naming the path")
    func symlinkRejected() async throws {
        let dir = TempDir()
        dir.write("config.json", "{}")
        dir.write("weights.bin", "w")
        let (_, ref) = try await reference(of: dir)
        dir.remove("weights.bin")
        dir.write("real.bin", "w")
        dir.symlink("weights.bin", to: "real.bin")
        let report = try await ModelVerifier(policy: .init(ignoreUnsignedFiles: true)).verify(root: dir.path, reference: ref)
        #expect(findings(report, .symlinkRejected).map(\.path) == ["weights.bin"])
        #expect(report.verdict == .rejected)
    }

    @Test("Signing refuses a symlink unless allowed; within-root links then verify")
    func symlinkAllowed() async throws {
        let dir = TempDir()
        dir.write("blobs/abc", "w")
        dir.symlink("weights.bin", to: "blobs/abc")
        await #expect(throws: WeightSealError(.invalidPath, "")) { _ = try await reference(of: dir) }
        var b = ManifestBuilder.small()
        b.symlinks = .withinRoot
        let (m, ref) = try await reference(of: dir, builder: b)
        #expect(m.serialization.symlinks == .withinRoot)
        #expect(m.files.map(\.path) == ["blobs/abc", "weights.bin"])
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .verified)
    }

    @Test("A symlink leaving the root is reported even when the rule allows symlinks")
    func symlinkEscapes() async throws {
        let outside = TempDir()
        outside.write("secret.txt", "s")
        let dir = TempDir()
        dir.write("a.bin", "a")
        var b = ManifestBuilder.small()
        b.symlinks = .withinRoot
        let (_, ref) = try await reference(of: dir, builder: b)
        dir.symlink("leak.txt", to: outside.url("secret.txt").path)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .symlinkEscapes).map(\.path) == ["leak.txt"])
        await #expect(throws: WeightSealError(.invalidPath, "")) { _ = try await b.build(root: dir.path) }
    }

    @Test("A symlink cycle ends with a finding")
    func symlinkCycle() async throws {
        let dir = TempDir()
        dir.write("a.bin", "a")
        var b = ManifestBuilder.small()
        b.symlinks = .withinRoot
        let (_, ref) = try await reference(of: dir, builder: b)
        dir.symlink("loop1", to: "loop2")
        dir.symlink("loop2", to: "loop1")
        dir.symlink("sub/up", to: "..")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(Set(findings(report, .symlinkCycle).compactMap(\.path)) == ["loop1", "loop2", "sub/up"])
    }

    @Test("A dangling symlink and a fifo are findings; the fifo is never opened")
    func danglingAndFifo() async throws {
        let dir = TempDir()
        dir.write("a.bin", "a")
        dir.write("pipe", "p")
        var b = ManifestBuilder.small()
        b.symlinks = .withinRoot
        let (_, ref) = try await reference(of: dir, builder: b)
        dir.remove("pipe")
        #expect(mkfifo(dir.url("pipe").path, 0o600) == 0)
        dir.symlink("gone.bin", to: "nothing-here")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(findings(report, .notRegularFile).map(\.path) == ["pipe"])
        #expect(findings(report, .danglingSymlink).map(\.path) == ["gone.bin"])
        #expect(findings(report, .missing).isEmpty)
    }

    @Test("F18 A: an NFD name where NFC was signed is explained, not a bare missing + extra")
    func unicodeNormalization() async throws {
        let dir = TempDir()
        dir.write("mod\u{E8}le.safetensors", "x")
        let (_, ref) = try await reference(of: dir)
        try FileManager.default.moveItem(atPath: dir.url("mod\u{E8}le.safetensors").path,
                                         toPath: dir.path + "/" + String(decoding: [0x6d, 0x6f, 0x64, 0x65, 0xcc, 0x80, 0x6c, 0x65] + Array(".safetensors".utf8), as: UTF8.self))
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        let missing = try #require(findings(report, .missing).first)
        #expect(missing.hints.contains { $0.contains("Unicode normalization") })
        #expect(findings(report, .unexpected).first?.hints.contains { $0.contains("Unicode normalization") } == true)
    }

    @Test("F18: two files whose names differ only by normalization are two files in the report, each checked")
    func canonicallyEquivalentNamesStayApart() async throws {
        let dir = TempDir()
        dir.write("caf\u{E9}.bin", "precomposed")
        dir.write("cafe\u{301}.bin", "decomposed")
        let (_, ref) = try await reference(of: dir)
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .verified)
        #expect(report.files.map { Array($0.path.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                == [Array("cafe\u{301}.bin".utf8), Array("caf\u{E9}.bin".utf8)])
        #expect(report.files.allSatisfy { $0.status == .ok })
        // Swapping the contents is caught for each name.
        dir.write("caf\u{E9}.bin", "decomposed!")
        let changed = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(changed.verdict != .verified)
        #expect(changed.files.filter { $0.status == .failed }.map { Array($0.path.utf8) } == [Array("caf\u{E9}.bin".utf8)])
    }

    @Test("F18 B/C: names that collide under NFC or case folding draw a signing warning")
    func collisions() async throws {
        let dir = TempDir()
        dir.write("Model.bin", "1")
        dir.write("model.bin", "2")
        let (_, warnings) = try await ManifestBuilder.small().build(root: dir.path)
        #expect(warnings.contains { $0.kind == .nameCollision && $0.severity == .warning })
    }

    @Test("One verifier checking two models in turn gives the same results as fresh ones")
    func noStateBetweenRuns() async throws {
        let a = model()
        let b = TempDir()
        b.write("x.bin", pattern(5000))
        b.write("y.bin", "y")
        let (_, refA) = try await reference(of: a)
        var linkBuilder = ManifestBuilder.small()
        linkBuilder.symlinks = .withinRoot
        let (_, refB) = try await reference(of: b, builder: linkBuilder)
        b.write("y.bin", "z")
        a.remove("config.json")
        let shared = ModelVerifier()
        let first = try await shared.verify(root: a.path, reference: refA)
        let second = try await shared.verify(root: b.path, reference: refB)
        let freshA = try await ModelVerifier().verify(root: a.path, reference: refA)
        let freshB = try await ModelVerifier().verify(root: b.path, reference: refB)
        #expect(first.findings == freshA.findings)
        #expect(second.findings == freshB.findings)
        #expect(first.findings.map(\.kind) == [.missing])
        #expect(second.findings.map(\.kind) == [.digestMismatch])
    }
}
