import Foundation
@testable import WeightSeal

/// Paths to the OMS vectors shipped in manifests/testvectors/oms (found via #filePath, not Bundle.module).
enum OMSVectors {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let root = repoRoot.appendingPathComponent("manifests/testvectors/oms")
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }
    static func bundle(_ relative: String) throws -> SigstoreBundle {
        try SigstoreBundle.parse(try bytes(relative), label: relative)
    }
    static func key() throws -> PublicKey { try PublicKey.load(file: path("keys/key.pub")) }
}

extension BundleVerdict {
    var isVerified: Bool { if case .verified = self { return true } else { return false } }
    var findings: [Finding] {
        switch self {
        case .verified(let v): return v.notes
        case .rejected(let f): return f
        }
    }
    var payload: VerifiedPayload? { if case .verified(let v) = self { return v } else { return nil } }
}

/// The WeightSealError `body` throws, or nil when it does not throw one.
func caughtError(_ body: () throws -> Void) -> WeightSealError? {
    do {
        try body()
        return nil
    } catch let e as WeightSealError {
        return e
    } catch {
        return nil
    }
}
