import ArgumentParser
import Foundation
import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#endif

extension WeightSealCommand {
    /// `weightseal keygen -o NAME`: a signing key pair in PEM.
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a signing key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM).")

        @Option(help: "Key algorithm: p256 (ECDSA P-256/SHA-256), p384 (ECDSA P-384/SHA-384) or ed25519.")
        var algorithm: KeyAlgorithm = .p256

        @Option(name: .shortAndLong, help: "Path prefix of the two files written (NAME.key, NAME.pub).", completion: .file())
        var output: String

        @Flag(help: "Replace existing files.")
        var force = false

        func validate() throws {
            // `-o .` would write `..key`, `-o dir/` a hidden `dir/.key`: a NAME is needed.
            let name = (output as NSString).lastPathComponent
            if output.isEmpty || output.hasSuffix("/") || name == "." || name == ".." {
                throw ValidationError("-o \(ModelPath.quoted(output)) names a folder; give a path prefix such as dir/release (writes dir/release.key and dir/release.pub)")
            }
        }

        func run() async throws {
            let keyPath = output + ".key"
            let pubPath = output + ".pub"
            if !force {
                for p in [keyPath, pubPath] where FileManager.default.fileExists(atPath: p) {
                    throw WeightSealError(.invalidArgument, "\(p) exists; use --force to replace it")
                }
            }
            let key = SigningKey.generate(algorithm)
            // Both or neither: each is written whole to its temporary file first (a full disk fails here, before
            // any target is touched), then the public key is published, then the private key; if that last step
            // fails, the new public key is removed again.
            let privateFile = try AtomicFile.Pending(path: keyPath, mode: 0o600)
            let publicFile = try AtomicFile.Pending(path: pubPath, mode: 0o644)
            try privateFile.stage(Array(key.pemRepresentation.utf8))
            try publicFile.stage(Array(key.publicKey.pemRepresentation.utf8))
            try publicFile.publish()
            do {
                try privateFile.publish()
            } catch {
                unlink(pubPath)
                throw error
            }
            printOut("wrote \(keyPath) (private, mode 0600) and \(pubPath) (\(algorithm.rawValue), hint \(key.publicKey.hint.prefix(16))…)")
        }
    }
}

extension KeyAlgorithm: ExpressibleByArgument {}
