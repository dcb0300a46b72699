import ArgumentParser
import Foundation
import WeightSeal
import WeightSealMirror

extension WeightSealCommand {
    /// `weightseal audit URL...`: check mirrors over HTTP against a signed manifest (DESIGN §9, docs/mirrors.md).
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check model mirrors over HTTP against a signed manifest, without keeping the files.",
            discussion: """
                The signed manifest is the only reference; what a mirror says about a file (Content-Length, \
                X-Linked-Size, X-Linked-Etag, ETag) is evidence. Modes: head (sizes and advertised SHA-256 only), \
                full (stream and hash every byte), sample (N random chunks per file by Range request). \
                Exit status: 0 every mirror passed; 1 a mirror failed or the signature did not verify; \
                2 could not run; 64 usage error.
                """)

        @Argument(help: "Mirror base URLs (http:// or https://).")
        var urls: [String]

        @Option(help: "The signature file (Sigstore bundle) holding the signed manifest.", completion: .file())
        var signature: String

        @OptionGroup var trust: TrustOptions

        @Option(help: "plain: URL/path; huggingface: URL/{repo}/resolve/{revision}/path.")
        var layout: LayoutName = .plain

        @Option(help: "With --layout huggingface: the repository, ORG/NAME.")
        var repo: String?

        @Option(help: "With --layout huggingface: the revision (branch, tag or 40-hex commit).")
        var revision: String?

        @Option(help: "head: HEAD only, compares sizes and advertised SHA-256; full: hash every byte; sample: N random chunks per file.")
        var mode: ModeName = .head

        @Option(help: "With --mode sample: chunks drawn per chunked file.")
        var sample: Int = 4

        @Option(help: "With --mode sample: seed of the draw (the report prints the seed it used).")
        var seed: UInt64?

        @Option(help: "Requests in flight at once, per mirror.")
        var concurrency: Int = 4

        @Option(help: "Seconds allowed to connect, to get a response head, and between two reads of a body; a body slower than 64 KiB/s over this many seconds also times out.")
        var timeout: Double = 30

        @Option(help: "Extra attempts after a connection error or a 5xx answer (backoff 0.25 s doubling, at most 10 s per wait).")
        var retries: Int = 3

        @Flag(help: "Print the report as one JSON document (manifests/schemas/audit-report-v1.schema.json).")
        var json = false

        enum LayoutName: String, ExpressibleByArgument, CaseIterable { case plain, huggingface }
        enum ModeName: String, ExpressibleByArgument, CaseIterable { case head, full, sample }

        func validate() throws {
            if !trust.isGiven { throw ValidationError("give \(TrustOptions.names) to check the signature") }
            if layout == .huggingface && (repo == nil || revision == nil) {
                throw ValidationError("--layout huggingface needs --repo ORG/NAME and --revision REV")
            }
            if layout == .plain && (repo != nil || revision != nil) {
                throw ValidationError("--repo and --revision go with --layout huggingface")
            }
            if sample < 1 || sample > 1_000_000 { throw ValidationError("--sample must be between 1 and 1000000") }
            if (seed != nil || sample != 4) && mode != .sample { throw ValidationError("--sample and --seed go with --mode sample") }
            if concurrency < 1 || concurrency > 256 { throw ValidationError("--concurrency must be between 1 and 256") }
            if !(timeout > 0 && timeout <= 86_400) { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
            if retries < 0 || retries > 20 { throw ValidationError("--retries must be between 0 and 20") }
        }

        func run() async throws {
            guard let trustMaterial = try trust.load() else { throw ValidationError("give \(TrustOptions.names)") }
            let signed = try await SignedReference.load(signatureFile: signature, trust: trustMaterial)
            guard let verified = signed.verified else {
                // A payload that fails its signature is not read further, and no mirror is contacted.
                if json {
                    printOut(jsonText(signed.findings))
                } else {
                    printOut("REJECTED \(signature): the signature did not verify; no mirror was audited")
                    for f in signed.findings { printOut(renderAuditFinding(f)) }
                }
                throw ExitCode(1)
            }
            let modeValue: AuditMode = switch mode {
            case .head: .head
            case .full: .full
            case .sample: .sample
            }
            let layoutValue: MirrorLayout = layout == .plain ? .plain : .huggingFace(repo: repo ?? "", revision: revision ?? "")
            let auditor = try MirrorAuditor(options: MirrorAuditOptions(
                layout: layoutValue, mode: modeValue, samplesPerFile: sample, seed: seed,
                concurrency: concurrency, timeout: timeout, retries: retries))
            let progress = ProgressLine(label: "fetching and hashing")
            let report = try await auditor.audit(verified: verified, mirrors: urls, progress: progress.handler)
            progress.finish()
            if json {
                printOut(jsonText(report))
            } else {
                printOut(renderAudit(report, signer: signed.signer.signer))
            }
            if !report.ok { throw ExitCode(1) }
        }
    }
}

/// The human form of an audit: a summary table per mirror, then per-file detail for files with findings.
func renderAudit(_ r: AuditReport, signer: String?) -> String {
    var lines: [String] = []
    var head = "audit (\(r.mode.rawValue), \(r.layout)"
    if let repo = r.repo, let rev = r.revision { head += " \(repo)@\(rev)" }
    if let n = r.samplesPerFile, let seed = r.seed { head += ", \(n) chunks per file, seed \(seed)" }
    head += ") against \(r.reference)" + (r.referenceSigned ? "" : " (UNSIGNED)")
    lines.append(head)
    if let signer { lines.append("  signed by \(signer)") }
    let rows: [[String]] = [["mirror", "result", "failing", "files", "bytes", "time", "throughput", "chunks"]] + r.mirrors.map { m in
        [m.url, m.ok ? "OK" : "FAILED", String(m.failingFiles.count), String(m.files), formatBytes(m.bytes),
         String(format: "%.2f s", m.seconds), m.bytes > 0 ? String(format: "%.1f MB/s", m.bytesPerSecond / 1e6) : "-",
         m.chunksTotal > 0 ? "\(m.chunksChecked)/\(m.chunksTotal)" : "-"]
    }
    var widths = [Int](repeating: 0, count: rows[0].count)
    for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    for row in rows {
        lines.append("  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
    for m in r.mirrors {
        lines.append("")
        lines.append("\(m.ok ? "OK" : "FAILED") \(m.url)")
        lines.append("  \(m.proof)")
        for f in m.findings { lines.append(renderAuditFinding(f)) }
        for file in m.fileAudits {
            let shown = file.findings
            let chunks = file.chunksTotal > 0 ? ", \(file.chunksChecked)/\(file.chunksTotal) chunks" : ""
            let status = file.status == .ok ? "ok  " : "FAIL"
            lines.append("  \(status)  \(ModelPath.quoted(file.path))  \(file.coverage.rawValue)\(chunks), \(formatBytes(file.bytes))")
            for f in shown { lines.append(renderAuditFinding(f)) }
        }
    }
    return lines.joined(separator: "\n")
}

func renderAuditFinding(_ f: Finding) -> String {
    let tag = f.severity == .failure ? "FAIL" : f.severity == .warning ? "WARN" : "note"
    var lines = ["        \(tag)  \(f.kind): \(f.message)"]
    if let c = f.chunks, !c.isEmpty { lines.append("              chunks \(c.map(String.init).joined(separator: ", "))") }
    if let e = f.expected { lines.append("              expected \(e)") }
    if let a = f.actual { lines.append("              actual   \(a)") }
    for h in f.hints { lines.append("              hint: \(h)") }
    return lines.joined(separator: "\n")
}
