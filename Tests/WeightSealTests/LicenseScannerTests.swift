import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// Builders for license test folders: model cards, tiny GGUF v3 and safetensors files.
enum LicenseFixtures {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A fresh temporary folder holding `files` (relative path → bytes).
    static func folder(_ files: [String: [UInt8]]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weightseal-license-\(UUID().uuidString)")
        for (path, bytes) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func scan(_ files: [String: [UInt8]]) throws -> LicenseScan {
        let dir = try folder(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        return LicenseScanner.scan(root: dir.path, paths: Array(files.keys))
    }

    enum GGUFValue {
        case string(String), uint32(UInt32), float32Array([Float]), stringArray([String]), bool(Bool)
    }

    /// A GGUF v3 file (little-endian) with no tensors and the given metadata, as in the ggml GGUF spec.
    static func gguf(_ kvs: [(String, GGUFValue)], version: UInt32 = 3) -> [UInt8] {
        var out = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        u32(version)
        u64(0)
        u64(UInt64(kvs.count))
        for (key, value) in kvs {
            str(key)
            switch value {
            case .string(let s): u32(8); str(s)
            case .uint32(let v): u32(4); u32(v)
            case .bool(let b): u32(7); out.append(b ? 1 : 0)
            case .float32Array(let fs): u32(9); u32(6); u64(UInt64(fs.count)); for f in fs { u32(f.bitPattern) }
            case .stringArray(let ss): u32(9); u32(8); u64(UInt64(ss.count)); for s in ss { str(s) }
            }
        }
        return out
    }

    /// A safetensors file with one 4-byte F32 tensor and the given `__metadata__`.
    static func safetensors(metadata: [String: String]) throws -> [UInt8] {
        var header: [String: Any] = ["w": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]]]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        return out + [UInt8](json) + [0, 0, 128, 63]
    }

    static func card(_ frontMatter: String, body: String = "# Model\n") -> [UInt8] {
        text("---\n\(frontMatter)\n---\n\(body)")
    }
}

@Suite("License scanner")
struct LicenseScannerTests {
    typealias F = LicenseFixtures

    @Test func realMiniLMCardReadsAsApache() throws {
        let card = try Data(contentsOf: F.repoRoot.appendingPathComponent("manifests/testvectors/licenses/all-MiniLM-L6-v2.README.md"))
        let scan = try F.scan(["README.md": [UInt8](card), "config.json": F.text("{}")])
        #expect(scan.declarations == [LicenseDeclaration(path: "README.md", field: "license", value: "apache-2.0")])
        #expect(scan.notes.isEmpty)
        let record = try LicenseResolver.resolve(scan: scan, publisherChoice: nil)
        #expect(record.expression == "Apache-2.0")
        #expect(record.chosenBy == nil)
    }

    static var realModels: URL? {
        let candidates = [ProcessInfo.processInfo.environment["WEIGHTSEAL_REAL_MODELS"].map { URL(fileURLWithPath: $0) },
                          F.repoRoot.appendingPathComponent(".cache/models")].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("SmolLM2-135M-Instruct-GGUF").path) }
    }

    /// The real SmolLM2 GGUF, when `scripts/fetch-real-models.sh` has fetched it.
    @Test(.enabled(if: LicenseScannerTests.realModels != nil))
    func realSmolLM2GGUF() throws {
        let dir = try #require(Self.realModels).appendingPathComponent("SmolLM2-135M-Instruct-GGUF")
        let scan = LicenseScanner.scan(root: dir.path, paths: ["SmolLM2-135M-Instruct.Q4_1.gguf"])
        #expect(scan.declarations == [LicenseDeclaration(path: "SmolLM2-135M-Instruct.Q4_1.gguf", field: "general.license", value: "apache-2.0")])
        #expect(try LicenseResolver.resolve(scan: scan, publisherChoice: nil).expression == "Apache-2.0")
    }

    /// The whole real MiniLM folder (card + 90 MB safetensors): only the card declares, nothing is unreadable.
    @Test(.enabled(if: LicenseScannerTests.realModels != nil))
    func realMiniLMFolder() throws {
        let dir = try #require(Self.realModels).appendingPathComponent("all-MiniLM-L6-v2")
        let listing = try ModelFolder.list(root: dir.path, options: .init(ignorePaths: ManifestBuilder.defaultIgnorePaths, symlinks: .reject))
        let scan = LicenseScanner.scan(files: listing.files)
        #expect(scan.notes.isEmpty)
        #expect(scan.declarations == [LicenseDeclaration(path: "README.md", field: "license", value: "apache-2.0")])
        let (record, _) = try LicenseResolver.resolve(files: listing.files, publisherChoice: nil)
        #expect(record.expression == "Apache-2.0")
    }

    @Test func ggufGeneralLicense() throws {
        let gguf = F.gguf([
            ("general.architecture", .string("llama")),
            ("general.file_type", .uint32(3)),
            ("tokenizer.ggml.tokens", .stringArray(["<s>", "</s>", "hello", String(repeating: "x", count: 3000)])),
            ("tokenizer.ggml.scores", .float32Array([0, -1, -2.5])),
            ("general.license", .string("apache-2.0")),
            ("general.license.name", .string("Apache License 2.0")),
            ("general.license.link", .string("https://huggingface.co/acme/m/blob/main/LICENSE")),
            ("general.flag", .bool(true)),
        ])
        let scan = try F.scan(["model.gguf": gguf, "LICENSE": F.text("Apache License\nVersion 2.0, January 2004\n")])
        #expect(scan.notes.isEmpty)
        #expect(scan.declarations == [
            .init(path: "model.gguf", field: "general.license", value: "apache-2.0"),
            .init(path: "model.gguf", field: "general.license.name", value: "Apache License 2.0"),
            .init(path: "model.gguf", field: "general.license.link", value: "https://huggingface.co/acme/m/blob/main/LICENSE"),
        ])
        #expect(scan.files == ["LICENSE"])
        #expect(scan.recognizedTexts["LICENSE"] == "Apache-2.0")
        #expect(scan.linkTargets == ["LICENSE": true])
        #expect(try LicenseResolver.resolve(scan: scan, publisherChoice: nil)
                == LicenseRecord(expression: "Apache-2.0", declarations: scan.declarations, files: ["LICENSE"]))
    }

    @Test func ggufVersion2AndBigEndianAreRead() throws {
        let v2 = F.gguf([("general.license", .string("mit"))], version: 2)
        #expect(try F.scan(["a.gguf": v2]).declarations.map(\.value) == ["mit"])
    }

    @Test func hostileGGUFHeadersAreNotesNotCrashes() throws {
        var huge = F.gguf([("general.license", .string("mit"))])
        // Claim a 2^63-byte key: must be refused by the bound, not allocated.
        huge.replaceSubrange(24..<32, with: [0, 0, 0, 0, 0, 0, 0, 0x80])
        var manyKVs = F.gguf([])
        manyKVs.replaceSubrange(16..<24, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        var arrayBomb = F.gguf([("a", .float32Array([1]))])
        // Array count 2^62 float32s: overflow-checked skip past the end of the file.
        let countAt = arrayBomb.count - 4 - 8
        arrayBomb.replaceSubrange(countAt..<(countAt + 8), with: [0, 0, 0, 0, 0, 0, 0, 0x40])
        let truncated = Array(F.gguf([("general.license", .string("apache-2.0"))]).dropLast(3))
        let scan = try F.scan(["huge.gguf": huge, "many.gguf": manyKVs, "bomb.gguf": arrayBomb, "cut.gguf": truncated,
                               "notgguf.gguf": F.text("hello world, not gguf"), "empty.gguf": []])
        #expect(scan.declarations.isEmpty)
        #expect(Set(scan.notes.map(\.path)) == ["huge.gguf", "many.gguf", "bomb.gguf", "cut.gguf", "notgguf.gguf", "empty.gguf"])
        #expect(scan.notes.allSatisfy { $0.kind == .licenseUnreadable && $0.severity == .warning })
    }

    /// The license readers use the format parsers' results (one parser per format): a repeated GGUF license key is
    /// an ambiguity, not two declarations joined with AND; a non-string license value is named by its GGUF type; the
    /// license scope reads no tensor infos, so a tensor count inspection refuses does not hide the license.
    @Test func ggufThroughTheFormatsParser() throws {
        let twice = F.gguf([("general.license", .string("mit")), ("general.architecture", .string("llama")),
                            ("general.license", .string("llama3"))])
        let number = F.gguf([("general.license", .uint32(3))])
        var manyTensors = F.gguf([("general.license", .string("apache-2.0"))])
        manyTensors.replaceSubrange(8..<16, with: [0, 0, 0, 0, 0, 1, 0, 0])  // 2^40 tensor infos claimed
        let scan = try F.scan(["twice.gguf": twice, "number.gguf": number, "tensors.gguf": manyTensors])
        #expect(scan.declarations == [.init(path: "tensors.gguf", field: "general.license", value: "apache-2.0")])
        #expect(scan.ambiguities == [LicenseAmbiguity(path: "twice.gguf", field: "general.license", values: ["\"mit\"", "\"llama3\""],
                                                      reason: "the metadata repeats the key")])
        #expect(scan.notes.map(\.message) == ["\"number.gguf\": general.license holds a value of GGUF type UINT32, not a string"])
        #expect(throws: WeightSealError(.licenseAmbiguous, "")) { try LicenseResolver.resolve(scan: scan, publisherChoice: "mit") }
        let dir = try F.folder(["tensors.gguf": manyTensors])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(FormatInspector.inspectFile(root: dir.path, path: "tensors.gguf").findings.map(\.kind) == [.formatLimitExceeded])
    }

    @Test func safetensorsMetadata() throws {
        let st = try F.safetensors(metadata: ["license": "mit", "modelspec.license": "MIT", "format": "pt"])
        let scan = try F.scan(["model.safetensors": st, "plain.safetensors": try F.safetensors(metadata: [:])])
        #expect(scan.declarations == [
            .init(path: "model.safetensors", field: "__metadata__.license", value: "mit"),
            .init(path: "model.safetensors", field: "__metadata__.modelspec.license", value: "MIT"),
        ])
        #expect(try LicenseResolver.resolve(scan: scan, publisherChoice: nil).expression == "MIT")
        var bad = st
        bad.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        let badScan = try F.scan(["bad.safetensors": bad])
        #expect(badScan.notes.map(\.kind) == [.licenseUnreadable])
    }

    @Test func cardLicenseListAndKeys() throws {
        let scan = try F.scan(["README.md": F.card("""
            license:
              - mit
              - apache-2.0
            license_link: LICENSE.md
            license_url: https://example.invalid/LICENSE
            tags: [a]
            """)])
        #expect(scan.declarations == [
            .init(path: "README.md", field: "license", value: "mit"),
            .init(path: "README.md", field: "license", value: "apache-2.0"),
            .init(path: "README.md", field: "license_link", value: "LICENSE.md"),
        ])
        #expect(scan.unknownKeys == [.init(path: "README.md", field: "license_url", value: "https://example.invalid/LICENSE")])
        #expect(scan.linkTargets == ["LICENSE.md": false])
        #expect(try LicenseResolver.resolve(scan: scan, publisherChoice: nil).expression == "MIT AND Apache-2.0")
    }

    @Test func cardWithoutFrontMatterCRLFAndBOM() throws {
        #expect(try F.scan(["README.md": F.text("# just a title\nlicense: mit\n")]).declarations.isEmpty)
        let crlf = try F.scan(["README.md": F.text("\u{FEFF}---\r\nlicense: cc-by-4.0\r\n---\r\nbody\r\n")])
        #expect(crlf.declarations == [.init(path: "README.md", field: "license", value: "cc-by-4.0")])
        let broken = try F.scan(["README.md": F.card("license: [mit")])
        #expect(broken.notes.map(\.kind) == [.licenseUnreadable])
    }

    @Test func yamlAliasBombIsNotExpanded() throws {
        var yaml = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
        var prev = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]\n"
            prev = name
        }
        yaml += "license: mit"
        let scan = try F.scan(["README.md": F.card(yaml)])
        #expect(scan.declarations == [.init(path: "README.md", field: "license", value: "mit")])
    }

    @Test func licenseFilesAreListedAtAnyDepth() throws {
        let scan = try F.scan(["LICENSE": F.text("MIT License\n\nPermission is hereby granted, free of charge, to any person"),
                               "USE_POLICY.md": F.text("policy"), "original/LICENSE.txt": F.text("x"),
                               "licensed.json": F.text("{}"), "weights/model.bin": [1]])
        #expect(scan.files == ["LICENSE", "USE_POLICY.md", "original/LICENSE.txt"])
        #expect(scan.recognizedTexts["LICENSE"] == "MIT")
    }

    @Test func linkTargets() {
        #expect(LicenseScanner.linkTarget("LICENSE.md") == "LICENSE.md")
        #expect(LicenseScanner.linkTarget("./LICENSE.md") == "LICENSE.md")
        #expect(LicenseScanner.linkTarget("https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/LICENSE") == "LICENSE")
        #expect(LicenseScanner.linkTarget("https://huggingface.co/org/m/resolve/abc123/docs/LICENSE%20v2.txt") == "docs/LICENSE v2.txt")
        #expect(LicenseScanner.linkTarget("https://example.invalid/LICENSE") == nil)
        #expect(LicenseScanner.linkTarget("../LICENSE") == nil)
    }

    @Test func proseMentions() {
        #expect(LicenseTextRecognizer.mentions(inProse: "The weights are released under CC BY-NC 4.0; code is Apache 2.0.")
                == ["CC-BY-NC-4.0", "Apache-2.0"])
        #expect(LicenseTextRecognizer.mentions(inProse: "Licensed CC-BY-NC-SA-4.0 and the MIT License.") == ["CC-BY-NC-SA-4.0", "MIT"])
        #expect(LicenseTextRecognizer.mentions(inProse: "no licenses here, cc me by email") == [])
    }
}

@Suite("LicenseScanner: which files are opened")
struct LicenseCandidateTests {
    @Test("the byte-level name filter agrees with the lower-cased rule the scan applies, for ASCII and other names")
    func candidateFilterAgreesWithTheRule() {
        let names = ["LICENSE", "License.txt", "licence-MODEL", "COPYING", "USE_POLICY.md", "a/b/LICENSE_1", "model.GGUF",
                     "x/w.SafeTensors", "licensed.json", "config.json", "LICENSES", "d000/f0001", "safetensors", ".gguf",
                     "L\u{130}CENSE", "\u{FF2C}\u{FF29}\u{FF23}\u{FF25}\u{FF2E}\u{FF33}\u{FF25}", "caf\u{E9}/LICENSE", "lic", ""]
        let expected: Set<String> = ["LICENSE", "License.txt", "licence-MODEL", "COPYING", "USE_POLICY.md", "a/b/LICENSE_1",
                                     "model.GGUF", "x/w.SafeTensors", ".gguf", "caf\u{E9}/LICENSE"]
        for path in names {
            let lower = (path.split(separator: "/").last.map(String.init) ?? path).lowercased()
            let rule = lower.hasSuffix(".gguf") || lower.hasSuffix(".safetensors") || LicenseScanner.isLicenseFileName(lower)
            #expect(LicenseScanner.mayDeclareLicense(path) == rule, "\(path)")
            #expect(LicenseScanner.mayDeclareLicense(path) == expected.contains(path), "\(path)")
        }
    }
}
