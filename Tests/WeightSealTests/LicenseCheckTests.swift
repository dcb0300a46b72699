import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("License checks and resolution")
struct LicenseCheckTests {
    typealias F = LicenseFixtures

    // MARK: - Signing side

    @Test func resolverRefusesDisagreementNamingSources() throws {
        let decls = [LicenseDeclaration(path: "README.md", field: "license", value: "apache-2.0"),
                     LicenseDeclaration(path: "model.gguf", field: "general.license", value: "mit")]
        do {
            _ = try LicenseResolver.resolve(declarations: decls, publisherChoice: nil)
            Issue.record("disagreeing declarations must be refused")
        } catch {
            #expect(error.code == .licenseConflict)
            #expect(error.message.contains("README.md license") && error.message.contains("model.gguf general.license"))
            #expect(error.message.contains("--license"))
        }
        let chosen = try LicenseResolver.resolve(declarations: decls, files: ["LICENSE"], publisherChoice: "mit")
        #expect(chosen == LicenseRecord(expression: "MIT", declarations: decls, files: ["LICENSE"], chosenBy: "publisher"))
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try LicenseResolver.resolve(declarations: decls, publisherChoice: "MIT AND")
        }
    }

    @Test func resolverAgreementIgnoresSpellingAndOrder() throws {
        let decls = [LicenseDeclaration(path: "README.md", field: "license", value: "gpl-3.0"),
                     LicenseDeclaration(path: "a.gguf", field: "general.license", value: "GPL-3.0-only"),
                     LicenseDeclaration(path: "b.gguf", field: "general.license", value: "GPL-3.0")]
        #expect(try LicenseResolver.resolve(declarations: decls, publisherChoice: nil).expression == "GPL-3.0-only")
        let orders = [LicenseDeclaration(path: "a.gguf", field: "general.license", value: "MIT OR Apache-2.0"),
                      LicenseDeclaration(path: "b.gguf", field: "general.license", value: "apache-2.0 or mit")]
        #expect(try LicenseResolver.resolve(declarations: orders, publisherChoice: nil).expression == "MIT OR Apache-2.0")
        #expect(try LicenseResolver.resolve(declarations: [], publisherChoice: nil) == LicenseRecord(expression: nil, declarations: [], files: []))
        // An unreadable value needs a choice.
        let odd = [LicenseDeclaration(path: "a.gguf", field: "general.license", value: "Apache License, Version 2.0")]
        #expect(throws: WeightSealError(.licenseConflict, "")) { try LicenseResolver.resolve(declarations: odd, publisherChoice: nil) }
        #expect(try LicenseResolver.resolve(declarations: odd, publisherChoice: "Apache-2.0").expression == "Apache-2.0")
    }

    @Test func recordJSONShape() throws {
        let record = LicenseRecord(expression: "Apache-2.0",
                                   declarations: [.init(path: "README.md", field: "license", value: "apache-2.0")],
                                   files: ["LICENSE"])
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try enc.encode(record), as: UTF8.self)
                == #"{"declarations":[{"field":"license","path":"README.md","value":"apache-2.0"}],"expression":"Apache-2.0","files":["LICENSE"]}"#)
        var chosen = record
        chosen.chosenBy = LicenseRecord.chosenByPublisher
        #expect(String(decoding: try enc.encode(chosen), as: UTF8.self).contains(#""chosenBy":"publisher""#))
        let parsed = try JSONDecoder().decode(LicenseRecord.self, from: Data(#"{"expression": "Apache-2.0", "declarations": [{"path":"README.md","field":"license","value":"apache-2.0"}], "files": ["LICENSE"]}"#.utf8))
        #expect(parsed == record)
    }

    // MARK: - Verify side

    func signedRecord(_ files: [String: [UInt8]], choice: String? = nil) throws -> (LicenseRecord, Set<String>) {
        let scan = try F.scan(files)
        return (try LicenseResolver.resolve(scan: scan, publisherChoice: choice), Set(files.keys))
    }

    @Test func untouchedModelHasNoFindings() throws {
        let files = ["README.md": F.card("license: apache-2.0"), "LICENSE": F.text("Apache License\n Version 2.0, January 2004")]
        let (record, paths) = try signedRecord(files)
        let findings = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: nil)
        #expect(findings.isEmpty, "\(findings)")
        let policy = try LicensePolicy(allow: ["MIT"])
        let rejected = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: policy)
        #expect(rejected.map(\.kind) == [.licenseNotAllowed])
        #expect(rejected.first?.actual == "Apache-2.0")
        #expect(rejected.first?.severity == .failure)
    }

    @Test func cardChangedAfterSigningIsMismatch() throws {
        let signed = LicenseRecord(expression: "CC-BY-NC-4.0",
                                   declarations: [.init(path: "README.md", field: "license", value: "cc-by-nc-4.0")], files: [])
        let scan = try F.scan(["README.md": F.card("license: cc-by-nc-nd-4.0")])
        let findings = LicenseCheck.check(signed: signed, scan: scan, signedPaths: ["README.md"], policy: nil)
        #expect(findings.map(\.kind) == [.licenseMismatch])
        #expect(findings.first?.path == "README.md")
        #expect(findings.first?.expected == "CC-BY-NC-4.0")
        #expect(findings.first?.actual == "CC-BY-NC-ND-4.0")
        #expect(findings.first?.severity == .failure)
    }

    @Test func signedExpressionMustFollowFromDeclarations() throws {
        let forged = LicenseRecord(expression: "MIT", declarations: [.init(path: "README.md", field: "license", value: "gpl-3.0")], files: [])
        let scan = try F.scan(["README.md": F.card("license: gpl-3.0")])
        let findings = LicenseCheck.check(signed: forged, scan: scan, signedPaths: ["README.md"], policy: nil)
        #expect(findings.map(\.kind) == [.licenseMismatch])
        #expect(findings.first?.expected == "GPL-3.0-only")
        var chosen = forged
        chosen.chosenBy = "publisher"
        #expect(LicenseCheck.check(signed: chosen, scan: scan, signedPaths: ["README.md"], policy: nil).map(\.kind) == [.licenseChosenByPublisher])
    }

    @Test func declarationAddedOrRemovedIsMismatch() throws {
        let signed = LicenseRecord(expression: "MIT", declarations: [.init(path: "README.md", field: "license", value: "mit")], files: [])
        let added = try F.scan(["README.md": F.card("license: mit"), "m.gguf": F.gguf([("general.license", .string("gpl-3.0"))])])
        let f1 = LicenseCheck.check(signed: signed, scan: added, signedPaths: ["README.md", "m.gguf"], policy: nil)
        #expect(f1.map(\.kind).contains(.licenseMismatch))
        #expect(f1.first { $0.kind == .licenseMismatch }?.path == "m.gguf")
        let removed = try F.scan(["README.md": F.card("tags: [x]")])
        let f2 = LicenseCheck.check(signed: signed, scan: removed, signedPaths: ["README.md"], policy: nil)
        #expect(f2.map(\.kind) == [.licenseMismatch])
    }

    @Test func policyOnExpressions() throws {
        let record = LicenseRecord(expression: "MIT AND GPL-3.0-only", declarations: [
            .init(path: "README.md", field: "license", value: "mit"), .init(path: "README.md", field: "license", value: "gpl-3.0")], files: [])
        let scan = try F.scan(["README.md": F.card("license: [mit, gpl-3.0]")])
        let deny = try LicensePolicy(deny: ["GPL-3.0-only"])
        let f = LicenseCheck.check(signed: record, scan: scan, signedPaths: ["README.md"], policy: deny)
        #expect(f.map(\.kind) == [.licenseNotAllowed])
        #expect(f.first?.message.contains("GPL-3.0-only (denied)") == true)
        let none = LicenseRecord(expression: nil, declarations: [], files: [])
        let empty = try F.scan(["x.bin": [0]])
        #expect(LicenseCheck.check(signed: none, scan: empty, signedPaths: ["x.bin"], policy: try LicensePolicy(allow: ["MIT"])).map(\.kind) == [.licenseNotAllowed])
        #expect(LicenseCheck.check(signed: none, scan: empty, signedPaths: ["x.bin"], policy: deny).isEmpty)
    }

    @Test func unsignedReferenceWithConflictingFiles() throws {
        let scan = try F.scan(["README.md": F.card("license: apache-2.0"), "m.gguf": F.gguf([("general.license", .string("mit"))])])
        let f = LicenseCheck.check(signed: nil, scan: scan, signedPaths: [], policy: nil)
        #expect(f.map(\.kind) == [.licenseConflict])
        #expect(f.first?.message.contains("m.gguf general.license") == true)
    }

    // MARK: - FIELD-CASES F16

    /// F16 A: tag `cc-by-nc-nd-4.0`, prose "CC BY-NC 4.0", LICENSE = Apache-2.0 text, signed `cc-by-nc-4.0`.
    @Test func f16A() throws {
        let files: [String: [UInt8]] = [
            "README.md": F.card("license: cc-by-nc-nd-4.0", body: "# UNO\n\nThe models are released under CC BY-NC 4.0.\n"),
            "LICENSE": F.text("                                 Apache License\n                           Version 2.0, January 2004\n"),
            "model.safetensors": try F.safetensors(metadata: [:]),
        ]
        let signed = LicenseRecord(expression: "CC-BY-NC-4.0",
                                   declarations: [.init(path: "README.md", field: "license", value: "cc-by-nc-4.0")], files: ["LICENSE"])
        let findings = LicenseCheck.check(signed: signed, scan: try F.scan(files), signedPaths: Set(files.keys), policy: nil)
        let mismatch = try #require(findings.first { $0.kind == .licenseMismatch })
        #expect(mismatch.severity == .failure)
        #expect(mismatch.path == "README.md")
        #expect(mismatch.expected == "CC-BY-NC-4.0" && mismatch.actual == "CC-BY-NC-ND-4.0")
        let text = try #require(findings.first { $0.kind == .licenseTextDiffers })
        #expect(text.path == "LICENSE" && text.actual == "Apache-2.0" && text.severity == .warning)
        // The prose names CC-BY-NC-4.0, which the signed expression names, so it is not flagged against it...
        #expect(!findings.contains { $0.kind == .licenseProseMention })
        // ...but against the card alone (no signature) the prose is a third variant.
        let unsigned = LicenseCheck.check(signed: nil, scan: try F.scan(files), signedPaths: [], policy: nil)
        let prose = try #require(unsigned.first { $0.kind == .licenseProseMention })
        #expect(prose.actual == "CC-BY-NC-4.0" && prose.path == "README.md")
        #expect(unsigned.contains { $0.kind == .licenseTextDiffers })
        // Signing the folder as is takes the card's value; nothing is picked silently.
        #expect(try LicenseResolver.resolve(scan: try F.scan(files), publisherChoice: nil).expression == "CC-BY-NC-ND-4.0")
    }

    /// F16 B: `license: other`, no `license_name`, no `license_link`.
    @Test func f16B() throws {
        let files = ["README.md": F.card("license: other")]
        let (record, paths) = try signedRecord(files)
        #expect(record.expression == "LicenseRef-other")
        let f = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: nil)
        #expect(f.map(\.kind) == [.licenseIncomplete, .licenseIncomplete])
        #expect(f.allSatisfy { $0.severity == .warning && $0.path == "README.md" })
        #expect(f[0].message.contains("license_name"))
        #expect(f[1].message.contains("license_link"))
        let strict = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: nil, strict: true)
        #expect(strict.allSatisfy { $0.severity == .failure })
    }

    /// BLOOMChat's history: an empty `license:` (YAML null) is incomplete, and signing it records no expression.
    @Test func emptyLicenseKey() throws {
        for card in ["license:", "license: ~", "license: null", "license: \"\""] {
            let files = ["README.md": F.card(card)]
            let (record, paths) = try signedRecord(files)
            #expect(record.expression == nil)
            #expect(record.declarations == [.init(path: "README.md", field: "license", value: "")])
            let f = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: nil)
            #expect(f.map(\.kind) == [.licenseIncomplete], "\(card)")
            #expect(f.first?.message.contains("empty") == true)
        }
    }

    /// F16 C: `license_name` given, a non-standard `license_url`, no `license_link`.
    @Test func f16C() throws {
        let files = ["README.md": F.card("""
            license: other
            license_name: bloomchat-176b-license-v1.0
            license_url: https://example.invalid/LICENSE
            """)]
        let (record, paths) = try signedRecord(files)
        #expect(record.expression == "LicenseRef-bloomchat-176b-license-v1.0")
        let f = LicenseCheck.check(signed: record, scan: try F.scan(files), signedPaths: paths, policy: nil)
        #expect(f.map(\.kind) == [.licenseIncomplete, .licenseUnknownKey])
        #expect(f[0].message.contains("license_link"))
        #expect(f[1].actual == "license_url" && f[1].path == "README.md" && f[1].severity == .warning)
        #expect(f[1].message.contains("https://example.invalid/LICENSE"))
    }

    /// F16 D: `license_link: LICENSE.md`, absent, or present but not covered by the signature.
    @Test func f16D() throws {
        let card = F.card("""
            license: other
            license_name: acme-research-1.0
            license_link: LICENSE.md
            """)
        let absent = ["README.md": card]
        let (record, paths) = try signedRecord(absent)
        let f1 = LicenseCheck.check(signed: record, scan: try F.scan(absent), signedPaths: paths, policy: nil)
        #expect(f1.map(\.kind) == [.licenseIncomplete])
        #expect(f1[0].expected == "LICENSE.md" && f1[0].message.contains("absent") && f1[0].path == "README.md")

        let present = ["README.md": card, "LICENSE.md": F.text("Acme research license")]
        let f2 = LicenseCheck.check(signed: record, scan: try F.scan(present), signedPaths: ["README.md"], policy: nil)
        #expect(f2.map(\.kind) == [.licenseIncomplete])
        #expect(f2[0].message.contains("does not cover"))

        let f3 = LicenseCheck.check(signed: record, scan: try F.scan(present), signedPaths: ["README.md", "LICENSE.md"], policy: nil)
        #expect(f3.isEmpty, "\(f3)")
    }
}

@Suite("License record in a signed manifest")
struct LicenseManifestTests {
    typealias F = LicenseFixtures

    /// The sign → statement → parse → verify path with the one-call helpers the CLI uses.
    @Test func recordSurvivesTheStatementAndVerifies() async throws {
        let files: [String: [UInt8]] = [
            "README.md": F.card("license: apache-2.0"),
            "LICENSE": F.text("Apache License\nVersion 2.0, January 2004\n"),
            "model.gguf": F.gguf([("general.license", .string("apache-2.0"))]),
        ]
        let dir = try F.folder(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        var builder = ManifestBuilder()
        builder.signatureFile = nil
        let walked = try builder.listFiles(root: dir.path).files
        let (record, notes) = try LicenseResolver.resolve(files: walked, publisherChoice: nil)
        #expect(notes.isEmpty)
        #expect(record == LicenseRecord(expression: "Apache-2.0", declarations: [
            .init(path: "README.md", field: "license", value: "apache-2.0"),
            .init(path: "model.gguf", field: "general.license", value: "apache-2.0"),
        ], files: ["LICENSE"]))
        builder.license = record
        let (manifest, _) = try await builder.build(root: dir.path)
        let payload = try manifest.statementJSON()
        #expect(String(decoding: payload, as: UTF8.self).contains(#""expression":"Apache-2.0""#))
        let (parsed, _) = try ModelManifest.parseStatement(payload, label: "model.sig")
        #expect(parsed.license == record)
        #expect(LicenseCheck.check(manifest: parsed, files: walked, policy: nil).isEmpty)
        let onlyMIT = try LicensePolicy(allow: ["MIT"])
        #expect(LicenseCheck.check(manifest: parsed, files: walked, policy: onlyMIT).map(\.kind) == [.licenseNotAllowed])

        // The card is edited after signing: the re-read declaration disagrees.
        try Data(F.card("license: mit")).write(to: dir.appendingPathComponent("README.md"))
        let after = try builder.listFiles(root: dir.path).files
        let findings = LicenseCheck.check(manifest: parsed, files: after, policy: nil)
        #expect(findings.map(\.kind).contains(.licenseMismatch))
        #expect(findings.first { $0.kind == .licenseMismatch }?.actual == "MIT")
    }
}
