import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// `count` bytes of a deterministic pattern.
func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7 &+ ($0 >> 8)) % 251) }
}

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

/// Expects `body` to throw a ``WeightSealError`` with `code` (and a message containing `text`).
func expectError(_ code: WeightSealError.Code, containing text: String? = nil,
                         _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code) error", sourceLocation: sourceLocation)
    } catch {
        guard let error = error as? WeightSealError else {
            Issue.record("expected WeightSealError, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        if let text { #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation) }
    }
}
