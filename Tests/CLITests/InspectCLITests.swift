import Foundation
import WeightSealTestSupport
import Testing

private var inspectBinary: String { weightsealBinary }

/// Runs `weightseal` with stdout captured to a file (no pipes to drain), with a time limit.
private func runInspect(_ args: [String]) throws -> (status: Int32, stdout: String) {
    let outPath = NSTemporaryDirectory() + "weightseal-inspect-out-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: inspectBinary)
    p.arguments = args
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(60)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { p.terminate(); Issue.record("weightseal \(args) did not finish within 60 s") }
    p.waitUntilExit()
    try out.close()
    let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    return (p.terminationStatus, text)
}

@Suite struct InspectCLITests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "weightseal-inspect-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes))
    }

    static func safetensors() -> [UInt8] {
        var h = Array(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + [UInt8](repeating: 0, count: 16)
    }

    @Test("a clean folder exits 0; symlinks are skipped")
    func clean() throws {
        write("model.safetensors", Self.safetensors())
        write("sub/config.json", Array(#"{"a":1}"#.utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.pt", withDestinationPath: "/etc/passwd")
        let r = try runInspect(["inspect", dir])
        #expect(r.status == 0)
        #expect(r.stdout.contains("ok  model.safetensors  (safetensors, 1 tensors, 80 bytes)"))
        #expect(r.stdout.contains("ok  sub/config.json"))
        #expect(!r.stdout.contains("link.pt"))
        #expect(r.stdout.hasSuffix("2 files: 0 failures, 0 warnings, 0 notes\n"))
    }

    @Test("F17 pickle and an F03 placeholder exit 1; --json is one document with the findings")
    func problems() throws {
        let pickle: [UInt8] = [0x80, 0x02] + Array("cbuiltins\nprint\n".utf8) + [0x71, 0x00, 0x58, 0x10, 0, 0, 0]
            + Array("VERIFIER-LOADED!".utf8) + [0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2E]
        write("pytorch_model.bin", pickle)
        write("tokenizer.json", Array("Entry not found".utf8))
        let human = try runInspect(["inspect", dir])
        #expect(human.status == 1)
        #expect(!human.stdout.contains("VERIFIER-LOADED!\n"))
        #expect(human.stdout.contains("failure pickleImport: pickle imports builtins.print"))
        let json = try runInspect(["inspect", dir, "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "https://weightseal.dev/schemas/inspect-report-v1.schema.json")
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["pytorch_model.bin", "tokenizer.json"])
        #expect(files.map { $0["format"] as? String } == ["pickle", "placeholder"])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["files": 2, "failures": 2, "warnings": 1, "notes": 0])
    }

    @Test("one file can be inspected; a missing path exits 2")
    func singleAndMissing() throws {
        write("model.safetensors", Self.safetensors())
        #expect(try runInspect(["inspect", dir + "/model.safetensors"]).status == 0)
        #expect(try runInspect(["inspect", dir + "/absent"]).status == 2)
    }
}
