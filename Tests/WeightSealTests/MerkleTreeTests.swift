import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// RFC 9162 / RFC 6962 Merkle tree hash and proofs, against the `transparency-dev/merkle` vectors
/// (`manifests/testvectors/merkle/`) and the RFC 6962 reference roots.
@Suite struct MerkleTreeTests {
    static let vectorRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("manifests/testvectors/merkle")

    /// The eight RFC 6962 reference leaf inputs (certificate-transparency `merkle_tree_test.cc`,
    /// transparency-dev `testonly/constants.go`).
    static let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                    "606162636465666768696a6b6c6d6e6f"].map { hex($0) }

    /// MTH of the first n reference leaves, n = 0...8 (same sources).
    static let roots: [String] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
        }
        return out
    }

    static func b64(_ s: String?) -> [UInt8] {
        guard let s else { return [] }
        return [UInt8](Data(base64Encoded: s) ?? Data())
    }

    struct InclusionVector: Decodable {
        var leafIdx: UInt64
        var treeSize: UInt64
        var root: String
        var leafHash: String
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        var size1: UInt64
        var size2: UInt64
        var root1: String
        var root2: String
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }

    static func files(_ folder: String) -> [URL] {
        let base = vectorRoot.appendingPathComponent(folder)
        let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
        let all = (walker?.allObjects ?? []).compactMap { $0 as? URL }
        let out = all.filter { $0.pathExtension == "json" }
        return out.sorted { $0.path < $1.path }
    }

    static func load<T: Decodable>(_ url: URL, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    @Test func referenceRootsOfTheEightRFC6962Leaves() {
        for n in 0...8 {
            #expect(MerkleTree.rootHash(leaves: Array(Self.leaves.prefix(n))).hexString == Self.roots[n], "size \(n)")
        }
        #expect(MerkleTree.leafHash([UInt8]()).hexString == Self.roots[1])
    }

    @Test func allInclusionVectors() throws {
        let urls = Self.files("inclusion")
        #expect(urls.count == 98)
        var happy = 0
        for url in urls {
            let v = try Self.load(url, as: InclusionVector.self)
            let proof = (v.proof ?? []).map { Self.b64($0) }
            let ok = MerkleTree.verifyInclusion(index: v.leafIdx, size: v.treeSize, leafHash: Self.b64(v.leafHash),
                                                proof: proof, root: Self.b64(v.root))
            #expect(ok == !v.wantErr, "\(url.lastPathComponent) in \(url.deletingLastPathComponent().lastPathComponent): \(v.desc)")
            if !v.wantErr { happy += 1 }
        }
        #expect(happy == 6)
    }

    @Test func allConsistencyVectors() throws {
        let urls = Self.files("consistency")
        #expect(urls.count == 98)
        var happy = 0
        for url in urls {
            let v = try Self.load(url, as: ConsistencyVector.self)
            let proof = (v.proof ?? []).map { Self.b64($0) }
            let ok = MerkleTree.verifyConsistency(size1: v.size1, size2: v.size2, proof: proof,
                                                  root1: Self.b64(v.root1), root2: Self.b64(v.root2))
            #expect(ok == !v.wantErr, "\(url.lastPathComponent) in \(url.deletingLastPathComponent().lastPathComponent): \(v.desc)")
            if !v.wantErr { happy += 1 }
        }
        #expect(happy == 6)
    }

    /// The happy-path vectors are proofs in the tree over the reference leaves: our generator must produce them.
    @Test func generatedProofsEqualTheVectors() throws {
        let leafHashes = Self.leaves.map { MerkleTree.leafHash($0) }
        for n in 0...4 {
            let v = try Self.load(Self.vectorRoot.appendingPathComponent("inclusion/\(n)/happy-path.json"), as: InclusionVector.self)
            let size = Int(v.treeSize)
            let tree = Array(leafHashes.prefix(size))
            #expect(tree[Int(v.leafIdx)] == Self.b64(v.leafHash))
            #expect(MerkleTree.rootHash(leafHashes: tree) == Self.b64(v.root))
            #expect(MerkleTree.inclusionProof(index: Int(v.leafIdx), leafHashes: tree) == (v.proof ?? []).map { Self.b64($0) },
                    "inclusion/\(n)")
            let c = try Self.load(Self.vectorRoot.appendingPathComponent("consistency/\(n)/happy-path.json"), as: ConsistencyVector.self)
            let tree2 = Array(leafHashes.prefix(Int(c.size2)))
            #expect(MerkleTree.rootHash(leafHashes: Array(tree2.prefix(Int(c.size1)))) == Self.b64(c.root1))
            #expect(MerkleTree.rootHash(leafHashes: tree2) == Self.b64(c.root2))
            #expect(MerkleTree.consistencyProof(size1: Int(c.size1), leafHashes: tree2) == (c.proof ?? []).map { Self.b64($0) },
                    "consistency/\(n)")
        }
    }

    /// Every leaf of every tree up to 20 leaves proves its inclusion, and every prefix its consistency;
    /// a proof for a neighbouring index or a wrong root fails.
    @Test func roundTripsOnLargerTrees() {
        for n in 1...20 {
            let leafHashes = (0..<n).map { MerkleTree.leafHash([UInt8(truncatingIfNeeded: $0), 0xAB]) }
            let root = MerkleTree.rootHash(leafHashes: leafHashes)
            for i in 0..<n {
                let proof = MerkleTree.inclusionProof(index: i, leafHashes: leafHashes)
                #expect(MerkleTree.verifyInclusion(index: UInt64(i), size: UInt64(n), leafHash: leafHashes[i], proof: proof, root: root))
                if n > 1 {
                    let other = (i + 1) % n
                    #expect(!MerkleTree.verifyInclusion(index: UInt64(other), size: UInt64(n), leafHash: leafHashes[i], proof: proof, root: root))
                }
                #expect(!MerkleTree.verifyInclusion(index: UInt64(i), size: UInt64(n), leafHash: leafHashes[i], proof: proof,
                                                    root: MerkleTree.leafHash([0xFF])))
            }
            for m in 1...n {
                let proof = MerkleTree.consistencyProof(size1: m, leafHashes: leafHashes)
                let root1 = MerkleTree.rootHash(leafHashes: Array(leafHashes.prefix(m)))
                #expect(MerkleTree.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: proof, root1: root1, root2: root))
                if m < n {
                    #expect(!MerkleTree.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: proof, root1: root, root2: root))
                }
            }
        }
    }

    @Test func malformedProofsThrowInvalidArgument() throws {
        let leafHash = MerkleTree.leafHash([UInt8]())
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try MerkleTree.rootFromInclusionProof(index: 3, size: 3, leafHash: leafHash, proof: [])
        }
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try MerkleTree.rootFromInclusionProof(index: 0, size: 1, leafHash: [1, 2, 3], proof: [])
        }
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try MerkleTree.rootFromInclusionProof(index: 0, size: 2, leafHash: leafHash, proof: [])
        }
        #expect(throws: WeightSealError(.invalidArgument, "")) {
            try MerkleTree.checkConsistency(size1: 0, size2: 5, proof: [], root1: leafHash, root2: leafHash)
        }
        #expect(MerkleTree.inclusionProof(index: 5, leafHashes: [leafHash]).isEmpty)
        #expect(try MerkleTree.rootFromInclusionProof(index: 0, size: 1, leafHash: leafHash, proof: []) == leafHash)
        // Huge sizes near 2^64 are handled without traps.
        #expect(!MerkleTree.verifyInclusion(index: UInt64.max - 1, size: UInt64.max, leafHash: leafHash,
                                            proof: Array(repeating: leafHash, count: 64), root: leafHash))
        #expect(!MerkleTree.verifyConsistency(size1: UInt64.max - 1, size2: UInt64.max,
                                              proof: Array(repeating: leafHash, count: 65), root1: leafHash, root2: leafHash))
    }
}
