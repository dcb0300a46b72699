extension Finding.Kind {
    /// A file's bytes break its format's rules (safetensors layout, GGUF header, index JSON, pickle opcodes, zip directory).
    public static let formatInvalid = Finding.Kind("formatInvalid")
    /// A format header is larger than a bound in ``Limits`` and was not inspected (not evidence of corruption).
    public static let formatLimitExceeded = Finding.Kind("formatLimitExceeded")
    /// A note about a format: unknown dtype, a compressed entry not scanned, a byte-split part, ...
    public static let formatNote = Finding.Kind("formatNote")
    /// The file is a pickle (or a zip holding one): loading it runs code, whatever callables it names (FIELD-CASES F17).
    public static let picklePresent = Finding.Kind("picklePresent")
    /// A pickle imports a callable outside the allow-list (``PickleScanner/allowedImports``); the import is named.
    public static let pickleImport = Finding.Kind("pickleImport")
    /// The content is another format than the file name says (pickle bytes in `.safetensors`, ...).
    public static let extensionMismatch = Finding.Kind("extensionMismatch")
    /// The file is a stand-in for the real content: a Git LFS pointer, an HTML page, an HTTP error body, empty.
    public static let placeholder = Finding.Kind("placeholder")
    /// A GGUF split set, byte-split set or sharded safetensors set lacks a member or has an empty member.
    public static let splitSetIncomplete = Finding.Kind("splitSetIncomplete")
    /// Members of a split set disagree: duplicate `split.no`, `split.count` unlike the set, tensor counts that do not add up.
    public static let splitSetInconsistent = Finding.Kind("splitSetInconsistent")
    /// A shard index (`model.safetensors.index.json`) disagrees with the shards' headers.
    public static let shardIndexMismatch = Finding.Kind("shardIndexMismatch")
}
