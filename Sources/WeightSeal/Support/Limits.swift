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
}
