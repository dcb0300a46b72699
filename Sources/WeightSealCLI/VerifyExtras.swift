import Foundation
import WeightSeal

extension WeightSealCommand.Verify {
    /// `--license-policy FILE` or `--allow-license ID...`, if given.
    func loadLicensePolicy() throws -> LicensePolicy? {
        if let licensePolicy { return try LicensePolicy.load(file: licensePolicy) }
        if !allowedLicenses.isEmpty { return try LicensePolicy(allowing: allowedLicenses) }
        return nil
    }
}
