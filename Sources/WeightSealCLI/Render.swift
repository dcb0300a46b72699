import Foundation
import WeightSeal

/// The one-screen human form of a report.
func renderReport(_ r: VerificationReport, model: String) -> String {
    var lines = [String]()
    // Only files checked against the reference "match"; files it does not list are counted apart.
    let checked = r.files.filter { $0.status != .unexpected }
    let total = checked.count
    let bytes = checked.reduce(UInt64(0)) { $0 + ($1.size ?? 0) }
    let outside = r.files.count - checked.count
    let source = "\(r.reference.label) (\(kindName(r.reference.kind))\(r.reference.signed ? "" : ", UNSIGNED"))"
    let rate = r.seconds > 0 ? String(format: "%.2f GB/s", Double(r.bytesHashed) / r.seconds / 1e9) : "-"
    if r.verdict == .verified {
        lines.append("VERIFIED \(model): \(count(total, "file")), \(formatBytes(bytes)) match \(source)"
                     + (outside > 0 ? "; \(count(outside, "file")) not in it (allowed)" : ""))
        if let signer = r.reference.signer { lines.append("  signed by \(signer)") }
        lines += transparencyLines(r.reference)
        if let license = r.license { lines.append("  license \(license) (signed)") }
        if !r.reference.signed { lines.append("  note: an unsigned list proves only that the files match it, not who made it") }
        lines.append("  hashed \(formatBytes(r.bytesHashed)) in \(String(format: "%.2f", r.seconds)) s (\(rate))")
    } else {
        let failures = r.failures
        let failedFiles = Set(failures.compactMap(\.path)).count
        lines.append("REJECTED \(model): \(failures.count) problem\(failures.count == 1 ? "" : "s")"
                     + (failedFiles > 0 ? " in \(failedFiles) file\(failedFiles == 1 ? "" : "s")" : "") + " against \(source)")
        if let signer = r.reference.signer { lines.append("  signed by \(signer)") }
        lines += transparencyLines(r.reference)
    }
    let shown = r.findings.filter { $0.severity != .note || $0.kind != .unsignedReference }
    for f in shown {
        let tag = f.severity == .failure ? "FAIL" : f.severity == .warning ? "WARN" : "note"
        lines.append("  \(tag)  \(f.path.map(ModelPath.quoted) ?? "-")  \(f.kind): \(f.message)")
        if let e = f.expected { lines.append("        expected \(e)") }
        if let a = f.actual { lines.append("        actual   \(a)") }
        for h in f.hints { lines.append("        hint: \(h)") }
    }
    if r.verdict != .verified && !r.files.isEmpty {
        let ok = r.files.filter { $0.status == .ok }.count
        lines.append("  \(ok) of \(count(total, "file")) ok; hashed \(formatBytes(r.bytesHashed)) in \(String(format: "%.2f", r.seconds)) s")
    }
    return lines.joined(separator: "\n")
}

private func kindName(_ k: Reference.Kind?) -> String {
    switch k {
    case nil: return "signature not verified"
    case .weightsealManifest: return "weightseal manifest"
    case .omsManifest: return "OMS v1.0 manifest"
    case .checksumFile: return "checksum file"
    case .huggingFaceTree: return "Hugging Face tree listing"
    case .huggingFaceCache: return "Hugging Face cache"
    }
}

/// Sigstore details: the OIDC issuer, each verified log entry, each verified time and where it came from.
private func transparencyLines(_ info: VerificationReport.ReferenceInfo) -> [String] {
    var lines = [String]()
    if let issuer = info.issuer { lines.append("  OIDC issuer \(issuer)") }
    for e in info.logEntries ?? [] {
        lines.append("  logged in \(e.log) at index \(e.logIndex)" + (e.integratedTime.map { ", integrated \($0)" } ?? ""))
    }
    for t in info.verifiedTimes ?? [] {
        lines.append("  signature existed at \(t.time) (\(t.source == "rfc3161" ? "RFC 3161 timestamp from" : "integrated time of") \(t.authority))")
    }
    return lines
}
