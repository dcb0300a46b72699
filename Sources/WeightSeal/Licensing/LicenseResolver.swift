/// One license statement: the expression one file states in one field (a model card's `license` list counts as
/// one statement, its entries joined with `AND`).
public struct LicenseStatement: Sendable, Hashable {
    /// The declarations the statement comes from (same path and field).
    public var declarations: [LicenseDeclaration]
    /// The normalised expression, or `nil` when the value is neither a Hub id nor an SPDX expression.
    public var expression: SPDXExpression?
    /// Why ``expression`` is `nil`.
    public var problem: String?

    /// `README.md license`, `model.gguf general.license`.
    public var source: String {
        guard let first = declarations.first else { return "" }
        return "\(first.path) \(first.field)"
    }

    /// The declared value(s) as written.
    public var declaredText: String { declarations.map(\.value).joined(separator: ", ") }
}

/// Turns declarations into the manifest's license record when signing, and normalises declared values
/// (DESIGN §6).
public enum LicenseResolver {
    /// The fields whose value is a license (not a name or a link).
    public static let expressionFields: Set<String> = [
        "license", "general.license", "__metadata__.license", "__metadata__.modelspec.license",
    ]
    static let nameFieldFor: [String: String] = ["license": "license_name", "general.license": "general.license.name"]

    /// Normalises one declared value: a Hub id (``HuggingFaceLicense``, taking `licenseName` for `other`), else an
    /// SPDX expression with deprecated GNU ids replaced by the current ones (`GPL-2.0` → `GPL-2.0-only`,
    /// `GPL-2.0+` → `GPL-2.0-or-later`).
    /// - Throws: ``WeightSealError/Code/invalidArgument`` or ``WeightSealError/Code/limitExceeded`` from
    ///   ``SPDXExpression/init(parsing:list:)`` when the value is neither.
    public static func expression(forDeclaredValue value: String, licenseName: String? = nil) throws(WeightSealError) -> SPDXExpression {
        if let hub = HuggingFaceLicense.expression(hubID: value, licenseName: licenseName) { return hub }
        return currentIDs(try SPDXExpression(parsing: value))
    }

    /// `expression` with each deprecated id that SPDX replaced by `-only` / `-or-later` forms rewritten.
    public static func currentIDs(_ expression: SPDXExpression, list: SPDXLicenseList = .shared) -> SPDXExpression {
        switch expression {
        case .term(var t):
            guard !t.isReference, let entry = list.license(t.license), entry.deprecated else { return expression }
            if t.orLater, let later = list.license(t.license + "-or-later") {
                t.license = later.id
                t.orLater = false
            } else if !t.orLater, let only = list.license(t.license + "-only") {
                t.license = only.id
            }
            return .term(t)
        case .and(let items): return .and(items.map { currentIDs($0, list: list) })
        case .or(let items): return .or(items.map { currentIDs($0, list: list) })
        }
    }

    /// Groups declarations into statements (one per path and license field; empty values are skipped) and
    /// normalises each, in declaration order.
    public static func statements(_ declarations: [LicenseDeclaration]) -> [LicenseStatement] {
        var order: [[String]] = []
        var groups: [[String]: [LicenseDeclaration]] = [:]
        for d in declarations where expressionFields.contains(d.field) && !d.value.trimmingSpaces.isEmpty {
            let key = [d.path, d.field]
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(d)
        }
        return order.map { key in
            let decls = groups[key] ?? []
            let name = nameFieldFor[key[1]].flatMap { nf in
                declarations.first { $0.path == key[0] && $0.field == nf }?.value
            }
            var parts: [SPDXExpression] = []
            for d in decls {
                do {
                    parts.append(try expression(forDeclaredValue: d.value, licenseName: name))
                } catch {
                    return LicenseStatement(declarations: decls, expression: nil,
                                            problem: "\(ModelPath.quoted(d.value)) is neither a Hugging Face license id nor an SPDX expression (\(error))")
                }
            }
            return LicenseStatement(declarations: decls, expression: SPDXExpression.allOf(parts), problem: nil)
        }
    }

    /// Builds the manifest's license record when signing.
    ///
    /// When every statement normalises to the same expression (operand order ignored), that is the expression.
    /// When they disagree, or one cannot be read, signing needs the publisher's choice: `publisherChoice`
    /// (a Hub id or an SPDX expression, as given to `sign --license`) becomes the expression and `chosenBy` is
    /// `"publisher"`. With no declarations and no choice the expression is `nil`.
    /// - Parameters:
    ///   - declarations: from ``LicenseScanner/scan(root:paths:)``, recorded unchanged.
    ///   - files: license text files, recorded sorted.
    ///   - publisherChoice: the `--license` value, if any.
    /// - Throws: ``WeightSealError/Code/licenseConflict`` naming the disagreeing sources when they disagree and
    ///   there is no choice; ``WeightSealError/Code/invalidArgument`` when `publisherChoice` does not parse.
    public static func resolve(declarations: [LicenseDeclaration], files: [String] = [],
                               publisherChoice: String?) throws(WeightSealError) -> LicenseRecord {
        let sortedFiles = files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if let choice = publisherChoice {
            let expr: SPDXExpression
            do {
                expr = try expression(forDeclaredValue: choice)
            } catch {
                throw WeightSealError(.invalidArgument, "--license \(ModelPath.quoted(choice)): \(error.message)", cause: error)
            }
            return LicenseRecord(expression: expr.description, declarations: declarations, files: sortedFiles,
                                 chosenBy: LicenseRecord.chosenByPublisher)
        }
        let statements = statements(declarations)
        if let bad = statements.first(where: { $0.expression == nil }) {
            throw WeightSealError(.licenseConflict,
                "cannot read the license declared in \(bad.source): \(bad.problem ?? "unreadable"); state the license with --license EXPR")
        }
        guard let first = statements.first, let firstExpr = first.expression else {
            return LicenseRecord(expression: nil, declarations: declarations, files: sortedFiles)
        }
        let disagreeing = statements.filter { $0.expression?.normalized != firstExpr.normalized }
        if !disagreeing.isEmpty {
            let listed = ([first] + disagreeing).map { s in
                "\(s.source) = \(ModelPath.quoted(s.declaredText)) (\(s.expression?.description ?? "?"))"
            }.joined(separator: "; ")
            throw WeightSealError(.licenseConflict,
                "license declarations disagree: \(listed); state the publisher's choice with --license EXPR")
        }
        return LicenseRecord(expression: firstExpr.description, declarations: declarations, files: sortedFiles)
    }

    /// ``resolve(declarations:files:publisherChoice:)`` on a scan's declarations and files.
    /// - Throws: ``WeightSealError/Code/licenseAmbiguous`` naming the file and field when a weight file states a
    ///   license field more than once (``LicenseScan/ambiguities``), even with `publisherChoice`: the file itself is
    ///   ambiguous and `verify` would fail on it; otherwise as ``resolve(declarations:files:publisherChoice:)``.
    public static func resolve(scan: LicenseScan, publisherChoice: String?) throws(WeightSealError) -> LicenseRecord {
        if let first = scan.ambiguities.first {
            let more = scan.ambiguities.count > 1 ? " (and \(scan.ambiguities.count - 1) more)" : ""
            throw WeightSealError(.licenseAmbiguous,
                "\(first.message)\(more); write each license field once in \(ModelPath.quoted(first.path)) before signing")
        }
        return try resolve(declarations: scan.declarations, files: scan.files, publisherChoice: publisherChoice)
    }

    /// Signing in one call: scans `files` (as listed by ``ManifestBuilder/listFiles(root:)``) and resolves.
    /// - Returns: the record and the scan's warnings (unreadable metadata) to show the publisher.
    /// - Throws: as ``resolve(declarations:files:publisherChoice:)``.
    public static func resolve(files: [WalkedFile], publisherChoice: String?) throws(WeightSealError) -> (LicenseRecord, [Finding]) {
        let scan = LicenseScanner.scan(files: files)
        return (try resolve(scan: scan, publisherChoice: publisherChoice), scan.notes)
    }
}
