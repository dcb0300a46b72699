import ArgumentParser
import WeightSeal
import Synchronization
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the command line: parses, runs, and maps every outcome to an exit status, here and nowhere else.
public enum WeightSealMain {
    /// The exit statuses (docs/cli.md).
    public enum Status: Int32 {
        /// Verified, done, nothing wrong.
        case ok = 0
        /// Verification ran and rejected (every finding is listed); `inspect` and `audit` reported a problem.
        case rejected = 1
        /// Could not run: unreadable or malformed input, I/O error, unsupported format, and any error nobody foresaw.
        case couldNotRun = 2
        /// Usage error (argument-parser's `EX_USAGE`).
        case usage = 64
    }

    public static func run() async -> Never {
        // An interrupted `sign` must not leave `.model.sig.weightseal-tmp-…` in the model folder.
        AtomicFile.removeTemporaryFilesOnSignals()
        do {
            let arguments = RepeatedOptions.extract(Array(CommandLine.arguments.dropFirst()))
            var command = try WeightSealCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(finalStatus(Status.ok.rawValue))
        } catch {
            exit(finalStatus(status(for: error)))
        }
    }

    /// `status`, unless writing standard output failed: then 2 with "write error" (the output is not whole).
    static func finalStatus(_ status: Int32) -> Int32 {
        guard let failure = StandardOutput.failure.withLock({ $0 }) else { return status }
        printError("weightseal: error: write error on standard output: \(failure)")
        return Status.couldNotRun.rawValue
    }

    /// The status for an error thrown by parsing or by a command, after printing what the user must see.
    static func status(for error: any Error) -> Int32 {
        switch error {
        case let error as WeightSealError:
            printError("weightseal: error: \(error.message)")
            return Status.couldNotRun.rawValue
        case let code as ExitCode:
            // Commands throw ExitCode(1) for a verdict they already printed.
            return code.rawValue
        default:
            // Usage errors, --help and --version are argument-parser's (64, 0); it maps everything else to 1, which
            // here means "rejected": an error nobody foresaw could not run, so it is 2.
            let code = WeightSealCommand.exitCode(for: error)
            if code == .failure {
                printError("weightseal: error: \(WeightSealCommand.message(for: error))")
                return Status.couldNotRun.rawValue
            }
            let message = WeightSealCommand.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { printOut(message) } else { printError(message) }
            }
            return code.rawValue
        }
    }
}

/// The values of the repeatable options `sign --ignore`, `hash --ignore` and `verify --allow-license`, taken out of
/// the arguments before argument-parser sees them: it spends time proportional to the values already seen on each
/// new one (20,000 `--ignore` took 27 s, 50,000 took 176 s), while this takes one pass.
enum RepeatedOptions {
    /// Which option of which subcommand is collected here.
    static let collected: [String: String] = ["sign": "--ignore", "hash": "--ignore", "verify": "--allow-license"]
    private static let values = Mutex<[String: [String]]>([:])

    /// The values collected for `option` (e.g. `"--ignore"`), in command-line order.
    static func values(_ option: String) -> [String] { values.withLock { $0[option] ?? [] } }

    /// Returns `arguments` without the collected option's `--name VALUE` and `--name=VALUE` occurrences, remembering
    /// their values. Anything argument-parser would refuse (a value that looks like an option, a missing value) is
    /// left in place for it to refuse; nothing after `--` is touched.
    static func extract(_ arguments: [String]) -> [String] {
        guard let subcommand = arguments.first, let option = collected[subcommand] else { return arguments }
        var kept = [subcommand]
        var found = [String]()
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" {
                kept += arguments[i...]
                break
            }
            if a == option, i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
                found.append(arguments[i + 1])
                i += 2
                continue
            }
            if a.hasPrefix(option + "=") {
                found.append(String(a.dropFirst(option.count + 1)))
                i += 1
                continue
            }
            kept.append(a)
            i += 1
        }
        values.withLock { $0[option] = found }
        return kept
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}
