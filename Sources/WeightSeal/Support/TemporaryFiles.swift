#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The temporary files this process has open, for a signal handler to remove (``AtomicFile/removeTemporaryFilesOnSignals()``).
///
/// A signal handler may call only async-signal-safe functions: no allocation, no lock. So paths live in a fixed
/// table allocated once: `slotCount` slots of `slotBytes` bytes, each with a flag byte written after its path (with a
/// fence between), and cleared before the slot is reused. Writers serialise on a mutex; the handler only reads.
enum TemporaryFiles {
    static let slotCount = 64
    static let slotBytes = Int(PATH_MAX)

    /// Path bytes (NUL-terminated), `slotCount` × `slotBytes`.
    nonisolated(unsafe) static let paths: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotBytes)
        p.initialize(repeating: 0, count: slotCount * slotBytes)
        return p
    }()
    /// 1 while the slot's path is a live temporary file.
    nonisolated(unsafe) static let live: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: slotCount)
        p.initialize(repeating: 0, count: slotCount)
        return p
    }()
    private static let lock = Mutex<Int>(0)

    /// Records `path` (made absolute, so a later `chdir` cannot redirect the removal); `nil` when it does not fit
    /// a slot or every slot is taken (the file is then only removed by its owner).
    static func register(_ path: String) -> Int? {
        var full = Array(path.utf8)
        if full.first != UInt8(ascii: "/") {
            var cwd = [CChar](repeating: 0, count: slotBytes)
            guard getcwd(&cwd, cwd.count) != nil else { return nil }
            full = Array(cwd.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }) + [UInt8(ascii: "/")] + full
        }
        guard full.count < slotBytes, !full.contains(0) else { return nil }
        _ = (paths, live)  // made before any handler can run
        return lock.withLock { next -> Int? in
            for k in 0..<slotCount {
                // Round robin: a slot is reused as late as possible.
                let i = (next + k) % slotCount
                guard live[i] == 0 else { continue }
                let slot = paths + i * slotBytes
                full.withUnsafeBufferPointer { b in
                    for (j, byte) in b.enumerated() { slot[j] = CChar(bitPattern: byte) }
                }
                slot[full.count] = 0
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                live[i] = 1
                next = i + 1
                return i
            }
            return nil
        }
    }

    /// Forgets a slot: its file was renamed or removed.
    static func unregister(_ slot: Int) {
        lock.withLock { _ in
            live[slot] = 0
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        }
    }

    /// The live paths, for tests.
    static func livePaths() -> [String] {
        lock.withLock { _ in
            (0..<slotCount).filter { live[$0] != 0 }.map { String(cString: paths + $0 * slotBytes) }
        }
    }

    /// Unlinks every live path. Async-signal-safe: reads the table, calls `unlink`.
    static func removeAll() {
        var i = 0
        while i < slotCount {
            if live[i] != 0 { unlink(paths + i * slotBytes) }
            i += 1
        }
    }

    private static let installed = Mutex(false)

    static func installHandlers() {
        _ = (paths, live)
        installed.withLock { done in
            guard !done else { return }
            done = true
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                var old = sigaction()
                guard sigaction(sig, nil, &old) == 0 else { continue }
                // Started ignoring it (nohup, a background job of a non-interactive shell): keep ignoring it.
                if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
                var action = sigaction()
                action.__sigaction_handler.sa_handler = temporaryFilesSignalHandler
                sigemptyset(&action.sa_mask)
                // Reset to the default action on entry, so raising the signal again ends the process as it would have.
                action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
                sigaction(sig, &action, nil)
            }
        }
    }
}

/// Removes the temporary files, then re-raises the signal (blocked until the handler returns, then default action).
private func temporaryFilesSignalHandler(_ sig: Int32) {
    let saved = errno
    TemporaryFiles.removeAll()
    raise(sig)
    errno = saved
}
