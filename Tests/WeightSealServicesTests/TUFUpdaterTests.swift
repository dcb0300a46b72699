import Foundation
import WeightSealTestSupport
import Testing
import WeightSeal
@testable import WeightSealServices
#if canImport(Glibc)
import Glibc
#endif

/// `Tests/Servers/tuf_repo.py serve`: a TUF repository built with python-tuf 7.0.1, served on 127.0.0.1, changed by
/// commands on its standard input (the script's docstring lists them).
final class TUFRepoServer: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let venv = ProcessInfo.processInfo.environment["WEIGHTSEAL_PYREF"] ?? repoRoot.appendingPathComponent(".cache/pyref").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: venv + "/bin/model_signing") }

    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let dir: String
    private(set) var port = 0
    private var buffer = [UInt8]()

    var url: String { "http://127.0.0.1:\(port)" }
    /// The repository's version-1 root, the one to start trust from.
    var rootPath: String { dir + "/root.json" }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tufrepo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.venv + "/bin/python")
        process.arguments = [Self.repoRoot.appendingPathComponent("Tests/Servers/tuf_repo.py").path, "serve", dir]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = try readLine()
        guard line.hasPrefix("PORT "), let p = Int(line.dropFirst(5)) else {
            stop()
            throw WeightSealError(.io, "tuf_repo.py did not start: \(line)")
        }
        port = p
    }

    private func readLine() throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            buffer += data
        }
        throw WeightSealError(.io, "tuf_repo.py gave no answer")
    }

    /// Applies a command; returns the script's answer (`OK …`).
    @discardableResult
    func command(_ name: String) throws -> String {
        input.fileHandleForWriting.write(Data((name + "\n").utf8))
        let answer = try readLine()
        guard answer.hasPrefix("OK") else { throw WeightSealError(.io, "tuf_repo.py \(name): \(answer)") }
        return answer
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite("TUF updater against a python-tuf repository on loopback",
       .enabled(if: TUFRepoServer.available, "Python peer absent: run scripts/setup-python-peer.sh (or set WEIGHTSEAL_PYREF)"))
struct TUFUpdaterTests {
    let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tufcache-\(UUID().uuidString)").path
    var cache: TUFCache { TUFCache(directory: cacheDir) }

    func update(_ server: TUFRepoServer) async throws -> TUFUpdateResult {
        let root = Array(try Data(contentsOf: URL(fileURLWithPath: server.rootPath)))
        return try await TUFUpdater.update(repository: SigstoreTUF.Repository(url: server.url + "/"), initialRoot: root,
                                           initialRootLabel: server.rootPath, cache: cache,
                                           settings: .init(timeout: 10, retries: 0))
    }

    func refusal(_ server: TUFRepoServer) async -> WeightSealError? {
        do {
            _ = try await update(server)
            return nil
        } catch let error as WeightSealError {
            return error
        } catch {
            return WeightSealError(.io, "\(error)")
        }
    }

    func cached() -> [String: [UInt8]] { cache.storedFiles() }

    @Test("A good update, a new release and a root key rotation are each trusted and stored")
    func goodUpdateAndRotation() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        let first = try await update(server)
        #expect(first.roles.map(\.version) == [1, 1, 1, 1])
        #expect(first.repository == server.url)
        #expect(first.targets.map(\.name) == ["trusted_root.json", "signing_config.v0.2.json"])
        let trustedRoot = try #require(cache.read("targets/trusted_root.json", limit: 1 << 20))
        #expect(trustedRoot.count == first.targets[0].length)
        #expect(try TrustedRoot.parse(trustedRoot, label: "fetched").newestStart == TrustedRoot.publicGood.newestStart)
        #expect(cache.read("targets/signing_config.v0.2.json", limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) }?
            .contains("application/vnd.dev.sigstore.signingconfig.v0.2+json") == true)

        try server.command("publish")
        let second = try await update(server)
        #expect(second.roles.map(\.version) == [1, 2, 2, 2])
        #expect(second.targets[0].updated && !second.targets[1].updated)

        try server.command("rotate-root")
        let third = try await update(server)
        #expect(third.roles.map(\.version) == [2, 3, 2, 2])
        #expect(third.rootVersionBefore == 1)
        #expect(cache.read("root_history/2.root.json", limit: 1 << 20) != nil)
    }

    @Test("An expired timestamp is refused with its expiry; the cache keeps the trusted files")
    func expiredTimestamp() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update(server)
        let before = cached()
        try server.command("expire-timestamp")
        let error = await refusal(server)
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == "timestamp.json expired at 2020-01-01T00:00:00Z (version 2)")
        #expect(cached() == before)
    }

    @Test("A rolled-back timestamp is refused; the cache keeps the trusted files")
    func rolledBackTimestamp() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        try server.command("publish")
        _ = try await update(server)
        let before = cached()
        try server.command("rollback-timestamp")
        let error = await refusal(server)
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == "timestamp version 1 is older than the trusted 2 (rollback)")
        #expect(cached() == before)
    }

    @Test("A timestamp listing an older snapshot is refused (rollback)")
    func rolledBackSnapshot() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        try server.command("publish")
        _ = try await update(server)
        let before = cached()
        try server.command("rollback-snapshot")
        let error = await refusal(server)
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == "timestamp.json lists snapshot version 1, older than the trusted 2 (rollback)")
        #expect(cached() == before)
    }

    @Test("A mix-and-match snapshot is refused; the trusted snapshot, targets and trust material stay")
    func mixAndMatch() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update(server)
        let before = cached()
        try server.command("mix-and-match")
        let error = await refusal(server)
        #expect(error?.code == .trustUpdate)
        // The other snapshot's ECDSA signature may differ in length: then the length check is the one that fails.
        let message = error?.message ?? ""
        let hashMismatch = message == "snapshot.json does not match the sha256 hash that timestamp.json lists (mix-and-match)"
        let lengthMismatch = message.contains("snapshot.json is ") && message.hasSuffix(" that timestamp.json lists (mix-and-match)")
        #expect(hashMismatch || lengthMismatch, "\(message)")
        let after = cached()
        for name in ["root.json", "snapshot.json", "targets.json", "targets/trusted_root.json"] {
            #expect(after[name] == before[name], "\(name) changed")
        }
    }

    @Test("A target file that does not match targets.json is refused and not stored")
    func badTarget() async throws {
        let server = try TUFRepoServer()
        defer { server.stop(); try? FileManager.default.removeItem(atPath: cacheDir) }
        try server.command("bad-target-hash")
        let error = await refusal(server)
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == "trusted_root.json does not match the sha256 hash that targets.json lists")
        #expect(cache.read("targets/trusted_root.json", limit: 1 << 20) == nil)
    }

    @Test("A repository that is not there is a network error, not a refusal")
    func noRepository() async throws {
        let server = try TUFRepoServer()
        let root = Array(try Data(contentsOf: URL(fileURLWithPath: server.rootPath)))
        let url = server.url
        server.stop()
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        await #expect(throws: WeightSealError(.network, "")) {
            try await TUFUpdater.update(repository: SigstoreTUF.Repository(url: url), initialRoot: root, cache: cache,
                                        settings: .init(timeout: 2, retries: 0))
        }
    }
}
