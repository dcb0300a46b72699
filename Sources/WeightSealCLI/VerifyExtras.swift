import Foundation
import WeightSeal

extension WeightSealCommand.Verify {
    /// `--license-policy FILE` or `--allow-license ID...`, if given.
    func loadLicensePolicy() throws -> LicensePolicy? {
        if let licensePolicy { return try LicensePolicy.load(file: licensePolicy) }
        if !allowLicense.isEmpty { return try LicensePolicy(allowing: allowLicense) }
        return nil
    }

    /// License checks (DESIGN §6) and, with `--strict`, format checks (§7) of the files a reference covers.
    func extraChecks(root: String, reference: Reference, manifest: ModelManifest?, policy: LicensePolicy?) throws -> [Finding] {
        if reference.files.count == 1, reference.files[0].path == "." { return [] }
        let listing = try ModelFolder.list(root: root, options: .init(ignorePaths: reference.ignorePaths, symlinks: reference.symlinks))
        var findings: [Finding]
        if let manifest {
            findings = LicenseCheck.check(manifest: manifest, files: listing.files, policy: policy, strict: strict)
        } else {
            findings = LicenseCheck.check(signed: nil, scan: LicenseScanner.scan(files: listing.files),
                                          signedPaths: Set(reference.files.map(\.path)), policy: policy, strict: strict)
        }
        if strict { findings += formatChecks(root: root, listing: listing, reference: reference) }
        return findings
    }

    /// Format problems (DESIGN §7): read from the files only, and failures only because `--strict` asked for them.
    func formatChecks(root: String, listing: FolderListing, reference: Reference) -> [Finding] {
        let report = FormatInspector.inspect(root: root, paths: listing.files.map(\.path), expected: reference.files)
        let all = report.files.flatMap(\.findings) + report.setFindings
        return all.map { f in
            var f = f
            if f.severity == .warning { f.severity = .failure }
            return f
        }
    }

    func checksumReference(_ path: String) throws -> Reference {
        ChecksumFile.reference(entries: try ChecksumFile.load(file: path), label: path)
    }

    func hfTreeReference(_ path: String) throws -> Reference {
        try HFTree.load(file: path)
    }
}

extension WeightSealCommand.Sign {
    /// Reads the model's license declarations; refuses when they disagree and `--license` gives no choice.
    func resolveLicense(builder: ManifestBuilder, files: [WalkedFile]) throws -> LicenseRecord? {
        let (record, notes) = try LicenseResolver.resolve(files: files, publisherChoice: license)
        for n in notes {
            printError("weightseal: \(n.severity == .note ? "note" : "warning"): \(n.path.map { ModelPath.quoted($0) + ": " } ?? "")\(n.message)")
        }
        return record
    }
}
