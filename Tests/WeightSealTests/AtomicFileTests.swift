import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("Atomic output")
struct AtomicFileTests {
    @Test("Writes with the requested mode and replaces the old file whole")
    func writeReplace() throws {
        let dir = TempDir()
        let path = dir.url("model.sig").path
        try AtomicFile.write(Array("old".utf8), to: path)
        try AtomicFile.write(Array("new".utf8), to: path, mode: 0o600)
        #expect(dir.read("model.sig") == Array("new".utf8))
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("A write that cannot happen leaves the old file untouched and names the path")
    func failedWrite() throws {
        let dir = TempDir()
        let target = dir.url("out").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        dir.write("out/keep", "x")
        #expect(throws: WeightSealError(.io, "")) { try AtomicFile.write(Array("y".utf8), to: target) }
        #expect(dir.read("out/keep") == Array("x".utf8))
        #expect(throws: WeightSealError(.io, "")) { try AtomicFile.write([1], to: "/nonexistent-dir/x") }
    }

    @Test("Bounded read refuses a file above the limit, and a fifo without blocking")
    func boundedRead() throws {
        let dir = TempDir()
        dir.write("big", pattern(2000))
        #expect(throws: WeightSealError(.limitExceeded, "")) { _ = try AtomicFile.read(dir.url("big").path, limit: 1000, what: "file") }
        #expect(try AtomicFile.read(dir.url("big").path, limit: 2000, what: "file") == pattern(2000))
        mkfifo(dir.url("fifo").path, 0o600)
        #expect(throws: WeightSealError(.io, "")) { _ = try AtomicFile.read(dir.url("fifo").path, limit: 1000, what: "file") }
    }
}
