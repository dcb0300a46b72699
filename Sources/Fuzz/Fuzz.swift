import Foundation
import WeightSeal

// libFuzzer targets for the parsers of untrusted bytes (scripts/fuzz.sh TARGET SECONDS; `--sanitize fuzzer
// -Xswiftc -DFUZZING`). The target is chosen by WEIGHTSEAL_FUZZ_TARGET; in an ordinary build this is a replayer:
// `Fuzz TARGET FILE...` runs each file once through TARGET (the regression corpus is replayed this way by the tests).

/// Every target: a name and what one input goes through. Nothing may trap, hang or grow memory past a small multiple.
let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "sigstore": { bytes in
        _ = try? TrustedRoot.parse(bytes, label: "input")
        guard let contents = try? SigstoreBundle.Contents.parse(bytes, label: "input") else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = await SigstoreVerifier.verify(contents, artifact: artifact, policy: policy)
            done.signal()
        }
        done.wait()
    },
    "json": { bytes in
        // The one strict reader behind every JSON the tool trusts: with and without duplicates kept, under the cap.
        _ = StrictJSON.parses(bytes, maxValues: Limits.maxJSONValues(forBytes: bytes.count), keepingDuplicateKeys: false)
        _ = StrictJSON.parses(bytes, maxValues: Limits.maxJSONValues(forBytes: bytes.count), keepingDuplicateKeys: true)
    },
    "bundle": { bytes in _ = try? SigstoreBundle.parse(bytes, label: "input") },
    "manifest": { bytes in _ = try? ModelManifest.parseStatement(bytes, label: "input") },
    "oms": { bytes in _ = try? OMSFormat.reference(fromPayload: bytes, label: "input") },
    "checksums": { bytes in _ = try? ChecksumFile.parse(bytes, label: "input") },
    "hf-tree": { bytes in _ = try? HFTree.parse(bytes, label: "input") },
    "spdx": { bytes in _ = try? SPDXExpression(parsing: String(decoding: bytes, as: UTF8.self)) },
    "pem": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? PublicKey(pemRepresentation: text)
        _ = try? CertificateTrust.certificates(pem: text)
        _ = try? SigningKey(pemRepresentation: text)
    },
    "pkcs11-uri": { bytes in
        guard let uri = try? PKCS11URI(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        // What the parser accepts prints back (in its own order and encoding) to a URI that parses to the same value.
        let text = uri.text(revealingPIN: true)
        guard text.utf8.count <= Limits.maxPKCS11URIBytes else { return }
        precondition((try? PKCS11URI(parsing: text)) == uri, "PKCS #11 URI does not survive printing: \(text)")
    },
    "signing-config": { bytes in
        _ = try? SigningConfig.parse(bytes, label: "input")
        _ = try? IdentityToken(String(decoding: bytes, as: UTF8.self))
        _ = try? RFC3161TimeStampRequest(timestamping: [1]).check(response: bytes)
    },
    "tuf": { bytes in
        _ = try? TUFTrustedSet(root: bytes, referenceTime: fuzzTime)
        // Later roles are checked against a real trusted root (Sigstore's production root, embedded).
        guard let root = SigstoreTUF.production.embeddedRoot, var set = try? TUFTrustedSet(root: root, referenceTime: fuzzTime) else { return }
        _ = try? set.updateRoot(bytes)
        _ = try? set.updateTimestamp(bytes)
        _ = try? set.updateSnapshot(bytes, cached: false)
        _ = try? set.updateTargets(bytes)
    },
    "model-card": { bytes in _ = try? ModelCardFrontMatter.parse(card: String(decoding: bytes, as: UTF8.self)) },
    "safetensors": { bytes in inspect(bytes, as: "model.safetensors") },
    "gguf": { bytes in inspect(bytes, as: "model.gguf") },
    "pickle": { bytes in inspect(bytes, as: "pytorch_model.bin") },
    "zip": { bytes in inspect(bytes, as: "model.pt") },
]

private let policy = SigstorePolicy(signer: .certificateIdentity(try! CertificateIdentity(
    subjectAlternativeName: .regularExpression(".*"), issuer: "https://token.actions.githubusercontent.com")))
private let artifact = SigstoreArtifact.bytes(Array("123\n".utf8))
/// A fixed clock inside the embedded TUF root's validity, so runs are repeatable.
private let fuzzTime = Date(timeIntervalSince1970: 1_767_225_600)

/// Format parsers read files: the input is written to a private file and inspected (headers, placeholders, pickle
/// opcodes, zip directory), and its license declarations read.
private func inspect(_ bytes: [UInt8], as name: String) {
    let dir = NSTemporaryDirectory() + "weightseal-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/" + name
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
    _ = FormatInspector.inspectFile(atPath: path, displayPath: name)
    _ = FormatInspector.inspect(root: dir, paths: [name])
    _ = try? ModelInspector().inspect(path: path)
}

private let selected: @Sendable ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["WEIGHTSEAL_FUZZ_TARGET"] ?? "sigstore"
    guard let target = targets[name] else {
        FileHandle.standardError.write(Data("unknown fuzz target \(name); targets: \(targets.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's set-up hook: the shared values every input uses (the policy and its embedded trusted root, the TUF
/// root) are made once here, with LeakSanitizer paused. They live for the whole run, but Swift keeps some of their
/// references with enum tag bits in the pointer, which LeakSanitizer cannot follow, so it would report them as leaked.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    typealias Toggle = @convention(c) () -> Void
    // Present only when the AddressSanitizer runtime is linked in.
    let disable = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__lsan_disable").map { unsafeBitCast($0, to: Toggle.self) }
    let enable = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__lsan_enable").map { unsafeBitCast($0, to: Toggle.self) }
    disable?()
    _ = policy
    _ = artifact
    _ = SigstoreTUF.production.embeddedRoot
    enable?()
    return 0
}

/// libFuzzer's entry point: one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selected(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if !FUZZING
@main
enum Replay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let name = args.first, let target = targets[name] else {
            FileHandle.standardError.write(Data("usage: Fuzz TARGET FILE... (targets: \(targets.keys.sorted().joined(separator: ", ")))\n".utf8))
            exit(64)
        }
        var count = 0
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(2)
            }
            target([UInt8](data))
            count += 1
        }
        print("\(name): replayed \(count) inputs")
    }
}
#endif
