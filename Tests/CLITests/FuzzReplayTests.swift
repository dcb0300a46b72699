import Foundation
import WeightSealTestSupport
import Testing

/// Replays the fuzz seeds (the test vectors) and the regression corpus (`Tests/FuzzCorpus/TARGET`) through every fuzz
/// target of the built `Fuzz` binary: none may trap or fail to finish.
@Suite("Fuzz targets: seeds and regressions replay")
struct FuzzReplayTests {
    static let fuzzBinary = URL(fileURLWithPath: weightsealBinary).deletingLastPathComponent().appendingPathComponent("Fuzz").path

    static func files(_ dir: String, matching keep: (String) -> Bool = { _ in true }) -> [String] {
        let root = repositoryRoot.appendingPathComponent(dir).path
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        return e.compactMap { $0 as? String }.filter { !$0.hasSuffix(".keep") && !$0.hasSuffix("README.md") && keep($0) }
            .map { root + "/" + $0 }.filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
    }

    static let seeds: [String: [String]] = [
        "json": files("manifests/testvectors/oms/payloads") + files("manifests/testvectors/tuf", matching: { $0.hasSuffix(".json") }),
        "sigstore": files("manifests/testvectors/sigstore-conformance", matching: { $0.hasSuffix(".json") }),
        "bundle": files("manifests/testvectors/oms/sigs"),
        "manifest": files("manifests/testvectors/oms/payloads"),
        "oms": files("manifests/testvectors/oms/payloads"),
        "checksums": files("manifests/testvectors/checksum-files", matching: { $0.hasSuffix(".txt") }),
        "pem": files("manifests/testvectors/oms/pki", matching: { $0.hasSuffix(".pem") }),
        "model-card": files("manifests/testvectors/licenses", matching: { $0.hasSuffix(".md") }),
        "safetensors": files("manifests/testvectors/formats", matching: { $0.hasSuffix(".safetensors") }),
        "gguf": files("manifests/testvectors/formats", matching: { $0.hasSuffix(".gguf") }),
        "tuf": files("manifests/testvectors/tuf", matching: { $0.hasSuffix(".json") }),
    ]

    @Test("every target replays its seeds and regressions", arguments: ["json", "sigstore", "bundle", "manifest", "oms", "checksums",
        "hf-tree", "spdx", "pem", "pkcs11-uri", "signing-config", "tuf", "model-card", "safetensors", "gguf", "pickle", "zip"])
    func replay(target: String) throws {
        let inputs = (Self.seeds[target] ?? []) + Self.files("Tests/FuzzCorpus/\(target)")
        guard !inputs.isEmpty else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.fuzzBinary)
        p.arguments = [target] + inputs
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(target): exit \(p.terminationStatus)")
        #expect(text.contains("\(target): replayed \(inputs.count) inputs"), "\(text)")
    }
}
