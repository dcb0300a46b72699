import ArgumentParser
import WeightSeal
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the command line: parses, runs, and maps outcomes to exit statuses
/// (0 done, 1 rejected, 2 could not run, 64 usage).
public enum WeightSealMain {
    public static func run() async -> Never {
        do {
            var command = try WeightSealCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as WeightSealError {
            printError("weightseal: error: \(error.message)")
            exit(2)
        } catch {
            WeightSealCommand.exit(withError: error)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}
