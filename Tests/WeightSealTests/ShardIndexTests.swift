import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite struct ShardIndexTests {
    static func shard(_ names: [String]) -> [UInt8] {
        let entries = names.enumerated().map { i, n in SafetensorsTests.tensor(n, "F32", [2], i * 8, i * 8 + 8) }
        return SafetensorsTests.file(entries, data: names.count * 8)
    }

    static func index(_ map: [(String, String)], totalSize: Int? = nil) -> String {
        let wm = map.map { #""\#($0.0)":"\#($0.1)""# }.joined(separator: ",")
        let meta = totalSize.map { #""metadata":{"total_size":\#($0)},"# } ?? ""
        return "{\(meta)\"weight_map\":{\(wm)}}"
    }

    func build(_ fx: FormatFixture, index: String, shards: [String: [String]], dir: String = "") -> [String] {
        let prefix = dir.isEmpty ? "" : dir + "/"
        fx.write(prefix + "model.safetensors.index.json", index)
        for (name, tensors) in shards { fx.write(prefix + name, Self.shard(tensors)) }
        return [prefix + "model.safetensors.index.json"] + shards.keys.sorted().map { prefix + $0 }
    }

    static let a = "model-00001-of-00002.safetensors"
    static let b = "model-00002-of-00002.safetensors"

    @Test("a consistent index: no findings, tensor count from the weight map, total_size checked")
    func consistent() {
        let fx = FormatFixture()
        let paths = build(fx, index: Self.index([("x", Self.a), ("y", Self.a), ("z", Self.b)], totalSize: 24),
                          shards: [Self.a: ["x", "y"], Self.b: ["z"]], dir: "sub")
        let r = fx.inspect(paths)
        #expect(r.findings.isEmpty)
        #expect(r.files[0].format == .shardIndex)
        #expect(r.files[0].tensorCount == 3)
    }

    @Test("a shard listed in the weight map but absent is reported per shard")
    func missingShard() {
        let fx = FormatFixture()
        let paths = build(fx, index: Self.index([("x", Self.a), ("z", Self.b)]), shards: [Self.a: ["x"]])
        let f = fx.inspect(paths).files[0].findings
        #expect(f.map(\.kind) == [.splitSetIncomplete])
        #expect(f.first?.path == Self.b)
        #expect(f.first?.message == "shard \"\(Self.b)\" listed in \"model.safetensors.index.json\" for 1 tensors is missing")
    }

    @Test("weight map and shard headers disagree: missing, extra, misplaced and duplicated tensors")
    func mismatches() {
        let fx = FormatFixture()
        let paths = build(fx, index: Self.index([("x", Self.a), ("ghost", Self.a), ("z", Self.a)], totalSize: 1),
                          shards: [Self.a: ["x", "extra"], Self.b: ["z", "x"]])
        let f = fx.inspect(paths).files[0].findings
        let messages = f.map(\.message)
        #expect(messages.contains("weight_map puts tensor \"ghost\" in \"\(Self.a)\", whose header lacks it"))
        #expect(messages.contains("weight_map puts tensor \"z\" in \"\(Self.a)\", whose header lacks it"))
        #expect(messages.contains("tensor \"extra\" in \"\(Self.a)\" is not in the weight_map"))
        #expect(f.of(.shardIndexMismatch).count == 3)
        // Shard b is not referenced by the weight map, so its tensors are not compared; total_size is a note.
        #expect(f.of(.formatNote).first?.message == "metadata.total_size is 1 bytes but the shards' tensors span 16 bytes")
    }

    @Test("a tensor in two referenced shards, and one mapped to the other shard")
    func duplicates() {
        let fx = FormatFixture()
        let paths = build(fx, index: Self.index([("x", Self.a), ("z", Self.b)]), shards: [Self.a: ["x", "z"], Self.b: ["z"]])
        let messages = fx.inspect(paths).files[0].findings.map(\.message)
        #expect(messages.contains("tensor \"z\" is in \"\(Self.a)\" but the weight_map puts it in \"\(Self.b)\""))
        #expect(messages.contains("tensor \"z\" is in both \"\(Self.a)\" and \"\(Self.b)\""))
    }

    @Test("shard names that escape the folder, and malformed index files")
    func malformed() {
        let fx = FormatFixture()
        fx.write("model.safetensors.index.json", Self.index([("x", "../outside.safetensors")]))
        let f = fx.inspect(["model.safetensors.index.json"]).files[0].findings
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message == "weight_map names shard \"../outside.safetensors\": '..' component")
        fx.write("a.safetensors.index.json", #"{"metadata":{}}"#)
        #expect(fx.inspect(["a.safetensors.index.json"]).files[0].findings.first?.message == "invalid shard index: no weight_map object")
        fx.write("b.safetensors.index.json", "{")
        #expect(fx.inspect(["b.safetensors.index.json"]).files[0].findings.first?.kind == .formatInvalid)
    }

    @Test("pytorch_model.bin.index.json: shards must exist (pickle shards have no header to compare)")
    func binIndex() {
        let fx = FormatFixture()
        fx.write("pytorch_model.bin.index.json", Self.index([("x", "pytorch_model-00001-of-00002.bin"), ("y", "pytorch_model-00002-of-00002.bin")]))
        fx.write("pytorch_model-00001-of-00002.bin", FormatFixture.f17Pickle)
        let r = fx.inspect(["pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin"])
        #expect(r.files[0].findings.map(\.kind) == [.splitSetIncomplete])
        #expect(r.files[0].findings.first?.path == "pytorch_model-00002-of-00002.bin")
    }
}
