import Crypto
import Foundation

/// The OpenSSF Model Signing (OMS) v1.0 manifest format, as the Python reference `model-signing` 1.1.1 reads and
/// writes it (DESIGN §4, `docs/formats/oms.md`).
///
/// The signed payload is an in-toto Statement v1 whose predicate lists `resources` (`name`, `algorithm`, `digest`)
/// and the `serialization` used (`method` `files` or `shards`, `hash_type`, `allow_symlinks`, `shard_size`,
/// `ignore_paths`). Its single subject's `sha256` is the SHA-256 of the concatenated raw resource digests, in payload
/// order.
public enum OMSFormat {
    /// The OMS v1.0 predicate type.
    public static let predicateType = "https://model_signing/signature/v1.0"
    /// The pre-1.0 predicate (model-signing 0.2), where every subject is one file.
    public static let legacyPredicateType = "https://model_signing/Digests/v0.1"
    /// Paths OMS always leaves out: top-level only, a folder covers everything below it.
    public static let defaultIgnorePaths = [".git", ".gitattributes", ".github", ".gitignore"]

    // MARK: - Read

    /// Turns a verified OMS Statement into a ``Reference``.
    ///
    /// Reads OMS v1.0 (`files` and `shards`) and the legacy v0.1 predicate. Names are checked with
    /// ``ModelPath/validate(_:)`` before anything else; a shard name `path:start:end` is split at its **last two**
    /// colons, and a file's shards must cover `0..<size` without gap or overlap. A single-file model (the model
    /// path is itself a file) has one resource named `"."`: its ``ExpectedFile/path`` is `"."`, meaning the model
    /// path itself (``Reference/isSingleFile``).
    ///
    /// The returned reference has ``Reference/isSigned`` `true` (pass only payloads whose signature checked out),
    /// kind ``Reference/Kind/omsManifest``, ignore paths = ``defaultIgnorePaths`` ∪ `serialization.ignore_paths`.
    ///
    /// - Parameters:
    ///   - payload: the DSSE payload bytes, exactly as signed.
    ///   - label: names the signature file in messages.
    /// - Returns: the reference, and findings about the manifest itself: a ``Finding/Kind/manifestInconsistent``
    ///   failure when the subject digest does not match the resources, a ``Finding/Kind/legacyFormat`` warning for
    ///   the v0.1 predicate, notes for ignore paths that cannot apply.
    /// - Throws: ``WeightSealError/Code/malformedManifest`` (bad JSON or shape, a JSON member given twice, duplicate
    ///   resource names, shards that do not tile a file, a digest that is not 64 lower-case hex digits), ``WeightSealError/Code/invalidPath``, ``WeightSealError/Code/unsupportedAlgorithm``
    ///   (any hash but SHA-256 and, whole files only, BLAKE3: `blake2b` say), ``WeightSealError/Code/unsupportedFormat``
    ///   (other predicates, methods), ``WeightSealError/Code/limitExceeded``.
    public static func reference(fromPayload payload: [UInt8], label: String) throws(WeightSealError) -> (Reference, [Finding]) {
        if payload.count > Limits.maxJSONBytes {
            throw WeightSealError(.limitExceeded, "\(label): the signed statement is larger than \(Limits.maxJSONBytes) bytes")
        }
        // The strict reader, and only it: a member given twice (after unescaping) would be read differently by others.
        let tree = try SignedPayloadJSON.parse(payload, label: label, what: statementWhat)
        return try reference(fromTree: tree, label: label)
    }

    /// How messages about a malformed OMS Statement begin (after the label).
    static let statementWhat = "malformed OMS statement"

    /// ``reference(fromPayload:label:)`` over the strict reader's tree of the payload (the caller has bounded its size).
    static func reference(fromTree tree: StrictJSON, label: String) throws(WeightSealError) -> (Reference, [Finding]) {
        let head: StatementHead = try decode(StatementHead.self, tree, label: label)
        switch head.predicateType {
        case predicateType:
            return try readV1(tree, label: label)
        case legacyPredicateType:
            return try readLegacy(tree, label: label)
        default:
            throw WeightSealError(.unsupportedFormat, "\(label): unsupported predicate type \(ModelPath.quoted(head.predicateType)) (expected \(predicateType))")
        }
    }

    private static func readV1(_ tree: StrictJSON, label: String) throws(WeightSealError) -> (Reference, [Finding]) {
        let statement = try decode(InTotoStatement<V1Predicate>.self, tree, label: label)
        let resources = statement.predicate.resources
        let serialization = statement.predicate.serialization
        if resources.count > Limits.maxFiles {
            throw WeightSealError(.limitExceeded, "\(label): \(resources.count) resources (at most \(Limits.maxFiles))")
        }
        let sharded: Bool
        switch serialization.method {
        case "files": sharded = false
        case "shards": sharded = true
        default:
            throw WeightSealError(.unsupportedFormat, "\(label): serialization method \"\(serialization.method)\" is not supported (files, shards)")
        }

        // 1. Names, before anything else.
        var parsed = [(path: String, range: Range<UInt64>?)]()
        parsed.reserveCapacity(resources.count)
        for r in resources {
            let item: (path: String, range: Range<UInt64>?)
            if sharded {
                item = try shardName(r.name, label: label)
            } else {
                item = (path: r.name, range: nil)
            }
            if item.path != "." {
                do {
                    try ModelPath.validate(item.path)
                } catch {
                    throw WeightSealError(.invalidPath, "\(label): resource \(ModelPath.quoted(r.name)): \(error.message)")
                }
            }
            parsed.append(item)
        }
        if parsed.contains(where: { $0.path == "." }) && Set(parsed.map(\.path)).count > 1 {
            throw WeightSealError(.malformedManifest, "\(label): resource \".\" (a single-file model) next to other resources")
        }
        if !sharded {
            var seen = Set<[UInt8]>()
            for p in parsed where !seen.insert(Array(p.path.utf8)).inserted {
                throw WeightSealError(.malformedManifest, "\(label): duplicate resource \(ModelPath.quoted(p.path))")
            }
        }

        // 2. Algorithms: sha256 (files or shards) or blake3 (files; the reference has no BLAKE3 shards).
        let hashType = serialization.hashType ?? "sha256"
        let algorithm: HashAlgorithm
        switch hashType {
        case "sha256": algorithm = .sha256
        case "blake3" where !sharded: algorithm = .blake3
        default: throw unsupportedHash(hashType + (sharded ? " with method shards" : ""), label: label)
        }
        var shardSize = serialization.shardSize
        if sharded, let s = shardSize, s == 0 || s > UInt64(Limits.maxChunkSize) {
            throw WeightSealError(.malformedManifest, "\(label): shard_size \(s) is out of range")
        }
        for r in resources {
            if algorithm == .blake3 {
                guard r.algorithm == "blake3" else { throw unsupportedHash(r.algorithm + " in a blake3 manifest", label: label) }
                continue
            }
            if r.algorithm == "sha256" { continue }
            if sharded, r.algorithm.hasPrefix("sha256-sharded-") {
                let n = r.algorithm.dropFirst("sha256-sharded-".count)
                guard let value = decimal(n), value > 0 else {
                    throw WeightSealError(.malformedManifest, "\(label): resource \(ModelPath.quoted(r.name)): bad algorithm \"\(r.algorithm)\"")
                }
                if let s = shardSize, s != value {
                    throw WeightSealError(.malformedManifest, "\(label): resource \(ModelPath.quoted(r.name)): algorithm \"\(r.algorithm)\" disagrees with shard_size \(s)")
                }
                shardSize = value
                continue
            }
            throw unsupportedHash(r.algorithm, label: label)
        }

        // 3. Digests and the subject.
        var digests = [[UInt8]]()
        digests.reserveCapacity(resources.count)
        var concatenated = [UInt8]()
        concatenated.reserveCapacity(resources.count * 32)
        for (i, r) in resources.enumerated() {
            guard isLowerHex(r.digest, count: 64), let d = [UInt8](hexString: r.digest) else {
                throw WeightSealError(.malformedManifest,
                    "\(label): predicate.resources[\(i)].digest (\(ModelPath.quoted(r.name))) is not 64 lower-case hex digits: \(ModelPath.quoted(String(r.digest.prefix(80))))")
            }
            digests.append(d)
            concatenated += d
        }
        var findings = [Finding]()
        guard let subject = statement.subject.first, let claimed = subject.digest["sha256"] else {
            throw WeightSealError(.malformedManifest, "\(label): the statement has no subject with a sha256 digest")
        }
        // An upper-case spelling is refused by name (G14); any other wrong subject is an inconsistency below.
        if isHex(claimed, count: 64) && !isLowerHex(claimed, count: 64) {
            throw WeightSealError(.malformedManifest,
                "\(label): subject[0].digest.sha256 is not 64 lower-case hex digits: \(ModelPath.quoted(String(claimed.prefix(80))))")
        }
        let actual = SHA256.hash(data: concatenated).hexString
        if claimed != actual {
            findings.append(Finding(.manifestInconsistent,
                message: "manifest is inconsistent: the subject digest is \(claimed), but the resources hash to \(actual)",
                expected: claimed, actual: actual))
        }

        // 4. Files.
        var files = [ExpectedFile]()
        if sharded {
            var byPath = [String: [ExpectedRange]]()
            var order = [String]()
            for (i, p) in parsed.enumerated() {
                guard let range = p.range else { continue }
                if byPath[p.path] == nil { order.append(p.path) }
                byPath[p.path, default: []].append(ExpectedRange(start: range.lowerBound, end: range.upperBound, sha256: digests[i]))
            }
            for path in order {
                let ranges = (byPath[path] ?? []).sorted { $0.start < $1.start }
                var expectedStart: UInt64 = 0
                for (i, r) in ranges.enumerated() {
                    if r.start != expectedStart {
                        let what = r.start < expectedStart ? "overlap" : "gap"
                        throw WeightSealError(.malformedManifest, "\(label): shards of \(ModelPath.quoted(path)) \(what) at byte \(min(r.start, expectedStart))")
                    }
                    if r.end == r.start && !(ranges.count == 1 && i == 0) {
                        throw WeightSealError(.malformedManifest, "\(label): empty shard \(r.start):\(r.end) of \(ModelPath.quoted(path))")
                    }
                    expectedStart = r.end
                }
                files.append(ExpectedFile(path: path, size: expectedStart, check: .ranges(ranges, whole: nil)))
            }
        } else {
            for (i, p) in parsed.enumerated() {
                files.append(ExpectedFile(path: p.path, size: nil, check: algorithm == .blake3 ? .blake3(digests[i]) : .sha256(digests[i])))
            }
        }
        files.sort { pathBytesLess($0.path, $1.path) }

        // 5. Ignore paths and symlinks.
        let ignore = ignorePaths(serialization.ignorePaths ?? [], label: label, findings: &findings)
        let reference = Reference(kind: .omsManifest, isSigned: true, files: files, ignorePaths: ignore,
                                  symlinks: serialization.allowSymlinks == true ? .withinRoot : .reject, label: label)
        return (reference, findings)
    }

    private static func readLegacy(_ tree: StrictJSON, label: String) throws(WeightSealError) -> (Reference, [Finding]) {
        let statement = try decode(LegacyStatement.self, tree, label: label)
        if statement.subject.count > Limits.maxFiles {
            throw WeightSealError(.limitExceeded, "\(label): \(statement.subject.count) subjects (at most \(Limits.maxFiles))")
        }
        for s in statement.subject {
            do {
                try ModelPath.validate(s.name)
            } catch {
                throw WeightSealError(.invalidPath, "\(label): subject \(ModelPath.quoted(s.name)): \(error.message)")
            }
        }
        do {
            try ModelPath.validateAll(statement.subject.map(\.name))
        } catch {
            throw WeightSealError(error.code, "\(label): \(error.message)")
        }
        var files = [ExpectedFile]()
        for (i, s) in statement.subject.enumerated() {
            let algorithm = s.annotations?["actual_hash_algorithm"] ?? "file-sha256"
            guard algorithm == "file-sha256" else {
                throw WeightSealError(.unsupportedFormat, "\(label): legacy format (\(legacyPredicateType)) with hash algorithm \(ModelPath.quoted(algorithm)) is not supported; re-sign with OMS v1.0")
            }
            guard let hex = s.digest["sha256"], isLowerHex(hex, count: 64), let d = [UInt8](hexString: hex) else {
                throw WeightSealError(.malformedManifest,
                    "\(label): subject[\(i)].digest.sha256 (\(ModelPath.quoted(s.name))) is missing or not 64 lower-case hex digits")
            }
            files.append(ExpectedFile(path: s.name, size: nil, check: .sha256(d)))
        }
        if files.isEmpty {
            throw WeightSealError(.malformedManifest, "\(label): the legacy statement lists no file")
        }
        files.sort { pathBytesLess($0.path, $1.path) }
        let findings = [Finding(.legacyFormat, .warning,
            message: "the signature uses the legacy model_signing v0.1 format (\(legacyPredicateType)); re-sign with OMS v1.0")]
        let reference = Reference(kind: .omsManifest, isSigned: true, files: files, ignorePaths: defaultIgnorePaths,
                                  symlinks: .reject, label: label)
        return (reference, findings)
    }

    /// Splits `path:start:end` at the last two colons.
    private static func shardName(_ name: String, label: String) throws(WeightSealError) -> (path: String, range: Range<UInt64>?) {
        let bytes = Array(name.utf8)
        let colon = UInt8(ascii: ":")
        guard let second = bytes.lastIndex(of: colon),
              let first = bytes[..<second].lastIndex(of: colon) else {
            throw WeightSealError(.malformedManifest, "\(label): shard name \(ModelPath.quoted(name)) is not \"path:start:end\"")
        }
        let path = String(decoding: bytes[..<first], as: UTF8.self)
        guard let start = decimal(bytes[(first + 1)..<second]), let end = decimal(bytes[(second + 1)...]), start <= end else {
            throw WeightSealError(.malformedManifest, "\(label): shard name \(ModelPath.quoted(name)) has a bad byte range")
        }
        return (path, start..<end)
    }

    private static func ignorePaths(_ signed: [String], label: String, findings: inout [Finding]) -> [String] {
        var out = defaultIgnorePaths
        for p in signed {
            var candidate = p
            while candidate.hasPrefix("./") { candidate.removeFirst(2) }
            while candidate.count > 1 && candidate.hasSuffix("/") { candidate.removeLast() }
            if let problem = ModelPath.problem(candidate) {
                findings.append(Finding(.ignored, .note, path: p,
                    message: "ignore path \(ModelPath.quoted(p)) in the signature cannot apply inside the model (\(problem)); it is not used"))
                continue
            }
            if !out.contains(candidate) { out.append(candidate) }
        }
        return out.sorted(by: pathBytesLess)
    }

    private static func unsupportedHash(_ name: String, label: String) -> WeightSealError {
        WeightSealError(.unsupportedAlgorithm, "\(label): hash algorithm \(ModelPath.shown(name)) is not supported (weightseal reads sha256, sha256-sharded-N and blake3)")
    }

    // MARK: - Write

    /// One file of the model, hashed, for ``statement(files:shardSize:modelName:ignorePaths:allowSymlinks:)``.
    public struct HashedFile: Sendable, Hashable {
        /// Model-relative path, or `"."` for a single-file model.
        public var path: String
        /// Size in bytes.
        public var size: UInt64
        /// Whole-file digest (32 bytes) in ``algorithm``; needed without a shard size.
        public var digest: [UInt8]?
        /// SHA-256 (resources `sha256`, `sha256-sharded-N`) or BLAKE3 (`blake3`, whole files only).
        public var algorithm: HashAlgorithm
        /// SHA-256 of each shard (`shardSize`-byte ranges, the last shorter), as ``ChunkedHasher`` computes with
        /// `chunkSize: shardSize`; needed with a shard size. An empty file may give `[]`.
        public var shards: [[UInt8]]

        public init(path: String, size: UInt64, digest: [UInt8]?, algorithm: HashAlgorithm, shards: [[UInt8]] = []) {
            self.path = path
            self.size = size
            self.digest = digest
            self.algorithm = algorithm
            self.shards = shards
        }

        /// A file hashed with SHA-256.
        public init(path: String, size: UInt64, sha256: [UInt8]? = nil, shards: [[UInt8]] = []) {
            self.init(path: path, size: size, digest: sha256, algorithm: .sha256, shards: shards)
        }
    }

    /// Writes an OMS v1.0 in-toto Statement (compact JSON, sorted keys): the DSSE payload to sign with
    /// ``BundleSigner`` and payload type ``InTotoStatement/payloadType``.
    ///
    /// Resources are in code-point (UTF-8 byte) order of path; a file's shards follow in byte order, named
    /// `path:start:end` with algorithm `sha256-sharded-N`. Files hashed with BLAKE3 give resources of algorithm
    /// `blake3` and `hash_type` `blake3` (whole files only). The subject (`modelName`) digest is the SHA-256 of the
    /// concatenated resource digests in that order, whatever the algorithm. `serialization.ignore_paths` =
    /// ``defaultIgnorePaths`` ∪ `ignorePaths`, sorted; `shard_size` is written as an integer.
    /// - Parameters:
    ///   - files: every file of the model (none ignored), or one file named `"."` for a single-file model.
    ///   - shardSize: bytes per shard (method `shards`), or `nil` for whole-file digests (method `files`).
    ///   - modelName: the subject name; the reference uses the model folder's (or file's) name.
    /// - Throws: ``WeightSealError/Code/invalidPath`` / ``WeightSealError/Code/invalidArgument`` for a bad or
    ///   duplicate path, a missing digest, a shard count that does not match the size, files of two algorithms or
    ///   BLAKE3 with a shard size; ``WeightSealError/Code/emptyModel`` when `files` is empty.
    public static func statement(files: [HashedFile], shardSize: UInt64? = nil, modelName: String,
                                 ignorePaths: [String] = [], allowSymlinks: Bool = false) throws(WeightSealError) -> [UInt8] {
        guard !files.isEmpty else { throw WeightSealError(.emptyModel, "the model has no file to sign") }
        if files.contains(where: { $0.path == "." }) {
            guard files.count == 1 else {
                throw WeightSealError(.invalidArgument, "\".\" (a single-file model) must be the only file")
            }
        } else {
            do {
                try ModelPath.validateAll(files.map(\.path))
            } catch {
                throw WeightSealError(error.code == .malformedManifest ? .invalidArgument : error.code, error.message)
            }
        }
        if let s = shardSize, s == 0 || s > UInt64(Limits.maxChunkSize) {
            throw WeightSealError(.invalidArgument, "shard size \(s) is out of range (1...\(Limits.maxChunkSize))")
        }
        let algorithm = files[0].algorithm
        guard files.allSatisfy({ $0.algorithm == algorithm }) else {
            throw WeightSealError(.invalidArgument, "an OMS manifest has one hash algorithm; the files are hashed with two")
        }
        if algorithm != .sha256 && shardSize != nil {
            throw WeightSealError(.invalidArgument, "OMS shards are SHA-256; \(algorithm.rawValue) signs whole files")
        }
        var resources = [V1Resource]()
        var concatenated = [UInt8]()
        for file in files.sorted(by: { pathBytesLess($0.path, $1.path) }) {
            if let shardSize {
                let algorithm = "sha256-sharded-\(shardSize)"
                if file.size == 0 {
                    let digest = file.shards.first ?? Array(SHA256.hash(data: [UInt8]()))
                    resources.append(V1Resource(name: "\(file.path):0:0", algorithm: algorithm, digest: digest.hexString))
                    concatenated += digest
                    continue
                }
                let (q, r) = file.size.quotientAndRemainder(dividingBy: shardSize)
                let count = q + (r > 0 ? 1 : 0)
                guard UInt64(file.shards.count) == count else {
                    throw WeightSealError(.invalidArgument, "\(ModelPath.quoted(file.path)): \(file.shards.count) shard digests for \(file.size) bytes in \(shardSize)-byte shards (expected \(count))")
                }
                for (i, digest) in file.shards.enumerated() {
                    guard digest.count == 32 else {
                        throw WeightSealError(.invalidArgument, "\(ModelPath.quoted(file.path)): shard \(i) digest is not 32 bytes")
                    }
                    let start = UInt64(i) * shardSize
                    let (sum, overflow) = start.addingReportingOverflow(shardSize)
                    let end = overflow ? file.size : min(sum, file.size)
                    resources.append(V1Resource(name: "\(file.path):\(start):\(end)", algorithm: algorithm, digest: digest.hexString))
                    concatenated += digest
                }
            } else {
                guard let digest = file.digest, digest.count == 32 else {
                    throw WeightSealError(.invalidArgument, "\(ModelPath.quoted(file.path)): no 32-byte \(algorithm.displayName) digest")
                }
                resources.append(V1Resource(name: file.path, algorithm: algorithm.rawValue, digest: digest.hexString))
                concatenated += digest
            }
        }
        var ignore = defaultIgnorePaths
        for p in ignorePaths where !ignore.contains(p) { ignore.append(p) }
        let serialization = V1Serialization(method: shardSize == nil ? "files" : "shards", hashType: algorithm.rawValue,
                                            allowSymlinks: allowSymlinks, shardSize: shardSize,
                                            ignorePaths: ignore.sorted(by: pathBytesLess))
        let statement = InTotoStatement(
            subject: [ResourceDescriptor(name: modelName, digest: ["sha256": SHA256.hash(data: concatenated).hexString])],
            predicateType: predicateType,
            predicate: V1Predicate(resources: resources, serialization: serialization))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(statement))
        } catch {
            throw WeightSealError(.invalidArgument, "cannot encode the OMS statement: \(error)")
        }
    }

    // MARK: - JSON shapes

    struct StatementHead: Decodable {
        var predicateType: String
    }

    struct V1Resource: Codable, Sendable {
        var name: String
        var algorithm: String
        var digest: String
    }

    struct V1Serialization: Codable, Sendable {
        var method: String
        var hashType: String?
        var allowSymlinks: Bool?
        /// Integer or a float with no fraction (the reference writes `65536.0`).
        var shardSize: UInt64?
        var ignorePaths: [String]?

        enum CodingKeys: String, CodingKey {
            case method
            case hashType = "hash_type"
            case allowSymlinks = "allow_symlinks"
            case shardSize = "shard_size"
            case ignorePaths = "ignore_paths"
        }

        init(method: String, hashType: String?, allowSymlinks: Bool?, shardSize: UInt64?, ignorePaths: [String]?) {
            self.method = method
            self.hashType = hashType
            self.allowSymlinks = allowSymlinks
            self.shardSize = shardSize
            self.ignorePaths = ignorePaths
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            method = try c.decode(String.self, forKey: .method)
            hashType = try c.decodeIfPresent(String.self, forKey: .hashType)
            allowSymlinks = try c.decodeIfPresent(Bool.self, forKey: .allowSymlinks)
            ignorePaths = try c.decodeIfPresent([String].self, forKey: .ignorePaths)
            if try !c.contains(.shardSize) || c.decodeNil(forKey: .shardSize) {
                shardSize = nil
            } else if let n = try? c.decode(UInt64.self, forKey: .shardSize) {
                shardSize = n
            } else {
                let d = try c.decode(Double.self, forKey: .shardSize)
                guard d >= 1, d <= 9_007_199_254_740_992, d.rounded(.towardZero) == d else {
                    throw DecodingError.dataCorruptedError(forKey: .shardSize, in: c,
                        debugDescription: "shard_size \(d) is not a positive whole number")
                }
                shardSize = UInt64(d)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(method, forKey: .method)
            try c.encodeIfPresent(hashType, forKey: .hashType)
            try c.encodeIfPresent(allowSymlinks, forKey: .allowSymlinks)
            try c.encodeIfPresent(shardSize, forKey: .shardSize)
            try c.encodeIfPresent(ignorePaths, forKey: .ignorePaths)
        }
    }

    struct V1Predicate: Codable, Sendable {
        var resources: [V1Resource]
        var serialization: V1Serialization
    }

    struct LegacySubject: Decodable {
        var name: String
        var digest: [String: String]
        var annotations: [String: String]?
    }

    struct LegacyStatement: Decodable {
        var subject: [LegacySubject]
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ tree: StrictJSON, label: String) throws(WeightSealError) -> T {
        do {
            return try StrictJSONDecoder.decode(T.self, from: tree)
        } catch let error as DecodingError {
            throw WeightSealError(.malformedManifest, "\(label): malformed OMS statement: \(describe(error))")
        } catch {
            throw WeightSealError(.malformedManifest, "\(label): malformed OMS statement: \(error)")
        }
    }
}

/// A decimal number of ASCII digits only (no sign, no spaces), without overflow; `nil` otherwise.
private func decimal<S: Sequence>(_ digits: S) -> UInt64? where S.Element == UInt8 {
    var value: UInt64 = 0
    var any = false
    for c in digits {
        guard c >= 48 && c <= 57 else { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
        if o1 || o2 { return nil }
        value = a
        any = true
    }
    return any ? value : nil
}

private func decimal(_ s: Substring) -> UInt64? { decimal(s.utf8) }

extension Reference {
    /// Whether this is an OMS single-file model: one file whose path is `"."`, meaning the model path itself is the file.
    public var isSingleFile: Bool { files.count == 1 && files[0].path == "." }
}
