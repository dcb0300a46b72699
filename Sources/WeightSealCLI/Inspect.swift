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
            let (root, paths, skipped) = try Self.collect(path)
            if skipped > 0 { printError("weightseal: note: \(skipped) symlinks skipped (pass a link itself to inspect its target)") }
            let formats = FormatInspector.inspect(root: root, paths: paths)
            // License declarations, as `sign` would read them: disagreements and incomplete ones are findings.
            let scan = LicenseScanner.scan(root: root, paths: paths)
            let licenseFindings = LicenseCheck.check(signed: nil, scan: scan, signedPaths: Set(paths), policy: nil)
            let expression = (try? LicenseResolver.resolve(scan: scan, publisherChoice: nil))?.expression
            let report = InspectionReport(
                files: formats.files, setFindings: formats.setFindings + licenseFindings,
                license: scan.declarations.isEmpty && scan.files.isEmpty ? nil
                    : .init(expression: expression, declarations: scan.declarations, files: scan.files))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(report)
                FileHandle.standardOutput.write(data)
                FileHandle.standardOutput.write(Data("\n".utf8))
            } else {
                print(Self.render(report), terminator: "")
            }
            if report.hasProblems { throw ExitCode(1) }
        }

        /// Splits `path` into a root folder and model-relative file paths (sorted by bytes).
        static func collect(_ path: String) throws(WeightSealError) -> (root: String, paths: [String], skippedSymlinks: Int) {
            var st = stat()
            guard lstat(path, &st) == 0 else {
                throw WeightSealError(.io, "cannot inspect \(ModelPath.quoted(path)): \(String(cString: strerror(errno)))")
            }
            let kind = st.st_mode & S_IFMT
            if kind == S_IFREG || kind == S_IFLNK {
                if kind == S_IFLNK {
                    var target = stat()
                    guard stat(path, &target) == 0, (target.st_mode & S_IFMT) == S_IFREG else {
                        throw WeightSealError(.invalidPath, "\(ModelPath.quoted(path)) is not a regular file or folder")
                    }
                }
                let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
                if let slash = trimmed.lastIndex(of: "/") {
                    let root = String(trimmed[..<slash])
                    return (root.isEmpty ? "/" : root, [String(trimmed[trimmed.index(after: slash)...])], 0)
                }
                return (".", [trimmed], 0)
            }
            guard kind == S_IFDIR else { throw WeightSealError(.invalidPath, "\(ModelPath.quoted(path)) is not a regular file or folder") }
            var out: [String] = []
            var skipped = 0
            try walk(root: path, relative: "", depth: 0, into: &out, skipped: &skipped)
            if out.isEmpty {
                let links = skipped > 0 ? " (\(skipped) symlinks skipped: pass a link itself to inspect its target)" : ""
                throw WeightSealError(.emptyModel, "no regular file under \(ModelPath.quoted(path))\(links)")
            }
            out.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            return (path, out, skipped)
        }

        private static func walk(root: String, relative: String, depth: Int, into out: inout [String], skipped: inout Int) throws(WeightSealError) {
            if depth > Limits.maxDirectoryDepth {
                throw WeightSealError(.limitExceeded, "folders nested deeper than \(Limits.maxDirectoryDepth) under \(ModelPath.quoted(root))")
            }
            let dirPath = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(dirPath) else {
                throw WeightSealError(.io, "cannot read folder \(ModelPath.quoted(dirPath)): \(String(cString: strerror(errno)))")
            }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." || name == ".git" { continue }
                names.append(name)
            }
            if out.count + names.count > Limits.maxFiles { throw WeightSealError(.limitExceeded, "more than \(Limits.maxFiles) files") }
            for name in names {
                let rel = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(root + "/" + rel, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFREG: out.append(rel)
                case S_IFDIR: try walk(root: root, relative: rel, depth: depth + 1, into: &out, skipped: &skipped)
                case S_IFLNK: skipped += 1
                default: continue  // devices, sockets, fifos: skipped
                }
            }
        }

        /// Human-readable report: one line per file, then its findings indented.
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
