import Foundation
import WeightSealTestSupport
import Testing

/// The OMS vectors made by the Python reference (model-signing 1.1.1), copied from ../shared/vectors/oms.
let omsVectors = repositoryRoot.appendingPathComponent("manifests/testvectors/oms").path
let pythonPeer: String = ProcessInfo.processInfo.environment["WEIGHTSEAL_PYREF"] ?? repositoryRoot.appendingPathComponent(".cache/pyref").path
let pythonPeerPresent = FileManager.default.isExecutableFile(atPath: pythonPeer + "/bin/model_signing")

@Suite("CLI: OpenSSF Model Signing v1.0")
struct OMSCLITests {
    @Test("Signatures made by the reference verify", arguments: [
        "key-files", "indep-files", "compat-no-hint", "key-shards-65536", "key-files-ignore-readme",
    ])
    func referenceSignatures(name: String) throws {
        let r = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/\(name).sig",
                         "--key", omsVectors + "/keys/key.pub", "--json"])
        #expect(r.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((report?["reference"] as? [String: Any])?["kind"] as? String == "omsManifest")
        let findings = report?["findings"] as? [[String: Any]] ?? []
        if name == "compat-no-hint" { #expect(findings.contains { $0["kind"] as? String == "legacyFormat" }) }
        if name == "key-files-ignore-readme" {
            #expect(findings.contains { $0["kind"] as? String == "outsideSignature" && $0["path"] as? String == "README.md" })
        }
    }

    @Test("Certificate and single-file signatures verify")
    func certificateAndSingleFile() throws {
        #expect(try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/cert-files.sig",
                         "--certificate-roots", omsVectors + "/pki/root-ca.pem"]).status == 0)
        #expect(try run(["verify", omsVectors + "/model/config.json", "--signature", omsVectors + "/sigs/key-singlefile-config.sig",
                         "--key", omsVectors + "/keys/key.pub"]).status == 0)
        let anchor = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/cert-files.sig",
                              "--certificate-roots", omsVectors + "/pki/int-ca.pem"])
        #expect(anchor.status == 1)
        #expect(anchor.stdout.contains("trust anchor"))
    }

    @Test("Negative vectors are rejected, each with its own reason")
    func negatives() throws {
        let wrong = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/key-files.sig", "--key", omsVectors + "/keys/other.pub"])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("keyMismatch"))
        let altered = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/neg-payload-altered.sig", "--key", omsVectors + "/keys/key.pub"])
        #expect(altered.status == 1)
        #expect(altered.stdout.contains("signatureInvalid"))
        let root = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/neg-bad-root-digest.sig", "--key", omsVectors + "/keys/key.pub"])
        #expect(root.status == 1)
        #expect(root.stdout.contains("897daaf00858dd1fd3a78de74f8c13fbf8dc45be33b9ea5c67263036ef34f6ac"))
        let blake = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/key-files-blake2.sig", "--key", omsVectors + "/keys/key.pub"])
        #expect(blake.status == 2)
        #expect(blake.stderr.contains("hash algorithm blake2b is not supported"))
        let keyless = try run(["verify", omsVectors + "/upstream/v1.1.0-sigstore", "--key", omsVectors + "/keys/key.pub"])
        #expect(keyless.status == 2)
        #expect(keyless.stderr.contains("verify it with --certificate-identity and --certificate-oidc-issuer"))
    }

    @Test("Tampered copies are rejected with per-file findings; top-level git files are ignored")
    func tampering() throws {
        let s = TempDir()
        try FileManager.default.copyItem(atPath: omsVectors + "/model", toPath: s.p("m"))
        let sig = omsVectors + "/sigs/key-files.sig"
        let key = omsVectors + "/keys/key.pub"
        s.write("m/.gitattributes", "*.safetensors filter=lfs")
        s.write("m/.git/HEAD", "ref: refs/heads/main")
        #expect(try run(["verify", s.p("m"), "--signature", sig, "--key", key]).status == 0)
        s.write("m/sub/.git/HEAD", "x")
        var b = s.read("m/model-00002-of-00002.safetensors")
        b[500_000] ^= 1
        s.write("m/model-00002-of-00002.safetensors", b)
        try FileManager.default.removeItem(atPath: s.p("m/config.json"))
        let r = try run(["verify", s.p("m"), "--signature", sig, "--key", key])
        #expect(r.status == 1)
        #expect(r.stdout.contains("\"model-00002-of-00002.safetensors\"  digestMismatch"))
        #expect(r.stdout.contains("91a1fdaa4736dbec8a8e3239990f2e5f292bb82300e5a6dd4b0ef1453cc195bb"))
        #expect(r.stdout.contains("\"config.json\"  missing"))
        #expect(r.stdout.contains("\"sub/.git/HEAD\"  unexpected"))
    }

    @Test("The Python reference accepts what sign --format oms writes, and rejects a tampered copy",
          .enabled(if: pythonPeerPresent))
    func pythonAcceptsOurs() throws {
        let s = TempDir()
        try FileManager.default.copyItem(atPath: omsVectors + "/model", toPath: s.p("m"))
        try run(["keygen", "-o", s.p("k")])
        #expect(try run(["sign", s.p("m"), "--format", "oms", "--key", s.p("k.key"), "-o", s.p("m.sig")]).status == 0)
        let ok = try shell(pythonPeer + "/bin/model_signing", ["verify", "key", s.p("m"), "--signature", s.p("m.sig"), "--public_key", s.p("k.pub")])
        #expect(ok.stdout.contains("Verification succeeded"))
        let pki = omsVectors + "/pki"
        #expect(try run(["sign", s.p("m"), "--format", "oms", "--key", pki + "/signing.key", "--certificate", pki + "/signing-cert.pem",
                         "--certificate-chain", pki + "/int-ca.pem", "-o", s.p("c.sig")]).status == 0)
        let cert = try shell(pythonPeer + "/bin/model_signing", ["verify", "certificate", s.p("m"), "--signature", s.p("c.sig"),
                                                                  "--certificate_chain", pki + "/root-ca.pem"])
        #expect(cert.stdout.contains("Verification succeeded"))
        s.write("m/config.json", "{\"changed\": true}")
        let bad = try shell(pythonPeer + "/bin/model_signing", ["verify", "key", s.p("m"), "--signature", s.p("m.sig"), "--public_key", s.p("k.pub")])
        #expect(!bad.stdout.contains("Verification succeeded"))
        #expect(bad.status != 0)
    }
}

/// Runs another program (the Python reference) with a time limit.
func shell(_ exe: String, _ args: [String], timeout: TimeInterval = 120) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = LockedData()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { data.set(out.fileHandleForReading.readDataToEndOfFile()); done.signal() }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning { p.terminate() }
    p.waitUntilExit()
    done.wait()
    let text = String(decoding: data.get(), as: UTF8.self)
    return RunResult(status: p.terminationStatus, stdout: text, stderr: text)
}
