import Crypto
import WeightSealTestSupport
import Foundation
import Testing
@testable import WeightSeal

/// The TUF repository vectors made by python-tuf 7.0.1 (`Tests/Servers/tuf_repo.py vectors`), in
/// `manifests/testvectors/tuf/`: `base/` is a good repository (root 1, timestamp/snapshot/targets 2, consistent
/// snapshots), each other folder holds the files one command adds or changes (commands.json says what each did).
enum TUFVectors {
    static let dir = OMSVectors.repoRoot.appendingPathComponent("manifests/testvectors/tuf").path

    static func read(_ rel: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + rel)))
    }

    /// The files of `base/` with the overlays of `commands` applied in order, by repository path.
    static func repository(_ commands: [String] = []) throws -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        for folder in ["base"] + commands {
            let root = dir + "/" + folder
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            for case let rel as String in walker {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                    files[rel] = try read(folder + "/" + rel)
                }
            }
        }
        return files
    }

    static var initialRoot: [UInt8] { get throws { try read("base/1.root.json") } }
    /// A time when every vector but the expired ones is valid (they expire in 2036).
    static let now = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28
}

/// A TUF repository answering from memory, with the length bound the HTTP one applies.
struct MemoryTUFRepository: TUFRepository {
    var files: [String: [UInt8]]

    func metadata(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]? {
        try get(name, maxLength)
    }

    func target(_ name: String, maxLength: Int) async throws(WeightSealError) -> [UInt8]? {
        try get("targets/" + name, maxLength)
    }

    private func get(_ path: String, _ maxLength: Int) throws(WeightSealError) -> [UInt8]? {
        guard let data = files[path] else { return nil }
        if data.count > maxLength { throw WeightSealError(.limitExceeded, "\(path) is over \(maxLength) bytes") }
        return data
    }
}

@Suite("TUF: canonical JSON")
struct CanonicalJSONTests {
    @Test("Encodes tricky values byte for byte as securesystemslib 1.6.0's encode_canonical")
    func matchesSecuresystemslib() throws {
        let input = try StrictJSON.parse(try TUFVectors.read("canonical-input.json"))
        let expected = try TUFVectors.read("canonical-expected.bin")
        let ours = try CanonicalJSON.encode(input, label: "input")
        #expect(ours == expected, "\(String(decoding: ours, as: UTF8.self))")
        // Code-point order (UTF-8 byte order), not UTF-16 order: U+FFFF sorts before U+1F600.
        let text = String(decoding: ours, as: UTF8.self)
        #expect(text.range(of: "\"\u{FFFF}\":")!.lowerBound < text.range(of: "\"\u{1F600}\":")!.lowerBound)
        #expect(text.contains("\"numbers\":[0,0,-5,7,18446744073709551615,123456789012345678901234567890,"))
    }

    @Test("A number that is not an integer cannot be encoded", arguments: ["1.0", "1e3", "-2.5E-3"])
    func refusesFloats(number: String) throws {
        let value = try StrictJSON.parse(Array("{\"x\":[\(number)]}".utf8))
        let error = caughtError { _ = try CanonicalJSON.encode(value, label: "timestamp.json") }
        #expect(error?.code == .trustUpdate)
        #expect(error?.message.contains("timestamp.json holds the number \(number), which is not an integer") == true)
    }
}

@Suite("TUF: signature thresholds")
struct TUFThresholdTests {
    let ed = SigningKey.generate(.ed25519)
    let p256 = SigningKey.generate(.p256)
    let other = SigningKey.generate(.p256)

    static func keyJSON(_ key: SigningKey) -> String {
        if key.publicKey.derRepresentation.count == 44 {
            return #"{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"\#(key.publicKey.derRepresentation.suffix(32).hexString)"}}"#
        }
        let pem = key.publicKey.pemRepresentation.replacingOccurrences(of: "\n", with: "\\n")
        return #"{"keytype":"ecdsa","scheme":"ecdsa-sha2-nistp256","keyval":{"public":"\#(pem)"}}"#
    }

    /// Root metadata whose root role is `keyIDs` with `threshold`, every key ID mapped to its key in `keys`.
    func root(keys: [(String, SigningKey)], roleKeyIDs: [String], threshold: Int, signers: [(String, SigningKey?)]) throws -> [UInt8] {
        let keyMembers = keys.map { "\"\($0.0)\":\(Self.keyJSON($0.1))" }.joined(separator: ",")
        let ids = roleKeyIDs.map { "\"\($0)\"" }.joined(separator: ",")
        let role = "{\"keyids\":[\(ids)],\"threshold\":\(threshold)}"
        let signed = """
            {"_type":"root","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","consistent_snapshot":true,\
            "keys":{\(keyMembers)},"roles":{"root":\(role),"timestamp":\(role),"snapshot":\(role),"targets":\(role)}}
            """
        let canonical = try CanonicalJSON.encode(try StrictJSON.parse(Array(signed.utf8)), label: "root")
        var sigs = [String]()
        for (id, key) in signers {
            let sig = try key.map { try $0.signature(for: canonical).hexString } ?? String(repeating: "00", count: 64)
            sigs.append("{\"keyid\":\"\(id)\",\"sig\":\"\(sig)\"}")
        }
        return Array("{\"signatures\":[\(sigs.joined(separator: ","))],\"signed\":\(signed)}".utf8)
    }

    func outcome(_ data: [UInt8]) -> WeightSealError? {
        caughtError { _ = try TUFTrustedSet(root: data, referenceTime: TUFVectors.now) }
    }

    @Test("Ed25519 (hex) and ECDSA P-256 (PEM) keys meet a threshold of 2 together")
    func twoKeyTypes() throws {
        let data = try root(keys: [("a", ed), ("b", p256)], roleKeyIDs: ["a", "b"], threshold: 2, signers: [("a", ed), ("b", p256)])
        #expect(outcome(data) == nil)
        let set = try TUFTrustedSet(root: data, referenceTime: TUFVectors.now)
        #expect(set.root.version == 1 && set.root.consistentSnapshot)
    }

    @Test("One valid signature does not meet a threshold of 2; the message counts them")
    func belowThreshold() throws {
        let data = try root(keys: [("a", ed), ("b", p256)], roleKeyIDs: ["a", "b"], threshold: 2, signers: [("a", ed), ("b", nil)])
        let error = outcome(data)
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == "root.json is signed by 1 of the root keys it lists; 2 needed")
    }

    @Test("The same key ID signing twice counts once")
    func duplicateKeyID() throws {
        let data = try root(keys: [("a", ed), ("b", p256)], roleKeyIDs: ["a", "b"], threshold: 2, signers: [("a", ed), ("a", ed)])
        #expect(outcome(data)?.message == "root.json is signed by 1 of the root keys it lists; 2 needed")
    }

    @Test("Two key IDs naming the same public key count once")
    func sameKeyTwoIDs() throws {
        let data = try root(keys: [("a", p256), ("a2", p256)], roleKeyIDs: ["a", "a2"], threshold: 2, signers: [("a", p256), ("a2", p256)])
        #expect(outcome(data)?.message == "root.json is signed by 1 of the root keys it lists; 2 needed")
    }

    @Test("Signatures by keys the role does not list are ignored, valid or not")
    func unknownKeysIgnored() throws {
        // "c" is a key of the root but not of the role; "zz" is no key at all.
        let data = try root(keys: [("a", ed), ("b", p256), ("c", other)], roleKeyIDs: ["a", "b"], threshold: 2,
                            signers: [("c", other), ("zz", other), ("a", ed)])
        #expect(outcome(data)?.message == "root.json is signed by 1 of the root keys it lists; 2 needed")
        let ok = try root(keys: [("a", ed), ("b", p256), ("c", other)], roleKeyIDs: ["a", "b"], threshold: 1,
                          signers: [("zz", nil), ("c", other), ("a", ed)])
        #expect(outcome(ok) == nil)
    }

    @Test("A signature by a listed key over other bytes is not counted")
    func wrongKeyForID() throws {
        // Key ID "b" signed by `other`, whose key the root does not hold under "b".
        let data = try root(keys: [("a", ed), ("b", p256)], roleKeyIDs: ["a", "b"], threshold: 1, signers: [("b", other)])
        #expect(outcome(data)?.message == "root.json is signed by 0 of the root keys it lists; 1 needed")
    }

    @Test("A role listing a key ID twice, or a threshold of 0, is malformed")
    func malformedRoles() throws {
        let twice = try root(keys: [("a", ed)], roleKeyIDs: ["a", "a"], threshold: 1, signers: [("a", ed)])
        #expect(outcome(twice)?.message.contains("keyids lists a… twice") == true)
        let zero = try root(keys: [("a", ed)], roleKeyIDs: ["a"], threshold: 0, signers: [("a", ed)])
        #expect(outcome(zero)?.message.contains("threshold is 0") == true)
    }

    @Test("Sigstore's real roots verify: production version 15 (3 of 5 ECDSA keys), staging version 14 (2 of 4, two empty signatures)")
    func sigstoreRoots() throws {
        let production = try TUFTrustedSet(root: Array(SigstoreTUF.productionRootJSON.utf8), referenceTime: TUFVectors.now)
        #expect(production.root.version == 15)
        #expect(production.root.keys(for: .root).threshold == 3)
        #expect(rfc3339(production.root.expires) == "2026-11-20T13:58:18Z")
        let staging = try TUFTrustedSet(root: Array(SigstoreTUF.stagingRootJSON.utf8), referenceTime: TUFVectors.now)
        #expect(staging.root.version == 14)
        #expect(SHA256.hash(data: Array(SigstoreTUF.productionRootJSON.utf8)).hexString == SigstoreTUF.productionRootSHA256)
        #expect(SHA256.hash(data: Array(SigstoreTUF.stagingRootJSON.utf8)).hexString == SigstoreTUF.stagingRootSHA256)
        // One changed byte inside `signed` breaks every signature.
        let altered = SigstoreTUF.productionRootJSON.replacingOccurrences(of: "\"version\": 15", with: "\"version\": 16")
        #expect(caughtError { _ = try TUFTrustedSet(root: Array(altered.utf8), referenceTime: TUFVectors.now) }?.message
            == "root.json is signed by 0 of the root keys it lists; 3 needed")
    }

    @Test("expires must be YYYY-MM-DDTHH:MM:SSZ", arguments: [
        ("2030-01-01T00:00:00Z", true), ("2030-01-01T00:00:00.5Z", false), ("2030-01-01T00:00:00+00:00", false),
        ("2030-02-30T00:00:00Z", false), ("2030-01-01T24:00:00Z", false), ("2030-1-01T00:00:00Z", false),
    ])
    func expiryFormat(text: String, valid: Bool) {
        #expect((TUFFields.expiry(text) != nil) == valid)
    }
}

@Suite("TUF: client workflow against python-tuf metadata")
struct TUFWorkflowTests {
    let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tuf-\(UUID().uuidString)").path
    var cache: TUFCache { TUFCache(directory: cacheDir) }
    static let names = [SigstoreTUF.trustedRootTarget, SigstoreTUF.signingConfigTarget]

    func update(_ commands: [String] = [], now: Date = TUFVectors.now) async throws -> TUFUpdateResult {
        try await TUFClient.update(initialRoot: try TUFVectors.initialRoot, repository: MemoryTUFRepository(files: try TUFVectors.repository(commands)),
                                   repositoryLabel: "vectors", cache: cache, targetNames: Self.names,
                                   required: [SigstoreTUF.trustedRootTarget], now: now)
    }

    /// The update's error (nil if it succeeded).
    func refusal(_ commands: [String], now: Date = TUFVectors.now) async -> WeightSealError? {
        do {
            _ = try await update(commands, now: now)
            return nil
        } catch let error as WeightSealError {
            return error
        } catch {
            return WeightSealError(.io, "\(error)")
        }
    }

    func cached() -> [String: [UInt8]] { cache.storedFiles() }

    func versions(_ r: TUFUpdateResult) -> [Int] { r.roles.map(\.version) }

    @Test("A good update trusts root 1, timestamp, snapshot and targets 2 and stores the two targets as listed")
    func goodUpdate() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let r = try await update()
        #expect(versions(r) == [1, 2, 2, 2])
        #expect(r.roles.map(\.updated) == [false, true, true, true])
        #expect(r.targets.map(\.name) == Self.names && r.targets.allSatisfy(\.updated))
        let files = try TUFVectors.repository()
        let trustedRoot = try #require(cache.read("targets/trusted_root.json", limit: 1 << 20))
        #expect(SHA256.hash(data: trustedRoot).hexString == r.targets[0].sha256)
        #expect(files["targets/\(r.targets[0].sha256!).trusted_root.json"] == trustedRoot)
        #expect(try TrustedRoot.parse(trustedRoot, label: "fetched").transparencyLogs.count >= 1)
        #expect(cache.read("timestamp.json", limit: 1 << 20) == files["timestamp.json"])
        #expect(cache.read("root_history/1.root.json", limit: 1 << 20) == files["1.root.json"])

        // Nothing new: nothing refetched, nothing rewritten.
        let again = try await update()
        #expect(versions(again) == [1, 2, 2, 2])
        #expect(again.roles.map(\.updated) == [false, false, false, false])
        #expect(!again.targets.contains { $0.updated })
    }

    @Test("A new release is picked up: targets 3 and a new trusted_root.json")
    func publish() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let before = try await update()
        let r = try await update(["publish"])
        #expect(versions(r) == [1, 3, 3, 3])
        #expect(r.targets[0].updated && !r.targets[1].updated)
        #expect(r.targets[0].sha256 != before.targets[0].sha256)
        let stored = try #require(cache.read("targets/trusted_root.json", limit: 1 << 20))
        #expect(String(decoding: stored, as: UTF8.self).contains("\"x-weightseal-revision\": 2"))
    }

    @Test("A root key rotation is followed: root 2 (signed by the old and new keys), timestamp by the new timestamp key")
    func rotateRoot() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update()
        let r = try await update(["rotate-root"])
        #expect(versions(r) == [2, 3, 2, 2])
        #expect(r.rootVersionBefore == 1 && r.roles[0].updated)
        #expect(cache.read("root.json", limit: 1 << 20) == (try TUFVectors.read("rotate-root/2.root.json")))
        // From a fresh cache the chain 1 → 2 is walked too; an update starting from root 1 replays the stored chain.
        let again = try await update(["rotate-root"])
        #expect(versions(again) == [2, 3, 2, 2] && again.rootVersionBefore == 2 && !again.roles[0].updated)
    }

    @Test("Each attack is refused with its reason, and the cache keeps the trusted files", arguments: [
        ("expire-timestamp", "timestamp.json expired at 2020-01-01T00:00:00Z (version 3)"),
        ("rollback-timestamp", "timestamp version 1 is older than the trusted 2 (rollback)"),
        ("rollback-snapshot", "timestamp.json lists snapshot version 1, older than the trusted 2 (rollback)"),
        ("rollback-targets", "snapshot.json lists targets.json version 1, older than the trusted 2 (rollback)"),
        ("mix-and-match", "snapshot.json does not match the sha256 hash that timestamp.json lists (mix-and-match)"),
        ("mix-and-match-version", "snapshot.json has version 2, not the version 3 that timestamp.json lists (mix-and-match)"),
        ("bad-timestamp-signature", "timestamp.json is signed by 0 of the timestamp keys root version 1 lists; 1 needed"),
        ("bad-root-signature", "2.root.json is signed by 0 of the root keys the trusted root (version 1) lists; 2 needed"),
        ("wrong-root-version", "2.root.json holds root version 3, not 2"),
    ])
    func attacks(command: String, reason: String) async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update()
        let before = cached()
        let error = await refusal([command])
        #expect(error?.code == .trustUpdate)
        #expect(error?.message == reason)
        let after = cached()
        // The attacked file and the fetched trust material are unchanged. (A timestamp that verified before the
        // snapshot was refused is kept, as the specification says: it is the newest genuine one.)
        for name in ["root.json", "snapshot.json", "targets.json", "targets/trusted_root.json", "targets/signing_config.v0.2.json"] {
            #expect(after[name] == before[name], "\(name) changed")
        }
        if !["mix-and-match", "mix-and-match-version", "rollback-targets"].contains(command) {
            #expect(after["timestamp.json"] == before["timestamp.json"])
            // The good repository still updates from that cache.
            #expect(versions(try await update()) == [1, 2, 2, 2])
        } else {
            #expect(after["timestamp.json"] == (try TUFVectors.read("\(command)/timestamp.json")))
        }
    }

    @Test("A target whose hash or length differs from targets.json is refused and not stored", arguments: [
        ("bad-target-hash", "trusted_root.json does not match the sha256 hash that targets.json lists"),
        ("bad-target-length", ""),
    ])
    func badTarget(command: String, reason: String) async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let error = await refusal([command])
        #expect(error?.code == .trustUpdate)
        if command == "bad-target-length" {
            #expect(error?.message.hasSuffix(".trusted_root.json is longer than the 6816 bytes that targets.json lists") == true, "\(error?.message ?? "")")
        } else {
            #expect(error?.message == reason)
        }
        #expect(cache.read("targets/trusted_root.json", limit: 1 << 20) == nil)
    }

    @Test("An expired final root is refused (freeze), also when the repository has nothing newer")
    func freeze() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let error = await refusal(["expire-root"])
        #expect(error?.code == .trustUpdate)
        #expect(error?.message.hasPrefix("root.json expired at 2020-01-01T00:00:00Z (version 2) and the repository offers no newer root") == true)
        // The expired root 2 is stored (it is validly signed; a root 3 would move on from it). From a fresh cache
        // in 2039 root 1 of the vectors has expired and nothing newer is offered.
        #expect(cache.read("root.json", limit: 1 << 20) == (try TUFVectors.read("expire-root/2.root.json")))
        try FileManager.default.removeItem(atPath: cacheDir)
        let frozen = await refusal([], now: Date(timeIntervalSince1970: 2_200_000_000))
        #expect(frozen?.message.hasPrefix("root.json expired at 2036-") == true, "\(frozen?.message ?? "")")
    }

    @Test("An expired timestamp in the cache still guards against rollback")
    func cachedExpiredTimestamp() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update()
        try cache.write("timestamp.json", try TUFVectors.read("expire-timestamp/timestamp.json"))
        #expect(await refusal([])?.message == "timestamp version 2 is older than the trusted 3 (rollback)")
    }

    @Test("A cache that someone altered is not trusted: a changed snapshot is fetched again")
    func alteredCache() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        _ = try await update()
        var snapshot = try #require(cache.read("snapshot.json", limit: 1 << 20))
        snapshot[snapshot.count / 2] ^= 1
        try cache.write("snapshot.json", snapshot)
        try cache.write("targets/trusted_root.json", Array("{}".utf8))
        let r = try await update()
        #expect(r.roles[2].updated && r.targets[0].updated)
        #expect(cache.read("snapshot.json", limit: 1 << 20) == (try TUFVectors.read("base/2.snapshot.json")))
    }

    @Test("A root that is not JSON, or a timestamp with a float, is refused naming the file")
    func malformed() async throws {
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        #expect(caughtError { _ = try TUFTrustedSet(root: Array("{\"signed\":".utf8), referenceTime: TUFVectors.now) }?.message
            .hasPrefix("root.json is not valid JSON") == true)
        var files = try TUFVectors.repository()
        let ts = String(decoding: files["timestamp.json"]!, as: UTF8.self).replacingOccurrences(of: "\"version\": 2\n }", with: "\"version\": 2.0\n }")
        files["timestamp.json"] = Array(ts.utf8)
        do {
            _ = try await TUFClient.update(initialRoot: try TUFVectors.initialRoot, repository: MemoryTUFRepository(files: files),
                                           repositoryLabel: "vectors", cache: cache, targetNames: Self.names, required: [], now: TUFVectors.now)
            Issue.record("a timestamp with a float was accepted")
        } catch let error as WeightSealError {
            #expect(error.code == .trustUpdate)
            #expect(error.message == "timestamp.json holds the number 2.0, which is not an integer: canonical JSON cannot encode it, so no signature over it can be checked")
        }
    }
}

@Suite("TUF: which trusted root verify uses")
struct CachedTrustedRootTests {
    @Test("Embedded without a cache; the fetched copy when not older; the embedded one when the copy is older; a damaged copy is an error")
    func choice() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tuf-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["WEIGHTSEAL_CACHE_DIR": dir, "HOME": "/nonexistent"]
        #expect(try TrustedRoot.publicGoodPreferringCache(environment: env).source == TrustedRoot.publicGood.source)

        let cache = try #require(SigstoreTUF.cache(for: SigstoreTUF.production, environment: env))
        #expect(cache.directory == dir + "/tuf/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev")
        try cache.write("targets/trusted_root.json", Array(TrustedRoot.publicGoodJSON.utf8))
        let same = try TrustedRoot.publicGoodPreferringCache(environment: env)
        #expect(same.source.hasPrefix(cache.path("targets/trusted_root.json")))

        let older = TrustedRoot.publicGoodJSON.replacingOccurrences(of: TrustedRoot.publicGoodNewestStart, with: "2020-01-01T00:00:00Z")
        try cache.write("targets/trusted_root.json", Array(older.utf8))
        #expect(try TrustedRoot.publicGoodPreferringCache(environment: env).source == TrustedRoot.publicGood.source)

        try cache.write("targets/trusted_root.json", Array("{\"mediaType\": 1}".utf8))
        let error = caughtError { _ = try TrustedRoot.publicGoodPreferringCache(environment: env) }
        #expect(error?.code == .malformedTrustRoot)
        #expect(error?.message.contains("run `weightseal trust update` again") == true)

        #expect(SigstoreTUF.cachedSigningConfig(environment: env) == nil)
        try cache.write("targets/signing_config.v0.2.json", Array("{}".utf8))
        #expect(SigstoreTUF.cachedSigningConfig(environment: env) == Array("{}".utf8))
    }

    @Test("Cache folder: WEIGHTSEAL_CACHE_DIR, then XDG_CACHE_HOME/weightseal, then HOME/.cache/weightseal")
    func cacheDirectory() {
        #expect(SigstoreTUF.cacheDirectory(environment: ["WEIGHTSEAL_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/b", "HOME": "/c"]) == "/a")
        #expect(SigstoreTUF.cacheDirectory(environment: ["WEIGHTSEAL_CACHE_DIR": "", "XDG_CACHE_HOME": "/b", "HOME": "/c"]) == "/b/weightseal")
        #expect(SigstoreTUF.cacheDirectory(environment: ["HOME": "/c"]) == "/c/.cache/weightseal")
        #expect(SigstoreTUF.cacheDirectory(environment: [:]) == nil)
    }
}
