import Foundation
import WeightSealTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local Sigstore stack (`Tests/Servers/sigstore_stack.py`: OIDC issuer, Fulcio, Rekor, TSA on 127.0.0.1) run
/// with the Python peer's interpreter in a temporary folder, for keyless tests. Stop it with ``stop()``.
final class SigstoreStack: @unchecked Sendable {
    /// The folder the stack writes its files to (removed by ``stop()``).
    let dir: String
    private let process: Process

    /// `trust_config.json`: the ClientTrustConfig (trusted root and signing config) of this run.
    var trustConfig: String { dir + "/trust_config.json" }
    /// `trusted_root.json`: the trusted root alone.
    var trustedRoot: String { dir + "/trusted_root.json" }
    /// Path of the identity token file.
    var tokenPath: String { dir + "/token" }
    /// The OIDC identity token (a JWT the stack's Fulcio accepts).
    let token: String
    /// The SAN Fulcio puts in certificates for ``token`` (an email, or a workflow URI for `--identity-kind github`).
    let identity: String
    /// The OIDC issuer URL (the certificate's issuer extension).
    let issuer: String
    /// Base URLs: `oidc`, `fulcio`, `rekor`, `rekorV2` (with `--rekor-v2`), `tsa` (unless `--no-tsa`).
    let urls: [String: String]

    static let script = repositoryRoot.appendingPathComponent("Tests/Servers/sigstore_stack.py").path
    static var python: String { pythonPeer + "/bin/python" }
    /// Whether the Python peer (with `cryptography` and `asn1crypto`, which the stack needs) is installed.
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) && pythonPeerPresent }

    /// Starts a stack and waits (at most `timeout` seconds) for its `ready` file.
    /// - Parameter arguments: extra flags (`--identity-kind github`, `--rekor-v2`, `--token-ttl -60`, ...).
    /// - Returns: `nil`, with a printed reason, when the Python peer is absent (the caller skips).
    /// - Throws: when the stack does not come up in time or exits, with its standard error.
    static func start(_ arguments: [String] = [], timeout: TimeInterval = 20) throws -> SigstoreStack? {
        guard available else {
            print("SigstoreStack: skipped, no Python peer at \(pythonPeer) (run scripts/setup-python-peer.sh)")
            return nil
        }
        return try SigstoreStack(arguments: arguments, timeout: timeout)
    }

    private init(arguments: [String], timeout: TimeInterval) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-stack-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let errorLog = dir + "/stderr.log"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script, dir] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorLog))
        try process.run()
        let ready = dir + "/ready"
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: ready) {
            if !process.isRunning || Date() > deadline {
                let why = process.isRunning ? "no ready file after \(Int(timeout)) s" : "exited with \(process.terminationStatus)"
                Self.end(process)
                let stderr = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
                try? FileManager.default.removeItem(atPath: dir)
                throw StackError(description: "sigstore_stack.py \(why): \(stderr)")
            }
            usleep(50_000)
        }
        let folder = dir
        func text(_ name: String) -> String {
            ((try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        token = text("token")
        identity = text("identity")
        issuer = text("issuer")
        let json = (try? JSONSerialization.jsonObject(with: Data(text("urls.json").utf8))) as? [String: Any] ?? [:]
        urls = json.compactMapValues { $0 as? String }
        if token.isEmpty || identity.isEmpty || issuer.isEmpty || urls["rekor"] == nil {
            stop()
            throw StackError(description: "sigstore_stack.py is ready but its token, identity, issuer or urls.json is missing")
        }
    }

    /// Ends the stack and removes its folder. Safe to call twice.
    func stop() {
        Self.end(process)
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }

    /// SIGKILL and reap: the test runner may leave SIGTERM blocked in children, and the stack keeps no state worth a
    /// clean exit.
    private static func end(_ p: Process) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    struct StackError: Error, CustomStringConvertible {
        var description: String
    }
}
