import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("Sigstore bundle")
struct BundleTests {
    static let statementType = "application/vnd.in-toto+json"

    @Test("sign → JSON → parse → verify, for each algorithm", arguments: KeyAlgorithm.allCases)
    func roundTrip(_ algorithm: KeyAlgorithm) async throws {
        let key = SigningKey.generate(algorithm)
        let payload = Array(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8)
        let bundle = try BundleSigner.sign(payload: payload, payloadType: Self.statementType, key: key)
        let json = try bundle.jsonData()
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""mediaType" : "application/vnd.dev.sigstore.bundle.v0.3+json""#))
        #expect(text.contains(#""hint" : "\#(key.publicKey.hint)""#))
        #expect(text.contains(#""tlogEntries" : ["#))
        let parsed = try SigstoreBundle.parse(json, label: "model.sig")
        let verdict = await BundleVerifier.verify(parsed, trust: .publicKey(key.publicKey))
        let verified = try #require(verdict.payload)
        #expect(verified.payload == payload)
        #expect(verified.payloadType == Self.statementType)
        #expect(verified.notes.isEmpty)
        #expect(verified.signer.contains(key.publicKey.hint))
    }

    @Test("wrong key, altered payload, altered signature are rejected", arguments: KeyAlgorithm.allCases)
    func rejections(_ algorithm: KeyAlgorithm) async throws {
        let key = SigningKey.generate(algorithm)
        let bundle = try BundleSigner.sign(payload: Array("payload".utf8), payloadType: Self.statementType, key: key)

        let wrong = await BundleVerifier.verify(bundle, trust: .publicKey(SigningKey.generate(algorithm).publicKey))
        #expect(!wrong.isVerified)
        #expect(wrong.findings.map(\.kind) == [.keyMismatch])

        var altered = bundle
        altered.dsseEnvelope.payload = Array("payloaD".utf8)
        let a = await BundleVerifier.verify(altered, trust: .publicKey(key.publicKey))
        #expect(a.findings.map(\.kind) == [.signatureInvalid])
        #expect(a.findings.allSatisfy { !$0.message.isEmpty && $0.severity == .failure })

        var badSig = bundle
        badSig.dsseEnvelope.signatures[0].sig[8] ^= 0x40
        let b = await BundleVerifier.verify(badSig, trust: .publicKey(key.publicKey))
        #expect(b.findings.map(\.kind) == [.signatureInvalid])

        var retyped = bundle
        retyped.dsseEnvelope.payloadType = "application/json"
        #expect(await BundleVerifier.verify(retyped, trust: .publicKey(key.publicKey)).findings.map(\.kind) == [.signatureInvalid])
    }

    @Test("several signatures, even two valid ones from different keys, are refused (a bundle carries exactly one; G03)")
    func multipleSignatures() async throws {
        let key = SigningKey.generate(.p256)
        let other = SigningKey.generate(.ed25519)
        var bundle = try BundleSigner.sign(payload: Array("x".utf8), payloadType: Self.statementType, key: key)
        let otherSig = try other.signature(for: bundle.dsseEnvelope.pae)
        bundle.dsseEnvelope.signatures.insert(.init(sig: otherSig, keyid: "other"), at: 0)
        bundle.verificationMaterial.publicKey = .init(hint: nil)
        for trusted in [key.publicKey, other.publicKey] {
            let verdict = await BundleVerifier.verify(bundle, trust: .publicKey(trusted))
            #expect(verdict.findings.map(\.kind) == [.signatureInvalid])
            #expect(verdict.findings.first?.message.contains("exactly one signature, found 2") == true)
        }
        #expect(throws: WeightSealError(.malformedBundle, "")) { try SigstoreBundle.parse(try bundle.jsonData(), label: "x") }
    }

    @Test("a certificate chain goes into x509CertificateChain; a key that does not match is refused")
    func certificateChain() throws {
        let key = try SigningKey.load(file: OMSVectors.path("pki/signing.key"))
        let certs = try OMSVectors.bundle("sigs/cert-files.sig").certificates()
        let bundle = try BundleSigner.sign(payload: [1], payloadType: Self.statementType, key: key, certificateChain: certs)
        #expect(bundle.verificationMaterial.publicKey == nil)
        #expect(bundle.verificationMaterial.x509CertificateChain?.certificates.count == 2)
        let parsed = try SigstoreBundle.parse(try bundle.jsonData(), label: "x")
        #expect(try parsed.certificates() == certs)
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try BundleSigner.sign(payload: [1], payloadType: Self.statementType, key: SigningKey.generate(.p256), certificateChain: certs)
        }
    }

    @Test("the reference's key-files.sig verifies with keys/key.pub")
    func referenceSignature() async throws {
        let bundle = try OMSVectors.bundle("sigs/key-files.sig")
        #expect(bundle.verificationMaterial.publicKey?.hint == "1457b49d2cb38a4c4a44e7a49fa4a25538121f88fb18f8fddf03b433afb79e28")
        let verdict = await BundleVerifier.verify(bundle, trust: .publicKey(try OMSVectors.key()))
        let verified = try #require(verdict.payload)
        #expect(verified.notes.isEmpty)
        #expect(String(decoding: verified.payload, as: UTF8.self).contains("897daaf00858dd1fd3a78de74f8c13fbf8dc45be33b9ea5c67263036ef34f6ac"))
    }

    @Test("malformed bundles name the label and what is wrong")
    func malformed() throws {
        func message(_ json: String) -> (WeightSealError.Code, String)? {
            do {
                _ = try SigstoreBundle.parse(Array(json.utf8), label: "sigs/x.sig")
                return nil
            } catch {
                return (error.code, error.message)
            }
        }
        let env = #""dsseEnvelope":{"payload":"eA==","payloadType":"t","signatures":[{"sig":"eA=="}]}"#
        let cases: [(String, WeightSealError.Code, String)] = [
            ("not json", .malformedBundle, "invalid JSON"),
            ("[]", .malformedBundle, "not an object"),
            (#"{"verificationMaterial":{"publicKey":{}},\#(env)}"#, .malformedBundle, "mediaType"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.9+json","verificationMaterial":{"publicKey":{}},\#(env)}"#, .malformedBundle, "v0.9"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}}}"#, .malformedBundle, "dsseEnvelope"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"messageSignature":{}}"#, .unsupportedFormat, "messageSignature"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",\#(env)}"#, .malformedBundle, "verificationMaterial"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},\#(env)}"#, .malformedBundle, "no publicKey"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"eA==","payloadType":"t","signatures":[]}}"#, .malformedBundle, "exactly one signature, found 0"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"%%%","payloadType":"t","signatures":[{"sig":"eA=="}]}}"#, .malformedBundle, "dsseEnvelope.payload"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"eA==","signatures":[{"sig":"eA=="}]}}"#, .malformedBundle, "dsseEnvelope.payloadType"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"}},\#(env)}"#, .malformedBundle, "not a valid X.509"),
            (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{},"tlogEntries":[{"logIndex":"1"}]},\#(env)}"#, .unsupportedFormat, "keyless"),
        ]
        for (json, code, fragment) in cases {
            let got = try #require(message(json), "accepted: \(json)")
            #expect(got.0 == code, "\(json) → \(got.1)")
            #expect(got.1.contains("sigs/x.sig"), "\(got.1)")
            #expect(got.1.contains(fragment), "\(got.1) lacks \(fragment)")
        }
    }

    @Test("unknown fields are ignored; tlogEntries kept")
    func tolerant() throws {
        let json = #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","extra":{"a":[1,2]},"verificationMaterial":{"publicKey":{"hint":"ab","rawBytes":"eA=="},"tlogEntries":[],"future":1},"dsseEnvelope":{"payload":"eA==","payloadType":"t","signatures":[{"sig":"eA==","keyid":"","x":2}]}}"#
        let bundle = try SigstoreBundle.parse(Array(json.utf8), label: "x")
        #expect(bundle.verificationMaterial.publicKey?.hint == "ab")
        #expect(bundle.dsseEnvelope.payload == Array("x".utf8))
        #expect(!bundle.isKeyless)
    }

    @Test("the DSSE-only reader refuses a keyless bundle and names the options that verify it")
    func keyless() throws {
        let error = try #require(caughtError { _ = try OMSVectors.bundle("upstream/v1.1.0-sigstore/model.sig") })
        #expect(error.code == .unsupportedFormat)
        #expect(error.message.contains("--certificate-identity and --certificate-oidc-issuer"))
    }

    @Test("oversized input is refused before parsing")
    func oversized() {
        let big = [UInt8](repeating: 0x20, count: Limits.maxJSONBytes + 1)
        #expect(throws: WeightSealError(.limitExceeded, "")) { try SigstoreBundle.parse(big, label: "big.sig") }
    }
}
