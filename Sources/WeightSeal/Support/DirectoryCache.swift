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

    init() {}

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The folder's descriptor and the name within it; `AT_FDCWD` and the whole path when the path has no folder or
    /// the folder cannot be opened (the call on the whole path then gives the error a caller reports).
    private mutating func split(_ path: String) -> (Int32, String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else {
            return (AT_FDCWD, path)
        }
        let name = String(path[path.utf8.index(after: slash)...])
        let dir = Substring(path[..<slash])
        if let folder, fd >= 0, folder.utf8.elementsEqual(dir.utf8) { return (fd, name) }
        if fd >= 0 { close(fd) }
        fd = open(String(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        folder = String(dir)
        return fd >= 0 ? (fd, name) : (AT_FDCWD, path)
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
