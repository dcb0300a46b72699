import ArgumentParser
import Foundation
import WeightSeal

extension WeightSealCommand {
    /// `weightseal hash DIR`: the unsigned manifest of a model folder.
    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash a model folder into an unsigned manifest.",
            discussion: "Prints the manifest JSON (docs/formats/manifest-v1.md) on stdout, or writes it atomically to -o FILE.")

        @Argument(help: "The model folder.", completion: .directory)
        var directory: String

        @Option(name: .shortAndLong, help: "Write the manifest to this file instead of stdout.", completion: .file())
        var output: String?

        @Option(help: "Chunk size: files larger than this list a digest per chunk (e.g. 64MiB, 1GiB, 65536).")
        var chunkSize: ByteSize = ByteSize(argument: "64MiB")!

        @Option(help: "Digest of files and chunks: sha256 (sha256sum, Hugging Face LFS oids) or blake3 (b3sum; faster).")
        var hashAlgorithm: HashAlgorithmArgument = .sha256

        @Option(name: .customLong("ignore"), help: "A relative path to leave out (exact path; a folder covers all below it). Repeatable.")
        var ignore: [String] = []

        @Flag(help: "Follow symlinks whose target stays inside the folder (recorded as \"within-root\").")
        var allowSymlinks = false

        @Option(help: "Output format: weightseal (manifest JSON), sums (lines of sha256sum or b3sum, after --hash-algorithm; their --check reads them), or sha256sums (sums with SHA-256).")
        var format: HashFormat = .weightseal

        @Flag(help: "With -o: print a JSON summary on stdout instead of a line of text.")
        var json = false

        @OptionGroup var hashing: HashingOptions

        enum HashFormat: String, ExpressibleByArgument, CaseIterable {
            case weightseal, sums, sha256sums
        }

        func validate() throws {
            try validateChunkSize(chunkSize, option: "--chunk-size")
            if format == .sha256sums && hashAlgorithm != .sha256 {
                throw ValidationError("--format sha256sums writes SHA-256; for \(hashAlgorithm.rawValue) lines use --format sums")
            }
        }

        func run() async throws {
            if let output {
                try checkOutput(output, model: directory, inputs: [], allowing: { name in
                    let n = name.lowercased()
                    return n.hasSuffix(".sig") || n.contains("sha256sum") || n.hasSuffix(".sha256") || n.contains("manifest")
                        || n.contains("b3sum") || n.hasSuffix(".b3")
                })
            }
            // Reserved before hashing, as `sign` does: an unwritable folder fails first; an interrupt removes it.
            let pending = try output.map { path throws(WeightSealError) in try AtomicFile.Pending(path: path) }
            var builder = ManifestBuilder()
            builder.chunkSize = chunkSize.bytes
            builder.hashAlgorithm = hashAlgorithm.algorithm
            builder.extraIgnorePaths = ignore + RepeatedOptions.values("--ignore")
            builder.symlinks = allowSymlinks ? .withinRoot : .reject
            builder.jobs = hashing.jobs
            if let output, let rel = relativePath(of: output, inside: directory) { builder.extraIgnorePaths.append(rel) }
            let progress = ProgressLine()
            let (manifest, warnings) = try await builder.build(root: directory, progress: progress.handler)
            progress.finish()
            for w in warnings {
                printError("weightseal: \(w.severity == .note ? "note" : "warning"): \(w.path.map { ModelPath.quoted($0) + ": " } ?? "")\(w.message)")
            }
            let text: [UInt8]
            switch format {
            case .weightseal:
                text = try manifest.prettyJSON() + [10]
            case .sums, .sha256sums:
                text = Array(ChecksumFile.render(digests: manifest.files.map { ($0.path, [UInt8](hexString: $0.digest) ?? []) }).utf8)
            }
            guard let output, let pending else {
                writeOut(text)
                return
            }
            try pending.commit(text)
            let bytes = manifest.files.reduce(UInt64(0)) { $0 + $1.size }
            if json {
                printOut(jsonText(HashSummary(output: output, files: manifest.files.count, bytes: bytes, root: manifest.root)))
            } else {
                printOut("wrote \(output): \(count(manifest.files.count, "file")), \(formatBytes(bytes)), root \(manifest.root)")
            }
        }
    }
}

struct HashSummary: Codable {
    var output: String
    var files: Int
    var bytes: UInt64
    var root: String
}

/// `path` relative to `directory` when it lies inside it, `/`-separated.
func relativePath(of path: String, inside directory: String) -> String? {
    ModelPath.relative(of: path, inside: directory)
}
