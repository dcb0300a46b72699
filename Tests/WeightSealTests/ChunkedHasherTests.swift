import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

/// The hashing engine against published SHA-256 answers and `dd | sha256sum` run on the same files.
@Suite struct ChunkedHasherTests {
    /// A fresh temporary folder per test.
    final class TempDir {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("weightseal-hasher-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = url.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    /// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var x = seed | 1
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            out[i] = UInt8(truncatingIfNeeded: x)
        }
        return out
    }

    /// Runs a shell command line and returns its stdout.
    static func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `sha256sum`'s hex digest of a command's output.
    static func sha256sum(of command: String) throws -> String {
        String(try shell("\(command) | /usr/bin/sha256sum").prefix(64))
    }

    /// The chunk digests of `path` computed by `dd bs=CHUNK skip=i count=1 | sha256sum`.
    static func ddChunks(_ path: String, size: Int, chunk: Int) throws -> [String] {
        let count = (size + chunk - 1) / chunk
        return try (0..<count).map { i in
            try sha256sum(of: "dd if='\(path)' bs=\(chunk) skip=\(i) count=1 status=none")
        }
    }

    /// Engine configurations: one worker; two workers (a shared stream gets a helper); tiny buffers and ring.
    static let hashers: [ChunkedHasher] = [
        ChunkedHasher(jobs: 1, bufferSize: 4096, ringSlots: 2),
        ChunkedHasher(jobs: 2, bufferSize: 4096, ringSlots: 2),
        ChunkedHasher(jobs: 2, bufferSize: 6144, ringSlots: 4),
        ChunkedHasher(jobs: 3, bufferSize: 1 << 20),
    ]

    // MARK: - Known answers

    /// FIPS 180-2 appendix B / NIST CSRC examples for SHA-256.
    @Test(arguments: [
        ("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("a", 1_000_000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func nistSHA256(message: String, repeats: Int, expected: String) throws {
        let dir = try TempDir()
        let data = Array(String(repeating: message, count: repeats).utf8)
        let path = try dir.write("m", data)
        for hasher in Self.hashers {
            let whole = hasher.hash([HashRequest(path: path, size: UInt64(data.count))])[0]
            #expect(whole.error == nil)
            #expect(whole.sha256?.hexString == expected)
            // Same digest when chunk digests are fed from the same reads (a shared stream for the long message).
            let both = hasher.hash([HashRequest(path: path, size: UInt64(data.count), chunkSize: 65536)])[0]
            #expect(both.sha256?.hexString == expected)
            let range = hasher.hash([HashRequest(path: path, size: UInt64(data.count), wholeFile: false,
                                                 ranges: [0..<UInt64(data.count)])])[0]
            #expect(range.ranges.map(\.hexString) == [expected])
            #expect(range.sha256 == nil)
        }
    }

    // MARK: - Chunks against dd | sha256sum

    /// Sizes around the chunk size (10000 bytes), which is not a multiple of any buffer size used.
    @Test(arguments: [
        ("odd", 3 * 10000 + 1234),
        ("exact multiple", 4 * 10000),
        ("one chunk exactly", 10000),
        ("smaller than a chunk", 777),
        ("empty", 0),
        ("one byte", 1),
    ])
    func chunkDigestsEqualDDAndSha256sum(name: String, size: Int) throws {
        let dir = try TempDir()
        let chunk = 10000
        let path = try dir.write("f.bin", Self.bytes(size, seed: UInt64(size) &+ 99))
        let expectedChunks = try Self.ddChunks(path, size: size, chunk: chunk)
        let expectedWhole = try Self.sha256sum(of: "cat '\(path)'")
        #expect(expectedChunks.count == (size + chunk - 1) / chunk)
        for hasher in Self.hashers {
            let r = hasher.hash([HashRequest(path: path, size: UInt64(size), chunkSize: UInt64(chunk))])[0]
            #expect(r.error == nil, "\(name)")
            #expect(r.sha256?.hexString == expectedWhole, "\(name) jobs \(hasher.jobs) buffer \(hasher.bufferSize)")
            #expect(r.chunks.map(\.hexString) == expectedChunks, "\(name) jobs \(hasher.jobs) buffer \(hasher.bufferSize)")
            // Chunks alone (no whole-file digest).
            let c = hasher.hash([HashRequest(path: path, size: UInt64(size), wholeFile: false, chunkSize: UInt64(chunk))])[0]
            #expect(c.sha256 == nil)
            #expect(c.chunks.map(\.hexString) == expectedChunks, "\(name) chunks only")
        }
    }

    /// Many files of mixed sizes in one run, all three digests, against an in-memory reference; repeated to shake
    /// out races between owners and helpers.
    @Test func manyFilesAllDigests() throws {
        let dir = try TempDir()
        let chunk = 8192
        var requests: [HashRequest] = []
        var contents: [[UInt8]] = []
        for (i, size) in [0, 1, 4095, 4096, 8192, 8193, 50_000, 123_457, 300_001, 17].enumerated() {
            let data = Self.bytes(size, seed: UInt64(i + 1))
            contents.append(data)
            requests.append(HashRequest(path: try dir.write("f\(i)", data), size: UInt64(size),
                                        chunkSize: UInt64(chunk), gitBlobSHA1: true))
        }
        for hasher in Self.hashers {
            for _ in 0..<5 {
                let results = hasher.hash(requests)
                #expect(results.count == requests.count)
                for (data, r) in zip(contents, results) {
                    #expect(r.error == nil)
                    #expect(r.sha256 == Array(SHA256.hash(data: data)))
                    let expectedChunks = stride(from: 0, to: data.count, by: chunk).map {
                        Array(SHA256.hash(data: data[$0..<min(data.count, $0 + chunk)]))
                    }
                    #expect(r.chunks == expectedChunks)
                    var sha1 = Insecure.SHA1()
                    sha1.update(data: Array("blob \(data.count)\0".utf8))
                    sha1.update(data: data)
                    #expect(r.gitBlobSHA1 == Array(sha1.finalize()))
                }
            }
        }
    }

    // MARK: - Ranges

    @Test func rangesEqualDDAndSha256sum() throws {
        let dir = try TempDir()
        let size = 100_003
        let path = try dir.write("r.bin", Self.bytes(size, seed: 7))
        let ranges: [Range<UInt64>] = [0..<10000, 10000..<20000, 99_000..<100_003, 5..<5, 1..<99_999, 0..<100_003]
        let expected = try ranges.map { r in
            try Self.sha256sum(of: "tail -c +\(r.lowerBound + 1) '\(path)' | head -c \(r.count)")
        }
        for hasher in Self.hashers {
            let r = hasher.hash([HashRequest(path: path, size: UInt64(size), wholeFile: false, ranges: ranges)])[0]
            #expect(r.error == nil)
            #expect(r.ranges.map(\.hexString) == expected)
            #expect(r.chunks.isEmpty)
            // Ranges and a whole-file digest in one request.
            let both = hasher.hash([HashRequest(path: path, size: UInt64(size), ranges: ranges)])[0]
            #expect(both.sha256?.hexString == expected.last)
            #expect(both.ranges.map(\.hexString) == expected)
        }
    }

    @Test func rangePastSizeIsAnError() throws {
        let dir = try TempDir()
        let path = try dir.write("r.bin", Self.bytes(1000, seed: 3))
        let r = ChunkedHasher(jobs: 2).hash([HashRequest(path: path, size: 1000, wholeFile: false, ranges: [0..<10, 990..<1001])])[0]
        #expect(r.error == WeightSealError(.invalidArgument, ""))
        #expect(r.ranges.isEmpty)
    }

    // MARK: - git blob SHA-1

    @Test func gitBlobSHA1OfSmallJSON() throws {
        let dir = try TempDir()
        let data = Array("{\"a\":1}\n".utf8)
        let path = try dir.write("config.json", data)
        for hasher in Self.hashers {
            let r = hasher.hash([HashRequest(path: path, size: UInt64(data.count), wholeFile: false, gitBlobSHA1: true)])[0]
            #expect(r.gitBlobSHA1?.hexString == "0187f3b09d66cef7911083ad49f890f5a6589589")
            #expect(r.sha256 == nil)
        }
        // Empty blob: `git hash-object /dev/null`.
        let empty = try dir.write("empty", [])
        let r = ChunkedHasher().hash([HashRequest(path: empty, size: 0, gitBlobSHA1: true)])[0]
        #expect(r.gitBlobSHA1?.hexString == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
    }

    // MARK: - Hostile files

    @Test func fifoIsAnErrorWithoutBlocking() throws {
        let dir = try TempDir()
        let path = dir.url.appendingPathComponent("fifo").path
        #expect(mkfifo(path, 0o644) == 0)
        let start = Date()
        let results = ChunkedHasher(jobs: 2).hash([
            HashRequest(path: path, size: 10),
            HashRequest(path: path, size: 10, wholeFile: false, ranges: [0..<5]),
        ])
        #expect(Date().timeIntervalSince(start) < 5)
        for r in results {
            #expect(r.error == WeightSealError(.io, ""))
            #expect(r.error?.message.contains("not a regular file") == true)
            #expect(r.sha256 == nil)
        }
    }

    @Test func symlinkDirectoryAndMissingFileAreErrors() throws {
        let dir = try TempDir()
        let target = try dir.write("target", [1, 2, 3])
        let link = dir.url.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let results = ChunkedHasher().hash([
            HashRequest(path: link, size: 3),
            HashRequest(path: dir.url.path, size: 0),
            HashRequest(path: dir.url.appendingPathComponent("missing").path, size: 0),
            HashRequest(path: target, size: 3),
        ])
        #expect(results[0].error == WeightSealError(.invalidPath, ""))
        #expect(results[1].error == WeightSealError(.io, ""))
        #expect(results[2].error == WeightSealError(.io, ""))
        #expect(results[3].error == nil)
        #expect(results[3].sha256 == Array(SHA256.hash(data: [UInt8]([1, 2, 3]))))
    }

    @Test func fileShorterThanSizeChangedWhileHashing() throws {
        let dir = try TempDir()
        let path = try dir.write("short", Self.bytes(100, seed: 5))
        for hasher in Self.hashers {
            let r = hasher.hash([HashRequest(path: path, size: 200, chunkSize: 64),
                                 HashRequest(path: path, size: 200, wholeFile: false, ranges: [0..<50])])
            for result in r {
                #expect(result.error == WeightSealError(.fileChanged, ""))
                #expect(result.error?.message.contains("changed while hashing") == true)
                #expect(result.sha256 == nil && result.chunks.isEmpty && result.ranges.isEmpty)
            }
        }
    }

    /// The file shrinks after it was opened and checked: the short `pread` is reported, for a plain stream, a shared
    /// stream with a helper, and a range.
    @Test func fileTruncatedAfterOpenChangedWhileHashing() throws {
        let dir = try TempDir()
        let size = 100_000
        let path = try dir.write("shrinks", Self.bytes(size, seed: 11))
        for request in [HashRequest(path: path, size: UInt64(size)),
                        HashRequest(path: path, size: UInt64(size), chunkSize: 10000),
                        HashRequest(path: path, size: UInt64(size), wholeFile: false, ranges: [50_000..<100_000])] {
            try Data(Self.bytes(size, seed: 11)).write(to: URL(fileURLWithPath: path))
            let run = HashRun(requests: [request], bufferSize: 4096, ringSlots: 2, eager: true)
            var dirs = DirectoryCache()
            #expect(run.units[0].file?.descriptor(&dirs) != nil)
            #expect(truncate(path, 60_000) == 0)
            run.run(threads: 2)
            let result = run.takeResults()[0]
            #expect(result.error == WeightSealError(.fileChanged, ""))
            #expect(result.error?.message.contains("changed while hashing: it has 60000 bytes now") == true)
            #expect(result.sha256 == nil && result.chunks.isEmpty)
        }
    }

    @Test func fileLongerThanSizeIsHashedUpToSize() throws {
        let dir = try TempDir()
        let data = Self.bytes(50_000, seed: 9)
        let path = try dir.write("long", data)
        for hasher in Self.hashers {
            let r = hasher.hash([HashRequest(path: path, size: 30_000, chunkSize: 20_000)])[0]
            #expect(r.error == nil)
            #expect(r.sha256 == Array(SHA256.hash(data: data[0..<30_000])))
            #expect(r.chunks == [Array(SHA256.hash(data: data[0..<20_000])), Array(SHA256.hash(data: data[20_000..<30_000]))])
        }
    }

    // MARK: - API

    @Test func progressAndAsyncAndEmptyRuns() async throws {
        let dir = try TempDir()
        let data = Self.bytes(200_000, seed: 1)
        let path = try dir.write("p", data)
        let reports = ProgressLog()
        let hasher = ChunkedHasher(jobs: 2, bufferSize: 4096)
        let results = await hasher.hash([HashRequest(path: path, size: 200_000, chunkSize: 65536),
                                         HashRequest(path: path, size: 200_000, wholeFile: false, ranges: [0..<1000])],
                                        progress: { reports.append($0) })
        #expect(results[0].sha256 == Array(SHA256.hash(data: data)))
        #expect(results[1].ranges == [Array(SHA256.hash(data: data[0..<1000]))])
        let last = try #require(reports.values.last)
        #expect(last.bytesDone == 201_000)
        #expect(last.bytesTotal == 201_000)
        #expect(last.seconds >= 0)
        #expect(await hasher.hash([]).isEmpty)
        // Nothing requested: the file is only opened and checked.
        let nothing = await hasher.hash([HashRequest(path: path, size: 10, wholeFile: false)])[0]
        #expect(nothing.error == nil && nothing.sha256 == nil && nothing.chunks.isEmpty)
        #expect(ChunkedHasher(jobs: 2).maxBufferBytes == 16 << 20)
    }

    final class ProgressLog: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [HashProgress] = []
        func append(_ p: HashProgress) { lock.withLock { items.append(p) } }
        var values: [HashProgress] { lock.withLock { items } }
    }
}
