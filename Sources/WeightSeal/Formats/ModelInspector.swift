#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Inspects a model, whole flow, as the `inspect` command does (DESIGN §7): formats, placeholders, pickle imports,
/// set and index checks, and the license declarations as `sign` would read them — over the same file set that `sign`
/// covers (the project's one folder walker, the default ignore set and the signature file left out).
///
/// Reads headers only: never loads tensors, never unpickles. Never writes.
public struct ModelInspector: Sendable {
    /// What one inspection found.
    public struct Inspection: Sendable {
        /// The report (`manifests/schemas/inspect-report-v1.schema.json`).
        public var report: InspectionReport
        /// Symlinks left out (a folder's links are not followed, except a Hugging Face cache snapshot's links into
        /// its blobs); pass a link itself to inspect its target.
        public var skippedSymlinks: Int
    }

    public init() {}

    /// Inspects `path`: a file (or a link to one), a folder, or a Hugging Face cache snapshot.
    /// - Throws: ``WeightSealError/Code/io`` when `path` cannot be read, ``WeightSealError/Code/invalidPath`` when it is
    ///   neither a regular file nor a folder, ``WeightSealError/Code/emptyModel`` for a folder without a regular file.
    public func inspect(path: String) throws(WeightSealError) -> Inspection {
        let (root, files, skipped) = try Self.collect(path)
        let paths = files.map(\.path)
        let formats = FormatInspector.inspect(root: root, paths: paths)
        // License declarations, as `sign` would read them: disagreements and incomplete ones are findings.
        let scan = LicenseScanner.scan(files: files)
        let licenseFindings = LicenseCheck.check(signed: nil, scan: scan, signedPaths: Set(paths), policy: nil)
        let expression = (try? LicenseResolver.resolve(scan: scan, publisherChoice: nil))?.expression
        let report = InspectionReport(
            files: formats.files, setFindings: formats.setFindings + licenseFindings,
            license: scan.declarations.isEmpty && scan.files.isEmpty ? nil
                : .init(expression: expression, declarations: scan.declarations, files: scan.files))
        return Inspection(report: report, skippedSymlinks: skipped)
    }

    /// The files to inspect: the one file, or the folder's files as `sign` lists them.
    static func collect(_ path: String) throws(WeightSealError) -> (root: String, files: [WalkedFile], skippedSymlinks: Int) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw WeightSealError(.io, "cannot inspect \(ModelPath.quoted(path)): \(String(cString: strerror(errno)))")
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFREG || kind == S_IFLNK {
            var target = stat()
            guard stat(path, &target) == 0, (target.st_mode & S_IFMT) == S_IFREG || kind == S_IFREG else {
                throw WeightSealError(.invalidPath, "\(ModelPath.quoted(path)) is not a regular file or folder")
            }
            if (target.st_mode & S_IFMT) == S_IFDIR { return try collectFolder(path) }
            let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
            var root = ".", name = trimmed
            if let slash = trimmed.lastIndex(of: "/") {
                root = String(trimmed[..<slash])
                if root.isEmpty { root = "/" }
                name = String(trimmed[trimmed.index(after: slash)...])
            }
            return (root, [WalkedFile(path: name, fsPath: path, size: UInt64(target.st_size), viaSymlink: kind == S_IFLNK)], 0)
        }
        guard kind == S_IFDIR else { throw WeightSealError(.invalidPath, "\(ModelPath.quoted(path)) is not a regular file or folder") }
        return try collectFolder(path)
    }

    private static func collectFolder(_ path: String) throws(WeightSealError) -> (root: String, files: [WalkedFile], skippedSymlinks: Int) {
        let listing: FolderListing
        if let snapshot = HFCacheSnapshot.detect(path: path) {
            listing = try snapshot.listing()
        } else {
            let ignore = ManifestBuilder.defaultIgnorePaths + [ManifestBuilder.defaultSignatureFile]
            listing = try ModelFolder.list(root: path, options: .init(ignorePaths: ignore, symlinks: .reject))
        }
        let skipped = listing.findings.filter { $0.kind == .symlinkRejected }.count
        if listing.files.isEmpty {
            let links = skipped > 0 ? " (\(skipped) symlinks skipped: pass a link itself to inspect its target)" : ""
            throw WeightSealError(.emptyModel, "no regular file under \(ModelPath.quoted(path))\(links)")
        }
        return (path, listing.files, skipped)
    }
}
