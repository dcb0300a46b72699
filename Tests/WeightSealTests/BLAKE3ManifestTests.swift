import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// Manifests whose file and chunk digests are BLAKE3 (`serialization.hashAlgorithm` `blake3`).
@Suite("Manifest v1 with BLAKE3")
struct BLAKE3ManifestTests {
    static func builder(chunkSize: UInt64 = 4096) -> ManifestBuilder {
        var b = ManifestBuilder.small(chunkSize: chunkSize)
        b.hashAlgorithm = .blake3
        return b
    }

    @Test("Roots: the leaf holds the BLAKE3 hex, the tree stays SHA-256 (docs/formats/manifest-v1.md)")
    func roots() async throws {
        let one = TempDir()
        one.write("a", "hello\n")
        let (m, _) = try await Self.builder().build(root: one.path)
        #expect(m.serialization.hashAlgorithm == "blake3")
        #expect(m.files[0].algorithm == .blake3)
        #expect(m.files[0].digest == "8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99")
        #expect(m.files[0].sha256 == nil)
        #expect(m.root == "73ec9df343c4b9c185a25464bc6f6a98a0dcc7129e443142db2d1125d51ad390")
        let two = TempDir()
        two.write("a", "hello\n")
        two.write("b/c", "world\n")
        #expect(try await Self.builder().build(root: two.path).0.root == "91eac18b55b1fdac8d4bca16b5468829521088c571cb92e953a910e4cc1aa91e")
        let big = TempDir()
        big.write("big", (0..<10000).map { UInt8($0 % 251) })
        let (b, _) = try await Self.builder().build(root: big.path)
        // The first chunk is the 4096-byte official vector.
        #expect(b.files[0].chunks == ["015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969",
                                      "535cf151d8b1d9c63d5ae6a37ef7771ccd6ac6d3582d4a76e3ff433e9daaf1cd",
                                      "bdf815c482acce739d3c4f29cc1fa04db2b9185b5dfa869b48310f5fdf917c81"])
        #expect(b.root == "7a4665dd19ae3113bf10359bf5594663766a091b0ab7b66626ea705c91a81c40")
    }

    @Test("The signed serialization names the algorithm; subjects and files carry blake3 digests; it parses back")
    func statementRoundTrip() async throws {
        let dir = TempDir()
        dir.write("a", "hello\n")
        dir.write("big", (0..<10000).map { UInt8($0 % 251) })
        let (m, _) = try await Self.builder().build(root: dir.path)
        let payload = try m.statementJSON()
        let json = String(decoding: payload, as: UTF8.self)
        #expect(json.contains(#""subject":[{"digest":{"blake3":"8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99"},"name":"a"}"#))
        #expect(json.contains(#""hashAlgorithm":"blake3""#))
        #expect(json.contains(#"{"blake3":"8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99","path":"a","size":6}"#))
        #expect(!json.contains("sha256"))
        let (parsed, findings) = try ModelManifest.parseStatement(payload, label: "t")
        #expect(findings.isEmpty)
        #expect(parsed == m)
        let ref = parsed.reference(label: "t", isSigned: true)
        #expect(ref.files.first { $0.path == "a" }?.check == .blake3([UInt8](hexString: m.files[0].digest) ?? []))
        guard case .ranges(let ranges, _)? = ref.files.first(where: { $0.path == "big" })?.check else {
            Issue.record("big has no ranges")
            return
        }
        #expect(ranges.map(\.algorithm) == [.blake3, .blake3, .blake3])
    }

    @Test("A digest of the other algorithm, both digests, or a sha256 subject are refused")
    func mixedAlgorithms() async throws {
        let dir = TempDir()
        dir.write("a", "hello\n")
        let (m, _) = try await Self.builder().build(root: dir.path)
        let payload = String(decoding: try m.statementJSON(), as: UTF8.self)
        // A sha256 member in a blake3 manifest.
        let mixed = payload.replacingOccurrences(of: #"{"blake3":"8e4c"#, with: #"{"sha256":"8e4c"#)
        expectError(.malformedManifest, containing: "has a sha256 digest in a blake3 manifest") {
            _ = try ModelManifest.parseStatement(Array(mixed.utf8), label: "t")
        }
        let both = payload.replacingOccurrences(of: #""path":"a""#, with: #""path":"a","sha256":"00""#)
        expectError(.malformedManifest, containing: "both a sha256 and a blake3 digest") {
            _ = try ModelManifest.parseStatement(Array(both.utf8), label: "t")
        }
        // The subject keyed sha256 does not give the file's blake3 digest: the subjects disagree with the files (G04).
        let subject = payload.replacingOccurrences(of: #"{"digest":{"blake3""#, with: #"{"digest":{"sha256""#)
        expectError(.malformedManifest, containing: "Statement subjects disagree with the manifest") {
            _ = try ModelManifest.parseStatement(Array(subject.utf8), label: "t")
        }
        expectError(.unsupportedAlgorithm, containing: "hash algorithm blake2b is not supported") {
            _ = try ModelManifest.parseStatement(statementPayload(paths: ["a"], algorithm: "blake2b"), label: "t")
        }
    }

    @Test("Verify: a clean copy passes; one flipped byte names the chunk with BLAKE3 digests")
    func verify() async throws {
        let dir = TempDir()
        var bytes = (0..<10000).map { UInt8($0 % 251) }
        dir.write("big", bytes)
        dir.write("small.json", "{}")
        let (_, ref) = try await reference(of: dir, builder: Self.builder())
        #expect(try await ModelVerifier().verify(root: dir.path, reference: ref).verdict == .verified)
        bytes[4096 + 5] ^= 1
        dir.write("big", bytes)
        dir.write("small.json", "[]")
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .rejected)
        let big = try #require(findings(report, .digestMismatch).first { $0.path == "big" })
        #expect(big.chunks == [1])
        #expect(big.expected == "535cf151d8b1d9c63d5ae6a37ef7771ccd6ac6d3582d4a76e3ff433e9daaf1cd")
        #expect(big.actual == BLAKE3.hash(Array(bytes[4096..<8192])).hexString)
        let small = try #require(findings(report, .digestMismatch).first { $0.path == "small.json" })
        #expect(small.message.hasPrefix("BLAKE3 differs"))
        #expect(small.actual == BLAKE3.hash(Array("[]".utf8)).hexString)
    }
}

@Suite("Manifest schema and algorithms")
struct ManifestSchemaAlgorithmTests {
    @Test("The schema names every hash algorithm and both digest members")
    func schema() throws {
        let url = OMSVectors.repoRoot.appendingPathComponent("manifests/schemas/manifest-v1.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let props = schema["properties"] as? [String: Any]
        let serialization = (props?["serialization"] as? [String: Any])?["properties"] as? [String: Any]
        let algorithms = (serialization?["hashAlgorithm"] as? [String: Any])?["enum"] as? [String]
        #expect(algorithms == HashAlgorithm.allCases.map(\.rawValue))
        let items = (props?["files"] as? [String: Any])?["items"] as? [String: Any]
        let fileProps = items?["properties"] as? [String: Any] ?? [:]
        for a in HashAlgorithm.allCases { #expect(fileProps[a.rawValue] != nil, "files[].\(a.rawValue)") }
    }
}
