import Foundation
import Testing
import WeightSeal
@testable import WeightSealMirror

/// `full` mode over loopback against local hashing of the same data. Off unless `WEIGHTSEAL_MIRROR_BENCH` is set
/// (its value is the file size in MiB, default 1024); no timing assertions, it prints the figures:
///
///     WEIGHTSEAL_MIRROR_BENCH=1024 swift test -c release --filter MirrorBenchmark
@Suite("Mirror benchmark", .enabled(if: ProcessInfo.processInfo.environment["WEIGHTSEAL_MIRROR_BENCH"] != nil))
struct MirrorBenchmark {
    @Test func fullOverLoopbackVersusLocal() async throws {
        let mib = Int(ProcessInfo.processInfo.environment["WEIGHTSEAL_MIRROR_BENCH"] ?? "") ?? 1024
        let size = UInt64(mib) << 20
        let chunk: UInt64 = 64 << 20
        let dir = try TempDir()
        defer { dir.remove() }
        // Write the file in 64 MiB pieces of pseudo-random bytes.
        let path = dir.path + "/mirror/model.safetensors"
        try FileManager.default.createDirectory(atPath: dir.path + "/mirror", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var piece = testBytes(Int(min(chunk, size)), seed: 99)
        var written: UInt64 = 0
        while written < size {
            let n = Int(min(UInt64(piece.count), size - written))
            try handle.write(contentsOf: piece[0..<n])
            piece[0] &+= 1
            written += UInt64(n)
        }
        try handle.close()

        let hasher = ChunkedHasher()
        let request = HashRequest(path: path, size: size, wholeFile: false, chunkSize: chunk)
        _ = await hasher.hash([request])  // warm the page cache (DESIGN §8)
        let clock = ContinuousClock()
        var start = clock.now
        let local = await hasher.hash([request])[0]
        let localSeconds = (clock.now - start).seconds
        var ranges: [ExpectedRange] = []
        for (i, d) in local.chunks.enumerated() {
            let s = UInt64(i) * chunk
            ranges.append(ExpectedRange(start: s, end: min(s + chunk, size), sha256: d))
        }
        let reference = Reference(kind: .weightsealManifest, isSigned: true,
                                  files: [ExpectedFile(path: "model.safetensors", size: size, check: .ranges(ranges, whole: nil))],
                                  ignorePaths: [], symlinks: .reject, label: "bench")
        let nginx = try NginxServer(root: dir.path + "/mirror")
        defer { nginx.stop() }
        var lines = ["file \(mib) MiB, chunks 64 MiB, \(ProcessInfo.processInfo.activeProcessorCount) cores",
                     String(format: "local ChunkedHasher (jobs %d): %.2f GB/s", hasher.jobs, Double(size) / localSeconds / 1e9)]
        for (concurrency, segment) in [(1, nil), (2, UInt64(256) << 20), (4, UInt64(128) << 20)] as [(Int, UInt64?)] {
            let auditor = try MirrorAuditor(options: MirrorAuditOptions(mode: .full, concurrency: concurrency, segmentBytes: segment))
            _ = await hasher.hash([request])
            start = clock.now
            let report = try await auditor.audit(reference: reference, mirrors: [nginx.baseURL])
            let seconds = (clock.now - start).seconds
            #expect(report.ok)
            let rate = Double(size) / seconds / 1e9
            lines.append(String(format: "audit --mode full over nginx, concurrency %d, segments %@: %.2f GB/s (%.0f%% of local)",
                                concurrency, segment.map { "\($0 >> 20) MiB" } ?? "none", rate, 100 * rate / (Double(size) / localSeconds / 1e9)))
        }
        print(lines.joined(separator: "\n"))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
