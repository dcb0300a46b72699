import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
@testable import WeightSeal
import X509

/// An in-process test PKI at a fixed reference time: root → intermediate → leaf, all P-256 with fixed keys.
enum TestPKI {
    /// 2026-01-01T00:00:00Z.
    static let referenceTime = Date(timeIntervalSince1970: 1_767_225_600)
    static let day: TimeInterval = 86_400

    static func key(_ seed: UInt8) throws -> P256.Signing.PrivateKey {
        try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static func name(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationName("weightseal tests")
            CommonName(commonName)
        }
    }

    static func certificate(
        subject: DistinguishedName, key: P256.Signing.PrivateKey,
        issuer: DistinguishedName, issuerKey: P256.Signing.PrivateKey,
        notBefore: Date = referenceTime - 365 * day, notAfter: Date = referenceTime + 365 * day,
        extensions: [Certificate.Extension], serial: Int
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(serial),
            publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: issuer, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions(extensions),
            issuerPrivateKey: .init(issuerKey))
    }

    static func caExtensions(pathLength: Int? = nil) throws -> [Certificate.Extension] {
        [
            try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength), critical: true),
            try Certificate.Extension(KeyUsage(keyCertSign: true, cRLSign: true), critical: true),
        ]
    }

    static let rootName = "Test Root CA"
    static let intermediateName = "Test Intermediate CA"
    static let leafName = "Test Signer"
    static let email = "signer@example.test"
    static let uri = "https://example.test/signer"

    static func root(seed: UInt8 = 1, commonName: String = rootName,
                     notAfter: Date = referenceTime + 3650 * day) throws -> Certificate {
        let name = try name(commonName)
        return try certificate(subject: name, key: key(seed), issuer: name, issuerKey: key(seed),
                               notAfter: notAfter, extensions: caExtensions(), serial: Int(seed))
    }

    static func intermediate(rootSeed: UInt8 = 1, rootCommonName: String = rootName,
                             notAfter: Date = referenceTime + 1825 * day) throws -> Certificate {
        try certificate(subject: name(intermediateName), key: key(2),
                        issuer: name(rootCommonName), issuerKey: key(rootSeed),
                        notAfter: notAfter, extensions: caExtensions(pathLength: 0), serial: 100)
    }

    static func leafExtensions(keyUsage: KeyUsage? = KeyUsage(digitalSignature: true),
                               extendedKeyUsage: [ExtendedKeyUsage.Usage]? = [.codeSigning],
                               names: [GeneralName] = [.rfc822Name(email), .uniformResourceIdentifier(uri)],
                               namesCritical: Bool = false)
        throws -> [Certificate.Extension]
    {
        var extensions = [try Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true)]
        if let keyUsage { extensions.append(try Certificate.Extension(keyUsage, critical: true)) }
        if let extendedKeyUsage {
            extensions.append(try Certificate.Extension(ExtendedKeyUsage(extendedKeyUsage), critical: false))
        }
        if !names.isEmpty {
            extensions.append(try Certificate.Extension(SubjectAlternativeNames(names), critical: namesCritical))
        }
        return extensions
    }

    static func leaf(notBefore: Date = referenceTime - 30 * day, notAfter: Date = referenceTime + 30 * day,
                     extensions: [Certificate.Extension]? = nil) throws -> Certificate {
        try certificate(subject: name(leafName), key: key(3),
                        issuer: name(intermediateName), issuerKey: key(2),
                        notBefore: notBefore, notAfter: notAfter,
                        extensions: extensions ?? leafExtensions(), serial: 1000)
    }
}

private let omsPKI = repositoryRoot.appendingPathComponent("manifests/testvectors/oms/pki")

/// The finding of a rejection, or a recorded issue.
private func rejection(_ verdict: CertificateVerdict, sourceLocation: SourceLocation = #_sourceLocation) -> Finding? {
    switch verdict {
    case .rejected(let finding):
        return finding
    case .trusted(let identities, let subject):
        Issue.record("expected a rejection, got trusted \(subject) \(identities)", sourceLocation: sourceLocation)
        return nil
    }
}

private func isTrusted(_ verdict: CertificateVerdict) -> Bool {
    if case .trusted = verdict { return true }
    return false
}

@Suite("CertificateTrust")
struct CertificateTrustTests {
    let time = TestPKI.referenceTime

    // MARK: - Accepted chains

    @Test("valid root → intermediate → leaf chain is trusted, with the leaf's identities and subject")
    func validChain() async throws {
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let verdict = await trust.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])
        guard case .trusted(let identities, let subject) = verdict else {
            Issue.record("expected trusted, got \(verdict)")
            return
        }
        #expect(identities == [TestPKI.email, TestPKI.uri])
        #expect(subject == "CN=Test Signer,O=weightseal tests")
    }

    @Test("one usage extension is enough when the other is absent: KU digitalSignature alone, or EKU codeSigning alone")
    func eitherSigningUsage() async throws {
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let kuOnly = try TestPKI.leaf(extensions: TestPKI.leafExtensions(extendedKeyUsage: nil))
        let ekuOnly = try TestPKI.leaf(extensions: TestPKI.leafExtensions(keyUsage: nil))
        #expect(isTrusted(await trust.validate(leaf: kuOnly, intermediates: [try TestPKI.intermediate()])))
        #expect(isTrusted(await trust.validate(leaf: ekuOnly, intermediates: [try TestPKI.intermediate()])))
    }

    @Test("right identity is accepted, as an email SAN and as a URI SAN")
    func rightIdentity() async throws {
        for identity in [TestPKI.email, TestPKI.uri] {
            let trust = CertificateTrust(roots: [try TestPKI.root()], identity: identity, validationTime: time)
            let verdict = await trust.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])
            #expect(isTrusted(verdict), "identity \(identity)")
        }
    }

    @Test("a critical SAN extension (as in certificates with an empty subject) is understood, with or without identity")
    func criticalSAN() async throws {
        let leaf = try TestPKI.leaf(extensions: TestPKI.leafExtensions(namesCritical: true))
        for identity in [nil, TestPKI.email] {
            let trust = CertificateTrust(roots: [try TestPKI.root()], identity: identity, validationTime: time)
            #expect(isTrusted(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        }
    }

    @Test("an intermediate in the roots file is used as an intermediate (chain still ends at the real root)")
    func intermediateInRootsFileCompletesChain() async throws {
        let trust = CertificateTrust(roots: [try TestPKI.root(), try TestPKI.intermediate()], validationTime: time)
        #expect(isTrusted(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [])))
    }

    // MARK: - Rejected chains

    @Test("expired leaf is rejected, naming the expiry time; the same chain is trusted at a time inside its validity")
    func expiredLeaf() async throws {
        let leaf = try TestPKI.leaf(notBefore: time - 60 * TestPKI.day, notAfter: time - TestPKI.day)
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.severity == .failure)
        #expect(finding.message.contains("certificate expired at 2025-12-31T00:00:00Z"))
        #expect(finding.message.contains("leaf 'CN=Test Signer,O=weightseal tests'"))
        #expect(finding.message.contains("validation time 2026-01-01T00:00:00Z"))
        #expect(finding.expected == "valid at 2026-01-01T00:00:00Z")
        #expect(finding.actual == "valid from 2025-11-02T00:00:00Z to 2025-12-31T00:00:00Z")

        // An audit at signing time (`--at`) accepts it.
        var audit = trust
        audit.validationTime = time - 10 * TestPKI.day
        #expect(isTrusted(await audit.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
    }

    @Test("not-yet-valid leaf is rejected")
    func notYetValidLeaf() async throws {
        let leaf = try TestPKI.leaf(notBefore: time + TestPKI.day, notAfter: time + 60 * TestPKI.day)
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("certificate not yet valid: valid from 2026-01-02T00:00:00Z"))
    }

    @Test("expired intermediate is rejected, naming the intermediate")
    func expiredIntermediate() async throws {
        let intermediate = try TestPKI.intermediate(notAfter: time - TestPKI.day)
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [intermediate])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("certificate expired at 2025-12-31T00:00:00Z (intermediate 'CN=Test Intermediate CA"))
    }

    @Test("leaf without signing usage (KU keyEncipherment, EKU serverAuth) is rejected")
    func noSigningUsage() async throws {
        let leaf = try TestPKI.leaf(extensions: TestPKI.leafExtensions(
            keyUsage: KeyUsage(keyEncipherment: true), extendedKeyUsage: [.serverAuth]))
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.hasPrefix("certificate is not for code signing: key usage lacks digitalSignature"))
        #expect(finding.message.contains("key usage: keyEncipherment; extended key usage: serverAuth"))
    }

    @Test("leaf with neither key usage nor extended key usage is rejected")
    func noUsageExtensions() async throws {
        let leaf = try TestPKI.leaf(extensions: TestPKI.leafExtensions(keyUsage: nil, extendedKeyUsage: nil))
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("states no signing purpose"))
        #expect(finding.message.contains("key usage: none; extended key usage: none"))
    }

    @Test("chain to an unknown root (different name) is rejected")
    func unknownRoot() async throws {
        let other = try TestPKI.root(seed: 9, commonName: "Other Root CA")
        let trust = CertificateTrust(roots: [other], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.hasPrefix("no certificate chain to a trusted root"))
        #expect(finding.message.contains("has the subject 'CN=Test Root CA,O=weightseal tests', the issuer of certificate 'CN=Test Intermediate CA"))
    }

    @Test("chain to an impostor root (same name, other key) is rejected")
    func impostorRoot() async throws {
        let impostor = try TestPKI.root(seed: 9)
        let trust = CertificateTrust(roots: [impostor], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.hasPrefix("no certificate chain to a trusted root"))
        #expect(finding.message.contains("does not verify"))
    }

    @Test("missing intermediate is rejected")
    func missingIntermediate() async throws {
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("the issuer of the leaf certificate 'CN=Test Signer"))
    }

    @Test("an intermediate given as the only anchor is rejected: only self-signed root CAs are anchors")
    func intermediateAsOnlyAnchor() async throws {
        let intermediate = try TestPKI.intermediate()
        let trust = CertificateTrust(roots: [intermediate], validationTime: time)
        // With and without the intermediate also in the chain.
        for intermediates in [[], [intermediate]] {
            let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: intermediates)))
            #expect(finding.kind == .certificateInvalid)
            #expect(finding.message.hasPrefix("no trust anchor"))
            #expect(finding.message.contains("cannot be a trust anchor"))
            #expect(finding.message.contains("'CN=Test Intermediate CA,O=weightseal tests' is not self-issued (issuer 'CN=Test Root CA,O=weightseal tests')"))
        }

        // Beside an unrelated real root, the intermediate is still no anchor: no chain, and a hint says why.
        let mixed = CertificateTrust(roots: [try TestPKI.root(seed: 9, commonName: "Other Root CA"), intermediate],
                                     validationTime: time)
        let finding = try #require(rejection(await mixed.validate(leaf: try TestPKI.leaf(), intermediates: [intermediate])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.hasPrefix("no certificate chain to a trusted root"))
        #expect(finding.hints.contains("'CN=Test Intermediate CA,O=weightseal tests' was given as a root but is not a trust "
            + "anchor: not self-issued (issuer 'CN=Test Root CA,O=weightseal tests'); only self-signed root CA certificates are"))
    }

    @Test("a leaf given as its own root (pinning) is rejected")
    func leafAsAnchor() async throws {
        let leaf = try TestPKI.leaf()
        let trust = CertificateTrust(roots: [leaf], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("cannot be a trust anchor"))
    }

    @Test("a self-issued certificate that is not a CA is not an anchor")
    func selfIssuedNonCA() async throws {
        let name = try TestPKI.name("Self Signed Leaf")
        let selfSigned = try TestPKI.certificate(subject: name, key: TestPKI.key(5), issuer: name, issuerKey: TestPKI.key(5),
                                                 extensions: TestPKI.leafExtensions(), serial: 5)
        let finding = try #require(rejection(await CertificateTrust(roots: [selfSigned], validationTime: time)
            .validate(leaf: selfSigned, intermediates: [])))
        #expect(finding.message.contains("is not a CA certificate (basic constraints CA:FALSE)"))
    }

    @Test("wrong identity is rejected as identityMismatch, listing the leaf's SANs")
    func wrongIdentity() async throws {
        let trust = CertificateTrust(roots: [try TestPKI.root()], identity: "someone@example.test", validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .identityMismatch)
        #expect(finding.message.contains("identity 'someone@example.test' not found"))
        #expect(finding.message.contains("SANs are: signer@example.test, https://example.test/signer"))
        #expect(finding.expected == "someone@example.test")
        #expect(finding.actual == "signer@example.test, https://example.test/signer")
    }

    @Test("identity is matched exactly (case-sensitive), and a leaf without SANs never matches")
    func identityExactAndNoSAN() async throws {
        let upper = CertificateTrust(roots: [try TestPKI.root()], identity: "Signer@example.test", validationTime: time)
        let f1 = try #require(rejection(await upper.validate(leaf: try TestPKI.leaf(), intermediates: [try TestPKI.intermediate()])))
        #expect(f1.kind == .identityMismatch)

        let noSAN = try TestPKI.leaf(extensions: TestPKI.leafExtensions(names: []))
        let trust = CertificateTrust(roots: [try TestPKI.root()], identity: TestPKI.email, validationTime: time)
        let f2 = try #require(rejection(await trust.validate(leaf: noSAN, intermediates: [try TestPKI.intermediate()])))
        #expect(f2.kind == .identityMismatch)
        #expect(f2.message.contains("has no email or URI subject alternative name"))
        #expect(f2.actual == nil)
    }

    @Test("an invalid chain is reported before a wrong identity")
    func expiredBeatsIdentity() async throws {
        let leaf = try TestPKI.leaf(notBefore: time - 60 * TestPKI.day, notAfter: time - TestPKI.day)
        let trust = CertificateTrust(roots: [try TestPKI.root()], identity: "someone@example.test", validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: leaf, intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("certificate expired at"))
    }

    @Test("a leaf with an unknown critical extension is rejected")
    func unknownCriticalExtension() async throws {
        var extensions = try TestPKI.leafExtensions()
        extensions.append(Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55555, 1], critical: true, value: [0x05, 0x00]))
        let trust = CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
        let finding = try #require(rejection(await trust.validate(leaf: try TestPKI.leaf(extensions: extensions),
                                                                   intermediates: [try TestPKI.intermediate()])))
        #expect(finding.kind == .certificateInvalid)
        #expect(finding.message.contains("critical extension(s) weightseal does not process: 1.3.6.1.4.1.55555.1"))
    }

    @Test("no roots, and too many intermediates, are rejected")
    func limits() async throws {
        let empty = try #require(rejection(await CertificateTrust(roots: [], validationTime: time)
            .validate(leaf: try TestPKI.leaf(), intermediates: [])))
        #expect(empty.message == "no trusted root certificate was given")

        let many = Array(repeating: try TestPKI.intermediate(), count: Limits.maxCertificates + 1)
        let tooMany = try #require(rejection(await CertificateTrust(roots: [try TestPKI.root()], validationTime: time)
            .validate(leaf: try TestPKI.leaf(), intermediates: many)))
        #expect(tooMany.message.contains("more than the limit of \(Limits.maxCertificates)"))
    }

    // MARK: - OMS interop PKI (OpenSSL-made, P-384 root → P-256 intermediate → P-256 leaf)

    @Test("OMS vectors: signing-cert.pem through int-ca.pem to root-ca.pem is trusted inside the validity period")
    func omsVectorsTrusted() async throws {
        // openssl x509 -noout -dates: all three valid 2026-11-29T19:23:03Z to 2036-11-26T19:23:03Z.
        let at = try Date("2027-06-01T00:00:00Z", strategy: .iso8601)
        let trust = try CertificateTrust.load(rootsFile: omsPKI.appendingPathComponent("root-ca.pem").path,
                                              validationTime: at)
        let leaf = try CertificateTrust.loadCertificates(pemFile: omsPKI.appendingPathComponent("signing-cert.pem").path)
        let chain = try CertificateTrust.loadCertificates(pemFile: omsPKI.appendingPathComponent("int-ca.pem").path)
        #expect(leaf.count == 1 && chain.count == 1 && trust.roots.count == 1)
        let verdict = await trust.validate(leaf: leaf[0], intermediates: chain)
        guard case .trusted(let identities, let subject) = verdict else {
            Issue.record("expected trusted, got \(verdict)")
            return
        }
        #expect(identities == [])  // The OMS test leaf has no SAN; its email is in the CN.
        #expect(subject == "CN=model-signer@example.test,O=OMS interop test")
    }

    @Test("OMS vectors: rejected after expiry (2036-11-26T19:23:03Z) and with int-ca.pem as the only root")
    func omsVectorsRejected() async throws {
        let leaf = try CertificateTrust.loadCertificates(pemFile: omsPKI.appendingPathComponent("signing-cert.pem").path)[0]
        let chain = try CertificateTrust.loadCertificates(pemFile: omsPKI.appendingPathComponent("int-ca.pem").path)

        let late = try CertificateTrust.load(rootsFile: omsPKI.appendingPathComponent("root-ca.pem").path,
                                             validationTime: Date("2037-01-01T00:00:00Z", strategy: .iso8601))
        let expired = try #require(rejection(await late.validate(leaf: leaf, intermediates: chain)))
        #expect(expired.kind == .certificateInvalid)
        #expect(expired.message.contains("certificate expired at 2036-11-26T19:23:03Z (leaf 'CN=model-signer@example.test"))

        // Loading a file of intermediates as roots does not throw; validation rejects.
        let intermediateOnly = try CertificateTrust.load(rootsFile: omsPKI.appendingPathComponent("int-ca.pem").path,
                                                         validationTime: Date("2027-06-01T00:00:00Z", strategy: .iso8601))
        let anchor = try #require(rejection(await intermediateOnly.validate(leaf: leaf, intermediates: chain)))
        #expect(anchor.kind == .certificateInvalid)
        #expect(anchor.message.contains("'CN=Test Intermediate CA,O=OMS interop test' is not self-issued"))
    }

    // MARK: - PEM reading

    @Test("a PEM bundle is read in order; text around the blocks is ignored")
    func pemBundle() throws {
        let root = try TestPKI.root(), intermediate = try TestPKI.intermediate(), leaf = try TestPKI.leaf()
        let pem = try [leaf, intermediate, root].map { "subject=\($0.subject)\n" + (try $0.serializeAsPEM().pemString) }
            .joined(separator: "\n") + "\n"
        let certificates = try CertificateTrust.certificates(pem: pem)
        #expect(certificates == [leaf, intermediate, root])
    }

    @Test("malformed PEM files throw malformedKey naming the file")
    func malformedPEM() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("weightseal-certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let cases: [(name: String, text: String, phrase: String)] = [
            ("empty.pem", "", "holds no PEM 'CERTIFICATE' block"),
            ("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "is not valid PEM"),
            ("truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n", "is not valid PEM"),
            ("notcert.pem", "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n", "is not a valid X.509 certificate"),
            ("key.pem", try TestPKI.key(7).pemRepresentation, "is 'PRIVATE KEY', expected 'CERTIFICATE'"),
        ]
        for (name, text, phrase) in cases {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = #expect(throws: WeightSealError.self, "\(name)") {
                try CertificateTrust.loadCertificates(pemFile: path)
            }
            #expect(error?.code == .malformedKey, "\(name)")
            #expect(error?.message.contains("certificate file '\(path)'") == true, "\(name)")
            #expect(error?.message.contains(phrase) == true, "\(name): \(error?.message ?? "")")
        }

        let missing = #expect(throws: WeightSealError.self) {
            try CertificateTrust.load(rootsFile: directory.appendingPathComponent("missing.pem").path)
        }
        #expect(missing?.code == .io)
        #expect(missing?.message.contains("missing.pem") == true)
    }

    @Test("PEM limits: more than maxCertificates blocks, more than maxPEMBytes bytes")
    func pemLimits() throws {
        let one = try TestPKI.root().serializeAsPEM().pemString + "\n"
        let tooMany = #expect(throws: WeightSealError.self) {
            try CertificateTrust.certificates(pem: String(repeating: one, count: Limits.maxCertificates + 1))
        }
        #expect(tooMany?.code == .limitExceeded)
        let tooBig = #expect(throws: WeightSealError.self) {
            try CertificateTrust.certificates(pem: String(repeating: " ", count: Limits.maxPEMBytes + 1))
        }
        #expect(tooBig?.code == .limitExceeded)
    }
}
