import Foundation
import Synchronization
#if canImport(CoreFoundation)
// Once Yams (licensing) is imported in this module, `struct stat` is owned by CoreFoundation's clang module, and
// MemberImportVisibility then wants that module imported here to read its fields.
import CoreFoundation
#endif
#if canImport(Glibc)
import CoreFoundation  // Linux: `stat` may be imported through CoreFoundation in a batch (MemberImportVisibility)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file found under a model root.
public struct WalkedFile: Sendable, Hashable {
    /// Model-relative path, `/`-separated.
    public var path: String
    /// File-system path to open (a followed symlink's resolved target).
    public var fsPath: String
    /// Size in bytes at the time of the walk.
    public var size: UInt64
    /// Whether the entry was reached through a symlink.
    public var viaSymlink: Bool
    /// The file's identity when it was walked, compared with its identity after hashing (a file replaced or
    /// written meanwhile is reported); `nil` when not taken.
    public var identity: FileIdentity?

    public init(path: String, fsPath: String, size: UInt64, viaSymlink: Bool, identity: FileIdentity? = nil) {
        self.path = path
        self.fsPath = fsPath
        self.size = size
        self.viaSymlink = viaSymlink
        self.identity = identity
    }
}

/// The regular files under a root, and what was found that is not one.
public struct FolderListing: Sendable {
    /// Files in path-byte order.
    public var files: [WalkedFile]
    /// Symlinks refused or escaping, dangling links, cycles, fifos, sockets, devices, names that are not UTF-8,
    /// folders that cannot be read.
    public var findings: [Finding]
    /// Relative paths of the folders that could not be read (`"."` for the root): what lies below was not looked at.
    public var unreadableFolders: [String]

    public init(files: [WalkedFile], findings: [Finding], unreadableFolders: [String] = []) {
        self.files = files
        self.findings = findings
        self.unreadableFolders = unreadableFolders
    }

    /// The unreadable folder `path` lies below, if any.
    public func unreadableFolder(above path: String) -> String? {
        unreadableFolders.first { $0 == "." || ModelPath.isIgnored(path, by: [$0]) }
    }
}

/// Walks a model folder (DESIGN §3, §5.4): never follows a symlink unless the rule allows it and its target stays
/// inside the containment root, never opens anything but directories.
public enum ModelFolder {
    /// Options of a walk.
    public struct Options: Sendable {
        /// Exact relative paths skipped (a folder and all below it).
        public var ignorePaths: [String]
        /// What to do with symlinks.
        public var symlinks: Reference.SymlinkRule
        /// The folder a followed symlink must stay inside; the root itself when `nil`.
        /// A Hugging Face cache snapshot uses its `models--ORG--NAME` folder.
        public var containmentRoot: String?
        public init(ignorePaths: [String], symlinks: Reference.SymlinkRule, containmentRoot: String? = nil) {
            self.ignorePaths = ignorePaths
            self.symlinks = symlinks
            self.containmentRoot = containmentRoot
        }
    }

    /// Lists the regular files under `root`.
    /// - Throws: ``WeightSealError/Code/io`` when `root` is not a readable directory.
    public static func list(root: String, options: Options) throws(WeightSealError) -> FolderListing {
        try list(root: root, options: options, stop: nil)
    }

    /// ``list(root:options:)``, ending early (with what was found so far) once `stop` returns true.
    static func list(root: String, options: Options, stop: (@Sendable () -> Bool)?) throws(WeightSealError) -> FolderListing {
        var st = stat()
        guard stat(root, &st) == 0 else {
            throw WeightSealError(.io, "cannot read model folder \(root): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw WeightSealError(.io, "\(root) is not a folder")
        }
        guard let realRoot = realPath(root) else {
            throw WeightSealError(.io, "cannot resolve \(root)")
        }
        let containment = options.containmentRoot.flatMap(realPath) ?? realRoot
        var walker = Walker(ignorePaths: options.ignorePaths,
                            links: options.symlinks == .withinRoot ? .withinRoot(containment) : .reject)
        walker.stop = stop
        walker.visitedDirectories.insert(DirID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)))
        walker.walk(fsDir: root, relDir: "", depth: 0)
        // Folders come in name order, so the walk is nearly always in path-byte order already ("a.b" before "a/b"
        // is the exception).
        if !inPathOrder(walker.files, strictly: false, by: \.path) {
            walker.files.sort { pathBytesLess($0.path, $1.path) }
        }
        return FolderListing(files: walker.files, findings: walker.findings, unreadableFolders: walker.unreadableFolders)
    }

    /// Names that collide under Unicode NFC or case folding (not portable to macOS/Windows file systems), names with
    /// a `:` (note), names holding bidirectional controls (``Finding/Kind/bidiControl``, warning).
    public static func portabilityWarnings(_ paths: [String]) -> [Finding] {
        // Only names that meet another are grouped: 200,000 names make 200,000 keys, not 200,000 lists.
        var first = [String: Int]()
        first.reserveCapacity(paths.count)
        var groups = [String: [String]]()
        for (i, p) in paths.enumerated() {
            let key = looseKey(p)
            if let j = first[key] {
                groups[key, default: [paths[j]]].append(p)
            } else {
                first[key] = i
            }
        }
        var findings = [Finding]()
        for (_, names) in groups where names.count > 1 {
            let sorted = names.sorted(by: pathBytesLess)
            findings.append(Finding(.nameCollision, .warning, path: sorted[0],
                message: "names collide under Unicode normalization or case folding (not portable): "
                    + sorted.map(ModelPath.quoted).joined(separator: ", ")))
        }
        for p in paths where p.utf8.contains(UInt8(ascii: ":")) {
            findings.append(Finding(.nameCollision, .note, path: p, message: "name contains ':', which Windows does not allow"))
        }
        for p in paths where !isASCII(p) {
            let controls = Set(p.unicodeScalars.filter(ModelPath.isBidiControl).map(\.value)).sorted()
            guard !controls.isEmpty else { continue }
            let names = controls.map { "U+" + String($0, radix: 16, uppercase: true) }.joined(separator: ", ")
            findings.append(Finding(.bidiControl, .warning, path: p,
                message: "name holds bidirectional control characters (\(names)) that make it display as another name; "
                    + "weightseal shows them escaped"))
        }
        return findings.sorted { pathBytesLess($0.path ?? "", $1.path ?? "") }
    }
}

/// A walk of a folder started on a thread of its own before the rules it will be checked under are known: `verify`
/// walks while the signature is read and its payload parsed (two cores, two serial steps at once). The caller uses the
/// listing only if the reference asks for exactly these options; otherwise it cancels it and walks again.
final class ListingPrefetch: Sendable {
    let root: String
    let options: ModelFolder.Options
    private let cancelled = Atomic<Bool>(false)
    /// Set when the caller wants the early digests: the walk's thread stops hashing after the file it is on.
    private let stopHashing = Atomic<Bool>(false)
    /// Signalled when the early hashing may start (the signature checked out), is not wanted, or is cancelled.
    private let startSignal = DispatchSemaphore(value: 0)
    /// The algorithm to hash early with, set by ``startHashing(algorithm:)``.
    private let startAlgorithm = Mutex<HashAlgorithm?>(nil)
    private struct State {
        var result: Result<FolderListing, WeightSealError>?
        var waiting: [CheckedContinuation<Result<FolderListing, WeightSealError>, Never>] = []
        /// Set (to nil when nothing was hashed early) once the thread is done.
        var early: EarlyDigests??
        var waitingEarly: [CheckedContinuation<EarlyDigests?, Never>] = []
    }
    private let state = Mutex(State())

    /// Starts walking `root` on a thread of its own; with `hashingEarly`, the same thread then waits for
    /// ``startHashing(algorithm:)`` (no file is read before the signature is known to be good) and hashes the small
    /// files it found (``EarlyDigests``) until ``earlyDigests()`` is called.
    init(root: String, options: ModelFolder.Options, hashingEarly: Bool = false) {
        self.root = root
        self.options = options
        let thread = Thread { [self] in
            let result: Result<FolderListing, WeightSealError>
            do throws(WeightSealError) {
                result = .success(try ModelFolder.list(root: root, options: options, stop: { [self] in
                    cancelled.load(ordering: .relaxed)
                }))
            } catch {
                result = .failure(error)
            }
            let waiting = state.withLock { s in
                s.result = result
                defer { s.waiting = [] }
                return s.waiting
            }
            for w in waiting { w.resume(returning: result) }
            var early: EarlyDigests?
            if hashingEarly, case .success(let listing) = result {
                startSignal.wait()
                if let algorithm = startAlgorithm.withLock({ $0 }) {
                    early = EarlyDigests.hash(listing.files, algorithm: algorithm) { [self] in
                        stopHashing.load(ordering: .relaxed) || cancelled.load(ordering: .relaxed)
                    }
                }
            }
            let waitingEarly = state.withLock { s in
                s.early = .some(early)
                defer { s.waitingEarly = [] }
                return s.waitingEarly
            }
            for w in waitingEarly { w.resume(returning: early) }
        }
        thread.name = "weightseal-walk"
        thread.start()
    }

    /// Whether a walk of `root` with `options` would give this listing.
    func matches(root: String, options other: ModelFolder.Options) -> Bool {
        // As the walker compares names: by bytes (String equality would equate NFC and NFD spellings).
        root == self.root && Set(other.ignorePaths.map(PathKey.init)) == Set(options.ignorePaths.map(PathKey.init))
            && other.symlinks == options.symlinks && other.containmentRoot == options.containmentRoot
    }

    /// The listing, once the walk has ended.
    /// - Throws: what ``ModelFolder/list(root:options:)`` throws.
    func listing() async throws(WeightSealError) -> FolderListing {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<FolderListing, WeightSealError>, Never>) in
            let done = state.withLock { s -> Result<FolderListing, WeightSealError>? in
                if s.result == nil { s.waiting.append(c) }
                return s.result
            }
            if let done { c.resume(returning: done) }
        }
        return try result.get()
    }

    /// Stops the early hashing and returns what it hashed (positions are those of ``listing()``'s files); nil when
    /// nothing was hashed early (not asked for, or the walk failed).
    func earlyDigests() async -> EarlyDigests? {
        stopHashing.store(true, ordering: .relaxed)
        startSignal.signal()
        return await withCheckedContinuation { (c: CheckedContinuation<EarlyDigests?, Never>) in
            let done = state.withLock { s -> EarlyDigests?? in
                if s.early == nil { s.waitingEarly.append(c) }
                return s.early
            }
            if let done { c.resume(returning: done) }
        }
    }

    /// Lets the early hashing start (once the walk has ended), with `algorithm`; the files are read only from then.
    func startHashing(algorithm: HashAlgorithm) {
        startAlgorithm.withLock { $0 = $0 ?? algorithm }
        startSignal.signal()
    }

    /// Ends the walk (and the early hashing) early; its listing is not to be used.
    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        startSignal.signal()
    }
}

/// The key under which names that differ only by Unicode normalization (NFC) or case meet. An ASCII name is its own
/// NFC form and lowercases byte by byte, the same key the general rule gives, without the Unicode tables.
func looseKey(_ path: String) -> String {
    guard isASCII(path) else { return path.precomposedStringWithCanonicalMapping.lowercased() }
    return String(decoding: path.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
}

func isASCII(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { !$0.contains { $0 >= 0x80 } }
}

struct DirID: Hashable {
    var dev: UInt64
    var ino: UInt64
}

/// The one folder walker: regular files in path-byte order of each folder, what is not one as findings, folders that
/// cannot be read, and symlinks by a link rule: refused, followed within a containment folder, or resolved by the
/// caller's rule (the Hugging Face cache's snapshot → blobs chain, HFCache.swift).
struct Walker {
    /// What a symlink resolves to under a caller's rule.
    enum LinkOutcome {
        /// A regular file at `fsPath`, with its `lstat`.
        case file(fsPath: String, stat)
        /// Not a file the walk lists, and why.
        case finding(Finding)
    }

    enum Links {
        case reject
        /// Followed when the resolved target is inside this folder (real path); links to folders are walked.
        case withinRoot(String)
        /// Resolved by the caller: `(link's file-system path, model-relative path)`.
        case rule((String, String) -> LinkOutcome)
    }

    let links: Links
    var files: [WalkedFile] = []
    var findings: [Finding] = []
    var unreadableFolders: [String] = []
    var visitedDirectories = Set<DirID>()
    let ignoreSet: Set<[UInt8]>
    /// The entries' lengths in bytes: a path of another length is not looked up (no copy of its bytes).
    let ignoreLengths: Set<Int>
    /// Asked before each entry: true ends the walk (a walk made ahead of need that is no longer wanted).
    var stop: (@Sendable () -> Bool)?

    init(ignorePaths: [String], links: Links) {
        ignoreSet = Set(ignorePaths.map { Array($0.utf8) })
        ignoreLengths = Set(ignorePaths.map(\.utf8.count))
        self.links = links
    }

    /// Walks the folder `fsDir`, whose model-relative path is `relDir` (`""` for the root).
    mutating func walk(fsDir: String, relDir: String, depth: Int) {
        guard depth < Limits.maxDirectoryDepth else {
            findings.append(Finding(.unreadable, path: relDir, message: "folder nesting deeper than \(Limits.maxDirectoryDepth)"))
            return
        }
        guard let dir = opendir(fsDir) else {
            let reason = String(cString: strerror(errno))
            unreadableFolders.append(relDir.isEmpty ? "." : relDir)
            findings.append(Finding(.unreadable, path: relDir.isEmpty ? "." : relDir,
                                    message: "cannot read folder: \(reason); nothing below it was looked at"))
            return
        }
        defer { closedir(dir) }
        // Entries are looked up relative to the open folder: one path component per lookup, not the whole path.
        let dirFD = dirfd(dir)
        var names = [[UInt8]]()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        for nameBytes in names {
            if let stop, stop() { return }
            // A weightseal output being written (or left by a process that was killed) is never part of the model.
            if AtomicFile.isTemporaryName(nameBytes) { continue }
            // An ASCII name is valid as it stands.
            let ascii = !nameBytes.contains { $0 >= 0x80 }
            guard let name = ascii ? String(decoding: nameBytes, as: UTF8.self) : String(validating: nameBytes, as: UTF8.self) else {
                let escaped = nameBytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
                findings.append(Finding(.notRegularFile, path: relDir.isEmpty ? escaped : relDir + "/" + escaped,
                                        message: "file name is not valid UTF-8; it cannot be named in a manifest"))
                continue
            }
            let relPath = relDir.isEmpty ? name : relDir + "/" + name
            // The folders above were checked on the way down: only the entry itself can be ignored here.
            if ignoreLengths.contains(relPath.utf8.count), ignoreSet.contains(Array(relPath.utf8)) { continue }
            if files.count >= Limits.maxFiles {
                findings.append(Finding(.unreadable, path: relPath, message: "more than \(Limits.maxFiles) files; the rest is not read"))
                return
            }
            // fsPath must use the raw bytes: build it from them.
            let rawFSPath = fsDir + "/" + name
            var st = stat()
            // `name` holds the raw bytes (validated, not normalized) and no NUL: it is the C string as it is.
            let statted = fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW)
            guard statted == 0 else {
                findings.append(Finding(.unreadable, path: relPath, message: "cannot stat: \(String(cString: strerror(errno)))"))
                continue
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                let id = DirID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
                guard visitedDirectories.insert(id).inserted else { continue }
                walk(fsDir: rawFSPath, relDir: relPath, depth: depth + 1)
            case S_IFREG:
                files.append(WalkedFile(path: relPath, fsPath: rawFSPath, size: UInt64(st.st_size), viaSymlink: false,
                                        identity: FileIdentity(st)))
            case S_IFLNK:
                followLink(rawFSPath, relPath: relPath, depth: depth)
            default:
                findings.append(Finding(.notRegularFile, path: relPath,
                                        message: "is a \(kindName(st.st_mode)), not a regular file"))
            }
        }
    }

    mutating func followLink(_ fsPath: String, relPath: String, depth: Int) {
        let containment: String
        switch links {
        case .reject:
            let target = readLink(fsPath).map(ModelPath.shown) ?? "?"
            findings.append(Finding(.symlinkRejected, path: relPath,
                message: "is a symlink (to \(target)); the manifest does not allow symlinks"))
            return
        case .rule(let resolve):
            switch resolve(fsPath, relPath) {
            case .file(let resolved, let st):
                files.append(WalkedFile(path: relPath, fsPath: resolved, size: UInt64(st.st_size), viaSymlink: true,
                                        identity: FileIdentity(st)))
            case .finding(let f):
                findings.append(f)
            }
            return
        case .withinRoot(let folder):
            containment = folder
        }
        let target = readLink(fsPath).map(ModelPath.shown) ?? "?"
        guard let resolved = realPath(fsPath) else {
            let err = errno
            if err == ELOOP {
                findings.append(Finding(.symlinkCycle, path: relPath, message: "symlink cycle (to \(target))"))
            } else {
                findings.append(Finding(.danglingSymlink, path: relPath,
                    message: "dangling symlink: its target \(target) does not exist"))
            }
            return
        }
        guard resolved == containment || resolved.hasPrefix(containment + "/") else {
            findings.append(Finding(.symlinkEscapes, path: relPath,
                message: "symlink leaves the model root (to \(target))", actual: resolved))
            return
        }
        var st = stat()
        guard stat(resolved, &st) == 0 else {
            findings.append(Finding(.danglingSymlink, path: relPath, message: "dangling symlink (to \(target))"))
            return
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            files.append(WalkedFile(path: relPath, fsPath: resolved, size: UInt64(st.st_size), viaSymlink: true,
                                    identity: FileIdentity(st)))
        case S_IFDIR:
            let id = DirID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
            guard visitedDirectories.insert(id).inserted else {
                findings.append(Finding(.symlinkCycle, path: relPath, message: "symlink to a folder already walked (to \(target)): cycle or repeat"))
                return
            }
            walk(fsDir: resolved, relDir: relPath, depth: depth + 1)
        default:
            findings.append(Finding(.notRegularFile, path: relPath, message: "symlink to a \(kindName(st.st_mode)), not a regular file"))
        }
    }
}

func kindName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "fifo"
    case S_IFSOCK: return "socket"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    case S_IFDIR: return "folder"
    case S_IFLNK: return "symlink"
    default: return "special file"
    }
}

func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4097)
    let n = readlink(path, &buffer, 4096)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
