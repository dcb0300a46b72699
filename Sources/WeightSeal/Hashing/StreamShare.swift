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
/// nothing else to do), so each pays half of the copying and the ring stays filled ahead of both digests. A slot is
/// read into again only once both the whole-file digest and the secondary digests have consumed its previous block.
/// The secondary digests are fed strictly in order by whoever holds the token: the helper, or the owner itself while
/// no helper is attached.
///
/// All shared state is in ``State``, reachable only under the share's ``ConditionMutex``: each side decides its next
/// step under the lock (``Step``), does the reading or hashing with the lock released, and records the outcome.
final class StreamShare: Sendable {
    struct State: @unchecked Sendable {  // the ring is raw memory owned by the owner's worker; slots are handed over by the protocol
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
        /// The secondary digests; moved out to the token holder while it feeds them.
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

        /// Claims the next block's read.
        mutating func beginRead() -> Step? {
            guard let slot = slot(readCount), let read else { return nil }
            readInFlight = true
            return .read(block: readCount, into: slot, count: blockLength(readCount),
                         offset: UInt64(readCount) * UInt64(blockSize), read)
        }

        /// Claims the token and the secondary digests.
        mutating func beginDrain(limit: Int) -> Step {
            tokenHeld = true
            let sinks = secondary
            secondary = DigestSinks()
            return .drain(sinks, limit: limit)
        }
    }

    /// What one side does next, with the lock released.
    enum Step: @unchecked Sendable {
        case read(block: Int, into: UnsafeMutableRawPointer, count: Int, offset: UInt64,
                  @Sendable (UnsafeMutableRawPointer, Int, UInt64) -> Bool)
        case hashPrimary(UnsafeMutableRawPointer, count: Int)
        case drain(DigestSinks, limit: Int)
        case done
    }

    private let state = ConditionMutex(State())

    // MARK: Owner

    /// The owner's side: starts the share over `ring`, hashes every block into `primary` (reading in turn with a
    /// helper, or alone), then makes sure the secondary digests have every block and that no helper still uses the
    /// ring. Returns the secondary digests, or nil when the file failed.
    func own(ring: UnsafeMutableRawPointer, slots: Int, blockSize: Int, size: UInt64, secondary: DigestSinks,
             primary: inout DigestSinks, read: @escaping @Sendable (UnsafeMutableRawPointer, Int, UInt64) -> Bool) -> DigestSinks? {
        let blocks = Int(size / UInt64(blockSize) + (size % UInt64(blockSize) == 0 ? 0 : 1))
        state.update { s in
            s.ring = ring
            s.slots = slots
            s.blockSize = blockSize
            s.size = size
            s.totalBlocks = blocks
            s.secondary = secondary
            s.read = read
            s.started = true
        }
        // Hash every block into the whole-file digest; read when nothing is ready.
        while true {
            let step: Step = state.next { s in
                if s.failed || s.primaryDone >= blocks { return .done }
                if s.helperAttached && s.canRead && s.ownerReads < s.helperReads {
                    s.ownerReads += 1
                    return s.beginRead()
                }
                if s.primaryDone < s.readCount, let slot = s.slot(s.primaryDone) {
                    return .hashPrimary(slot, count: s.blockLength(s.primaryDone))
                }
                if s.canRead {
                    s.ownerReads += 1
                    return s.beginRead()
                }
                if !s.helperAttached && !s.tokenHeld && s.secondaryDone < s.readCount { return s.beginDrain(limit: .max) }
                return nil
            }
            if case .done = step { break }
            if case .hashPrimary(let slot, let count) = step {
                primary.update(UnsafeRawBufferPointer(start: slot, count: count))
                state.update { $0.primaryDone += 1 }
            } else {
                perform(step)
            }
        }
        // Then make sure the secondary digests have every block.
        while true {
            let step: Step = state.next { s in
                if s.failed || s.secondaryDone >= blocks { return .done }
                if !s.helperAttached && !s.tokenHeld { return s.beginDrain(limit: .max) }
                return nil
            }
            if case .done = step { break }
            perform(step)
        }
        // A helper may still be reading into or hashing from our ring: wait for it before the ring is reused.
        return state.next { s -> DigestSinks?? in
            if s.tokenHeld || s.readInFlight { return nil }
            s.finished = true
            s.read = nil
            return .some(s.failed ? nil : s.secondary)
        }
    }

    /// Ends a share whose file could not be opened: a helper waiting for it goes.
    func finishWithoutReading() {
        state.update { $0.finished = true }
    }

    // MARK: Helper

    /// A helper's part: keep the owner supplied with blocks and feed the secondary digests until the stream ends.
    func help() {
        state.update { $0.helperAttached = true }
        while true {
            let step: Step = state.next { s in
                if s.finished || s.failed || (s.started && s.secondaryDone == s.totalBlocks) { return .done }
                guard s.started else { return nil }
                if s.canRead && s.helperReads <= s.ownerReads {
                    s.helperReads += 1
                    return s.beginRead()
                }
                if s.secondaryDone < s.readCount && !s.tokenHeld { return s.beginDrain(limit: 1) }
                if s.canRead {
                    s.helperReads += 1
                    return s.beginRead()
                }
                return nil
            }
            if case .done = step { break }
            perform(step)
        }
        state.update { $0.helperAttached = false }
    }

    // MARK: Steps

    /// Reads a block or feeds blocks to the secondary digests, with the lock released, and records the outcome.
    private func perform(_ step: Step) {
        switch step {
        case .read(let b, let slot, let count, let offset, let read):
            let ok = read(slot, count, offset)
            state.update { s in
                s.readInFlight = false
                if ok { s.readCount = b + 1 } else { s.failed = true }
            }
        case .drain(var sinks, let limit):
            // The token holder alone feeds the secondary digests, block by block in order.
            var fed = 0
            while fed < limit, let (slot, count) = state.update({ s -> (UnsafeMutableRawPointer, Int)? in
                guard s.secondaryDone < s.readCount, let slot = s.slot(s.secondaryDone) else { return nil }
                return (slot, s.blockLength(s.secondaryDone))
            }) {
                sinks.update(UnsafeRawBufferPointer(start: slot, count: count))
                state.update { $0.secondaryDone += 1 }
                fed += 1
            }
            state.update { s in
                s.secondary = sinks
                s.tokenHeld = false
            }
        case .hashPrimary, .done:
            break
        }
    }
}
