import Foundation
import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#endif

extension WeightSealCommand.Sign {
    /// Hashes the folder (or single file) for an OMS v1.0 Statement: whole files, or shards with `--shard-size`.
    func omsStatement(builder: ManifestBuilder, progress: ProgressLine) async throws -> ([UInt8], Int, UInt64, [Finding]) {
        let shard = shardSize?.bytes
        var st = stat()
        let isFile = stat(directory, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        let files: [WalkedFile]
        var warnings = [Finding]()
        if isFile {
            files = [WalkedFile(path: ".", fsPath: directory, size: UInt64(st.st_size), viaSymlink: false)]
        } else {
            (files, warnings) = try builder.listFiles(root: directory)
        }
        let requests = files.map { HashRequest(path: $0.fsPath, size: $0.size, wholeFile: shard == nil, chunkSize: shard) }
        let results = await ChunkedHasher(jobs: builder.jobs).hash(requests, progress: progress.handler)
        var hashed = [OMSFormat.HashedFile]()
        for (f, r) in zip(files, results) {
            if let error = r.error { throw WeightSealError(.io, "cannot hash \(ModelPath.quoted(f.path)): \(error.message)") }
            hashed.append(OMSFormat.HashedFile(path: f.path, size: f.size, sha256: r.sha256, shards: r.chunks))
        }
        // OMS verifiers apply their own defaults (.git, .gitignore, .gitattributes, .github): record the rest.
        let omsDefaults: Set<String> = [".git", ".gitignore", ".gitattributes", ".github"]
        let recorded = isFile ? [] : builder.ignorePaths.filter { !omsDefaults.contains($0) }
        let name = builder.model?.name ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        let statement = try OMSFormat.statement(files: hashed, shardSize: shard, modelName: name, ignorePaths: recorded,
                                                allowSymlinks: builder.symlinks == .withinRoot)
        return (statement, files.count, files.reduce(0) { $0 + $1.size }, warnings)
    }
}
