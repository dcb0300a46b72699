#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of the last path opened or looked up, kept open so that the next file in the same folder is reached
/// by its name alone (`openat`, `fstatat`) instead of its whole path again: files come in path order, and the kernel
/// otherwise looks up every component of every path. One per thread; what it reaches is what the whole path reaches
/// at the time the folder is opened.
struct DirectoryCache: ~Copyable {
    private var folder: String?
    private var fd: Int32 = -1
    /// The open folder's device and inode, to tell whether its path still leads to it.
    private var opened: (device: UInt64, inode: UInt64)?

    init() {}

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The folder's descriptor and the name within it; `AT_FDCWD` and the whole path when the path has no folder or
    /// the folder cannot be opened (the call on the whole path then gives the error a caller reports).
    private mutating func split(_ path: String) -> (Int32, String) {
        guard let dir = Self.folder(of: path) else { return (AT_FDCWD, path) }
        let name = String(path[path.utf8.index(after: dir.endIndex)...])
        if let folder, fd >= 0, folder.utf8.elementsEqual(dir.utf8) { return (fd, name) }
        if fd >= 0 { close(fd) }
        fd = open(String(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        folder = String(dir)
        var st = stat()
        opened = fd >= 0 && fstat(fd, &st) == 0 ? (UInt64(truncatingIfNeeded: st.st_dev), UInt64(truncatingIfNeeded: st.st_ino)) : nil
        return fd >= 0 ? (fd, name) : (AT_FDCWD, path)
    }

    /// The folder of `path` (what is before its last `/`), as the cache keys it; nil for a path without one.
    static func folder(of path: String) -> Substring? {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return nil }
        return path[..<slash]
    }

    /// Whether the folder kept open is still the one its path leads to (true when none is open). A folder renamed
    /// away and replaced while its files were looked up would otherwise answer for files no longer at their paths.
    func folderUnchanged() -> Bool {
        guard let folder, fd >= 0 else { return true }
        var st = stat()
        guard stat(folder, &st) == 0, let opened else { return false }
        return opened == (UInt64(truncatingIfNeeded: st.st_dev), UInt64(truncatingIfNeeded: st.st_ino))
    }

    /// `open(path, flags)`, relative to the cached folder.
    mutating func openFile(_ path: String, flags: Int32) -> Int32 {
        let (dir, name) = split(path)
        return openat(dir, name, flags)
    }

    /// `stat(path)` (following symlinks), relative to the cached folder; `nil` when nothing is there.
    mutating func identity(_ path: String) -> FileIdentity? {
        let (dir, name) = split(path)
        var st = stat()
        guard fstatat(dir, name, &st, 0) == 0 else { return nil }
        return FileIdentity(st)
    }
}
