/// The license part of verification (DESIGN §6): compares what the files declare now with the signed license
/// record, applies the user's policy, and reports incomplete or odd metadata.
public enum LicenseCheck {
    /// Runs every license check.
    /// - Parameters:
    ///   - signed: the signed manifest's license record; `nil` for a reference without one (checksum file, OMS).
    ///   - scan: ``LicenseScanner/scan(root:paths:)`` of the downloaded folder.
    ///   - signedPaths: model-relative paths covered by the signature (a `license_link` target must be one).
    ///   - policy: the user's policy, if any.
    ///   - strict: `verify --strict`: ``Finding/Kind/licenseIncomplete`` becomes a failure.
    /// - Returns: findings; failures are ``Finding/Kind/licenseMismatch``, ``Finding/Kind/licenseNotAllowed``,
    ///   ``Finding/Kind/licenseConflict``, ``Finding/Kind/licenseAmbiguous`` (and ``Finding/Kind/licenseIncomplete`` when strict).
    ///   - unread: paths that were not re-read (they failed their size or digest check): their signed declarations are
    ///     not compared.
    public static func check(signed: LicenseRecord?, scan: LicenseScan, signedPaths: Set<String>,
                             policy: LicensePolicy?, strict: Bool = false, unread: Set<String> = []) -> [Finding] {
        var findings = scan.notes
        for a in scan.ambiguities {
            findings.append(Finding(.licenseAmbiguous, .failure, path: a.path, message: a.message,
                                    actual: a.values.joined(separator: ", ")))
        }
        var effective: [SPDXExpression] = []

        if let signed {
            findings += compareDeclarations(signed: signed.declarations.filter { !unread.contains($0.path) },
                                            found: scan.declarations)
            findings += checkSignedExpression(signed)
            if let text = signed.expression {
                if let expr = try? LicenseResolver.expression(forDeclaredValue: text) {
                    effective = [expr]
                } else {
                    findings.append(Finding(.licenseMismatch, message: "the signed license expression \(ModelPath.quoted(text)) does not parse",
                                            actual: text))
                }
            }
        } else {
            let statements = LicenseResolver.statements(scan.declarations)
            let distinct = unique(statements.compactMap(\.expression))
            effective = distinct
            if distinct.count > 1 || statements.contains(where: { $0.expression == nil }) {
                let listed = statements.map { "\($0.source) = \(ModelPath.quoted($0.declaredText))" + ($0.expression.map { " (\($0))" } ?? " (unreadable)") }
                findings.append(Finding(.licenseConflict, path: statements.first?.declarations.first?.path,
                                        message: "the model's license declarations disagree: " + listed.joined(separator: "; "),
                                        hints: ["no signed license record chooses between them"]))
            }
        }

        if let policy {
            findings += applyPolicy(policy, to: effective, signed: signed)
        }
        findings += completeness(scan: scan, signedPaths: signedPaths, strict: strict)
        findings += hints(scan: scan, effective: effective)
        return findings
    }

    /// Verification in one call: scans `files` (the folder as walked for verification) and runs
    /// ``check(signed:scan:signedPaths:policy:strict:)`` with the signed manifest's license record and paths.
    public static func check(manifest: ModelManifest, files: [WalkedFile], policy: LicensePolicy?, strict: Bool = false) -> [Finding] {
        check(signed: manifest.license, scan: LicenseScanner.scan(files: files),
              signedPaths: Set(manifest.files.map(\.path)), policy: policy, strict: strict)
    }

    // MARK: - Signed vs re-read declarations

    static func compareDeclarations(signed: [LicenseDeclaration], found: [LicenseDeclaration]) -> [Finding] {
        func grouped(_ ds: [LicenseDeclaration]) -> ([[String]], [[String]: [String]]) {
            var order: [[String]] = []
            var g: [[String]: [String]] = [:]
            for d in ds {
                let key = [d.path, d.field]
                if g[key] == nil { order.append(key) }
                g[key, default: []].append(d.value)
            }
            return (order, g)
        }
        let (signedOrder, signedGroups) = grouped(signed)
        let (foundOrder, foundGroups) = grouped(found)
        var out: [Finding] = []
        func normalized(_ values: [String], _ field: String) -> String {
            guard LicenseResolver.expressionFields.contains(field) else { return values.joined(separator: ", ") }
            let exprs = values.compactMap { try? LicenseResolver.expression(forDeclaredValue: $0) }
            return exprs.count == values.count && !exprs.isEmpty ? SPDXExpression.allOf(exprs).description : values.joined(separator: ", ")
        }
        for key in signedOrder {
            let want = signedGroups[key] ?? []
            let path = key[0], field = key[1]
            guard let have = foundGroups[key] else {
                out.append(Finding(.licenseMismatch, path: path,
                                   message: "\(ModelPath.quoted(path)) no longer declares \(field) \(ModelPath.quoted(want.joined(separator: ", "))), which the signature records",
                                   expected: want.joined(separator: ", "), actual: nil))
                continue
            }
            if have != want {
                let wantText = normalized(want, field), haveText = normalized(have, field)
                out.append(Finding(.licenseMismatch, path: path,
                                   message: "\(ModelPath.quoted(path)) \(field) says \(ModelPath.quoted(have.joined(separator: ", "))) (\(haveText)) but the signature says \(ModelPath.quoted(want.joined(separator: ", "))) (\(wantText))",
                                   expected: wantText, actual: haveText))
            }
        }
        for key in foundOrder where signedGroups[key] == nil {
            let have = foundGroups[key] ?? []
            out.append(Finding(.licenseMismatch, path: key[0],
                               message: "\(ModelPath.quoted(key[0])) declares \(key[1]) \(ModelPath.quoted(have.joined(separator: ", "))), which the signature does not record",
                               expected: nil, actual: have.joined(separator: ", ")))
        }
        return out
    }

    /// The signed expression must follow from the signed declarations unless the publisher chose it.
    static func checkSignedExpression(_ signed: LicenseRecord) -> [Finding] {
        let statements = LicenseResolver.statements(signed.declarations)
        if signed.chosenBy == LicenseRecord.chosenByPublisher {
            let declared = statements.map { "\($0.source) = \(ModelPath.quoted($0.declaredText))" }
            return [Finding(.licenseChosenByPublisher, .note,
                            message: "the publisher chose the license expression \(signed.expression ?? "(none)")"
                                + (declared.isEmpty ? "" : " over the declarations " + declared.joined(separator: "; ")),
                            actual: signed.expression)]
        }
        let derived = unique(statements.compactMap(\.expression))
        let signedExpr = signed.expression.flatMap { try? LicenseResolver.expression(forDeclaredValue: $0) }
        if derived.count > 1 || statements.contains(where: { $0.expression == nil }) {
            return [Finding(.licenseMismatch, message: "the signed declarations disagree but the signed record does not say the publisher chose \(signed.expression ?? "an expression")",
                            expected: nil, actual: signed.expression)]
        }
        if derived.first?.normalized != signedExpr?.normalized {
            return [Finding(.licenseMismatch,
                            message: "the signed license expression \(signed.expression ?? "(none)") does not follow from the signed declarations (\(derived.first?.description ?? "none"))",
                            expected: derived.first?.description, actual: signed.expression)]
        }
        return []
    }

    // MARK: - Policy

    static func applyPolicy(_ policy: LicensePolicy, to expressions: [SPDXExpression], signed: LicenseRecord?) -> [Finding] {
        if expressions.isEmpty {
            guard policy.hasAllowList else { return [] }
            return [Finding(.licenseNotAllowed, message: "no license expression is declared, and the policy allows only \(ModelPath.listed(policy.allow))",
                            expected: policy.allow.joined(separator: ", "), actual: nil)]
        }
        var out: [Finding] = []
        for expr in expressions {
            let verdict = policy.evaluate(expr)
            guard !verdict.passes else { continue }
            var expected: [String] = []
            if !policy.allow.isEmpty { expected.append("allow " + ModelPath.listed(policy.allow)) }
            if !policy.deny.isEmpty { expected.append("deny " + ModelPath.listed(policy.deny)) }
            out.append(Finding(.licenseNotAllowed,
                               message: "license \(expr) breaks the license policy: " + verdict.failingTerms.joined(separator: ", "),
                               expected: expected.joined(separator: "; "), actual: expr.description))
        }
        return out
    }

    // MARK: - Completeness

    static func completeness(scan: LicenseScan, signedPaths: Set<String>, strict: Bool) -> [Finding] {
        let severity: Finding.Severity = strict ? .failure : .warning
        var out: [Finding] = []
        let card = LicenseScanner.modelCardPath
        let cardDecls = scan.declarations.filter { $0.path == card }
        let licenses = cardDecls.filter { $0.field == "license" }.map(\.value)
        let name = cardDecls.first { $0.field == "license_name" }?.value
        let link = cardDecls.first { $0.field == "license_link" }?.value
        if licenses.contains(where: { $0.trimmingSpaces.isEmpty }) {
            out.append(Finding(.licenseIncomplete, severity, path: card, message: "\(ModelPath.quoted(card)) has an empty license: key"))
        }
        if licenses.contains(where: { $0.trimmingSpaces.lowercased() == HuggingFaceLicense.other }) {
            if name?.trimmingSpaces.isEmpty ?? true {
                out.append(Finding(.licenseIncomplete, severity, path: card,
                                   message: "\(ModelPath.quoted(card)) says license: other without license_name, so the license is not named"))
            }
            if link?.trimmingSpaces.isEmpty ?? true {
                out.append(Finding(.licenseIncomplete, severity, path: card,
                                   message: "\(ModelPath.quoted(card)) says license: other without license_link, so the license text is not identified"))
            }
        }
        // Every link that names a file of the model: the file must be present and signed.
        var links: [(path: String, field: String, value: String)] = []
        if let link { links.append((card, "license_link", link)) }
        for d in scan.declarations where d.field == "general.license.link" { links.append((d.path, d.field, d.value)) }
        for l in links {
            guard let target = LicenseScanner.linkTarget(l.value) else { continue }
            if scan.linkTargets[target] == false {
                out.append(Finding(.licenseIncomplete, severity, path: l.path,
                                   message: "\(ModelPath.quoted(l.path)) \(l.field) names \(ModelPath.quoted(target)), which is absent",
                                   expected: target))
            } else if !signedPaths.contains(target) {
                out.append(Finding(.licenseIncomplete, severity, path: l.path,
                                   message: "\(ModelPath.quoted(l.path)) \(l.field) names \(ModelPath.quoted(target)), which the signature does not cover",
                                   expected: target))
            }
        }
        for u in scan.unknownKeys {
            var hints: [String] = []
            if u.field.lowercased() == "license_url" { hints.append("the Hub reads license_link, not license_url") }
            out.append(Finding(.licenseUnknownKey, .warning, path: u.path,
                               message: "\(ModelPath.quoted(u.path)) has the key \(u.field) = \(ModelPath.quoted(u.value)), which the Hub's model card metadata does not define",
                               actual: u.field, hints: hints))
        }
        return out
    }

    // MARK: - Hints from text

    static func hints(scan: LicenseScan, effective: [SPDXExpression]) -> [Finding] {
        guard !effective.isEmpty else { return [] }
        let named = Set(effective.flatMap(\.terms).map { LicensePolicy.family($0) })
        let shown = effective.map(\.description).joined(separator: " / ")
        var out: [Finding] = []
        for path in scan.files {
            guard let id = scan.recognizedTexts[path], let expr = try? SPDXExpression(parsing: id) else { continue }
            if !expr.terms.contains(where: { named.contains(LicensePolicy.family($0)) }) {
                out.append(Finding(.licenseTextDiffers, .warning, path: path,
                                   message: "\(ModelPath.quoted(path)) reads like the \(id) text, but the declared license is \(shown); it may cover only part of the model (e.g. code)",
                                   expected: shown, actual: id))
            }
        }
        var mentioned: [String] = []
        for m in scan.proseMentions where !mentioned.contains(m.value) {
            guard let expr = try? SPDXExpression(parsing: m.value) else { continue }
            if !expr.terms.contains(where: { named.contains(LicensePolicy.family($0)) }) {
                mentioned.append(m.value)
                out.append(Finding(.licenseProseMention, .warning, path: m.path,
                                   message: "the prose of \(ModelPath.quoted(m.path)) names \(m.value), which differs from the declared license \(shown)",
                                   expected: shown, actual: m.value))
            }
        }
        return out
    }

    static func unique(_ exprs: [SPDXExpression]) -> [SPDXExpression] {
        var seen = Set<SPDXExpression>()
        var out: [SPDXExpression] = []
        for e in exprs where seen.insert(e.normalized).inserted { out.append(e) }
        return out
    }
}
