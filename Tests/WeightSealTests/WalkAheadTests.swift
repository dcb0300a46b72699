import Foundation
import Testing
import WeightSealTestSupport
@testable import WeightSeal

@Suite("Walk made while the signature is read; path byte order")
struct WalkAheadTests {
    @Test("compareBytes orders by UTF-8 bytes: prefixes, empty, NFC against NFD, bytes past 0x7F, bridged strings")
    func byteOrder() {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let pairs: [(String, String)] = [
            ("", ""), ("", "a"), ("a", "ab"), ("ab", "b"), ("a/b", "a.b"), ("Z", "a"), (nfc, nfd), ("\u{7F}", "\u{80}"),
            (String(repeating: "x", count: 40) + "1", String(repeating: "x", count: 40) + "2"),
            (NSString(string: "d000/f1") as String, "d000/f10"),
        ]
        for (a, b) in pairs {
            for (x, y) in [(a, b), (b, a)] {
                let less = x.utf8.lexicographicallyPrecedes(y.utf8)
                let equal = x.utf8.elementsEqual(y.utf8)
                let c = compareBytes(x, y)
                #expect((c < 0) == less && (c == 0) == equal, "\(Array(x.utf8)) vs \(Array(y.utf8)): \(c)")
                #expect(pathBytesLess(x, y) == less)
            }
        }
        // Canonically equivalent, different bytes: two keys, not one.
        #expect(nfc == nfd)
        #expect(PathKey(nfc) != PathKey(nfd))
        #expect(Set([PathKey(nfc), PathKey(nfd)]).count == 2)
    }

    @Test("a walk made ahead gives the listing of a walk made after; options match as sets, nothing else")
    func prefetchEqualsWalk() async throws {
        let dir = TempDir()
        dir.write("a.bin", "a")
        dir.write("sub/b.bin", "bb")
        dir.write(".git/HEAD", "ref")
        dir.write("skip/c.bin", "c")
        let options = ModelFolder.Options(ignorePaths: [".git", "skip"], symlinks: .reject)
        let ahead = ListingPrefetch(root: dir.path, options: options)
        let listing = try await ahead.listing()
        let now = try ModelFolder.list(root: dir.path, options: options)
        #expect(listing.files == now.files)
        #expect(listing.files.map(\.path) == ["a.bin", "sub/b.bin"])
        #expect(ahead.matches(root: dir.path, options: .init(ignorePaths: ["skip", ".git"], symlinks: .reject)))
        #expect(!ahead.matches(root: dir.path, options: .init(ignorePaths: [".git"], symlinks: .reject)))
        #expect(!ahead.matches(root: dir.path, options: .init(ignorePaths: [".git", "skip"], symlinks: .withinRoot)))
        #expect(!ahead.matches(root: dir.path + "/sub", options: options))
        // Names are compared as the walker compares them, by bytes: NFC and NFD spellings are two ignore entries.
        let nfc = ListingPrefetch(root: dir.path, options: .init(ignorePaths: ["caf\u{E9}"], symlinks: .reject))
        #expect(!nfc.matches(root: dir.path, options: .init(ignorePaths: ["cafe\u{301}"], symlinks: .reject)))
        #expect(nfc.matches(root: dir.path, options: .init(ignorePaths: ["caf\u{E9}"], symlinks: .reject)))
        _ = try await nfc.listing()

        // A walk cancelled before it ends still ends, and a folder that is not there is the walk's own error.
        let cancelled = ListingPrefetch(root: dir.path, options: options)
        cancelled.cancel()
        _ = try await cancelled.listing()
        let missing = ListingPrefetch(root: dir.path + "/none", options: options)
        await #expect(throws: WeightSealError(.io, "")) { try await missing.listing() }
    }

    @Test("verify: a manifest whose ignore list differs from the usual one is checked by a walk under its own list")
    func manifestIgnoreListWins() async throws {
        let key = SigningKey.generate(.ed25519)
        let trust = SignatureTrust.publicKey(key.publicKey)
        // Signed with an extra ignored folder: the walk made ahead (usual list) has its files, the check must not.
        let dir = TempDir()
        dir.write("model.bin", "weights")
        dir.write("notes/draft.txt", "unsigned")
        let signed = try await ModelSigner(options: .init(ignorePaths: ["notes"])).sign(model: dir.path, key: key)
        try AtomicFile.write(try signed.bundle.jsonData(), to: dir.path + "/model.sig")
        let report = try await ModelVerifier().verify(model: dir.path, trust: trust)
        #expect(report.verdict == .verified, "\(report.findings)")
        #expect(report.files.map(\.path) == ["model.bin"])
        #expect(report.findings.contains { $0.kind == .outsideSignature && $0.path == "notes" })

        // Signed with the usual list: the walk made ahead is the one checked, and it sees a file added afterwards.
        let plain = TempDir()
        plain.write("model.bin", "weights")
        plain.write(".git/HEAD", "ref")
        let plainSigned = try await ModelSigner().sign(model: plain.path, key: key)
        try AtomicFile.write(try plainSigned.bundle.jsonData(), to: plain.path + "/model.sig")
        #expect(try await ModelVerifier().verify(model: plain.path, trust: trust).verdict == .verified)
        plain.write("extra.bin", "x")
        let extra = try await ModelVerifier().verify(model: plain.path, trust: trust)
        #expect(extra.verdict != .verified)
        #expect(extra.failures.map(\.kind) == [.unexpected])
        #expect(extra.failures.first?.path == "extra.bin")
    }
}
