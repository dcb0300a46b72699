import ArgumentParser
import Foundation
import WeightSeal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension WeightSealCommand {
    /// `weightseal inspect PATH [--json]`: format checks of a file or folder (DESIGN §7).
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check weight files' formats without loading them (safetensors, GGUF, pickle, placeholders).",
            discussion: """
                Reads headers only: never loads tensors, never unpickles. Exit status: 0 when nothing is wrong, \
                1 when a failure or warning is reported, 2 when the path cannot be inspected.
                """
        )

        @Argument(help: "A model file or folder (regular files under it are inspected; symlinks are skipped).",
                  completion: .file())
        var path: String

        @Flag(name: .long, help: "Print one JSON document (schema: manifests/schemas/inspect-report-v1.schema.json).")
        var json = false

        mutating func run() async throws {
            let inspection = try ModelInspector().inspect(path: path)
            if inspection.skippedSymlinks > 0 {
                printError("weightseal: note: \(inspection.skippedSymlinks) symlinks skipped (pass a link itself to inspect its target)")
            }
            let report = inspection.report
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                printOut(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                let text = Self.render(report)
                printOut(text.hasSuffix("\n") ? String(text.dropLast()) : text)
            }
            if report.hasProblems { throw ExitCode(1) }
        }

        static func render(_ report: InspectionReport) -> String {
            var s = ""
            for f in report.files {
                var details: [String] = [f.format.rawValue]
                if let v = f.ggufVersion { details.append("v\(v)") }
                if let a = f.architecture { details.append(a) }
                if let t = f.tensorCount { details.append("\(t) tensors") }
                if let p = f.split { details.append("split \(p)") }
                if let p = f.placeholder { details.append(p) }
                let worst = f.findings.map(\.severity).max()
                let status = worst == .failure ? "FAIL" : worst == .warning ? "WARN" : "ok"
                s += "\(status)  \(f.path)  (\(details.joined(separator: ", ")), \(f.size) bytes)\n"
                for finding in f.findings { s += line(finding, showPath: finding.path != f.path) }
                if let imports = f.pickleImports, !imports.isEmpty { s += "      imports: \(imports.joined(separator: ", "))\n" }
            }
            if let license = report.license {
                s += "license: \(license.expression ?? "(declarations disagree or name no SPDX license)")\n"
                for d in license.declarations { s += "    \(d.path) \(d.field): \(d.value)\n" }
                if !license.files.isEmpty { s += "    license files: \(license.files.joined(separator: ", "))\n" }
            }
            if !report.setFindings.isEmpty {
                s += "sets and licenses:\n"
                for finding in report.setFindings { s += line(finding, showPath: true) }
            }
            let m = report.summary
            s += "\(m.files) files: \(m.failures) failures, \(m.warnings) warnings, \(m.notes) notes\n"
            return s
        }

        private static func line(_ f: Finding, showPath: Bool) -> String {
            let sev = f.severity == .failure ? "failure" : f.severity == .warning ? "warning" : "note"
            var s = "    \(sev) \(f.kind.rawValue): "
            if showPath, let p = f.path { s += "\(p): " }
            s += f.message + "\n"
            for h in f.hints { s += "      hint: \(h)\n" }
            return s
        }
    }
}
