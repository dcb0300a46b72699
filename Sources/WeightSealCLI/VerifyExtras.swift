import Foundation
import WeightSeal

// Hooks filled in as license, format and published-reference support land.
extension WeightSealCommand.Verify {
    func extraChecks(root: String, signed: SignedReference, report: VerificationReport) async throws -> [Finding] { [] }
    func checksumReference(_ path: String) throws -> Reference {
        throw WeightSealError(.unsupportedFormat, "--checksums is not supported yet")
    }
    func hfTreeReference(_ path: String) throws -> Reference {
        throw WeightSealError(.unsupportedFormat, "--hf-tree is not supported yet")
    }
}

extension WeightSealCommand.Sign {
    func resolveLicense(builder: ManifestBuilder) throws -> LicenseRecord? { nil }
    func omsStatement(builder: ManifestBuilder, progress: ProgressLine) async throws -> ([UInt8], Int, UInt64, [Finding]) {
        throw WeightSealError(.unsupportedFormat, "--format oms is not supported yet")
    }
}
