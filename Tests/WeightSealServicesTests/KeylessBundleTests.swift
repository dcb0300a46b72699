import Foundation
import SwiftASN1
import Testing
import WeightSeal
import X509
@testable import WeightSealServices

/// The keyless signer's bundle assembly and final check, fed with what real Sigstore services returned: the
/// sigstore-conformance bundles (manifests/testvectors/sigstore-conformance, public-good Fulcio/Rekor/TSA answers).
@Suite("Keyless signing: bundle assembly from real service answers")
struct KeylessBundleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let cases = root + "/manifests/testvectors/sigstore-conformance/bundle-verify/"

    /// The parts a signer gets back from the services, taken out of a real bundle.
    struct Parts {
        var envelope: DSSEEnvelope
        var leaf: Certificate
        var entries: [TransparencyLogEntry]
        var timestamps: [[UInt8]]
        var trustedRoot: TrustedRoot
    }

    static func parts(_ name: String) throws -> Parts {
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: cases + name + "/bundle.sigstore.json")))
        let json = try StrictJSON.parseDocument(data)
        let material = try #require(json["verificationMaterial"])
        let leaf = try Certificate(derEncoded: try #require(material["certificate"]).bytes("rawBytes", field: "certificate"))
        let entries = try (material["tlogEntries"]?.array ?? []).enumerated().map {
            try TransparencyLogEntry.parse($0.element, field: "tlogEntries[\($0.offset)]")
        }
        let timestamps = try (material["timestampVerificationData"]?["rfc3161Timestamps"]?.array ?? []).map {
            try $0.bytes("signedTimestamp", field: "rfc3161Timestamps")
        }
        let contents = try SigstoreBundle.Contents.parse(data, label: name)
        guard case .dsse(let envelope) = contents.content else { throw WeightSealError(.malformedBundle, "\(name) is not DSSE") }
        let rootFile = cases + name + "/trusted_root.json"
        let trustedRoot = FileManager.default.fileExists(atPath: rootFile) ? try TrustedRoot.load(file: rootFile) : TrustedRoot.publicGood
        return Parts(envelope: envelope, leaf: leaf, entries: entries, timestamps: timestamps, trustedRoot: trustedRoot)
    }

    @Test("a Rekor v1 dsse entry and a Fulcio leaf make a bundle that verifies, naming the identity",
          arguments: ["happy-path-intoto-in-dsse-v3", "rekor2-dsse-happy-path"])
    func assembledBundleVerifies(_ name: String) async throws {
        let p = try Self.parts(name)
        let bundle = KeylessSigner.bundle(envelope: p.envelope, leaf: p.leaf, entries: p.entries, timestamps: p.timestamps)
        let signed = try await KeylessSigner.check(bundle, chain: [p.leaf], trustedRoot: p.trustedRoot)
        #expect(signed.verification.isVerified)
        #expect(signed.identity.subjectAlternativeNames.first == signed.verification.signer)
        #expect(signed.verification.logEntries.count == p.entries.count)
        #expect(bundle.mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json")
        // What is written is what was checked: the entries survive the JSON round trip byte for byte.
        let reread = try StrictJSON.parseDocument(try bundle.jsonData())
        let again = try (reread["verificationMaterial"]?["tlogEntries"]?.array ?? []).map { try TransparencyLogEntry.parse($0, field: "e") }
        #expect(again == p.entries)
    }

    @Test("a bundle that does not verify against the trusted root is refused with the reason, not returned")
    func wrongRootIsRefused() async throws {
        let p = try Self.parts("happy-path-intoto-in-dsse-v3")
        let other = try Self.parts("rekor2-dsse-happy-path").trustedRoot
        let bundle = KeylessSigner.bundle(envelope: p.envelope, leaf: p.leaf, entries: p.entries, timestamps: [])
        do {
            _ = try await KeylessSigner.check(bundle, chain: [p.leaf], trustedRoot: other)
            Issue.record("a bundle from another instance was accepted")
        } catch {
            #expect(error.code == .service)
            #expect(error.message.contains("does not verify"))
        }
    }

    @Test("a Rekor v1 answer (hex proof, base64 body) becomes the bundle's entry")
    func rekorV1Answer() throws {
        let p = try Self.parts("happy-path-intoto-in-dsse-v3")
        let e = try #require(p.entries.first)
        let proof = try #require(e.inclusionProof)
        // The answer real Rekor v1 gives for this entry, rebuilt from the bundle: the API's encodings differ.
        let answer: [String: Any] = ["24296fb24b8ad77a" + String(repeating: "0", count: 64): [
            "body": Data(e.canonicalizedBody).base64EncodedString(), "integratedTime": e.integratedTime,
            "logID": e.logID.hexString, "logIndex": e.logIndex,
            "verification": [
                "signedEntryTimestamp": Data(try #require(e.signedEntryTimestamp)).base64EncodedString(),
                "inclusionProof": ["checkpoint": proof.checkpoint, "hashes": proof.hashes.map(\.hexString),
                                   "logIndex": proof.logIndex, "rootHash": proof.rootHash.hexString, "treeSize": proof.treeSize],
            ],
        ]]
        let data = Array(try JSONSerialization.data(withJSONObject: answer))
        let parsed = try RekorClient.v1Entry(try StrictJSON.parseDocument(data))
        #expect(parsed == e)
        #expect(parsed.kind == "dsse" || parsed.kind == "intoto")
    }
}
