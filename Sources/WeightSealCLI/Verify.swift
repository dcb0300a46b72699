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
            if licensePolicy != nil && !allowLicense.isEmpty { throw ValidationError("give --license-policy or --allow-license, not both") }
            if signature != nil && !trust.isGiven { throw ValidationError("--signature needs \(TrustOptions.names)") }
        }

        func run() async throws {
            var dir = directory ?? "."
            var snapshot: HFCacheSnapshot?
            if let hfCache {
                snapshot = try HFCache.locate(repo: hfCache, revision: revision, cacheDir: cacheDir)
            } else {
                snapshot = HFCacheSnapshot.detect(path: dir)
            }
            if let snapshot { dir = snapshot.snapshotPath }
            guard FileManager.default.fileExists(atPath: dir) else {
                throw WeightSealError(.io, "cannot read model folder \(dir): no such file or folder")
            }
            let unsigned = checksums != nil || hfTree != nil
            if !unsigned && !trust.isGiven && snapshot == nil {
                throw ValidationError("give \(TrustOptions.names) to check the signature (or --checksums / --hf-tree for an unsigned list)")
            }
            // A bad policy file stops before any hashing.
            let policy = try loadLicensePolicy()
            var reports = [VerificationReport]()
            let verifier = ModelVerifier(policy: .init(ignoreUnsignedFiles: ignoreUnsignedFiles, jobs: hashing.jobs,
                                                       cacheRepositoryFolder: snapshot?.repoFolder))
            let progress = ProgressLine()
            if let trustMaterial = try trust.load() {
                let sigPath = signature ?? (dir as NSString).appendingPathComponent(ManifestBuilder.defaultSignatureFile)
                let signed = try await SignedReference.load(signatureFile: sigPath, trust: trustMaterial)
                if var reference = signed.reference, signed.isVerified {
                    // The signature file itself is never covered (OMS signatures made by other tools may sit inside).
                    if let rel = relativePath(of: sigPath, inside: dir), !reference.ignorePaths.contains(rel) {
                        reference.ignorePaths.append(rel)
                    }
                    var report = try await verifier.verify(root: dir, reference: reference, signer: signed.signer, progress: progress.handler)
                    progress.finish()
                    report.reference = signed.referenceInfo(label: report.reference.label, kind: report.reference.kind)
                    report.add(signed.findings)
                    report.add(try extraChecks(root: dir, reference: reference, manifest: signed.manifest, policy: policy))
                    report.license = signed.manifest?.license?.expression
                    reports.append(report)
                } else {
                    // A payload that fails its signature is not read further.
                    reports.append(VerificationReport(reference: signed.referenceInfo(label: sigPath), findings: signed.findings))
                }
            }
            // Unsigned published references, each checked the same way.
            var unsignedReferences = [Reference]()
            if let checksums { unsignedReferences.append(try checksumReference(checksums)) }
            if let hfTree { unsignedReferences.append(try hfTreeReference(hfTree)) }
            for reference in unsignedReferences {
                var report = try await verifier.verify(root: dir, reference: reference, progress: progress.handler)
                progress.finish()
                report.add(try extraChecks(root: dir, reference: reference, manifest: nil, policy: policy))
                reports.append(report)
            }
            if let snapshot {
                if reports.isEmpty {
                    reports.append(await HFCache.verify(snapshot: snapshot, hasher: ChunkedHasher(jobs: hashing.jobs)))
                } else {
                    // Each blob must also match its own content-addressed name.
                    reports[0].add(await HFCache.check(snapshot: snapshot, hasher: ChunkedHasher(jobs: hashing.jobs),
                                                       includingWalkFindings: false))
                }
            }
            if json {
                printOut(reports.count == 1 ? jsonText(reports[0]) : jsonText(reports))
            } else {
                for r in reports { printOut(renderReport(r, model: dir)) }
            }
            if reports.contains(where: { $0.verdict != .verified }) { throw ExitCode(1) }
        }
    }
}
