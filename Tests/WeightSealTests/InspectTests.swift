import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small files built by the format tests in a fresh temporary folder.
final class FormatFixture {
    let root: String

    init() {
        root = NSTemporaryDirectory() + "weightseal-formats-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    @discardableResult
    func write(_ path: String, _ bytes: [UInt8]) -> String {
        let full = root + "/" + path
        if let slash = full.lastIndex(of: "/") {
            try? FileManager.default.createDirectory(atPath: String(full[..<slash]), withIntermediateDirectories: true)
        }
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        return full
    }

    func write(_ path: String, _ text: String) { write(path, Array(text.utf8)) }

    func inspect(_ paths: [String]) -> InspectionReport { FormatInspector.inspect(root: root, paths: paths) }
    func inspect(_ path: String) -> FileInspection { FormatInspector.inspectFile(root: root, path: path) }

    /// A tiny safetensors: 8-byte LE length, JSON header padded with spaces to a multiple of 8, data.
    static func safetensors(_ header: String, data: [UInt8]) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return le64(UInt64(h.count)) + h + data
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    /// The FIELD-CASES F17 50-byte protocol-2 pickle: GLOBAL builtins print, 'VERIFIER-LOADED!', TUPLE1, REDUCE, STOP.
    static let f17Pickle: [UInt8] = [0x80, 0x02] + Array("cbuiltins\nprint\n".utf8) + [0x71, 0x00, 0x58, 0x10, 0, 0, 0]
        + Array("VERIFIER-LOADED!".utf8) + [0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2E]

    /// A zip with the given entries, stored (method 0) unless `deflatedNames` lists them (then flagged as method 8).
    static func zip(_ entries: [(String, [UInt8])], deflatedNames: Set<String> = [], zip64: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in entries {
            let offset = UInt32(out.count)
            let method: UInt16 = deflatedNames.contains(name) ? 8 : 0
            let crc = crc32(data)
            let n = Array(name.utf8)
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(n.count)) + le16(0) + n + data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(n.count)) + le16(0) + le16(0)
                + le16(0) + le16(0) + le32(0) + le32(offset) + n
        }
        let cdOffset = UInt32(out.count)
        out += central
        if zip64 {
            // ZIP64 end record + locator, and a classic end record whose fields say "see ZIP64".
            let recordAt = UInt64(out.count)
            out += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
                + le64(UInt64(entries.count)) + le64(UInt64(entries.count)) + le64(UInt64(central.count)) + le64(UInt64(cdOffset))
            out += le32(0x0706_4B50) + le32(0) + le64(recordAt) + le32(1)
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
            return out
        }
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
            + le32(UInt32(central.count)) + le32(cdOffset) + le16(0)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}

extension Array where Element == Finding {
    func of(_ kind: Finding.Kind) -> [Finding] { filter { $0.kind == kind } }
}

@Suite struct InspectTests {
    @Test("F03: LFS pointer, Entry not found and an HTML page are placeholders, not parsed as their formats")
    func f03Placeholders() throws {
        let fx = FormatFixture()
        let digest = [UInt8](repeating: 0xAB, count: 32)
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(digest.hexString)\nsize 65600\n"
        fx.write("model.safetensors", pointer)
        fx.write("pytorch_model.bin", "Entry not found")
        fx.write("tokenizer.json", "<!DOCTYPE html>\n<html><body>Error</body></html>\n")
        let report = fx.inspect(["model.safetensors", "pytorch_model.bin", "tokenizer.json"])
        #expect(report.files.map(\.format) == [.placeholder, .placeholder, .placeholder])
        #expect(report.files.map(\.placeholder) == ["gitLFSPointer", "errorBody", "html"])
        #expect(report.findings.map(\.kind) == [.placeholder, .placeholder, .placeholder])
        #expect(report.findings.allSatisfy { $0.severity == .failure })
        #expect(report.findings.of(.formatInvalid).isEmpty)
        #expect(report.summary == InspectionReport.Summary(files: 3, failures: 3, warnings: 0, notes: 0))
        #expect(report.hasProblems)
    }

    @Test("F03: with the reference's entries, an LFS pointer is 'content not fetched' or 'a different object'")
    func f03PointerAgainstReference() {
        let fx = FormatFixture()
        let digest = [UInt8](repeating: 0xAB, count: 32)
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(digest.hexString)\nsize 65600\n"
        fx.write("a.safetensors", pointer)
        fx.write("b.safetensors", pointer)
        let expected = [ExpectedFile(path: "a.safetensors", size: 65600, check: .sha256(digest)),
                        ExpectedFile(path: "b.safetensors", size: 65600, check: .sha256([UInt8](repeating: 1, count: 32)))]
        let r = FormatInspector.inspect(root: fx.root, paths: ["a.safetensors", "b.safetensors"], expected: expected)
        #expect(r.findings.map(\.message) == ["Git LFS pointer to the expected object: content not fetched",
                                              "Git LFS pointer to a different object than the reference expects"])
        #expect(r.findings[1].expected == "sha256:\([UInt8](repeating: 1, count: 32).hexString) (65600 bytes)")
        #expect(r.findings[1].actual == "sha256:\(digest.hexString) (65600 bytes)")
        #expect(r.summary.failures == 2)
    }

    @Test("a clean folder has no problems; the report encodes to JSON with the schema id and decodes back")
    func cleanFolderAndJSON() throws {
        let fx = FormatFixture()
        fx.write("model.safetensors", FormatFixture.safetensors(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 1, count: 16)))
        fx.write("config.json", #"{"model_type":"bert"}"#)
        fx.write("README.md", "# model\n")
        let report = fx.inspect(["README.md", "config.json", "model.safetensors"])
        #expect(!report.hasProblems)
        #expect(report.findings.isEmpty)
        #expect(report.files.map(\.format) == [.other, .other, .safetensors])
        #expect(report.files[2].tensorCount == 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? String == "https://weightseal.dev/schemas/inspect-report-v1.schema.json")
        #expect((object["files"] as? [Any])?.count == 3)
        let back = try JSONDecoder().decode(InspectionReport.self, from: data)
        #expect(back == report)
    }

    @Test("an unreadable path is a finding, not a crash")
    func missingFile() {
        let fx = FormatFixture()
        let f = fx.inspect("nope.safetensors")
        #expect(f.format == .unreadable)
        #expect(f.findings.map(\.kind) == [.unreadable])
    }

    @Test("an empty weight file is a placeholder; an empty __init__.py is not")
    func emptyFiles() {
        let fx = FormatFixture()
        fx.write("model.safetensors", [])
        fx.write("__init__.py", [])
        let r = fx.inspect(["model.safetensors", "__init__.py"])
        #expect(r.files[0].placeholder == "empty")
        #expect(r.files[0].findings.map(\.kind) == [.placeholder])
        #expect(r.files[1].findings.isEmpty)
    }

    @Test("GGUF content in a .safetensors file is an extension mismatch and is parsed as GGUF")
    func ggufNamedSafetensors() {
        let fx = FormatFixture()
        fx.write("weights.safetensors", GGUFBuilder(kv: [("general.architecture", .string("llama"))]).bytes())
        let f = fx.inspect("weights.safetensors")
        #expect(f.format == .gguf)
        #expect(f.findings.map(\.kind) == [.extensionMismatch])
        #expect(f.findings.first?.actual == "GGUF")
        #expect(f.architecture == "llama")
    }
}


@Suite struct InspectMutationTests {
    /// Valid inputs of every format, mutated many ways: the inspector must never trap, hang or throw.
    @Test("mutated safetensors, GGUF, pickle and zip files never crash the inspector and stay fast")
    func mutations() {
        var gguf = GGUFBuilder(kv: [("general.architecture", .string("llama")), ("t", .stringArray(["a", "bb"])),
                                    ("n", .nestedArray([["x"]])), ("split.count", .u16(1))])
        gguf.tensors = [(name: "w", dims: [8], type: 0, offset: 0)]
        gguf.data = [UInt8](repeating: 0, count: 32)
        let seeds: [(String, [UInt8])] = [
            ("m.safetensors", SafetensorsTests.file([SafetensorsTests.tensor("a", "F32", [2], 0, 8), SafetensorsTests.tensor("b", "BF16", [0], 8, 8)],
                                                    metadata: #"{"k":"v"}"#, data: 8)),
            ("m.gguf", gguf.bytes()),
            ("m.bin", FormatFixture.f17Pickle),
            ("p5.pkl", PickleTests.hex("8005954d000000000000005d94288c0b636f6c6c656374696f6e73948c0b4f7264657265644469637494939496030000000000000078797a944302630a9447400c0000000000008a0d00000040eaed7446d09c2c9f0c652e")),
            ("model.pt", FormatFixture.zip([("archive/data.pkl", FormatFixture.f17Pickle), ("archive/version", [0x33])])),
            ("x.safetensors.index.json", Array(#"{"metadata":{"total_size":8},"weight_map":{"a":"m.safetensors"}}"#.utf8)),
        ]
        var rng = SplitMix64(seed: 0x5EA1)
        let fx = FormatFixture()
        fx.write("m.safetensors", seeds[0].1)
        let counter = BoundedFile.ReadCounter()
        var inspected: UInt64 = 0
        BoundedFile.$readCounter.withValue(counter) {
            for (name, seed) in seeds {
                for _ in 0..<60 {
                    var b = seed
                    switch rng.next() % 4 {
                    case 0:
                        for _ in 0...(rng.next() % 4) where !b.isEmpty { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                    case 1:
                        b = Array(b.prefix(Int(rng.next() % UInt64(b.count + 1))))
                    case 2:
                        let at = Int(rng.next() % UInt64(b.count + 1))
                        b.insert(contentsOf: [UInt8](repeating: 0xFF, count: Int(1 + rng.next() % 9)), at: at)
                    default:
                        if b.count >= 8 {
                            let at = Int(rng.next() % UInt64(b.count - 7))
                            for k in 0..<8 { b[at + k] = [0xFF, 0x7F, 0x00, 0x80][Int(rng.next() % 4)] }
                        }
                    }
                    let target = name.hasSuffix(".json") ? name : "mut-" + name
                    fx.write(target, b)
                    let r = fx.inspect([target, "m.safetensors"])
                    #expect(r.files.count == 2)
                    inspected &+= UInt64(b.count + seeds[0].1.count)
                }
            }
        }
        // Bounded work: no mutation makes the inspector read more than a small multiple of the bytes it was given
        // (counted, not timed).
        #expect(counter.bytes <= 8 * inspected, "\(counter.bytes) bytes read for \(inspected) bytes of input")
    }
}
