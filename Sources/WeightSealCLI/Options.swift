import ArgumentParser
import Foundation
import WeightSeal

/// A size in bytes written as `65536`, `64KiB`, `64MiB`, `1GiB` (binary) or `64KB`, `64MB` (decimal).
struct ByteSize: ExpressibleByArgument, Sendable {
    var bytes: UInt64

    init?(argument: String) {
        let units: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
                                         ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, factor) in units where argument.hasSuffix(suffix) {
            guard let n = UInt64(argument.dropLast(suffix.count)) else { return nil }
            let (v, overflow) = n.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            bytes = v
            return
        }
        guard let n = UInt64(argument) else { return nil }
        bytes = n
    }

    static var defaultCompletionKind: CompletionKind { .default }

    var defaultValueDescription: String {
        for (suffix, factor) in [("GiB", UInt64(1) << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor)\(suffix)"
        }
        return "\(bytes)"
    }
}

/// Options shared by commands that hash.
struct HashingOptions: ParsableArguments {
    @Option(help: "Worker threads for hashing (default: one per active core; verify: two per core, so cold reads overlap the hashing).")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be between 1 and 1024") }
    }
}

/// A chunk or shard size out of the engine's range is a usage error (64), like any other bad option value.
func validateChunkSize(_ size: ByteSize, option: String) throws {
    guard size.bytes >= UInt64(Limits.minChunkSize), size.bytes <= UInt64(Limits.maxChunkSize) else {
        throw ValidationError("\(option) must be between \(Limits.minChunkSize) bytes and \(Limits.maxChunkSize >> 30) GiB")
    }
}

/// `--hash-algorithm`: the algorithm of a manifest's file and chunk digests.
enum HashAlgorithmArgument: String, ExpressibleByArgument, CaseIterable {
    case sha256, blake3

    var algorithm: HashAlgorithm {
        switch self {
        case .sha256: .sha256
        case .blake3: .blake3
        }
    }
}
