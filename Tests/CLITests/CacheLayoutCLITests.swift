import Crypto
import WeightSealTestSupport
import Foundation
import Testing

/// Issue 11's failing input, as a new user tries it: a signed model in the Hugging Face cache layout.
@Suite("CLI: signed model in the Hugging Face cache layout")
struct CacheLayoutCLITests {
    static func gitBlobSHA1(_ content: [UInt8]) -> String {
        var h = Insecure.SHA1()
        h.update(data: Array("blob \(content.count)\0".utf8))
        h.update(data: content)
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test("verify --hf-cache org/tiny --cache-dir hub --signature SIG --key k.pub: exit 0 (was a false licenseMismatch)")
    func signedCache() throws {
        let s = TempDir()
        let revision = String(repeating: "ab", count: 20)
        let repo = "hub/models--org--tiny"
        let card = Array("---\nlicense: apache-2.0\n---\n# tiny\n".utf8)
        let config = Array("{\"hidden_size\":8}\n".utf8)
        s.write("\(repo)/refs/main", revision)
        for (name, content) in [("README.md", card), ("config.json", config)] {
            let blob = Self.gitBlobSHA1(content)
            s.write("\(repo)/blobs/\(blob)", content)
            try FileManager.default.createDirectory(atPath: s.p("\(repo)/snapshots/\(revision)"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: s.p("\(repo)/snapshots/\(revision)/\(name)"),
                                                       withDestinationPath: "../../blobs/\(blob)")
            s.write("resolved/\(name)", content)  // cp -L
        }
        #expect(try run(["keygen", "-o", s.p("k")]).status == 0)
        #expect(try run(["sign", s.p("resolved"), "--key", s.p("k.key"), "-o", s.p("model.sig")]).status == 0)

        let ok = try run(["verify", "--hf-cache", "org/tiny", "--cache-dir", s.p("hub"), "--signature", s.p("model.sig"),
                          "--key", s.p("k.pub"), "--allow-license", "Apache-2.0"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("license Apache-2.0 (signed)"))
        // The snapshot folder given directly is the same check.
        let direct = try run(["verify", s.p("\(repo)/snapshots/\(revision)"), "--signature", s.p("model.sig"), "--key", s.p("k.pub")])
        #expect(direct.status == 0, "\(direct.stdout)\(direct.stderr)")
        // A policy that the signed license breaks still fails, through the links.
        let denied = try run(["verify", "--hf-cache", "org/tiny", "--cache-dir", s.p("hub"), "--signature", s.p("model.sig"),
                              "--key", s.p("k.pub"), "--allow-license", "MIT"])
        #expect(denied.status == 1)
        #expect(denied.stdout.contains("licenseNotAllowed"))
    }
}
