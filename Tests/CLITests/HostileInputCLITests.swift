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
}

/// Names of weightseal temporary files in `folder`.
private func temporaryFiles(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".weightseal-tmp-") }
}
