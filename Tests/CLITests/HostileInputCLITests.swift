import Foundation
import WeightSealTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, as a user meets it: interrupted and concurrent signing, thousands of repeated options, huge names in
/// messages, key pairs on a failing disk, unreadable folders, bidi names, a system CA bundle as trusted roots.
@Suite("CLI: hostile inputs")
struct HostileInputCLITests {
    @Test("a temporary file left in the model folder is not covered by sign nor reported by verify")
    func leftoverTemporaryFile() throws {
        let s = TempDir()
        s.write("m/config.json", "{}\n")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        // What an interrupted (or concurrent) sign leaves: its own output's temporary name.
        s.write("m/.model.sig.weightseal-tmp-Ab3xY9", "half a signature")
        let signed = try run(["sign", s.p("m"), "--key", s.p("k.key"), "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.contains("\"files\" : 1"), "\(signed.stdout)")
        let verified = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--json"])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(!verified.stdout.contains("weightseal-tmp"), "\(verified.stdout)")
        // Gone later, still verified; a name that only looks alike is a file like any other.
        try FileManager.default.removeItem(atPath: s.p("m/.model.sig.weightseal-tmp-Ab3xY9"))
        #expect(try run(["verify", s.p("m"), "--key", s.p("k.pub")]).status == 0)
        s.write("m/.model.sig.tmp-Ab3xY9", "x")
        let other = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(other.status == 1)
        #expect(other.stdout.contains("FAIL  \".model.sig.tmp-Ab3xY9\"  unexpected"), "\(other.stdout)")
    }

    @Test("sign killed by SIGINT or SIGTERM while hashing leaves no temporary file and no signature, and dies by that signal")
    func interruptedSign() throws {
        let s = TempDir()
        s.write("m/config.json", "{}\n")
        // 16 GiB of holes: hashing takes many seconds, reading costs no disk.
        #expect(FileManager.default.createFile(atPath: s.p("m/big.bin"), contents: nil))
        #expect(truncate(s.p("m/big.bin"), 16 << 30) == 0)
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        for sig in [SIGINT, SIGTERM] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: weightsealBinary)
            p.arguments = ["sign", s.p("m"), "--key", s.p("k.key"), "--jobs", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // The output is reserved before hashing starts: wait for its temporary file.
            let deadline = Date().addingTimeInterval(30)
            var seen = false
            while Date() < deadline && p.isRunning {
                if temporaryFiles(s.p("m")).count == 1 { seen = true; break }
                usleep(10_000)
            }
            #expect(seen, "no temporary file appeared")
            #expect(p.isRunning, "sign ended before the signal")
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "signal \(sig)")
            #expect(p.terminationStatus == sig)
            #expect(temporaryFiles(s.p("m")).isEmpty, "\(temporaryFiles(s.p("m")))")
            #expect(!FileManager.default.fileExists(atPath: s.p("m/model.sig")))
        }
    }

    /// Once quadratic (50,000 took 176 s). No wall-clock assertion here (the suite asserts none); the time is printed,
    /// and docs/threat-model.md gives the measured figure.
    @Test("50,000 repeated --ignore and --allow-license are taken, each once, in both spellings")
    func repeatedOptions() throws {
        let s = TempDir()
        s.write("m/README.md", "---\nlicense: mit\n---\n")
        s.write("m/skip/me.bin", "x")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        // Both spellings; the last one names a real folder. (50,000 fit in the 2 MB argument limit.)
        let ignores = (0..<49_999).flatMap { $0 % 2 == 0 ? ["--ignore", "x\($0)"] : ["--ignore=y\($0)"] } + ["--ignore", "skip"]
        var start = Date()
        let signed = try run(["sign", s.p("m"), "--key", s.p("k.key"), "--json"] + ignores)
        let signSeconds = Date().timeIntervalSince(start)
        #expect(signed.status == 0, "\(signed.stderr.prefix(500))")
        #expect(signed.stdout.contains("\"files\" : 1"), "\(signed.stdout)")
        let allow = Array(repeating: "--allow-license=0BSD", count: 49_999) + ["--allow-license", "MIT"]
        start = Date()
        let verified = try run(["verify", s.p("m"), "--key", s.p("k.pub")] + allow)
        let verifySeconds = Date().timeIntervalSince(start)
        #expect(verified.status == 0, "\(verified.stdout.prefix(500))")
        // A value that looks like an option is still argument-parser's to refuse.
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key"), "--ignore", "--json"]).status == 64)
        print("50,000 --ignore: sign \(String(format: "%.2f", signSeconds)) s; 50,000 --allow-license: verify \(String(format: "%.2f", verifySeconds)) s")
    }

    @Test("a long name in a checksum file is elided in the error, and a 6 MB line is refused by its length (60 MB was echoed whole)")
    func hugeNameInMessage() throws {
        let s = TempDir()
        s.write("m/a.bin", "x")
        // Longer than a path may be, short enough for a line: the name is quoted, elided in the middle.
        s.write("SHA256SUMS", String(repeating: "0", count: 64) + "  " + String(repeating: "a", count: 5000) + "\n")
        var r = try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS")])
        #expect(r.status == 2)
        #expect(r.stderr.utf8.count < 600, "\(r.stderr.utf8.count) bytes")
        #expect(r.stderr.contains("line 1: invalid path \"aaaa"), "\(r.stderr)")
        #expect(r.stderr.contains("aaaa…aaaa"), "\(r.stderr)")
        #expect(r.stderr.contains("aaaa\" (5000 bytes): longer than 4096 bytes"), "\(r.stderr)")
        // Longer than any entry: refused by the line's length, before the name is read.
        s.write("SHA256SUMS", String(repeating: "0", count: 64) + "  " + String(repeating: "a", count: 6_000_000) + "\n")
        r = try run(["verify", s.p("m"), "--checksums", s.p("SHA256SUMS")])
        #expect(r.status == 2)
        #expect(r.stderr.utf8.count < 600, "\(r.stderr.utf8.count) bytes")
        #expect(r.stderr.contains("line 1: 6000066 bytes long; an entry is at most 8320"), "\(r.stderr)")
    }

    @Test("keygen writes both files or neither; -o naming a folder is a usage error")
    func keygenBothOrNeither() throws {
        let s = TempDir()
        for bad in [".", s.p("sub") + "/", ""] {
            let r = try run(["keygen", "-o", bad], cwd: s.path)
            #expect(r.status == 64, "\(bad)")
            #expect(r.stderr.contains("names a folder"), "\(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path).isEmpty)
        // The public key cannot be published (its path is a folder): no private key is left without it.
        try FileManager.default.createDirectory(atPath: s.p("d/n.pub/x"), withIntermediateDirectories: true)
        let blocked = try run(["keygen", "-o", s.p("d/n"), "--force"])
        #expect(blocked.status == 2)
        #expect(blocked.stderr.contains("cannot write \"\(s.p("d/n.pub"))\": Is a directory"), "\(blocked.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.p("d")) == ["n.pub"])
        // A full disk (a file size limit of 0): nothing is written, no temporary file stays.
        let full = try runShell("trap '' XFSZ; ulimit -f 0; exec \"$0\" keygen -o \"$1\"", s.p("e/n"), mkdir: s.p("e"))
        #expect(full.status == 2, "\(full.stderr)")
        #expect(full.stderr.contains("File too large"), "\(full.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.p("e")).isEmpty)
        #expect(try run(["keygen", "-o", s.p("e/n")]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.p("e")).sorted() == ["n.key", "n.pub"])
    }

    @Test("files under a folder that cannot be read are unreadable, never missing (root: capabilities dropped)")
    func unreadableFolder() throws {
        let s = TempDir()
        s.write("m/a.bin", "a")
        s.write("m/sub/b.bin", "b")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        #expect(try run(["sign", s.p("m"), "--key", s.p("k.key")]).status == 0)
        chmod(s.p("m/sub"), 0)
        defer { chmod(s.p("m/sub"), 0o755) }
        var prefix: [String] = []
        if geteuid() == 0 {
            // Root reads any folder; without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH it is held to the mode bits.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                print("skipped: running as root without /usr/bin/setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
                return
            }
            prefix = ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all"]
        }
        let r = try runCommand(prefix + [weightsealBinary, "verify", s.p("m"), "--key", s.p("k.pub"), "--json"])
        #expect(r.status == 1, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let files = (report["files"] as? [[String: Any]] ?? []).map { "\($0["path"] ?? "") \($0["status"] ?? "")" }
        #expect(files == ["a.bin ok", "sub/b.bin unreadable"], "\(files)")
        let findings = (report["findings"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? "") \($0["path"] ?? "")" }
        #expect(findings.sorted() == ["unreadable sub", "unreadable sub/b.bin"], "\(findings)")
    }

    @Test("a name with U+202E is escaped in every line printed, and sign warns about it")
    func bidiName() throws {
        let s = TempDir()
        s.write("m/report\u{202E}fdp.exe", "x")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        let signed = try run(["sign", s.p("m"), "--key", s.p("k.key")])
        #expect(signed.status == 0)
        #expect(signed.stderr.contains("weightseal: warning: \"report\\u{202e}fdp.exe\": name holds bidirectional control characters (U+202E)"), "\(signed.stderr)")
        s.write("m/report\u{202E}fdp.exe", "y")
        let r = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL  \"report\\u{202e}fdp.exe\"  digestMismatch"), "\(r.stdout)")
        #expect(!(r.stdout + r.stderr).unicodeScalars.contains("\u{202E}"))
    }

    @Test("--certificate-roots takes a system CA bundle (about 140 certificates) with the test root appended")
    func systemCABundle() throws {
        let bundle = "/etc/ssl/certs/ca-certificates.crt"
        guard FileManager.default.fileExists(atPath: bundle) else {
            print("skipped: \(bundle) is absent (Debian's ca-certificates package)")
            return
        }
        let s = TempDir()
        let system = try Data(contentsOf: URL(fileURLWithPath: bundle))
        let testRoot = try Data(contentsOf: URL(fileURLWithPath: omsVectors + "/pki/root-ca.pem"))
        s.write("roots.pem", Array(system) + Array(testRoot))
        let r = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/cert-files.sig",
                         "--certificate-roots", s.p("roots.pem")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let alone = try run(["verify", omsVectors + "/model", "--signature", omsVectors + "/sigs/cert-files.sig",
                             "--certificate-roots", bundle])
        #expect(alone.status == 1, "\(alone.stdout)\(alone.stderr)")
    }
}

/// Names of weightseal temporary files in `folder`.
private func temporaryFiles(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".weightseal-tmp-") }
}

/// Runs `arguments[0]` with the rest, collecting output.
private func runCommand(_ arguments: [String]) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: arguments[0])
    p.arguments = Array(arguments.dropFirst())
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `script` under /bin/sh with the binary as `$0` and `argument` as `$1`, after making `mkdir`.
private func runShell(_ script: String, _ argument: String, mkdir: String) throws -> RunResult {
    try FileManager.default.createDirectory(atPath: mkdir, withIntermediateDirectories: true)
    return try runCommand(["/bin/sh", "-c", script, weightsealBinary, argument])
}
