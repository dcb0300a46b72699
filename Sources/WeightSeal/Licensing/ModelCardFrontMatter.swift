import Foundation
import Yams

/// The license fields of a Hugging Face model card's YAML front matter (hub-docs `model-cards.md`: the block
/// between a first line `---` and the next `---`; keys `license`, `license_name`, `license_link`).
///
/// Parsed with Yams' node API (`compose`), reading only top-level keys, so aliases are never expanded into
/// Swift values ("billion laughs" input cannot blow up memory). The front matter is capped at
/// ``Limits/maxFrontMatterBytes``.
public struct ModelCardFrontMatter: Sendable {
    /// The Hub's own license keys.
    public static let knownKeys: Set<String> = ["license", "license_name", "license_link"]

    /// `license` values: one for a string, several for a list; `[""]` for an empty `license:`.
    public var license: [String]
    /// `license_name`, `license_link` when present.
    public var licenseName: String?
    public var licenseLink: String?
    /// Other top-level keys that look like license keys (`license_url`, `licence`, ...), with their values.
    public var unknownKeys: [(key: String, value: String)]
    /// The markdown after the front matter (for prose checks), as read (the card is capped at ``Limits/maxModelCardBytes``).
    public var body: String

    /// Whether the card has a `license` key at all.
    public var hasLicenseKey: Bool { !license.isEmpty }

    /// Splits a model card into front matter and body and reads the license keys.
    /// - Returns: `nil` when the card has no front matter.
    /// - Throws: ``WeightSealError/Code/malformedReference`` for YAML that does not parse or is not a mapping;
    ///   ``WeightSealError/Code/limitExceeded`` for front matter over the cap.
    public static func parse(card text: String, path: String = "README.md") throws(WeightSealError) -> ModelCardFrontMatter? {
        guard let (yaml, body) = split(text) else { return nil }
        guard yaml.utf8.count <= Limits.maxFrontMatterBytes else {
            throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)): YAML front matter is longer than \(Limits.maxFrontMatterBytes) bytes")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): YAML front matter does not parse", cause: error)
        }
        var card = ModelCardFrontMatter(license: [], licenseName: nil, licenseLink: nil, unknownKeys: [], body: body)
        guard let node else { return card }
        guard let mapping = node.mapping else {
            throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): YAML front matter is not a mapping")
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { continue }
            switch key {
            case "license":
                if let s = value.scalar {
                    // A plain `license:`, `license: ~` or `license: null` is YAML null: an empty declaration.
                    let isNull = s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
                    card.license = [isNull ? "" : s.string]
                } else if let seq = value.sequence {
                    card.license = seq.compactMap { $0.scalar?.string }
                    if card.license.isEmpty { card.license = [""] }
                } else {
                    card.license = [""]
                }
            case "license_name":
                card.licenseName = value.scalar?.string
            case "license_link":
                card.licenseLink = value.scalar?.string
            default:
                let lower = key.lowercased()
                if lower.hasPrefix("licen") || lower.hasSuffix("_license") || lower.hasSuffix("_licence") {
                    card.unknownKeys.append((key, value.scalar?.string ?? "(not a string)"))
                }
            }
        }
        return card
    }

    /// `(front matter, body)`: the text between a first line `---` and the next line `---` or `...`.
    static func split(_ text: String) -> (String, String)? {
        var t = Substring(text)
        if t.hasPrefix("\u{FEFF}") { t = t.dropFirst() }
        var lines = t.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        guard let first = lines.first, first.trimmingCharacters(in: .whitespaces) == "---" else { return nil }
        lines = lines.dropFirst()
        var yaml: [Substring] = []
        while let line = lines.first {
            lines = lines.dropFirst()
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "---" || trimmed == "..." {
                return (yaml.joined(separator: "\n"), lines.joined(separator: "\n"))
            }
            yaml.append(line)
        }
        return nil
    }
}
