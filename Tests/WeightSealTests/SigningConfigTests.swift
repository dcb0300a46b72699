import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("Sigstore signing config, identity tokens and timestamp requests")
struct SigningConfigTests {
    static let t2026 = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("the embedded public-good signing config names Sigstore's services")
    func publicGood() throws {
        let c = SigningConfig.publicGood
        let ca = try SigningConfig.select(c.certificateAuthorities, versions: [1], selector: .any, at: Self.t2026, kind: "CA")
        #expect(ca.map(\.url) == ["https://fulcio.sigstore.dev"])
        let logs = try SigningConfig.select(c.transparencyLogs, versions: [1, 2], selector: c.transparencyLogSelector,
                                            at: Self.t2026, kind: "log")
        #expect(logs.map(\.url) == ["https://rekor.sigstore.dev"])
        #expect(logs.first?.majorAPIVersion == 1)
        #expect(c.timestampAuthorities.map(\.url) == ["https://timestamp.sigstore.dev/api/v1/timestamp"])
        #expect(SigningConfig.staging.certificateAuthorities.first?.url.contains("sigstage.dev") == true)
        #expect(TrustedRoot.staging.transparencyLogs.contains { $0.baseURL.contains("sigstage.dev") })
    }

    static func config(_ tlogs: String, selector: String = #"{"selector": "ANY"}"#) -> [UInt8] {
        Array("""
        {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
         "caUrls": [{"url": "https://ca.test", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}}],
         "rekorTlogUrls": \(tlogs), "rekorTlogConfig": \(selector)}
        """.utf8)
    }

    @Test("selection: valid now, supported version, highest version first, then listed order; EXACT prefers operators")
    func selection() throws {
        let c = try SigningConfig.parse(Self.config("""
            [{"url": "https://old.test", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}, "operator": "a"},
             {"url": "https://v1a.test", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "a"},
             {"url": "https://v1b.test", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "b"},
             {"url": "https://v2.test", "majorApiVersion": 2, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "a"},
             {"url": "https://v9.test", "majorApiVersion": 9, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "c"},
             {"url": "https://future.test", "majorApiVersion": 2, "validFor": {"start": "2099-01-01T00:00:00Z"}, "operator": "d"}]
            """, selector: #"{"selector": "EXACT", "count": 2}"#), label: "t")
        #expect(c.transparencyLogSelector == .exact(2))
        let any = try SigningConfig.select(c.transparencyLogs, versions: [1, 2], selector: .any, at: Self.t2026, kind: "log")
        #expect(any.map(\.url) == ["https://v2.test"])
        let v1 = try SigningConfig.select(c.transparencyLogs, versions: [1], selector: .all, at: Self.t2026, kind: "log")
        #expect(v1.map(\.url) == ["https://v1a.test", "https://v1b.test"])
        let exact = try SigningConfig.select(c.transparencyLogs, versions: [1, 2], selector: .exact(2), at: Self.t2026, kind: "log")
        #expect(exact.map(\.url) == ["https://v2.test", "https://v1b.test"])
        #expect(throws: WeightSealError(.malformedTrustRoot, "")) {
            try SigningConfig.select(c.transparencyLogs, versions: [3], selector: .any, at: Self.t2026, kind: "log")
        }
    }

    @Test("malformed configs are refused naming the field", arguments: [
        (#"{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json"}"#, "unsupported signing config mediaType"),
        (String(decoding: config(#"[{"url": "https://x", "majorApiVersion": 1}]"#), as: UTF8.self), "rekorTlogUrls[0].validFor has no \"start\""),
        (String(decoding: config(#"[{"majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}}]"#), as: UTF8.self), "rekorTlogUrls[0] has no \"url\""),
        (String(decoding: config("[]", selector: #"{"selector": "SOME"}"#), as: UTF8.self), "unknown selector"),
        (String(decoding: config("[]", selector: #"{"selector": "EXACT"}"#), as: UTF8.self), "needs a \"count\""),
    ])
    func malformed(_ text: String, _ reason: String) {
        do {
            _ = try SigningConfig.parse(Array(text.utf8), label: "cfg.json")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == .malformedTrustRoot)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test("a ClientTrustConfig's signingConfig is read")
    func clientTrustConfig() throws {
        let inner = String(decoding: Self.config("[]"), as: UTF8.self)
        let text = #"{"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json", "signingConfig": "# + inner + "}"
        let c = try SigningConfig.parse(Array(text.utf8), label: "t")
        #expect(c.certificateAuthorities.map(\.url) == ["https://ca.test"])
    }

    static func jwt(_ claims: String) -> String {
        func b64url(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return b64url(#"{"alg":"ES256"}"#) + "." + b64url(claims) + ".c2ln"
    }

    @Test("identity tokens: claims read, proof subject is the email else sub, expiry and audience refused early")
    func identityTokens() throws {
        let t = try IdentityToken(Self.jwt(#"{"iss":"https://issuer.test","sub":"42","email":"a@b.test","aud":"sigstore","exp":1780000100}"#))
        #expect(t.issuer == "https://issuer.test")
        #expect(t.proofSubject == "a@b.test")
        #expect(t.expiry == Date(timeIntervalSince1970: 1_780_000_100))
        try t.checkUsable(at: Self.t2026)
        do {
            try t.checkUsable(at: Self.t2026.addingTimeInterval(200))
            Issue.record("an expired token was usable")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("expired at 2026-05-28T20:28:20Z"), "\(error.message)")
        }
        let gh = try IdentityToken(Self.jwt(#"{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/tags/v1","aud":["other"]}"#))
        #expect(gh.proofSubject == "repo:o/r:ref:refs/tags/v1")
        #expect(throws: WeightSealError(.invalidArgument, "")) { try gh.checkUsable(at: Self.t2026) }
        for bad in ["", "a.b", "x.eyJ9.y", Self.jwt(#"{"sub":"1"}"#)] {
            #expect(throws: WeightSealError(.invalidArgument, "")) { try IdentityToken(bad) }
        }
    }

    @Test("a timestamp request is what openssl reads as one: SHA-256 imprint, our nonce, certificates asked for")
    func timestampRequestReadByOpenSSL() throws {
        let request = RFC3161TimeStampRequest(timestamping: Array("signature".utf8))
        // echo -n signature | sha256sum
        #expect(request.hashedMessage.hexString == "1a2fc26dc7ea5a2a4748b7cb2b1ef193d96ab2c99f93092f69e63075b28d1278")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("req.tsq")
        try Data(request.derEncoded).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "ts", "-query", "-in", file.path, "-text"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        guard (try? p.run()) != nil else { print("skipped: no openssl"); return }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("Hash Algorithm: sha256"))
        #expect(text.contains("Certificate required: yes"))
        // openssl prints the imprint as spaced hex pairs and the nonce as 0x + hex.
        #expect(text.contains("1a 2f c2 6d c7 ea 5a 2a"), "\(text)")
        #expect(text.uppercased().contains("NONCE: 0X" + request.nonce.hexString.uppercased()), "\(text)")
    }
}
