import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
import WeightSeal
import X509

/// A SoftHSM2 token of the test's own: its token folder and configuration in a scratch folder (`SOFTHSM2_CONF`),
/// initialised with `softhsm2-util`, keys made in it and public keys read from it with OpenSC's `pkcs11-tool`.
final class SoftHSMToken {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let userPIN = "1234"
    static let available = FileManager.default.fileExists(atPath: module)
        && ["softhsm2-util", "pkcs11-tool", "openssl"].allSatisfy { tool in
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
                .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    static let skipMessage: Comment = "needs softhsm2 and opensc's pkcs11-tool (scripts/test.sh installs them as root)"

    let scratch = TempDir()
    let environment: [String: String]
    /// The slot id SoftHSM gave the token.
    let slotID: String

    init(label: String = "weightseal") throws {
        try FileManager.default.createDirectory(atPath: scratch.p("tokens"), withIntermediateDirectories: true)
        scratch.write("softhsm2.conf", "directories.tokendir = \(scratch.p("tokens"))\nobjectstore.backend = file\nlog.level = ERROR\n")
        environment = ["SOFTHSM2_CONF": scratch.p("softhsm2.conf")]
        let r = try shell("/usr/bin/env", ["SOFTHSM2_CONF=\(scratch.p("softhsm2.conf"))", "softhsm2-util", "--init-token",
                                          "--free", "--label", label, "--pin", Self.userPIN, "--so-pin", "5678"])
        guard r.status == 0, let slot = r.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines),
              !slot.isEmpty else {
            throw Failure("softhsm2-util --init-token: \(r.stdout)")
        }
        slotID = slot
    }

    struct Failure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    /// `pkcs11-tool` against this token (logged in).
    @discardableResult
    func tool(_ args: [String]) throws -> RunResult {
        let r = try shell("/usr/bin/env", ["SOFTHSM2_CONF=\(scratch.p("softhsm2.conf"))", "pkcs11-tool", "--module",
                                          Self.module, "--login", "--pin", Self.userPIN] + args)
        guard r.status == 0 else { throw Failure("pkcs11-tool \(args.joined(separator: " ")): \(r.stdout)") }
        return r
    }

    /// Makes a key pair in the token: `keyType` as pkcs11-tool takes it (`EC:prime256v1`, `EC:secp384r1`, `rsa:1024`).
    func keypair(_ keyType: String, label: String, id: String) throws {
        try tool(["--keypairgen", "--key-type", keyType, "--label", label, "--id", id])
    }

    /// Reads the public key object with `id` from the token and writes it as PEM; returns the PEM path.
    ///
    /// `pkcs11-tool --read-object` writes the DER SPKI, made PEM by openssl. OpenSC 0.23 (Debian 12) fails on P-384
    /// ("cannot create EVP_PKEY"): then the EC_POINT that `--list-objects` prints for the object is read instead.
    func exportPublicKey(id: String) throws -> String {
        let der = scratch.p("pub-\(id).der"), pem = scratch.p("pub-\(id).pem")
        if (try? tool(["--read-object", "--type", "pubkey", "--id", id, "-o", der])) != nil {
            let r = try shell("/usr/bin/env", ["openssl", "pkey", "-pubin", "-inform", "DER", "-in", der, "-out", pem])
            guard r.status == 0 else { throw Failure("openssl pkey: \(r.stdout)") }
            return pem
        }
        let listing = try tool(["--list-objects", "--type", "pubkey"]).stdout
        for block in listing.components(separatedBy: "Public Key Object;").dropFirst() {
            let fields = Dictionary(block.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { a, _ in a })
            guard fields["ID"] == id, let hex = fields["EC_POINT"], let octets = [UInt8](hexString: hex),
                  octets.count > 2, octets[0] == 0x04 else { continue }
            let point = Array(octets.dropFirst(2))  // the DER OCTET STRING around the uncompressed point
            let text = point.count == 97 ? try P384.Signing.PublicKey(x963Representation: point).pemRepresentation
                                         : try P256.Signing.PublicKey(x963Representation: point).pemRepresentation
            scratch.write("pub-\(id).pem", text + "\n")
            return pem
        }
        throw Failure("no EC public key object with ID \(id) in: \(listing)")
    }

    /// A `--key` URI for this token.
    func uri(_ path: String, pin: String? = userPIN, query: String = "") -> String {
        "pkcs11:token=weightseal;\(path)?module-path=\(Self.module)" + (pin.map { "&pin-value=\($0)" } ?? "") + query
    }

    func sign(_ args: [String], environment extra: [String: String] = [:]) throws -> RunResult {
        try run(["sign"] + args, environment: environment.merging(extra) { $1 })
    }
}

@Suite("CLI: sign with a key in a PKCS #11 token (SoftHSM2)", .enabled(if: SoftHSMToken.available, SoftHSMToken.skipMessage))
struct PKCS11CLITests {
    func model(_ s: TempDir) {
        s.write("m/config.json", "{\"hidden_size\": 8}\n")
        s.write("m/model.safetensors", bytes(200_000, seed: 7))
        s.write("m/README.md", "---\nlicense: apache-2.0\n---\n")
    }

    @Test("a P-256 key made in the token signs in both formats; verify passes with the public key read from the token, fails with another")
    func p256BothFormats() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:prime256v1", label: "sealkey", id: "01")
        let pub = try t.exportPublicKey(id: "01")
        model(t.scratch)
        let m = t.scratch.p("m")
        let signed = try t.sign([m, "--key", t.uri("object=sealkey")])
        #expect(signed.status == 0, "\(signed.stderr)")
        let v = try run(["verify", m, "--key", pub])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect(v.stdout.hasPrefix("VERIFIED"))

        let oms = try t.sign([m, "--format", "oms", "--key", t.uri("object=sealkey;id=%01"), "-o", t.scratch.p("oms.sig")])
        #expect(oms.status == 0, "\(oms.stderr)")
        let vo = try run(["verify", m, "--signature", t.scratch.p("oms.sig"), "--key", pub])
        #expect(vo.status == 0, "\(vo.stdout)\(vo.stderr)")

        // The bundle names the token's key; a key that is not the token's is rejected.
        let bundle = String(decoding: t.scratch.read("oms.sig"), as: UTF8.self)
        let hint = try PublicKey.load(file: pub).hint
        #expect(bundle.contains(hint))
        try run(["keygen", "-o", t.scratch.p("other")])
        #expect(try run(["verify", m, "--key", t.scratch.p("other.pub")]).status == 1)

        // `public-key` prints what openssl made of pkcs11-tool's export, byte for byte; for a PEM key, its .pub.
        let printed = try run(["public-key", t.uri("object=sealkey")], environment: t.environment)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout == String(decoding: t.scratch.read("pub-01.pem"), as: UTF8.self))
        #expect(try run(["public-key", t.scratch.p("other.key")]).stdout == String(decoding: t.scratch.read("other.pub"), as: UTF8.self))
    }

    @Test("a P-384 key signs with SHA-384; the token is found by slot-id and the module by module-name")
    func p384() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:secp384r1", label: "seal384", id: "02")
        let pub = try t.exportPublicKey(id: "02")
        #expect(try PublicKey.load(file: pub).algorithm == .p384)
        try run(["public-key", t.uri("object=seal384"), "-o", t.scratch.p("printed.pem")], environment: t.environment)
        #expect(try PublicKey.load(file: t.scratch.p("printed.pem")) == PublicKey.load(file: pub))
        model(t.scratch)
        let m = t.scratch.p("m")
        let r = try t.sign([m, "--key", "pkcs11:slot-id=\(t.slotID);object=seal384;type=private?module-path=\(SoftHSMToken.module)&pin-value=1234"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try run(["verify", m, "--key", pub]).status == 0)
        // The DSSE signature is a DER ECDSA-Sig-Value over P-384 (two integers of up to 49 bytes), not r‖s.
        let bundle = try JSONSerialization.jsonObject(with: Data(t.scratch.read("m/model.sig"))) as! [String: Any]
        let sig = ((bundle["dsseEnvelope"] as! [String: Any])["signatures"] as! [[String: Any]])[0]["sig"] as! String
        let der = Array(Data(base64Encoded: sig)!)
        #expect(der.first == 0x30 && (100...104).contains(der.count), "\(der.count) bytes")

        // Debian registers SoftHSM with p11-kit as "softhsm2".
        if FileManager.default.fileExists(atPath: "/usr/share/p11-kit/modules/softhsm2.module") {
            let byName = try t.sign([m, "--key", "pkcs11:token=weightseal;object=seal384?module-name=softhsm2&pin-value=1234",
                                     "-o", t.scratch.p("byname.sig")])
            #expect(byName.status == 0, "\(byName.stderr)")
        }
    }

    @Test("--certificate: a certificate for the token's key from a test CA signs, verify --certificate-roots passes; another key's certificate is refused")
    func certificate() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:prime256v1", label: "sealkey", id: "01")
        let pub = try t.exportPublicKey(id: "01")
        model(t.scratch)
        let ca = try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))
        let caName = try DistinguishedName { CommonName("weightseal HSM test CA") }
        let now = Date()
        let root = try Certificate(
            version: .v3, serialNumber: .init(1), publicKey: .init(ca.publicKey),
            notValidBefore: now - 86_400, notValidAfter: now + 30 * 86_400, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions([
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
                try Certificate.Extension(KeyUsage(keyCertSign: true), critical: true),
            ]),
            issuerPrivateKey: .init(ca))
        func leaf(for key: Certificate.PublicKey, serial: Int) throws -> String {
            let cert = try Certificate(
                version: .v3, serialNumber: .init(serial), publicKey: key,
                notValidBefore: now - 3600, notValidAfter: now + 7 * 86_400, issuer: caName,
                subject: try DistinguishedName { CommonName("release signer (HSM)") },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions([
                    try Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
                    try Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
                    try Certificate.Extension(ExtendedKeyUsage([.codeSigning]), critical: false),
                    try Certificate.Extension(SubjectAlternativeNames([.rfc822Name("release@example.test")]), critical: false),
                ]),
                issuerPrivateKey: .init(ca))
            return try cert.serializeAsPEM().pemString + "\n"
        }
        let tokenKey = try Certificate.PublicKey(derEncoded: try PublicKey.load(file: pub).derRepresentation)
        t.scratch.write("leaf.pem", try leaf(for: tokenKey, serial: 2))
        t.scratch.write("root.pem", try root.serializeAsPEM().pemString + "\n")
        let m = t.scratch.p("m")
        for format in ["weightseal", "oms"] {
            let out = t.scratch.p("\(format).sig")
            let r = try t.sign([m, "--format", format, "--key", t.uri("object=sealkey"), "--certificate", t.scratch.p("leaf.pem"), "-o", out])
            #expect(r.status == 0, "\(format): \(r.stderr)")
            let v = try run(["verify", m, "--signature", out, "--certificate-roots", t.scratch.p("root.pem"),
                             "--identity", "release@example.test"])
            #expect(v.status == 0, "\(format): \(v.stdout)\(v.stderr)")
        }

        let other = P256.Signing.PrivateKey()
        t.scratch.write("other.pem", try leaf(for: .init(other.publicKey), serial: 3))
        let mismatch = try t.sign([m, "--key", t.uri("object=sealkey"), "--certificate", t.scratch.p("other.pem"), "-o", t.scratch.p("x.sig")])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("does not match the public key of \(t.scratch.p("other.pem"))"))
        #expect(mismatch.stderr.contains("pin-value=***") && !mismatch.stderr.contains("pin-value=1234"), "\(mismatch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.scratch.p("x.sig")))
    }

    @Test("the PIN from pin-source=file:, from WEIGHTSEAL_PKCS11_PIN, and the URI's PIN before the environment's")
    func pinSources() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:prime256v1", label: "sealkey", id: "01")
        let pub = try t.exportPublicKey(id: "01")
        model(t.scratch)
        let m = t.scratch.p("m")
        t.scratch.write("pin.txt", "1234\n")
        let file = try t.sign([m, "--key", t.uri("object=sealkey", pin: nil, query: "&pin-source=file:\(t.scratch.p("pin.txt"))")])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(try run(["verify", m, "--key", pub]).status == 0)

        let env = try t.sign([m, "--key", t.uri("object=sealkey", pin: nil), "-o", t.scratch.p("env.sig")],
                             environment: ["WEIGHTSEAL_PKCS11_PIN": "1234"])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(try run(["verify", m, "--signature", t.scratch.p("env.sig"), "--key", pub]).status == 0)

        let uriFirst = try t.sign([m, "--key", t.uri("object=sealkey", pin: "9999"), "-o", t.scratch.p("u.sig")],
                                  environment: ["WEIGHTSEAL_PKCS11_PIN": "1234"])
        #expect(uriFirst.status == 2)
        #expect(uriFirst.stderr.contains("refused the PIN from pin-value: CKR_PIN_INCORRECT"), "\(uriFirst.stderr)")

        let none = try t.sign([m, "--key", t.uri("object=sealkey", pin: nil), "-o", t.scratch.p("n.sig")])
        #expect(none.status == 2)
        #expect(none.stderr.contains("token \"weightseal\" needs a PIN"), "\(none.stderr)")

        let missing = try t.sign([m, "--key", t.uri("object=sealkey", pin: nil, query: "&pin-source=file:\(t.scratch.p("nopin"))"),
                                  "-o", t.scratch.p("f.sig")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains(t.scratch.p("nopin")), "\(missing.stderr)")
    }

    @Test("a wrong PIN, a missing object, a missing token or module: exit 2 with the reason, no signature written")
    func failures() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:prime256v1", label: "sealkey", id: "01")
        model(t.scratch)
        let m = t.scratch.p("m")
        let cases: [(String, String)] = [
            (t.uri("object=sealkey", pin: "0000"), "token \"weightseal\" refused the PIN from pin-value: CKR_PIN_INCORRECT"),
            (t.uri("object=nokey"), "no private key matches object=\"nokey\" in token \"weightseal\""),
            (t.uri("id=%07"), "no private key matches id=%07 in token \"weightseal\""),
            ("pkcs11:token=other;object=sealkey?module-path=\(SoftHSMToken.module)&pin-value=1234",
             "no token of \(SoftHSMToken.module) matches token=\"other\" (CKR_TOKEN_NOT_PRESENT); its tokens: \"weightseal\""),
            ("pkcs11:token=weightseal;object=sealkey?module-path=/opt/no/such/libpkcs11.so&pin-value=1234",
             "cannot load the PKCS #11 module /opt/no/such/libpkcs11.so: No such file or directory"),
            ("pkcs11:token=weightseal;object=sealkey;x-color=blue?module-path=\(SoftHSMToken.module)&pin-value=1234",
             "attribute \"x-color\" is not one weightseal knows"),
            ("pkcs11:token=weightseal;object=seal%20key?module-path=\(SoftHSMToken.module)&pin-value=1234&pin-source=file:/x",
             "has both pin-value and pin-source"),
        ]
        for (uri, message) in cases {
            let r = try t.sign([m, "--key", uri])
            #expect(r.status == 2, "\(uri): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(message), "\(uri): \(r.stderr)")
            #expect(!r.stderr.contains("pin-value=1234") && !r.stderr.contains("pin-value=0000"))
        }
        #expect(!FileManager.default.fileExists(atPath: t.scratch.p("m/model.sig")))
    }

    @Test("two keys with one label are ambiguous until id= picks one; a key without its public key object, and an RSA key, are refused")
    func keySelection() throws {
        let t = try SoftHSMToken()
        try t.keypair("EC:prime256v1", label: "dup", id: "03")
        try t.keypair("EC:prime256v1", label: "dup", id: "04")
        try t.keypair("EC:prime256v1", label: "lonely", id: "05")
        try t.tool(["--delete-object", "--type", "pubkey", "--id", "05"])
        try t.keypair("rsa:1024", label: "rsakey", id: "09")
        model(t.scratch)
        let m = t.scratch.p("m")

        let ambiguous = try t.sign([m, "--key", t.uri("object=dup")])
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("2 private keys match object=\"dup\" in token \"weightseal\""), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("id=%03") && ambiguous.stderr.contains("id=%04"))

        let chosen = try t.sign([m, "--key", t.uri("object=dup;id=%04")])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(try run(["verify", m, "--key", t.exportPublicKey(id: "04")]).status == 0)
        #expect(try run(["verify", m, "--key", t.exportPublicKey(id: "03")]).status == 1)

        let lonely = try t.sign([m, "--key", t.uri("object=lonely"), "-o", t.scratch.p("l.sig")])
        #expect(lonely.status == 2)
        #expect(lonely.stderr.contains("token \"weightseal\" has no public key object (CKO_PUBLIC_KEY) with id=%05"), "\(lonely.stderr)")

        let rsa = try t.sign([m, "--key", t.uri("object=rsakey"), "-o", t.scratch.p("r.sig")])
        #expect(rsa.status == 2)
        #expect(rsa.stderr.contains("is an RSA key; weightseal signs with ECDSA P-256 or P-384"), "\(rsa.stderr)")

        // CKA_ALWAYS_AUTHENTICATE: the token wants a context-specific login before each signature.
        try t.tool(["--keypairgen", "--key-type", "EC:prime256v1", "--label", "always", "--id", "0a", "--always-auth"])
        let always = try t.sign([m, "--key", t.uri("object=always"), "-o", t.scratch.p("a.sig")])
        #expect(always.status == 0, "\(always.stderr)")
        #expect(try run(["verify", m, "--signature", t.scratch.p("a.sig"), "--key", t.exportPublicKey(id: "0a")]).status == 0)
    }
}
