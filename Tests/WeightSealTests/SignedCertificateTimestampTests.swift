import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
@testable import WeightSeal
import X509

/// The sigstore-conformance bundle-verify vectors (manifests/testvectors/sigstore-conformance, see its SOURCE.txt):
/// a case's leaf certificate, the CA certificate that issued it and the CT logs of the case's trusted root (or of
/// the public-good root when the case has none).
private enum SCTVectors {
    static let conformance = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("manifests/testvectors/sigstore-conformance")

    struct Case {
        var leaf: Certificate
        var leafDER: [UInt8]
        var issuer: Certificate
        var logs: [TrustedRoot.TransparencyLog]
    }

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func load(_ name: String) throws -> Case {
        let folder = conformance.appendingPathComponent("bundle-verify/\(name)")
        let bundle = try SigstoreJSON.parseDocument(Array(try Data(contentsOf: folder.appendingPathComponent("bundle.sigstore.json"))))
        let material = bundle["verificationMaterial"]
        let der: [UInt8]
        if let cert = material?["certificate"] {
            der = try cert.bytes("rawBytes", field: "certificate")
        } else if let first = material?["x509CertificateChain"]?["certificates"]?.array?.first {
            der = try first.bytes("rawBytes", field: "x509CertificateChain.certificates[0]")
        } else {
            throw Missing(description: "\(name): no leaf certificate")
        }
        let leaf = try Certificate(derEncoded: der)
        let rootPath = folder.appendingPathComponent("trusted_root.json").path
        let root = try TrustedRoot.load(file: FileManager.default.fileExists(atPath: rootPath)
            ? rootPath : conformance.appendingPathComponent("sigstore-prod-client-trust-config.json").path)
        let issuer = root.certificateAuthorities.lazy.flatMap(\.certificates).first {
            $0.subject == leaf.issuer && $0.publicKey.isValidSignature(leaf.signature, for: leaf)
        }
        guard let issuer else { throw Missing(description: "\(name): no CA of the trusted root issued the leaf") }
        return Case(leaf: leaf, leafDER: der, issuer: issuer, logs: root.certificateTransparencyLogs)
    }

    /// The TLS `SignedCertificateTimestampList` bytes inside the leaf's SCT extension.
    static func sctList(of leaf: Certificate) throws -> [UInt8] {
        let ext = try #require(leaf.extensions[oid: SignedCertificateTimestamp.extensionOID])
        return Array(try ASN1OctetString(derEncoded: ext.value).bytes)
    }

    /// `der` (a certificate) with the SCT extension's `extnValue` replaced by an OCTET STRING of `list`, or the
    /// extension removed when `list` is nil. The CA signature then no longer matches; SCT verification ignores it.
    static func replacingSCTList(in der: [UInt8], with list: [UInt8]?) throws -> Certificate {
        let cert = try DER.parse(der)
        guard case .constructed(let parts) = cert.content, case .constructed(let tbsFields) = Array(parts)[0].content else {
            throw Missing(description: "not a certificate")
        }
        let nodes = Array(parts)
        let tag3 = ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific)
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: cert.identifier) { c in
            try c.appendConstructedNode(identifier: nodes[0].identifier) { t in
                for field in tbsFields {
                    guard field.identifier == tag3, case .constructed(let w) = field.content,
                          let extensions = Array(w).first, case .constructed(let items) = extensions.content else {
                        t.serializeRawBytes(field.encodedBytes)
                        continue
                    }
                    try t.appendConstructedNode(identifier: tag3) { wc in
                        try wc.appendConstructedNode(identifier: .sequence) { lc in
                            for ext in items {
                                guard case .constructed(let ep) = ext.content,
                                      try ASN1ObjectIdentifier(derEncoded: Array(ep)[0]) == SignedCertificateTimestamp.extensionOID else {
                                    lc.serializeRawBytes(ext.encodedBytes)
                                    continue
                                }
                                guard let list else { continue }
                                try lc.appendConstructedNode(identifier: .sequence) { ec in
                                    for part in Array(ep).dropLast() { ec.serializeRawBytes(part.encodedBytes) }
                                    // extnValue holds the DER of the OCTET STRING that wraps the TLS list.
                                    try ec.serialize(ASN1OctetString(contentBytes: try derBytes(ASN1OctetString(contentBytes: list[...]))[...]))
                                }
                            }
                        }
                    }
                }
            }
            c.serializeRawBytes(nodes[1].encodedBytes)
            c.serializeRawBytes(nodes[2].encodedBytes)
        }
        return try Certificate(derEncoded: s.serializedBytes)
    }

    static func failure(_ result: Result<[VerifiedSCT], SCTFailure>) -> String? {
        if case .failure(let f) = result { return f.message }
        return nil
    }
}

@Suite("Signed Certificate Timestamps (RFC 6962 §3.2–3.3)")
struct SignedCertificateTimestampTests {
    /// `logId` of https://ctfe.sigstore.dev/2022, the public-good CT log since 2022-10-20.
    static let ctfe2022 = [UInt8](hexString: "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e")!

    @Test("happy-path-v0.3: one SCT of ctfe.sigstore.dev/2022 at 2024-03-19T17:26:26.470Z")
    func happyPathV03() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let scts = try SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: c.logs).get()
        #expect(scts == [VerifiedSCT(logID: Self.ctfe2022, logURL: "https://ctfe.sigstore.dev/2022",
                                     timestamp: Date(timeIntervalSince1970: 1_710_869_186.470))])
        let entries = try SignedCertificateTimestamp.parseList(
            extensionValue: try #require(c.leaf.extensions[oid: SignedCertificateTimestamp.extensionOID]).value)
        guard case .v1(let sct) = try #require(entries.first), entries.count == 1 else {
            Issue.record("expected one v1 SCT, got \(entries)")
            return
        }
        #expect(sct.timestamp == 1_710_869_186_470)
        #expect(sct.logID == Self.ctfe2022)
        #expect(sct.extensions.isEmpty)
        #expect(sct.hashAlgorithm == 4 && sct.signatureAlgorithm == 3)
        #expect(sct.signature.count == 71)
    }

    @Test("real Fulcio leaves verify their SCT", arguments: [
        "happy-path-v0.3", "happy-path-v0.2", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path",
        "bundle-with-sct-with-extensions", "intoto-with-custom-trust-root",
    ])
    func realLeavesVerify(name: String) throws {
        let c = try SCTVectors.load(name)
        let scts = try SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: c.logs).get()
        #expect(scts.count == 1)
        #expect(scts.allSatisfy { s in c.logs.contains { $0.logID == s.logID && $0.validFor.contains(s.timestamp) } })
    }

    @Test("an SCT with non-empty extensions is signed over them")
    func sctWithExtensions() throws {
        let c = try SCTVectors.load("bundle-with-sct-with-extensions")
        let entries = try SignedCertificateTimestamp.parseList(
            extensionValue: try #require(c.leaf.extensions[oid: SignedCertificateTimestamp.extensionOID]).value)
        guard case .v1(let sct) = try #require(entries.first) else {
            Issue.record("expected a v1 SCT")
            return
        }
        #expect(!sct.extensions.isEmpty)
        let scts = try SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: c.logs).get()
        #expect(scts.map(\.logURL) == ["http://tesseract"])
    }

    // MARK: Failures

    @Test("one flipped byte of the SCT signature fails the signature check")
    func flippedSignature() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        var list = try SCTVectors.sctList(of: c.leaf)
        list[list.count - 1] ^= 0x01
        let leaf = try SCTVectors.replacingSCTList(in: c.leafDER, with: list)
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: c.issuer, logs: c.logs)))
        #expect(message == "no SCT verified (1 embedded): SCT 1 from https://ctfe.sigstore.dev/2022: "
            + "signature does not verify with the log's key")
    }

    @Test("the rebuilt but unchanged certificate still verifies (the mutation helper changes nothing else)")
    func unchangedRebuild() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let leaf = try SCTVectors.replacingSCTList(in: c.leafDER, with: try SCTVectors.sctList(of: c.leaf))
        #expect(throws: Never.self) {
            try SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: c.issuer, logs: c.logs).get()
        }
    }

    @Test("a truncated SCT list is malformed")
    func truncatedList() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let list = try SCTVectors.sctList(of: c.leaf)
        let leaf = try SCTVectors.replacingSCTList(in: c.leafDER, with: Array(list.dropLast(10)))
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: c.issuer, logs: c.logs)))
        #expect(message == "malformed SCT list: SignedCertificateTimestampList needs \(list.count - 2) bytes, "
            + "\(list.count - 12) left (truncated)")
    }

    @Test("an SCT outside its log key's validity does not count")
    func keyOutsideValidity() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        var logs = c.logs
        for i in logs.indices { logs[i].validFor.end = Date(timeIntervalSince1970: 1_700_000_000) }
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: logs)))
        #expect(message == "no SCT verified (1 embedded): SCT 1 from https://ctfe.sigstore.dev/2022: SCT time "
            + "2024-03-19T17:26:26.470Z is outside the log key's validity (2022-10-20T00:00:00.000Z to 2023-11-14T22:13:20.000Z)")
    }

    @Test("a certificate without the SCT extension fails")
    func noExtension() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let leaf = try SCTVectors.replacingSCTList(in: c.leafDER, with: nil)
        #expect(SCTVectors.failure(SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: c.issuer, logs: c.logs))
            == "the certificate has no embedded SCT list (extension 1.3.6.1.4.1.11129.2.4.2)")
        // The issuing CA certificate itself has no SCTs either.
        #expect(SCTVectors.failure(SignedCertificateTimestampVerifier.verify(leaf: c.issuer, issuer: c.issuer, logs: c.logs))
            == "the certificate has no embedded SCT list (extension 1.3.6.1.4.1.11129.2.4.2)")
    }

    @Test("an SCT of a log the root does not list is skipped, and none left fails")
    func unknownLog() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: [])))
        #expect(message == "no SCT verified (1 embedded): SCT 1 is from log \(Self.ctfe2022.hexString), "
            + "not a CT log of the trusted root")
    }

    @Test("the SCT is bound to the issuer's key")
    func wrongIssuer() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.leaf, logs: c.logs)))
        #expect(message.hasSuffix("signature does not verify with the log's key"))
    }

    @Test("a threshold of 2 distinct logs is not met by one SCT")
    func threshold() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let message = try #require(SCTVectors.failure(
            SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: c.logs, threshold: 2)))
        #expect(message == "SCTs of 1 distinct CT logs verified, 2 required")
        // Below 1 counts as 1.
        #expect(throws: Never.self) {
            try SignedCertificateTimestampVerifier.verify(leaf: c.leaf, issuer: c.issuer, logs: c.logs, threshold: 0).get()
        }
    }

    // MARK: Parser

    @Test("list framing errors are named")
    func framing() throws {
        func reason(_ list: [UInt8]) throws -> String? {
            let value = try derBytes(ASN1OctetString(contentBytes: list[...]))
            do {
                _ = try SignedCertificateTimestamp.parseList(extensionValue: value[...])
                return nil
            } catch {
                return error.message
            }
        }
        #expect(try reason([0, 0]) == "the SignedCertificateTimestampList is empty")
        #expect(try reason([0, 2, 0, 0]) == "SCT 1 is empty")
        #expect(try reason([0, 1, 0, 0]) == "1 bytes follow the SignedCertificateTimestampList")
        #expect(try reason([0, 3, 0, 1, 7]) == nil)  // one SCT of an unknown version: skipped by the verifier
        #expect(try reason([0, 3, 0, 1, 0]) == "SCT 1 log id needs 32 bytes, 0 left (truncated)")
        #expect(throws: WeightSealError(.malformedKey, "")) {
            try SignedCertificateTimestamp.parseList(extensionValue: [0x30, 0x00])
        }
        // 65 minimal SCTs of an unknown version: over the cap.
        let many = [UInt8](repeating: 0, count: 0) + (0..<65).flatMap { _ in [0, 1, 9] as [UInt8] }
        let list = [UInt8(many.count >> 8), UInt8(many.count & 0xff)] + many
        #expect(throws: WeightSealError(.limitExceeded, "")) {
            try SignedCertificateTimestamp.parseList(extensionValue: try derBytes(ASN1OctetString(contentBytes: list[...]))[...])
        }
    }

    @Test("garbage never traps: every prefix, every bit flip, random bytes")
    func garbage() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let value = Array(try #require(c.leaf.extensions[oid: SignedCertificateTimestamp.extensionOID]).value)
        for n in 0..<value.count {
            #expect((try? SignedCertificateTimestamp.parseList(extensionValue: value.prefix(n))) == nil)
        }
        var flipsThatVerify = 0
        for i in 0..<value.count {
            for bit in 0..<8 {
                var v = value
                v[i] ^= 1 << bit
                _ = try? SignedCertificateTimestamp.parseList(extensionValue: v[...])
                guard let list = try? ASN1OctetString(derEncoded: v[...]).bytes,
                      let leaf = try? SCTVectors.replacingSCTList(in: c.leafDER, with: Array(list)) else { continue }
                if case .success = SignedCertificateTimestampVerifier.verify(leaf: leaf, issuer: c.issuer, logs: c.logs) {
                    flipsThatVerify += 1
                }
            }
        }
        #expect(flipsThatVerify == 0)
        var generator = SplitMix64(seed: 6962)
        for _ in 0..<5000 {
            let count = Int(generator.next() % 300)
            let junk = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? SignedCertificateTimestamp.parseList(extensionValue: junk[...])
            _ = try? SignedCertificateTimestamp.parseList(extensionValue: ([0x04, UInt8(count & 0x7f)] + junk)[...])
        }
    }

    // MARK: Signed data

    @Test("the signed data is the RFC 6962 §3.2 precert_entry layout")
    func signedDataLayout() throws {
        let sct = SignedCertificateTimestamp(
            version: 0, logID: [UInt8](repeating: 0xaa, count: 32), timestamp: 0x0102_0304_0506_0708,
            extensions: [0xe1, 0xe2], hashAlgorithm: 4, signatureAlgorithm: 3, signature: [])
        let data = try SignedCertificateTimestampVerifier.signedData(
            sct, issuerKeyHash: [UInt8](repeating: 0x11, count: 32), tbs: [0x30, 0x01, 0x05])
        #expect(data == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1] + [UInt8](repeating: 0x11, count: 32)
            + [0, 0, 3, 0x30, 0x01, 0x05] + [0, 2, 0xe1, 0xe2])
    }

    @Test("the precertificate TBS drops only the SCT extension")
    func precertificateTBS() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let tbs = try SignedCertificateTimestampVerifier.precertificateTBS(of: c.leaf)
        let ext = try #require(c.leaf.extensions[oid: SignedCertificateTimestamp.extensionOID])
        // The SCT extension's own encoding: SEQUENCE { OID (12 bytes), OCTET STRING extnValue }.
        let removed = try derBytes(ext).count
        #expect(tbs.count == c.leaf.tbsCertificateBytes.count - removed)
        // Same as the TBS of the certificate rebuilt without the extension.
        let without = try SCTVectors.replacingSCTList(in: c.leafDER, with: nil)
        #expect(tbs == Array(without.tbsCertificateBytes))
        #expect(Array(c.leaf.extensions).filter { $0.oid != SignedCertificateTimestamp.extensionOID }
            == Array(without.extensions))
    }

    @Test("the issuer key hash covers the issuer's DER SubjectPublicKeyInfo as encoded")
    func issuerKeyInfo() throws {
        let c = try SCTVectors.load("happy-path-v0.3")
        let spki = try SignedCertificateTimestampVerifier.subjectPublicKeyInfo(of: c.issuer)
        #expect(Array(spki) == (try derBytes(c.issuer.publicKey)))
    }
}

/// The DER encoding of `element`.
private func derBytes(_ element: some DERSerializable) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(element)
    return serializer.serializedBytes
}
