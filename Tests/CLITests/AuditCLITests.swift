import Foundation
import WeightSealTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let python3: String? = {
    for d in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let p = "\(d)/python3"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}()

/// `Tests/Servers/hubserver.py` serving `root` (plain layout under `/cdn`), killed by `stop()`.
private final class MirrorServer {
    let process = Process()
    var base = ""
    init(root: String) throws {
        process.executableURL = URL(fileURLWithPath: try #require(python3))
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/Servers/hubserver.py").path, root]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.dropFirst(5).prefix { $0.isNumber }))
        base = "http://127.0.0.1:\(port)/cdn"
    }
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("CLI: audit", .enabled(if: python3 != nil || ProcessInfo.processInfo.environment["CI"] != nil, "python3 is not installed; skipped"))
struct AuditCLITests {
    @Test("audit a mirror: ok exits 0, a corrupted chunk exits 1 with its index, a wrong key audits nothing")
    func audit() throws {
        let s = TempDir()
        s.write("m/config.json", "{\"a\":1}\n")
        s.write("m/model.safetensors", bytes(300_000, seed: 1))
        try run(["keygen", "-o", s.p("k")])
        try run(["keygen", "-o", s.p("other")])
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key"), "--chunk-size", "64KiB"]).status == 0)
        s.write("mirror/config.json", "{\"a\":1}\n")
        s.write("mirror/model.safetensors", bytes(300_000, seed: 1))
        let server = try MirrorServer(root: s.p("mirror"))
        defer { server.stop() }

        let ok = try run(["audit", server.base, "--signature", s.p("m/model.sig"), "--key", s.p("k.pub"), "--mode", "full"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("OK      0"))

        var corrupted = bytes(300_000, seed: 1)
        corrupted[200_000] ^= 1  // chunk 3 of 64 KiB chunks
        s.write("mirror/model.safetensors", corrupted)
        let bad = try run(["audit", server.base, "--signature", s.p("m/model.sig"), "--key", s.p("k.pub"), "--mode", "full", "--json"])
        #expect(bad.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any])
        let mirror = try #require((report["mirrors"] as? [[String: Any]])?.first)
        #expect(mirror["failingFiles"] as? [String] == ["model.safetensors"])
        #expect(bad.stdout.contains("\"digestMismatch\""))
        let files = try #require(mirror["fileAudits"] as? [[String: Any]])
        let findings = files.first { $0["path"] as? String == "model.safetensors" }?["findings"] as? [[String: Any]]
        #expect(findings?.first { $0["kind"] as? String == "digestMismatch" }?["chunks"] as? [Int] == [3])

        let head = try run(["audit", server.base, "--signature", s.p("m/model.sig"), "--key", s.p("k.pub")])
        // Same size, but this server advertises the SHA-256 of what it serves in its ETag: head mode compares it.
        #expect(head.status == 1)
        #expect(head.stdout.contains("advertises a SHA-256"))

        let wrongKey = try run(["audit", server.base, "--signature", s.p("m/model.sig"), "--key", s.p("other.pub")])
        #expect(wrongKey.status == 1)
        #expect(wrongKey.stdout.hasPrefix("REJECTED"))

        let usage = try run(["audit", server.base, "--signature", s.p("m/model.sig"), "--key", s.p("k.pub"), "--layout", "huggingface"])
        #expect(usage.status == 64)
        let badURL = try run(["audit", "ftp://x", "--signature", s.p("m/model.sig"), "--key", s.p("k.pub")])
        #expect(badURL.status == 2)
    }

    @Test("audit with a Sigstore keyless signature (model-signing's OMS v1.1.0): identity and issuer checked first")
    func keyless() throws {
        let vectors = repositoryRoot.appendingPathComponent("manifests/testvectors/oms/upstream/v1.1.0-sigstore").path
        let s = TempDir()
        for f in ["signme-1", "signme-2", "ignore-me"] {
            s.write("mirror/" + f, Array(FileManager.default.contents(atPath: vectors + "/" + f) ?? Data()))
        }
        let server = try MirrorServer(root: s.p("mirror"))
        defer { server.stop() }
        let trust = ["--certificate-identity", "stefanb@us.ibm.com", "--certificate-oidc-issuer", "https://sigstore.verify.ibm.com/oauth2"]
        let ok = try run(["audit", server.base, "--signature", vectors + "/model.sig", "--mode", "full"] + trust)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        s.write("mirror/signme-2", "tampered")
        let bad = try run(["audit", server.base, "--signature", vectors + "/model.sig", "--mode", "full"] + trust)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("signme-2"))
        let other = try run(["audit", server.base, "--signature", vectors + "/model.sig", "--certificate-identity",
                             "mallory@example.com", "--certificate-oidc-issuer", "https://sigstore.verify.ibm.com/oauth2"])
        #expect(other.status == 1)
        #expect(other.stdout.hasPrefix("REJECTED"))
    }
}
