import ArgumentParser
import Foundation
import WeightSeal
import WeightSealServices
import X509

extension WeightSealCommand {
    /// `weightseal sign DIR --key KEY`: hash the folder and write a signed manifest (Sigstore bundle).
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash a model folder and sign its manifest.",
            discussion: """
                Writes a Sigstore bundle v0.3 (DSSE envelope over an in-toto Statement) to DIR/model.sig, atomically. \
                The signature file itself is never covered.
                """)

        @Argument(help: "The model folder.", completion: .directory)
        var directory: String

        @Option(help: "Private key (PEM: PKCS#8, or SEC1 for EC), or a PKCS#11 URI (pkcs11:token=…;object=…?module-path=…) of a key in a token. Or sign keyless with --sigstore.", completion: .file())
        var key: String?

        @Option(help: "Signing certificate (PEM) for --key; its chain goes into the bundle.", completion: .file())
        var certificate: String?

        @Option(help: "Intermediate certificates (PEM) to include after the signing certificate.", completion: .file())
        var certificateChain: String?

        @Option(help: "Signature format: weightseal (manifest with chunks and Merkle root) or oms (OpenSSF Model Signing v1.0).")
        var format: SignatureFormat = .weightseal

        @Option(name: .shortAndLong, help: "Where to write the signature (default: DIR/model.sig).", completion: .file())
        var output: String?

        @Option(help: "Model name recorded in the manifest (default: the folder's name).")
        var name: String?

        @Option(help: "The publisher's SPDX license expression, recorded as their choice when the model's declarations disagree.")
        var license: String?

        @Option(name: .customLong("ignore"), help: "A relative path to leave out (exact path; a folder covers all below it). Repeatable.")
        var ignore: [String] = []

        @Flag(help: "Cover symlinks whose target stays inside the folder (recorded as \"within-root\"); default: refuse them.")
        var allowSymlinks = false

        @Option(help: "Digest of files (and chunks): sha256, or blake3 (faster to verify; oms: whole files only).")
        var hashAlgorithm: HashAlgorithmArgument = .sha256

        @Option(help: "weightseal format: chunk size (files larger list a digest per chunk), e.g. 64MiB.")
        var chunkSize: ByteSize = ByteSize(argument: "64MiB")!

        @Option(help: "oms format: sign shards of this many bytes (method \"shards\") instead of whole files.")
        var shardSize: ByteSize?

        @Flag(help: "Print a JSON summary.")
        var json = false

        @OptionGroup var keyless: KeylessSigningOptions

        @OptionGroup var hashing: HashingOptions

        enum SignatureFormat: String, ExpressibleByArgument, CaseIterable {
            case weightseal, oms
        }

        func validate() throws {
            if (key == nil) == !keyless.sigstore { throw ValidationError("give --key or --sigstore (keyless), one of them") }
            if keyless.sigstore && certificate != nil { throw ValidationError("--certificate goes with --key; --sigstore gets its certificate from Fulcio") }
            if certificateChain != nil && certificate == nil { throw ValidationError("--certificate-chain goes with --certificate") }
            if shardSize != nil && format != .oms { throw ValidationError("--shard-size goes with --format oms") }
            if shardSize != nil && hashAlgorithm != .sha256 {
                throw ValidationError("--shard-size signs SHA-256 shards (sha256-sharded-N); OMS with blake3 signs whole files")
            }
            try validateChunkSize(chunkSize, option: "--chunk-size")
            if let shardSize { try validateChunkSize(shardSize, option: "--shard-size") }
        }

        func run() async throws {
            let signingKey = try key.map { k throws(WeightSealError) in try loadSigner(key: k) }
            var chain: [Certificate]?
            if let certificate, let key, let signingKey {
                let leaf = try CertificateTrust.loadCertificates(pemFile: certificate)
                let rest = try certificateChain.map { path throws(WeightSealError) in try CertificateTrust.loadCertificates(pemFile: path) } ?? []
                guard !leaf.isEmpty else { throw WeightSealError(.malformedKey, "\(certificate) holds no certificate") }
                guard signingKey.matches(certificate: leaf[0]) else {
                    throw WeightSealError(.invalidArgument, "\(keyDisplayName(key)) does not match the public key of \(certificate)")
                }
                // Before any hashing: never write a signature that verification would reject for the leaf itself.
                do {
                    try CertificateTrust.checkSigningCertificate(leaf[0])
                } catch {
                    throw WeightSealError(error.code, "\(certificate): \(error.message)")
                }
                chain = leaf + rest
            }
            let out = output ?? (directory as NSString).appendingPathComponent(ManifestBuilder.defaultSignatureFile)
            try checkOutput(out, model: directory,
                            inputs: (key.map(keyFiles) ?? []) + [certificate.map { ("--certificate", $0) }, certificateChain.map { ("--certificate-chain", $0) }].compactMap { $0 },
                            allowing: { $0.hasSuffix(".sig") })
            let replaced = FileManager.default.fileExists(atPath: out)
            // The output's temporary file is made now: an unwritable folder fails before any hashing, and an
            // interrupt (SIGINT, SIGTERM) removes it. The folder walk never covers it.
            let pending = try AtomicFile.Pending(path: out)
            let signer = ModelSigner(
                options: .init(format: format == .oms ? .oms : .weightseal, hashAlgorithm: hashAlgorithm.algorithm,
                               chunkSize: chunkSize.bytes, shardSize: shardSize?.bytes,
                               ignorePaths: ignore + RepeatedOptions.values("--ignore"), symlinks: allowSymlinks ? .withinRoot : .reject,
                               modelName: name,
                               license: license),
                hashing: HashingSettings(jobs: hashing.jobs))
            // Keyless: the token and the instance before hashing, so a missing or expired token costs no hashing.
            let token = keyless.sigstore ? try await keyless.token() : nil
            if keyless.sigstore { _ = try keyless.instance() }
            let progress = ProgressLine()
            let started = Date()
            let signed: ModelSigner.SignedModel
            var keylessSignature: KeylessSigner.Signature?
            if let signingKey {
                signed = try await signer.sign(model: directory, key: signingKey, certificateChain: chain,
                                               signatureFile: out, progress: progress.handler)
                progress.finish()
            } else if let token {
                let statement = try await signer.statement(model: directory, signatureFile: out, progress: progress.handler)
                progress.finish()
                let signature = try await keyless.sign(statement, token: token)
                keylessSignature = signature
                signed = ModelSigner.SignedModel(bundle: signature.bundle, statement: statement)
            } else {
                throw ValidationError("give --key or --sigstore (keyless), one of them")
            }
            for n in signed.warnings {
                printError("weightseal: \(n.severity == .note ? "note" : "warning"): \(n.path.map { ModelPath.quoted($0) + ": " } ?? "")\(n.message)")
            }
            try pending.commit(try signed.bundle.jsonData() + [10])
            if replaced { printError("weightseal: note: replaced the existing \(out)") }
            var summary = SignSummary(signature: out, format: format.rawValue, files: signed.files, bytes: signed.bytes,
                                      root: signed.root, seconds: Date().timeIntervalSince(started))
            if let k = keylessSignature {
                summary.signer = k.verification.signer
                summary.issuer = k.verification.issuer
                summary.logEntries = k.verification.reportedLogEntries
                summary.verifiedTimes = k.verification.reportedTimes
            }
            if json {
                printOut(jsonText(summary))
            } else {
                printOut("signed \(count(summary.files, "file")) (\(formatBytes(summary.bytes))) in \(String(format: "%.2f", summary.seconds)) s -> \(out)")
                if let signer = summary.signer, let issuer = summary.issuer {
                    printOut("  keyless: \(signer) (issuer \(issuer)); verify with --certificate-identity '\(signer)' --certificate-oidc-issuer '\(issuer)'")
                    for e in summary.logEntries ?? [] { printOut("  logged: \(e.log) index \(e.logIndex)") }
                }
            }
        }
    }
}

struct SignSummary: Codable {
    var signature: String
    var format: String
    var files: Int
    var bytes: UInt64
    var root: String?
    var seconds: Double
    /// Keyless: the certificate's identity and issuer, the log entries and the verified times.
    var signer: String?
    var issuer: String?
    var logEntries: [VerificationReport.LogEntryInfo]?
    var verifiedTimes: [VerificationReport.TimeInfo]?
}
