import Crypto

/// Merkle tree hash of RFC 9162 §2.1 (same as RFC 6962 §2.1) over SHA-256, with inclusion and consistency proofs.
///
/// `MTH({}) = SHA-256()`, leaf `SHA-256(0x00 ‖ d)`, node `SHA-256(0x01 ‖ left ‖ right)`, split at the largest power of
/// two smaller than the number of leaves.
///
/// Proof verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), written as in
/// `transparency-dev/merkle` (`proof/verify.go`), whose test vectors it passes (`manifests/testvectors/merkle/`).
/// Hashes are 32-byte arrays; tree sizes and leaf indices are 0-based `UInt64`s.
public enum MerkleTree {
    /// Size of every hash in the tree, in bytes.
    public static let hashSize = 32

    /// Hash of one leaf: `SHA-256(0x00 ‖ data)` (32 bytes).
    public static func leafHash(_ data: some Sequence<UInt8>) -> [UInt8] {
        var h = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { h.update(bufferPointer: $0) }
        if data.withContiguousStorageIfAvailable({ h.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            h.update(data: Array(data))
        }
        return h.finalize().withUnsafeBytes { Array($0) }
    }

    /// Hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (32 bytes).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { h.update(bufferPointer: $0) }
        left.withUnsafeBytes { h.update(bufferPointer: $0) }
        right.withUnsafeBytes { h.update(bufferPointer: $0) }
        return h.finalize().withUnsafeBytes { Array($0) }
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

    // MARK: - Inclusion proofs (RFC 9162 §2.1.3)

    /// The inclusion proof (audit path) of leaf `index` in the tree over `leafHashes`: RFC 9162 §2.1.3.1
    /// `PATH(m, D[n])`, ordered from the leaf's sibling up to the root's child.
    ///
    /// - Returns: the proof's 32-byte hashes; empty for a one-leaf tree, and also empty when `index` is not a leaf
    ///   of the tree (`index < 0` or `index >= leafHashes.count`), a proof that ``verifyInclusion(index:size:leafHash:proof:root:)``
    ///   then rejects for that index.
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        guard index >= 0, index < leafHashes.count else { return [] }
        var proof: [[UInt8]] = []
        path(index, leafHashes[...], into: &proof)
        return proof
    }

    /// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2).
    ///
    /// - Parameters:
    ///   - index: the leaf's 0-based index.
    ///   - size: the tree size (number of leaves).
    ///   - leafHash: the leaf's hash (``leafHash(_:)``, 32 bytes).
    ///   - proof: the audit path, from the leaf's sibling upwards.
    /// - Returns: the 32-byte root the proof leads to.
    /// - Throws: `WeightSealError` `.invalidArgument` when `index >= size`, the leaf hash is not 32 bytes, or the proof
    ///   has the wrong number of hashes for `index` and `size`.
    public static func rootFromInclusionProof(index: UInt64, size: UInt64, leafHash: [UInt8],
                                              proof: [[UInt8]]) throws(WeightSealError) -> [UInt8] {
        guard index < size else {
            throw WeightSealError(.invalidArgument, "Merkle inclusion proof: index \(index) is beyond tree size \(size)")
        }
        guard leafHash.count == hashSize else {
            throw WeightSealError(.invalidArgument, "Merkle inclusion proof: leaf hash has \(leafHash.count) bytes, expected \(hashSize)")
        }
        let (inner, border) = decomposeInclusionProof(index: index, size: size)
        guard proof.count == inner + border else {
            throw WeightSealError(.invalidArgument,
                                  "Merkle inclusion proof: \(proof.count) hashes, expected \(inner + border) for index \(index) in size \(size)")
        }
        var hash = chainInner(leafHash, proof[0..<inner], index: index)
        hash = chainBorderRight(hash, proof[inner...])
        return hash
    }

    /// Whether `proof` shows that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`
    /// (RFC 9162 §2.1.3.2). Never throws: a malformed proof is simply not valid.
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]],
                                       root: [UInt8]) -> Bool {
        guard let computed = try? rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof) else {
            return false
        }
        return computed == root
    }

    // MARK: - Consistency proofs (RFC 9162 §2.1.4)

    /// The consistency proof between the tree of the first `size1` leaves and the tree of all `leafHashes`
    /// (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`).
    ///
    /// - Returns: the proof's hashes; empty when `size1` is 0, equal to the tree size, or larger than it (no useful proof).
    public static func consistencyProof(size1: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        guard size1 > 0, size1 < leafHashes.count else { return [] }
        var proof: [[UInt8]] = []
        subproof(size1, leafHashes[...], complete: true, into: &proof)
        return proof
    }

    /// Checks a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
    ///
    /// A proof from the empty tree is refused (it proves nothing); equal sizes need an empty proof and equal roots.
    /// - Throws: `WeightSealError` `.invalidArgument` naming why the proof does not hold (sizes out of order or zero,
    ///   wrong number of hashes, or a recomputed root that differs from `root1` or `root2`).
    public static func checkConsistency(size1: UInt64, size2: UInt64, proof: [[UInt8]],
                                        root1: [UInt8], root2: [UInt8]) throws(WeightSealError) {
        guard size1 > 0 else {
            throw WeightSealError(.invalidArgument, "Merkle consistency proof: a proof from the empty tree proves nothing")
        }
        guard size1 <= size2 else {
            throw WeightSealError(.invalidArgument, "Merkle consistency proof: size1 \(size1) is larger than size2 \(size2)")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw WeightSealError(.invalidArgument, "Merkle consistency proof: equal sizes need an empty proof, got \(proof.count) hashes")
            }
            guard root1 == root2 else {
                throw WeightSealError(.invalidArgument, "Merkle consistency proof: equal sizes but different roots")
            }
            return
        }
        guard !proof.isEmpty else {
            throw WeightSealError(.invalidArgument, "Merkle consistency proof: empty proof for sizes \(size1) and \(size2)")
        }
        var (inner, border) = decomposeInclusionProof(index: size1 - 1, size: size2)
        let shift = size1.trailingZeroBitCount
        inner -= shift  // shift < inner because size1 < size2

        // The proof starts with the root of the subtree of size 2^shift, unless size1 is exactly that.
        var seed = proof[0]
        var start = 1
        if size1 == UInt64(1) << UInt64(shift) {
            seed = root1
            start = 0
        }
        guard proof.count == start + inner + border else {
            throw WeightSealError(.invalidArgument,
                                  "Merkle consistency proof: \(proof.count) hashes, expected \(start + inner + border)")
        }
        let rest = proof[start...]
        let innerPart = rest.prefix(inner)
        let borderPart = rest.dropFirst(inner)
        let mask = (size1 - 1) >> UInt64(shift)

        var hash1 = chainInnerRight(seed, innerPart, index: mask)
        hash1 = chainBorderRight(hash1, borderPart)
        guard hash1 == root1 else {
            throw WeightSealError(.invalidArgument, "Merkle consistency proof: recomputed first root does not match")
        }
        var hash2 = chainInner(seed, innerPart, index: mask)
        hash2 = chainBorderRight(hash2, borderPart)
        guard hash2 == root2 else {
            throw WeightSealError(.invalidArgument, "Merkle consistency proof: recomputed second root does not match")
        }
    }

    /// Whether `proof` shows that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
    /// leaves with root `root2` (RFC 9162 §2.1.4.2). See ``checkConsistency(size1:size2:proof:root1:root2:)``.
    public static func verifyConsistency(size1: UInt64, size2: UInt64, proof: [[UInt8]],
                                         root1: [UInt8], root2: [UInt8]) -> Bool {
        do {
            try checkConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
            return true
        } catch {
            return false
        }
    }

    // MARK: - Internals

    static func subtree(_ hashes: ArraySlice<[UInt8]>) -> [UInt8] {
        if hashes.count == 1 { return hashes[hashes.startIndex] }
        let k = largestPowerOfTwo(below: hashes.count)
        let mid = hashes.startIndex + k
        return nodeHash(subtree(hashes[..<mid]), subtree(hashes[mid...]))
    }

    /// `PATH(m, D[n])`; `m` is relative to the slice start. Appends from the bottom up.
    static func path(_ m: Int, _ hashes: ArraySlice<[UInt8]>, into proof: inout [[UInt8]]) {
        let n = hashes.count
        guard n > 1 else { return }
        let k = largestPowerOfTwo(below: n)
        let mid = hashes.startIndex + k
        if m < k {
            path(m, hashes[..<mid], into: &proof)
            proof.append(subtree(hashes[mid...]))
        } else {
            path(m - k, hashes[mid...], into: &proof)
            proof.append(subtree(hashes[..<mid]))
        }
    }

    /// `SUBPROOF(m, D[n], b)` of RFC 9162 §2.1.4.1. Appends from the bottom up.
    static func subproof(_ m: Int, _ hashes: ArraySlice<[UInt8]>, complete: Bool, into proof: inout [[UInt8]]) {
        let n = hashes.count
        if m == n {
            if !complete { proof.append(subtree(hashes)) }
            return
        }
        let k = largestPowerOfTwo(below: n)
        let mid = hashes.startIndex + k
        if m <= k {
            subproof(m, hashes[..<mid], complete: complete, into: &proof)
            proof.append(subtree(hashes[mid...]))
        } else {
            subproof(m - k, hashes[mid...], complete: false, into: &proof)
            proof.append(subtree(hashes[..<mid]))
        }
    }

    /// Splits an inclusion proof's length into the part below the point where the paths to `index` and to the
    /// last leaf diverge (`inner`) and the part above it, along the right border (`border`).
    static func decomposeInclusionProof(index: UInt64, size: UInt64) -> (inner: Int, border: Int) {
        let inner = UInt64.bitWidth - (index ^ (size &- 1)).leadingZeroBitCount
        let border = inner >= UInt64.bitWidth ? 0 : (index >> UInt64(inner)).nonzeroBitCount
        return (inner, border)
    }

    static func chainInner(_ seed: [UInt8], _ proof: ArraySlice<[UInt8]>, index: UInt64) -> [UInt8] {
        var hash = seed
        for (i, h) in proof.enumerated() {
            if i < UInt64.bitWidth, (index >> UInt64(i)) & 1 == 0 {
                hash = nodeHash(hash, h)
            } else {
                hash = nodeHash(h, hash)
            }
        }
        return hash
    }

    static func chainInnerRight(_ seed: [UInt8], _ proof: ArraySlice<[UInt8]>, index: UInt64) -> [UInt8] {
        var hash = seed
        for (i, h) in proof.enumerated() where i < UInt64.bitWidth && (index >> UInt64(i)) & 1 == 1 {
            hash = nodeHash(h, hash)
        }
        return hash
    }

    static func chainBorderRight(_ seed: [UInt8], _ proof: ArraySlice<[UInt8]>) -> [UInt8] {
        var hash = seed
        for h in proof { hash = nodeHash(h, hash) }
        return hash
    }

    /// Largest power of two strictly smaller than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
