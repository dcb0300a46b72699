import Foundation
import WeightSeal

// Hooks filled in as license, format and published-reference support land.
extension WeightSealCommand.Verify {
    func extraChecks(root: String, signed: SignedReference, report: VerificationReport) async throws -> [Finding] { [] }
    func checksumReference(_ path: String) throws -> Reference {
        ChecksumFile.reference(entries: try ChecksumFile.load(file: path), label: path)
    }
    func hfTreeReference(_ path: String) throws -> Reference {
        try HFTree.load(file: path)
    }
}

extension WeightSealCommand.Sign {
    func resolveLicense(builder: ManifestBuilder) throws -> LicenseRecord? { nil }
}
