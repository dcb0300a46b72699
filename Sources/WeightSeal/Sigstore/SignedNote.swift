import Foundation

/// A signed note (C2SP `signed-note`): text lines, a blank line, then one signature line per signer,
/// `— <name> <base64(key hint ‖ signature)>`. The signatures cover the text including its final newline.
///
/// Parsing checks the shape only; which signature to trust is the caller's choice (a transparency log's
/// checkpoint needs the log's; witness cosignatures may be ignored).
struct SignedNote: Sendable, Hashable {
    /// One signature line.
    struct Signature: Sendable, Hashable {
        /// The signer's name (for a log, its origin).
        var name: String
        /// The first 4 bytes of the key ID, naming which key of `name` signed.
        var keyHint: [UInt8]
        /// The signature proper (key hint removed).
        var signature: [UInt8]
    }

    /// The signed text: every line up to and including the newline before the blank line (UTF-8 bytes).
    var text: [UInt8]
    /// The text's lines, without their newlines.
    var lines: [String]
    /// The signature lines, in order.
    var signatures: [Signature]

    /// Largest note read, in bytes, and most signature lines (the Go `note` package's limit).
    static let maxBytes = 64 * 1024
    static let maxSignatures = 100

    /// Parses a note.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` when there is no blank line, no signature line, a signature
    ///   line is not `— name base64` with at least 5 bytes, or the note is larger than ``maxBytes``.
    static func parse(_ note: String) throws(WeightSealError) -> SignedNote {
        let bytes = Array(note.utf8)
        guard bytes.count <= maxBytes else {
            throw WeightSealError(.limitExceeded, "the signed note is larger than \(maxBytes) bytes")
        }
        let newline = UInt8(ascii: "\n")
        // The text ends at the first blank line; the text itself holds no empty line.
        var split: Int? = nil
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == newline && bytes[i + 1] == newline { split = i; break }
            i += 1
        }
        guard let end = split else {
            throw WeightSealError(.malformedBundle, "the signed note has no blank line before its signatures")
        }
        let text = Array(bytes[...end])
        guard text.count > 1 else { throw WeightSealError(.malformedBundle, "the signed note has no text") }
        let lines = String(decoding: text.dropLast(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        // Signature lines: each ends with a newline, none is empty.
        let rest = bytes[(end + 2)...]
        guard !rest.isEmpty, rest.last == newline else {
            throw WeightSealError(.malformedBundle, "the signed note has no signature line")
        }
        let signatureLines = String(decoding: rest.dropLast(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        guard signatureLines.count <= maxSignatures else {
            throw WeightSealError(.limitExceeded, "the signed note has more than \(maxSignatures) signatures")
        }
        var signatures = [Signature]()
        for line in signatureLines {
            guard line.hasPrefix("\u{2014} ") else {
                throw WeightSealError(.malformedBundle, "signed note line \"\(line.prefix(40))\" does not start with \"— \"")
            }
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, let raw = base64Bytes(String(fields[1])), raw.count > 4 else {
                throw WeightSealError(.malformedBundle, "signed note line \"\(line.prefix(40))\" is not \"— name base64\"")
            }
            signatures.append(Signature(name: String(fields[0]), keyHint: Array(raw.prefix(4)),
                                        signature: Array(raw.dropFirst(4))))
        }
        return SignedNote(text: text, lines: lines, signatures: signatures)
    }
}

/// A transparency-log checkpoint (C2SP `tlog-checkpoint`): the signed note whose text is the origin, the tree size
/// in decimal, the base64 root hash, then optional extension lines.
struct Checkpoint: Sendable, Hashable {
    /// The log's origin line (Rekor v1: `rekor.sigstore.dev - <tree ID>`; Rekor v2: the log's host).
    var origin: String
    /// The tree size.
    var size: UInt64
    /// The root hash (32 bytes for SHA-256 trees).
    var rootHash: [UInt8]
    /// Lines after the root hash (Rekor v1 writes `Timestamp: <ns>`), not interpreted.
    var extensions: [String]
    /// The note it was read from, with its signatures.
    var note: SignedNote

    /// Parses a checkpoint note.
    /// - Throws: ``WeightSealError/Code/malformedBundle`` naming the missing or malformed line.
    static func parse(_ text: String) throws(WeightSealError) -> Checkpoint {
        let note = try SignedNote.parse(text)
        let lines = note.lines
        guard lines.count >= 3 else {
            throw WeightSealError(.malformedBundle,
                                  "the checkpoint has \(lines.count) lines; it needs an origin, a tree size and a root hash")
        }
        let origin = lines[0]
        guard !origin.isEmpty else { throw WeightSealError(.malformedBundle, "the checkpoint has no origin") }
        // Decimal without sign or leading zeros, as the spec writes it.
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.count <= 20, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              sizeText == "0" || !sizeText.hasPrefix("0"), let size = UInt64(sizeText) else {
            throw WeightSealError(.malformedBundle, "the checkpoint's second line \"\(sizeText.prefix(40))\" is not a tree size")
        }
        guard let root = base64Bytes(lines[2]), root.count == MerkleTree.hashSize else {
            throw WeightSealError(.malformedBundle, "the checkpoint's third line is not a base64 root hash of \(MerkleTree.hashSize) bytes")
        }
        return Checkpoint(origin: origin, size: size, rootHash: root, extensions: Array(lines.dropFirst(3)), note: note)
    }
}
