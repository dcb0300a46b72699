import Testing
import WeightSealTestSupport
@testable import WeightSeal

@Suite("Hugging Face license ids")
struct LicenseHubMapTests {
    /// The 83 ids the Hub offers, as listed in issue 4 (hub-docs "Licenses" table).
    static let hubIDs = """
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m \
    afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 \
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 \
    cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 \
    cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 \
    lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl \
    openmdw-1.0 openmdw-1.1 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr \
    deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 \
    grok2-community gemma unknown other
    """.split(separator: " ").map(String.init)

    @Test func tableHasExactlyTheHubIDs() {
        #expect(Self.hubIDs.count == 83)
        #expect(HuggingFaceLicense.table.map(\.hubID) == Self.hubIDs)
    }

    @Test(arguments: LicenseHubMapTests.hubIDs)
    func everyIDMapsToAValidExpression(_ id: String) throws {
        let text = try #require(HuggingFaceLicense.spdx(forHubID: id))
        let expr = try SPDXExpression(parsing: text)
        #expect(expr.description == text, "canonical spelling for \(id)")
        for term in expr.terms where !term.isReference {
            let entry = try #require(SPDXLicenseList.shared.license(term.license))
            #expect(!entry.deprecated, "\(id) maps to a deprecated id \(term.license)")
        }
        // A LicenseRef is used only where SPDX has no id of that name.
        if text.hasPrefix("LicenseRef-") {
            #expect(SPDXLicenseList.shared.license(String(text.dropFirst("LicenseRef-".count))) == nil)
        }
    }

    @Test func namedExamples() {
        let cases: [(String, String)] = [
            ("apache-2.0", "Apache-2.0"), ("gpl-3.0", "GPL-3.0-only"), ("lgpl-2.1", "LGPL-2.1-only"),
            ("agpl-3.0", "AGPL-3.0-only"), ("gfdl", "GFDL-1.1-or-later"), ("gpl", "GPL-1.0-or-later"),
            ("odbl", "ODbL-1.0"), ("llama3.1", "LicenseRef-llama3.1"), ("openrail", "LicenseRef-openrail"),
            ("gemma", "LicenseRef-gemma"), ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"), ("openrail++", "LicenseRef-openrail-plusplus"),
            ("lgpl-lr", "LGPLLR"), ("APACHE-2.0", "Apache-2.0"), ("unknown", "LicenseRef-unknown"),
        ]
        for (hub, spdx) in cases { #expect(HuggingFaceLicense.spdx(forHubID: hub) == spdx, "\(hub)") }
        #expect(HuggingFaceLicense.spdx(forHubID: "not-a-hub-id") == nil)
    }

    @Test func otherUsesLicenseName() {
        #expect(HuggingFaceLicense.expression(hubID: "other", licenseName: "bloomchat-176b-license-v1.0")?.description
                == "LicenseRef-bloomchat-176b-license-v1.0")
        #expect(HuggingFaceLicense.expression(hubID: "other", licenseName: "Acme Research License 1.0")?.description
                == "LicenseRef-Acme-Research-License-1.0")
        #expect(HuggingFaceLicense.expression(hubID: "other")?.description == "LicenseRef-other")
    }
}
