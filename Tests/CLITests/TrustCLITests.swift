import Foundation
import WeightSealTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `Tests/Servers/tuf_repo.py serve` (python-tuf 7.0.1) on 127.0.0.1, driven by commands on its standard input.
final class TUFRepoProcess {
    let process = Process()
    let input = Pipe()
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tufrepo-out-\(UUID().uuidString)").path
    let scratch = TempDir()
    private(set) var port = 0
    private var answers = 0

    var url: String { "http://127.0.0.1:\(port)" }
    var rootPath: String { scratch.p("root.json") }

    init() throws {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: pythonPeer + "/bin/python")
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/Servers/tuf_repo.py").path, "serve", scratch.path]
        process.standardInput = input
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let first = try line(0)
        guard first.hasPrefix("PORT "), let p = Int(first.dropFirst(5)) else { throw CocoaError(.fileReadCorruptFile) }
        port = p
    }

    /// Line `n` of the script's output, waiting for it (30 s at most).
    private func line(_ n: Int) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > n + 1 { return String(lines[n]) }
            usleep(20_000)
        }
        throw CocoaError(.fileReadUnknown)
    }

    func command(_ name: String) throws {
        input.fileHandleForWriting.write(Data((name + "\n").utf8))
        answers += 1
        let answer = try line(answers)
        #expect(answer.hasPrefix("OK"), "\(name): \(answer)")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: output)
    }
}

@Suite("CLI: trust update / trust show",
       .enabled(if: pythonPeerPresent, "Python peer absent: run scripts/setup-python-peer.sh (or set WEIGHTSEAL_PYREF)"))
struct TrustCLITests {
    @Test("trust update fetches into the cache and says what it trusts; a refused update exits 2 with the reason")
    func update() throws {
        let server = try TUFRepoProcess()
        defer { server.stop() }
        let cache = TempDir()
        let env = ["WEIGHTSEAL_CACHE_DIR": cache.path]
        let repoDir = cache.p("tuf/" + "http%3A%2F%2F127.0.0.1%3A\(server.port)")

        let noRoot = try run(["trust", "update", "--tuf-url", server.url], environment: env)
        #expect(noRoot.status == 2)
        #expect(noRoot.stderr.contains("weightseal has no root for \(server.url): give its root.json with --root the first time"))

        let first = try run(["trust", "update", "--tuf-url", server.url, "--root", server.rootPath], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("TUF repository \(server.url): trusted"))
        #expect(first.stdout.contains("  timestamp version 1, expires "))
        #expect(first.stdout.contains("  trusted_root.json: 6787 bytes, sha256 "))
        #expect(first.stdout.contains("cache: \(repoDir)"))
        #expect(FileManager.default.fileExists(atPath: repoDir + "/targets/trusted_root.json"))

        // Later runs start from the stored root.
        try server.command("rotate-root")
        let json = try run(["trust", "update", "--tuf-url", server.url, "--json"], environment: env)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let roles = report?["roles"] as? [[String: Any]] ?? []
        #expect(roles.map { $0["version"] as? Int } == [2, 2, 1, 1])
        #expect(report?["rootVersionBefore"] as? Int == 1)

        try server.command("expire-timestamp")
        let expired = try run(["trust", "update", "--tuf-url", server.url], environment: env)
        #expect(expired.status == 2)
        #expect(expired.stderr == "weightseal: error: timestamp.json expired at 2020-01-01T00:00:00Z (version 3)\n")
    }

    @Test("verify-bundle and trust show use the fetched production trusted root when it is not older than the embedded one")
    func verifyUsesCachedRoot() throws {
        let cache = TempDir()
        let env = ["WEIGHTSEAL_CACHE_DIR": cache.path]
        let args = conformanceArguments("happy-path-v0.3") + ["--json"]
        let embedded = try run(args, environment: env)
        #expect(embedded.status == 0, "\(embedded.stdout)")
        #expect(embedded.stdout.contains("\"trustedRoot\" : \"embedded public-good trusted root\""))

        // What `trust update` stores for the production repository (here sigstore-python's copy of the same root).
        let stored = "tuf/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/targets/trusted_root.json"
        let production = pythonPeerSigstoreStore + "/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json"
        cache.write(stored, Array(try Data(contentsOf: URL(fileURLWithPath: production))))
        let cached = try run(args, environment: env)
        #expect(cached.status == 0, "\(cached.stdout)")
        #expect(cached.stdout.contains("\"trustedRoot\" : \"\(cache.p(stored)) (fetched by `weightseal trust update` from https://tuf-repo-cdn.sigstore.dev)\""))
        let show = try run(["trust", "show"], environment: env)
        #expect(show.stdout.hasPrefix("trusted root: \(cache.p(stored)) (fetched by"))

        cache.write(stored, "not json")
        let damaged = try run(args, environment: env)
        #expect(damaged.status == 2)
        #expect(damaged.stderr.contains("the trusted root that `weightseal trust update` stored cannot be used"))
        // --trusted-root still overrides the cache.
        let given = try run(args + ["--trusted-root", production], environment: env)
        #expect(given.status == 0)
    }
}

/// sigstore-python's bundled trust material (`sigstore/_store`) in the Python peer venv.
let pythonPeerSigstoreStore: String = {
    let lib = pythonPeer + "/lib"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
    let python = versions.first { $0.hasPrefix("python3") } ?? "python3"
    return lib + "/" + python + "/site-packages/sigstore/_store"
}()
