import Foundation
import WeightSealTestSupport
import Testing

let b3sumPresent = FileManager.default.isExecutableFile(atPath: "/usr/bin/b3sum")

@Suite("CLI: BLAKE3 manifests and sums")
struct BLAKE3CLITests {
    @Test("hash --hash-algorithm blake3 --format sums prints b3sum's lines")
    func sums() throws {
        let s = TempDir()
        s.write("m/b.bin", "world\n")
        s.write("m/a.bin", "hello\n")
        let r = try run(["hash", s.p("m"), "--hash-algorithm", "blake3", "--format", "sums"])
        #expect(r.status == 0)
        // `printf 'hello\n' | b3sum`, `printf 'world\n' | b3sum`.
        #expect(r.stdout == """
            8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99  a.bin
            26e70f0a438787ee143979a9b519a4a330ea21e0a23d31fcb47051e70b8fe5ad  b.bin

            """)
        // sums without an algorithm is sha256sum's form, like sha256sums.
        let sha = try run(["hash", s.p("m"), "--format", "sums"])
        #expect(sha.stdout == (try run(["hash", s.p("m"), "--format", "sha256sums"])).stdout)
        #expect(sha.stdout.hasPrefix("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  a.bin\n"))
        // sha256sums names SHA-256: asking it for BLAKE3 is a usage error.
        let bad = try run(["hash", s.p("m"), "--hash-algorithm", "blake3", "--format", "sha256sums"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--format sums"))
    }

    @Test("b3sum --check accepts hash --format sums, and finds the changed file",
          .enabled(if: b3sumPresent, "b3sum absent: apt-get install b3sum (scripts/test.sh does as root)"))
    func b3sumCheck() throws {
        let s = TempDir()
        s.write("m/a.bin", "hello\n")
        s.write("m/sub/big.bin", (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        s.write("m/with space.txt", "x")
        let r = try run(["hash", s.p("m"), "--hash-algorithm", "blake3", "--format", "sums", "-o", s.p("B3SUMS")])
        #expect(r.status == 0)
        let ok = try shell("/bin/sh", ["-c", "cd '\(s.p("m"))' && /usr/bin/b3sum --check '\(s.p("B3SUMS"))'"])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("sub/big.bin: OK"))
        s.write("m/a.bin", "hellO\n")
        let changed = try shell("/bin/sh", ["-c", "cd '\(s.p("m"))' && /usr/bin/b3sum --check '\(s.p("B3SUMS"))'"])
        #expect(changed.status != 0)
        #expect(changed.stdout.contains("a.bin: FAILED"))
    }

    @Test("sign --hash-algorithm blake3 then verify: the manifest records blake3; tampering names the chunk")
    func signVerify() throws {
        let s = TempDir()
        let big = (0..<20_000).map { UInt8($0 % 251) }
        s.write("m/model.safetensors", big)
        s.write("m/config.json", "{}")
        try run(["keygen", "-o", s.p("k")])
        let signed = try run(["sign", s.p("m"), "--key", s.p("k.key"), "--hash-algorithm", "blake3", "--chunk-size", "8KiB", "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let ok = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--json"])
        #expect(ok.status == 0, "\(ok.stdout)")
        let m = try run(["hash", s.p("m"), "--hash-algorithm", "blake3", "--chunk-size", "8KiB"])
        #expect(m.stdout.contains(#""hashAlgorithm" : "blake3""#))
        #expect(m.stdout.contains(#""blake3" : "#))
        var tampered = big
        tampered[8192 + 100] ^= 0xFF
        s.write("m/model.safetensors", tampered)
        let bad = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--json"])
        #expect(bad.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any]
        let findings = report?["findings"] as? [[String: Any]] ?? []
        let f = findings.first { $0["kind"] as? String == "digestMismatch" }
        #expect(f?["path"] as? String == "model.safetensors")
        #expect(f?["chunks"] as? [Int] == [1])
        // sign --format oms --hash-algorithm blake3 with shards is refused before hashing.
        let shards = try run(["sign", s.p("m"), "--key", s.p("k.key"), "--format", "oms", "--hash-algorithm", "blake3",
                              "--shard-size", "8KiB", "-o", s.p("x.sig")])
        #expect(shards.status == 64)
    }

    @Test("OMS: the reference's blake3 signature verifies; its blake2b one is a clear exit 2")
    func omsReferenceSignatures() throws {
        let blake3 = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/key-files-blake3.sig",
                              "--key", omsVectors + "/keys/key.pub"])
        #expect(blake3.status == 0, "\(blake3.stdout)\(blake3.stderr)")
        let blake2 = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/key-files-blake2.sig",
                              "--key", omsVectors + "/keys/key.pub"])
        #expect(blake2.status == 2)
        #expect(blake2.stderr.contains("hash algorithm blake2b is not supported"))
    }

    @Test("The Python reference verifies sign --format oms --hash-algorithm blake3 (with its API: its CLI hashes SHA-256)",
          .enabled(if: pythonPeerPresent, "Python reference absent: run scripts/setup-python-peer.sh"))
    func pythonAcceptsBLAKE3() throws {
        let s = TempDir()
        try FileManager.default.copyItem(atPath: omsVectors + "/model", toPath: s.p("m"))
        try run(["keygen", "-o", s.p("k")])
        #expect(try run(["sign", s.p("m"), "--format", "oms", "--hash-algorithm", "blake3", "--key", s.p("k.key"),
                         "-o", s.p("m.sig")]).status == 0)
        let script = "import sys, model_signing; model_signing.verifying.Config().use_elliptic_key_verifier(public_key=sys.argv[3]).verify(sys.argv[1], sys.argv[2]); print('Verification succeeded')"
        let ok = try shell(pythonPeer + "/bin/python", ["-c", script, s.p("m"), s.p("m.sig"), s.p("k.pub")])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("Verification succeeded"))
        s.write("m/config.json", "{\"changed\": true}")
        let bad = try shell(pythonPeer + "/bin/python", ["-c", script, s.p("m"), s.p("m.sig"), s.p("k.pub")])
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("Hash mismatch for") && bad.stdout.contains("config.json"), "\(bad.stdout)")
    }
}
