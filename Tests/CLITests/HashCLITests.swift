import Foundation
import WeightSealTestSupport
import Testing

@Suite("CLI: hash and usage")
struct HashCLITests {
    @Test("hash prints the manifest; -o writes it atomically and excludes itself")
    func hash() throws {
        let s = TempDir()
        s.write("m/a", "hello\n")
        let r = try run(["hash", s.p("m"), "--chunk-size", "4KiB"])
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(json?["root"] as? String == "7ba0166c98a69bc619f910f98886312eaac3896010abf03c2192d009584b160f")
        let r2 = try run(["hash", s.p("m"), "-o", s.p("m/manifest.json")])
        #expect(r2.status == 0)
        let again = try run(["hash", s.p("m"), "-o", s.p("m/manifest.json"), "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(summary?["files"] as? Int == 1)
        #expect(summary?["root"] as? String == "7ba0166c98a69bc619f910f98886312eaac3896010abf03c2192d009584b160f")
    }

    @Test("hash --format sha256sums matches sha256sum's output")
    func sha256sums() throws {
        let s = TempDir()
        s.write("m/b.bin", "world\n")
        s.write("m/a.bin", "hello\n")
        let r = try run(["hash", s.p("m"), "--format", "sha256sums"])
        #expect(r.stdout == """
            5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  a.bin
            e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317  b.bin

            """)
    }

    @Test("Usage errors exit 64; a folder that cannot be read exits 2 naming it")
    func exitCodes() throws {
        #expect(try run(["hash"]).status == 64)
        #expect(try run(["frobnicate"]).status == 64)
        #expect(try run(["hash", "/x", "--chunk-size", "lots"]).status == 64)
        let r = try run(["hash", "/nonexistent/model"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/model"))
        let s = TempDir()
        s.write("empty/.gitattributes", "x")
        let e = try run(["hash", s.p("empty")])
        #expect(e.status == 2)
        #expect(e.stderr.contains("empty model"))
    }
}
