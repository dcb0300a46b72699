import Foundation
import WeightSealTestSupport
import Testing
import WeightSeal

/// Keyless signatures made by the real Python clients (model-signing 1.1.1, sigstore-python 4.5.1) against a local
/// Sigstore stack (`Tests/Servers/sigstore_stack.py`), verified offline by weightseal with the stack's trust config.
@Suite("CLI: keyless signatures from a local Sigstore stack", .enabled(if: SigstoreStack.available))
struct KeylessStackCLITests {
    /// A small model folder.
    static func model(in s: TempDir) -> String {
        s.write("m/config.json", "{\"architectures\": [\"Tiny\"]}")
        s.write("m/weights.dat", bytes(200_000, seed: 3))
        s.write("m/sub/tokenizer.json", "{\"version\": \"1.0\"}")
        return s.p("m")
    }

    /// Runs `body` with a fresh stack (started with `arguments`), a temporary folder and the small model in it; the
    /// stack is stopped after. Skips (returns) when the stack cannot start.
    static func withStack(_ arguments: [String] = [], _ body: (SigstoreStack, TempDir, String) throws -> Void) throws {
        guard let stack = try SigstoreStack.start(arguments) else { return }
        defer { stack.stop() }
        let s = TempDir()
        try body(stack, s, model(in: s))
    }

    /// `model_signing sign sigstore` against the stack; the signature's path.
    static func modelSign(_ model: String, stack: SigstoreStack, to signature: String) throws -> String {
        let r = try shell(pythonPeer + "/bin/model_signing", ["sign", "sigstore", model, "--signature", signature,
                                                             "--trust_config", stack.trustConfig,
                                                             "--identity_token", stack.token], timeout: 60)
        #expect(r.status == 0 && r.stdout.contains("Signing succeeded"), "model_signing sign: \(r.stdout)")
        return signature
    }

    /// `model_signing verify sigstore` of `signature` against the stack's identity and trust config: it must succeed.
    static func modelVerify(_ model: String, stack: SigstoreStack, signature: String) throws {
        let r = try shell(pythonPeer + "/bin/model_signing", [
            "verify", "sigstore", model, "--signature", signature, "--trust_config", stack.trustConfig,
            "--identity", stack.identity, "--identity_provider", stack.issuer], timeout: 60)
        #expect(r.stdout.contains("Verification succeeded"), "model_signing verify: \(r.stdout)")
    }

    static func verify(_ model: String, signature: String, identity: String, issuer: String,
                       trustConfig: String) throws -> (status: Int32, report: [String: Any], text: String) {
        let r = try run(["verify", model, "--signature", signature, "--certificate-identity", identity,
                         "--certificate-oidc-issuer", issuer, "--trust-config", trustConfig, "--json"])
        let report = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        return (r.status, report, r.stdout + r.stderr)
    }

    static func findingKinds(_ report: [String: Any]) -> [String] {
        (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
    }

    @Test("model_signing signs against the stack: the reference and weightseal both verify; the report names identity, issuer, log entry and times")
    func modelSigningVerifies() throws {
        try Self.withStack { stack, s, model in
            let sig = try Self.modelSign(model, stack: stack, to: s.p("m.sig"))
            try Self.modelVerify(model, stack: stack, signature: sig)

            let v = try Self.verify(model, signature: sig, identity: stack.identity, issuer: stack.issuer,
                                    trustConfig: stack.trustConfig)
            #expect(v.status == 0, "\(v.text)")
            #expect(v.report["verdict"] as? String == "verified")
            let ref = v.report["reference"] as? [String: Any] ?? [:]
            #expect(ref["kind"] as? String == "omsManifest")
            #expect(ref["signer"] as? String == "signer@weightseal.test")
            #expect(ref["issuer"] as? String == stack.issuer)
            let entries = ref["logEntries"] as? [[String: Any]] ?? []
            #expect(entries.count == 1)
            #expect(entries.first?["log"] as? String == stack.urls["rekor"])
            #expect(entries.first?["logIndex"] as? Int == 0)
            #expect(entries.first?["integratedTime"] is String)
            let times = ref["verifiedTimes"] as? [[String: Any]] ?? []
            #expect(times.compactMap { $0["source"] as? String }.sorted() == ["integratedTime", "rfc3161"])
            #expect(times.contains { $0["authority"] as? String == (stack.urls["tsa"] ?? "-") + "/api/v1/timestamp" })
        }
    }

    @Test("the same signature with another identity or issuer is rejected (exit 1) with identityMismatch / issuerMismatch")
    func wrongIdentity() throws {
        try Self.withStack { stack, s, model in
            let sig = try Self.modelSign(model, stack: stack, to: s.p("m.sig"))
            let identity = try Self.verify(model, signature: sig, identity: "mallory@weightseal.test", issuer: stack.issuer,
                                           trustConfig: stack.trustConfig)
            #expect(identity.status == 1, "\(identity.text)")
            #expect(Self.findingKinds(identity.report) == ["identityMismatch"])
            let issuer = try Self.verify(model, signature: sig, identity: stack.identity, issuer: "https://accounts.google.com",
                                         trustConfig: stack.trustConfig)
            #expect(issuer.status == 1, "\(issuer.text)")
            #expect(Self.findingKinds(issuer.report) == ["issuerMismatch"])
        }
    }

    @Test("another stack's trust config (other keys) rejects the signature: exit 1, unknown log, untrusted TSA, no verified time, unknown SCT issuer")
    func otherTrustConfig() throws {
        guard let stack = try SigstoreStack.start(), let other = try SigstoreStack.start() else { return }
        defer { stack.stop(); other.stop() }
        let s = TempDir()
        let model = Self.model(in: s)
        let sig = try Self.modelSign(model, stack: stack, to: s.p("m.sig"))
        let v = try Self.verify(model, signature: sig, identity: stack.identity, issuer: stack.issuer,
                                trustConfig: other.trustConfig)
        #expect(v.status == 1, "\(v.text)")
        let kinds = Set(Self.findingKinds(v.report))
        #expect(kinds.contains("unknownLog"))
        #expect(kinds.contains("timestampInvalid"))
        #expect(kinds.contains("noVerifiedTime"))
        #expect(kinds.contains("sctInvalid"))
    }

    @Test("GitHub-workflow identity and Rekor v2: the workflow URI verifies, the entry needs the TSA's time")
    func githubRekorV2() throws {
        guard let stack = try SigstoreStack.start(["--identity-kind", "github", "--rekor-v2"]) else { return }
        defer { stack.stop() }
        #expect(stack.identity == "https://github.com/weightseal-test/model/.github/workflows/release.yml@refs/tags/v1.0")
        let s = TempDir()
        let model = Self.model(in: s)
        let sig = try Self.modelSign(model, stack: stack, to: s.p("m.sig"))
        let bundle = (try? JSONSerialization.jsonObject(with: Data(s.read("m.sig")))) as? [String: Any]
        let entry = ((bundle?["verificationMaterial"] as? [String: Any])?["tlogEntries"] as? [[String: Any]])?.first
        #expect(entry?["kindVersion"] as? [String: String] == ["kind": "hashedrekord", "version": "0.0.2"])
        let v = try Self.verify(model, signature: sig, identity: stack.identity, issuer: stack.issuer,
                                trustConfig: stack.trustConfig)
        #expect(v.status == 0, "\(v.text)")
        let ref = v.report["reference"] as? [String: Any] ?? [:]
        #expect(ref["signer"] as? String == stack.identity)
        let entries = ref["logEntries"] as? [[String: Any]] ?? []
        #expect(entries.first?["log"] as? String == stack.urls["rekorV2"])
        #expect(entries.first?["integratedTime"] == nil)
        #expect((ref["verifiedTimes"] as? [[String: Any]])?.compactMap { $0["source"] as? String } == ["rfc3161"])
    }

    @Test("weightseal sign --sigstore against the stack (OMS format, Rekor v1): model_signing and weightseal verify it")
    func weightsealSignsKeyless() throws {
        try Self.withStack { stack, s, model in
            let sign = try run(["sign", model, "--format", "oms", "--sigstore", "--identity-token", stack.token,
                                "--trust-config", stack.trustConfig, "-o", s.p("m.sig")])
            #expect(sign.status == 0, "\(sign.stdout)\(sign.stderr)")
            try Self.modelVerify(model, stack: stack, signature: s.p("m.sig"))
            let v = try Self.verify(model, signature: s.p("m.sig"), identity: stack.identity, issuer: stack.issuer,
                                    trustConfig: stack.trustConfig)
            #expect(v.status == 0, "\(v.text)")
            #expect((v.report["reference"] as? [String: Any])?["signer"] as? String == stack.identity)
        }
    }

    @Test("weightseal signs its own format keyless; the summary names the identity, issuer and log entry; verify passes")
    func weightsealFormatKeyless() throws {
        try Self.withStack { stack, s, model in
            let sign = try run(["sign", model, "--sigstore", "--identity-token", stack.token, "--trust-config", stack.trustConfig,
                                "--json"])
            #expect(sign.status == 0, "\(sign.stdout)\(sign.stderr)")
            let summary = (try? JSONSerialization.jsonObject(with: Data(sign.stdout.utf8))) as? [String: Any] ?? [:]
            #expect(summary["signer"] as? String == stack.identity)
            #expect(summary["issuer"] as? String == stack.issuer)
            let entries = summary["logEntries"] as? [[String: Any]] ?? []
            #expect(entries.first?["log"] as? String == stack.urls["rekor"])
            #expect((summary["verifiedTimes"] as? [[String: Any]] ?? []).compactMap { $0["source"] as? String }.sorted()
                    == ["integratedTime", "rfc3161"])
            let bundle = (try? JSONSerialization.jsonObject(with: Data(s.read("m/model.sig")))) as? [String: Any] ?? [:]
            let material = bundle["verificationMaterial"] as? [String: Any] ?? [:]
            #expect(material["certificate"] != nil && material["x509CertificateChain"] == nil)
            #expect((material["tlogEntries"] as? [Any])?.count == 1)
            #expect(((material["timestampVerificationData"] as? [String: Any])?["rfc3161Timestamps"] as? [Any])?.count == 1)
            let v = try Self.verify(model, signature: s.p("m/model.sig"), identity: stack.identity, issuer: stack.issuer,
                                    trustConfig: stack.trustConfig)
            #expect(v.status == 0, "\(v.text)")
            #expect((v.report["reference"] as? [String: Any])?["kind"] as? String == "weightsealManifest")
        }
    }

    @Test("Rekor v2 and a GitHub Actions identity: weightseal logs a hashedrekord over the PAE; model_signing and weightseal verify")
    func weightsealSignsKeylessRekorV2() throws {
        try Self.withStack(["--rekor-v2", "--identity-kind", "github"]) { stack, s, model in
            let sign = try run(["sign", model, "--format", "oms", "--sigstore", "--trust-config", stack.trustConfig,
                                "-o", s.p("m.sig")], environment: ["SIGSTORE_ID_TOKEN": stack.token])
            #expect(sign.status == 0, "\(sign.stdout)\(sign.stderr)")
            let bundle = String(decoding: s.read("m.sig"), as: UTF8.self)
            #expect(bundle.contains("\"kind\" : \"hashedrekord\"") && bundle.contains("\"version\" : \"0.0.2\""), "\(bundle.prefix(400))")
            try Self.modelVerify(model, stack: stack, signature: s.p("m.sig"))
            let v = try Self.verify(model, signature: s.p("m.sig"), identity: stack.identity, issuer: stack.issuer,
                                    trustConfig: stack.trustConfig)
            #expect(v.status == 0, "\(v.text)")
            #expect(stack.identity.hasPrefix("https://github.com/"))
        }
    }

    @Test("an expired token is refused before hashing (exit 2, no signature); a token Fulcio does not trust is a service error")
    func refusedTokens() throws {
        guard let stack = try SigstoreStack.start(["--token-ttl", "-60"]) else { return }
        defer { stack.stop() }
        guard let other = try SigstoreStack.start() else { return }
        defer { other.stop() }
        let s = TempDir()
        let model = Self.model(in: s)
        let expired = try run(["sign", model, "--sigstore", "--identity-token", stack.token, "--trust-config", stack.trustConfig])
        #expect(expired.status == 2)
        #expect(expired.stderr.contains("expired at"), "\(expired.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.p("m/model.sig")))
        // The other stack's token is well formed and current, but signed by an issuer this Fulcio does not know.
        let foreign = try run(["sign", model, "--sigstore", "--identity-token", other.token, "--trust-config", stack.trustConfig])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("Fulcio at") && foreign.stderr.contains("refused the identity token") && foreign.stderr.contains("HTTP 401"),
                "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.p("m/model.sig")))
    }

    @Test("answers that do not verify against the trusted root are not written; a service that is down is a network error")
    func unverifiableOrUnreachable() throws {
        guard let stack = try SigstoreStack.start() else { return }
        defer { stack.stop() }
        guard let other = try SigstoreStack.start() else { return }
        defer { other.stop() }
        let s = TempDir()
        let model = Self.model(in: s)
        // This instance's services, another instance's trusted root: Fulcio's chain, the SCT and the log are unknown.
        var mixed = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stack.trustConfig)))) as? [String: Any] ?? [:]
        let otherConfig = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: other.trustConfig)))) as? [String: Any] ?? [:]
        mixed["trustedRoot"] = otherConfig["trustedRoot"]
        s.write("mixed.json", Array(try JSONSerialization.data(withJSONObject: mixed)))
        let r = try run(["sign", model, "--sigstore", "--identity-token", stack.token, "--trust-config", s.p("mixed.json")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("does not verify against") && r.stderr.contains("not written"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.p("m/model.sig")))

        // Rekor's URL replaced by a closed port: no answer after the retries.
        var broken = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stack.trustConfig)))) as? [String: Any] ?? [:]
        var signing = broken["signingConfig"] as? [String: Any] ?? [:]
        var logs = signing["rekorTlogUrls"] as? [[String: Any]] ?? []
        for i in logs.indices { logs[i]["url"] = "http://127.0.0.1:9" }
        signing["rekorTlogUrls"] = logs
        broken["signingConfig"] = signing
        s.write("down.json", Array(try JSONSerialization.data(withJSONObject: broken)))
        let d = try run(["sign", model, "--sigstore", "--identity-token", stack.token, "--trust-config", s.p("down.json")])
        #expect(d.status == 2)
        #expect(d.stderr.contains("Rekor at http://127.0.0.1:9") && d.stderr.contains("did not answer"), "\(d.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.p("m/model.sig")))
    }

    @Test("a Rekor v1 log that names its checkpoints by its server's hostname (rekor's default) verifies, as in sigstore-go")
    func rekorV1Hostname() throws {
        try Self.withStack(["--rekor-hostname", "rekor-server"]) { stack, s, model in
            let sig = try Self.modelSign(model, stack: stack, to: s.p("m.sig"))
            let bundle = String(decoding: s.read("m.sig"), as: UTF8.self)
            #expect(bundle.contains("rekor-server - "), "the stack did not use the hostname")
            let v = try Self.verify(model, signature: sig, identity: stack.identity, issuer: stack.issuer, trustConfig: stack.trustConfig)
            #expect(v.status == 0, "\(v.text)")
        }
    }

    @Test("without --trust-config, sign and verify use what `trust update` stored (signing config and trusted root)")
    func cachedInstance() throws {
        try Self.withStack { stack, s, model in
            let env = ["WEIGHTSEAL_CACHE_DIR": s.p("cache")]
            let cache = try #require(SigstoreTUF.cache(for: SigstoreTUF.production, environment: env))
            let config = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stack.trustConfig)))) as? [String: Any] ?? [:]
            try FileManager.default.createDirectory(atPath: cache.path("targets"), withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: config["signingConfig"] ?? [:])
                .write(to: URL(fileURLWithPath: cache.path("targets/" + SigstoreTUF.signingConfigTarget)))
            try JSONSerialization.data(withJSONObject: config["trustedRoot"] ?? [:])
                .write(to: URL(fileURLWithPath: cache.path("targets/" + SigstoreTUF.trustedRootTarget)))
            let sign = try run(["sign", model, "--sigstore", "--identity-token", stack.token], environment: env)
            #expect(sign.status == 0, "\(sign.stdout)\(sign.stderr)")
            #expect(sign.stdout.contains("logged: \(stack.urls["rekor"] ?? "-")"), "\(sign.stdout)")
            let v = try run(["verify", model, "--certificate-identity", stack.identity, "--certificate-oidc-issuer", stack.issuer],
                            environment: env)
            #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
            // Without the cache, the public-good root does not know this instance: a verdict, exit 1.
            let plain = try run(["verify", model, "--certificate-identity", stack.identity, "--certificate-oidc-issuer", stack.issuer],
                                environment: ["WEIGHTSEAL_CACHE_DIR": s.p("empty")])
            #expect(plain.status == 1, "\(plain.stdout)\(plain.stderr)")
        }
    }

    @Test("sigstore-python bundles from the stack (hashedrekord message signature, DSSE attestation) verify with verify-bundle")
    func sigstorePythonBundles() throws {
        guard let stack = try SigstoreStack.start() else { return }
        defer { stack.stop() }
        let s = TempDir()
        s.write("artifact.bin", bytes(4096, seed: 9))
        s.write("predicate.json", """
            {"buildDefinition": {"buildType": "https://weightseal.test/build", "externalParameters": {}},
             "runDetails": {"builder": {"id": "https://weightseal.test/builder"}}}
            """)
        let cli = pythonPeer + "/bin/sigstore"
        let sign = try shell(cli, ["--trust-config", stack.trustConfig, "sign", "--identity-token", stack.token,
                                   "--bundle", s.p("sign.json"), s.p("artifact.bin")], timeout: 60)
        #expect(sign.status == 0, "sigstore sign: \(sign.stdout)")
        let attest = try shell(cli, ["--trust-config", stack.trustConfig, "attest", "--identity-token", stack.token,
                                     "--predicate", s.p("predicate.json"), "--predicate-type", "https://slsa.dev/provenance/v1",
                                     "--bundle", s.p("attest.json"), s.p("artifact.bin")], timeout: 60)
        #expect(attest.status == 0, "sigstore attest: \(attest.stdout)")
        for (bundle, index) in [("sign.json", 0), ("attest.json", 1)] {
            let r = try run(["verify-bundle", "--bundle", s.p(bundle), "--certificate-identity", stack.identity,
                             "--certificate-oidc-issuer", stack.issuer, "--trust-config", stack.trustConfig, "--json",
                             s.p("artifact.bin")])
            #expect(r.status == 0, "\(bundle): \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("\"logIndex\" : \(index)") || r.stdout.contains("\"logIndex\":\(index)"), "\(r.stdout)")
        }
        // The artifact changed: the message signature no longer verifies, the attestation's subject no longer matches.
        s.write("artifact.bin", bytes(4096, seed: 10))
        for bundle in ["sign.json", "attest.json"] {
            let r = try run(["verify-bundle", "--bundle", s.p(bundle), "--certificate-identity", stack.identity,
                             "--certificate-oidc-issuer", stack.issuer, "--trust-config", stack.trustConfig,
                             s.p("artifact.bin")])
            #expect(r.status == 1, "\(bundle): \(r.stdout)\(r.stderr)")
        }
    }
}
