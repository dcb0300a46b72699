import ArgumentParser
import Foundation
import WeightSeal

extension WeightSealCommand {
    /// `weightseal verify DIR`: check a model folder against its signature or a published reference.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a model folder against its signature or a published reference.",
            discussion: """
                Exit status: 0 verified; 1 verification ran and found problems (every one is listed); \
                2 could not run (unreadable or malformed key, signature, manifest; I/O error); 64 usage error.
                """)

        @Argument(help: "The model folder (or a Hugging Face cache snapshot).", completion: .directory)
        var directory: String?

        @Option(help: "Signature file (default: DIR/model.sig).", completion: .file())
        var signature: String?

        @Option(help: "An unsigned SHA256SUMS file (GNU or BSD dialect) to check against.", completion: .file())
        var checksums: String?

        @Option(help: "An unsigned Hugging Face tree listing (JSON of /api/models/{repo}/tree/{rev}?recursive=true).", completion: .file())
        var hfTree: String?

        @Option(help: "Verify the Hugging Face cache snapshot of this repository (ORG/NAME) instead of DIR.")
        var hfCache: String?

        @Option(help: "With --hf-cache: the revision (commit or ref); default: refs/main.")
        var revision: String?

        @Option(help: "With --hf-cache: the hub cache folder (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub).", completion: .directory)
        var cacheDir: String?

        @OptionGroup var trust: TrustOptions

        @Option(help: "License policy file (JSON: {\"allow\": [SPDX ids], \"deny\": [SPDX ids]}).", completion: .file())
        var licensePolicy: String?

        @Option(help: "Allow this SPDX license (repeatable); any other license fails.")
        var allowLicense: [String] = []

        /// `--allow-license` values, with those taken out before parsing (``RepeatedOptions``).
        var allowedLicenses: [String] { allowLicense + RepeatedOptions.values("--allow-license") }

        @Flag(help: "Files the reference does not list are notes, not failures.")
        var ignoreUnsignedFiles = false

        @Flag(help: "Also check formats (safetensors, GGUF, pickle, placeholders); their problems fail the verdict.")
        var strict = false

        @Flag(help: "Print the report as one JSON document.")
        var json = false

        @OptionGroup var hashing: HashingOptions

        func validate() throws {
            if directory == nil && hfCache == nil { throw ValidationError("give the model folder (or --hf-cache ORG/NAME)") }
            if directory != nil && hfCache != nil { throw ValidationError("give the model folder or --hf-cache, not both") }
            if (revision != nil || cacheDir != nil) && hfCache == nil { throw ValidationError("--revision and --cache-dir go with --hf-cache") }
            if licensePolicy != nil && !allowedLicenses.isEmpty { throw ValidationError("give --license-policy or --allow-license, not both") }
            if signature != nil && !trust.isGiven { throw ValidationError("--signature needs \(TrustOptions.names)") }
        }

        func run() async throws {
            // A missing model folder is named first.
            let location = try hfCache.map { repo throws(WeightSealError) in
                try ModelLocation(huggingFaceCache: repo, revision: revision, cacheDir: cacheDir)
            } ?? ModelLocation(path: directory ?? ".")
            let model = location.path
            let unsigned = checksums != nil || hfTree != nil
            if !unsigned && !trust.isGiven && location.snapshot == nil {
                throw ValidationError("give \(TrustOptions.names) to check the signature (or --checksums / --hf-tree for an unsigned list)")
            }
            // Bad policy or reference files stop before any hashing.
            let licensePolicy = try loadLicensePolicy()
            var references = [ModelVerifier.ModelReference]()
            if let trustMaterial = try trust.load() { references.append(.signature(file: signature, trust: trustMaterial)) }
            if let checksums { references.append(.unsigned(try UnsignedReference(checksumFile: checksums))) }
            if let hfTree { references.append(.unsigned(try UnsignedReference(hfTreeListing: hfTree))) }
            let verifier = ModelVerifier(
                policy: VerificationPolicy(ignoreUnsignedFiles: ignoreUnsignedFiles, strict: strict, licensePolicy: licensePolicy),
                hashing: HashingSettings(jobs: hashing.jobs))
            let progress = ProgressLine()
            let reports = try await verifier.verify(model: model, references: references, progress: progress.handler)
            progress.finish()
            if json {
                printOut(reports.count == 1 ? jsonText(reports[0]) : jsonText(reports))
            } else {
                for r in reports { printOut(renderReport(r, model: model)) }
            }
            if reports.contains(where: { $0.verdict != .verified }) { throw ExitCode(1) }
        }
    }
}
