import Foundation
import WeightSeal
import WeightSealTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real HTTP servers on 127.0.0.1 for the mirror tests: nginx (Debian package `nginx`) and the scripted Hub imitation
/// in `Tests/Servers/hubserver.py`. Each test starts its own and stops it.
enum TestServers {
    static let repoRoot: URL = repositoryRoot
    static let serversDir = repoRoot.appendingPathComponent("Tests/Servers")

    static func which(_ name: String, extra: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + extra
        for d in dirs {
            let p = d + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static let nginxPath = which("nginx", extra: ["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin", "/usr/local/bin"])
    static let pythonPath = which("python3")
    /// In CI (`CI` set) the server tests always run, so a missing nginx fails them instead of skipping.
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil
    static let nginxUsable = nginxPath != nil || inCI
    static let pythonUsable = pythonPath != nil || inCI
}

struct ServerError: Error, CustomStringConvertible {
    var description: String
}


/// nginx serving `root` on a free port, in the foreground, with its pid, logs and temp files in a temp folder.
final class NginxServer: @unchecked Sendable {
    let prefix: TempDir
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(root: String) throws {
        guard let nginx = TestServers.nginxPath else {
            throw ServerError(description: "nginx is not installed (Debian: apt-get install -y nginx)")
        }
        prefix = TempDir()
        var lastError = ""
        for _ in 0..<5 {
            let port = try freePort()
            var mime = "/etc/nginx/mime.types"
            if !FileManager.default.fileExists(atPath: mime) {
                mime = prefix.path + "/mime.types"
                try "types { application/octet-stream bin; }\n".write(toFile: mime, atomically: true, encoding: .utf8)
            }
            let template = try String(contentsOf: TestServers.serversDir.appendingPathComponent("nginx.conf.template"), encoding: .utf8)
            let conf = template.replacingOccurrences(of: "@PREFIX@", with: prefix.path)
                .replacingOccurrences(of: "@ROOT@", with: root)
                .replacingOccurrences(of: "@PORT@", with: String(port))
                .replacingOccurrences(of: "@MIME@", with: mime)
            try conf.write(toFile: prefix.path + "/nginx.conf", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: nginx)
            p.arguments = ["-p", prefix.path, "-c", prefix.path + "/nginx.conf", "-e", prefix.path + "/error.log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if waitForPort(port, seconds: 5), p.isRunning {
                self.port = port
                started = p
                return
            }
            killAndWait(p)
            lastError = (try? String(contentsOfFile: prefix.path + "/error.log", encoding: .utf8)) ?? ""
        }
        prefix.remove()
        throw ServerError(description: "nginx did not start: \(lastError)")
    }

    private var started: Process?

    func stop() {
        if let p = started { killAndWait(p) }
        prefix.remove()
    }
}

/// `Tests/Servers/hubserver.py` serving `root`, with faults from a JSON object.
final class HubServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let faultsFile: TempDir
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(root: String, faults: [String: [String: Any]] = [:], commit: String = String(repeating: "a", count: 40)) throws {
        guard let python = TestServers.pythonPath else { throw ServerError(description: "python3 is not installed") }
        faultsFile = TempDir()
        let faultsPath = faultsFile.path + "/faults.json"
        try JSONSerialization.data(withJSONObject: faults).write(to: URL(fileURLWithPath: faultsPath))
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [TestServers.serversDir.appendingPathComponent("hubserver.py").path, root,
                             "--faults", faultsPath, "--commit", commit]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("\n"), Date() < deadline {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        guard text.hasPrefix("PORT "), let p = Int(text.dropFirst(5).prefix { $0.isNumber }) else {
            killAndWait(process)
            throw ServerError(description: "hubserver did not start: \(text)")
        }
        port = p
    }

    func stop() {
        killAndWait(process)
        faultsFile.remove()
    }
}

/// Deterministic test bytes (xorshift), so every run serves the same files.
func testBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

/// A small model: two chunked shards and two small files, written to `dir`, with its Reference built by hashing
/// the files with ``ChunkedHasher`` (no signing at library level).
struct TestModel {
    static let chunkSize: UInt64 = 64 * 1024
    static let files: [(String, Int, Bool)] = [
        ("model-00001-of-00002.safetensors", 1 << 20, true),          // 16 chunks
        ("model-00002-of-00002.safetensors", 600 * 1024 + 123, true), // 10 chunks, the last short
        ("config.json", 321, false),
        ("sub dir/tokenizer.json", 5000, false),
    ]
    let reference: Reference
    let contents: [String: [UInt8]]

    init(writingTo dir: TempDir) throws {
        var contents: [String: [UInt8]] = [:]
        var requests: [HashRequest] = []
        for (i, (path, size, chunked)) in Self.files.enumerated() {
            let bytes = testBytes(size, seed: UInt64(i + 1) * 7919)
            contents[path] = bytes
            dir.write(path, bytes)
            requests.append(HashRequest(path: dir.path + "/" + path, size: UInt64(size), wholeFile: true,
                                        chunkSize: chunked ? Self.chunkSize : nil))
        }
        let results = ChunkedHasher(jobs: 2).hash(requests)
        var expected: [ExpectedFile] = []
        for (i, (path, size, chunked)) in Self.files.enumerated() {
            let r = results[i]
            if chunked {
                var ranges: [ExpectedRange] = []
                for (c, d) in r.chunks.enumerated() {
                    let start = UInt64(c) * Self.chunkSize
                    ranges.append(ExpectedRange(start: start, end: min(start + Self.chunkSize, UInt64(size)), sha256: d))
                }
                expected.append(ExpectedFile(path: path, size: UInt64(size), check: .ranges(ranges, whole: r.sha256)))
            } else {
                expected.append(ExpectedFile(path: path, size: UInt64(size), check: .sha256(r.sha256 ?? [])))
            }
        }
        reference = Reference(kind: .weightsealManifest, isSigned: true, files: expected, ignorePaths: [],
                              symlinks: .reject, label: "test model.sig")
        self.contents = contents
    }

    /// Writes a copy of the model into `dir/name`, then applies `change` to the copy's files.
    func copy(into dir: TempDir, at name: String, change: (inout [String: [UInt8]]) -> Void = { _ in }) throws {
        var c = contents
        change(&c)
        for (path, bytes) in c { dir.write(name + "/" + path, bytes) }
    }
}
