import Crypto
import WeightSealTestSupport
import Foundation
import SwiftASN1
import Testing
@testable import WeightSeal
import X509

// FIELD-CASES-2 G03, G04, G05, G06 and G14 for weightseal's own signature files (key and certificate bundles).
// Inputs are built here, as the recipes' helper scripts (`sealtool.py`, `payloadmut.py`, `mkpki.sh`) build them.

/// The error a throwing call raised, or nil (and a recorded issue) when it did not throw.
private func thrown<T>(_ body: () throws(WeightSealError) -> T,
                       sourceLocation: SourceLocation = #_sourceLocation) -> WeightSealError? {
    do {
        _ = try body()
        Issue.record("expected a WeightSealError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// JSON text of a compact JSON value (sorted keys, as weightseal writes payloads).
private func compact(_ value: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]),
           as: UTF8.self)
}

/// A signed weightseal manifest Statement over two files: `config.json` (`{"a":1}\n`) and `model.bin` (5000 bytes,
/// two 4096-byte chunks).
private func nativePayload() async throws -> [UInt8] {
    let dir = TempDir()
    dir.write("config.json", "{\"a\":1}\n")
    dir.write("model.bin", [UInt8]((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
    let (manifest, _) = try await ManifestBuilder.small().build(root: dir.path)
    return try manifest.statementJSON()
}

/// `payloadmut.py`: replaces the first occurrence of `old` in `payload` with `new` (must be present).
private func replacing(_ payload: [UInt8], _ old: String, with new: String,
                       sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    let text = String(decoding: payload, as: UTF8.self)
    guard let range = text.range(of: old) else {
        Issue.record("\(old) not in the payload", sourceLocation: sourceLocation)
        return payload
    }
    return Array(text.replacingCharacters(in: range, with: new).utf8)
}

/// The `"files":[…]` text of a native payload, and the same list with config.json's digest replaced by a fake one.
private func filesLists(_ payload: [UInt8]) throws -> (real: String, fake: String) {
    let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
    let predicate = try #require(statement["predicate"] as? [String: Any])
    let files = try #require(predicate["files"] as? [[String: Any]])
    var fake = files
    fake[0]["sha256"] = SHA256.hash(data: Array("not the signed bytes".utf8)).hexString
    return ("\"files\":" + (try compact(files)), "\"files\":" + (try compact(fake)))
}

@Suite("G03: a bundle's DSSE envelope carries exactly one signature")
struct G03SignatureCountTests {
    /// `sealtool.py sigs`: the bundle JSON with the signature list replaced.
    static func withSignatures(_ pattern: String, bundle: SigstoreBundle) throws -> [UInt8] {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(try bundle.jsonData())) as? [String: Any])
        var envelope = try #require(object["dsseEnvelope"] as? [String: Any])
        let good = try #require((envelope["signatures"] as? [[String: Any]])?.first)
        let bogus: [String: Any] = ["sig": Data([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).base64EncodedString()]
        envelope["signatures"] = ["none": [], "bogus-first": [bogus, good], "bogus-last": [good, bogus],
                                  "twice": [good, good]][pattern]
        object["dsseEnvelope"] = envelope
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test("zero, a junk one first or last, or the same one twice: malformedBundle naming the count, wherever the junk sits")
    func counts() throws {
        let key = SigningKey.generate(.p256)
        let bundle = try BundleSigner.sign(payload: Array("{}".utf8), payloadType: BundleTests.statementType, key: key)
        var messages = [String: String]()
        for (pattern, count) in [("none", 0), ("bogus-first", 2), ("bogus-last", 2), ("twice", 2)] {
            let json = try Self.withSignatures(pattern, bundle: bundle)
            let error = try #require(thrown { () throws(WeightSealError) in try SigstoreBundle.parse(json, label: "sigs.sig") })
            #expect(error.code == .malformedBundle, "\(pattern)")
            #expect(error.message == "sigs.sig: malformed bundle: the DSSE envelope of a Sigstore bundle must carry exactly one signature, found \(count)", "\(pattern)")
            messages[pattern] = error.message
        }
        #expect(messages["bogus-first"] == messages["bogus-last"])
        // The one-signature bundle itself parses.
        _ = try SigstoreBundle.parse(try bundle.jsonData(), label: "sigs.sig")
    }

    @Test("the verifier also refuses a bundle built in code with several signatures, even if one is valid")
    func verifierRefusesSeveral() async throws {
        let key = SigningKey.generate(.p256)
        var bundle = try BundleSigner.sign(payload: Array("x".utf8), payloadType: BundleTests.statementType, key: key)
        bundle.dsseEnvelope.signatures.append(.init(sig: [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))
        let verdict = await BundleVerifier.verify(bundle, trust: .publicKey(key.publicKey))
        #expect(!verdict.isVerified)
        #expect(verdict.findings.map(\.kind) == [.signatureInvalid])
        #expect(verdict.findings.first?.message.contains("exactly one signature, found 2") == true)
        bundle.dsseEnvelope.signatures = []
        #expect(await BundleVerifier.verify(bundle, trust: .publicKey(key.publicKey)).findings.map(\.kind) == [.signatureInvalid])
    }
}

@Suite("G04: a member named twice in a signed payload or bundle is refused")
struct G04DuplicateMemberTests {
    @Test("native Statement: files twice, once escaped, predicate twice, a digest twice → malformedManifest naming the member")
    func nativeDuplicates() async throws {
        let payload = try await nativePayload()
        let (real, fake) = try filesLists(payload)
        let cases: [(String, [UInt8], String)] = [
            ("dup-first", replacing(payload, real, with: fake + "," + real), #"duplicate key "files" in predicate"#),
            ("dup-last", replacing(payload, real, with: real + "," + fake), #"duplicate key "files" in predicate"#),
            ("dup-escaped", replacing(payload, real, with: fake.replacingOccurrences(of: "\"files\"", with: #""fil\u0065s""#) + "," + real),
             #"duplicate key "files" in predicate"#),
            ("predicate twice", replacing(payload, #""predicate":"#, with: #""predicate":{},"predicate":"#),
             #"duplicate key "predicate" in the top level"#),
            ("subject digest twice", replacing(payload, #""digest":{"sha256":"#, with: #""digest":{"sha256":"00","sha256":"#),
             #"duplicate key "sha256" in subject[0].digest"#),
        ]
        for (name, mutated, fragment) in cases {
            let error = try #require(thrown { () throws(WeightSealError) in try ModelManifest.parseStatement(mutated, label: "M.sig") }, "\(name)")
            #expect(error.code == .malformedManifest, "\(name)")
            #expect(error.message.hasPrefix("M.sig: malformed weightseal manifest Statement: not strict JSON: "), "\(name): \(error.message)")
            #expect(error.message.contains(fragment), "\(name): \(error.message)")
        }
    }

    @Test("native Statement: an extra \"Files\" is never merged with files (ignored as unknown; the real list is read)")
    func caseVariant() async throws {
        let payload = try await nativePayload()
        let (real, fake) = try filesLists(payload)
        let mutated = replacing(payload, real, with: real + "," + fake.replacingOccurrences(of: "\"files\"", with: "\"Files\""))
        let (manifest, findings) = try ModelManifest.parseStatement(mutated, label: "M.sig")
        let (original, _) = try ModelManifest.parseStatement(payload, label: "M.sig")
        #expect(manifest.files == original.files)
        #expect(findings.isEmpty)
    }

    @Test("native Statement: a subject digest that disagrees with predicate.files makes the payload malformed (G04)")
    func subjectDisagree() async throws {
        let payload = try await nativePayload()
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        var subjects = try #require(statement["subject"] as? [[String: Any]])
        subjects[0]["digest"] = ["sha256": SHA256.hash(data: Array("not the signed bytes".utf8)).hexString]
        var mutated = statement
        mutated["subject"] = subjects
        let bytes = Array(try compact(mutated).utf8)
        do throws(WeightSealError) {
            _ = try ModelManifest.parseStatement(bytes, label: "M.sig")
            Issue.record("a payload whose subjects disagree with its files was read")
        } catch {
            #expect(error.code == .malformedManifest)
            #expect(error.message.contains("subject digest for \"config.json\" disagrees with predicate.files"), "\(error.message)")
        }
    }

    @Test("native Statement: subjects in another order than the files are matched by name; a disagreement is still named")
    func subjectsReordered() async throws {
        let payload = try await nativePayload()
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        var subjects = try #require(statement["subject"] as? [[String: Any]])
        #expect(subjects.count == 2)
        subjects.reverse()
        var mutated = statement
        mutated["subject"] = subjects
        let (reordered, _) = try ModelManifest.parseStatement(Array(try compact(mutated).utf8), label: "M.sig")
        let (original, _) = try ModelManifest.parseStatement(payload, label: "M.sig")
        #expect(reordered.files == original.files)

        // Reordered and one digest wrong: the map of names finds it.
        subjects[0]["digest"] = ["sha256": SHA256.hash(data: Array("other".utf8)).hexString]
        mutated["subject"] = subjects
        let wrong = Array(try compact(mutated).utf8)
        let error = try #require(thrown { () throws(WeightSealError) in
            _ = try ModelManifest.parseStatement(wrong, label: "M.sig")
        })
        #expect(error.code == .malformedManifest)
        #expect(error.message.contains("subject digest for \"model.bin\" disagrees with predicate.files"), "\(error.message)")

        // In order, but one subject names another file: not matched in order, and the file is named.
        var renamed = try #require(statement["subject"] as? [[String: Any]])
        renamed[1]["name"] = "model.bin.orig"
        mutated["subject"] = renamed
        let renamedBytes = Array(try compact(mutated).utf8)
        let renamedError = try #require(thrown { () throws(WeightSealError) in
            _ = try ModelManifest.parseStatement(renamedBytes, label: "M.sig")
        })
        #expect(renamedError.message.contains("subject digest for \"model.bin\" disagrees with predicate.files"), "\(renamedError.message)")
    }

    @Test("native Statement: a bad file entry or subject read while streaming is named by its place")
    func streamedEntryErrors() async throws {
        let payload = try await nativePayload()
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        var predicate = try #require(statement["predicate"] as? [String: Any])
        var files = try #require(predicate["files"] as? [[String: Any]])
        files[1]["size"] = "5000"
        predicate["files"] = files
        var mutated = statement
        mutated["predicate"] = predicate
        let badFile = Array(try compact(mutated).utf8)
        let fileError = try #require(thrown { () throws(WeightSealError) in _ = try ModelManifest.parseStatement(badFile, label: "M.sig") })
        #expect(fileError.code == .malformedManifest)
        #expect(fileError.message.contains("predicate.files[1].size"), "\(fileError.message)")

        var subjects = try #require(statement["subject"] as? [[String: Any]])
        subjects[1].removeValue(forKey: "name")
        mutated = statement
        mutated["subject"] = subjects
        let badSubject = Array(try compact(mutated).utf8)
        let subjectError = try #require(thrown { () throws(WeightSealError) in _ = try ModelManifest.parseStatement(badSubject, label: "M.sig") })
        #expect(subjectError.code == .malformedManifest)
        #expect(subjectError.message.contains("subject[1].name"), "\(subjectError.message)")
    }

    @Test("OMS statement through the streaming reader: subjects put back (few) or read again (many), as OMS reads them")
    func omsSubjectsThroughStreaming() throws {
        let files = [OMSFormat.HashedFile(path: "config.json", size: 8, sha256: Array(SHA256.hash(data: Array("{\"a\":1}\n".utf8))))]
        let payload = try OMSFormat.statement(files: files, modelName: "m")
        let direct = try OMSFormat.reference(fromPayload: payload, label: "o.sig")
        let streamed = try SignedReference.fromPayload(payload, type: InTotoStatement<ModelManifest>.payloadType, label: "o.sig",
                                                       notes: [], signer: SignerInfo())
        #expect(streamed.verified?.reference.files == direct.0.files)
        #expect(streamed.findings.map(\.kind) == direct.1.map(\.kind))

        // More subjects than the streaming reader keeps: the same verdict as the OMS reader's own reading.
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        let subjects = try #require(statement["subject"] as? [[String: Any]])
        var mutated = statement
        mutated["subject"] = Array(repeating: subjects[0], count: ManifestStatement.Elements.rawSubjectLimit + 4)
        let many = Array(try compact(mutated).utf8)
        let manyDirect = try OMSFormat.reference(fromPayload: many, label: "o.sig")
        let manyStreamed = try SignedReference.fromPayload(many, type: InTotoStatement<ModelManifest>.payloadType, label: "o.sig",
                                                           notes: [], signer: SignerInfo())
        #expect(manyStreamed.findings.map(\.message) == manyDirect.1.map(\.message))
        #expect(manyStreamed.verified?.reference.files == (manyStreamed.verified == nil ? nil : manyDirect.0.files))

        // A subject that is not an OMS subject is refused with the OMS reader's words, from either side of the bound.
        for count in [1, ManifestStatement.Elements.rawSubjectLimit + 1] {
            mutated["subject"] = Array(repeating: ["name": "m", "digest": ["sha256": 5]] as [String: Any], count: count)
            let bad = Array(try compact(mutated).utf8)
            let directError = thrown { () throws(WeightSealError) in _ = try OMSFormat.reference(fromPayload: bad, label: "o.sig") }
            let streamedError = thrown { () throws(WeightSealError) in
                _ = try SignedReference.fromPayload(bad, type: InTotoStatement<ModelManifest>.payloadType, label: "o.sig",
                                                    notes: [], signer: SignerInfo())
            }
            #expect(directError != nil)
            #expect(streamedError?.code == directError?.code)
            #expect(streamedError?.message == directError?.message)
        }
    }

    @Test("OMS statement: resources twice (plain and escaped) → malformedManifest naming the member")
    func omsDuplicates() throws {
        let files = [OMSFormat.HashedFile(path: "config.json", size: 8, sha256: Array(SHA256.hash(data: Array("{\"a\":1}\n".utf8))))]
        let payload = try OMSFormat.statement(files: files, modelName: "m")
        for key in [#""resources""#, #""r\u0065sources""#] {
            let mutated = replacing(payload, #""resources":"#, with: "\(key):[],\"resources\":")
            let error = try #require(thrown { () throws(WeightSealError) in try OMSFormat.reference(fromPayload: mutated, label: "o.sig") })
            #expect(error.code == .malformedManifest)
            #expect(error.message.contains(#"duplicate key "resources" in predicate"#), "\(error.message)")
        }
        _ = try OMSFormat.reference(fromPayload: payload, label: "o.sig")
    }

    @Test("bundle: a member twice (plain or escaped) → malformedBundle naming the member and its object")
    func bundleDuplicates() throws {
        let key = SigningKey.generate(.p256)
        let bundle = try BundleSigner.sign(payload: Array("{}".utf8), payloadType: BundleTests.statementType, key: key)
        let json = String(decoding: try bundle.jsonData(), as: UTF8.self)
        let cases: [(String, String, String)] = [
            (#""payloadType" : "#, #""payloadType" : "text/plain", "payloadType" : "#, #"duplicate key "payloadType" in dsseEnvelope"#),
            (#""mediaType" : "#, #""mediaTyp\u0065" : "x", "mediaType" : "#, #"duplicate key "mediaType" in the top level"#),
        ]
        for (old, new, fragment) in cases {
            let mutated = Array(json.replacingOccurrences(of: old, with: new).utf8)
            let error = try #require(thrown { () throws(WeightSealError) in try SigstoreBundle.parse(mutated, label: "b.sig") })
            #expect(error.code == .malformedBundle)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}

@Suite("G14: digests in signed payloads are lower-case hex only")
struct G14LowerHexTests {
    @Test("native: upper-case file, chunk, root or subject digests → malformedManifest naming the field")
    func native() async throws {
        let payload = try await nativePayload()
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        let predicate = try #require(statement["predicate"] as? [String: Any])
        let files = try #require(predicate["files"] as? [[String: Any]])
        let subjects = try #require(statement["subject"] as? [[String: Any]])
        func build(subjects: [[String: Any]], files: [[String: Any]], root: String? = nil) throws -> [UInt8] {
            var p = predicate
            p["files"] = files
            if let root { p["root"] = root }
            var s = statement
            s["predicate"] = p
            s["subject"] = subjects
            return Array(try compact(s).utf8)
        }
        // payloadmut.py upper-hex: every subject and file digest upper-cased.
        var upperSubjects = subjects
        for i in upperSubjects.indices {
            upperSubjects[i]["digest"] = ["sha256": ((upperSubjects[i]["digest"] as? [String: String])?["sha256"] ?? "").uppercased()]
        }
        var upperFiles = files
        for i in upperFiles.indices { upperFiles[i]["sha256"] = (upperFiles[i]["sha256"] as? String ?? "").uppercased() }
        var upperChunk = files
        var chunks = try #require(upperChunk[1]["chunks"] as? [String])
        chunks[1] = chunks[1].uppercased()
        upperChunk[1]["chunks"] = chunks
        let root = try #require(predicate["root"] as? String)
        let cases: [(String, [UInt8], String)] = [
            ("upper-hex", try build(subjects: upperSubjects, files: upperFiles), "predicate.files[0].sha256 (\"config.json\") is not 64 lower-case hex digits"),
            ("one chunk", try build(subjects: subjects, files: upperChunk), "predicate.files[1].chunks[1] (\"model.bin\") is not 64 lower-case hex digits"),
            ("root", try build(subjects: subjects, files: files, root: root.uppercased()), "predicate.root is not 64 lower-case hex digits"),
            ("subject only", try build(subjects: upperSubjects, files: files), "subject[0].digest.sha256 (\"config.json\") is not 64 lower-case hex digits"),
        ]
        for (name, mutated, fragment) in cases {
            let error = try #require(thrown { () throws(WeightSealError) in try ModelManifest.parseStatement(mutated, label: "up.sig") }, "\(name)")
            #expect(error.code == .malformedManifest, "\(name)")
            #expect(error.message.contains(fragment), "\(name): \(error.message)")
        }
        // Unchanged, it parses without findings.
        #expect(try ModelManifest.parseStatement(try build(subjects: subjects, files: files), label: "up.sig").1.isEmpty)
    }

    @Test("OMS v1.0 and legacy: upper-case resource or subject digests → malformedManifest naming the field")
    func oms() throws {
        let digest = Array(SHA256.hash(data: Array("{\"a\":1}\n".utf8)))
        let files = [OMSFormat.HashedFile(path: "config.json", size: 8, sha256: digest)]
        let payload = try OMSFormat.statement(files: files, modelName: "m")
        let subjectDigest = SHA256.hash(data: digest).hexString
        let cases: [(String, [UInt8], String)] = [
            ("resource", replacing(payload, digest.hexString, with: digest.hexString.uppercased()),
             "predicate.resources[0].digest (\"config.json\") is not 64 lower-case hex digits"),
            ("subject", replacing(payload, subjectDigest, with: subjectDigest.uppercased()),
             "subject[0].digest.sha256 is not 64 lower-case hex digits"),
            ("legacy subject", Array(#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://model_signing/Digests/v0.1","subject":[{"name":"config.json","digest":{"sha256":"\#(digest.hexString.uppercased())"}}]}"#.utf8),
             "subject[0].digest.sha256 (\"config.json\") is missing or not 64 lower-case hex digits"),
        ]
        for (name, mutated, fragment) in cases {
            let error = try #require(thrown { () throws(WeightSealError) in try OMSFormat.reference(fromPayload: mutated, label: "o.sig") }, "\(name)")
            #expect(error.code == .malformedManifest, "\(name)")
            #expect(error.message.contains(fragment), "\(name): \(error.message)")
        }
    }
}

/// `mkpki.sh` in memory: a root valid 2019–2030 and leaves over one key (seed 3), issued by the root directly.
enum FieldPKI {
    static func date(_ text: String) throws -> Date { try Date(text, strategy: .iso8601) }

    static func root() throws -> Certificate {
        let name = try TestPKI.name("Field Test Root")
        return try TestPKI.certificate(subject: name, key: TestPKI.key(1), issuer: name, issuerKey: TestPKI.key(1),
                                       notBefore: date("2019-01-01T00:00:00Z"), notAfter: date("2030-01-01T00:00:00Z"),
                                       extensions: TestPKI.caExtensions(), serial: 1)
    }

    static func leaf(notBefore: Date, notAfter: Date, extensions: [Certificate.Extension]) throws -> Certificate {
        try TestPKI.certificate(subject: TestPKI.name("release-signer"), key: TestPKI.key(3),
                                issuer: TestPKI.name("Field Test Root"), issuerKey: TestPKI.key(1),
                                notBefore: notBefore, notAfter: notAfter, extensions: extensions, serial: 1000)
    }

    /// The G06 table's leaves: key usage, extended key usage, basic constraints CA flag.
    static func extensions(_ name: String) throws -> [Certificate.Extension] {
        let ds = KeyUsage(digitalSignature: true)
        switch name {
        case "code": return try TestPKI.leafExtensions(keyUsage: ds, extendedKeyUsage: [.codeSigning])
        case "server": return try TestPKI.leafExtensions(keyUsage: ds, extendedKeyUsage: [.serverAuth])
        case "noeku": return try TestPKI.leafExtensions(keyUsage: ds, extendedKeyUsage: nil)
        case "noku": return try TestPKI.leafExtensions(keyUsage: nil, extendedKeyUsage: [.codeSigning])
        case "keyenc": return try TestPKI.leafExtensions(keyUsage: KeyUsage(keyAgreement: true), extendedKeyUsage: [.codeSigning])
        case "anyeku": return try TestPKI.leafExtensions(keyUsage: ds, extendedKeyUsage: [.any])
        case "caleaf":
            return [
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
                try Certificate.Extension(KeyUsage(digitalSignature: true, keyCertSign: true), critical: true),
                try Certificate.Extension(ExtendedKeyUsage([.codeSigning]), critical: false),
                try Certificate.Extension(SubjectAlternativeNames([.rfc822Name(TestPKI.email)]), critical: false),
            ]
        case "neither": return try TestPKI.leafExtensions(keyUsage: nil, extendedKeyUsage: nil)
        case "badeku":
            var e = try TestPKI.leafExtensions(keyUsage: ds, extendedKeyUsage: nil)
            e.append(Certificate.Extension(oid: .X509ExtensionID.extendedKeyUsage, critical: false, value: [0x05, 0x00]))
            return e
        default: throw WeightSealError(.invalidArgument, "no leaf \(name)")
        }
    }
}

@Suite("G05: certificate validity at the verification or signing time, bounds inclusive")
struct G05ValidityTests {
    @Test("a leaf valid 2020-01-01 to 2020-01-02 is valid at exactly both bounds and invalid one second outside")
    func inclusiveBounds() async throws {
        let notBefore = try FieldPKI.date("2020-01-01T00:00:00Z"), notAfter = try FieldPKI.date("2020-01-02T00:00:00Z")
        let leaf = try FieldPKI.leaf(notBefore: notBefore, notAfter: notAfter, extensions: FieldPKI.extensions("code"))
        let root = try FieldPKI.root()
        for (time, valid) in [(notBefore, true), (notAfter, true), (notBefore - 1, false), (notAfter + 1, false)] {
            let verdict = await CertificateTrust(roots: [root], validationTime: time).validate(leaf: leaf, intermediates: [])
            switch verdict {
            case .trusted:
                #expect(valid, "trusted at \(time)")
            case .rejected(let finding):
                #expect(!valid, "rejected at \(time): \(finding.message)")
                #expect(finding.kind == .certificateInvalid)
                #expect(finding.message.contains(time < notBefore ? "not yet valid: valid from 2020-01-01T00:00:00Z"
                                                                 : "certificate expired at 2020-01-02T00:00:00Z"))
            }
            // The signing side uses the same bounds.
            if valid {
                try CertificateTrust.checkSigningCertificate(leaf, at: time)
            } else {
                let error = try #require(thrown { () throws(WeightSealError) in try CertificateTrust.checkSigningCertificate(leaf, at: time) })
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(time < notBefore ? "not yet valid: notBefore is 2020-01-01T00:00:00Z"
                                                               : "expired: notAfter was 2020-01-02T00:00:00Z"), "\(error.message)")
            }
        }
    }

    @Test("BundleSigner refuses an expired or not-yet-valid leaf now, and signs with it at a time inside its period")
    func signerRefuses() throws {
        let key = try SigningKey(pemRepresentation: TestPKI.key(3).pemRepresentation)
        let expired = try FieldPKI.leaf(notBefore: FieldPKI.date("2020-01-01T00:00:00Z"), notAfter: FieldPKI.date("2020-01-02T00:00:00Z"),
                                        extensions: FieldPKI.extensions("code"))
        let future = try FieldPKI.leaf(notBefore: FieldPKI.date("2099-01-01T00:00:00Z"), notAfter: FieldPKI.date("2099-02-01T00:00:00Z"),
                                       extensions: FieldPKI.extensions("code"))
        for (leaf, bound) in [(expired, "notAfter was 2020-01-02T00:00:00Z"), (future, "notBefore is 2099-01-01T00:00:00Z")] {
            let error = try #require(thrown { () throws(WeightSealError) in
                try BundleSigner.sign(payload: [1], payloadType: BundleTests.statementType, key: key, certificateChain: [leaf])
            })
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(bound), "\(error.message)")
        }
        let bundle = try BundleSigner.sign(payload: [1], payloadType: BundleTests.statementType, key: key,
                                           certificateChain: [expired], signingTime: FieldPKI.date("2020-01-01T12:00:00Z"))
        #expect(bundle.verificationMaterial.x509CertificateChain?.certificates.count == 1)
    }
}

@Suite("G06: the leaf must be meant for code signing")
struct G06SigningPurposeTests {
    static let time = TestPKI.referenceTime

    static func leaf(_ name: String) throws -> Certificate {
        try FieldPKI.leaf(notBefore: time - 30 * TestPKI.day, notAfter: time + 30 * TestPKI.day, extensions: FieldPKI.extensions(name))
    }

    @Test("the G06 table: verify accepts code, noeku, noku, anyeku; rejects server, keyenc, caleaf, neither, badeku; sign agrees",
          arguments: [
            ("code", nil), ("noeku", nil), ("noku", nil), ("anyeku", nil),
            ("server", "extended key usage does not permit code signing"),
            ("keyenc", "key usage lacks digitalSignature"),
            ("caleaf", "the signing certificate is a CA (basic constraints CA:TRUE)"),
            ("neither", "it has neither a key usage nor an extended key usage extension"),
            ("badeku", "its extended key usage extension is malformed"),
          ] as [(String, String?)])
    func table(name: String, reason: String?) async throws {
        let leaf = try Self.leaf(name)
        let verdict = await CertificateTrust(roots: [try FieldPKI.root()], identity: TestPKI.email, validationTime: Self.time)
            .validate(leaf: leaf, intermediates: [])
        let signing = Result { () throws(WeightSealError) in try CertificateTrust.checkSigningCertificate(leaf, at: Self.time) }
        switch (verdict, reason) {
        case (.trusted, nil):
            #expect(throws: Never.self) { try signing.get() }
        case (.rejected(let finding), let reason?):
            #expect(finding.kind == .certificateInvalid)
            #expect(finding.message.hasPrefix("certificate is not for code signing: \(reason)"), "\(finding.message)")
            #expect(finding.message.contains("leaf 'CN=release-signer,O=weightseal tests'"))
            let error = try #require(thrown { () throws(WeightSealError) in try signing.get() })
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(reason), "\(error.message)")
        case (.trusted, let reason?):
            Issue.record("\(name): trusted, expected a rejection: \(reason)")
        case (.rejected(let finding), nil):
            Issue.record("\(name): rejected: \(finding.message)")
        }
    }

    @Test("the server leaf's message lists both usages")
    func serverMessage() async throws {
        let finding = await CertificateTrust(roots: [try FieldPKI.root()], validationTime: Self.time)
            .validate(leaf: try Self.leaf("server"), intermediates: [])
        guard case .rejected(let f) = finding else {
            Issue.record("expected a rejection")
            return
        }
        #expect(f.message.hasSuffix("key usage: digitalSignature; extended key usage: serverAuth)"))
    }
}
