import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
@testable import WeightSeal

/// Rekor entry verification against the sigstore-conformance `bundle-verify` cases
/// (`manifests/testvectors/sigstore-conformance/`), read by path from the repository root.
@Suite("Rekor transparency-log entries")
struct RekorEntryTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let cases = repositoryRoot + "/manifests/testvectors/sigstore-conformance/bundle-verify"
    static let publicGood = repositoryRoot + "/manifests/testvectors/sigstore-conformance/sigstore-prod-client-trust-config.json"
    /// A fixed clock after every case's integrated time (2026-09-21).
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    struct Case {
        var entry: TransparencyLogEntry
        var entryJSON: StrictJSON
        var content: SignedContent
        var certificate: [UInt8]?
        var publicKey: [UInt8]?
        var bundleVersion: Int
        var trustedRoot: TrustedRoot

        func verify(_ entry: TransparencyLogEntry? = nil, now: Date = RekorEntryTests.now) -> Result<VerifiedLogEntry, LogEntryFailure> {
            RekorEntryVerifier.verify(entry: entry ?? self.entry, content: content, signerCertificateDER: certificate,
                                      signerPublicKeyDER: publicKey, bundleVersion: bundleVersion,
                                      trustedRoot: trustedRoot, now: now)
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightSealError(.io, "cannot read \(path)") }
        return [UInt8](data)
    }

    /// Reads a case's bundle the way the verifier's caller will: first tlog entry, signer, content (the artifact's
    /// SHA-256, not the bundle's digest hint), media type minor version, and its trusted root or the public-good one.
    static func load(_ name: String) throws -> Case {
        let dir = cases + "/" + name
        let bundle = try StrictJSON.parseDocument(try read(dir + "/bundle.sigstore.json"))
        let media = try #require(bundle["mediaType"]?.string)
        let version = try #require(Int(String(media.filter(\.isNumber).dropFirst().prefix(1))))
        let material = try #require(bundle["verificationMaterial"])
        var certificate: [UInt8]? = nil
        if let c = material["certificate"] {
            certificate = try c.bytes("rawBytes", field: "certificate")
        } else if let c = material["x509CertificateChain"]?["certificates"]?.array?.first {
            certificate = try c.bytes("rawBytes", field: "x509CertificateChain")
        }
        var publicKey: [UInt8]? = nil
        if material["publicKey"] != nil {
            publicKey = try PEMDocument(pemString: String(decoding: try read(dir + "/key.pub"), as: UTF8.self)).derBytes
        }
        let json = try #require(material["tlogEntries"]?.array?.first)
        let entry = try TransparencyLogEntry.parse(json, field: "tlogEntries[0]")
        let content: SignedContent
        if let m = bundle["messageSignature"] {
            let own = FileManager.default.fileExists(atPath: dir + "/artifact") ? dir + "/artifact" : cases + "/a.txt"
            let artifact = try read(own)
            content = .messageSignature(digest: Array(SHA256.hash(data: artifact)),
                                        signature: try m.bytes("signature", field: "messageSignature"))
        } else {
            let e = try #require(bundle["dsseEnvelope"])
            let signatures = try (e["signatures"]?.array ?? []).map {
                DSSEEnvelope.Signature(sig: try $0.bytes("sig", field: "sig"), keyid: $0["keyid"]?.string)
            }
            content = .dsse(DSSEEnvelope(payload: try e.bytes("payload", field: "dsseEnvelope"),
                                         payloadType: try #require(e["payloadType"]?.string), signatures: signatures))
        }
        let custom = dir + "/trusted_root.json"
        let trust = try TrustedRoot.load(file: FileManager.default.fileExists(atPath: custom) ? custom : publicGood)
        return Case(entry: entry, entryJSON: json, content: content, certificate: certificate, publicKey: publicKey,
                    bundleVersion: version, trustedRoot: trust)
    }

    // MARK: - Accepted entries

    static let accepted: [(name: String, logIndex: Int64, integratedTime: Int64?, treeSize: Int64, url: String)] = [
        ("happy-path-v0.2", 27_246_492, 1_689_177_396, 23_083_062, "https://rekor.sigstore.dev"),
        ("happy-path-v0.3", 79_571_823, 1_710_869_186, 75_408_393, "https://rekor.sigstore.dev"),
        ("happy-path-intoto-in-dsse-v3", 155_690_850, 1_734_374_576, 33_786_589, "https://rekor.sigstore.dev"),
        ("intoto-with-custom-trust-root", 4_288_993, 1_675_209_600, 1, "http://localhost:8000"),
        ("managed-key-happy-path", 771_488_337, 1_766_077_479, 649_584_076, "https://rekor.sigstore.dev"),
        ("managed-key-and-trusted-root", 51_753_644, 1_767_810_965, 20_071_233, "https://rekor.sigstage.dev"),
        ("trust-root-tlog-validity-end-inclusive", 27_246_492, 1_689_177_396, 23_083_062, "https://rekor.sigstore.dev"),
        ("rekor2-happy-path", 735, nil, 736, "https://log2025-alpha1.rekor.sigstage.dev"),
        ("rekor2-dsse-happy-path", 4_026_478, nil, 4_026_479, "https://log2025-alpha3.rekor.sigstage.dev"),
        ("rekor2-checkpoint-cosigned", 735, nil, 736, "https://log2025-alpha1.rekor.sigstage.dev"),
        ("rekor2-checkpoint-two-sigs-cosigned", 735, nil, 736, "https://log2025-alpha1.rekor.sigstage.dev"),
        ("rekor2-checkpoint-two-sigs-from-origin", 735, nil, 736, "https://log2025-alpha1.rekor.sigstage.dev"),
        ("bundle-with-sct-with-extensions", 3, nil, 4, "http://rekor-local"),
    ]

    @Test("conformance entries that verify", arguments: accepted.map(\.name))
    func verifies(name: String) throws {
        let expected = try #require(Self.accepted.first { $0.name == name })
        let c = try Self.load(name)
        let verified = try c.verify().get()
        #expect(verified.logURL == expected.url)
        #expect(verified.logIndex == expected.logIndex)
        #expect(verified.integratedTime == expected.integratedTime.map { Date(timeIntervalSince1970: TimeInterval($0)) })
        #expect(verified.treeSize == expected.treeSize)
        #expect(verified.rootHash == c.entry.inclusionProof?.rootHash)
        #expect(verified.rootHash?.count == 32)
    }

    // MARK: - Refused entries

    static let refused: [(name: String, kind: LogEntryFailure.Kind)] = [
        ("checkpoint-bad-keyhint_fail", .checkpoint),
        ("invalid-checkpoint-signature_fail", .checkpoint),
        ("intoto-log-entry-mismatch_fail", .bodyMismatch),
        ("intoto-missing-inclusion-proof_fail", .missingProof),
        ("dsse-mismatch-envelope_fail", .bodyMismatch),
        ("rekor2-dsse-mismatch-envelope_fail", .bodyMismatch),
        ("rekor2-checkpoint-missing-log-signature_fail", .checkpoint),
        ("rekor2-checkpoint-missing-origin_fail", .checkpoint),
        ("rekor2-checkpoint-missing-root-hash_fail", .checkpoint),
        ("rekor2-checkpoint-missing-size_fail", .checkpoint),
        ("rekor2-checkpoint-no-matching-signature_fail", .checkpoint),
        ("rekor2-no-inclusion-proof_fail", .missingProof),
        ("incorrect-public-key_fail", .bodyMismatch),
        ("wrong-hashedrekord-artifact_fail", .bodyMismatch),
        ("wrong-hashedrekord-cert-and-sig_fail", .bodyMismatch),
        ("bundle-from-wrong-instance_fail", .unknownLog),
    ]

    @Test("conformance entries refused, with the check that refuses them", arguments: refused.map(\.name))
    func refuses(name: String) throws {
        let expected = try #require(Self.refused.first { $0.name == name })
        let c = try Self.load(name)
        guard case .failure(let failure) = c.verify() else {
            Issue.record("\(name) verified")
            return
        }
        #expect(failure.kind == expected.kind, "\(failure)")
    }

    @Test("an inclusion proof without a checkpoint that does not lead to its root: the proof fails first")
    func invalidInclusionProof() throws {
        let c = try Self.load("invalid-inclusion-proof_fail")
        #expect(c.entry.inclusionProof?.checkpoint == "")
        guard case .failure(let failure) = c.verify() else {
            Issue.record("verified")
            return
        }
        #expect(failure.kind == .inclusionProof)
        #expect(failure.message.contains("acf03c341b95341fecd7523390b09153eff05d140edb988f27f07287ef6691e0"))
    }

    // MARK: - Signed entry timestamp and integrated time

    @Test("SET payload: RFC 8785 form of body, integratedTime, logID (hex), logIndex")
    func setPayload() throws {
        let c = try Self.load("happy-path-v0.3")
        let body = try #require(c.entryJSON["canonicalizedBody"]?.string)
        let expected = #"{"body":""# + body + #"","integratedTime":1710869186,"#
            + #""logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d","logIndex":79571823}"#
        let payload = RekorEntryVerifier.signedEntryTimestampPayload(c.entry)
        #expect(String(decoding: payload, as: UTF8.self) == expected)
        #expect(Array(payload.prefix(31)) == Array(#"{"body":"eyJhcGlWZXJzaW9uIjoiMC"#.utf8))
    }

    @Test("a SET over another index, or an integrated time after now or past the key's validity, is refused")
    func setAndTime() throws {
        let c = try Self.load("happy-path-v0.3")
        var moved = c.entry
        moved.logIndex += 1
        #expect(c.verify(moved).failureKind == .signedEntryTimestamp)
        #expect(c.verify(now: Date(timeIntervalSince1970: 1_710_869_185)).failureKind == .integratedTime)
        let end = try Self.load("trust-root-tlog-validity-end-inclusive")
        var later = end.entry
        later.integratedTime += 1
        // The SET covers the time, so a changed time fails there first.
        #expect(end.verify(later).failureKind == .signedEntryTimestamp)
    }

    @Test("v0.1 bundle: a SET without a proof passes; v0.2 needs the proof")
    func promiseOnly() throws {
        var c = try Self.load("happy-path-v0.2")
        var bare = c.entry
        bare.inclusionProof = nil
        #expect(c.verify(bare).failureKind == .missingProof)
        c.bundleVersion = 1
        let verified = try c.verify(bare).get()
        #expect(verified.integratedTime == Date(timeIntervalSince1970: 1_689_177_396))
        #expect(verified.treeSize == nil && verified.rootHash == nil)
        bare.signedEntryTimestamp = nil
        #expect(c.verify(bare).failureKind == .missingProof)
    }

    @Test("a changed body fails the body comparison; a wrong signer is named")
    func bodyTamper() throws {
        let c = try Self.load("rekor2-happy-path")
        var other = c
        other.certificate = nil
        other.publicKey = try PEMDocument(pemString: String(decoding: try Self.read(Self.cases + "/managed-key-happy-path/key.pub"), as: UTF8.self)).derBytes
        #expect(other.verify().failureKind == .bodyMismatch)
        var wrongDigest = c
        wrongDigest.content = .messageSignature(digest: Array(repeating: 0, count: 32), signature: [1])
        #expect(wrongDigest.verify().failureKind == .bodyMismatch)
    }

    // MARK: - Checkpoints

    @Test("checkpoint note: text, lines and signatures")
    func checkpointParse() throws {
        let note = "example.com/log\n3\n" + Data(Array(repeating: 7, count: 32)).base64EncodedString() + "\nTimestamp: 1\n\n"
            + "\u{2014} example.com/log " + Data([1, 2, 3, 4, 9, 9]).base64EncodedString() + "\n"
            + "\u{2014} witness " + Data([5, 6, 7, 8, 0]).base64EncodedString() + "\n"
        let cp = try Checkpoint.parse(note)
        #expect(cp.origin == "example.com/log")
        #expect(cp.size == 3)
        #expect(cp.rootHash == Array(repeating: 7, count: 32))
        #expect(cp.extensions == ["Timestamp: 1"])
        #expect(String(decoding: cp.note.text, as: UTF8.self) == "example.com/log\n3\n" + Data(Array(repeating: 7, count: 32)).base64EncodedString() + "\nTimestamp: 1\n")
        #expect(cp.note.signatures.map(\.name) == ["example.com/log", "witness"])
        #expect(cp.note.signatures[0].keyHint == [1, 2, 3, 4])
        #expect(cp.note.signatures[0].signature == [9, 9])
    }

    @Test("a log's checkpoint origin is its baseUrl's host, without port, user or path (sigstore-go: url.Hostname())",
          arguments: [
        ("https://rekor.sigstore.dev", "rekor.sigstore.dev"),
        ("https://log2025-1.rekor.sigstore.dev/", "log2025-1.rekor.sigstore.dev"),
        ("http://127.0.0.1:43259", "127.0.0.1"),
        ("http://localhost:3003/api/", "localhost"),
        ("http://user:pw@example.com:8080/log?x#y", "example.com"),
        ("http://[::1]:3000", "::1"),
        ("http://[::1]", "::1"),
        ("example.com:", "example.com"),
    ])
    func originOfBaseURL(baseURL: String, origin: String) {
        #expect(TrustedRoot.TransparencyLog.origin(ofBaseURL: baseURL) == origin)
    }

    @Test("checkpoint names a log accepts: its host, and host with port as written (Rekor v1 hostnames may carry one)")
    func originsOfLog() throws {
        let root = try TrustedRoot.parse(try Self.read(Self.cases + "/intoto-with-custom-trust-root/trusted_root.json"),
                                         label: "custom root")
        #expect(root.transparencyLogs.map(\.baseURL) == ["http://localhost:8000"])
        #expect(root.transparencyLogs.first?.origins == ["localhost", "localhost:8000"])
        #expect(TrustedRoot.publicGood.transparencyLogs.first?.origins == ["rekor.sigstore.dev"])
    }

    @Test("malformed checkpoints are refused", arguments: [
        "o\n3\n\(String(repeating: "A", count: 43))=\n",                 // no blank line
        "o\n3\n\(String(repeating: "A", count: 43))=\n\n",               // no signature
        "o\n03\n\(String(repeating: "A", count: 43))=\n\n\u{2014} o AAAAAAA=\n", // leading zero
        "o\n3\n\n\u{2014} o AAAAAAA=\n",                                 // no root hash
        "o\n3\nAAAA\n\n\u{2014} o AAAAAAA=\n",                           // short root hash
        "o\n3\n\(String(repeating: "A", count: 43))=\n\n- o AAAAAAA=\n", // not an em dash
        "o\n3\n\(String(repeating: "A", count: 43))=\n\n\u{2014} o AAAA\n", // signature shorter than its key hint
    ])
    func malformedCheckpoints(note: String) {
        #expect(throws: WeightSealError.self) { try Checkpoint.parse(note) }
    }
}

extension Result where Failure == LogEntryFailure {
    /// The failure's kind, or `nil` on success.
    var failureKind: LogEntryFailure.Kind? {
        if case .failure(let f) = self { return f.kind }
        return nil
    }
}
