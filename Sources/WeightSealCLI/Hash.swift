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

        @Option(help: "Chunk size: files larger than this list a SHA-256 per chunk (e.g. 64MiB, 1GiB, 65536).")
        var chunkSize: ByteSize = ByteSize(argument: "64MiB")!

        @Option(name: .customLong("ignore"), help: "A relative path to leave out (exact path; a folder covers all below it). Repeatable.")
        var ignore: [String] = []

        @Flag(help: "Follow symlinks whose target stays inside the folder (recorded as \"within-root\").")
        var allowSymlinks = false

        @Option(help: "Output format: weightseal (manifest JSON) or sha256sums (GNU sha256sum lines).")
        var format: HashFormat = .weightseal

        @Flag(help: "With -o: print a JSON summary on stdout instead of a line of text.")
        var json = false

        @OptionGroup var hashing: HashingOptions

        enum HashFormat: String, ExpressibleByArgument, CaseIterable {
            case weightseal, sha256sums
        }

        func validate() throws {
            try validateChunkSize(chunkSize, option: "--chunk-size")
        }

        func run() async throws {
            if let output {
                try checkOutput(output, model: directory, inputs: [], allowing: { name in
                    let n = name.lowercased()
                    return n.hasSuffix(".sig") || n.contains("sha256sum") || n.hasSuffix(".sha256") || n.contains("manifest")
                })
            }
            var builder = ManifestBuilder()
            builder.chunkSize = chunkSize.bytes
            builder.extraIgnorePaths = ignore
            builder.symlinks = allowSymlinks ? .withinRoot : .reject
            builder.jobs = hashing.jobs
            if let output, let rel = relativePath(of: output, inside: directory) { builder.extraIgnorePaths.append(rel) }
            let progress = ProgressLine()
            let (manifest, warnings) = try await builder.build(root: directory, progress: progress.handler)
            progress.finish()
            for w in warnings { printError("weightseal: warning: \(w.message)") }
            let text: [UInt8]
            switch format {
            case .weightseal:
                text = try manifest.prettyJSON() + [10]
            case .sha256sums:
                text = Array(ChecksumFile.render(entries: manifest.files.map {
                    ChecksumEntry(path: $0.path, sha256: [UInt8](hexString: $0.sha256) ?? [])
                }).utf8)
            }
            guard let output else {
                writeOut(text)
                return
            }
            try AtomicFile.write(text, to: output)
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
