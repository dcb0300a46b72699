import CWeightSealBLAKE3
import Crypto
import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// The engine with BLAKE3: streams, pieces (one big file on all workers) and ranges, against the in-memory hasher
/// (itself checked by the official vectors) and `dd | b3sum`.
@Suite struct ChunkedHasherBLAKE3Tests {
    typealias T = ChunkedHasherTests

    /// Small pieces so that small files take every path: pieces of 8 KiB, chunk-pieces from 4 KiB.
    static let hashers: [ChunkedHasher] = [
        ChunkedHasher(jobs: 1, bufferSize: 4096, ringSlots: 2, pieceSizes: .init(piece: 8192, minChunkPiece: 4096)),
        ChunkedHasher(jobs: 2, bufferSize: 4096, ringSlots: 2, pieceSizes: .init(piece: 8192, minChunkPiece: 4096)),
        ChunkedHasher(jobs: 3, bufferSize: 6144, ringSlots: 4, pieceSizes: .init(piece: 16384, minChunkPiece: 1 << 20)),
        ChunkedHasher(jobs: 2),
        // The same small pieces read by `pread` only (warm test files would otherwise all go through the mapping).
        ChunkedHasher(jobs: 2, bufferSize: 4096, ringSlots: 2, pieceSizes: .init(piece: 8192, minChunkPiece: 4096), mapsResident: false),
        ChunkedHasher(jobs: 2, bufferSize: 2 << 20, ringSlots: 4, pieceSizes: .init(), mapsResident: false),
    ]

    static func chunks(_ data: [UInt8], _ size: Int) -> [String] {
        stride(from: 0, to: data.count, by: size).map { BLAKE3.hash(Array(data[$0..<min($0 + size, data.count)])).hexString }
    }

    /// Chunk sizes: a power of two of BLAKE3 chunks (the pieces are the chunks) and one that is not.
    @Test("Whole file and chunks", arguments: [8192, 10000])
    func wholeAndChunks(chunk: Int) throws {
        let dir = try T.TempDir()
        for size in [0, 1, 777, chunk, chunk + 1, 3 * chunk + 1234, 4 * chunk, 20 * chunk + 17] {
            let data = T.bytes(size, seed: UInt64(size) &+ 5)
            let path = try dir.write("f\(size)", data)
            let whole = BLAKE3.hash(data).hexString
            let expectedChunks = size > chunk ? Self.chunks(data, chunk) : (size == 0 ? [] : [whole])
            for hasher in Self.hashers {
                let what = "size \(size) chunk \(chunk) jobs \(hasher.jobs) buffer \(hasher.bufferSize)"
                let r = hasher.hash([HashRequest(path: path, size: UInt64(size), algorithm: .blake3, chunkSize: UInt64(chunk),
                                                 gitBlobSHA1: size % 2 == 1)])[0]
                #expect(r.error == nil, "\(what)")
                #expect(r.blake3?.hexString == whole, "\(what)")
                #expect(r.sha256 == nil)
                #expect(r.chunks.map(\.hexString) == expectedChunks, "\(what)")
                if size % 2 == 1 {
                    var sha1 = Insecure.SHA1()
                    sha1.update(data: Array("blob \(size)\0".utf8) + data)
                    #expect(r.gitBlobSHA1 == Array(sha1.finalize()), "\(what)")
                }
                let alone = hasher.hash([HashRequest(path: path, size: UInt64(size), algorithm: .blake3)])[0]
                #expect(alone.blake3?.hexString == whole, "\(what) whole only")
                let c = hasher.hash([HashRequest(path: path, size: UInt64(size), algorithm: .blake3, wholeFile: false,
                                                 chunkSize: UInt64(chunk))])[0]
                #expect(c.blake3 == nil)
                if size > chunk { #expect(c.chunks.map(\.hexString) == expectedChunks, "\(what) chunks only") }
            }
        }
    }

    @Test("Ranges, and many files at once")
    func rangesAndManyFiles() throws {
        let dir = try T.TempDir()
        var requests: [HashRequest] = []
        var contents: [[UInt8]] = []
        for (i, size) in [0, 5000, 40_000, 100_001, 3].enumerated() {
            let data = T.bytes(size, seed: UInt64(i) + 40)
            contents.append(data)
            requests.append(HashRequest(path: try dir.write("m\(i)", data), size: UInt64(size), algorithm: .blake3,
                                        chunkSize: 8192))
        }
        let data = contents[3]
        requests.append(HashRequest(path: requests[3].path, size: UInt64(data.count), algorithm: .blake3, wholeFile: false,
                                    ranges: [0..<8192, 8192..<50_000, 99_999..<100_001, 5..<5]))
        for hasher in Self.hashers {
            let results = hasher.hash(requests)
            for (i, data) in contents.enumerated() {
                #expect(results[i].blake3 == BLAKE3.hash(data))
            }
            #expect(results[5].ranges == [BLAKE3.hash(Array(data[0..<8192])), BLAKE3.hash(Array(data[8192..<50_000])),
                                          BLAKE3.hash(Array(data[99_999..<100_001])), BLAKE3.hash([])])
        }
    }

    @Test("Guarded mapping: pages past a file's end raise SIGBUS inside the guard, reported as a change and never fatal")
    func guardedMapping() throws {
        let dir = try T.TempDir()
        let data = T.bytes(5000, seed: 3)
        let path = try dir.write("short", data)
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        var none: BLAKE3? = nil
        for _ in 0..<3 {
            // 1 MiB from a 5000-byte file: the pages past its end have no backing, as after a truncation.
            var h: BLAKE3? = BLAKE3()
            #expect(BLAKE3.updateMapped(fd: fd, offset: 0, length: 1 << 20, residentOnly: false, first: &h, second: &none, step: 4096) == .changed)
            // Required to be resident, they are not: nothing is hashed, the caller reads instead.
            #expect(BLAKE3.updateMapped(fd: fd, offset: 0, length: 1 << 20, residentOnly: true, first: &h, second: &none, step: 4096) == .unavailable(hashed: 0))
        }
        // After faults, the guard still serves: whole file, and a range that starts inside a page into two hashers.
        var whole: BLAKE3? = BLAKE3()
        #expect(BLAKE3.updateMapped(fd: fd, offset: 0, length: 5000, residentOnly: true, first: &whole, second: &none, step: 1000) == .done)
        #expect(whole?.finalize() == BLAKE3.hash(data))
        var a: BLAKE3? = BLAKE3(), b: BLAKE3? = BLAKE3()
        #expect(BLAKE3.updateMapped(fd: fd, offset: 100, length: 4000, residentOnly: false, first: &a, second: &b, step: 999) == .done)
        #expect(a?.finalize() == BLAKE3.hash(Array(data[100..<4100])))
        #expect(b?.finalize() == BLAKE3.hash(Array(data[100..<4100])))
        // Past the end but inside the last page, a mapping reads zeros without a fault: found by the size, not hashed.
        var zeros: BLAKE3? = BLAKE3()
        #expect(BLAKE3.updateMapped(fd: fd, offset: 0, length: 5100, residentOnly: false, first: &zeros, second: &none, step: 0) == .changed)
        // The engine reads a range its file no longer covers (and reports it) instead of mapping it.
        let shrinking = try dir.write("shrinking", data)
        let run = HashRun(requests: [HashRequest(path: shrinking, size: 5000, algorithm: .blake3, wholeFile: false, ranges: [0..<5000])],
                          bufferSize: 4096, ringSlots: 2, eager: true, mapsResident: true)
        var dirs = DirectoryCache()
        #expect(run.units[0].file?.descriptor(&dirs) != nil)
        #expect(truncate(shrinking, 4990) == 0)
        run.run(threads: 1)
        let shrunk = run.takeResults()[0]
        #expect(shrunk.error == WeightSealError(.fileChanged, ""))
        #expect(shrunk.error?.message.contains("it has 4990 bytes now") == true, "\(String(describing: shrunk.error))")

        // A window past the end is not resident: the whole windows before it are hashed and counted.
        let window = Int(WS_B3_MAP_WINDOW)
        let longData = T.bytes(window + 3000, seed: 8)
        let longPath = try dir.write("long", longData)
        let longFD = open(longPath, O_RDONLY)
        defer { close(longFD) }
        var part: BLAKE3? = BLAKE3()
        #expect(BLAKE3.updateMapped(fd: longFD, offset: 0, length: 2 * window, residentOnly: true, first: &part, second: &none,
                                    step: 1 << 19) == .unavailable(hashed: window))
        #expect(part?.finalize() == BLAKE3.hash(Array(longData[0..<window])))
        // The engine reads the rest of such a range and carries on in the same digest. (The tail is evicted when the
        // file system lets it; either way the digest is that of the bytes.)
        #expect(fsync(longFD) == 0)
        _ = posix_fadvise(longFD, off_t(window), 0, POSIX_FADV_DONTNEED)
        for hasher in [ChunkedHasher(jobs: 2), ChunkedHasher(jobs: 1, bufferSize: 4096, ringSlots: 2, pieceSizes: .init())] {
            let r = hasher.hash([HashRequest(path: longPath, size: UInt64(longData.count), algorithm: .blake3, wholeFile: false,
                                             ranges: [0..<UInt64(longData.count), 100..<UInt64(window + 10)])])[0]
            #expect(r.error == nil)
            #expect(r.ranges == [BLAKE3.hash(longData), BLAKE3.hash(Array(longData[100..<(window + 10)]))])
        }

        // The same fault on another thread.
        let other = Thread {
            var h: BLAKE3? = BLAKE3(), none: BLAKE3? = nil
            let outcome = BLAKE3.updateMapped(fd: fd, offset: 4096, length: 1 << 20, residentOnly: false, first: &h, second: &none, step: 0)
            #expect(outcome == .changed)
        }
        other.start()
        while !other.isFinished { usleep(1000) }
    }

    @Test("A file that shrinks before its pieces are read is an error, not a digest")
    func changedFile() throws {
        let dir = try T.TempDir()
        let path = try dir.write("f", T.bytes(50_000, seed: 3))
        let r = Self.hashers[1].hash([HashRequest(path: path, size: 60_000, algorithm: .blake3)])[0]
        #expect(r.error?.code == .fileChanged)
        #expect(r.blake3 == nil)
    }

    @Test("Pieces and chunks equal b3sum and dd | b3sum",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/b3sum"), "b3sum absent: apt-get install b3sum"))
    func againstB3sum() throws {
        let dir = try T.TempDir()
        let size = 3 << 20 + 12345
        let chunk = 1 << 20
        let path = try dir.write("big", T.bytes(size, seed: 77))
        let whole = String(try T.shell("/usr/bin/b3sum --no-names '\(path)'").prefix(64))
        let dd = try (0..<4).map { i in
            String(try T.shell("dd if='\(path)' bs=\(chunk) skip=\(i) count=1 status=none | /usr/bin/b3sum --no-names").prefix(64))
        }
        let hasher = ChunkedHasher(jobs: 2, bufferSize: 256 << 10, ringSlots: 2, pieceSizes: .init(piece: 1 << 20, minChunkPiece: 1 << 20))
        let r = hasher.hash([HashRequest(path: path, size: UInt64(size), algorithm: .blake3, chunkSize: UInt64(chunk))])[0]
        #expect(r.blake3?.hexString == whole)
        #expect(r.chunks.map(\.hexString) == dd)
        let odd = hasher.hash([HashRequest(path: path, size: UInt64(size), algorithm: .blake3, chunkSize: 1_000_000)])[0]
        #expect(odd.blake3?.hexString == whole)
        #expect(odd.chunks.count == 4)
    }
}
