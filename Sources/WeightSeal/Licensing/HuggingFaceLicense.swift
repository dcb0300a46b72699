/// The license ids the Hugging Face Hub offers in a model card's `license:` field, mapped to SPDX
/// (hub-docs "Licenses" table; DESIGN §6).
///
/// Rules, applied to all 83 ids (`docs/licenses.md` lists the table):
/// - an id that is an SPDX id in another case maps to it (`apache-2.0` → `Apache-2.0`);
/// - deprecated SPDX forms map to the current ones (`gpl-3.0` → `GPL-3.0-only`, `lgpl-2.1` → `LGPL-2.1-only`,
///   `agpl-3.0` → `AGPL-3.0-only`);
/// - a versionless id of a license that has a single version maps to that version (`odbl` → `ODbL-1.0`,
///   `pddl` → `PDDL-1.0`, `c-uda` → `C-UDA-1.0`, `odc-by` → `ODC-By-1.0`);
/// - the versionless GNU family ids map to "any version" (`gpl` → `GPL-1.0-or-later`, `lgpl` → `LGPL-2.0-or-later`,
///   `gfdl` → `GFDL-1.1-or-later`): each of those licenses says that a work naming no version may be used
///   under any version ever published (GPL-3.0 §14, LGPL-2.0 §13, GFDL-1.3 §10);
/// - ids with no SPDX form become `LicenseRef-<id>` (`llama3.1` → `LicenseRef-llama3.1`, `gemma`, the OpenRAIL
///   family; the ambiguous `bsd` and `cc`); `openrail++` becomes `LicenseRef-openrail-plusplus` because `+` is not
///   allowed in an SPDX idstring;
/// - `unknown` → `LicenseRef-unknown`; `other` → `LicenseRef-<license_name>` (the name with characters outside
///   the idstring alphabet replaced by `-`), or `LicenseRef-other` when the card gives no `license_name`
///   (which ``LicenseCheck`` reports as incomplete).
public enum HuggingFaceLicense {
    /// The Hub's ids in the order the Hub lists them, each with its SPDX expression.
    public static let table: [(hubID: String, spdx: String)] = [
        ("apache-2.0", "Apache-2.0"),
        ("mit", "MIT"),
        ("openrail", "LicenseRef-openrail"),
        ("bigscience-openrail-m", "LicenseRef-bigscience-openrail-m"),
        ("creativeml-openrail-m", "LicenseRef-creativeml-openrail-m"),
        ("bigscience-bloom-rail-1.0", "LicenseRef-bigscience-bloom-rail-1.0"),
        ("bigcode-openrail-m", "LicenseRef-bigcode-openrail-m"),
        ("afl-3.0", "AFL-3.0"),
        ("artistic-2.0", "Artistic-2.0"),
        ("bsl-1.0", "BSL-1.0"),
        ("bsd", "LicenseRef-bsd"),
        ("bsd-2-clause", "BSD-2-Clause"),
        ("bsd-3-clause", "BSD-3-Clause"),
        ("bsd-3-clause-clear", "BSD-3-Clause-Clear"),
        ("c-uda", "C-UDA-1.0"),
        ("cc", "LicenseRef-cc"),
        ("cc0-1.0", "CC0-1.0"),
        ("cc-by-2.0", "CC-BY-2.0"),
        ("cc-by-2.5", "CC-BY-2.5"),
        ("cc-by-3.0", "CC-BY-3.0"),
        ("cc-by-4.0", "CC-BY-4.0"),
        ("cc-by-sa-3.0", "CC-BY-SA-3.0"),
        ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
        ("cc-by-nc-2.0", "CC-BY-NC-2.0"),
        ("cc-by-nc-3.0", "CC-BY-NC-3.0"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("cc-by-nd-4.0", "CC-BY-ND-4.0"),
        ("cc-by-nc-nd-3.0", "CC-BY-NC-ND-3.0"),
        ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
        ("cc-by-nc-sa-2.0", "CC-BY-NC-SA-2.0"),
        ("cc-by-nc-sa-3.0", "CC-BY-NC-SA-3.0"),
        ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
        ("cdla-sharing-1.0", "CDLA-Sharing-1.0"),
        ("cdla-permissive-1.0", "CDLA-Permissive-1.0"),
        ("cdla-permissive-2.0", "CDLA-Permissive-2.0"),
        ("wtfpl", "WTFPL"),
        ("ecl-2.0", "ECL-2.0"),
        ("epl-1.0", "EPL-1.0"),
        ("epl-2.0", "EPL-2.0"),
        ("etalab-2.0", "etalab-2.0"),
        ("eupl-1.1", "EUPL-1.1"),
        ("eupl-1.2", "EUPL-1.2"),
        ("agpl-3.0", "AGPL-3.0-only"),
        ("gfdl", "GFDL-1.1-or-later"),
        ("gpl", "GPL-1.0-or-later"),
        ("gpl-2.0", "GPL-2.0-only"),
        ("gpl-3.0", "GPL-3.0-only"),
        ("lgpl", "LGPL-2.0-or-later"),
        ("lgpl-2.1", "LGPL-2.1-only"),
        ("lgpl-3.0", "LGPL-3.0-only"),
        ("isc", "ISC"),
        ("h-research", "LicenseRef-h-research"),
        ("intel-research", "LicenseRef-intel-research"),
        ("lppl-1.3c", "LPPL-1.3c"),
        ("ms-pl", "MS-PL"),
        ("apple-ascl", "LicenseRef-apple-ascl"),
        ("apple-amlr", "LicenseRef-apple-amlr"),
        ("mpl-2.0", "MPL-2.0"),
        ("odc-by", "ODC-By-1.0"),
        ("odbl", "ODbL-1.0"),
        ("openmdw-1.0", "OpenMDW-1.0"),
        ("openmdw-1.1", "LicenseRef-openmdw-1.1"),
        ("openrail++", "LicenseRef-openrail-plusplus"),
        ("osl-3.0", "OSL-3.0"),
        ("postgresql", "PostgreSQL"),
        ("ofl-1.1", "OFL-1.1"),
        ("ncsa", "NCSA"),
        ("unlicense", "Unlicense"),
        ("zlib", "Zlib"),
        ("pddl", "PDDL-1.0"),
        ("lgpl-lr", "LGPLLR"),
        ("deepfloyd-if-license", "LicenseRef-deepfloyd-if-license"),
        ("fair-noncommercial-research-license", "LicenseRef-fair-noncommercial-research-license"),
        ("llama2", "LicenseRef-llama2"),
        ("llama3", "LicenseRef-llama3"),
        ("llama3.1", "LicenseRef-llama3.1"),
        ("llama3.2", "LicenseRef-llama3.2"),
        ("llama3.3", "LicenseRef-llama3.3"),
        ("llama4", "LicenseRef-llama4"),
        ("grok2-community", "LicenseRef-grok2-community"),
        ("gemma", "LicenseRef-gemma"),
        ("unknown", "LicenseRef-unknown"),
        ("other", "LicenseRef-other"),
    ]

    private static let index: [String: String] = {
        var d = [String: String]()
        for (hub, spdx) in table { d[hub] = spdx }
        return d
    }()

    /// The Hub id that means "a license not in the Hub's list", described by `license_name` / `license_link`.
    public static let other = "other"
    /// The Hub id that means "the publisher did not say".
    public static let unknown = "unknown"

    /// The SPDX expression text for a Hub id (matched ignoring case and surrounding spaces), or `nil` when the
    /// Hub does not offer that id. `other` gives `LicenseRef-other`; use ``expression(hubID:licenseName:)`` to
    /// take `license_name` into account.
    public static func spdx(forHubID id: String) -> String? {
        index[id.trimmingSpaces.lowercased()]
    }

    /// The SPDX expression for a Hub id; for `other`, `LicenseRef-<licenseName>` when a name is given.
    /// - Returns: `nil` when `id` is not a Hub id.
    public static func expression(hubID id: String, licenseName: String? = nil) -> SPDXExpression? {
        let key = id.trimmingSpaces.lowercased()
        if key == other, let name = licenseName?.trimmingSpaces, !name.isEmpty {
            return .term(.init(license: licenseRef(for: name)))
        }
        guard let text = index[key] else { return nil }
        return try? SPDXExpression(parsing: text)
    }

    /// `LicenseRef-` plus `name` with every character outside the SPDX idstring alphabet (`A-Z a-z 0-9 - .`)
    /// replaced by `-`.
    public static func licenseRef(for name: String) -> String {
        let cleaned = name.unicodeScalars.map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "."
            return ok ? Character(s) : "-"
        }
        return "LicenseRef-" + String(cleaned)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
