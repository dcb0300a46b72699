import ArgumentParser
import WeightSeal

/// The `weightseal` command tree. Each subcommand lives in its own file.
public struct WeightSealCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "weightseal",
        abstract: "Hash, sign and verify open-weight AI models.",
        version: WeightSealVersion.current,
        subcommands: [Keygen.self, PublicKeyCommand.self, Hash.self, Sign.self, Verify.self, VerifyBundle.self, Inspect.self,
                      Audit.self, Trust.self]
    )
    public init() {}
}
