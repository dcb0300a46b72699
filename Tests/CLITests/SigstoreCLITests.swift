import Foundation
import WeightSealTestSupport
import Testing

/// The sigstore-conformance bundle-verify cases (copied from ../shared/vectors/sigstore-conformance).
let conformanceRoot = repositoryRoot.appendingPathComponent("manifests/testvectors/sigstore-conformance/bundle-verify").path
let defaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
let defaultIssuer = "https://token.actions.githubusercontent.com"

/// The arguments the conformance suite passes to `verify-bundle` for one case (cli_protocol.md, verify part).
func conformanceArguments(_ name: String, digest: Bool = false) -> [String] {
    let dir = conformanceRoot + "/" + name
    let fm = FileManager.default
    func text(_ file: String) -> String? {
        (try? String(contentsOfFile: dir + "/" + file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var args = ["verify-bundle", "--bundle", dir + "/bundle.sigstore.json"]
    if fm.fileExists(atPath: dir + "/key.pub") {
        args += ["--key", dir + "/key.pub"]
    } else {
        args += ["--certificate-identity", text("identity") ?? defaultIdentity,
                 "--certificate-oidc-issuer", text("issuer") ?? defaultIssuer]
    }
    if fm.fileExists(atPath: dir + "/trusted_root.json") { args += ["--trusted-root", dir + "/trusted_root.json"] }
    let artifact = fm.fileExists(atPath: dir + "/artifact") ? dir + "/artifact" : conformanceRoot + "/a.txt"
    if digest, let data = fm.contents(atPath: artifact) {
        args.append("sha256:" + sha256Hex(Array(data)))
    } else {
        args.append(artifact)
    }
    return args
}

let conformanceCases: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: conformanceRoot)) ?? []
    return names.filter { FileManager.default.fileExists(atPath: conformanceRoot + "/" + $0 + "/bundle.sigstore.json") }.sorted()
}()

/// The finding kind (exit 1) or the error text (exit 2) each failing case must be rejected with: the first check that
/// fails, in the order of docs/sigstore.md.
let expectedRejection: [String: (status: Int32, says: String)] = [
    "bundle-empty-certificate-chain_fail": (2, "x509CertificateChain has no certificate"),
    "bundle-from-wrong-instance_fail": (1, "[unknownLog]"),
    "bundle-invalid-base64-signature_fail": (2, "messageSignature.signature is not base64"),
    "bundle-malformed-json_fail": (2, "unterminated string"),
    "bundle-unknown-version_fail": (2, "unsupported bundle mediaType"),
    "checkpoint-bad-keyhint_fail": (1, "[checkpointInvalid]"),
    "dsse-invalid-sig_fail": (1, "[logEntryMismatch]"),
    "dsse-mismatch-envelope_fail": (1, "[logEntryMismatch]"),
    "incorrect-public-key_fail": (1, "[logEntryMismatch]"),
    "intoto-expired-certificate_fail": (1, "[certificateInvalid]"),
    "intoto-log-entry-mismatch_fail": (1, "[logEntryMismatch]"),
    "intoto-missing-inclusion-proof_fail": (1, "[inclusionProofInvalid]"),
    "intoto-tsa-timestamp-outside-cert-validity_fail": (1, "[certificateInvalid]"),
    "invalid-checkpoint-signature_fail": (1, "[checkpointInvalid]"),
    "invalid-inclusion-proof_fail": (1, "[inclusionProofInvalid]"),
    "managed-key-no-key_fail": (1, "[certificateInvalid]"),
    "message-digest-mismatch_fail": (1, "[artifactMismatch]"),
    "rekor2-checkpoint-missing-log-signature_fail": (1, "[checkpointInvalid]"),
    "rekor2-checkpoint-missing-origin_fail": (1, "[checkpointInvalid]"),
    "rekor2-checkpoint-missing-root-hash_fail": (1, "[checkpointInvalid]"),
    "rekor2-checkpoint-missing-size_fail": (1, "[checkpointInvalid]"),
    "rekor2-checkpoint-no-matching-signature_fail": (1, "[checkpointInvalid]"),
    "rekor2-dsse-invalid-sig_fail": (1, "[logEntryMismatch]"),
    "rekor2-dsse-mismatch-envelope_fail": (1, "[logEntryMismatch]"),
    "rekor2-no-inclusion-proof_fail": (1, "[inclusionProofInvalid]"),
    "rekor2-no-timestamp_fail": (1, "[noVerifiedTime]"),
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": (1, "[timestampInvalid] RFC 3161 timestamp 1: timestamp outside TSA validity"),
    "rekor2-timestamp-outside-tsa-cert-validity_fail": (1, "[timestampInvalid] RFC 3161 timestamp 1: timestamp outside certificate validity"),
    "rekor2-timestamp-payload-mismatch_fail": (1, "[timestampInvalid] RFC 3161 timestamp 1: timestamp is not over this signature"),
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": (1, "[timestampInvalid] RFC 3161 timestamp 1: timestamp not signed by a trusted TSA"),
    "signature-mismatch_fail": (1, "[logEntryMismatch]"),
    "trust-root-tlog-missing-validity-start_fail": (2, "validFor has no \"start\""),
    "wrong-hashedrekord-artifact_fail": (1, "[logEntryMismatch]"),
    "wrong-hashedrekord-cert-and-sig_fail": (1, "[logEntryMismatch]"),
    "wrong-material_fail": (1, "[artifactMismatch]"),
]

@Suite("CLI: Sigstore bundles (keyless and managed key)")
struct SigstoreCLITests {
    @Test("Every sigstore-conformance bundle-verify case gives its expected verdict")
    func conformance() throws {
        #expect(conformanceCases.count == 50)
        var right = 0
        var wrong = [String]()
        for name in conformanceCases {
            let r = try run(conformanceArguments(name))
            let shouldFail = name.hasSuffix("_fail")
            let ok = shouldFail ? (r.status == 1 || r.status == 2) : r.status == 0
            if ok { right += 1 } else { wrong.append("\(name): exit \(r.status)\n\(r.stdout)\(r.stderr)") }
            if shouldFail {
                let expected = try #require(expectedRejection[name], "no expected rejection for \(name)")
                #expect(r.status == expected.status, "\(name)")
                #expect((expected.status == 1 ? r.stdout : r.stderr).contains(expected.says),
                        "\(name) should be rejected with \(expected.says): \(r.stdout)\(r.stderr)")
            }
        }
        print("sigstore-conformance bundle-verify: \(right)/\(conformanceCases.count) cases give their expected verdict")
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
    }

    @Test("The same cases by digest (sha256:HEX) give the same verdicts")
    func conformanceByDigest() throws {
        for name in conformanceCases where !name.hasPrefix("bundle-malformed") {
            let r = try run(conformanceArguments(name, digest: true))
            let shouldFail = name.hasSuffix("_fail")
            #expect(shouldFail ? r.status != 0 : r.status == 0, "\(name) by digest: exit \(r.status) \(r.stdout)\(r.stderr)")
        }
    }

    @Test("The report names the signer, issuer, log entry, verified time and its source")
    func report() throws {
        let r = try run(conformanceArguments("happy-path-v0.3") .dropLast() + ["--json", conformanceRoot + "/a.txt"])
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(doc?["verdict"] as? String == "verified")
        #expect(doc?["signer"] as? String == defaultIdentity)
        #expect(doc?["issuer"] as? String == defaultIssuer)
        let entries = doc?["logEntries"] as? [[String: Any]] ?? []
        #expect(entries.first?["log"] as? String == "https://rekor.sigstore.dev")
        #expect(entries.first?["logIndex"] as? Int == 79571823)
        let times = doc?["verifiedTimes"] as? [[String: Any]] ?? []
        #expect(times.first?["source"] as? String == "integratedTime")
    }

    @Test("OMS v1.1.0 keyless signature from the reference verifies offline; wrong identity, issuer or file is rejected")
    func omsKeyless() throws {
        let dir = repositoryRoot.appendingPathComponent("manifests/testvectors/oms/upstream/v1.1.0-sigstore").path
        let identity = "stefanb@us.ibm.com"
        let issuer = "https://sigstore.verify.ibm.com/oauth2"
        let ok = try run(["verify", dir, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("signed by \(identity)"))
        #expect(ok.stdout.contains("OIDC issuer \(issuer)"))
        #expect(ok.stdout.contains("logged in https://rekor.sigstore.dev at index 598151086, integrated 2025-10-10T02:12:20Z"))
        #expect(ok.stdout.contains("signature existed at 2025-10-10T02:12:20Z (RFC 3161 timestamp from https://timestamp.sigstore.dev/api/v1/timestamp)"))
        let config = repositoryRoot.appendingPathComponent("manifests/testvectors/sigstore-conformance/sigstore-prod-client-trust-config.json").path
        let viaConfig = try run(["verify", dir, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer,
                                 "--trust-config", config, "--json"])
        #expect(viaConfig.status == 0)
        let reference = (try JSONSerialization.jsonObject(with: Data(viaConfig.stdout.utf8)) as? [String: Any])?["reference"] as? [String: Any]
        #expect(reference?["issuer"] as? String == issuer)
        #expect((reference?["verifiedTimes"] as? [[String: Any]])?.compactMap { $0["source"] as? String }.sorted() == ["integratedTime", "rfc3161"])
        // A root without the CA that issued the certificate: the chain fails, nothing else is trusted.
        let staging = conformanceRoot + "/rekor2-happy-path/trusted_root.json"
        let otherRoot = try run(["verify", dir, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, "--trusted-root", staging])
        #expect(otherRoot.status == 1)
        #expect(otherRoot.stdout.contains("unknownLog"))
        let wrongIdentity = try run(["verify", dir, "--certificate-identity", "mallory@example.com", "--certificate-oidc-issuer", issuer])
        #expect(wrongIdentity.status == 1)
        #expect(wrongIdentity.stdout.contains("identityMismatch") || wrongIdentity.stdout.contains("identity mismatch"))
        let wrongIssuer = try run(["verify", dir, "--certificate-identity", identity, "--certificate-oidc-issuer", "https://accounts.google.com"])
        #expect(wrongIssuer.status == 1)
        #expect(wrongIssuer.stdout.contains("issuer mismatch"))

        let scratch = TempDir()
        for f in ["model.sig", "signme-1", "signme-2", "ignore-me"] {
            scratch.write("m/" + f, Array(FileManager.default.contents(atPath: dir + "/" + f) ?? Data()))
        }
        scratch.write("m/signme-1", "tampered")
        let changed = try run(["verify", scratch.p("m"), "--certificate-identity", identity, "--certificate-oidc-issuer", issuer])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("signme-1"))
    }
}

extension SigstoreCLITests {
    @Test("usage and malformed arguments: a bad digest exits 2 naming the form, an empty identity or pattern is usage")
    func arguments() throws {
        let bundle = conformanceRoot + "/happy-path-v0.3/bundle.sigstore.json"
        let trust = ["--certificate-identity", defaultIdentity, "--certificate-oidc-issuer", defaultIssuer]
        let short = try run(["verify-bundle", "--bundle", bundle] + trust + ["sha256:" + String(repeating: "a", count: 63)])
        #expect(short.status == 2)
        #expect(short.stderr.contains("neither a file nor a digest sha256:HEX"))
        let empty = try run(["verify-bundle", "--bundle", bundle, "--certificate-identity-regexp", "",
                             "--certificate-oidc-issuer", defaultIssuer, conformanceRoot + "/a.txt"])
        #expect(empty.status == 64)
        let both = try run(["verify-bundle", "--bundle", bundle, "--key", conformanceRoot + "/managed-key-happy-path/key.pub"]
                           + trust + [conformanceRoot + "/a.txt"])
        #expect(both.status == 64)
        let staging = try run(["verify-bundle", "--staging", "--bundle", bundle] + trust + [conformanceRoot + "/a.txt"])
        #expect(staging.status == 64)
        #expect(staging.stderr.contains("--trusted-root"))
        let keyless = try run(["verify", repositoryRoot.appendingPathComponent("manifests/testvectors/oms/upstream/v1.1.0-sigstore").path,
                               "--certificate-identity", "x@example.com"])
        #expect(keyless.status == 64)
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum"]
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    try? p.run()
    inPipe.fileHandleForWriting.write(Data(bytes))
    try? inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(String(decoding: out, as: UTF8.self).prefix(64))
}
