import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

@Suite struct PlaceholderTests {
    static let digest = [UInt8](repeating: 0x5A, count: 32)
    static let pointerText = "version https://git-lfs.github.com/spec/v1\noid sha256:\(digest.hexString)\nsize 65600\n"

    @Test("F03: a Git LFS pointer is parsed; its first 8 bytes read as a safetensors length give 2,336,927,755,350,992,246")
    func lfsPointer() throws {
        let bytes = Array(Self.pointerText.utf8)
        #expect(littleEndian(bytes.prefix(8)) == 2_336_927_755_350_992_246)
        let kind = try #require(Placeholder.detect(prefix: bytes, size: UInt64(bytes.count)))
        guard case .gitLFSPointer(let p) = kind else { Issue.record("not an LFS pointer: \(kind)"); return }
        #expect(p == LFSPointer(version: "https://git-lfs.github.com/spec/v1", sha256: Self.digest, size: 65600))
        #expect(kind.name == "gitLFSPointer")
    }

    @Test("F03: the pointer's oid and size say 'content not fetched' or 'pointer to a different object'")
    func lfsMatch() throws {
        let p = try #require(LFSPointer.parse(Array(Self.pointerText.utf8)))
        #expect(p.match(sha256: Self.digest, size: 65600) == .contentNotFetched)
        #expect(p.match(sha256: Self.digest, size: 65601) == .differentObject)
        #expect(p.match(sha256: [UInt8](repeating: 0, count: 32), size: 65600) == .differentObject)
        #expect(p.hint(expectedSHA256: Self.digest, expectedSize: 65600).contains("content not fetched"))
        #expect(p.hint(expectedSHA256: Self.digest, expectedSize: 1).hasPrefix("Git LFS pointer to a different object"))
    }

    @Test("malformed pointers are not pointers")
    func lfsMalformed() {
        let bad = [
            "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n",           // short oid
            "version https://git-lfs.github.com/spec/v1\noid sha256:\(Self.digest.hexString)\nsize -1\n",
            "oid sha256:\(Self.digest.hexString)\nversion https://git-lfs.github.com/spec/v1\nsize 1\n",  // version not first
            "version https://git-lfs.github.com/spec/v1\noid sha256:\(Self.digest.hexString)\nsize 1",      // no final newline
            "version https://example.com/v1\noid sha256:\(Self.digest.hexString)\nsize 1\n",
        ]
        for text in bad { #expect(LFSPointer.parse(Array(text.utf8)) == nil, "\(text)") }
        let withExt = "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:\(Self.digest.hexString)\noid sha256:\(Self.digest.hexString)\nsize 7\n"
        #expect(LFSPointer.parse(Array(withExt.utf8))?.size == 7)
    }

    @Test("F03: 'Entry not found' (15 bytes, SHA-256 f36668dd…) is an HTTP error body")
    func entryNotFound() {
        let bytes = Array("Entry not found".utf8)
        #expect(bytes.count == 15)
        #expect(Array(SHA256.hash(data: bytes)).hexString == "f36668ddf22403a332f978057d527cf285b01468bc3431b04094a7bafa6aba59")
        #expect(Placeholder.detect(prefix: bytes, size: 15) == .errorBody("Entry not found"))
        let hub = Array(#"{"error":"Repository Not Found"}"#.utf8)
        #expect(Placeholder.detect(prefix: hub, size: UInt64(hub.count)) == .errorBody(#"{"error":"Repository Not Found"}"#))
        #expect(Placeholder.detect(prefix: Array("404: Not Found\n".utf8), size: 15) == .errorBody("404: Not Found"))
    }

    @Test("HTML pages and empty files; real content is not a placeholder")
    func htmlEmptyAndNegatives() {
        #expect(Placeholder.detect(prefix: Array("<!DOCTYPE html>\n<html>".utf8), size: 5000) == .html)
        #expect(Placeholder.detect(prefix: Array("\u{FEFF}\n  <HTML lang=en>".utf8), size: 5000) == .html)
        #expect(Placeholder.detect(prefix: [], size: 0) == .empty)
        #expect(Placeholder.detect(prefix: Array(#"{"model_type":"bert"}"#.utf8), size: 21) == nil)
        #expect(Placeholder.detect(prefix: Array("Entry not found".utf8), size: 100_000) == nil)
        #expect(Placeholder.detect(prefix: FormatFixture.f17Pickle, size: 50) == nil)
        #expect(Placeholder.detect(prefix: FormatFixture.safetensors("{}", data: []), size: 16) == nil)
    }

    @Test("detect(fileAt:) reads the first bytes of a file; hints name the LFS match")
    func fromFile() throws {
        let fx = FormatFixture()
        let path = fx.write("model.safetensors", Array(Self.pointerText.utf8))
        let kind = try #require(Placeholder.detect(fileAt: path))
        #expect(kind.hints(expectedSHA256: Self.digest, expectedSize: 65600)
                == ["Git LFS pointer to the expected object: content not fetched (run `git lfs pull` or download without git)"])
        #expect(Placeholder.detect(fileAt: fx.write("e.bin", [])) == .empty)
        #expect(Placeholder.detect(fileAt: fx.root + "/absent") == nil)
        #expect(PlaceholderKind.html.hints(expectedSHA256: nil, expectedSize: nil) == ["HTML page instead of the file's content"])
    }
}
