import Foundation

/// A temporary folder for one test, removed when the value goes away (or by ``remove()``).
public final class TempDir: @unchecked Sendable {
    /// The folder.
    public let path: String
    /// The folder as a URL.
    public var url: URL { URL(fileURLWithPath: path) }

    public init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("weightseal-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `rel` inside the folder.
    public func p(_ rel: String) -> String { path + "/" + rel }

    /// The URL of `rel` inside the folder.
    public func url(_ rel: String) -> URL { url.appendingPathComponent(rel) }

    /// Writes `bytes` to `rel`, making folders on the way; returns the path.
    @discardableResult
    public func write(_ rel: String, _ bytes: [UInt8]) -> String {
        let u = url(rel)
        try? FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: u.path, contents: Data(bytes))
        return u.path
    }

    @discardableResult
    public func write(_ rel: String, _ text: String) -> String { write(rel, Array(text.utf8)) }

    /// The bytes of `rel` (empty when it cannot be read).
    public func read(_ rel: String) -> [UInt8] { Array((try? Data(contentsOf: url(rel))) ?? Data()) }

    /// Removes `rel`.
    public func remove(_ rel: String) { try? FileManager.default.removeItem(at: url(rel)) }

    /// Removes the whole folder now.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// A symlink at `rel` to `target` (as written).
    public func symlink(_ rel: String, to target: String) {
        try? FileManager.default.createDirectory(at: url(rel).deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(atPath: url(rel).path, withDestinationPath: target)
    }

    /// Copies this folder's tree to a new temporary folder.
    public func copy() -> TempDir {
        let other = TempDir()
        try? FileManager.default.removeItem(atPath: other.path)
        try? FileManager.default.copyItem(atPath: path, toPath: other.path)
        return other
    }
}

/// The repository root: test vectors and scripts are found by path, as swift-crypto's tests do.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
