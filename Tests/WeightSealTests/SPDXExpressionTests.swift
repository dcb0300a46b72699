import Testing
import WeightSealTestSupport
@testable import WeightSeal

@Suite("SPDX expressions")
struct SPDXExpressionTests {
    func parse(_ s: String) throws -> SPDXExpression { try SPDXExpression(parsing: s) }

    @Test func singleIdCanonicalCase() throws {
        #expect(try parse("apache-2.0").description == "Apache-2.0")
        #expect(try parse("mit").description == "MIT")
        #expect(try parse("  cc-by-nc-4.0 ").description == "CC-BY-NC-4.0")
        #expect(try parse("ETALAB-2.0").description == "etalab-2.0")
    }

    @Test func precedenceWithOverAndOverOr() throws {
        let e = try parse("MIT OR Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0")
        #expect(e == .or([
            .term(.init(license: "MIT")),
            .and([.term(.init(license: "Apache-2.0")),
                  .term(.init(license: "GPL-2.0-only", exception: "Classpath-exception-2.0"))]),
        ]))
        #expect(e.description == "MIT OR Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0")
    }

    @Test func minimalParentheses() throws {
        #expect(try parse("(MIT OR BSD-3-Clause) AND Apache-2.0").description == "(MIT OR BSD-3-Clause) AND Apache-2.0")
        #expect(try parse("((MIT))").description == "MIT")
        #expect(try parse("MIT OR (Apache-2.0 AND ISC)").description == "MIT OR Apache-2.0 AND ISC")
        #expect(try parse("(MIT AND ISC) AND (Zlib AND BSD-2-Clause)").description == "MIT AND ISC AND Zlib AND BSD-2-Clause")
        #expect(try parse("MIT OR (ISC OR Zlib)") == parse("MIT OR ISC OR Zlib"))
    }

    @Test func operatorsAndIdsIgnoreCase() throws {
        #expect(try parse("mit or apache-2.0").description == "MIT OR Apache-2.0")
        #expect(try parse("gpl-2.0-only with classpath-exception-2.0").description == "GPL-2.0-only WITH Classpath-exception-2.0")
    }

    @Test func plusOperator() throws {
        let e = try parse("GPL-2.0+")
        #expect(e == .term(.init(license: "GPL-2.0", orLater: true)))
        #expect(e.description == "GPL-2.0+")
        #expect(try parse("lgpl-2.1+ AND MIT").description == "LGPL-2.1+ AND MIT")
        #expect(LicenseResolver.currentIDs(e).description == "GPL-2.0-or-later")
        #expect(LicenseResolver.currentIDs(try parse("GPL-3.0")).description == "GPL-3.0-only")
    }

    @Test func withException() throws {
        let e = try parse("Apache-2.0 WITH LLVM-exception")
        #expect(e == .term(.init(license: "Apache-2.0", exception: "LLVM-exception")))
        #expect(e.description == "Apache-2.0 WITH LLVM-exception")
        #expect(try parse("apache-2.0 with llvm-exception").description == "Apache-2.0 WITH LLVM-exception")
    }

    @Test func licenseRefs() throws {
        #expect(try parse("LicenseRef-llama3.1").description == "LicenseRef-llama3.1")
        #expect(try parse("licenseref-gemma OR MIT").description == "LicenseRef-gemma OR MIT")
        #expect(try parse("DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2").description
                == "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2")
        #expect(try parse("LicenseRef-x").terms.first?.isReference == true)
    }

    func expectInvalid(_ s: String, naming token: String? = nil, code: WeightSealError.Code = .invalidArgument,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SPDXExpression(parsing: s)
            Issue.record("expected \(s) to be rejected", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            if let token { #expect(error.message.contains(token), "\(error.message)", sourceLocation: sourceLocation) }
        }
    }

    @Test func errors() {
        expectInvalid("MIT AND", naming: "ends")
        expectInvalid("(MIT", naming: "not closed")
        expectInvalid("MIT)", naming: "unbalanced")
        expectInvalid("Apache-2", naming: "'Apache-2'")
        expectInvalid("Foo-License OR MIT", naming: "'Foo-License'")
        expectInvalid("", naming: "empty")
        expectInvalid("MIT Apache-2.0", naming: "operator")
        expectInvalid("AND MIT")
        expectInvalid("MIT WITH Apache-2.0", naming: "unknown license exception 'Apache-2.0'")
        expectInvalid("(MIT OR ISC) WITH LLVM-exception", naming: "single license")
        expectInvalid("LicenseRef-x+", naming: "'+'")
        expectInvalid("MIT/Apache-2.0", naming: "'/'")
        expectInvalid("LicenseRef-", naming: "LicenseRef-")
        expectInvalid("LicenseRef-a_b", naming: "'_'")
        expectInvalid("MIT WITH", naming: "exception")
    }

    @Test func hostileDepthAndLengthDoNotCrash() {
        let deep = String(repeating: "(", count: 100_000) + "MIT" + String(repeating: ")", count: 100_000)
        expectInvalid(deep, code: .limitExceeded)
        // Under the length cap but deeper than the depth cap.
        let n = Limits.maxLicenseExpressionDepth + 1
        expectInvalid(String(repeating: "(", count: n) + "MIT" + String(repeating: ")", count: n), code: .limitExceeded)
        // At the depth cap it parses.
        let m = Limits.maxLicenseExpressionDepth
        #expect((try? SPDXExpression(parsing: String(repeating: "(", count: m) + "MIT" + String(repeating: ")", count: m)))?.description == "MIT")
        expectInvalid(String(repeating: "MIT AND ", count: 1000) + "MIT", code: .limitExceeded)
    }

    @Test func normalizedIgnoresOrder() throws {
        #expect(try parse("MIT OR Apache-2.0").normalized == parse("Apache-2.0 OR MIT").normalized)
        #expect(try parse("MIT OR Apache-2.0").normalized != parse("MIT AND Apache-2.0").normalized)
        #expect(try parse("MIT AND MIT").normalized == parse("MIT").normalized)
    }

    @Test func roundTripIsStable() throws {
        for s in ["MIT", "MIT OR Apache-2.0", "(MIT OR ISC) AND Zlib", "GPL-2.0+ WITH Bison-exception-2.2 OR MIT",
                  "LicenseRef-llama3.1 AND (CC-BY-4.0 OR CC0-1.0)"] {
            let once = try parse(s)
            #expect(once.description == s)
            #expect(try parse(once.description) == once)
        }
    }
}
