import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("License policy")
struct LicensePolicyTests {
    func passes(_ expr: String, allow: [String] = [], deny: [String] = []) throws -> Bool {
        try LicensePolicy(allow: allow, deny: deny).evaluate(SPDXExpression(parsing: expr)).passes
    }

    @Test func issueCases() throws {
        #expect(try !passes("Apache-2.0", allow: ["MIT"]))
        #expect(try passes("MIT OR Apache-2.0", allow: ["Apache-2.0"]))
        #expect(try !passes("MIT AND GPL-3.0-only", deny: ["GPL-3.0-only"]))
        #expect(try passes("MIT AND GPL-3.0-only", deny: ["AGPL-3.0-only"]))
        #expect(try !passes("MIT AND Apache-2.0", allow: ["MIT"]))
        #expect(try passes("MIT AND Apache-2.0", allow: ["MIT", "apache-2.0"]))
    }

    @Test func denyBeatsAllow() throws {
        #expect(try !passes("MIT", allow: ["MIT"], deny: ["MIT"]))
        #expect(try passes("MIT OR GPL-3.0-only", allow: ["MIT", "GPL-3.0-only"], deny: ["GPL-3.0-only"]))
    }

    @Test func orLaterFamilies() throws {
        #expect(try !passes("GPL-2.0+", deny: ["GPL-2.0-only"]))
        #expect(try !passes("GPL-2.0-or-later", deny: ["GPL-2.0+"]))
        #expect(try !passes("GPL-2.0", deny: ["GPL-2.0-or-later"]))
        #expect(try passes("GPL-2.0+", allow: ["GPL-2.0-or-later"]))
        // No inference across versions.
        #expect(try !passes("GPL-2.0+", allow: ["GPL-3.0-only"]))
        #expect(try passes("GPL-3.0-only", deny: ["GPL-2.0-only"]))
    }

    @Test func exceptions() throws {
        #expect(try passes("GPL-2.0-only WITH Classpath-exception-2.0", allow: ["GPL-2.0-only"]))
        #expect(try !passes("GPL-2.0-only", allow: ["GPL-2.0-only WITH Classpath-exception-2.0"]))
        #expect(try passes("GPL-2.0-only WITH Classpath-exception-2.0", allow: ["GPL-2.0-only WITH Classpath-exception-2.0"]))
        #expect(try !passes("GPL-2.0-only WITH Classpath-exception-2.0", deny: ["GPL-2.0-only"]))
    }

    @Test func licenseRefs() throws {
        #expect(try passes("LicenseRef-llama3.1", allow: ["LicenseRef-llama3.1"]))
        #expect(try !passes("LicenseRef-llama3.1", allow: ["LicenseRef-llama3"]))
        #expect(try !passes("LicenseRef-gemma", deny: ["licenseref-GEMMA"]))
    }

    @Test func failingTermsAreNamed() throws {
        let v = try LicensePolicy(allow: ["MIT"], deny: ["GPL-3.0-only"]).evaluate(SPDXExpression(parsing: "Apache-2.0 AND GPL-3.0-only"))
        #expect(!v.passes)
        #expect(v.failingTerms == ["Apache-2.0 (not allowed)", "GPL-3.0-only (denied)"])
    }

    @Test func fileFormat() throws {
        let p = try LicensePolicy(json: Array(#"{"allow": ["Apache-2.0","MIT"], "deny": ["GPL-3.0-only"]}"#.utf8), label: "policy.json")
        #expect(p.allow == ["Apache-2.0", "MIT"])
        #expect(p.deny == ["GPL-3.0-only"])
        #expect(try LicensePolicy(json: Array("{}".utf8), label: "p").allow.isEmpty)
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(json: Array(#"{"allowed": ["MIT"]}"#.utf8), label: "p") }
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(json: Array(#"{"allow": "MIT"}"#.utf8), label: "p") }
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(json: Array(#"{"allow": ["Not-A-License"]}"#.utf8), label: "p") }
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(json: Array(#"{"allow": ["MIT OR ISC"]}"#.utf8), label: "p") }
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(json: Array("[1]".utf8), label: "p") }
        do {
            _ = try LicensePolicy(json: Array(#"{"deny": ["GPL-9"]}"#.utf8), label: "team-policy.json")
        } catch {
            #expect(error.message.contains("team-policy.json") && error.message.contains("GPL-9"))
        }
    }

    /// The example in docs/licenses.md loads and means what the doc says.
    @Test func documentedExampleLoads() throws {
        let doc = try String(contentsOf: LicenseFixtures.repoRoot.appendingPathComponent("docs/licenses.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```json\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let json = String(doc[start.upperBound..<end.lowerBound])
        let dir = try LicenseFixtures.folder(["policy.json": Array(json.utf8)])
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try LicensePolicy.load(file: dir.appendingPathComponent("policy.json").path)
        #expect(p.evaluate(try SPDXExpression(parsing: "MIT OR GPL-3.0-only")).passes)
        #expect(!p.evaluate(try SPDXExpression(parsing: "MIT AND GPL-3.0-only")).passes)
        #expect(!p.evaluate(try SPDXExpression(parsing: "CC-BY-NC-4.0")).passes)
    }

    @Test func allowLicenseFlag() throws {
        let p = try LicensePolicy(allowing: ["MIT OR apache-2.0", "llama3.1"])
        #expect(p.allow == ["MIT", "Apache-2.0", "LicenseRef-llama3.1"])
        #expect(throws: WeightSealError(.invalidArgument, "")) { try LicensePolicy(allowing: ["MIT AND"]) }
    }

    @Test func missingPolicyFileIsIOError() {
        #expect(throws: WeightSealError(.io, "")) { try LicensePolicy.load(file: "/nonexistent/weightseal-policy.json") }
    }
}
