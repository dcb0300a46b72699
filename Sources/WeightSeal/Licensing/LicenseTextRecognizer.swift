/// Recognises well-known license texts and license names in prose, by fixed phrases. A hint for reviewers
/// (DESIGN §6, FIELD-CASES F16 A: "the `LICENSE` is Apache-2.0 text, possibly code-only"), never a declaration:
/// its results only ever produce warnings.
public enum LicenseTextRecognizer {
    /// Phrases (all must occur, compared ignoring case and runs of white space) → SPDX expression. Most specific first.
    static let fingerprints: [(phrases: [String], spdx: String)] = [
        (["Attribution-NonCommercial-NoDerivatives 4.0 International"], "CC-BY-NC-ND-4.0"),
        (["Attribution-NonCommercial-ShareAlike 4.0 International"], "CC-BY-NC-SA-4.0"),
        (["Attribution-NonCommercial 4.0 International"], "CC-BY-NC-4.0"),
        (["Attribution-ShareAlike 4.0 International"], "CC-BY-SA-4.0"),
        (["Attribution-NoDerivatives 4.0 International"], "CC-BY-ND-4.0"),
        (["Attribution 4.0 International"], "CC-BY-4.0"),
        (["CC0 1.0 Universal"], "CC0-1.0"),
        (["Apache License", "Version 2.0, January 2004"], "Apache-2.0"),
        (["GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3"], "AGPL-3.0-only"),
        (["GNU LESSER GENERAL PUBLIC LICENSE", "Version 3"], "LGPL-3.0-only"),
        (["GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1"], "LGPL-2.1-only"),
        (["GNU GENERAL PUBLIC LICENSE", "Version 3"], "GPL-3.0-only"),
        (["GNU GENERAL PUBLIC LICENSE", "Version 2"], "GPL-2.0-only"),
        (["Mozilla Public License Version 2.0"], "MPL-2.0"),
        (["Permission is hereby granted, free of charge"], "MIT"),
        (["Redistribution and use in source and binary forms", "Neither the name"], "BSD-3-Clause"),
        (["Redistribution and use in source and binary forms"], "BSD-2-Clause"),
        (["LLAMA 2 COMMUNITY LICENSE"], "LicenseRef-llama2"),
        (["LLAMA 3.1 COMMUNITY LICENSE"], "LicenseRef-llama3.1"),
        (["LLAMA 3.2 COMMUNITY LICENSE"], "LicenseRef-llama3.2"),
        (["LLAMA 3.3 COMMUNITY LICENSE"], "LicenseRef-llama3.3"),
        (["LLAMA 4 COMMUNITY LICENSE"], "LicenseRef-llama4"),
        (["META LLAMA 3 COMMUNITY LICENSE"], "LicenseRef-llama3"),
        (["Gemma Terms of Use"], "LicenseRef-gemma"),
    ]

    /// The SPDX expression whose text `text` (a `LICENSE` file) looks like, or `nil`.
    public static func recognizeLicenseText(_ text: String) -> String? {
        let folded = fold(text)
        for (phrases, spdx) in fingerprints where phrases.allSatisfy({ folded.contains(fold($0)) }) {
            return spdx
        }
        return nil
    }

    /// Creative Commons and a few other license names mentioned in prose (`CC BY-NC 4.0`, `CC-BY-NC-SA-4.0`,
    /// `Apache 2.0`, `MIT License`), as SPDX ids, in order of first mention, without duplicates.
    public static func mentions(inProse text: String) -> [String] {
        var found: [String] = []
        func add(_ id: String) { if !found.contains(id) { found.append(id) } }
        let words = tokens(text)
        var i = 0
        while i < words.count {
            let w = words[i]
            if w == "cc", i + 1 < words.count, words[i + 1] == "by" {
                // CC BY[-NC][-ND|-SA] <version>
                var parts = ["CC", "BY"]
                var j = i + 2
                while j < words.count, ["nc", "nd", "sa"].contains(words[j]) { parts.append(words[j].uppercased()); j += 1 }
                if j < words.count, ["1.0", "2.0", "2.5", "3.0", "4.0"].contains(words[j]) {
                    let id = parts.joined(separator: "-") + "-" + words[j]
                    if let entry = SPDXLicenseList.shared.license(id) { add(entry.id) }
                    i = j + 1
                    continue
                }
            } else if w == "apache", i + 1 < words.count {
                let next = Array(words[(i + 1)..<min(words.count, i + 5)])
                if next.first == "2.0" || (next.first == "license" && next.contains("2.0")) { add("Apache-2.0") }
            } else if w == "mit", i + 1 < words.count, words[i + 1] == "license" {
                add("MIT")
            }
            i += 1
        }
        return found
    }

    /// Lower-cased words of `text`, split at anything but letters, digits and `.` (a trailing `.` dropped).
    static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "." {
                current.append(ch)
            } else if !current.isEmpty {
                out.append(current.hasSuffix(".") ? String(current.dropLast()) : current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current.hasSuffix(".") ? String(current.dropLast()) : current) }
        return out
    }

    static func fold(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
