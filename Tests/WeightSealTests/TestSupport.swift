import Foundation
import Testing
@testable import WeightSeal

/// A temporary folder removed when the value goes away.
final class TempDir {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ws-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ rel: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(rel) }

    @discardableResult
    func write(_ rel: String, _ bytes: [UInt8]) -> String {
        let u = url(rel)
        try? FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: u.path, contents: Data(bytes))
        return u.path
    }

    @discardableResult
    func write(_ rel: String, _ text: String) -> String { write(rel, Array(text.utf8)) }

    func read(_ rel: String) -> [UInt8] { Array((try? Data(contentsOf: url(rel))) ?? Data()) }

    func remove(_ rel: String) { try? FileManager.default.removeItem(at: url(rel)) }

    func symlink(_ rel: String, to target: String) {
        try? FileManager.default.createDirectory(at: url(rel).deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(atPath: url(rel).path, withDestinationPath: target)
    }

    /// Copies this folder's tree to a new temporary folder.
    func copy() -> TempDir {
        let other = TempDir()
        try? FileManager.default.removeItem(atPath: other.path)
        try? FileManager.default.copyItem(atPath: path, toPath: other.path)
        return other
    }
}

/// `count` bytes of a deterministic pattern.
func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7 &+ ($0 >> 8)) % 251) }
}

/// The repository root (tests find vectors by path, as swift-crypto's do).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real models fetched by scripts/fetch-real-models.sh, if present.
let realModelsFolder: URL = {
    if let env = ProcessInfo.processInfo.environment["WEIGHTSEAL_MODELS"] { return URL(fileURLWithPath: env) }
    return repositoryRoot.appendingPathComponent(".cache/models")
}()

extension ManifestBuilder {
    static func small(chunkSize: UInt64 = 4096) -> ManifestBuilder {
        var b = ManifestBuilder()
        b.chunkSize = chunkSize
        b.jobs = 2
        return b
    }
}

/// Signs nothing: the manifest itself stands for a verified signed reference.
func reference(of dir: TempDir, builder: ManifestBuilder = .small()) async throws -> (ModelManifest, Reference) {
    let (m, _) = try await builder.build(root: dir.path)
    return (m, m.reference(label: "test", isSigned: true))
}

func findings(_ r: VerificationReport, _ kind: Finding.Kind) -> [Finding] {
    r.findings.filter { $0.kind == kind && $0.severity == .failure }
}
