import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
import WeightSeal
import X509

// FIELD-CASES-2 G03, G04, G05, G06 and G14 end to end: the recipes' `sealtool.py`, `payloadmut.py` and `mkpki.sh`
// steps done in Swift, then `weightseal sign` / `verify` with the exit status and message each case expects.

/// `mkpki.sh` in memory: one P-256 root, one leaf key, many leaf certificates over that key
/// (all with the SAN `signer@example.invalid`).
private enum FieldPKI {
    static let identity = "signer@example.invalid"
    static let now = Date()
    static let day: TimeInterval = 86_400

    static func key(_ seed: UInt8) throws -> P256.Signing.PrivateKey {
        try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }

    static func name(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName { CommonName(commonName) }
    }

    static func root() throws -> Certificate {
        let name = try name("Field Test Root")
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(1), publicKey: .init(try key(1).publicKey),
            notValidBefore: now - 3650 * day, notValidAfter: now + 3650 * day, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions([
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
                try Certificate.Extension(KeyUsage(keyCertSign: true, cRLSign: true), critical: true),
            ]),
            issuerPrivateKey: .init(try key(1)))
    }

    /// The leaves of `mkpki.sh` by name: `code`, `server`, `noeku`, `noku`, `keyenc`, `anyeku`, `caleaf`,
    /// `expired` (2020-01-01 to 2020-01-02), `future` (2099-01-01 to 2099-02-01).
    static func leaf(_ kind: String) throws -> Certificate {
        var notBefore = now - 30 * day, notAfter = now + 30 * day
        var ca = false
        var keyUsage: KeyUsage? = KeyUsage(digitalSignature: true)
        var eku: [ExtendedKeyUsage.Usage]? = [.codeSigning]
        switch kind {
        case "code": break
        case "server": eku = [.serverAuth]
        case "noeku": eku = nil
        case "noku": keyUsage = nil
        case "keyenc": keyUsage = KeyUsage(keyAgreement: true)
        case "anyeku": eku = [.any]
        case "caleaf": ca = true; keyUsage = KeyUsage(digitalSignature: true, keyCertSign: true)
        case "expired":
            notBefore = try Date("2020-01-01T00:00:00Z", strategy: .iso8601)
            notAfter = try Date("2020-01-02T00:00:00Z", strategy: .iso8601)
        case "future":
            notBefore = try Date("2099-01-01T00:00:00Z", strategy: .iso8601)
            notAfter = try Date("2099-02-01T00:00:00Z", strategy: .iso8601)
        default: Issue.record("no leaf \(kind)")
        }
        var extensions = [try Certificate.Extension(
            ca ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : .notCertificateAuthority, critical: true)]
        if let keyUsage { extensions.append(try Certificate.Extension(keyUsage, critical: true)) }
        if let eku { extensions.append(try Certificate.Extension(ExtendedKeyUsage(eku), critical: false)) }
        extensions.append(try Certificate.Extension(SubjectAlternativeNames([.rfc822Name(identity)]), critical: false))
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(1000), publicKey: .init(try key(3).publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: try name("Field Test Root"), subject: try name("release-signer"),
            signatureAlgorithm: .ecdsaWithSHA256, extensions: try Certificate.Extensions(extensions),
            issuerPrivateKey: .init(try key(1)))
    }

    /// Writes `pki/root.pem`, `pki/leaf.key` and `pki/leaf-KIND.pem` for each kind.
    static func write(into s: TempDir, kinds: [String]) throws {
        s.write("pki/root.pem", try root().serializeAsPEM().pemString)
        s.write("pki/leaf.key", try key(3).pemRepresentation)
        for kind in kinds { s.write("pki/leaf-\(kind).pem", try leaf(kind).serializeAsPEM().pemString) }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}

private func model(_ s: TempDir) {
    s.write("m/config.json", "{\"a\":1}\n")
    s.write("m/model.safetensors", bytes(20_000, seed: 3))
}

private func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

/// `sealtool.py payload`: the decoded payload of a signature file.
private func payload(of signature: [UInt8]) throws -> [UInt8] {
    let envelope = try #require(try jsonObject(signature)["dsseEnvelope"] as? [String: Any])
    let text = try #require(envelope["payload"] as? String)
    return Array(try #require(Data(base64Encoded: text)))
}

/// `sealtool.py resign`: a key-signed bundle over `payload` (verification with `--key`).
private func resign(_ payload: [UInt8], keyFile: String, to path: String, in s: TempDir) throws {
    let bundle = try BundleSigner.sign(payload: payload, payloadType: "application/vnd.in-toto+json",
                                       key: try SigningKey.load(file: keyFile))
    s.write(path, try bundle.jsonData())
}

/// `sealtool.py setcert`: the bundle with its leaf certificate replaced (same key, so the DSSE signature holds).
private func setcert(_ signature: [UInt8], leaf: Certificate) throws -> [UInt8] {
    var object = try jsonObject(signature)
    var material = try #require(object["verificationMaterial"] as? [String: Any])
    var chain = try #require(material["x509CertificateChain"] as? [String: Any])
    var certificates = try #require(chain["certificates"] as? [[String: Any]])
    certificates[0]["rawBytes"] = Data(try FieldPKI.der(leaf)).base64EncodedString()
    chain["certificates"] = certificates
    material["x509CertificateChain"] = chain
    object["verificationMaterial"] = material
    return Array(try JSONSerialization.data(withJSONObject: object))
}

@Suite("CLI: field cases G03, G04, G05, G06, G14 (signature files)")
struct SignatureFieldCaseCLITests {
    @Test("G03: an envelope with zero, a junk plus a valid, or twice the same signature exits 2 naming the count")
    func g03() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "--algorithm", "p256", "-o", s.p("k")])
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        let base = try jsonObject(s.read("m/model.sig"))
        let envelope = try #require(base["dsseEnvelope"] as? [String: Any])
        let good = try #require((envelope["signatures"] as? [[String: Any]])?.first)
        let bogus: [String: Any] = ["sig": Data([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).base64EncodedString()]
        for (pattern, list, count) in [("none", [], 0), ("bogus-first", [bogus, good], 2), ("bogus-last", [good, bogus], 2),
                                       ("twice", [good, good], 2)] as [(String, [[String: Any]], Int)] {
            var object = base
            var e = envelope
            e["signatures"] = list
            object["dsseEnvelope"] = e
            s.write("sigs-\(pattern).sig", Array(try JSONSerialization.data(withJSONObject: object)))
            let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("sigs-\(pattern).sig")])
            #expect(r.status == 2, "\(pattern): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("must carry exactly one signature, found \(count)"), "\(pattern): \(r.stderr)")
        }
        #expect(try run(["verify", s.p("m"), "--key", s.p("k.pub")]).status == 0)
    }

    @Test("G04: files twice (plain or escaped) exits 2 naming the member; an extra \"Files\" is ignored; a disagreeing subject fails")
    func g04() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "--algorithm", "p256", "-o", s.p("k")])
        try run(["sign", s.p("m"), "--key", s.p("k.key")])
        let body = try payload(of: s.read("m/model.sig"))
        let statement = try jsonObject(body)
        let files = try #require((statement["predicate"] as? [String: Any])?["files"] as? [[String: Any]])
        var fake = files
        fake[0]["sha256"] = SHA256.hash(data: Array("not the signed bytes".utf8)).map { String(format: "%02x", $0) }.joined()
        func compact(_ v: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
        let text = String(decoding: body, as: UTF8.self)
        let real = "\"files\":" + (try compact(files))
        let fakeList = "\"files\":" + (try compact(fake))
        try #require(text.contains(real))
        let modes: [(String, String, Int32)] = [
            ("dup-first", text.replacingOccurrences(of: real, with: fakeList + "," + real), 2),
            ("dup-escaped", text.replacingOccurrences(of: real, with: fakeList.replacingOccurrences(of: "\"files\"", with: #""fil\u0065s""#) + "," + real), 2),
            ("case", text.replacingOccurrences(of: real, with: real + "," + fakeList.replacingOccurrences(of: "\"files\"", with: "\"Files\"")), 0),
        ]
        for (mode, mutated, status) in modes {
            try resign(Array(mutated.utf8), keyFile: s.p("k.key"), to: "\(mode).sig", in: s)
            let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("\(mode).sig"), "--json"])
            #expect(r.status == status, "\(mode): \(r.stdout) \(r.stderr)")
            #expect(!r.stdout.contains("digestMismatch"), "\(mode): the fake list was read")
            if status == 2 {
                #expect(r.stderr.contains(#"duplicate key "files" in predicate"#), "\(mode): \(r.stderr)")
            }
        }
        // subject-disagree: the subject names another digest than predicate.files: refused like a duplicate key (exit 2).
        var subjects = try #require(statement["subject"] as? [[String: Any]])
        subjects[0]["digest"] = ["sha256": fake[0]["sha256"] as? String ?? ""]
        var disagree = statement
        disagree["subject"] = subjects
        try resign(Array(try compact(disagree).utf8), keyFile: s.p("k.key"), to: "subject-disagree.sig", in: s)
        let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("subject-disagree.sig"), "--json"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(#"subject digest for "config.json" disagrees with predicate.files"#), "\(r.stderr)")
    }

    @Test("G14: a native payload with upper-case hex digests exits 2 naming predicate.files[0].sha256, never a mismatch")
    func g14() throws {
        let s = TempDir()
        model(s)
        try run(["keygen", "--algorithm", "p256", "-o", s.p("k")])
        try run(["sign", s.p("m"), "--key", s.p("k.key")])
        var statement = try jsonObject(try payload(of: s.read("m/model.sig")))
        var subjects = try #require(statement["subject"] as? [[String: Any]])
        for i in subjects.indices {
            subjects[i]["digest"] = ["sha256": ((subjects[i]["digest"] as? [String: String])?["sha256"] ?? "").uppercased()]
        }
        var predicate = try #require(statement["predicate"] as? [String: Any])
        var files = try #require(predicate["files"] as? [[String: Any]])
        for i in files.indices { files[i]["sha256"] = (files[i]["sha256"] as? String ?? "").uppercased() }
        predicate["files"] = files
        statement["predicate"] = predicate
        statement["subject"] = subjects
        let body = try JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys, .withoutEscapingSlashes])
        try resign(Array(body), keyFile: s.p("k.key"), to: "up.sig", in: s)
        let r = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--signature", s.p("up.sig")])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("predicate.files[0].sha256 (\"config.json\") is not 64 lower-case hex digits"), "\(r.stderr)")
        #expect(!r.stdout.contains("digestMismatch") && !r.stdout.contains("root"))
    }

    @Test("G05: sign refuses an expired or not-yet-valid leaf (exit 2 naming the bound); verify rejects them (exit 1)")
    func g05() throws {
        let s = TempDir()
        model(s)
        try FieldPKI.write(into: s, kinds: ["code", "expired", "future"])
        for (kind, bound) in [("expired", "notAfter was 2020-01-02T00:00:00Z"), ("future", "notBefore is 2099-01-01T00:00:00Z")] {
            let r = try run(["sign", s.p("m"), "--key", s.p("pki/leaf.key"), "--certificate", s.p("pki/leaf-\(kind).pem"),
                             "-o", s.p("\(kind)-signed.sig")])
            #expect(r.status == 2, "\(kind): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains(bound), "\(kind): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: s.p("\(kind)-signed.sig")))
        }
        // Verify side (sealtool.py setcert over the cert base signature).
        #expect(try run(["sign", s.p("m"), "--key", s.p("pki/leaf.key"), "--certificate", s.p("pki/leaf-code.pem"),
                         "-o", s.p("cert-base.sig")]).status == 0)
        let trust = ["--certificate-roots", s.p("pki/root.pem"), "--identity", FieldPKI.identity]
        #expect(try run(["verify", s.p("m"), "--signature", s.p("cert-base.sig")] + trust).status == 0)
        for (kind, message) in [("expired", "certificate expired at 2020-01-02T00:00:00Z"),
                                ("future", "certificate not yet valid: valid from 2099-01-01T00:00:00Z")] {
            s.write("\(kind).sig", try setcert(s.read("cert-base.sig"), leaf: try FieldPKI.leaf(kind)))
            let r = try run(["verify", s.p("m"), "--signature", s.p("\(kind).sig"), "--json"] + trust)
            #expect(r.status == 1, "\(kind): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("\"certificateInvalid\""))
            #expect(r.stdout.contains(message), "\(kind): \(r.stdout)")
        }
    }

    @Test("G06: verify accepts only leaves meant for code signing; sign refuses a serverAuth-only leaf naming the EKU")
    func g06() throws {
        let s = TempDir()
        model(s)
        let kinds = ["code", "server", "noeku", "noku", "keyenc", "anyeku", "caleaf"]
        try FieldPKI.write(into: s, kinds: kinds)
        let r = try run(["sign", s.p("m"), "--key", s.p("pki/leaf.key"), "--certificate", s.p("pki/leaf-server.pem"),
                         "-o", s.p("server-signed.sig")])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("extended key usage does not permit code signing"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.p("server-signed.sig")))

        #expect(try run(["sign", s.p("m"), "--key", s.p("pki/leaf.key"), "--certificate", s.p("pki/leaf-code.pem"),
                         "-o", s.p("cert-base.sig")]).status == 0)
        let trust = ["--certificate-roots", s.p("pki/root.pem"), "--identity", FieldPKI.identity]
        let expected: [String: (Int32, String?)] = [
            "code": (0, nil), "noeku": (0, nil), "noku": (0, nil), "anyeku": (0, nil),
            "server": (1, "extended key usage does not permit code signing"),
            "keyenc": (1, "key usage lacks digitalSignature"),
            "caleaf": (1, "the signing certificate is a CA"),
        ]
        for kind in kinds {
            let (status, message) = try #require(expected[kind])
            s.write("\(kind).sig", try setcert(s.read("cert-base.sig"), leaf: try FieldPKI.leaf(kind)))
            let v = try run(["verify", s.p("m"), "--signature", s.p("\(kind).sig"), "--json"] + trust)
            #expect(v.status == status, "\(kind): \(v.stdout) \(v.stderr)")
            if let message {
                #expect(v.stdout.contains("\"certificateInvalid\""), "\(kind)")
                #expect(v.stdout.contains(message), "\(kind): \(v.stdout)")
            }
            // Signing agrees with verification for the leaf itself.
            let signed = try run(["sign", s.p("m"), "--key", s.p("pki/leaf.key"), "--certificate", s.p("pki/leaf-\(kind).pem"),
                                  "-o", s.p("\(kind)-signed.sig")])
            #expect(signed.status == (status == 0 ? 0 : 2), "\(kind): \(signed.stderr)")
        }
    }
}
