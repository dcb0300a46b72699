import Crypto
import Foundation
import Testing
import WeightSealTestSupport
@testable import WeightSeal

@Suite("Small files hashed while the signature is read; the walk matched to the reference in path order")
struct EarlyHashingTests {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    @Test("early digests are the files' SHA-256; files above 1 MiB, changed since the walk, or no longer regular are left")
    func earlyDigests() throws {
        let dir = TempDir()
        let small = pattern(5000), big = pattern(Int(EarlyDigests.maxFileSize) + 1)
        dir.write("a.bin", small)
        dir.write("b/empty.bin", [])
        dir.write("b/big.bin", big)
        dir.write("c/grown.bin", pattern(10))
        dir.write("c/replaced.bin", pattern(10))
        dir.write("c/same.bin", pattern(100, seed: 3))
        let listing = try ModelFolder.list(root: dir.path, options: .init(ignorePaths: [], symlinks: .reject))
        #expect(listing.files.map(\.path) == ["a.bin", "b/big.bin", "b/empty.bin", "c/grown.bin", "c/replaced.bin", "c/same.bin"])
        // Changed after the walk: one grown in place, one replaced by a symlink to a file of the same bytes.
        if let h = FileHandle(forWritingAtPath: dir.p("c/grown.bin")) { h.seekToEndOfFile(); h.write(Data([1])); h.closeFile() }
        dir.remove("c/replaced.bin")
        dir.symlink("c/replaced.bin", to: "same.bin")

        let early = EarlyDigests.hash(listing.files) { false }
        #expect(early.digest(at: 0, .sha256) == Self.sha256(small))
        #expect(early.digest(at: 1, .sha256) == nil)
        #expect(early.digest(at: 2, .sha256) == Self.sha256([]))
        #expect(early.digest(at: 3, .sha256) == nil)
        #expect(early.digest(at: 4, .sha256) == nil)
        #expect(early.digest(at: 5, .sha256) == Self.sha256(pattern(100, seed: 3)))
        #expect(early.digest(at: 6, .sha256) == nil)
        #expect(early.count == 3 && early.bytes == 5100)

        // In BLAKE3: the same files, and a digest is asked for in its own algorithm only.
        let blake3 = EarlyDigests.hash(listing.files, algorithm: .blake3) { false }
        #expect(blake3.digest(at: 0, .blake3) == BLAKE3.hash(small) && blake3.digest(at: 0, .sha256) == nil)
        #expect(blake3.digest(at: 5, .blake3) == BLAKE3.hash(pattern(100, seed: 3)) && blake3.count == 3)
        #expect(early.digest(at: 0, .blake3) == nil)

        // Stopped before the first file: nothing hashed; stopped after two: the first two small files only.
        #expect(EarlyDigests.hash(listing.files) { true }.count == 0)
        var asked = 0
        let two = EarlyDigests.hash(listing.files) { asked += 1; return asked > 3 }
        #expect(two.count == 2 && two.digest(at: 2, .sha256) == Self.sha256([]) && two.digest(at: 5, .sha256) == nil)
    }

    @Test("a walk made ahead hashes early only when asked, and a failed walk hashes nothing")
    func prefetchHashesEarly() async throws {
        let dir = TempDir()
        dir.write("a.bin", "a")
        dir.write("sub/b.bin", "bb")
        let options = ModelFolder.Options(ignorePaths: [], symlinks: .reject)
        let hashing = ListingPrefetch(root: dir.path, options: options, hashingEarly: true)
        let listing = try await hashing.listing()
        hashing.startHashing(algorithm: .sha256)
        let early = try #require(await hashing.earlyDigests())
        // The thread may have been stopped before the end: whatever it hashed is right.
        for (i, f) in listing.files.enumerated() {
            if let d = early.digest(at: i, .sha256) { #expect(d == Self.sha256(dir.read(f.path))) }
        }
        #expect(await ListingPrefetch(root: dir.path, options: options).earlyDigests() == nil)
        // Never started (the signature did not check out): nothing is read.
        let unstarted = ListingPrefetch(root: dir.path, options: options, hashingEarly: true)
        _ = try await unstarted.listing()
        #expect(await unstarted.earlyDigests() == nil)
        let missing = ListingPrefetch(root: dir.path + "/none", options: options, hashingEarly: true)
        #expect(await missing.earlyDigests() == nil)
        let cancelled = ListingPrefetch(root: dir.path, options: options, hashingEarly: true)
        cancelled.cancel()
        _ = await cancelled.earlyDigests()
    }

    @Test("the algorithm to hash early is read from the payload's bytes before it is parsed")
    func likelyAlgorithm() async throws {
        let dir = TempDir()
        dir.write("a.bin", "a")
        for algorithm in [HashAlgorithm.sha256, .blake3] {
            var b = ManifestBuilder.small()
            b.hashAlgorithm = algorithm
            let (m, _) = try await b.build(root: dir.path)
            #expect(EarlyDigests.likelyAlgorithm(of: try m.statementJSON()) == algorithm)
        }
        #expect(EarlyDigests.likelyAlgorithm(of: []) == .sha256)
        for text in [#"{"hashAlgorithm":"blake3""#, #""hashAlgorithm":"blake3""#, #"AAA"hashAlgorithmA"hashAlgorithm":"blake3"}"#] {
            #expect(EarlyDigests.likelyAlgorithm(of: Array(text.utf8)) == .blake3, "\(text)")
        }
        for text in [#""hashAlgorithm":"blake"#, #""hashAlgorithm":"sha256""#, "AAAA", #"hashAlgorithm":"blake3""#] {
            #expect(EarlyDigests.likelyAlgorithm(of: Array(text.utf8)) == .sha256, "\(text)")
        }
    }

    @Test("verify with early hashing gives the report it gives without; a tampered small file is still found",
          arguments: [HashAlgorithm.sha256, .blake3])
    func verifySameWithAndWithout(algorithm: HashAlgorithm) async throws {
        let key = SigningKey.generate(.ed25519)
        let trust = SignatureTrust.publicKey(key.publicKey)
        let dir = TempDir()
        for i in 0..<300 { dir.write("d\(i % 7)/f\(i).bin", pattern(i * 37, seed: i)) }
        dir.write("chunked.bin", pattern(20_000))
        dir.write("config.json", "{}")
        var options = ModelSigner.Options()
        options.chunkSize = 4096
        options.hashAlgorithm = algorithm
        let signed = try await ModelSigner(options: options).sign(model: dir.path, key: key)
        try AtomicFile.write(try signed.bundle.jsonData(), to: dir.path + "/model.sig")
        let total = (0..<300).reduce(UInt64(0)) { $0 + UInt64($1 * 37) } + 20_000 + 2

        func run(_ early: Bool) async throws -> VerificationReport {
            try await ModelVerifier(hashing: .init(hashesEarly: early)).verify(model: dir.path, trust: trust)
        }
        let with = try await run(true), without = try await run(false)
        #expect(with.verdict == .verified && without.verdict == .verified, "\(with.findings)")
        let rows = { (r: VerificationReport) in r.files.map { "\($0.path) \($0.status) \($0.size.map(String.init) ?? "-")" } }
        #expect(rows(with) == rows(without) && with.files.count == 302)
        #expect(with.bytesHashed == total, "\(with.bytesHashed) \(total)")
        #expect(without.bytesHashed == total, "\(without.bytesHashed) \(total)")

        // Same size, other bytes: a digest mismatch either way, on that file alone.
        var bytes = dir.read("d3/f10.bin")
        bytes[0] ^= 1
        dir.write("d3/f10.bin", bytes)
        for early in [true, false] {
            let report = try await run(early)
            #expect(report.verdict == .rejected)
            #expect(report.failures.map(\.kind) == [.digestMismatch] && report.failures.first?.path == "d3/f10.bin")
        }
    }

    @Test("the walk is matched to the reference by merging in path order, or through a map when out of order")
    func pathMatch() {
        func walked(_ paths: [String]) -> [WalkedFile] { paths.map { WalkedFile(path: $0, fsPath: $0, size: 0, viaSymlink: false) } }
        func expected(_ paths: [String]) -> [ExpectedFile] { paths.map { ExpectedFile(path: $0, size: 0, check: .sha256([])) } }
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let files = walked(["a", "b/c", "b/d", nfd, "z"])
        // In order (merged), out of order and with a path twice (mapped): the same answers.
        let sorted = PathMatch(expected: expected(["0", "a", "b/d", nfc, "y"]), walked: files)
        #expect(sorted.walkedIndex == [-1, 0, 2, -1, -1])
        #expect(sorted.isExpected == [true, false, true, false, false])
        let unsorted = PathMatch(expected: expected(["b/d", "y", "a", nfc, "0"]), walked: files)
        #expect(unsorted.walkedIndex == [2, -1, 0, -1, -1])
        #expect(unsorted.isExpected == [true, false, true, false, false])
        let twice = PathMatch(expected: expected(["a", "a", nfd]), walked: files)
        #expect(twice.walkedIndex == [0, 0, 3])
        #expect(twice.isExpected == [true, false, false, true, false])
        let empty = PathMatch(expected: [], walked: files)
        #expect(empty.walkedIndex.isEmpty && empty.isExpected == [false, false, false, false, false])
    }

    @Test("a folder kept open reaches what the whole path reaches, and a missing folder gives the whole path's error")
    func directoryCache() throws {
        let dir = TempDir()
        dir.write("a/one", "1")
        dir.write("a/two", "22")
        dir.write("b/three", "333")
        var dirs = DirectoryCache()
        for (rel, size) in [("a/one", 1), ("a/two", 2), ("b/three", 3), ("a/one", 1)] {
            let fd = dirs.openFile(dir.p(rel), flags: O_RDONLY | O_CLOEXEC)
            #expect(fd >= 0)
            #expect(FileIdentity(descriptor: fd)?.size == UInt64(size))
            close(fd)
            #expect(dirs.identity(dir.p(rel)) == FileIdentity(path: dir.p(rel)))
        }
        #expect(dirs.identity(dir.p("a/none")) == nil)
        #expect(dirs.openFile(dir.p("gone/x"), flags: O_RDONLY) == -1 && errno == ENOENT)
        #expect(dirs.identity(dir.p("gone/x")) == nil)
        // A folder replaced after it was opened is opened again when a path in another folder came between.
        #expect(dirs.identity(dir.p("b/three"))?.size == 3)
        dir.remove("b")
        dir.write("b/three", "4444")
        #expect(dirs.identity(dir.p("a/one"))?.size == 1)
        #expect(dirs.identity(dir.p("b/three"))?.size == 4)
    }

    @Test("the check after hashing sees a folder renamed away and replaced while its files are looked up")
    func folderReplacedDuringCheck() throws {
        let dir = TempDir()
        for name in ["f1.bin", "f2.bin", "f3.bin"] { dir.write("sub/" + name, pattern(3000, seed: name.count)) }
        let files = ["f1.bin", "f2.bin", "f3.bin"].map { name -> WalkedFile in
            let path = dir.p("sub/" + name)
            return WalkedFile(path: "sub/" + name, fsPath: path, size: 3000, viaSymlink: false, identity: FileIdentity(path: path))
        }
        let results = files.map { f -> HashResult in
            var r = HashResult()
            r.identity = f.identity
            return r
        }
        #expect(FileIdentity.changes(results: results) { files[$0] } == [nil, nil, nil])
        // Once the first file has been looked up in the open folder, the folder is swapped for a copy.
        let swapped = Flag()
        let changes = FileIdentity.changes(results: results) { k in
            if k == 1, swapped.setOnce() {
                rename(dir.p("sub"), dir.p("old"))
                for name in ["f1.bin", "f2.bin", "f3.bin"] { dir.write("sub/" + name, dir.read("old/" + name)) }
            }
            return files[k]
        }
        #expect(changes.allSatisfy { $0?.hasPrefix("it was replaced by another file") == true }, "\(changes)")
    }
}
