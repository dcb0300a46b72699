import Foundation

/// Everything ``LicenseScanner`` read from a model folder.
public struct LicenseScan: Sendable {
    /// Declarations, in a stable order: `README.md` front matter first, then GGUF and safetensors files by path.
    public var declarations: [LicenseDeclaration]
    /// License text files (`LICENSE*`, `LICENCE*`, `COPYING*`, `USE_POLICY*` at any depth), sorted by path bytes.
    public var files: [String]
    /// License-like keys the Hub does not read (`license_url`, ...), as `(path, key, value)`.
    public var unknownKeys: [LicenseDeclaration]
    /// For each license text file whose text was recognised: path → SPDX expression it looks like.
    public var recognizedTexts: [String: String]
    /// License names found in the model card's prose (field `prose`), e.g. `CC-BY-NC-4.0`.
    public var proseMentions: [LicenseDeclaration]
    /// For each `license_link` / `general.license.link` that names a file of the model: normalised path → whether
    /// the walked file list contains it.
    public var linkTargets: [String: Bool]
    /// Files that could not be read or parsed (warnings of kind ``Finding/Kind/licenseUnreadable``).
    public var notes: [Finding]
    /// License fields a weight file states more than once (FIELD-CASES-2 G07): none of their values is in
    /// ``declarations``; `sign` refuses them and `verify` fails on them.
    public var ambiguities: [LicenseAmbiguity] = []

    public init(declarations: [LicenseDeclaration] = [], files: [String] = [], unknownKeys: [LicenseDeclaration] = [],
                recognizedTexts: [String: String] = [:], proseMentions: [LicenseDeclaration] = [],
                linkTargets: [String: Bool] = [:], notes: [Finding] = []) {
        self.declarations = declarations
        self.files = files
        self.unknownKeys = unknownKeys
        self.recognizedTexts = recognizedTexts
        self.proseMentions = proseMentions
        self.linkTargets = linkTargets
        self.notes = notes
    }
}

/// Reads the license declarations of a model folder (DESIGN §6): the model card `README.md` front matter
/// (`license` as string or list, `license_name`, `license_link`), GGUF `general.license*`, safetensors
/// `__metadata__` (`license`, `modelspec.license`), and notes license text files. Every read is bounded; no
/// tensor data is read.
public enum LicenseScanner {
    /// The model card read for front matter: `README.md` at the model root.
    public static let modelCardPath = "README.md"

    /// Scans the files `paths` (model-relative, `/`-separated, as listed by the folder walker) under `root`.
    /// Never throws: a file that cannot be read or parsed becomes a ``Finding/Kind/licenseUnreadable`` note.
    /// - Parameters:
    ///   - root: the model folder on disk.
    ///   - paths: the regular files to consider (others are not opened).
    public static func scan(root: String, paths: [String]) -> LicenseScan {
        let rootURL = URL(fileURLWithPath: root, isDirectory: true)
        return scan(paths.map { ($0, rootURL.appendingPathComponent($0).path) })
    }

    /// Scans the files the folder walker listed (``ModelFolder/list(root:options:)``), opening each at its
    /// `fsPath` (a followed symlink's target).
    public static func scan(files: [WalkedFile]) -> LicenseScan {
        scan(files.map { ($0.path, $0.fsPath) })
    }

    static func scan(_ entries: [(path: String, fsPath: String)]) -> LicenseScan {
        var scan = LicenseScan()
        // Only names that can carry a declaration are opened: a folder may hold hundreds of thousands of files.
        var locations: [String: String] = [:]
        for e in entries where e.path == modelCardPath || mayDeclareLicense(e.path) { locations[e.path] = e.fsPath }
        func fsPath(_ p: String) -> String { locations[p] ?? p }
        let sorted = locations.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        // Every path, for license links; made the first time a link is seen.
        var everyPath: Set<String>?
        func isPresent(_ p: String) -> Bool {
            if everyPath == nil { everyPath = Set(entries.map(\.path)) }
            return everyPath?.contains(p) ?? false
        }

        // Model card.
        if locations[modelCardPath] != nil {
            do {
                let text = try readText(fsPath(modelCardPath), label: modelCardPath, limit: Limits.maxModelCardBytes)
                if let card = try ModelCardFrontMatter.parse(card: text, path: modelCardPath) {
                    for value in card.license {
                        scan.declarations.append(.init(path: modelCardPath, field: "license", value: value))
                    }
                    if let name = card.licenseName {
                        scan.declarations.append(.init(path: modelCardPath, field: "license_name", value: name))
                    }
                    if let link = card.licenseLink {
                        scan.declarations.append(.init(path: modelCardPath, field: "license_link", value: link))
                        if let target = linkTarget(link) { scan.linkTargets[target] = isPresent(target) }
                    }
                    for (key, value) in card.unknownKeys {
                        scan.unknownKeys.append(.init(path: modelCardPath, field: key, value: value))
                    }
                    for id in LicenseTextRecognizer.mentions(inProse: card.body) {
                        scan.proseMentions.append(.init(path: modelCardPath, field: "prose", value: id))
                    }
                }
            } catch {
                scan.notes.append(unreadable(modelCardPath, error))
            }
        }

        for path in sorted {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let lower = name.lowercased()
            var read: LicenseReadResult?
            do {
                if lower.hasSuffix(".gguf") {
                    read = try GGUFLicenseReader.read(fsPath: fsPath(path), path: path)
                } else if lower.hasSuffix(".safetensors") {
                    read = try SafetensorsLicenseReader.read(fsPath: fsPath(path), path: path)
                }
            } catch {
                scan.notes.append(unreadable(path, error))
            }
            if let read {
                scan.declarations += read.values
                scan.ambiguities += read.ambiguities
                for d in read.values where d.field == "general.license.link" {
                    if let target = linkTarget(d.value) { scan.linkTargets[target] = isPresent(target) }
                }
                for problem in read.problems {
                    scan.notes.append(Finding(.licenseUnreadable, .warning, path: path, message: "\(ModelPath.quoted(path)): \(problem)"))
                }
            }
            if isLicenseFileName(lower) {
                scan.files.append(path)
                if let text = try? readText(fsPath(path), label: path, limit: Limits.maxLicenseTextBytes),
                   let id = LicenseTextRecognizer.recognizeLicenseText(text) {
                    scan.recognizedTexts[path] = id
                }
            }
        }
        return scan
    }

    /// Whether the file at `path` can carry a declaration the loop below reads (GGUF, safetensors, a license text),
    /// without allocating for the common ASCII name; other names take `lowercased()` as the loop does.
    static func mayDeclareLicense(_ path: String) -> Bool {
        let name = path.utf8.lastIndex(of: UInt8(ascii: "/")).map { path.utf8[path.utf8.index(after: $0)...] } ?? path.utf8[...]
        guard name.allSatisfy({ $0 < 0x80 }) else {
            let lower = String(Substring(name)).lowercased()
            return lower.hasSuffix(".gguf") || lower.hasSuffix(".safetensors") || isLicenseFileName(lower)
        }
        func lowered(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
        func hasSuffix(_ suffix: String) -> Bool {
            name.count >= suffix.utf8.count && zip(name.suffix(suffix.utf8.count), suffix.utf8).allSatisfy { lowered($0) == $1 }
        }
        if hasSuffix(".gguf") || hasSuffix(".safetensors") { return true }
        for stem in ["license", "licence", "copying", "use_policy"] where name.count >= stem.utf8.count
            && zip(name, stem.utf8).allSatisfy({ lowered($0) == $1 }) {
            let rest = name.dropFirst(stem.utf8.count)
            if rest.isEmpty || rest.first == UInt8(ascii: ".") || rest.first == UInt8(ascii: "-") || rest.first == UInt8(ascii: "_") { return true }
        }
        return false
    }

    /// Whether a file name (lower-cased, last path component) is a license text file: `license`, `licence`,
    /// `copying` or `use_policy`, alone or followed by `.`, `-` or `_` (`LICENSE.txt`, `LICENSE-MODEL`,
    /// `USE_POLICY.md`; not `licensed.json`).
    public static func isLicenseFileName(_ lowercasedName: String) -> Bool {
        for stem in ["license", "licence", "copying", "use_policy"] where lowercasedName.hasPrefix(stem) {
            let rest = lowercasedName.dropFirst(stem.count)
            if rest.isEmpty || rest.first == "." || rest.first == "-" || rest.first == "_" { return true }
        }
        return false
    }

    /// The model-relative path a `license_link` names, or `nil` for an external URL.
    /// `LICENSE.md`, `./LICENSE.md` and `/LICENSE.md` name `LICENSE.md`; a Hub file URL
    /// `https://huggingface.co/ORG/NAME/blob/REV/PATH` (or `/resolve/`) names `PATH`.
    public static func linkTarget(_ link: String) -> String? {
        var s = Substring(link.trimmingSpaces)
        if s.isEmpty { return nil }
        if let scheme = s.range(of: "://") {
            let afterScheme = s[scheme.upperBound...]
            let parts = afterScheme.split(separator: "/", omittingEmptySubsequences: false)
            // host / org / name / (blob|resolve) / rev / path...
            guard parts.count >= 6, parts[0].lowercased().hasSuffix("huggingface.co"),
                  parts[3] == "blob" || parts[3] == "resolve" else { return nil }
            let path = parts[5...].joined(separator: "/")
            return path.isEmpty ? nil : (path.removingPercentEncoding ?? path)
        }
        if s.hasPrefix("mailto:") { return nil }
        while s.hasPrefix("./") { s = s.dropFirst(2) }
        while s.hasPrefix("/") { s = s.dropFirst() }
        if let hash = s.firstIndex(where: { $0 == "#" || $0 == "?" }) { s = s[..<hash] }
        let path = String(s)
        return ModelPath.problem(path) == nil ? path : nil
    }

    static func readText(_ fsPath: String, label: String, limit: Int) throws(WeightSealError) -> String {
        do {
            let file = try BoundedFile(path: fsPath)
            return String(decoding: try file.read(at: 0, count: Int(min(UInt64(limit), file.size))), as: UTF8.self)
        } catch {
            throw WeightSealError(.io, "cannot read \(ModelPath.quoted(label)): \(error.message)")
        }
    }

    static func unreadable(_ path: String, _ error: any Error) -> Finding {
        Finding(.licenseUnreadable, .warning, path: path,
                message: "license declarations of \(ModelPath.quoted(path)) could not be read: \(error)")
    }
}
