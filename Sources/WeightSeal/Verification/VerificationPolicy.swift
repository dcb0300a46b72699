/// What the caller requires of a verification, beyond what the signed reference says (DESIGN §5.3).
///
/// The reference's own rules (ignore paths, symlink rule) always apply; nothing here can loosen them, except the
/// documented Hugging Face cache layout, which follows `../../blobs/<id>` links inside the repository folder.
public struct VerificationPolicy: Sendable {
    /// Report files the reference does not list as notes instead of failures (`--ignore-unsigned-files`).
    public var ignoreUnsignedFiles: Bool
    /// Worker threads for hashing; `nil` means all active cores.
    public var jobs: Int?
    /// For a Hugging Face cache snapshot: the `models--ORG--NAME` folder that its symlinks may point into.
    public var cacheRepositoryFolder: String?

    public init(ignoreUnsignedFiles: Bool = false, jobs: Int? = nil, cacheRepositoryFolder: String? = nil) {
        self.ignoreUnsignedFiles = ignoreUnsignedFiles
        self.jobs = jobs
        self.cacheRepositoryFolder = cacheRepositoryFolder
    }
}
