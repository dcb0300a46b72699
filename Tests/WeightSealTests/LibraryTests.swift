import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// The library's whole flows (issue 11): what an inference server or a registry calls.
@Suite("Library: ModelVerifier and ModelSigner flows")
struct LibraryTests {
    /// A signed model in the Hugging Face cache layout: `hub/models--org--tiny/{blobs, snapshots/<rev>, refs/main}`,
    /// every snapshot file a link to a blob named by its Hub identity; signed over a resolved copy (`cp -L`).
    final class SignedCache: @unchecked Sendable {
        let dir = TempDir()
        let key = SigningKey.generate(.p256)
        let revision = String(repeating: "c3", count: 20)
        var snapshot: String { dir.path + "/hub/models--org--tiny/snapshots/\(revision)" }
        var signature: String { dir.path + "/model.sig" }
        var copy: String { dir.path + "/copy" }

        static let card = Array("---\nlicense: apache-2.0\n---\n# tiny\n".utf8)
        static let config = Array("{\"model_type\":\"llama\"}\n".utf8)
        static let gguf = GGUFBuilder(kv: [("general.architecture", .string("llama")),
                                           ("general.license", .string("apache-2.0"))]).bytes()

        init(format: ModelSigner.Format = .weightseal) async throws {
            let r = "hub/models--org--tiny"
            dir.write("\(r)/refs/main", revision)
            let files: [(String, [UInt8], String)] = [
                ("README.md", Self.card, gitBlobSHA1(Self.card)),
                ("config.json", Self.config, gitBlobSHA1(Self.config)),
                ("model.gguf", Self.gguf, sha256Hex(Self.gguf)),
            ]
            for (name, content, blob) in files {
                dir.write("\(r)/blobs/\(blob)", content)
                dir.symlink("\(r)/snapshots/\(revision)/\(name)", to: "../../blobs/\(blob)")
                dir.write("copy/\(name)", content)
            }
            let signed = try await ModelSigner(options: .init(format: format)).sign(model: copy, key: key, signatureFile: signature)
            try AtomicFile.write(try signed.bundle.jsonData(), to: signature)
        }
    }

    @Test("a signed model in the cache layout (links into blobs/) verifies: licenses read through the links (README and GGUF)")
    func cacheLayoutVerifies() async throws {
        let cache = try await SignedCache()
        let verifier = ModelVerifier(policy: .init(licensePolicy: try LicensePolicy(allowing: ["Apache-2.0"])))
        let report = try await verifier.verify(model: cache.snapshot, signature: cache.signature,
                                               trust: .publicKey(cache.key.publicKey))
        #expect(report.verdict == .verified, "\(report.findings)")
        #expect(report.license == "Apache-2.0")
        #expect(report.files.map(\.path) == ["README.md", "config.json", "model.gguf"])
        #expect(report.files.allSatisfy { $0.status == .ok })
        #expect(!report.findings.contains { $0.kind == .licenseMismatch })

        // The same flow catches a changed card behind a link, and a blob whose content left its name; the changed
        // card is not parsed (it failed its size check), so it is reported once, not again as a license mismatch.
        cache.dir.write("hub/models--org--tiny/blobs/\(gitBlobSHA1(SignedCache.card))", "---\nlicense: mit\n---\n# tiny\n")
        let changed = try await verifier.verify(model: cache.snapshot, signature: cache.signature,
                                                trust: .publicKey(cache.key.publicKey))
        #expect(changed.verdict == .rejected)
        #expect(Set(changed.failures.map(\.kind)) == [.sizeMismatch, .blobNameMismatch])
        #expect(changed.failures.allSatisfy { $0.path == "README.md" })
    }

    @Test("strict format checks see the same file set as hashing in the cache layout")
    func cacheLayoutStrict() async throws {
        let cache = try await SignedCache()
        let report = try await ModelVerifier(policy: .init(strict: true)).verify(
            model: cache.snapshot, signature: cache.signature, trust: .publicKey(cache.key.publicKey))
        #expect(report.verdict == .verified, "\(report.findings)")
    }

    @Test("one verifier, many models at once from a task group: each gets its own verdict, nothing carries over")
    func concurrentVerdicts() async throws {
        let good = try await SignedCache()
        let other = try await SignedCache(format: .oms)
        let bad = try await SignedCache()
        bad.dir.write("copy/config.json", "{}")
        let verifier = ModelVerifier()
        let cases: [(String, String, SigningKey, VerificationReport.Verdict)] = [
            (good.copy, good.signature, good.key, .verified),
            (bad.copy, bad.signature, bad.key, .rejected),
            (other.snapshot, other.signature, other.key, .verified),
            (good.copy, good.signature, other.key, .rejected),
        ]
        let verdicts = try await withThrowingTaskGroup(of: (Int, VerificationReport.Verdict).self) { group in
            for round in 0..<3 {
                for (i, c) in cases.enumerated() {
                    group.addTask {
                        let r = try await verifier.verify(model: c.0, signature: c.1, trust: .publicKey(c.2.publicKey))
                        return (round * cases.count + i, r.verdict)
                    }
                }
            }
            var out = [Int: VerificationReport.Verdict]()
            for try await (i, v) in group { out[i] = v }
            return out
        }
        for (i, v) in verdicts { #expect(v == cases[i % cases.count].3, "case \(i % cases.count)") }
        #expect(verdicts.count == 12)
    }

    @Test("the example of docs/library.md compiles here and runs: verified, then rejected once a byte changes")
    func documentedExample() async throws {
        let doc = try String(contentsOf: OMSVectors.repoRoot.appendingPathComponent("docs/library.md"), encoding: .utf8)
        // The doc shows exactly the lines this test runs (between the markers below).
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let start = try #require(source.range(of: "// example-start\n"))
        let end = try #require(source.range(of: "        // example-end", range: start.upperBound..<source.endIndex))
        let example = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.dropFirst(8) }.joined(separator: "\n")
        #expect(doc.contains(example), "docs/library.md must show:\n\(example)")

        let model = TempDir()
        _ = model.write("model.safetensors", pattern(5000, seed: 3))
        _ = model.write("README.md", "---\nlicense: mit\n---\n")
        let key = SigningKey.generate(.ed25519)
        let signed = try await ModelSigner().sign(model: model.path, key: key)
        try AtomicFile.write(try signed.bundle.jsonData(), to: model.path + "/model.sig")
        let keys = TempDir()
        let keyPath = keys.write("release.pub", key.publicKey.pemRepresentation)
        #expect(try await runExample(modelPath: model.path, keyPath: keyPath).isEmpty)
        var bytes = model.read("model.safetensors")
        bytes[10] ^= 1
        _ = model.write("model.safetensors", bytes)
        let findings = try await runExample(modelPath: model.path, keyPath: keyPath)
        #expect(findings.map(\.kind) == [.digestMismatch])
        #expect(findings.first?.path == "model.safetensors")
    }

    /// Runs the documented lines; returns the failures (empty when verified).
    func runExample(modelPath: String, keyPath: String) async throws -> [Finding] {
        // example-start
        let verifier = ModelVerifier()
        let trust = SignatureTrust.publicKey(try PublicKey(pemFile: keyPath))
        let report = try await verifier.verify(model: modelPath, trust: trust)
        if report.verdict == .verified {
            // use the model
        } else {
            for failure in report.failures { print(failure.message) }  // names the file, chunk or declaration
        }
        // example-end
        return report.failures
    }
}

extension LibraryTests {
    @Test("a file that failed its size check is not parsed: a tampered safetensors header adding 10 MB is never read")
    func failedFilesAreNotParsed() async throws {
        let dir = TempDir()
        let header = Array(#"{"__metadata__":{"license":"mit"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        func safetensors(_ h: [UInt8]) -> [UInt8] {
            var n = UInt64(h.count).littleEndian
            return withUnsafeBytes(of: &n) { Array($0) } + h + [UInt8](repeating: 0, count: 8)
        }
        _ = dir.write("model.safetensors", safetensors(header))
        let key = SigningKey.generate(.p256)
        let signed = try await ModelSigner().sign(model: dir.path, key: key)
        try AtomicFile.write(try signed.bundle.jsonData(), to: dir.path + "/model.sig")

        let big = Array(#"{"__metadata__":{"license":"apache-2.0","x":""#.utf8) + [UInt8](repeating: 0x61, count: 10 << 20)
            + Array(#""},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        _ = dir.write("model.safetensors", safetensors(big))
        let counter = BoundedFile.ReadCounter()
        let report = try await BoundedFile.$readCounter.withValue(counter) {
            try await ModelVerifier(policy: .init(strict: true)).verify(model: dir.path, trust: .publicKey(key.publicKey))
        }
        #expect(report.failures.map(\.kind) == [.sizeMismatch])
        #expect(counter.bytes < 1 << 16, "\(counter.bytes) bytes parsed")
    }
}

extension LibraryTests {
    @Test("a signature verification would refuse for its size is refused before hashing, naming the size that fits")
    func oversizedSignatureRefused() async throws {
        let dir = TempDir()
        let path = dir.write("big.bin", [1])
        #expect(truncate(path, 13 << 30) == 0)  // sparse: nothing is read before the refusal
        let key = SigningKey.generate(.p256)
        let error = await #expect(throws: WeightSealError.self) {
            _ = try await ModelSigner(options: .init(chunkSize: 4096)).sign(model: dir.path, key: key)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("the smallest chunk size that fits is 8192 bytes") == true, "\(error?.message ?? "")")
        let oms = await #expect(throws: WeightSealError.self) {
            _ = try await ModelSigner(options: .init(format: .oms, shardSize: 4096)).sign(model: dir.path, key: key)
        }
        #expect(oms?.message.contains("shard size") == true)
        // The estimate is an upper bound of what is written: a real signature stays below it.
        let small = TempDir()
        _ = small.write("w.bin", pattern(300_000, seed: 1))
        let signed = try await ModelSigner(options: .init(chunkSize: 4096)).sign(model: small.path, key: key)
        let listed = try ManifestBuilder().listFiles(root: small.path)
        #expect(UInt64(try signed.bundle.jsonData().count) < ModelSigner.estimatedSignatureBytes(files: listed.files, pieceSize: 4096))
    }
}
