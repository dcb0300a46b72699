import Foundation
import WeightSealTestSupport
import Testing

@Suite("CLI: verify --strict")
struct StrictCLITests {
    /// F17's 50-byte protocol-2 pickle: GLOBAL builtins print, 'VERIFIER-LOADED!', TUPLE1, REDUCE, STOP.
    static let pickle: [UInt8] = [0x80, 0x02, 0x63] + Array("builtins\nprint\n".utf8) + [0x71, 0x00, 0x58, 0x10, 0x00, 0x00, 0x00]
        + Array("VERIFIER-LOADED!".utf8) + [0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2e]

    /// F13 (a): two tensors sharing one byte range.
    static func aliased() -> [UInt8] {
        var header = Array(#"{"k_proj.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"v_proj.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        out += header
        out += [UInt8](repeating: 1, count: 16)
        return out
    }

    @Test("Format problems change the verdict only under --strict (F13, F17)")
    func strict() throws {
        let s = TempDir()
        s.write("m/pytorch_model.bin", Self.pickle)
        s.write("m/weights.safetensors", Self.pickle)
        s.write("m/aliased.safetensors", Self.aliased())
        try run(["keygen", "-o", s.p("k")])
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        let plain = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(plain.status == 0)
        let strict = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--strict", "--json"])
        #expect(strict.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(strict.stdout.utf8)) as? [String: Any]
        let findings = (report?["findings"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "failure" }
        let byPath = Dictionary(grouping: findings, by: { $0["path"] as? String ?? "" }).mapValues { $0.compactMap { $0["kind"] as? String } }
        #expect(byPath["pytorch_model.bin"]?.contains("pickleImport") == true)
        #expect(byPath["weights.safetensors"]?.contains("extensionMismatch") == true)
        #expect(byPath["aliased.safetensors"]?.contains("formatInvalid") == true)
    }
}

@Suite("CLI: inspect license declarations")
struct InspectLicenseCLITests {
    @Test("inspect reads the real models' licenses: MiniLM card apache-2.0, SmolLM2 GGUF general.license",
          .enabled(if: FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(".cache/models/SmolLM2-135M-Instruct-GGUF").path)))
    func realModels() throws {
        for (folder, field) in [("all-MiniLM-L6-v2", "license"), ("SmolLM2-135M-Instruct-GGUF", "general.license")] {
            let r = try run(["inspect", repositoryRoot.appendingPathComponent(".cache/models/\(folder)").path, "--json"])
            #expect(r.status == 0)
            let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let license = report?["license"] as? [String: Any]
            #expect(license?["expression"] as? String == "Apache-2.0")
            let decls = license?["declarations"] as? [[String: Any]] ?? []
            #expect(decls.contains { $0["field"] as? String == field && $0["value"] as? String == "apache-2.0" })
        }
    }

    @Test("inspect reports disagreeing declarations and a license_url key (F16)")
    func conflicts() throws {
        let s = TempDir()
        s.write("m/README.md", "---\nlicense: other\nlicense_name: bloomchat-176b-license-v1.0\nlicense_url: https://example.invalid/LICENSE\n---\n")
        let r = try run(["inspect", s.p("m")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("license_url"))
    }
}
