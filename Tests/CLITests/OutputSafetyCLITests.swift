import Foundation
import WeightSealTestSupport
import Testing

/// Outputs never destroy inputs, and a failed write is never a success (issue 15, high).
@Suite("CLI: outputs")
struct OutputSafetyCLITests {
    @Test("-o never names the key, a certificate, a folder or a model file; the inputs stay byte for byte")
    func noClobber() throws {
        let s = TempDir()
        s.write("m/config.json", "{}\n")
        s.write("m/model.safetensors", bytes(5000, seed: 2))
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        let key = s.read("k.key")
        let weights = s.read("m/model.safetensors")
        for (args, what) in [
            (["sign", s.p("m"), "--key", s.p("k.key"), "-o", s.p("k.key")], "--key"),
            (["sign", s.p("m"), "--key", s.p("k.key"), "-o", s.p("m/model.safetensors")], "a file of the model"),
            (["hash", s.p("m"), "-o", s.p("m/config.json")], "a file of the model"),
            (["hash", s.p("m"), "-o", s.p("m")], "is a folder"),
        ] {
            let r = try run(args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.contains(what), "\(r.stderr)")
        }
        #expect(s.read("k.key") == key)
        #expect(s.read("m/model.safetensors") == weights)
        #expect(try run(["hash", s.p("m"), "--format", "sha256sums", "-o", s.p("m/SHA256SUMS")]).status == 0)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key"), "-o", s.p("m/release.sig")]).status == 0)
    }

    @Test("a write error on standard output exits 2 with \"write error\" (hash, inspect, verify --json)")
    func writeErrors() throws {
        let s = TempDir()
        s.write("m/config.json", "{}\n")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        for args in [["hash", s.p("m"), "--format", "sha256sums"], ["inspect", s.p("m")],
                     ["verify", s.p("m"), "--key", s.p("k.pub"), "--json"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: weightsealBinary)
            p.arguments = args
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 2, "\(args)")
            #expect(stderr.contains("write error"), "\(stderr)")
        }
    }
}

extension OutputSafetyCLITests {
    @Test("one path rule for manifests: a name with a backslash is refused at sign; U+FFFD (valid UTF-8) signs and verifies")
    func pathRule() throws {
        let s = TempDir()
        s.write("m/c\u{FFFD}d.bin", "y")
        s.write("m/a\\b.bin", "x")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        let refused = try run(["sign", s.p("m"), "--key", s.p("k.key")])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("contains a backslash"))
        try FileManager.default.removeItem(atPath: s.p("m/a\\b.bin"))
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        let ok = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        // Added after signing, it is a file the signature does not cover (a checksum list may still name it).
        s.write("m/a\\b.bin", "x")
        let added = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(added.status == 1)
        #expect(added.stdout.contains("unexpected"))
    }
}

extension OutputSafetyCLITests {
    @Test("a key and a license policy given through a pipe (<(…)) are read like files")
    func pipes() throws {
        let s = TempDir()
        s.write("m/README.md", "---\nlicense: mit\n---\n")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "\"$0\" verify \"$1\" --key <(cat \"$2\") --license-policy <(echo '{\"allow\":[\"MIT\"]}')",
                       weightsealBinary, s.p("m"), s.p("k.pub")]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.hasPrefix("VERIFIED"))
    }
}
