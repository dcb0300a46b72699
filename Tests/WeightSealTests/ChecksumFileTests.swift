import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// FIELD-CASES F15: the four files and their SHA-256 (checked against `sha256sum` below).
private let f15: [(name: String, content: String, sha256: String)] = [
    ("model-00001-of-00002.safetensors", "hello\n", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"),
    ("my model.gguf", "world\n", "e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317"),
    ("new\nline.bin", "x", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
    ("back\\slash.bin", "y", "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"),
]

private let vectorFolder = repositoryRoot.appendingPathComponent("manifests/testvectors/checksum-files")

private func vector(_ name: String) -> [UInt8] {
    Array((try? Data(contentsOf: vectorFolder.appendingPathComponent(name))) ?? Data())
}

private func pairs(_ entries: [ChecksumEntry]) -> Set<String> {
    Set(entries.map { $0.sha256.hexString + " " + $0.path })
}

private let expectedPairs = Set(f15.map { $0.sha256 + " " + $0.name })

/// The F15 model folder.
private func f15Folder() -> TempDir {
    let dir = TempDir()
    for f in f15 { dir.write(f.name, f.content) }
    return dir
}

/// Runs a tool; returns exit status and stdout.
func runTool(_ tool: String, _ args: [String], in dir: String? = nil) throws -> (Int32, [UInt8]) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, Array(data))
}


private func parse(_ text: String) throws(WeightSealError) -> [ChecksumEntry] {
    try ChecksumFile.parse(Array(text.utf8), label: "SUMS")
}

@Suite struct ChecksumFileTests {
    @Test("every F15 dialect reads to the same four entries", arguments: [
        "gnu.txt", "crlf.txt", "single-space.txt", "binary-marker.txt", "bsd-tag.txt", "bom.txt", "escaped.txt",
        "tab.txt", "upper.txt",
    ])
    func dialect(_ file: String) throws {
        let entries = try ChecksumFile.parse(vector(file), label: file)
        #expect(entries.count == 4)
        #expect(pairs(entries) == expectedPairs)
        #expect(entries.map(\.line) == [1, 2, 3, 4])
    }

    @Test func reversedColumnsFailNamingTheLine() {
        expectError(.malformedReference, containing: "reversed.txt line 1:") {
            _ = try ChecksumFile.parse(vector("reversed.txt"), label: "reversed.txt")
        }
        // A reversed line after good ones names its own line.
        let text = f15[0].sha256 + "  a.bin\n\n" + "b.bin  " + f15[1].sha256 + "\n"
        expectError(.malformedReference, containing: "SUMS line 3:") { _ = try parse(text) }
    }

    @Test func bomBadParsesAndItsLineOneEntryFailsVerification() async throws {
        let entries = try ChecksumFile.parse(vector("bom-bad.txt"), label: "bom-bad.txt")
        #expect(entries.count == 4)
        let first = try #require(entries.first)
        #expect(first.line == 1 && first.path == "model-00001-of-00002.safetensors")
        #expect(first.sha256.hexString != f15[0].sha256)

        // Hash the F15 folder: exactly the line-1 entry differs.
        let dir = f15Folder()
        let requests = entries.map { HashRequest(path: dir.path + "/" + $0.path, size: UInt64(dir.read($0.path).count)) }
        let results = await ChunkedHasher(jobs: 2).hash(requests)
        let failing = zip(entries, results).filter { $0.1.sha256 != $0.0.sha256 }.map(\.0.line)
        #expect(failing == [1])

        // The same through the verifier: rejected, the finding on line 1's file.
        let report = try await ModelVerifier(hashing: .init(jobs: 2)).verify(
            root: dir.path, reference: ChecksumFile.reference(entries: entries, label: "bom-bad.txt"))
        #expect(report.verdict == .rejected)
        #expect(report.failures.map(\.kind) == [.digestMismatch])
        #expect(report.failures.first?.path == "model-00001-of-00002.safetensors")

        // A BOM line whose digest is not hex at all fails parsing on line 1.
        var broken = vector("bom.txt")
        broken[3] = UInt8(ascii: "g")
        expectError(.malformedReference, containing: "line 1:") { _ = try ChecksumFile.parse(broken, label: "b") }
    }

    @Test("F15 folder verifies OK against every dialect", arguments: ["gnu.txt", "crlf.txt", "bsd-tag.txt", "bom.txt", "single-space.txt"])
    func verifiesF15Folder(_ file: String) async throws {
        let dir = f15Folder()
        let entries = try ChecksumFile.parse(vector(file), label: file)
        let reference = ChecksumFile.reference(entries: entries, label: file)
        let report = try await ModelVerifier(hashing: .init(jobs: 2)).verify(root: dir.path, reference: reference)
        #expect(report.verdict == .verified, "\(report.findings)")
        #expect(report.files.filter { $0.status == .ok }.count == 4)
        #expect(report.reference.kind == .checksumFile && report.reference.signed == false)
        #expect(report.findings.contains { $0.kind == .unsignedReference })
        // A file the list does not name fails unless --ignore-unsigned-files.
        dir.write("extra.bin", "z")
        let r2 = try await ModelVerifier(hashing: .init(jobs: 2)).verify(root: dir.path, reference: reference)
        #expect(r2.verdict == .rejected && r2.failures.map(\.kind) == [.unexpected])
        let r3 = try await ModelVerifier(policy: .init(ignoreUnsignedFiles: true), hashing: .init(jobs: 2)).verify(root: dir.path, reference: reference)
        #expect(r3.verdict == .verified)
    }

    @Test func referenceShape() throws {
        let entries = try ChecksumFile.parse(vector("gnu.txt"), label: "gnu.txt")
        let r = ChecksumFile.reference(entries: entries, label: "SHA256SUMS")
        #expect(r.kind == .checksumFile && !r.isSigned && r.label == "SHA256SUMS" && r.ignorePaths.isEmpty)
        #expect(r.files.count == 4)
        #expect(r.files.allSatisfy { $0.size == nil })
        #expect(r.files[0] == ExpectedFile(path: f15[0].name, size: nil, check: .sha256([UInt8](hexString: f15[0].sha256)!)))
    }

    @Test func readsRealSHA256SumOutput() throws {
        let dir = f15Folder()
        let names = f15.map(\.name)
        let (status, gnu) = try runTool("/usr/bin/sha256sum", names, in: dir.path)
        #expect(status == 0)
        // coreutils escapes the line-feed and backslash names.
        let text = String(decoding: gnu, as: UTF8.self)
        #expect(text.contains("\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  new\\nline.bin\n"))
        #expect(text.contains("\\a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa  back\\\\slash.bin\n"))
        #expect(pairs(try ChecksumFile.parse(gnu, label: "sha256sum")) == expectedPairs)
        // Also the digests F15 gives are what sha256sum computes, and gnu.txt is its output byte for byte.
        #expect(gnu == vector("gnu.txt"))

        let (s2, tagged) = try runTool("/usr/bin/sha256sum", ["--tag"] + names, in: dir.path)
        #expect(s2 == 0)
        #expect(tagged == vector("bsd-tag.txt"))
        #expect(pairs(try ChecksumFile.parse(tagged, label: "sha256sum --tag")) == expectedPairs)

        let (s3, binary) = try runTool("/usr/bin/sha256sum", ["--binary"] + names, in: dir.path)
        #expect(s3 == 0)
        #expect(pairs(try ChecksumFile.parse(binary, label: "sha256sum -b")) == expectedPairs)

        // `sha256sum ./name` writes the ./ prefix; it is removed.
        let (s4, dotted) = try runTool("/usr/bin/sha256sum", names.map { "./" + $0 }, in: dir.path)
        #expect(s4 == 0)
        #expect(pairs(try ChecksumFile.parse(dotted, label: "dotted")) == expectedPairs)
    }

    @Test func renderMatchesSHA256SumAndRoundTrips() throws {
        let dir = f15Folder()
        dir.write("cr\rname.bin", "z")
        let names = f15.map(\.name) + ["cr\rname.bin"]
        let (status, gnu) = try runTool("/usr/bin/sha256sum", names, in: dir.path)
        #expect(status == 0)
        let entries = try ChecksumFile.parse(gnu, label: "sha256sum")
        #expect(entries.map(\.path) == names)
        let rendered = ChecksumFile.render(entries: entries)
        #expect(Array(rendered.utf8) == gnu, "\(rendered)")
        // Round trip, and coreutils checks what we write.
        let again = try ChecksumFile.parse(Array(rendered.utf8), label: "rendered")
        #expect(again.map(\.path) == entries.map(\.path) && again.map(\.sha256) == entries.map(\.sha256))
        let sums = TempDir()
        sums.write("SHA256SUMS", rendered)
        let (check, _) = try runTool("/usr/bin/sha256sum", ["--check", "--strict", sums.path + "/SHA256SUMS"], in: dir.path)
        #expect(check == 0)
    }

    @Test func otherAcceptedForms() throws {
        let h = f15[1].sha256
        // OpenSSL: `SHA256(name)= hex` and OpenSSL 3's `SHA2-256(name)= hex`; names with parentheses.
        #expect(try parse("SHA256(my model.gguf)= \(h)\n").map(\.path) == ["my model.gguf"])
        #expect(try parse("SHA2-256(a (1).bin)= \(h)\n").map(\.path) == ["a (1).bin"])
        #expect(try parse("SHA256 (f(x)) = \(h)\r\n").map(\.path) == ["f(x)"])
        // A GNU name that starts with '(' is not a BSD tag.
        #expect(try parse("\(h)  (weird).bin\n").map(\.path) == ["(weird).bin"])
        // Leading blanks, blank lines, no final line end, ././ prefix.
        #expect(try parse("\n  \t\(h)  a.bin\n\n   \n\(h) *././sub/b.bin").map(\.path) == ["a.bin", "sub/b.bin"])
        // Two spaces then a name starting with a space keeps that space (GNU reads one mode character).
        #expect(try parse("\(h)   lead.bin\n").map(\.path) == [" lead.bin"])
        // The same entry twice with the same digest is read once.
        #expect(try parse("\(h)  a.bin\n\(h)  ./a.bin\n").count == 1)
        // Upper and lower case mixed.
        #expect(try parse("E258D248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317  a\n")[0].sha256.hexString == h)
    }

    @Test func malformedLinesAreErrorsNamingTheLine() {
        let h = f15[0].sha256
        let good = "\(h)  ok.bin\n"
        let cases: [(String, String)] = [
            (good + String(h.dropLast()) + "  short.bin\n", "line 2: the digest has 63 hex digits"),
            (good + h + "0  long.bin\n", "line 2:"),
            (good + "MD5 (a.bin) = d41d8cd98f00b204e9800998ecf8427e\n", "line 2: checksum of type MD5"),
            (good + "SHA512 (a.bin) = \(h)\(h)\n", "line 2: checksum of type SHA512"),
            (good + "SHA1 (a.bin) = da39a3ee5e6b4b0d3255bfef95601890afd80709\n", "line 2:"),
            (good + "SHA256 (a.bin) = \(h.dropLast())\n", "line 2: the digest after '=' is not 64 hex digits"),
            (good + "SHA256 (a.bin) \(h)\n", "line 2:"),
            (good + "# a comment\n", "line 2:"),
            (good + "\\\(h)  bad\\tescape.bin\n", "line 2: unknown escape"),
            (good + "\\\(h)  trailing\\\n", "line 2:"),
            (good + "\(h)\n", "line 2: no file name"),
            (good + "\(h)  \n", "line 2:"),
            ("\u{FEFF}" + good + "\u{FEFF}" + good, "line 2:"),   // a BOM is only allowed at the start
            (good + "-----BEGIN PGP SIGNED MESSAGE-----\n", "line 2:"),
        ]
        for (text, message) in cases {
            expectError(.malformedReference, containing: message) { _ = try parse(text) }
        }
        // Names that break the path rules: invalidPath, naming the line.
        for bad in ["/etc/passwd", "../up.bin", "a/../b", "a//b", "./", "a/./b", "nul\\0x"] {
            let line = bad == "nul\\0x" ? "\(h)  nul\u{0}x\n" : "\(h)  \(bad)\n"
            expectError(.invalidPath, containing: "line 2:") { _ = try parse(good + line) }
        }
        // Not UTF-8.
        expectError(.malformedReference, containing: "line 1: file name is not valid UTF-8") {
            _ = try ChecksumFile.parse(Array("\(h)  ".utf8) + [0xFF, 0xFE] + [10], label: "SUMS")
        }
    }

    @Test func duplicatesEmptyAndSizeBound() {
        let a = f15[0].sha256, b = f15[1].sha256
        expectError(.malformedReference, containing: "line 3: \"x.bin\" is listed again with a different digest (first on line 1)") {
            _ = try parse("\(a)  x.bin\n\(a)  y.bin\n\(b)  ./x.bin\n")
        }
        for empty in ["", "\n\n", "\u{FEFF}", "\r\n  \r\n"] {
            expectError(.malformedReference, containing: "has no entries") { _ = try parse(empty) }
        }
        expectError(.limitExceeded) {
            _ = try ChecksumFile.parse([UInt8](repeating: 0x20, count: Limits.maxChecksumFileBytes + 1), label: "big")
        }
    }

    @Test("a line longer than any entry is refused naming the line, before its name is read (a 60 MB name took seconds)")
    func overlongLineIsALimit() throws {
        let digest = String(repeating: "ab", count: 32)
        // The longest name an entry can carry, every byte escaped, still parses.
        let longest = String(repeating: "a/", count: (Limits.maxPathBytes - 2) / 2) + "z"
        let entries = try parse("\(digest)  ok.bin\n\(digest)  \(longest)\n")
        #expect(entries.map(\.path) == ["ok.bin", longest])
        expectError(.limitExceeded, containing: "line 2:") {
            _ = try parse("\(digest)  ok.bin\n\(digest)  " + String(repeating: "x", count: 6_000_000) + "\n")
        }
    }

    @Test func loadReadsAFileBounded() throws {
        let dir = TempDir()
        let path = dir.write("SHA256SUMS", vector("crlf.txt"))
        #expect(pairs(try ChecksumFile.load(file: path)) == expectedPairs)
        expectError(.io) { _ = try ChecksumFile.load(file: dir.path + "/absent") }
    }
}
