import CWeightSealBLAKE3

/// BLAKE3 (the BLAKE3 specification, `BLAKE3-team/BLAKE3-specs` `blake3.pdf`), written for weightseal.
///
/// The three modes of spec §2.5 (hash, keyed hash, key derivation) with extendable output (§2.6). Input is hashed a
/// subtree at a time: 4, 8 or 16 chunks of 1 KiB go through the compression function together with SSE4.1, AVX2 or
/// AVX-512 when the CPU has them (``simdLevel``), a portable compression function otherwise. It is checked against the
/// official test vectors (`Tests/WeightSealTests/Resources/blake3/test_vectors.json`) and `b3sum`.
///
/// Like swift-crypto's `HashFunction`: ``init()``, ``update(_:)``, ``finalize()``; a value type, so a copy
/// forks the state. For one file hashed on several threads, see ``init(subtreeOf:firstChunk:)`` and
/// ``combine(mode:chainingValues:length:)``.
public struct BLAKE3: Sendable {
    /// Bytes in a BLAKE3 chunk, the leaf of the tree.
    public static let chunkSize = 1024

    var state = ws_b3_hasher()

    /// The default hash mode.
    public init() {
        ws_b3_init(&state)
    }

    /// Keyed hash mode (a MAC or PRF).
    /// - Throws: ``WeightSealError/Code/invalidArgument`` unless `key` has exactly 32 bytes.
    public init(key: [UInt8]) throws(WeightSealError) {
        guard key.count == 32 else {
            throw WeightSealError(.invalidArgument, "a BLAKE3 key has 32 bytes, not \(key.count)")
        }
        key.withUnsafeBufferPointer { ws_b3_init_keyed(&state, $0.baseAddress) }
    }

    /// Key derivation mode: `context` (a hard-coded, globally unique string) selects the derived key's purpose.
    public init(deriveKeyContext context: String) {
        let bytes = Array(context.utf8)
        bytes.withUnsafeBufferPointer { ws_b3_init_derive_key(&state, $0.baseAddress, $0.count) }
    }

    /// A hasher for the subtree of a larger input that starts at chunk `firstChunk`, in the mode of `mode` (a
    /// hasher not yet fed): its ``chainingValue()`` is one input of ``combine(mode:chainingValues:length:)``.
    ///
    /// The subtrees of one input must be consecutive, each but the last of the same power-of-two number of chunks
    /// (`firstChunk` a multiple of it), the last no larger, and at least two of them: that is where the spec's tree
    /// (§2.4: the left subtree holds the largest power of two of chunks that leaves at least one byte for the right)
    /// has nodes, so the result equals hashing the whole input at once.
    public init(subtreeOf mode: BLAKE3, firstChunk: UInt64) {
        var m = mode.state
        ws_b3_init_subtree(&state, &m, firstChunk)
    }

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        ws_b3_update(&state, base, bytes.count)
    }

    /// Adds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The first `length` bytes of output (32 by default, the standard digest), starting at byte `seek` of the
    /// extendable output. The state is unchanged: more input may follow.
    public func finalize(length: Int = 32, seek: UInt64 = 0) -> [UInt8] {
        guard length > 0 else { return [] }
        var s = state
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            ws_b3_finalize_seek(&s, seek, buffer.baseAddress, length)
            count = length
        }
    }

    /// A subtree hasher's chaining value (32 bytes; not a digest).
    public func chainingValue() -> [UInt8] {
        var s = state
        return [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            ws_b3_finalize_cv(&s, buffer.baseAddress)
            count = 32
        }
    }

    /// The digest of an input hashed as consecutive subtrees (see ``init(subtreeOf:firstChunk:)``).
    /// - Parameters:
    ///   - mode: a hasher of the mode used, not fed.
    ///   - chainingValues: each subtree's ``chainingValue()``, in order; at least two, 32 bytes each.
    ///   - length: output bytes.
    /// - Returns: `length` bytes, or `[]` when fewer than two chaining values (or one not of 32 bytes) are given.
    public static func combine(mode: BLAKE3, chainingValues: [[UInt8]], length: Int = 32) -> [UInt8] {
        guard chainingValues.count >= 2, chainingValues.allSatisfy({ $0.count == 32 }), length > 0 else { return [] }
        let flat = chainingValues.flatMap { $0 }
        var m = mode.state
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            flat.withUnsafeBufferPointer { ws_b3_combine(&m, $0.baseAddress, chainingValues.count, buffer.baseAddress, length) }
            count = length
        }
    }

    /// The digest (32 bytes) of `bytes` in the default mode.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var h = BLAKE3()
        h.update(bytes)
        return h.finalize()
    }

    /// The SIMD code in use: 0 portable, 1 SSE4.1 (4 chunks at once), 2 AVX2 (8), 3 AVX-512 (16).
    public static var simdLevel: Int { Int(ws_b3_simd_level()) }

    /// Caps the SIMD level (tests compare every level against the vectors; benches measure them).
    public static func setMaximumSIMDLevel(_ level: Int) {
        ws_b3_set_max_level(Int32(clamping: level))
    }
}

extension BLAKE3 {
    /// How ``updateMapped(fd:offset:length:residentOnly:first:second:step:)`` ended.
    enum MappedUpdate: Equatable {
        /// Every byte was hashed.
        case done
        /// The file shrank under the mapping (SIGBUS, caught): the hashers hold a partial state.
        case changed
        /// A mapped page could not be read while the file kept its length (an I/O error, caught as SIGBUS).
        case readError
        /// The first `hashed` bytes were fed (whole windows); the rest is not mapped or, when that was required, not
        /// in the page cache: read it instead.
        case unavailable(hashed: Int)
    }

    /// Feeds `length` bytes of `fd` from `offset` into `first` and `second` through a guarded read-only mapping
    /// (`CWeightSealBLAKE3/mapped.c`), a few MiB at a time: no copy into a buffer, and a file truncated meanwhile ends
    /// the call instead of the process. `step` bytes go to one hasher, then the same to the other.
    static func updateMapped(fd: Int32, offset: UInt64, length: Int, residentOnly: Bool,
                             first: inout BLAKE3?, second: inout BLAKE3?, step: Int) -> MappedUpdate {
        var hashed = 0
        func call(_ a: UnsafeMutablePointer<ws_b3_hasher>?, _ b: UnsafeMutablePointer<ws_b3_hasher>?) -> Int32 {
            ws_b3_update_mapped(fd, offset, length, residentOnly ? 1 : 0, a, b, step, &hashed)
        }
        let code: Int32
        switch (first != nil, second != nil) {
        case (true, true):
            code = withUnsafeMutablePointer(to: &first!.state) { a in withUnsafeMutablePointer(to: &second!.state) { call(a, $0) } }
        case (true, false):
            code = withUnsafeMutablePointer(to: &first!.state) { call($0, nil) }
        case (false, true):
            code = withUnsafeMutablePointer(to: &second!.state) { call($0, nil) }
        case (false, false):
            return .done
        }
        switch code {
        case 0: return .done
        case Int32(WS_B3_MAP_FAULT): return .changed
        case Int32(WS_B3_MAP_IO_ERROR): return .readError
        default: return .unavailable(hashed: hashed)
        }
    }
}
