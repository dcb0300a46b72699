import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

@Suite("Keys")
struct KeyTests {
    @Test("sign and verify with each algorithm", arguments: KeyAlgorithm.allCases)
    func signVerify(_ algorithm: KeyAlgorithm) throws {
        let key = SigningKey.generate(algorithm)
        #expect(key.algorithm == algorithm)
        #expect(key.publicKey.algorithm == algorithm)
        let message = Array("DSSEv1 1 t 5 hello".utf8)
        let sig = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(sig, for: message))
        #expect(!key.publicKey.isValidSignature(sig, for: message + [0]))
        #expect(!SigningKey.generate(algorithm).publicKey.isValidSignature(sig, for: message))
        var flipped = sig
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.publicKey.isValidSignature(flipped, for: message))
        if algorithm == .ed25519 { #expect(sig.count == 64) } else { #expect(sig.first == 0x30) }  // DER SEQUENCE
    }

    @Test("PEM round trip of private and public keys", arguments: KeyAlgorithm.allCases)
    func pemRoundTrip(_ algorithm: KeyAlgorithm) throws {
        let key = SigningKey.generate(algorithm)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(key.pemRepresentation.hasSuffix("-----END PRIVATE KEY-----\n"))
        let again = try SigningKey(pemRepresentation: key.pemRepresentation)
        #expect(again.publicKey == key.publicKey)
        #expect(again.algorithm == algorithm)
        let pub = try PublicKey(pemRepresentation: key.publicKey.pemRepresentation)
        #expect(pub == key.publicKey)
        #expect(try PublicKey(derRepresentation: pub.derRepresentation) == pub)
        #expect(pub.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(pub.pemRepresentation.hasSuffix("-----END PUBLIC KEY-----\n"))
    }

    @Test("the OMS test key: SEC1 private key, SPKI public key, hint = sha256 of the .pub file")
    func omsTestKey() throws {
        let priv = try SigningKey.load(file: OMSVectors.path("keys/key.priv"))
        let pub = try PublicKey.load(file: OMSVectors.path("keys/key.pub"))
        #expect(priv.algorithm == .p256)
        #expect(priv.publicKey == pub)
        #expect(pub.pemRepresentation == (try OMSVectors.text("keys/key.pub")))
        #expect(pub.hint == "1457b49d2cb38a4c4a44e7a49fa4a25538121f88fb18f8fddf03b433afb79e28")
        #expect(pub.hint == SHA256.hash(data: try OMSVectors.bytes("keys/key.pub")).hexString)
        let other = try PublicKey.load(file: OMSVectors.path("keys/other.pub"))
        #expect(other.hint == "e3b766d21ed1819a77e74e7ad4d49f0e9de3f46959289b9846bb7dee026b4918")
        #expect(other != pub)
    }

    @Test("a PEM key with certtool's text in front; hint over the PEM block only (upstream P-384 key)")
    func certtoolKey() throws {
        let pub = try PublicKey.load(file: OMSVectors.path("upstream/keys/certificate/signing-key-pub.pem"))
        #expect(pub.algorithm == .p384)
        #expect(pub.hint == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e")
    }

    @Test("the OMS certificate's key matches its private key")
    func certificateKey() throws {
        let key = try SigningKey.load(file: OMSVectors.path("pki/signing.key"))
        let bundle = try OMSVectors.bundle("sigs/cert-files.sig")
        let certs = try bundle.certificates()
        #expect(certs.count == 2)
        #expect(key.matches(certificate: certs[0]))
        #expect(!key.matches(certificate: certs[1]))
        #expect(!SigningKey.generate(.p256).matches(certificate: certs[0]))
        #expect(try PublicKey(certificate: certs[0]) == key.publicKey)
    }

    @Test("malformed keys are malformedKey errors naming the file")
    func malformed() throws {
        #expect(throws: WeightSealError(.malformedKey, "")) { try PublicKey(pemRepresentation: "hello") }
        #expect(throws: WeightSealError(.malformedKey, "")) {
            try PublicKey(pemRepresentation: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        }
        #expect(throws: WeightSealError(.malformedKey, "")) { try SigningKey(pemRepresentation: try OMSVectors.text("keys/key.pub")) }
        #expect(throws: WeightSealError(.malformedKey, "")) { try PublicKey(derRepresentation: [0x30, 0x00]) }
        do {
            _ = try PublicKey.load(file: OMSVectors.path("keys/key.priv"))
            Issue.record("a private key file was read as a public key")
        } catch {
            #expect(error.code == .malformedKey)
            #expect(error.message.contains("key.priv"))
        }
        do {
            _ = try SigningKey.load(file: "/nonexistent/release.key")
            Issue.record("a missing file was read")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("/nonexistent/release.key"))
        }
    }
}
