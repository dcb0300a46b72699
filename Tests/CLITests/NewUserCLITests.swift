import Foundation
import WeightSealTestSupport
import Testing

/// What a new user trips on (issue 12), each as the binary answers it.
@Suite("CLI: messages a new user reads")
struct NewUserCLITests {
    @Test("a private key given to --key, a missing model.sig, a replaced signature, one file, files outside the reference")
    func messages() throws {
        let s = TempDir()
        s.write("m/config.json", "{}\n")
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)

        let noSig = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(noSig.status == 2)
        #expect(noSig.stderr.contains("no signature file"))
        #expect(noSig.stderr.contains("SHA256SUMS"))

        let first = try run(["sign", s.p("m"), "--key", s.p("k.key")])
        #expect(first.status == 0)
        #expect(first.stdout.contains("signed 1 file "))
        #expect(!first.stderr.contains("replaced"))
        let again = try run(["sign", s.p("m"), "--key", s.p("k.key")])
        #expect(again.stderr.contains("replaced the existing"))

        let privateKey = try run(["verify", s.p("m"), "--key", s.p("k.key")])
        #expect(privateKey.status == 2)
        #expect(privateKey.stderr.contains("this is a private key"))

        let ok = try run(["verify", s.p("m"), "--key", s.p("k.pub")])
        #expect(ok.stdout.contains(": 1 file, "), "\(ok.stdout)")
        s.write("m/notes.txt", "x")
        let lenient = try run(["verify", s.p("m"), "--key", s.p("k.pub"), "--ignore-unsigned-files"])
        #expect(lenient.status == 0)
        #expect(lenient.stdout.contains(": 1 file, 3 B match"), "\(lenient.stdout)")
        #expect(lenient.stdout.contains("1 file not in it (allowed)"))
    }
}
