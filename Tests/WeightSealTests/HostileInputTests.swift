import Foundation
import WeightSealTestSupport
import SwiftASN1
import X509
import Testing
@testable import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // `struct stat`'s fields (MemberImportVisibility)
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

    // MARK: Files that change while they are checked

    @Test("sign: a file grown between the walk and the hashing is an error naming it (fileChanged)")
    func signGrown() async throws {
        let dir = TempDir()
        dir.write("a.bin", pattern(5000))
        dir.write("b.bin", pattern(10))
        let builder = ManifestBuilder.small()
        let listed = try builder.listFiles(root: dir.path)
        let handle = try #require(FileHandle(forWritingAtPath: dir.url("a.bin").path))
        handle.seekToEndOfFile()
        handle.write(Data([1]))
        handle.closeFile()
        await expectAsyncError(.fileChanged, containing: "\"a.bin\" changed while it was hashed: its size went from 5000 to 5001 bytes") {
            _ = try await builder.build(root: dir.path, listed: listed)
        }
    }

    @Test("sign: a file replaced by another of the same size and bytes is still an error (a new inode)")
    func signReplaced() async throws {
        let dir = TempDir()
        dir.write("a.bin", pattern(5000))
        let builder = ManifestBuilder.small()
        let listed = try builder.listFiles(root: dir.path)
        let other = TempDir()
        other.write("a.bin", pattern(5000))
        #expect(rename(other.url("a.bin").path, dir.url("a.bin").path) == 0)
        await expectAsyncError(.fileChanged, containing: "\"a.bin\" changed while it was hashed: it was replaced by another file") {
            _ = try await builder.build(root: dir.path, listed: listed)
        }
    }

    @Test("sign: a file removed while it is hashed is an error; the same run without the change signs")
    func signRemoved() async throws {
        let dir = TempDir()
        dir.write("a.bin", pattern(5000))
        dir.write("b.bin", pattern(7))
        _ = try await ManifestBuilder.small().build(root: dir.path)
        let path = dir.url("b.bin").path
        await expectAsyncError(.fileChanged, containing: "\"b.bin\" changed while it was hashed: it is gone") {
            _ = try await ManifestBuilder.small().build(root: dir.path, progress: { _ in unlink(path) })
        }
    }

    @Test("verify: a file replaced, grown or removed while it is checked is changedDuringCheck, never verified")
    func verifyChanged() async throws {
        let dir = TempDir()
        dir.write("a.bin", pattern(9000))
        dir.write("b.bin", pattern(20))
        let (_, ref) = try await reference(of: dir)
        #expect(try await ModelVerifier().verify(root: dir.path, reference: ref).verdict == .verified)

        let cases: [(String, @Sendable (String) -> Void)] = [
            ("it was replaced by another file (inode ", { path in
                let other = path + ".new"
                _ = FileManager.default.createFile(atPath: other, contents: Data(pattern(9000, seed: 5)))
                rename(other, path)
            }),
            ("its size went from 9000 to 9001 bytes", { path in
                if let h = FileHandle(forWritingAtPath: path) { h.seekToEndOfFile(); h.write(Data([0])); h.closeFile() }
            }),
            ("it is gone", { path in unlink(path) }),
            // Same size, other bytes, the modification time put back: only the change time tells.
            ("it was written or its status changed (same size and modification time, new change time)", { path in
                var st = stat()
                stat(path, &st)
                if let h = FileHandle(forWritingAtPath: path) { h.write(Data([0xFF])); h.closeFile() }
                var times = [st.st_atim, st.st_mtim]
                utimensat(AT_FDCWD, path, &times, 0)
            }),
        ]
        for (message, change) in cases {
            let copy = dir.copy()
            let path = copy.url("a.bin").path
            let done = Flag()
            let report = try await ModelVerifier().verify(root: copy.path, reference: ref, progress: { _ in
                if done.setOnce() { change(path) }
            })
            #expect(report.verdict == .rejected, "\(message)")
            let f = report.findings.filter { $0.kind == .changedDuringCheck }
            #expect(f.count == 1 && f.first?.path == "a.bin" && f.first?.severity == .failure, "\(report.findings)")
            #expect(f.first?.message.hasPrefix("changed while it was checked: \(message)") == true, "\(f.first?.message ?? "")")
            #expect(f.first?.message.hasSuffix("; check it again once nothing writes to it") == true)
            #expect(report.findings.allSatisfy { $0.kind != .digestMismatch && $0.kind != .missing })
            #expect(report.files.first { $0.path == "a.bin" }?.status == .failed)
            #expect(report.files.first { $0.path == "b.bin" }?.status == .ok)
        }
    }

    @Test("verify: a file truncated while its chunks are read gives its size now, and bytesHashed counts only bytes read")
    func verifyTruncatedWhileRead() async throws {
        let dir = TempDir()
        let path = dir.url("big.bin").path
        let size: UInt64 = 2 << 30
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(size)) == 0)
        // Chunk digests are never compared: the file changes before its reads end.
        let chunk: UInt64 = 64 << 20
        let ranges = stride(from: UInt64(0), to: size, by: Int(chunk)).map {
            ExpectedRange(start: $0, end: $0 + chunk, sha256: [UInt8](repeating: 0, count: 32))
        }
        let ref = Reference(kind: .weightsealManifest, isSigned: true,
                            files: [ExpectedFile(path: "big.bin", size: size, check: .ranges(ranges, whole: nil))],
                            ignorePaths: [], symlinks: .reject, label: "test")
        // Truncate as soon as the engine has opened the file (seen in /proc/self/fd), long before 2 GiB are read.
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if openDescriptors().contains(path) {
                    truncate(path, 1 << 20)
                    return
                }
                usleep(500)
            }
        }
        watcher.start()
        let report = try await ModelVerifier(hashing: .init(jobs: 2)).verify(root: dir.path, reference: ref)
        let f = try #require(report.findings.first { $0.kind == .changedDuringCheck })
        #expect(f.path == "big.bin")
        #expect(f.message == "\(path) changed while hashing: it has 1048576 bytes now, expected 2147483648 bytes", "\(f.message)")
        #expect(report.verdict == .rejected)
        #expect(report.bytesHashed < size, "\(report.bytesHashed)")
    }

    // MARK: Unreadable folders

    @Test("files under a folder that cannot be read are unreadable, not missing; the folder is not a file")
    func unreadableFolder() async throws {
        guard !canReadEverything() else {
            print("skipped: running with CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (root), which reads any folder; "
                  + "the CLI test HostileInputCLITests.unreadableFolder covers this with those capabilities dropped")
            return
        }
        let dir = TempDir()
        dir.write("a.bin", pattern(10))
        dir.write("sub/b.bin", pattern(20))
        dir.write("sub/deeper/c.bin", pattern(30))
        let (_, ref) = try await reference(of: dir)
        chmod(dir.url("sub").path, 0)
        defer { chmod(dir.url("sub").path, 0o755) }
        let report = try await ModelVerifier().verify(root: dir.path, reference: ref)
        #expect(report.verdict == .rejected)
        #expect(report.findings.allSatisfy { $0.kind != .missing && $0.kind != .unexpected })
        #expect(report.files.map { "\($0.path) \($0.status)" } == ["a.bin ok", "sub/b.bin unreadable", "sub/deeper/c.bin unreadable"])
        #expect(report.findings.first { $0.path == "sub" }?.message == "cannot read folder: Permission denied; nothing below it was looked at")
        #expect(report.findings.first { $0.path == "sub/b.bin" }?.message == "not looked at: the folder \"sub\" cannot be read")
    }

    // MARK: Names in messages

    @Test("quoted text is escaped (controls, bidi controls) and elided past 160 characters with its length")
    func quoting() {
        #expect(ModelPath.quoted("a\u{202E}gpj.exe") == "\"a\\u{202e}gpj.exe\"")
        #expect(ModelPath.quoted("\u{2066}x\u{2069}\u{200F}\u{0085}") == "\"\\u{2066}x\\u{2069}\\u{200f}\\u{85}\"")
        #expect(ModelPath.quoted("é/日本") == "\"é/日本\"")
        let long = String(repeating: "a", count: 60_000_000) + "END"
        let shown = ModelPath.quoted(long)
        #expect(shown == "\"" + String(repeating: "a", count: 106) + "…" + String(repeating: "a", count: 51) + "END\" (60000003 bytes)")
        let path = String(repeating: "x/", count: 10_000) + "y"
        expectError(.invalidPath, containing: "longer than 4096 bytes") { try ModelPath.validate(path) }
        do { try ModelPath.validate(path) } catch { #expect(error.message.utf8.count < 300, "\(error.message.utf8.count)") }
    }

    @Test("a name with bidi controls is warned about at signing, escaped")
    func bidiWarning() throws {
        let dir = TempDir()
        dir.write("model\u{202E}txt.exe", "x")
        dir.write("plain.bin", "y")
        let warnings = try ManifestBuilder.small().listFiles(root: dir.path).warnings
        #expect(warnings.map(\.kind) == [.bidiControl])
        #expect(warnings.first?.severity == .warning)
        #expect(warnings.first?.message == "name holds bidirectional control characters (U+202E) that make it display as another name; weightseal shows them escaped")
    }

    @Test("50,000 ignore paths cost a walk no more than a few: the walk looks each path up in a set")
    func manyIgnores() throws {
        let dir = TempDir()
        for i in 0..<200 { dir.write("d\(i % 10)/f\(i).bin", [UInt8(i)]) }
        var builder = ManifestBuilder.small()
        builder.extraIgnorePaths = (0..<50_000).map { "x\($0)" } + ["d3", "d4/f14.bin"]
        let start = Date()
        let files = try builder.listFiles(root: dir.path).files
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(files.count == 200 - 20 - 1)
        #expect(!files.contains { $0.path.hasPrefix("d3/") || $0.path == "d4/f14.bin" })
    }

    // MARK: Certificate roots

    @Test("a system CA bundle loads as trusted roots; more than 4096 certificates or 16 MiB are refused")
    func caBundle() throws {
        let bundle = "/etc/ssl/certs/ca-certificates.crt"
        if FileManager.default.fileExists(atPath: bundle) {
            let trust = try CertificateTrust.load(rootsFile: bundle)
            #expect(trust.roots.count > 16, "\(trust.roots.count)")
            expectError(.limitExceeded, containing: "more than the limit of 16 certificates") {
                _ = try CertificateTrust.loadCertificates(pemFile: bundle)
            }
        } else {
            print("skipped the system bundle: \(bundle) is absent (Debian's ca-certificates package)")
        }
        let dir = TempDir()
        let one = try TestPKI.root().serializeAsPEM().pemString + "\n"
        dir.write("roots.pem", String(repeating: one, count: 4096))
        #expect(try CertificateTrust.load(rootsFile: dir.url("roots.pem").path).roots.count == 4096)
        dir.write("many.pem", String(repeating: one, count: 4097))
        expectError(.limitExceeded, containing: "holds 4097 PEM blocks, more than the limit of 4096 certificates") {
            _ = try CertificateTrust.load(rootsFile: dir.url("many.pem").path)
        }
        dir.write("huge.pem", [UInt8](repeating: 0x41, count: 16 * 1024 * 1024 + 1))
        expectError(.limitExceeded, containing: "is 16777217 bytes; the limit is 16777216") {
            _ = try CertificateTrust.load(rootsFile: dir.url("huge.pem").path)
        }
    }
}

/// A flag that is set once, from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    /// True the first time only.
    func setOnce() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if set { return false }
        set = true
        return true
    }
}

/// Expects an async `body` to throw a ``WeightSealError`` with `code` and a message containing `text`.
func expectAsyncError(_ code: WeightSealError.Code, containing text: String, _ body: () async throws -> Void,
                      sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(code) error", sourceLocation: sourceLocation)
    } catch let error as WeightSealError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected WeightSealError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Targets of this process's open descriptors.
func openDescriptors() -> [String] {
    guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
    return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
}

/// Whether this process bypasses file permissions (root with CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH).
func canReadEverything() -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
          let caps = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return geteuid() == 0 }
    return caps & 0b110 != 0  // CAP_DAC_OVERRIDE (1), CAP_DAC_READ_SEARCH (2)
}
