import ArgumentParser
import WeightSeal

extension WeightSealCommand {
    /// `weightseal public-key KEY`: the public half of a signing key, as `verify --key` takes it.
    struct PublicKeyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the public key (SPKI PEM) of a signing key: a PEM private key or a key in a PKCS#11 token.",
            discussion: """
                The output is what `verify --key` takes. For a pkcs11: URI the key is found as `sign` finds it (the PIN \
                is needed to see the private key) and the public key is read from the token's public key object.
                """)

        @Argument(help: "Private key (PEM), or a PKCS#11 URI (pkcs11:token=…;object=…?module-path=…).", completion: .file())
        var key: String

        @Option(name: .shortAndLong, help: "Write the PEM to this file (atomically) instead of standard output.", completion: .file())
        var output: String?

        func run() async throws {
            let pem = try loadSigner(key: key).publicKey.pemRepresentation
            if let output {
                try AtomicFile.write(Array(pem.utf8), to: output, mode: 0o644)
            } else {
                writeOut(Array(pem.utf8))
            }
        }
    }
}
