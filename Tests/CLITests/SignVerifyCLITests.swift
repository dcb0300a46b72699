import Foundation
import WeightSealTestSupport
import Testing
import WeightSeal

@Suite("CLI: keygen, sign, verify")
struct SignVerifyCLITests {
    func model(_ s: TempDir) {
        s.write("m/config.json", "{\"a\":1}\n")
        s.write("m/model.safetensors", bytes(300_000, seed: 1))
        s.write("m/tokenizer/vocab.txt", "a\nb\n")
        s.write("m/empty.txt", [UInt8]())
    }

    @Test("sign then verify passes for each key algorithm", arguments: ["p256", "p384", "ed25519"])
    func roundTrip(algorithm: String) throws {
        let s = TempDir()
        model(s)
        #expect(try run(["keygen", "--algorithm", algorithm, "-o", s.p("k")]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: s.p("k.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key"), "--chunk-size", "64KiB"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: s.p("m/model.sig")))
        let v = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(v.status == 0)
        #expect(v.stdout.hasPrefix("VERIFIED"))
        // Signing again with model.sig present: the signature file is never covered.
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        #expect(try run(["verify", s.p("m"), "--key", s.p("k.pub")]).status == 0)
    }

    @Test("A wrong key, an altered payload, an altered signature are rejected with exit 1")
    func rejected() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "-o", s.p("k")])
        try run(["keygen", "-o", s.p("other")])
        try run(["sign", s.p("m"), "--key", s.p("k.key")])
        let wrong = try run(["verify", s.p("m"), "--key", s.p("other.pub"), "--json"])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("\"keyMismatch\""))

        var bundle = try JSONSerialization.jsonObject(with: Data(s.read("m/model.sig"))) as! [String: Any]
        var env = bundle["dsseEnvelope"] as! [String: Any]
        var payload = Array(Data(base64Encoded: env["payload"] as! String)!)
        let i = payload.firstIndex(of: UInt8(ascii: "5"))!  // a digit inside a digest or size
        payload[i] = UInt8(ascii: "6")
        env["payload"] = Data(payload).base64EncodedString()
        bundle["dsseEnvelope"] = env
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: s.p("altered-payload.sig")))
        let p = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("altered-payload.sig"), "--json"])
        #expect(p.status == 1)
        #expect(p.stdout.contains("\"signatureInvalid\""))

        bundle = try JSONSerialization.jsonObject(with: Data(s.read("m/model.sig"))) as! [String: Any]
        env = bundle["dsseEnvelope"] as! [String: Any]
        var sigs = env["signatures"] as! [[String: Any]]
        var sig = Array(Data(base64Encoded: sigs[0]["sig"] as! String)!)
        sig[sig.count - 2] ^= 0x01
        sigs[0]["sig"] = Data(sig).base64EncodedString()
        env["signatures"] = sigs
        bundle["dsseEnvelope"] = env
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: s.p("altered-sig.sig")))
        let g = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("altered-sig.sig")])
        #expect(g.status == 1)
        #expect(g.stdout.contains("signatureInvalid"))
    }

    @Test("Exit 2 names the file when the key or signature file is unreadable or malformed")
    func cannotRun() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "-o", s.p("k")])
        let noSig = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(noSig.status == 2)
        #expect(noSig.stderr.contains("model.sig"))
        s.write("m/model.sig", "{\"mediaType\": 3}")
        let bad = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("model.sig"))
        s.write("bad.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        let key = try run(["verify", s.p("m"), "--key", s.p("bad.pub")])
        #expect(key.status == 2)
        #expect(key.stderr.contains("bad.pub"))
        #expect(try run(["verify", s.p("m")]).status == 64)
        #expect(try run(["sign", s.p("m"), "--key", s.p("missing.key")]).status == 2)
    }

    @Test("Tampering is reported per file with exit 1; --json carries the findings")
    func tampered() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "-o", s.p("k")])
        try run(["sign", s.p("m"), "--key", s.p("k.key"), "--chunk-size", "64KiB"])
        var b = s.read("m/model.safetensors")
        b[200_000] ^= 0xff
        s.write("m/model.safetensors", b)
        let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--json"])
        #expect(r.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(report?["verdict"] as? String == "rejected")
        let findings = report?["findings"] as? [[String: Any]] ?? []
        let f = findings.first { $0["kind"] as? String == "digestMismatch" }
        #expect(f?["path"] as? String == "model.safetensors")
        #expect(f?["chunks"] as? [Int] == [3])
        let text = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(text.stdout.contains("REJECTED"))
        // People count from 1 and read inclusive byte ranges; --json keeps the zero-based index (3 above).
        #expect(text.stdout.contains("chunk 4 of"), "\(text.stdout)")
        #expect(text.stdout.range(of: #"bytes [0-9,]+–[0-9,]+"#, options: .regularExpression) != nil)
    }

    @Test("Signed manifests with bad paths are rejected before any file is opened (F07)",
          arguments: ["../secret.txt", "/etc/hostname", "sub/../../secret.txt", "..\\secret.txt", "./model.safetensors",
                      "sub//x", "", "a/./b"])
    func pathTraversal(path: String) throws {
        let s = TempDir()
        s.write("work/m/model.safetensors", "x")
        #expect(mkfifo(s.p("work/secret.txt"), 0o600) == 0)
        let key = SigningKey.generate(.p256)
        try key.publicKey.pemRepresentation.write(toFile: s.p("k.pub"), atomically: true, encoding: .utf8)
        let sha = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
        let files = [ModelManifest.FileEntry(path: "model.safetensors", size: 1, sha256: sha),
                     ModelManifest.FileEntry(path: path, size: 1, sha256: sha)]
        let manifest = ModelManifest(model: .init(name: "m"),
                                     serialization: .init(hashAlgorithm: "sha256", chunkSize: 1 << 26, ignorePaths: [], symlinks: .reject),
                                     files: files, root: ModelManifest.computeRoot(files), license: nil,
                                     createdAt: "2026-01-01T00:00:00Z", tool: .init(name: "t", version: "0"))
        let bundle = try BundleSigner.sign(payload: try manifest.statementJSON(), payloadType: "application/vnd.in-toto+json", key: key)
        try Data(try bundle.jsonData()).write(to: URL(fileURLWithPath: s.p("bad.sig")))
        for extra in [[], ["--ignore-unsigned-files"]] {
            let r = try run(["verify", s.p("work/m"), "--key", s.p("k.pub"), "--signature", s.p("bad.sig")] + extra, timeout: 10)
            #expect(r.status == 2)
            #expect(r.stderr.contains("invalid path") || r.stderr.contains("duplicate"))
        }
    }

    @Test("A caller flag cannot loosen the signed symlink rule; --allow-symlinks at signing records it")
    func symlinkRule() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "-o", s.p("k")])
        try run(["sign", s.p("m"), "--key", s.p("k.key")])
        try FileManager.default.createSymbolicLink(atPath: s.p("m/alias.json"), withDestinationPath: "config.json")
        let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--ignore-unsigned-files"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("symlinkRejected"))
        #expect(r.stdout.contains("alias.json"))
        let refused = try run(["sign", s.p("m"), "--key", s.p("k.key")])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("alias.json"))
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key"), "--allow-symlinks"]).status == 0)
        #expect(try run(["verify", s.p("m"), "--key", s.p("k.pub")]).status == 0)
    }

    @Test("The example signature verifies the real all-MiniLM-L6-v2 model",
          .enabled(if: FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2/model.safetensors").path)))
    func example() throws {
        let ex = repositoryRoot.appendingPathComponent("manifests/examples/all-MiniLM-L6-v2").path
        let r = try run(["verify", repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path,
                         "--signature", ex + "/model.sig", "--key", ex + "/TEST-ONLY-key.pub", "--json"])
        #expect(r.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let files = report?["files"] as? [[String: Any]] ?? []
        #expect(files.first { $0["path"] as? String == "model.safetensors" }?["size"] as? Int == 90_868_376)
        #expect(report?["license"] as? String == "Apache-2.0")
        // A policy allowing only MIT rejects the model; one allowing Apache-2.0 accepts it.
        let mit = try run(["verify", repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path,
                           "--signature", ex + "/model.sig", "--key", ex + "/TEST-ONLY-key.pub", "--allow-license", "MIT"])
        #expect(mit.status == 1)
        #expect(mit.stdout.contains("licenseNotAllowed"))
        #expect(try run(["verify", repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path,
                         "--signature", ex + "/model.sig", "--key", ex + "/TEST-ONLY-key.pub", "--allow-license", "Apache-2.0"]).status == 0)
    }

    @Test("sign refuses disagreeing license declarations unless --license chooses; verify re-reads them")
    func licenseConflict() throws {
        let s = TempDir()
        s.write("m/README.md", "---\nlicense: cc-by-nc-nd-4.0\n---\n# Model\n")
        s.write("m/model.safetensors", bytes(1000, seed: 4))
        try run(["keygen", "-o", s.p("k")])
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        #expect(try run(["verify", s.p("m"), "--key", s.p("k.pub")]).stdout.contains("license CC-BY-NC-ND-4.0 (signed)"))
        let nd = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--allow-license", "CC-BY-NC-4.0"])
        #expect(nd.status == 1)
        #expect(nd.stdout.contains("licenseNotAllowed"))
        s.write("m/LICENSE", "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy")
        s.write("m/README.md", "---\nlicense: other\n---\n# Model\n")
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        let lenient = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(lenient.status == 0)
        #expect(lenient.stdout.contains("WARN  \"README.md\"  licenseIncomplete"))
        let strict = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("FAIL  \"README.md\"  licenseIncomplete"))
    }
}
