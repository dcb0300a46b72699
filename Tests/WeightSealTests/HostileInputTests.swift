import Foundation
import WeightSealTestSupport
import SwiftASN1
import X509
import Testing
@testable import WeightSeal
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: temporary outputs, files that change while they are checked, unreadable folders, long and bidi names.
@Suite("Hostile inputs")
struct HostileInputTests {
    // MARK: Temporary outputs

    @Test("temporary names: exactly `.NAME.weightseal-tmp-` and six letters or digits")
    func temporaryNames() {
        for name in [".model.sig.weightseal-tmp-Ab3xY9", ".x.weightseal-tmp-000000", ".SHA256SUMS.weightseal-tmp-zzzzzz"] {
            #expect(AtomicFile.isTemporaryName(name), "\(name)")
        }
        for name in ["model.sig.weightseal-tmp-Ab3xY9",     // no leading dot
                     ".model.sig.weightseal-tmp-Ab3xY",      // five
                     ".model.sig.weightseal-tmp-Ab3xY90",    // seven
                     ".model.sig.weightseal-tmp-Ab_xY9",     // not a letter or digit
                     ".weightseal-tmp-Ab3xY9",               // no name
                     ".model.sig.tmp-Ab3xY9",                // another tool's mkstemp name
                     ".model.sig.weightseal-tmp-Ab3xY9.bin", "model.safetensors"] {
            #expect(!AtomicFile.isTemporaryName(name), "\(name)")
        }
    }

    @Test("a reserved output exists as a registered temporary file the walk never lists; discard removes it")
    func pendingOutput() throws {
        let dir = TempDir()
        dir.write("a.bin", pattern(100))
        let pending = try AtomicFile.Pending(path: dir.url("model.sig").path)
        let temp = (pending.temporaryPath as NSString).lastPathComponent
        #expect(AtomicFile.isTemporaryName(temp))
        #expect(FileManager.default.fileExists(atPath: pending.temporaryPath))
        #expect(TemporaryFiles.livePaths().contains(pending.temporaryPath))
        // A near miss is a model file like any other.
        dir.write(".model.sig.weightseal-tmp-12345", "five")
        let listed = try ManifestBuilder.small().listFiles(root: dir.path).files.map(\.path)
        #expect(listed == [".model.sig.weightseal-tmp-12345", "a.bin"])
        pending.discard()
        #expect(!FileManager.default.fileExists(atPath: pending.temporaryPath))
        #expect(!TemporaryFiles.livePaths().contains(pending.temporaryPath))
    }

    @Test("commit renames over the target and unregisters; stage then publish, or nothing")
    func pendingCommit() throws {
        let dir = TempDir()
        let target = dir.url("k.pub").path
        let pending = try AtomicFile.Pending(path: target, mode: 0o600)
        try pending.stage(Array("new".utf8))
        #expect(!FileManager.default.fileExists(atPath: target))
        try pending.publish()
        #expect(dir.read("k.pub") == Array("new".utf8))
        #expect(!TemporaryFiles.livePaths().contains(pending.temporaryPath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["k.pub"])
        for bad in [dir.path + "/", dir.path + "/.", dir.path + "/.."] {
            expectError(.io, containing: "not a file name") { _ = try AtomicFile.Pending(path: bad) }
        }
    }
}
