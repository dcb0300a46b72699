import Foundation
import WeightSealTestSupport
import Testing

@Suite("CLI: published references (SHA256SUMS, Hub tree, Hugging Face cache)")
struct PublishedCLITests {
    @Test("verify --checksums: ok, tampered, unexpected file, malformed line")
    func checksums() throws {
        let s = TempDir()
        s.write("m/model-00001-of-00002.safetensors", "hello\n")
        s.write("m/my model.gguf", "world\n")
        s.write("SHA256SUMS", """
            5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  model-00001-of-00002.safetensors\r
            SHA256 (my model.gguf) = e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317\r

            """)
        let ok = try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS")])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("UNSIGNED"))
        s.write("m/extra.bin", "x")
        #expect(try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS")]).status == 1)
        #expect(try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS"), "--ignore-unsigned-files"]).status == 0)
        s.write("m/my model.gguf", "World\n")
        let bad = try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS"), "--ignore-unsigned-files"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("\"my model.gguf\"  digestMismatch"))
        s.write("REVERSED", "model-00001-of-00002.safetensors  5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n")
        let malformed = try run(["verify", s.p("m"), "--checksums", s.p("REVERSED")])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("line 1"))
    }

    @Test("A Hugging Face cache snapshot given as DIR: blobs checked against their names; a corrupted blob is found")
    func cacheSnapshot() throws {
        let s = TempDir()
        let repo = "hub/models--org--tiny"
        let config = Array("{\"a\":1}\n".utf8)
        let weights = bytes(5000, seed: 3)
        let shaOut = try shell("/usr/bin/sha256sum", [], input: weights)
        let weightsSHA = String(shaOut.stdout.prefix(64))
        s.write("\(repo)/blobs/0187f3b09d66cef7911083ad49f890f5a6589589", config)
        s.write("\(repo)/blobs/\(weightsSHA)", weights)
        s.write("\(repo)/refs/main", "1111111111111111111111111111111111111111")
        let snap = "\(repo)/snapshots/1111111111111111111111111111111111111111"
        try FileManager.default.createDirectory(atPath: s.p(snap), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: s.p("\(snap)/config.json"), withDestinationPath: "../../blobs/0187f3b09d66cef7911083ad49f890f5a6589589")
        try FileManager.default.createSymbolicLink(atPath: s.p("\(snap)/model.safetensors"), withDestinationPath: "../../blobs/\(weightsSHA)")
        let ok = try run(["verify", s.p(snap)])
        #expect(ok.status == 0)
        let viaRepo = try run(["verify", "--hf-cache", "org/tiny", "--cache-dir", s.p("hub")])
        #expect(viaRepo.status == 0)
        var corrupted = weights
        corrupted[10] ^= 1
        s.write("\(repo)/blobs/\(weightsSHA)", corrupted)
        let bad = try run(["verify", s.p(snap), "--json"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("blobNameMismatch"))
    }
}

extension PublishedCLITests {
    /// Runs a program with bytes on standard input.
    func shell(_ exe: String, _ args: [String], input: [UInt8]) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let inPipe = Pipe()
        let out = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input))
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }
}

@Suite("CLI: what hash writes, verify reads back")
struct HashThenVerifyCLITests {
    @Test("hash --format sha256sums -o DIR/SHA256SUMS, then verify --checksums DIR/SHA256SUMS: exit 0 beside model.sig and .git")
    func roundTrip() throws {
        let s = TempDir()
        s.write("m/model.safetensors", bytes(70_000, seed: 4))
        s.write("m/config.json", "{}\n")
        s.write("m/.git/HEAD", "ref: refs/heads/main\n")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        #expect(try run(["hash", s.p("m"), "--format", "sha256sums", "-o", s.p("m/SHA256SUMS")]).status == 0)
        let r = try run(["verify", s.p("m"), "--checksums", s.p("m/SHA256SUMS")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("unexpected"))
        #expect(!r.stdout.contains("outsideSignature"))
        // A file the list does not name is still unexpected.
        s.write("m/extra.bin", "x")
        let extra = try run(["verify", s.p("m"), "--checksums", s.p("m/SHA256SUMS")])
        #expect(extra.status == 1)
        #expect(extra.stdout.contains("\"extra.bin\"  unexpected"))
    }
}
