import Foundation

/// A user's license policy: SPDX ids to allow and to deny (DESIGN §6, `docs/licenses.md`).
///
/// File format (`verify --license-policy FILE`), JSON, both keys optional, no other keys:
/// ```json
/// {"allow": ["Apache-2.0", "MIT"], "deny": ["GPL-3.0-only"]}
/// ```
/// Evaluation of an expression: a term holds when it is allowed (or `allow` is empty) and not denied; `OR` holds
/// when any operand holds, `AND` when all do. Matching rules:
/// - ids compare ignoring case; `LicenseRef-…` entries compare as text;
/// - `X`, `X+`, `X-only` and `X-or-later` (and the deprecated `GPL-2.0`, `GPL-2.0+`) are one entry: a policy
///   names licenses, not version ranges, and does not infer that `GPL-2.0+` may be taken as `GPL-3.0-only`;
/// - an entry without `WITH` matches the license with any exception; an entry `X WITH E` matches only that pair.
public struct LicensePolicy: Sendable, Hashable, Codable {
    /// Entries that pass (empty: every license not denied passes). Each is a simple SPDX expression.
    public var allow: [String]
    /// Entries that fail.
    public var deny: [String]

    private var allowTerms: [SPDXExpression.Term]
    private var denyTerms: [SPDXExpression.Term]

    private enum CodingKeys: String, CodingKey { case allow, deny }

    /// Builds a policy, checking every entry.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` naming an entry that is not a license id,
    ///   `LicenseRef-…`, `id+` or `id WITH exception`.
    public init(allow: [String] = [], deny: [String] = []) throws(WeightSealError) {
        self.allow = allow
        self.deny = deny
        allowTerms = try Self.terms(allow, list: "allow")
        denyTerms = try Self.terms(deny, list: "deny")
    }

    /// A policy allowing every license named in `expressions` (`verify --allow-license EXPR...`): each
    /// expression's terms are added to `allow`, so `--allow-license "MIT OR Apache-2.0"` allows both.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` for an expression that does not parse.
    public init(allowing expressions: [String]) throws(WeightSealError) {
        var ids: [String] = []
        var seen = Set<String>()
        for text in Set(expressions).count < expressions.count ? expressions.filter({ seen.insert($0).inserted }) : expressions {
            let expr: SPDXExpression
            do { expr = try LicenseResolver.expression(forDeclaredValue: text) } catch {
                throw WeightSealError(.invalidArgument, "--allow-license \(ModelPath.quoted(text)): \(error.message)", cause: error)
            }
            ids += expr.terms.map(\.description)
        }
        // Each id once, in first-seen order (a repeated `--allow-license` adds nothing).
        var once = Set<String>()
        try self.init(allow: ids.filter { once.insert($0).inserted }, deny: [])
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(allow: c.decodeIfPresent([String].self, forKey: .allow) ?? [],
                      deny: c.decodeIfPresent([String].self, forKey: .deny) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(allow, forKey: .allow)
        try c.encode(deny, forKey: .deny)
    }

    /// Parses a policy file's JSON.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` naming `label` for JSON that is not an object with only
    ///   `allow`/`deny` string arrays, or for a bad entry.
    public init(json: [UInt8], label: String) throws(WeightSealError) {
        let object: StrictJSON
        do { object = try StrictJSON.parse(json, maxValues: Limits.maxJSONValues(forBytes: json.count)) } catch {
            throw WeightSealError(.invalidArgument, "license policy \(ModelPath.quoted(label)) is not JSON: \(error.message)")
        }
        guard let members = object.objectMembers else {
            throw WeightSealError(.invalidArgument, "license policy \(ModelPath.quoted(label)) is not a JSON object")
        }
        for (key, _) in members where key != "allow" && key != "deny" {
            throw WeightSealError(.invalidArgument, "license policy \(ModelPath.quoted(label)) has unknown key \(ModelPath.quoted(key)); only \"allow\" and \"deny\"")
        }
        func list(_ key: String) throws(WeightSealError) -> [String] {
            guard let value = object[key] else { return [] }
            guard case .array(let items) = value, let strings = Optional(items.compactMap(\.stringValue)),
                  strings.count == items.count else {
                throw WeightSealError(.invalidArgument, "license policy \(ModelPath.quoted(label)): \"\(key)\" must be an array of strings")
            }
            return strings
        }
        do {
            try self.init(allow: list("allow"), deny: list("deny"))
        } catch {
            throw WeightSealError(error.code, "license policy \(ModelPath.quoted(label)): \(error.message)", cause: error)
        }
    }

    /// Reads a policy file (at most ``Limits/maxPEMBytes`` bytes).
    /// - Throws: ``WeightSealError/Code/io`` when unreadable, ``WeightSealError/Code/limitExceeded`` when too large,
    ///   otherwise as ``init(json:label:)``.
    public static func load(file: String) throws(WeightSealError) -> LicensePolicy {
        return try LicensePolicy(json: try AtomicFile.read(file, limit: Limits.maxPEMBytes, what: "license policy", allowPipe: true), label: file)
    }

    private static func terms(_ entries: [String], list: String) throws(WeightSealError) -> [SPDXExpression.Term] {
        var out: [SPDXExpression.Term] = []
        for entry in entries {
            let expr: SPDXExpression
            do { expr = try SPDXExpression(parsing: entry) } catch {
                throw WeightSealError(.invalidArgument, "\(list) entry \(ModelPath.quoted(entry)): \(error.message)", cause: error)
            }
            guard case .term(let t) = expr else {
                throw WeightSealError(.invalidArgument, "\(list) entry \(ModelPath.quoted(entry)) must be one license id, not an expression")
            }
            out.append(t)
        }
        return out
    }

    /// The policy's verdict on one expression.
    public struct Evaluation: Sendable, Hashable {
        /// Whether the expression satisfies the policy.
        public var passes: Bool
        /// Terms of the expression that fail on their own, with the reason (`"denied"`, `"not allowed"`).
        public var failingTerms: [String]
    }

    /// Evaluates `expression`: `OR` passes if one operand passes, `AND` if all do.
    public func evaluate(_ expression: SPDXExpression) -> Evaluation {
        var failing: [String] = []
        for t in expression.terms {
            if let reason = reason(t), !failing.contains("\(t) (\(reason))") { failing.append("\(t) (\(reason))") }
        }
        return Evaluation(passes: expression.evaluate { reason($0) == nil }, failingTerms: failing)
    }

    /// Whether one term passes: `nil`, or why not.
    public func reason(_ term: SPDXExpression.Term) -> String? {
        if denyTerms.contains(where: { Self.matches(entry: $0, term: term) }) { return "denied" }
        if !allowTerms.isEmpty, !allowTerms.contains(where: { Self.matches(entry: $0, term: term) }) { return "not allowed" }
        return nil
    }

    /// `true` when the policy allows nothing unless listed.
    public var hasAllowList: Bool { !allowTerms.isEmpty }

    static func matches(entry: SPDXExpression.Term, term: SPDXExpression.Term) -> Bool {
        guard family(entry) == family(term) else { return false }
        guard let exception = entry.exception else { return true }
        return exception.lowercased() == term.exception?.lowercased()
    }

    /// The license with `+`, `-only`, `-or-later` removed, lower-cased.
    static func family(_ term: SPDXExpression.Term) -> String {
        var id = term.license.lowercased()
        if term.isReference { return id }
        for suffix in ["-only", "-or-later"] where id.hasSuffix(suffix) {
            id.removeLast(suffix.count)
        }
        return id
    }
}
