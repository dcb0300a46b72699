/// Caps on everything an attacker controls, in one place (as sigstore-go's `internal/limits`).
public enum Limits {
    /// Largest manifest, bundle or Statement JSON read, in bytes (256 MiB).
    public static let maxJSONBytes = 256 * 1024 * 1024
    /// Longest path in a manifest, in UTF-8 bytes.
    public static let maxPathBytes = 4096
    /// Most files one manifest may list.
    public static let maxFiles = 10_000_000
    /// Largest safetensors JSON header, in bytes (the reference library's cap).
    public static let maxSafetensorsHeaderBytes = 100_000_000
    /// Largest key, certificate or PEM file read, in bytes.
    public static let maxPEMBytes = 1024 * 1024
    /// Most signatures in one DSSE envelope, and certificates in one chain.
    public static let maxSignatures = 16
    public static let maxCertificates = 16
    /// Deepest directory nesting walked, and most symlink hops followed for one path.
    public static let maxDirectoryDepth = 256
    public static let maxSymlinkHops = 40
    /// Smallest and largest chunk size, in bytes.
    public static let minChunkSize = 4096
    public static let maxChunkSize = 1 << 34

    // MARK: Licensing (DESIGN §6)
    /// Longest SPDX license expression parsed, in UTF-8 bytes.
    public static let maxLicenseExpressionBytes = 4096
    /// Deepest parenthesis nesting in an SPDX license expression.
    public static let maxLicenseExpressionDepth = 32
    /// Most bytes of a model card (`README.md`) read, and of its YAML front matter parsed.
    public static let maxModelCardBytes = 4 * 1024 * 1024
    public static let maxFrontMatterBytes = 256 * 1024
    /// Most bytes of a `LICENSE*` file read to recognise its text.
    public static let maxLicenseTextBytes = 256 * 1024
    /// The license reader's caps on a GGUF header: key/value pairs, one key or kept string value in bytes,
    /// array nesting, and bytes of metadata walked before giving up.
    public static let maxLicenseGGUFKeyValues = 1_000_000
    public static let maxLicenseGGUFStringBytes = 1024 * 1024
    public static let maxLicenseGGUFArrayDepth = 8
    public static let maxLicenseGGUFMetadataBytes: UInt64 = 1 << 30
}
