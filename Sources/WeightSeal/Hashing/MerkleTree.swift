import Crypto

/// Merkle tree hash of RFC 9162 §2.1 (same as RFC 6962 §2.1) over SHA-256.
///
/// `MTH({}) = SHA-256()`, leaf `SHA-256(0x00 ‖ d)`, node `SHA-256(0x01 ‖ left ‖ right)`, split at the largest power of
/// two smaller than the number of leaves.
public enum MerkleTree {
    /// Hash of one leaf: `SHA-256(0x00 ‖ data)` (32 bytes).
    public static func leafHash(_ data: some Sequence<UInt8>) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: Array(data))
        return Array(h.finalize())
    }

    /// Hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (32 bytes).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left)
        h.update(data: right)
        return Array(h.finalize())
    }

    /// Merkle tree hash over leaf hashes already computed with ``leafHash(_:)`` (32 bytes).
    public static func rootHash(leafHashes: [[UInt8]]) -> [UInt8] {
        if leafHashes.isEmpty { return Array(SHA256.hash(data: [UInt8]())) }
        return subtree(leafHashes[...])
    }

    /// Merkle tree hash over the leaves' input data (32 bytes).
    public static func rootHash(leaves: [[UInt8]]) -> [UInt8] {
        rootHash(leafHashes: leaves.map { leafHash($0) })
    }

    static func subtree(_ hashes: ArraySlice<[UInt8]>) -> [UInt8] {
        if hashes.count == 1 { return hashes[hashes.startIndex] }
        let k = largestPowerOfTwo(below: hashes.count)
        let mid = hashes.startIndex + k
        return nodeHash(subtree(hashes[..<mid]), subtree(hashes[mid...]))
    }

    /// Largest power of two strictly smaller than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
