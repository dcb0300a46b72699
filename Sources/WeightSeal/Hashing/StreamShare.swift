import Crypto
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream's buffers shared between its owner (whole-file digest) and one helper (the other digests).
///
/// Block `b` lives in ring slot `b % slots`. Blocks are read in order, one read at a time, by both threads in turn
/// (whoever has read fewer reads next, ahead of the hashing, while a slot is free; either one reads when it has
/// nothing else to do), so each pays half of the copying and the ring stays filled ahead of both digests. A slot is read into again only once both the whole-file
/// digest and the secondary digests have consumed its previous block. The secondary digests are fed strictly in
/// order by whoever holds the token: the helper, or the owner itself while no helper is attached.
final class StreamShare: @unchecked Sendable {
    let lock = ConditionLock()
    // Guarded by `lock`.
    var ring: UnsafeMutableRawPointer?
    var slots = 1
    var blockSize = 1
    var size: UInt64 = 0
    var totalBlocks = 0
    var started = false
    /// Reads `count` bytes at `offset` into the buffer; false when the file failed (set by the owner).
    var read: (@Sendable (UnsafeMutableRawPointer, Int, UInt64) -> Bool)?
    var readCount = 0
    var readInFlight = false
    var primaryDone = 0
    var secondaryDone = 0
    var tokenHeld = false
    var helperAttached = false
    var failed = false
    var finished = false
    /// Blocks read by each side: they take turns, so each pays half the copying and the ring stays filled ahead.
    var ownerReads = 0
    var helperReads = 0
    /// Fed only by the token holder.
    var secondary = DigestSinks()

    func blockLength(_ b: Int) -> Int {
        let start = UInt64(b) * UInt64(blockSize)
        return Int(min(UInt64(blockSize), size - start))
    }

    func slot(_ b: Int) -> UnsafeMutableRawPointer? {
        ring.map { $0 + (b % slots) * blockSize }
    }

    /// The next block can be read now: no read running and its slot consumed by both sides.
    var canRead: Bool {
        !failed && !readInFlight && readCount < totalBlocks
            && readCount - primaryDone < slots && readCount - secondaryDone < slots
    }

    /// Reads the next block; called with `lock` held and `canRead` true.
    func readNextLocked() {
        let b = readCount
        guard let slot = slot(b), let read else { return }
        let length = blockLength(b)
        readInFlight = true
        lock.unlock()
        let ok = read(slot, length, UInt64(b) * UInt64(blockSize))
        lock.lock()
        readInFlight = false
        if ok { readCount = b + 1 } else { failed = true }
        lock.broadcast()
    }

    /// Feeds up to `limit` read blocks to the secondary digests; called with `lock` held and the token free.
    func drainLocked(limit: Int = Int.max) {
        tokenHeld = true
        var fed = 0
        while fed < limit, secondaryDone < readCount, let slot = slot(secondaryDone) {
            let length = blockLength(secondaryDone)
            lock.unlock()
            secondary.update(UnsafeRawBufferPointer(start: slot, count: length))
            lock.lock()
            secondaryDone += 1
            fed += 1
            lock.broadcast()
        }
        tokenHeld = false
        lock.broadcast()
    }

    /// A helper's part: keep the owner supplied with blocks and feed the secondary digests until the stream ends.
    func help() {
        lock.lock()
        helperAttached = true
        lock.broadcast()
        while !finished && !failed && !(started && secondaryDone == totalBlocks) {
            if !started {
                lock.wait()
            } else if canRead && helperReads <= ownerReads {
                helperReads += 1
                readNextLocked()
            } else if secondaryDone < readCount && !tokenHeld {
                drainLocked(limit: 1)
            } else if canRead {
                helperReads += 1
                readNextLocked()
            } else {
                lock.wait()
            }
        }
        helperAttached = false
        lock.broadcast()
        lock.unlock()
    }
}
