import Foundation

/// What the caller requires of a verification, beyond what the signed reference says (DESIGN §5.3).
///
/// The reference's own rules (ignore paths, symlink rule) always apply; nothing here can loosen them, except the
/// documented Hugging Face cache layout, which follows `../../blobs/<id>` links inside the repository folder. Engine
/// settings (threads) are not policy: they are ``HashingSettings``.
public struct VerificationPolicy: Sendable {
    /// Report files the reference does not list as notes instead of failures (`--ignore-unsigned-files`).
    public var ignoreUnsignedFiles: Bool
    /// Also run the format checks (DESIGN §7); their problems fail the verdict (`--strict`), and incomplete license
    /// metadata becomes a failure.
    public var strict: Bool
    /// The licenses the caller accepts (`--license-policy`, `--allow-license`); `nil` accepts any.
    public var licensePolicy: LicensePolicy?

    public init(ignoreUnsignedFiles: Bool = false, strict: Bool = false, licensePolicy: LicensePolicy? = nil) {
        self.ignoreUnsignedFiles = ignoreUnsignedFiles
        self.strict = strict
        self.licensePolicy = licensePolicy
    }
}

/// How the hashing engine runs: no effect on any verdict.
public struct HashingSettings: Sendable {
    /// Worker threads; `nil` means two per active core for the model's files (reads of a cold disk overlap the
    /// hashing) and one per core elsewhere.
    public var jobs: Int?
    /// Whether `verify` hashes small files (at most 1 MiB) on the walk's thread while the signature is still read and
    /// checked, when more than one worker is allowed. On by default; the environment variable
    /// `WEIGHTSEAL_NO_EARLY_HASH=1` turns it off (to measure the difference).
    public var hashesEarly: Bool

    public init(jobs: Int? = nil,
                hashesEarly: Bool = ProcessInfo.processInfo.environment["WEIGHTSEAL_NO_EARLY_HASH"] != "1") {
        self.jobs = jobs
        self.hashesEarly = hashesEarly
    }
}
