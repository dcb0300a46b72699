import ArgumentParser
import Crypto
import Foundation
import WeightSeal

extension WeightSealCommand {
    /// `weightseal verify-bundle`: verify a Sigstore bundle over any artifact, offline. Arguments follow the
    /// sigstore-conformance CLI protocol (verify part).
    struct VerifyBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-bundle",
            abstract: "Verify a Sigstore bundle over a file or a digest, offline (keyless or managed key).",
            discussion: """
                FILE_OR_DIGEST is a file, or sha256:HEX (64 hex digits) when no such file exists. For a DSSE bundle \
                the artifact must be a subject of the signed in-toto Statement. Exit status: 0 verified; 1 rejected \
                (every finding listed); 2 could not run (malformed bundle, trusted root or key); 64 usage error.
                """)

        @Flag(help: "Use the Sigstore staging instance (needs --trusted-root: no staging root is embedded).")
        var staging = false

        @Option(help: "The Sigstore bundle (JSON).", completion: .file())
        var bundle: String

        @OptionGroup var sigstore: SigstoreOptions

        @Option(help: "Managed key (PEM SPKI: ECDSA P-256/P-384/P-521, Ed25519, RSA) instead of a certificate identity.", completion: .file())
        var key: String?

        @Flag(help: "Print the result as one JSON document.")
        var json = false

        @Argument(help: "The artifact: a file, or sha256:HEX.")
        var fileOrDigest: String

        func validate() throws {
            if key != nil && sigstore.isKeyless { throw ValidationError("give --key or --certificate-identity, not both") }
            if key == nil && !sigstore.isKeyless {
                throw ValidationError("give --certificate-identity and --certificate-oidc-issuer (keyless), or --key")
            }
            if staging && sigstore.trustedRoot == nil && sigstore.trustConfig == nil {
                throw ValidationError("--staging: no staging trusted root is embedded; give it with --trusted-root")
            }
        }

        func run() async throws {
            let artifact = try Self.artifact(fileOrDigest)
            let root = try sigstore.loadTrustedRoot()
            let signer: SigstorePolicy.Signer
            if let key {
                signer = .key(try SigstorePublicKey.load(file: key))
            } else if let identity = try sigstore.identity() {
                signer = .certificateIdentity(identity)
            } else {
                throw ValidationError("give --certificate-identity and --certificate-oidc-issuer, or --key")
            }
            let data = try AtomicFile.read(bundle, limit: Limits.maxJSONBytes, what: "bundle")
            let contents = try SigstoreBundle.Contents.parse(data, label: bundle)
            let result = await SigstoreVerifier.verify(contents, artifact: artifact,
                                                       policy: SigstorePolicy(signer: signer, trustedRoot: root))
            let report = SigstoreReport(bundle: bundle, artifact: fileOrDigest, result: result, trustedRoot: root.source)
            printOut(json ? jsonText(report) : report.text)
            if !result.isVerified { throw ExitCode(1) }
        }

        /// `sha256:HEX` when it is exactly that and no such file exists (the conformance protocol's rule), else a file.
        static func artifact(_ text: String) throws(WeightSealError) -> SigstoreArtifact {
            let exists = FileManager.default.fileExists(atPath: text)
            if text.hasPrefix("sha256:"), !exists {
                let hex = text.dropFirst(7)
                if hex.utf8.count == 64, let digest = [UInt8](hexString: hex) { return .sha256(digest: digest) }
            }
            if !exists, text.lowercased().hasPrefix("sha256:") {
                throw WeightSealError(.invalidArgument, "\(text) is neither a file nor a digest sha256:HEX (\"sha256:\" then 64 hex digits)")
            }
            return .bytes(try AtomicFile.read(text, limit: Int.max, what: "artifact"))
        }
    }
}

/// What `verify-bundle` (and `verify` for keyless bundles) prints: the verdict, signer, issuer, log entries and times.
struct SigstoreReport: Encodable {
    var bundle: String
    var artifact: String
    var verdict: String
    var signer: String?
    var issuer: String?
    var trustedRoot: String
    var logEntries: [VerificationReport.LogEntryInfo]
    var verifiedTimes: [VerificationReport.TimeInfo]
    var findings: [Finding]

    init(bundle: String, artifact: String, result: SigstoreVerification, trustedRoot: String) {
        self.bundle = bundle
        self.artifact = artifact
        verdict = result.isVerified ? "verified" : "rejected"
        signer = result.signer
        issuer = result.issuer
        self.trustedRoot = trustedRoot
        logEntries = result.reportedLogEntries
        verifiedTimes = result.reportedTimes
        findings = result.findings
    }

    var text: String {
        var lines = [String]()
        lines.append(verdict == "verified" ? "VERIFIED  \(artifact)" : "REJECTED  \(artifact)")
        if let signer { lines.append("  signer:  \(signer)") }
        if let issuer { lines.append("  issuer:  \(issuer)") }
        for e in logEntries {
            lines.append("  log:     \(e.log) index \(e.logIndex)" + (e.integratedTime.map { " integrated \($0)" } ?? ""))
        }
        for t in verifiedTimes {
            lines.append("  time:    \(t.time) (\(t.source == "rfc3161" ? "RFC 3161 timestamp" : "integrated time"), \(t.authority))")
        }
        lines.append("  trust:   \(trustedRoot)")
        for f in findings {
            let tag = f.severity == .failure ? "FAIL" : f.severity.rawValue.uppercased()
            lines.append("  \(tag) [\(f.kind)] \(f.message)")
        }
        return lines.joined(separator: "\n")
    }
}
