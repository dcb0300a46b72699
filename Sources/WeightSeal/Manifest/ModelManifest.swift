import Crypto
import Foundation

/// The weightseal manifest: the predicate of an in-toto Statement v1 (DESIGN §3, `docs/formats/manifest-v1.md`).
///
/// It lists every covered file with its size in bytes and whole-file digest (SHA-256, or BLAKE3 when
/// ``Serialization/hashAlgorithm`` says so); files larger than ``Serialization/chunkSize`` also list the digest of each
/// `chunkSize` byte range. ``root`` is the RFC 9162 Merkle tree hash (SHA-256) over the files sorted by path bytes,
/// binding names, sizes and content.
public struct ModelManifest: Codable, Sendable, Hashable {
    /// `predicateType` of the Statement that carries this manifest.
    public static let predicateType = "https://weightseal.dev/manifest/v1"
    /// Default chunk size in bytes (64 MiB).
    public static let defaultChunkSize: UInt64 = 64 << 20

    /// What the model is.
    public struct Model: Codable, Sendable, Hashable {
        public var name: String
        public var revision: String?
        public var source: String?
        public init(name: String, revision: String? = nil, source: String? = nil) {
            self.name = name
            self.revision = revision
            self.source = source
        }
    }

    /// How the folder was turned into entries; the verifier takes its policy from here, never from its own defaults.
    public struct Serialization: Codable, Sendable, Hashable {
        /// `"sha256"` or `"blake3"`: the algorithm of every file and chunk digest (see ``algorithm``).
        public var hashAlgorithm: String
        /// Chunk size in bytes.
        public var chunkSize: UInt64
        /// Exact relative paths not covered (a folder covers everything below it).
        public var ignorePaths: [String]
        /// `"reject"` or `"within-root"`.
        public var symlinks: Reference.SymlinkRule

        public init(hashAlgorithm: String, chunkSize: UInt64, ignorePaths: [String], symlinks: Reference.SymlinkRule) {
            self.hashAlgorithm = hashAlgorithm
            self.chunkSize = chunkSize
            self.ignorePaths = ignorePaths
            self.symlinks = symlinks
        }

        /// ``hashAlgorithm`` as a ``HashAlgorithm``; nil for a name weightseal does not know.
        public var algorithm: HashAlgorithm? { HashAlgorithm(rawValue: hashAlgorithm) }
    }

    /// One covered file.
    ///
    /// In JSON the whole-file digest is the member named after its algorithm: `"sha256"` or `"blake3"`.
    public struct FileEntry: Codable, Sendable, Hashable {
        /// Model-relative path, `/`-separated.
        public var path: String
        /// Size in bytes.
        public var size: UInt64
        /// Whole-file digest in ``algorithm``, lower-case hex.
        public var digest: String
        /// The algorithm of ``digest`` and ``chunks`` (the manifest's ``Serialization/hashAlgorithm``).
        public var algorithm: HashAlgorithm
        /// Digest of each `chunkSize` byte range (lower-case hex), present only when `size > chunkSize`.
        public var chunks: [String]?

        public init(path: String, size: UInt64, digest: String, algorithm: HashAlgorithm, chunks: [String]? = nil) {
            self.path = path
            self.size = size
            self.digest = digest
            self.algorithm = algorithm
            self.chunks = chunks
        }

        /// An entry of a SHA-256 manifest.
        public init(path: String, size: UInt64, sha256: String, chunks: [String]? = nil) {
            self.init(path: path, size: size, digest: sha256, algorithm: .sha256, chunks: chunks)
        }

        /// The whole-file SHA-256 (hex) in a SHA-256 manifest; nil in a BLAKE3 one.
        public var sha256: String? { algorithm == .sha256 ? digest : nil }

        enum CodingKeys: String, CodingKey {
            case path, size, sha256, blake3, chunks
        }

        /// The direct reading of an entry from the strict reader's tree: `nil` for anything but the plain shape
        /// (strings, a decimal size), which the `Codable` code then reads and names precisely.
        fileprivate init?(tree: StrictJSON) {
            guard case .object(let members) = tree else { return nil }
            var path: String?, size: UInt64?, sha256: String?, blake3: String?, chunks: [String]?
            for (key, value) in members {
                switch key {
                case "path": guard case .string(let s) = value else { return nil }; path = s
                case "size": guard let n = value.unsignedInteger else { return nil }; size = n
                case "sha256": guard case .string(let s) = value else { return nil }; sha256 = s
                case "blake3": guard case .string(let s) = value else { return nil }; blake3 = s
                case "chunks":
                    switch value {
                    case .null: break
                    case .array(let items):
                        var list = [String]()
                        list.reserveCapacity(items.count)
                        for item in items {
                            guard case .string(let c) = item else { return nil }
                            list.append(c)
                        }
                        chunks = list
                    default: return nil
                    }
                default: continue
                }
            }
            guard let path, let size else { return nil }
            switch (sha256, blake3) {
            case (let d?, nil): self.init(path: path, size: size, digest: d, algorithm: .sha256, chunks: chunks)
            case (nil, let d?): self.init(path: path, size: size, digest: d, algorithm: .blake3, chunks: chunks)
            default: return nil
            }
        }

        public init(from decoder: any Decoder) throws {
            if let tree = decoder.strictJSONValue, let entry = FileEntry(tree: tree) {
                self = entry
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            size = try c.decode(UInt64.self, forKey: .size)
            chunks = try c.decodeIfPresent([String].self, forKey: .chunks)
            switch (c.contains(.sha256), c.contains(.blake3)) {
            case (true, false):
                digest = try c.decode(String.self, forKey: .sha256)
                algorithm = .sha256
            case (false, true):
                digest = try c.decode(String.self, forKey: .blake3)
                algorithm = .blake3
            case (true, true):
                throw DecodingError.dataCorruptedError(forKey: .blake3, in: c,
                    debugDescription: "a file entry has both a sha256 and a blake3 digest")
            case (false, false):
                throw DecodingError.keyNotFound(CodingKeys.sha256, .init(codingPath: c.codingPath,
                    debugDescription: "a file entry needs its sha256 (or blake3) digest"))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(size, forKey: .size)
            try c.encode(digest, forKey: algorithm == .sha256 ? .sha256 : .blake3)
            try c.encodeIfPresent(chunks, forKey: .chunks)
        }
    }

    /// The program that wrote the manifest.
    public struct Tool: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    public var model: Model
    public var serialization: Serialization
    /// Files in path-byte order.
    public var files: [FileEntry]
    /// Merkle tree hash over the files, lower-case hex.
    public var root: String
    public var license: LicenseRecord?
    /// RFC 3339 time of creation.
    public var createdAt: String
    public var tool: Tool

    public init(model: Model, serialization: Serialization, files: [FileEntry], root: String, license: LicenseRecord?,
                createdAt: String, tool: Tool) {
        self.model = model
        self.serialization = serialization
        self.files = files
        self.root = root
        self.license = license
        self.createdAt = createdAt
        self.tool = tool
    }

    // MARK: - Merkle root

    /// The leaf input of one file: `path ‖ 0x00 ‖ decimal size ‖ 0x00 ‖ digest hex ‖ 0x00 ‖ chunk root hex or empty`,
    /// the digests in the manifest's algorithm (the tree itself is SHA-256 whatever it is).
    public static func leafData(_ entry: FileEntry) -> [UInt8] {
        var d = Array(entry.path.utf8)
        d.append(0)
        d += Array(String(entry.size).utf8)
        d.append(0)
        d += Array(entry.digest.utf8)
        d.append(0)
        if let chunks = entry.chunks {
            let raw = chunks.map { [UInt8](hexString: $0) ?? [] }
            d += Array(MerkleTree.rootHash(leaves: raw).hexString.utf8)
        }
        return d
    }

    /// ``MerkleTree/leafHash(_:)`` of ``leafData(_:)``, fed to the digest part by part (no buffer per file).
    static func leafHash(_ entry: FileEntry) -> [UInt8] {
        var h = SHA256()
        func feed(_ text: String) {
            var text = text
            text.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        func separator(_ byte: UInt8) { withUnsafeBytes(of: byte) { h.update(bufferPointer: $0) } }
        separator(0x00)  // the leaf prefix
        feed(entry.path)
        separator(0)
        feed(String(entry.size))
        separator(0)
        feed(entry.digest)
        separator(0)
        if let chunks = entry.chunks {
            feed(MerkleTree.rootHash(leaves: chunks.map { [UInt8](hexString: $0) ?? [] }).hexString)
        }
        return h.finalize().withUnsafeBytes { Array($0) }
    }

    /// The Merkle tree hash over `files` sorted by path bytes (lower-case hex).
    public static func computeRoot(_ files: [FileEntry]) -> String {
        // Manifests list their files in this order already: the check costs one pass, the sort only when needed.
        var order = Array(files.indices)
        if !inPathOrder(files, strictly: false, by: \.path) {
            order.sort { pathBytesLess(files[$0].path, files[$1].path) }
        }
        // Leaves are hashed on every core: 200,000 files make 200,000 leaves.
        let sorted = order
        var leaves = [[UInt8]](repeating: [], count: sorted.count)
        leaves.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let parts = sorted.count < 4096 ? 1 : activeProcessorCount()
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (sorted.count * part / parts)..<(sorted.count * (part + 1) / parts)
                for k in range { out[k] = leafHash(files[sorted[k]]) }
            }
        }
        return MerkleTree.rootHash(leafHashes: leaves).hexString
    }

    // MARK: - Statement

    /// The in-toto Statement carrying this manifest, as the JSON bytes that get signed (keys sorted).
    public func statementJSON() throws(WeightSealError) -> [UInt8] {
        // JSONEncoder writes everything but the two lists that grow with the model (`predicate.files`, `subject`):
        // each holds one placeholder element, replaced by the elements written by CanonicalJSON, byte for byte what
        // JSONEncoder writes for them (a test compares the two), at a tenth of the cost for 200,000 files.
        var shell = self
        shell.files = [StatementLists.filePlaceholder]
        let statement = ManifestStatement(
            type: ManifestStatement.statementType,
            subject: [StatementLists.subjectPlaceholder],
            predicateType: Self.predicateType,
            predicate: shell)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let head: [UInt8]
        do {
            head = Array(try encoder.encode(statement))
        } catch {
            throw WeightSealError(.malformedManifest, "cannot encode manifest", cause: error)
        }
        guard let out = StatementLists.splice(head, files: files) else {
            throw WeightSealError(.malformedManifest, "cannot encode manifest: its lists were not found in the encoding")
        }
        return out
    }

    /// The manifest alone as pretty-printed JSON (keys sorted), as `weightseal hash` prints it.
    public func prettyJSON() throws(WeightSealError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw WeightSealError(.malformedManifest, "cannot encode manifest", cause: error)
        }
    }

    /// Parses a signed Statement's bytes (never a rebuilt payload) and checks it (DESIGN §5.1) before any file is opened.
    ///
    /// - Returns: the manifest and the findings of its consistency checks (a root or subject that does not match the
    ///   files is a `manifestInconsistent` failure).
    /// - Throws: ``WeightSealError/Code/malformedManifest`` for JSON of the wrong shape, ``WeightSealError/Code/invalidPath``
    ///   for a path that breaks the rules, ``WeightSealError/Code/unsupportedAlgorithm`` for a hash other than SHA-256
    ///   and BLAKE3, ``WeightSealError/Code/limitExceeded`` past ``Limits``.
    public static func parseStatement(_ payload: [UInt8], label: String) throws(WeightSealError) -> (ModelManifest, [Finding]) {
        guard payload.count <= Limits.maxJSONBytes else {
            throw WeightSealError(.limitExceeded, "\(label): Statement larger than \(Limits.maxJSONBytes) bytes")
        }
        // The strict reader, and only it: a member given twice (after unescaping) would be read differently by others.
        let elements = ManifestStatement.Elements()
        let tree = try SignedPayloadJSON.parse(payload, label: label, what: statementWhat, elements: elements)
        return try parseStatement(tree, elements: elements, label: label)
    }

    /// How messages about a malformed weightseal Statement begin (after the label).
    static let statementWhat = "malformed weightseal manifest Statement"

    /// ``parseStatement(_:label:)`` over the strict reader's tree of the payload (the caller has bounded its size),
    /// with the subjects and file entries the reader handed over as it read them (`elements`), if it did.
    static func parseStatement(_ tree: StrictJSON, elements: ManifestStatement.Elements?,
                               label: String) throws(WeightSealError) -> (ModelManifest, [Finding]) {
        var statement: ManifestStatement
        do {
            statement = try StrictJSONDecoder.decode(ManifestStatement.self, from: tree)
            if let elements {
                if let error = elements.subjectError { throw error }
                if let error = elements.fileError { throw error }
                if elements.subjectCount > 0 { statement.subject = elements.subjects }
                if elements.fileCount > 0 { statement.predicate.files = elements.files }
            }
        } catch {
            throw WeightSealError(.malformedManifest, "\(label): not a weightseal manifest Statement: \(describe(error))")
        }
        guard statement.type == ManifestStatement.statementType else {
            throw WeightSealError(.malformedManifest, "\(label): _type is \(statement.type), expected \(ManifestStatement.statementType)")
        }
        guard statement.predicateType == predicateType else {
            throw WeightSealError(.malformedManifest, "\(label): predicateType is \(ModelPath.quoted(statement.predicateType)), expected \(predicateType)")
        }
        let manifest = statement.predicate
        let findings = try manifest.check(label: label, field: "predicate.")
        // check() has made sure the algorithm is known.
        let key = manifest.serialization.hashAlgorithm
        var inOrder = statement.subject.count == manifest.files.count
        for (i, s) in statement.subject.enumerated() {
            let digest = manifest.serialization.algorithm == .blake3 ? s.blake3 : s.sha256
            // An upper-case spelling is refused by name (G14); any other wrong digest is an inconsistency below.
            if let digest, isHex(digest, count: 64), !isLowerHex(digest, count: 64) {
                throw WeightSealError(.malformedManifest,
                    "\(label): subject[\(i)].digest.\(key) (\(ModelPath.quoted(s.name))) is not 64 lower-case hex digits: \(ModelPath.quoted(String(digest.prefix(80))))")
            }
            if inOrder, compareBytes(s.name, manifest.files[i].path) != 0 || digest != manifest.files[i].digest { inOrder = false }
        }
        // A generic in-toto reader checks the subjects, weightseal the files: if they disagree the payload means two
        // things, so it is refused as malformed (FIELD-CASES-2 G04), like a duplicate key, before any file is hashed.
        // Subjects listed in the files' order (as weightseal writes them) agree without a map of names.
        var subjectProblems = [String]()
        if !inOrder {
            var subjects = [PathKey: String]()
            subjects.reserveCapacity(statement.subject.count)
            for s in statement.subject {
                subjects[PathKey(s.name)] = manifest.serialization.algorithm == .blake3 ? s.blake3 : s.sha256
            }
            if statement.subject.count != manifest.files.count { subjectProblems.append("\(statement.subject.count) subjects for \(manifest.files.count) files") }
            for f in manifest.files where subjects[PathKey(f.path)] != f.digest {
                subjectProblems.append("subject digest for \(ModelPath.quoted(f.path)) disagrees with predicate.files")
                if subjectProblems.count > 5 { break }
            }
        }
        if !subjectProblems.isEmpty {
            throw WeightSealError(.malformedManifest, "\(label): Statement subjects disagree with the manifest: " + subjectProblems.joined(separator: "; "))
        }
        return (manifest, findings)
    }

    /// Checks shape, bounds and path rules; returns consistency findings.
    ///
    /// Digests (`sha256` or `blake3`, `chunks`, `root`) must be 64 lower-case hex digits: the Merkle leaves hash the hex
    /// text, so an upper-case spelling would give another root (FIELD-CASES-2 G14). Every file's digest must be of the
    /// manifest's algorithm.
    /// - Throws: as ``parseStatement(_:label:)``.
    public func check(label: String) throws(WeightSealError) -> [Finding] {
        try check(label: label, field: "")
    }

    /// ``check(label:)``, naming fields with the prefix `field` (`"predicate."` inside a Statement).
    func check(label: String, field: String) throws(WeightSealError) -> [Finding] {
        guard let algorithm = serialization.algorithm else {
            throw WeightSealError(.unsupportedAlgorithm, "\(label): hash algorithm \(serialization.hashAlgorithm) is not supported (weightseal reads sha256 and blake3)")
        }
        guard serialization.chunkSize >= UInt64(Limits.minChunkSize), serialization.chunkSize <= UInt64(Limits.maxChunkSize) else {
            throw WeightSealError(.malformedManifest, "\(label): chunkSize \(serialization.chunkSize) is out of range")
        }
        guard !files.isEmpty else { throw WeightSealError(.malformedManifest, "\(label): the manifest lists no file") }
        guard files.count <= Limits.maxFiles else {
            throw WeightSealError(.limitExceeded, "\(label): more than \(Limits.maxFiles) files")
        }
        try ModelPath.validateAll(files.map(\.path))
        for p in serialization.ignorePaths { try ModelPath.validate(p) }
        let cs = serialization.chunkSize
        guard isLowerHex(root, count: 64) else {
            throw WeightSealError(.malformedManifest, "\(label): \(field)root is not 64 lower-case hex digits: \(ModelPath.quoted(String(root.prefix(80))))")
        }
        for (i, f) in files.enumerated() {
            guard f.algorithm == algorithm else {
                throw WeightSealError(.malformedManifest,
                    "\(label): \(field)files[\(i)] (\(ModelPath.quoted(f.path))) has a \(f.algorithm.rawValue) digest in a \(algorithm.rawValue) manifest")
            }
            guard isLowerHex(f.digest, count: 64) else {
                throw WeightSealError(.malformedManifest,
                    "\(label): \(field)files[\(i)].\(algorithm.rawValue) (\(ModelPath.quoted(f.path))) is not 64 lower-case hex digits: \(ModelPath.quoted(String(f.digest.prefix(80))))")
            }
            let expectedChunks = f.size > cs ? Int((f.size - 1) / cs + 1) : 0
            let chunkCount = f.chunks?.count ?? 0
            guard chunkCount == expectedChunks, f.chunks == nil || expectedChunks > 0 else {
                throw WeightSealError(.malformedManifest,
                    "\(label): \(ModelPath.quoted(f.path)) has \(chunkCount) chunks, expected \(expectedChunks) for \(f.size) bytes in \(cs)-byte chunks")
            }
            for (j, c) in (f.chunks ?? []).enumerated() where !isLowerHex(c, count: 64) {
                throw WeightSealError(.malformedManifest,
                    "\(label): \(field)files[\(i)].chunks[\(j)] (\(ModelPath.quoted(f.path))) is not 64 lower-case hex digits: \(ModelPath.quoted(String(c.prefix(80))))")
            }
        }
        var findings = [Finding]()
        let computed = Self.computeRoot(files)
        if computed != root {
            findings.append(Finding(.manifestInconsistent, message: "manifest root does not match its files",
                                    expected: root, actual: computed))
        }
        return findings
    }

    /// The files as a ``Reference`` for the verifier (call after ``check(label:)``).
    public func reference(label: String, isSigned: Bool) -> Reference {
        let cs = serialization.chunkSize
        let expected = files.map { f -> ExpectedFile in
            let whole = [UInt8](hexString: f.digest) ?? []
            guard let chunks = f.chunks else {
                return ExpectedFile(path: f.path, size: f.size, check: f.algorithm == .sha256 ? .sha256(whole) : .blake3(whole))
            }
            var ranges = [ExpectedRange]()
            ranges.reserveCapacity(chunks.count)
            for (i, c) in chunks.enumerated() {
                let start = UInt64(i) * cs
                ranges.append(ExpectedRange(start: start, end: min(start + cs, f.size), digest: [UInt8](hexString: c) ?? [],
                                            algorithm: f.algorithm))
            }
            return ExpectedFile(path: f.path, size: f.size, check: .ranges(ranges, whole: whole))
        }
        return Reference(kind: .weightsealManifest, isSigned: isSigned, files: expected,
                         ignorePaths: serialization.ignorePaths, symlinks: serialization.symlinks, label: label)
    }
}

/// The Statement wrapper, decoded from the signed bytes.
struct ManifestStatement: Codable {
    static let statementType = "https://in-toto.io/Statement/v1"
    /// A subject as this check reads it: the name and the digests of the two algorithms a manifest can use (every
    /// digest must still be a string, as in-toto's `DigestSet` says).
    struct Subject: Codable {
        var name: String
        var sha256: String?
        var blake3: String?

        private struct Name: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { return nil }
        }

        init(name: String, algorithm: HashAlgorithm, digest: String) {
            self.name = name
            if algorithm == .blake3 { blake3 = digest } else { sha256 = digest }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Name.self)
            try c.encode(name, forKey: Name(stringValue: "name"))
            var digest = c.nestedContainer(keyedBy: Name.self, forKey: Name(stringValue: "digest"))
            try digest.encodeIfPresent(sha256, forKey: Name(stringValue: HashAlgorithm.sha256.rawValue))
            try digest.encodeIfPresent(blake3, forKey: Name(stringValue: HashAlgorithm.blake3.rawValue))
        }

        /// The direct reading from the strict reader's tree, as ``FileEntry`` does: `nil` sends it to the generic code.
        fileprivate init?(tree: StrictJSON) {
            guard case .object(let members) = tree else { return nil }
            var name: String?, sha256: String?, blake3: String?, hasDigest = false
            for (key, value) in members {
                switch key {
                case "name": guard case .string(let s) = value else { return nil }; name = s
                case "digest":
                    guard case .object(let digests) = value else { return nil }
                    hasDigest = true
                    for (algorithm, d) in digests {
                        guard case .string(let hex) = d else { return nil }
                        if algorithm == HashAlgorithm.sha256.rawValue { sha256 = hex }
                        if algorithm == HashAlgorithm.blake3.rawValue { blake3 = hex }
                    }
                default: continue
                }
            }
            guard let name, hasDigest else { return nil }
            self.name = name
            self.sha256 = sha256
            self.blake3 = blake3
        }

        init(from decoder: any Decoder) throws {
            if let tree = decoder.strictJSONValue, let subject = Subject(tree: tree) {
                self = subject
                return
            }
            let c = try decoder.container(keyedBy: Name.self)
            name = try c.decode(String.self, forKey: Name(stringValue: "name"))
            let digest = try c.nestedContainer(keyedBy: Name.self, forKey: Name(stringValue: "digest"))
            for k in digest.allKeys {
                let value = try digest.decode(String.self, forKey: k)
                if k.stringValue == HashAlgorithm.sha256.rawValue { sha256 = value }
                if k.stringValue == HashAlgorithm.blake3.rawValue { blake3 = value }
            }
        }
    }
    var type: String
    var subject: [Subject]
    var predicateType: String
    var predicate: ModelManifest

    enum CodingKeys: String, CodingKey {
        case type = "_type", subject, predicateType, predicate
    }

    /// The two lists of a Statement that grow with the model (`subject`, `predicate.files`), decoded element by
    /// element while the strict reader reads them, so that a 200,000-file Statement is never held as a tree.
    /// The first decoding error of each list is kept and thrown by the caller once the whole payload parsed.
    final class Elements {
        /// `subject`, `predicate.files`: the arrays the reader hands over.
        static let paths = [["subject"], ["predicate", "files"]]
        /// Subjects kept as read, for a Statement that turns out not to be weightseal's (OMS has one subject).
        static let rawSubjectLimit = 16

        var subjects: [Subject] = []
        var subjectCount = 0
        var subjectError: (any Error)?
        var rawSubjects: [StrictJSON] = []
        var files: [ModelManifest.FileEntry] = []
        var fileCount = 0
        var fileError: (any Error)?

        func consume(_ which: Int, _ index: Int, _ element: StrictJSON) {
            if which == 0 {
                subjectCount += 1
                if rawSubjects.count < Self.rawSubjectLimit { rawSubjects.append(element) }
                guard subjectError == nil else { return }
                // The plain shape directly; anything else through the decoder, which names what is wrong and where.
                if let subject = Subject(tree: element) {
                    subjects.append(subject)
                    return
                }
                do {
                    subjects.append(try StrictJSONDecoder.decode(Subject.self, from: element, at: [.member("subject"), .index(index)]))
                } catch {
                    subjectError = error
                }
            } else {
                fileCount += 1
                guard fileError == nil else { return }
                if let entry = ModelManifest.FileEntry(tree: element) {
                    files.append(entry)
                    return
                }
                do {
                    files.append(try StrictJSONDecoder.decode(ModelManifest.FileEntry.self, from: element,
                                                              at: [.member("predicate"), .member("files"), .index(index)]))
                } catch {
                    fileError = error
                }
            }
        }

        /// `tree` with its subjects put back, for a reader of another format; `nil` when more were read than kept
        /// (the caller parses again, without handing over).
        func restoringSubjects(into tree: StrictJSON) -> StrictJSON? {
            guard subjectCount > 0 else { return tree }
            guard subjectCount <= Self.rawSubjectLimit, case .object(var members) = tree else { return nil }
            for k in members.indices where members[k].0 == "subject" { members[k].1 = .array(rawSubjects) }
            return .object(members)
        }
    }
}

/// A short, path-bearing description of a decoding error.
func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let ctx):
        return "missing field \(codingPath(ctx.codingPath + [key]))"
    case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
        return "wrong type at \(codingPath(ctx.codingPath)): \(ctx.debugDescription)"
    case DecodingError.dataCorrupted(let ctx):
        return ctx.codingPath.isEmpty ? "invalid JSON" : "invalid value at \(codingPath(ctx.codingPath)): \(ctx.debugDescription)"
    default:
        return "\(error)"
    }
}

private func codingPath(_ path: [any CodingKey]) -> String {
    path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
}

/// The two long lists of a weightseal Statement written directly, in JSONEncoder's `sortedKeys` and
/// `withoutEscapingSlashes` form: members in byte order, `"` and `\\` escaped, `\b \t \n \f \r` and `\u00xx` for the
/// other controls, everything else as it is.
enum StatementLists {
    /// Placeholders: inside an encoded string a `"` is always escaped, so their element text (unescaped quotes) can
    /// only be the element itself, wherever a name or license text repeats the words.
    static let filePlaceholder = ModelManifest.FileEntry(path: "\u{1}files", size: 0, digest: "", algorithm: .sha256)
    static let subjectPlaceholder = ManifestStatement.Subject(name: "\u{1}subject", algorithm: .sha256, digest: "")
    static let fileElement = Array(#"{"path":"\u0001files","sha256":"","size":0}"#.utf8)
    static let subjectElement = Array(#"{"digest":{"sha256":""},"name":"\u0001subject"}"#.utf8)

    /// `head` with each placeholder element replaced by the real elements; `nil` if a placeholder is not found once.
    static func splice(_ head: [UInt8], files: [ModelManifest.FileEntry]) -> [UInt8]? {
        guard let f = find(fileElement, in: head), let s = find(subjectElement, in: head), f < s else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(head.count + files.count * 220)
        out += head[..<f]
        for (i, e) in files.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeFile(e, into: &out)
        }
        out += head[(f + fileElement.count)..<s]
        for (i, e) in files.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeSubject(e, into: &out)
        }
        out += head[(s + subjectElement.count)...]
        return out
    }

    /// The first position of `needle` in `haystack`, if it occurs exactly once.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        var found: Int?
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) {
                if found != nil { return nil }
                found = i
            }
        }
        return found
    }

    /// `{"blake3":…,"chunks":[…],"path":…,"sha256":…,"size":…}` with the members a ``ModelManifest/FileEntry`` has.
    static func writeFile(_ e: ModelManifest.FileEntry, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if e.algorithm == .blake3 {
            key("blake3", into: &out)
            string(e.digest, into: &out)
            out.append(UInt8(ascii: ","))
        }
        if let chunks = e.chunks {
            key("chunks", into: &out)
            out.append(UInt8(ascii: "["))
            for (i, c) in chunks.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(c, into: &out)
            }
            out += [UInt8(ascii: "]"), UInt8(ascii: ",")]
        }
        key("path", into: &out)
        string(e.path, into: &out)
        out.append(UInt8(ascii: ","))
        if e.algorithm == .sha256 {
            key("sha256", into: &out)
            string(e.digest, into: &out)
            out.append(UInt8(ascii: ","))
        }
        key("size", into: &out)
        out += Array(String(e.size).utf8)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"digest":{"ALGORITHM":…},"name":…}`.
    static func writeSubject(_ e: ModelManifest.FileEntry, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        key("digest", into: &out)
        out.append(UInt8(ascii: "{"))
        key(e.algorithm.rawValue, into: &out)
        string(e.digest, into: &out)
        out += [UInt8(ascii: "}"), UInt8(ascii: ",")]
        key("name", into: &out)
        string(e.path, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func key(_ name: String, into out: inout [UInt8]) {
        string(name, into: &out)
        out.append(UInt8(ascii: ":"))
    }

    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
