import Dispatch
#if canImport(CoreFoundation)
import CoreFoundation  // `struct stat` is owned by CoreFoundation's module once Yams is imported (MemberImportVisibility)
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one state of a file from another without reading it: device, inode, size, modification time and
/// status-change time (both with nanoseconds). Taken when a folder is walked, from the open descriptor once the file
/// has been read, and from the path afterwards: if any differs, the bytes hashed are not known to be the bytes now at
/// the path. The change time moves on every write and cannot be set back (`utimensat` sets only the access and
/// modification times), so a write whose modification time is put back is seen too.
///
/// A write that keeps the size and lands within the file system's timestamp granularity is not seen; every other
/// change, replacement (`rename` over the path, a new inode) or removal is. A change of the file's status alone
/// (`chmod`, a new hard link) counts as a change: nothing tells it from a write.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    /// Size in bytes.
    public var size: UInt64
    /// Modification time: seconds and nanoseconds since the epoch.
    public var modifiedSeconds: Int64
    public var modifiedNanoseconds: Int64
    /// Status-change time (`st_ctim`): seconds and nanoseconds since the epoch.
    public var changedSeconds: Int64
    public var changedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: UInt64, modifiedSeconds: Int64, modifiedNanoseconds: Int64,
                changedSeconds: Int64 = 0, changedNanoseconds: Int64 = 0) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedSeconds = changedSeconds
        self.changedNanoseconds = changedNanoseconds
    }

    init(_ st: stat) {
        #if canImport(Darwin)
        let mtime = st.st_mtimespec, ctime = st.st_ctimespec
        #else
        let mtime = st.st_mtim, ctime = st.st_ctim
        #endif
        self.init(device: UInt64(truncatingIfNeeded: st.st_dev), inode: UInt64(truncatingIfNeeded: st.st_ino),
                  size: UInt64(clamping: st.st_size), modifiedSeconds: Int64(mtime.tv_sec), modifiedNanoseconds: Int64(mtime.tv_nsec),
                  changedSeconds: Int64(ctime.tv_sec), changedNanoseconds: Int64(ctime.tv_nsec))
    }

    /// The identity of the file at `path` now (following symlinks), or `nil` when nothing is there.
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        self.init(st)
    }

    /// The identity of an open descriptor, or `nil` when `fstat` fails.
    public init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.init(st)
    }

    public var description: String {
        "device \(device), inode \(inode), \(size) bytes, modified \(modifiedSeconds).\(String(repeating: "0", count: max(0, 9 - String(modifiedNanoseconds).count)))\(modifiedNanoseconds)"
    }

    /// How `later` differs from this identity, in words, or `nil` when it is the same file in the same state.
    /// A `nil` `later` means the path no longer leads to a file.
    public func change(to later: FileIdentity?) -> String? {
        guard let later else { return "it is gone" }
        if later.device != device || later.inode != inode { return "it was replaced by another file (inode \(inode) → \(later.inode))" }
        if later.size != size { return "its size went from \(size) to \(later.size) bytes" }
        if later.modifiedSeconds != modifiedSeconds || later.modifiedNanoseconds != modifiedNanoseconds {
            return "it was modified (same size, new modification time)"
        }
        if later.changedSeconds != changedSeconds || later.changedNanoseconds != changedNanoseconds {
            return "it was written or its status changed (same size and modification time, new change time)"
        }
        return nil
    }

    /// What changed about a file between its walk and the end of its check: the identity `walked` (from the walk;
    /// `nil` when the caller had none), `read` (from the descriptor after the last byte was read; `nil` when not
    /// known), and the file at `path` now. `nil` when all agree.
    /// ``change(walked:read:path:)`` for each file of a hashing run, on every core (one `stat` per file): `walked(k)`
    /// is the walked file of `results[k]`. `nil` where nothing changed or the file failed to hash.
    static func changes(results: [HashResult], walked: @Sendable (Int) -> WalkedFile) -> [String?] {
        var changes = [String?](repeating: nil, count: results.count)
        changes.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let parts = results.count < 4096 ? 1 : activeProcessorCount()
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                // Files in path order: each is looked up by name in its folder, kept open. Once a folder's files are
                // done, its path must still lead to it; if not, they are looked up again by their whole paths.
                var dirs = DirectoryCache()
                let range = (results.count * part / parts)..<(results.count * (part + 1) / parts)
                var runStart = range.lowerBound
                var runFolder: Substring?
                func endRun(_ end: Int) {
                    guard !dirs.folderUnchanged() else { return }
                    for k in runStart..<end where results[k].error == nil {
                        let w = walked(k)
                        out[k] = change(walked: w.identity, read: results[k].identity, path: w.fsPath)
                    }
                }
                for k in range where results[k].error == nil {
                    let w = walked(k)
                    let folder = DirectoryCache.folder(of: w.fsPath)
                    if folder != runFolder {
                        endRun(k)
                        (runStart, runFolder) = (k, folder)
                    }
                    out[k] = change(walked: w.identity, read: results[k].identity, now: { dirs.identity(w.fsPath) })
                }
                endRun(range.upperBound)
            }
        }
        return changes
    }

    public static func change(walked: FileIdentity?, read: FileIdentity?, path: String) -> String? {
        change(walked: walked, read: read, now: { FileIdentity(path: path) })
    }

    /// ``change(walked:read:path:)`` with the file's identity now given by `now` (looked up only if needed).
    static func change(walked: FileIdentity?, read: FileIdentity?, now: () -> FileIdentity?) -> String? {
        guard let first = walked ?? read else { return nil }
        if let read, let c = first.change(to: read) { return c + " while it was read" }
        if let c = first.change(to: now()) { return c }
        return nil
    }
}
