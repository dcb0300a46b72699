import Crypto

/// A digest being computed in either ``HashAlgorithm``: the engine's one type for whole-file, chunk and range
/// digests, and the mirror audit's for response bodies.
public struct RunningDigest: Sendable {
    private var sha256: SHA256?
    private var blake3: BLAKE3?

    public init(_ algorithm: HashAlgorithm) {
        switch algorithm {
        case .sha256: sha256 = SHA256()
        case .blake3: blake3 = BLAKE3()
        }
    }

    /// A BLAKE3 digest that carries on from `state` (bytes already fed elsewhere).
    init(continuing state: BLAKE3) {
        blake3 = state
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256?.update(bufferPointer: bytes)
        blake3?.update(bytes)
    }

    /// The 32-byte digest of the bytes so far; the state is unchanged.
    public func finalize() -> [UInt8] {
        if let sha256 { return Array(sha256.finalize()) }
        return blake3?.finalize() ?? []
    }
}
