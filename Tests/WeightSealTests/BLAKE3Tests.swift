import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// BLAKE3 against the official vectors (`manifests/testvectors/blake3`), at every SIMD level, and against `b3sum`
/// on inputs that cross the subtree sizes the hasher batches (512 chunks).
@Suite(.serialized) struct BLAKE3Tests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            var input_len: Int
            var hash: String
            var keyed_hash: String
            var derive_key: String
        }
        var key: String
        var context_string: String
        var cases: [Case]
    }

    static let vectors: Vectors = {
        let url = OMSVectors.repoRoot.appendingPathComponent("manifests/testvectors/blake3/test_vectors.json")
        // A missing or broken file fails every test below with an empty case list.
        guard let data = try? Data(contentsOf: url), let v = try? JSONDecoder().decode(Vectors.self, from: data) else {
            return Vectors(key: "", context_string: "", cases: [])
        }
        return v
    }()

    /// The vectors' input: 0, 1, …, 250 repeating.
    static func input(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

    /// SIMD levels this CPU has (0 = portable, always).
    static var levels: [Int] {
        BLAKE3.setMaximumSIMDLevel(3)
        return Array(0...BLAKE3.simdLevel)
    }

    /// Feeds `bytes` in pieces of `step` bytes.
    static func feed(_ h: inout BLAKE3, _ bytes: [UInt8], step: Int) {
        var i = 0
        while i < bytes.count {
            let n = min(step, bytes.count - i)
            bytes[i..<(i + n)].withUnsafeBytes { h.update($0) }
            i += n
        }
    }

    @Test("Every case, every mode, full extended output, at every SIMD level and update size")
    func officialVectors() throws {
        let v = Self.vectors
        #expect(v.cases.count == 22)
        #expect(v.key == "whats the Elvish word for friend")
        defer { BLAKE3.setMaximumSIMDLevel(3) }
        for level in Self.levels {
            BLAKE3.setMaximumSIMDLevel(level)
            #expect(BLAKE3.simdLevel == level)
            for c in v.cases {
                let input = Self.input(c.input_len)
                for step in [1, 63, 64, 1023, 1024, 1025, 8192, max(1, c.input_len)] {
                    let modes: [(String, BLAKE3)] = [
                        (c.hash, BLAKE3()),
                        (c.keyed_hash, try BLAKE3(key: Array(v.key.utf8))),
                        (c.derive_key, BLAKE3(deriveKeyContext: v.context_string)),
                    ]
                    for (expected, fresh) in modes {
                        var h = fresh
                        Self.feed(&h, input, step: step)
                        let length = expected.utf8.count / 2
                        let out = h.finalize(length: length)
                        #expect(out.hexString == expected, "level \(level) length \(c.input_len) step \(step)")
                        // The default output is the first 32 bytes; any window of the extended output can be read.
                        #expect(h.finalize().hexString == String(expected.prefix(64)))
                        #expect(h.finalize(length: 40, seek: 70) == Array(out[70..<110]))
                    }
                }
            }
        }
    }

    @Test("One-shot hash, and a key of the wrong length is refused")
    func conveniences() throws {
        #expect(BLAKE3.hash([]).hexString == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
        #expect(HashAlgorithm.blake3.hash(Array("abc".utf8)).hexString
                == "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")
        let error = try #require(caughtError { _ = try BLAKE3(key: [UInt8](repeating: 1, count: 31)) })
        #expect(error.code == .invalidArgument)
    }

    /// A file hashed as subtrees of `piece` chunks, joined, equals the one-shot digest (spec §2.4's left_len rule).
    @Test("Subtrees joined equal the whole", arguments: [1, 2, 4, 16, 512, 2048])
    func subtreesJoin(pieceChunks: Int) {
        let piece = pieceChunks * BLAKE3.chunkSize
        for size in [piece + 1, 2 * piece, 3 * piece - 1, 5 * piece + 1000, 8 * piece] {
            let data = ChunkedHasherTests.bytes(size, seed: UInt64(size))
            let whole = BLAKE3.hash(data)
            var cvs: [[UInt8]] = []
            for start in stride(from: 0, to: size, by: piece) {
                var h = BLAKE3(subtreeOf: BLAKE3(), firstChunk: UInt64(start / BLAKE3.chunkSize))
                Self.feed(&h, Array(data[start..<min(start + piece, size)]), step: 3000)
                cvs.append(h.chainingValue())
            }
            #expect(BLAKE3.combine(mode: BLAKE3(), chainingValues: cvs) == whole, "piece \(piece) size \(size)")
        }
        #expect(BLAKE3.combine(mode: BLAKE3(), chainingValues: [[UInt8](repeating: 0, count: 32)]).isEmpty)
    }

    /// Sizes around the 512-chunk batch and its halves, hashed in 2 MiB and odd updates, against `b3sum`.
    @Test("Large inputs equal b3sum", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/b3sum"),
                                             "b3sum absent: apt-get install b3sum (scripts/test.sh does as root)"))
    func againstB3sum() throws {
        let dir = try ChunkedHasherTests.TempDir()
        let batch = 512 * 1024
        for size in [batch - 1, batch, batch + 1, 2 * batch + 1024, 3 * batch + 5, 8 * batch + 1023] {
            let data = ChunkedHasherTests.bytes(size, seed: UInt64(size) &* 7)
            let path = try dir.write("f\(size)", data)
            let expected = String(try ChunkedHasherTests.shell("/usr/bin/b3sum --no-names '\(path)'").prefix(64))
            for step in [2 << 20, 100_000] {
                var h = BLAKE3()
                Self.feed(&h, data, step: step)
                #expect(h.finalize().hexString == expected, "size \(size) step \(step)")
            }
        }
    }
}
