import Foundation
import WeightSeal

// Fuzz target for the Sigstore parsers and verifier (untrusted input: bundles, trusted roots, and through the
// verifier Rekor bodies, checkpoints, RFC 3161 tokens, SCT lists). Built with libFuzzer by scripts/fuzz.sh
// (`--sanitize fuzzer -Xswiftc -DFUZZING`); in an ordinary build it is a replayer: each argument is a file run once.

private let policy = SigstorePolicy(signer: .certificateIdentity(try! CertificateIdentity(
    subjectAlternativeName: .regularExpression(".*"), issuer: "https://token.actions.githubusercontent.com")))
private let artifact = SigstoreArtifact.bytes(Array("123\n".utf8))

/// One input: parsed as a trusted root, and as a bundle that is then verified. Nothing may trap or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSigstore(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TrustedRoot.parse(bytes, label: "input")
    guard let contents = try? SigstoreBundle.Contents.parse(bytes, label: "input") else { return 0 }
    let done = DispatchSemaphore(value: 0)
    Task {
        _ = await SigstoreVerifier.verify(contents, artifact: artifact, policy: policy)
        done.signal()
    }
    done.wait()
    return 0
}

#if !FUZZING
@main
enum Replay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(2)
            }
            let bytes = [UInt8](data)
            _ = bytes.withUnsafeBufferPointer { fuzzSigstore($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            count += 1
        }
        print("replayed \(count) inputs")
    }
}
#endif
