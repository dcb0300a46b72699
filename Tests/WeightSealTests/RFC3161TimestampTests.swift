import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// RFC 3161 signed-timestamp verification against the sigstore-conformance `bundle-verify` vectors
/// (manifests/testvectors/sigstore-conformance, upstream sigstore/sigstore-conformance, Apache-2.0).
///
/// Expected times are the tokens' `genTime`, read with
/// `base64 -d | openssl ts -reply -in /dev/stdin -text` (the `signedTimestamp` is a whole `TimeStampResp`).
@Suite("RFC 3161 timestamps")
struct RFC3161TimestampTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let conformance = repoRoot.appendingPathComponent("manifests/testvectors/sigstore-conformance")
    static let vectors = conformance.appendingPathComponent("bundle-verify")
    static let publicGood = conformance.appendingPathComponent("sigstore-prod-client-trust-config.json").path

    struct Material {
        var token: [UInt8]
        var signature: [UInt8]
        var authorities: [TrustedRoot.CertificateAuthority]
    }

    /// The first `rfc3161Timestamps` token, the signature it covers, and the TSAs of the case's trust root.
    static func material(_ name: String, trustRoot: String? = nil) throws -> Material {
        let dir = vectors.appendingPathComponent(name)
        let data = try Data(contentsOf: dir.appendingPathComponent("bundle.sigstore.json"))
        let bundle = try SigstoreJSON.parseDocument(Array(data))
        let stamp = try #require(bundle["verificationMaterial"]?["timestampVerificationData"]?["rfc3161Timestamps"]?.array?.first)
        let token = try stamp.bytes("signedTimestamp", field: "rfc3161Timestamps[0]")
        let signature: [UInt8]
        if let message = bundle["messageSignature"] {
            signature = try message.bytes("signature", field: "messageSignature")
        } else {
            let dsse = try #require(bundle["dsseEnvelope"]?["signatures"]?.array?.first)
            signature = try dsse.bytes("sig", field: "dsseEnvelope.signatures[0]")
        }
        let root = try TrustedRoot.load(file: trustRoot ?? dir.appendingPathComponent("trusted_root.json").path)
        return Material(token: token, signature: signature, authorities: root.timestampAuthorities)
    }

    static func date(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text) ?? .distantPast
    }

    static func verify(_ m: Material, token: [UInt8]? = nil) async -> Result<VerifiedTimestamp, TimestampFailure> {
        await RFC3161TimestampVerifier.verify(token: token ?? m.token, signature: m.signature, authorities: m.authorities)
    }

    @Test("verifies and returns genTime", arguments: [
        ("rekor2-timestamp-with-embedded-cert", "2025-08-06T18:51:36Z", "https://timestamp.sigstage.dev/api/v1/timestamp"),
        ("rekor2-timestamp-without-embedded-cert", "2025-08-06T19:03:51Z", "https://timestamp.sigstage.dev/api/v1/timestamp"),
        ("rekor2-happy-path", "2025-06-12T12:02:20Z", "https://timestamp.sigstage.dev/api/v1/timestamp"),
        ("rekor2-dsse-happy-path", "2026-05-13T19:23:33Z", "https://timestamp.sigstage.dev/api/v1/timestamp"),
        ("intoto-with-custom-trust-root", "2023-02-01T00:00:00Z", "http://localhost:8000"),
        // The case fails on the Fulcio certificate's validity; its timestamp itself is valid.
        ("intoto-tsa-timestamp-outside-cert-validity_fail", "2023-02-02T00:00:00Z", "http://localhost:8000"),
    ])
    func verifies(name: String, genTime: String, authority: String) async throws {
        let m = try Self.material(name)
        let result = await Self.verify(m)
        #expect(result == .success(VerifiedTimestamp(time: Self.date(genTime), authority: authority)))
    }

    @Test("verifies with the public-good root")
    func publicGoodRoot() async throws {
        let m = try Self.material("managed-key-happy-path", trustRoot: Self.publicGood)
        let result = await Self.verify(m)
        #expect(result == .success(VerifiedTimestamp(time: Self.date("2025-12-18T17:04:39Z"),
                                                     authority: "https://timestamp.sigstore.dev/api/v1/timestamp")))
    }

    @Test("fails with the reason", arguments: [
        ("rekor2-timestamp-outside-trust-root-tsa-validity_fail", "timestamp outside TSA validity"),
        ("rekor2-timestamp-outside-tsa-cert-validity_fail", "timestamp outside certificate validity"),
        ("rekor2-timestamp-payload-mismatch_fail", "timestamp is not over this signature"),
        ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "timestamp not signed by a trusted TSA"),
    ])
    func fails(name: String, reason: String) async throws {
        let m = try Self.material(name)
        guard case .failure(let failure) = await Self.verify(m) else {
            Issue.record("\(name) verified")
            return
        }
        #expect(failure.message.hasPrefix(reason), "\(failure.message)")
    }

    @Test("a timestamp is not valid for another signature")
    func otherSignature() async throws {
        var m = try Self.material("rekor2-happy-path")
        m.signature[0] ^= 1
        guard case .failure(let failure) = await Self.verify(m) else { Issue.record("verified"); return }
        #expect(failure.message.hasPrefix("timestamp is not over this signature"))
    }

    @Test("no timestamp authority in the root")
    func noAuthority() async throws {
        var m = try Self.material("rekor2-happy-path")
        m.authorities = []
        guard case .failure(let failure) = await Self.verify(m) else { Issue.record("verified"); return }
        #expect(failure.message.hasPrefix("timestamp not signed by a trusted TSA"))
    }

    @Test("another case's root does not trust a TSA it does not list")
    func wrongRoot() async throws {
        var m = try Self.material("rekor2-happy-path")
        m.authorities = try Self.material("intoto-with-custom-trust-root").authorities
        guard case .failure(let failure) = await Self.verify(m) else { Issue.record("verified"); return }
        #expect(failure.message.hasPrefix("timestamp not signed by a trusted TSA"))
    }

    @Test("damaged tokens fail cleanly")
    func damaged() async throws {
        let m = try Self.material("rekor2-timestamp-with-embedded-cert")

        var flipped = m.token
        flipped[flipped.count - 1] ^= 0xFF  // inside the ECDSA signature
        guard case .failure(let f1) = await Self.verify(m, token: flipped) else { Issue.record("flipped verified"); return }
        #expect(f1.message.hasPrefix("timestamp signature invalid"), "\(f1.message)")

        guard case .failure(let f2) = await Self.verify(m, token: Array(m.token.dropLast(40))) else {
            Issue.record("truncated verified"); return
        }
        #expect(f2.message.hasPrefix("timestamp is malformed"), "\(f2.message)")

        guard case .failure(let f3) = await Self.verify(m, token: []) else { Issue.record("empty verified"); return }
        #expect(f3.message.hasPrefix("timestamp is malformed"))

        guard case .failure(let f4) = await Self.verify(m, token: [UInt8](repeating: 0x30, count: 64 * 1024 + 1)) else {
            Issue.record("oversized verified"); return
        }
        #expect(f4.message.contains("65536"))
    }

    @Test("10,000 nested SEQUENCEs fail without trapping")
    func deepNesting() async throws {
        let m = try Self.material("rekor2-happy-path")
        var lengths: [Int] = []
        var inner = 0
        for _ in 0..<10_000 {
            lengths.append(inner)
            inner += inner < 128 ? 2 : inner < 256 ? 3 : 4
        }
        var deep: [UInt8] = []
        for l in lengths.reversed() {
            if l < 128 { deep += [0x30, UInt8(l)] }
            else if l < 256 { deep += [0x30, 0x81, UInt8(l)] }
            else { deep += [0x30, 0x82, UInt8(l >> 8), UInt8(l & 0xFF)] }
        }
        guard case .failure(let failure) = await Self.verify(m, token: deep) else { Issue.record("verified"); return }
        #expect(failure.message.hasPrefix("timestamp is malformed"))
    }

    @Test("every truncation fails and no single-bit flip traps")
    func exhaustiveDamage() async throws {
        let m = try Self.material("rekor2-happy-path")
        for n in 0..<m.token.count {
            if case .success = await Self.verify(m, token: Array(m.token.prefix(n))) {
                Issue.record("truncation to \(n) bytes verified")
            }
        }
        for i in m.token.indices {
            var t = m.token
            t[i] ^= 0x01
            if case .success(let v) = await Self.verify(m, token: t) {
                // Only fields nothing signs may change this way, and never the time.
                #expect(v.time == Self.date("2025-06-12T12:02:20Z"), "flip at \(i) changed the time")
            }
        }
    }
}
