/// Caps on everything an attacker controls, in one place (as sigstore-go's `internal/limits`).
public enum Limits {
    /// Largest manifest, bundle or Statement JSON read, in bytes (256 MiB).
    public static let maxJSONBytes = 256 * 1024 * 1024
    /// Longest path in a manifest, in UTF-8 bytes.
    public static let maxPathBytes = 4096
    /// Longest line of a checksum file, in bytes: a digest and its tag, and a name of ``maxPathBytes`` with every
    /// byte escaped (GNU's `\\` and `\n` take two bytes each).
    public static let maxChecksumLineBytes = 2 * maxPathBytes + 128
    /// Most files one manifest may list.
    public static let maxFiles = 10_000_000
    /// Largest safetensors JSON header, in bytes (the reference library's cap).
    public static let maxSafetensorsHeaderBytes = 100_000_000
    /// Largest key, certificate or PEM file read, in bytes.
    public static let maxPEMBytes = 1024 * 1024
    /// Longest PKCS #11 URI (RFC 7512) accepted for `--key`, in bytes.
    public static let maxPKCS11URIBytes = 8192
    /// Largest PIN file (`pin-source=file:…`) read, in bytes.
    public static let maxPINFileBytes = 4096
    /// Most signatures in the DSSE list of a transparency-log entry body. (The DSSE envelope of a Sigstore bundle
    /// carries exactly one signature: FIELD-CASES-2 G03.)
    public static let maxSignatures = 16
    /// Most certificates in one chain.
    public static let maxCertificates = 16
    /// Most certificates, and bytes, of a file of trusted roots (`--certificate-roots`): a system CA bundle holds
    /// about 140 in 220 KB. Every certificate anywhere is at most ``maxCertificateBytes`` of DER.
    public static let maxRootCertificates = 4096
    public static let maxRootCertificatesBytes = 16 * 1024 * 1024
    public static let maxCertificateBytes = 64 * 1024
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
    /// Largest `*.safetensors.index.json` read, in bytes (64 MiB).
    public static let maxShardIndexBytes = 64 * 1024 * 1024
    /// Most key/value pairs and tensor infos read from one GGUF header, and most elements in one GGUF array.
    public static let maxGGUFKeyValues: UInt64 = 1 << 20
    public static let maxGGUFTensors: UInt64 = 1 << 22
    public static let maxGGUFArrayLength: UInt64 = 1 << 26
    /// Longest GGUF string, in bytes (16 MiB), and most bytes of GGUF header (KVs + tensor infos) read (256 MiB).
    public static let maxGGUFStringBytes: UInt64 = 16 << 20
    public static let maxGGUFHeaderBytes: UInt64 = 256 << 20
    /// Largest GGUF `general.alignment` accepted, in bytes (1 MiB). The spec sets no bound; a tiny file declaring
    /// 2^30 would put its data a gigabyte in (ggml#1516). Above it, tensors are not placed (`formatLimitExceeded`).
    public static let maxGGUFAlignment: UInt64 = 1 << 20
    /// Most pickle bytes scanned per file or zip entry (1 GiB), longest text-opcode argument line (1 MiB),
    /// deepest pickle stack modelled, most memo strings tracked, most distinct imports recorded.
    public static let maxPickleScanBytes: UInt64 = 1 << 30
    public static let maxPickleLineBytes = 1 << 20
    public static let maxPickleStackDepth = 1 << 16
    public static let maxPickleMemoEntries = 1 << 18
    public static let maxPickleImports = 1000
    /// Most central-directory entries and bytes read from one zip archive.
    public static let maxZipEntries = 1 << 20
    public static let maxZipDirectoryBytes = 256 * 1024 * 1024
    /// Deepest JSON nesting accepted in format headers.
    public static let maxJSONDepth = 64
    /// Most JSON values in one Sigstore bundle, trusted root, Rekor entry body or in-toto Statement read for a
    /// subject check (real ones hold tens; a million empty arrays would otherwise cost 15 bytes of memory per byte).
    public static let maxSigstoreJSONValues = 100_000

    /// Most JSON values read from a trusted document of `bytes` bytes that grows with its content (a Hub tree
    /// listing, a license policy): 100,000 plus one per 16 bytes, so a document of tiny values (`[[],[],…]`) cannot
    /// cost more than a small multiple of its size in memory.
    public static func maxJSONValues(forBytes bytes: Int) -> Int { maxSigstoreJSONValues + bytes / 16 }
}
