/// The content hash of a manifest: what its whole-file and chunk digests are (DESIGN §3, `docs/formats/manifest-v1.md`).
///
/// Raw values are the names written in manifests (`serialization.hashAlgorithm`, the `files[]` digest member, the
/// in-toto subject digest key) and on the command line (`--hash-algorithm`). Both give 32-byte digests.
public enum HashAlgorithm: String, Sendable, Codable, CaseIterable, Hashable {
    /// SHA-256 (FIPS 180-4): equals `sha256sum` and the Hugging Face LFS oid; the default.
    case sha256
    /// BLAKE3 (the default hash mode, 32 bytes of output): equals `b3sum`. Several times faster per core.
    case blake3

    /// Size of a digest in bytes.
    public var digestSize: Int { 32 }

    /// The name people read: `SHA-256`, `BLAKE3`.
    public var displayName: String {
        switch self {
        case .sha256: "SHA-256"
        case .blake3: "BLAKE3"
        }
    }

    /// The digest of `bytes`.
    public func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var d = RunningDigest(self)
        Array(bytes).withUnsafeBytes { d.update($0) }
        return d.finalize()
    }
}
