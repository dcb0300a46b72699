import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
import X509
@testable import WeightSeal

/// The whole offline flow of ``SigstoreVerifier`` on the sigstore-conformance vectors
/// (`manifests/testvectors/sigstore-conformance`), through the library API.
@Suite("Sigstore verifier")
struct SigstoreVerifierTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/testvectors/sigstore-conformance")
    static let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let issuer = "https://token.actions.githubusercontent.com"

    static func bytes(_ rel: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: root.appendingPathComponent(rel))) }
    static func contents(_ name: String) throws -> SigstoreBundle.Contents {
        try SigstoreBundle.Contents.parse(try bytes("bundle-verify/\(name)/bundle.sigstore.json"), label: name)
    }
    static func policy(_ san: CertificateIdentity.SubjectAlternativeName = .exact(identity), issuer: String = issuer,
                       now: Date? = nil) throws -> SigstorePolicy {
        SigstorePolicy(signer: .certificateIdentity(try CertificateIdentity(subjectAlternativeName: san, issuer: issuer)),
                       currentTime: now)
    }
    static var artifact: SigstoreArtifact { get throws { .bytes(try bytes("bundle-verify/a.txt")) } }

    @Test("the embedded public-good root is the trustedRoot of sigstore-python 4.5.1's ClientTrustConfig")
    func embeddedRoot() throws {
        let embedded = TrustedRoot.publicGood
        let config = try TrustedRoot.parse(try Self.bytes("sigstore-prod-client-trust-config.json"), label: "config")
        #expect(embedded.transparencyLogs.map(\.logID) == config.transparencyLogs.map(\.logID))
        #expect(embedded.transparencyLogs.map(\.baseURL) == ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"])
        #expect(embedded.transparencyLogs.map(\.publicKey.keyDetails) == ["PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519"])
        #expect(embedded.certificateAuthorities.count == 2)
        #expect(embedded.certificateTransparencyLogs.count == 2)
        #expect(embedded.timestampAuthorities.map(\.uri) == ["https://timestamp.sigstore.dev/api/v1/timestamp"])
        // Rekor v1's log ID is the SHA-256 of its key (RFC 6962 §3.2).
        #expect(embedded.transparencyLogs[0].logID == embedded.transparencyLogs[0].publicKey.keyID)
        #expect(embedded.transparencyLogs[0].logID.hexString == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d")
        #expect(TrustedRoot.publicGoodNewestStart == "2025-09-23T00:00:00Z")
    }

    @Test("a trusted root without a log key's validFor.start, or of an unknown media type, is refused")
    func malformedRoots() throws {
        let missingStart = try Self.bytes("bundle-verify/trust-root-tlog-missing-validity-start_fail/trusted_root.json")
        #expect(throws: WeightSealError(.malformedTrustRoot, "")) { try TrustedRoot.parse(missingStart, label: "r") }
        let other = Array(#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=9.9","tlogs":[]}"#.utf8)
        #expect(throws: WeightSealError(.malformedTrustRoot, "")) { try TrustedRoot.parse(other, label: "r") }
        let dup = Array(#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"tlogs":[]}"#.utf8)
        #expect(throws: WeightSealError(.malformedTrustRoot, "")) { try TrustedRoot.parse(dup, label: "r") }
    }

    @Test("happy-path-v0.3: verified, with the signer, issuer, log entry and integrated time it names")
    func happyPath() async throws {
        let result = await SigstoreVerifier.verify(try Self.contents("happy-path-v0.3"), artifact: try Self.artifact,
                                                   policy: try Self.policy())
        #expect(result.isVerified, "\(result.findings)")
        #expect(result.signer == Self.identity)
        #expect(result.issuer == Self.issuer)
        #expect(result.logEntries.map(\.logIndex) == [79571823])
        #expect(result.verifiedTimes == [VerifiedTime(time: Date(timeIntervalSince1970: 1710869186), source: "integratedTime",
                                                      authority: "https://rekor.sigstore.dev entry 79571823")])
    }

    @Test("the identity regexp must match a whole SAN; issuer and identity are compared exactly")
    func identityRules() async throws {
        let bundle = try Self.contents("happy-path-v0.3")
        let artifact = try Self.artifact
        let whole = await SigstoreVerifier.verify(bundle, artifact: artifact,
            policy: try Self.policy(.regularExpression(#"https://github\.com/sigstore-conformance/.*@refs/heads/main"#)))
        #expect(whole.isVerified, "\(whole.findings)")
        for san in [CertificateIdentity.SubjectAlternativeName.regularExpression("sigstore-conformance"),
                    .regularExpression("evil|sigstore-conformance"), .exact(Self.identity + "x"),
                    .exact(String(Self.identity.dropLast()))] {
            let r = await SigstoreVerifier.verify(bundle, artifact: artifact, policy: try Self.policy(san))
            #expect(r.findings.filter { $0.severity == .failure }.map(\.kind) == [.identityMismatch], "\(san)")
        }
        let wrongIssuer = await SigstoreVerifier.verify(bundle, artifact: artifact,
                                                        policy: try Self.policy(issuer: Self.issuer + "/"))
        #expect(wrongIssuer.findings.map(\.kind) == [.issuerMismatch])
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            _ = try CertificateIdentity(subjectAlternativeName: .regularExpression("("), issuer: "x")
        }
    }

    @Test("an integrated time after the verifier's clock is refused; material and policy must agree")
    func timeAndMaterial() async throws {
        let bundle = try Self.contents("happy-path-v0.3")
        let early = await SigstoreVerifier.verify(bundle, artifact: try Self.artifact,
                                                  policy: try Self.policy(now: Date(timeIntervalSince1970: 1710869186 - 60)))
        #expect(early.findings.map(\.kind).contains(.integratedTimeInvalid))
        #expect(early.findings.map(\.kind).contains(.noVerifiedTime))
        let key = try SigstorePublicKey(rawBytes: TrustedRoot.publicGood.transparencyLogs[0].publicKey.rawBytes)
        let keyPolicy = SigstorePolicy(signer: .key(key))
        let wrongMaterial = await SigstoreVerifier.verify(bundle, artifact: try Self.artifact, policy: keyPolicy)
        #expect(wrongMaterial.findings.map(\.kind) == [.keyMismatch])
    }

    @Test("a DSSE bundle: the artifact must be a subject of the Statement; the payload is returned for the caller")
    func dsseSubject() async throws {
        let bundle = try Self.contents("happy-path-intoto-in-dsse-v3")
        let good = await SigstoreVerifier.verify(bundle, artifact: try Self.artifact, policy: try Self.policy())
        #expect(good.isVerified, "\(good.findings)")
        #expect(good.payload?.type == "application/vnd.in-toto+json")
        let other = await SigstoreVerifier.verify(bundle, artifact: .bytes(Array("other".utf8)), policy: try Self.policy())
        #expect(other.findings.map(\.kind) == [.artifactMismatch])
        let caller = await SigstoreVerifier.verify(bundle, artifact: .payloadCheckedByCaller, policy: try Self.policy())
        #expect(caller.isVerified)
    }

    @Test("a DSSE envelope with two signatures is malformed (a bundle carries exactly one)")
    func twoSignatures() throws {
        var text = String(decoding: try Self.bytes("bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json"), as: UTF8.self)
        let range = try #require(text.range(of: #""signatures": [{"#))
        text.replaceSubrange(range, with: #""signatures": [{"sig": "MEUCIQ=="}, {"#)
        #expect(throws: WeightSealError(.malformedBundle, "")) { try SigstoreBundle.Contents.parse(Array(text.utf8), label: "x") }
    }

    static func withoutSignerNames(_ entry: TransparencyLogEntry) -> TransparencyLogEntry {
        var e = entry
        if let proof = e.inclusionProof {
            let lines = proof.checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
                guard line.hasPrefix("\u{2014} "), let space = line.dropFirst(2).firstIndex(of: " ") else { return line }
                return "\u{2014} " + line[space...]
            }
            e.inclusionProof?.checkpoint = lines.joined(separator: "\n")
        }
        return e
    }

    @Test("single-byte mutations of a keyless bundle never trap and never verify different content")
    func mutations() async throws {
        let original = try Self.bytes("bundle-verify/happy-path-v0.3/bundle.sigstore.json")
        let reference = try Self.contents("happy-path-v0.3")
        let artifact = try Self.artifact
        let policy = try Self.policy()
        var rng = SplitMix64(seed: 10)
        var verified = 0
        for _ in 0..<400 {
            var mutated = original
            let i = Int(rng.next() % UInt64(mutated.count))
            mutated[i] ^= UInt8(1 << (rng.next() % 8))
            guard let contents = try? SigstoreBundle.Contents.parse(mutated, label: "m") else { continue }
            let result = await SigstoreVerifier.verify(contents, artifact: artifact, policy: policy)
            guard result.isVerified else { continue }
            // Only an encoding-level change (base64 padding bits, an equivalent escape) may still verify.
            verified += 1
            #expect(contents.content.signature == reference.content.signature)
            // A Rekor v1 checkpoint's signature is found by key hint, as sigstore-go does: the signer name on the
            // signature line is not signed and not relied on, so only it may differ.
            #expect(contents.transparencyLogEntries.map(Self.withoutSignerNames) == reference.transparencyLogEntries.map(Self.withoutSignerNames))
            #expect(contents.signedTimestamps == reference.signedTimestamps)
        }
        #expect(verified < 40)
    }

    @Test("a Fulcio leaf must not be a CA and must list codeSigning in a well-formed extended key usage")
    func fulcioLeafRules() throws {
        typealias C = TestPKI
        let ca = try C.name("ca")
        func leaf(_ extensions: [Certificate.Extension]) throws -> Certificate {
            try C.certificate(subject: try C.name("leaf"), key: try C.key(2), issuer: ca, issuerKey: try C.key(1),
                              extensions: extensions, serial: 7)
        }
        let codeSigning = try Certificate.Extension(try ExtendedKeyUsage([.codeSigning]), critical: false)
        #expect(SigstoreVerifier.fulcioLeafProblem(try leaf([codeSigning])) == nil)
        #expect(SigstoreVerifier.fulcioLeafProblem(try leaf([]))?.contains("no extended key usage") == true)
        let tls = try Certificate.Extension(try ExtendedKeyUsage([.serverAuth]), critical: false)
        #expect(SigstoreVerifier.fulcioLeafProblem(try leaf([tls]))?.contains("does not list codeSigning") == true)
        let garbage = Certificate.Extension(oid: .X509ExtensionID.extendedKeyUsage, critical: false, value: [0x30, 0x03, 0x02, 0x01])
        #expect(SigstoreVerifier.fulcioLeafProblem(try leaf([garbage]))?.contains("malformed") == true)
        let isCA = try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true)
        #expect(SigstoreVerifier.fulcioLeafProblem(try leaf([isCA, codeSigning]))?.contains("CA certificate") == true)
    }

    @Test("bounded: a bundle with a million values is refused before it costs memory; BOM and digest hints are named")
    func bounds() throws {
        var text = String(decoding: try Self.bytes("bundle-verify/happy-path-v0.3/bundle.sigstore.json"), as: UTF8.self)
        let big = text.dropLast(text.hasSuffix("\n") ? 2 : 1) + ", \"x\": [" + String(repeating: "[],", count: 1_000_000) + "[]]}"
        let error = try #require(caughtError { _ = try SigstoreBundle.Contents.parse(Array(big.utf8), label: "big") })
        #expect(error.code == .limitExceeded)
        #expect(error.message.contains("more than 100000 values"))
        let bom = [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        #expect(caughtError { _ = try SigstoreBundle.Contents.parse(bom, label: "b") }?.message.contains("byte-order mark") == true)
        text = text.replacingOccurrences(of: #""algorithm": "SHA2_256""#, with: #""algorithm": "SHA2_512""#)
        let hint = try #require(caughtError { _ = try SigstoreBundle.Contents.parse(Array(text.utf8), label: "h") })
        #expect(hint.code == .malformedBundle)
        #expect(hint.message.contains("SHA2_256"))
    }

    @Test("no transparency-log entry: logEntryMissing")
    func noEntries() async throws {
        var bundle = try Self.contents("happy-path-v0.3")
        bundle.transparencyLogEntries = []
        let result = await SigstoreVerifier.verify(bundle, artifact: try Self.artifact, policy: try Self.policy())
        #expect(result.findings.map(\.kind) == [.logEntryMissing, .noVerifiedTime])
    }
}
