#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one entry point for format checks (DESIGN §7): reads each file's first bytes and headers only — never tensor
/// data, never unpickling — and reports what each file is and what is wrong with it, plus cross-file findings.
///
/// Pure and bounded: no state, no writes; every read is capped by ``Limits``. `verify --strict` calls it; the
/// `inspect` command prints its report.
public enum FormatInspector {
    /// Inspects `paths` (model-relative, `/`-separated) under the folder `root`, then checks the sets they form:
    /// GGUF split sets (`name-00001-of-00003.gguf`, `split.no`/`split.count`), byte-split parts (`*.gguf.partNofM`)
    /// and shard indexes (`*.safetensors.index.json`: every shard exists, the weight map equals the shards' headers).
    /// - Returns: a report with one ``FileInspection`` per path, in input order. Never throws: an unreadable file is a finding.
    public static func inspect(root: String, paths: [String]) -> InspectionReport {
        var files: [FileInspection] = []
        var headers: [String: SafetensorsHeader] = [:]
        var ggufs: [String: GGUFHeader] = [:]
        for p in paths {
            let r = inspectOne(fsPath: join(root, p), path: p)
            files.append(r.inspection)
            if let h = r.safetensors { headers[p] = h }
            if let g = r.gguf { ggufs[p] = g }
        }
        var setFindings: [Finding] = []
        setFindings += checkGGUFSplitSets(files: files, headers: ggufs)
        setFindings += checkPartSets(files: files)
        let pathSet = Set(paths)
        for i in files.indices where files[i].format == .shardIndex {
            files[i].findings += checkShardIndex(root: root, indexPath: files[i].path, paths: pathSet, headers: &headers,
                                                 tensorCount: &files[i].tensorCount)
        }
        return InspectionReport(files: files, setFindings: setFindings)
    }

    /// Like ``inspect(root:paths:)``, and for each Git LFS pointer found, says whether the pointer names the
    /// content the reference expects for that path ("content not fetched") or another object (FIELD-CASES F03).
    /// - Parameter expected: the reference's entries (matched by path; a whole-file SHA-256 is needed to compare).
    public static func inspect(root: String, paths: [String], expected: [ExpectedFile]) -> InspectionReport {
        var report = inspect(root: root, paths: paths)
        var byPath: [String: ExpectedFile] = [:]
        for e in expected where byPath[e.path] == nil { byPath[e.path] = e }
        for i in report.files.indices where report.files[i].placeholder == "gitLFSPointer" {
            let path = report.files[i].path
            guard let e = byPath[path], case .gitLFSPointer(let pointer)? = Placeholder.detect(fileAt: join(root, path)) else { continue }
            // An LFS pointer names a SHA-256: a BLAKE3 reference cannot be compared with it.
            guard let (algorithm, digest) = e.check.wholeDigest, algorithm == .sha256 else { continue }
            let size = e.size ?? pointer.size
            for j in report.files[i].findings.indices where report.files[i].findings[j].kind == .placeholder {
                var f = report.files[i].findings[j]
                let match = pointer.match(sha256: digest, size: size)
                f.message = match == .contentNotFetched
                    ? "Git LFS pointer to the expected object: content not fetched"
                    : "Git LFS pointer to a different object than the reference expects"
                f.expected = "sha256:\(digest.hexString) (\(size) bytes)"
                f.actual = "sha256:\(pointer.sha256.hexString) (\(pointer.size) bytes)"
                f.hints = [pointer.hint(expectedSHA256: digest, expectedSize: size)]
                report.files[i].findings[j] = f
            }
        }
        return report
    }

    /// Inspects one file alone (no set or index cross-checks).
    /// - Parameters:
    ///   - root: the model folder.
    ///   - path: the model-relative path of the file.
    public static func inspectFile(root: String, path: String) -> FileInspection {
        inspectOne(fsPath: join(root, path), path: path).inspection
    }

    /// Inspects one file given by its file-system path; `displayPath` is the name used in findings.
    public static func inspectFile(atPath fsPath: String, displayPath: String) -> FileInspection {
        inspectOne(fsPath: fsPath, path: displayPath).inspection
    }

    // MARK: - One file

    static func join(_ root: String, _ path: String) -> String {
        if root.isEmpty { return path }
        return root.hasSuffix("/") ? root + path : root + "/" + path
    }

    static let pickleExtensions: Set<String> = ["bin", "pt", "pth", "ckpt", "pkl", "pickle"]
    static let expectsContent: Set<String> = ["safetensors", "gguf", "bin", "pt", "pth", "ckpt", "pkl", "pickle", "json",
                                              "onnx", "msgpack", "h5", "npz", "tflite", "model"]

    static func isShardIndex(_ path: String) -> Bool {
        let n = baseName(path).lowercased()
        return n.hasSuffix(".safetensors.index.json") || n.hasSuffix(".bin.index.json")
    }

    private enum Sniffed { case safetensors, gguf, zip, pickle, unknown }

    private static func sniff(_ prefix: [UInt8], size: UInt64) -> Sniffed {
        if prefix.starts(with: GGUFFile.magic) { return .gguf }
        if ZipDirectory.looksLikeZip(prefix) { return .zip }
        if PickleScanner.looksLikePickle(prefix) { return .pickle }
        if prefix.count >= 10, prefix[8] == UInt8(ascii: "{"), littleEndian(prefix[0..<8]) <= size - 8 { return .safetensors }
        return .unknown
    }

    private static func name(_ s: Sniffed) -> String {
        switch s {
        case .safetensors: return "safetensors"
        case .gguf: return "GGUF"
        case .zip: return "zip archive"
        case .pickle: return "pickle"
        case .unknown: return "unknown"
        }
    }

    struct OneResult {
        var inspection: FileInspection
        var safetensors: SafetensorsHeader?
        var gguf: GGUFHeader?
    }

    static func inspectOne(fsPath: String, path: String) -> OneResult {
        let file: BoundedFile
        do throws(FormatError) {
            file = try BoundedFile(path: fsPath)
        } catch {
            var i = FileInspection(path: path, size: 0, format: .unreadable)
            i.findings.append(Finding(.unreadable, .failure, path: path, message: "cannot inspect: \(error.message)"))
            return OneResult(inspection: i)
        }
        var result = OneResult(inspection: FileInspection(path: path, size: file.size, format: .other))
        let prefix: [UInt8]
        do throws(FormatError) {
            prefix = try file.read(at: 0, count: Placeholder.prefixLength)
        } catch {
            result.inspection.format = .unreadable
            result.inspection.findings.append(Finding(.unreadable, .failure, path: path, message: error.message))
            return result
        }
        let ext = fileExtension(path)
        let part = GGUFFile.partName(path)

        // Placeholders first: they are never the format their name says.
        if let kind = Placeholder.detect(prefix: prefix, size: file.size) {
            let counts: Bool
            switch kind {
            case .empty: counts = expectsContent.contains(ext) || part != nil
            case .html: counts = ext != "html" && ext != "htm" && ext != "md"
            default: counts = true
            }
            if counts {
                var hints: [String] = []
                if case .gitLFSPointer(let p) = kind { hints.append(p.hint(expectedSHA256: nil, expectedSize: nil)) }
                result.inspection.format = .placeholder
                result.inspection.placeholder = kind.name
                result.inspection.findings.append(Finding(.placeholder, .failure, path: path,
                                                          message: "\(kind.description), not the file's content", hints: hints))
                return result
            }
        }
        if let part {
            result.inspection.format = .ggufPart
            result.inspection.split = "\(part.index) of \(part.count)"
            result.inspection.findings.append(Finding(.formatNote, .note, path: path,
                message: "byte-split part \(part.index) of \(part.count) of \(ModelPath.quoted(part.whole)) (join the parts with cat); not parsed as GGUF"))
            return result
        }

        let sniffed = sniff(prefix, size: file.size)
        let declared: Sniffed
        if ext == "safetensors" { declared = .safetensors }
        else if ext == "gguf" { declared = .gguf }
        else if pickleExtensions.contains(ext) { declared = .pickle }
        else if isShardIndex(path) {
            result.inspection.format = .shardIndex
            return result  // checked with the set (needs the shards)
        } else { declared = .unknown }

        var effective = declared
        if sniffed != .unknown, sniffed != declared, !(declared == .pickle && sniffed == .zip) {
            if declared != .unknown {
                result.inspection.findings.append(Finding(.extensionMismatch, declared == .pickle ? .warning : .failure, path: path,
                    message: "content is \(name(sniffed)) but the name says \(name(declared))",
                    expected: name(declared), actual: name(sniffed)))
            }
            effective = sniffed
        }
        if declared == .pickle, sniffed == .zip { effective = .zip }

        switch effective {
        case .safetensors:
            result.inspection.format = .safetensors
            let (header, findings) = SafetensorsFile.inspect(file: file, path: path)
            result.inspection.findings += findings
            result.inspection.tensorCount = header?.tensors.count
            result.safetensors = header
        case .gguf:
            result.inspection.format = .gguf
            do throws(FormatError) {
                let h = try GGUFFile.parse(file: file)
                result.gguf = h
                result.inspection.ggufVersion = h.version
                result.inspection.tensorCount = h.tensors.count
                result.inspection.architecture = h.strings["general.architecture"]
                if let n = h.splitNumber, let c = h.splitCount { result.inspection.split = "\(n &+ 1) of \(c)" }
                result.inspection.findings += GGUFFile.checkTensors(h, fileSize: file.size, path: path)
            } catch {
                result.inspection.findings.append(error.finding(path: path, format: "GGUF"))
            }
        case .zip:
            inspectZip(file: file, path: path, into: &result.inspection, declaredPickle: declared == .pickle)
        case .pickle:
            let scan = PickleScanner.scan(file: file, start: 0, end: file.size)
            let looksValid = scan.problems.isEmpty || sniffed == .pickle
            if looksValid {
                result.inspection.format = .pickle
                result.inspection.findings.append(picklePresent(path: path, detail: "raw pickle, protocol \(scan.protocols.first.map(String.init) ?? "0/1")"))
                result.inspection.findings += pickleFindings(scan, path: path, entry: nil)
                result.inspection.pickleImports = uniqueImports([scan])
            } else if ext == "bin" || declared == .unknown {
                result.inspection.findings.append(Finding(.formatNote, .note, path: path,
                    message: "not a pickle, zip, safetensors or GGUF file; content not inspected"))
            } else {
                result.inspection.findings.append(Finding(.formatInvalid, .warning, path: path,
                    message: "named as a pickle but not one (\(scan.problems.first ?? "unknown content"))"))
            }
        case .unknown:
            break
        }
        return result
    }

    static func uniqueImports(_ scans: [PickleScan]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for s in scans { for i in s.imports where seen.insert(i.qualifiedName).inserted { out.append(i.qualifiedName) } }
        return out
    }

    static func pickleFindings(_ scan: PickleScan, path: String, entry: String?) -> [Finding] {
        let whereText = entry.map { " (zip entry \(ModelPath.quoted($0)))" } ?? ""
        var findings: [Finding] = []
        var seen = Set<String>()
        for i in scan.disallowedImports where seen.insert(i.qualifiedName).inserted {
            findings.append(Finding(.pickleImport, .failure, path: path,
                message: "pickle\(whereText) imports \(ModelPath.shown(i.qualifiedName)) (\(i.opcode) at offset \(i.offset)), which is not on the allow-list; loading runs it",
                actual: i.qualifiedName))
        }
        if scan.hitLimit {
            findings.append(Finding(.formatLimitExceeded, .warning, path: path, message: "pickle\(whereText): \(scan.problems.joined(separator: "; "))"))
        } else if !scan.problems.isEmpty {
            findings.append(Finding(.formatInvalid, .warning, path: path,
                message: "pickle\(whereText) is malformed: \(scan.problems.joined(separator: "; ")); scanned \(scan.bytesScanned) bytes"))
        }
        return findings
    }

    static func picklePresent(path: String, detail: String) -> Finding {
        Finding(.picklePresent, .warning, path: path,
                message: "pickle-based: code runs on load (\(detail)); prefer safetensors, load with weights_only=True",
                hints: ["an allow-list cannot make a pickle safe to load"])
    }

    static func inspectZip(file: BoundedFile, path: String, into inspection: inout FileInspection, declaredPickle: Bool) {
        inspection.format = .zip
        let entries: [ZipEntry]
        do throws(FormatError) {
            entries = try ZipDirectory.read(file)
        } catch {
            inspection.findings.append(error.finding(path: path, format: "zip"))
            return
        }
        let pickles = entries.filter { $0.name.hasSuffix(".pkl") }
        if pickles.isEmpty {
            if declaredPickle {
                inspection.findings.append(Finding(.formatNote, .note, path: path, message: "zip archive with no pickle entry"))
            }
            return
        }
        if pickles.contains(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) { inspection.format = .pytorchZip }
        var scans: [PickleScan] = []
        var notScanned: [String] = []
        for e in pickles {
            if e.flags & 1 != 0 || e.method != 0 {
                notScanned.append(e.name)
                inspection.findings.append(Finding(.formatNote, .warning, path: path,
                    message: e.flags & 1 != 0 ? "encrypted pickle entry \(ModelPath.quoted(e.name)), not scanned"
                                              : "compressed pickle entry \(ModelPath.quoted(e.name)) (zip method \(e.method)), not scanned"))
                continue
            }
            do throws(FormatError) {
                let range = try ZipDirectory.dataRange(of: e, in: file)
                let scan = PickleScanner.scan(file: file, start: range.lowerBound, end: range.upperBound)
                scans.append(scan)
                inspection.findings += pickleFindings(scan, path: path, entry: e.name)
            } catch {
                inspection.findings.append(error.finding(path: path, format: "zip"))
            }
        }
        inspection.pickleImports = uniqueImports(scans)
        let code = entries.filter { $0.name.hasSuffix(".py") && ($0.name.hasPrefix("code/") || $0.name.contains("/code/")) }
        if !code.isEmpty {
            inspection.findings.append(Finding(.formatNote, .warning, path: path,
                message: "TorchScript archive: \(code.count) code entries (e.g. \(ModelPath.quoted(code[0].name))) are compiled and run by torch.jit.load"))
        }
        let names = pickles.map { ModelPath.quoted($0.name) }.joined(separator: ", ")
        inspection.findings.insert(picklePresent(path: path, detail: "zip with \(names)"), at: 0)
    }

    // MARK: - Sets

    static func checkGGUFSplitSets(files: [FileInspection], headers: [String: GGUFHeader]) -> [Finding] {
        var findings: [Finding] = []
        var groups: [String: [(file: FileInspection, index: Int, count: Int)]] = [:]
        var order: [String] = []
        for f in files {
            guard let s = GGUFFile.splitName(f.path) else {
                if let h = headers[f.path], let c = h.splitCount, c > 1 {
                    findings.append(Finding(.splitSetIncomplete, .warning, path: f.path,
                        message: "declares split.count \(c) but is not named as a member of a split set (name-00001-of-0000N.gguf)"))
                }
                continue
            }
            if groups[s.prefix] == nil { order.append(s.prefix) }
            groups[s.prefix, default: []].append((f, s.index, s.count))
        }
        for prefix in order {
            guard let members = groups[prefix] else { continue }
            let setName = "\(prefix)-*-of-\(pad5(members[0].count)).gguf"
            let counts = Set(members.map(\.count))
            if counts.count > 1 {
                findings.append(Finding(.splitSetInconsistent, .failure, path: members[0].file.path,
                    message: "split set \(ModelPath.quoted(setName)): file names disagree on the number of files (\(counts.sorted()))"))
            }
            let total = members[0].count
            let present = Set(members.map(\.index))
            let missing = (1...max(total, 1)).filter { !present.contains($0) }
            let empty = members.filter { $0.file.size == 0 }
            for m in missing.prefix(maxIndexFindings) {
                findings.append(Finding(.splitSetIncomplete, .failure, path: "\(prefix)-\(pad5(m))-of-\(pad5(total)).gguf",
                    message: "GGUF split set \(ModelPath.quoted(setName)) has \(present.count) of \(total) files: member \(m) is missing",
                    expected: String(total), actual: String(present.count)))
            }
            if missing.count > maxIndexFindings {
                findings.append(Finding(.splitSetIncomplete, .failure, path: members[0].file.path,
                    message: "GGUF split set \(ModelPath.quoted(setName)): \(missing.count - maxIndexFindings) more missing members not listed"))
            }
            for e in empty {
                findings.append(Finding(.splitSetIncomplete, .failure, path: e.file.path,
                    message: "GGUF split set \(ModelPath.quoted(setName)) is incomplete: member \(e.index) of \(total) is empty (0 bytes)"))
            }
            for m in members where m.index < 1 || m.index > total {
                findings.append(Finding(.splitSetInconsistent, .failure, path: m.file.path, message: "file number \(m.index) is outside 1...\(total)"))
            }
            // Metadata of the members that parsed.
            var byNumber: [Int64: [String]] = [:]
            var tensorSum = 0
            var declaredTensors: Int64?
            var allParsed = missing.isEmpty
            for m in members.sorted(by: { $0.index < $1.index }) {
                guard let h = headers[m.file.path] else { allParsed = false; continue }
                tensorSum += h.tensors.count
                if let c = h.splitCount, c != Int64(total) {
                    findings.append(Finding(.splitSetInconsistent, .failure, path: m.file.path,
                        message: "split.count is \(c) but the set has \(total) files", expected: String(total), actual: String(c)))
                } else if h.splitCount == nil {
                    findings.append(Finding(.splitSetInconsistent, .warning, path: m.file.path, message: "member of a split set without split.count"))
                }
                if let n = h.splitNumber {
                    byNumber[n, default: []].append(m.file.path)
                    if n != Int64(m.index - 1) {
                        findings.append(Finding(.splitSetInconsistent, .failure, path: m.file.path,
                            message: "split.no is \(n) but the file name says member \(m.index) (split.no is 0-based: expected \(m.index - 1))",
                            expected: String(m.index - 1), actual: String(n)))
                    }
                } else {
                    findings.append(Finding(.splitSetInconsistent, .warning, path: m.file.path, message: "member of a split set without split.no"))
                }
                if let t = h.splitTensorsCount, declaredTensors == nil { declaredTensors = t }
            }
            for (n, paths) in byNumber.sorted(by: { $0.key < $1.key }) where paths.count > 1 {
                findings.append(Finding(.splitSetInconsistent, .failure, path: paths[0],
                    message: "split.no \(n) appears in \(paths.count) files: \(paths.map { ModelPath.quoted($0) }.joined(separator: ", "))"))
            }
            if !byNumber.isEmpty, byNumber.count != total, byNumber.values.contains(where: { $0.count > 1 }) {
                findings.append(Finding(.splitSetInconsistent, .failure, path: members[0].file.path,
                    message: "split set \(ModelPath.quoted(setName)) has \(byNumber.count) distinct split.no values for split.count \(total)",
                    expected: String(total), actual: String(byNumber.count)))
            }
            if allParsed, let d = declaredTensors, d != Int64(tensorSum) {
                findings.append(Finding(.splitSetInconsistent, .failure, path: members[0].file.path,
                    message: "split.tensors.count is \(d) but the members hold \(tensorSum) tensors", expected: String(d), actual: String(tensorSum)))
            }
        }
        return findings
    }

    static func pad5(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }

    static func checkPartSets(files: [FileInspection]) -> [Finding] {
        var findings: [Finding] = []
        var groups: [String: [(file: FileInspection, index: Int, count: Int)]] = [:]
        var order: [String] = []
        for f in files {
            guard let p = GGUFFile.partName(f.path) else { continue }
            if groups[p.whole] == nil { order.append(p.whole) }
            groups[p.whole, default: []].append((f, p.index, p.count))
        }
        for whole in order {
            guard let members = groups[whole] else { continue }
            let total = members.map(\.count).max() ?? 0
            let present = Set(members.map(\.index))
            let missing = (1...max(total, 1)).filter { !present.contains($0) }
            if Set(members.map(\.count)).count > 1 {
                findings.append(Finding(.splitSetInconsistent, .failure, path: members[0].file.path,
                    message: "byte-split parts of \(ModelPath.quoted(whole)) disagree on the number of parts"))
            }
            if missing.count > maxIndexFindings {
                findings.append(Finding(.splitSetIncomplete, .failure, path: members[0].file.path,
                    message: "byte-split set \(ModelPath.quoted(whole)): \(missing.count - maxIndexFindings) more missing parts not listed"))
            }
            for m in missing.prefix(maxIndexFindings) {
                findings.append(Finding(.splitSetIncomplete, .failure, path: "\(whole).part\(m)of\(total)",
                    message: "byte-split set \(ModelPath.quoted(whole)) has \(present.count) of \(total) parts: part \(m) is missing",
                    expected: String(total), actual: String(present.count)))
            }
            for m in members where m.file.size == 0 {
                findings.append(Finding(.splitSetIncomplete, .failure, path: m.file.path,
                    message: "byte-split set \(ModelPath.quoted(whole)) is incomplete: part \(m.index) is empty (0 bytes)"))
            }
            if missing.isEmpty {
                findings.append(Finding(.formatNote, .note, path: whole,
                    message: "byte-split GGUF (convention: \(ModelPath.quoted(baseName(whole))).partNofM, join with cat) of \(total) parts; parts not parsed"))
            }
        }
        return findings
    }

    // MARK: - Shard index

    static let maxIndexFindings = 100

    static func checkShardIndex(root: String, indexPath: String, paths: Set<String>, headers: inout [String: SafetensorsHeader],
                                tensorCount: inout Int?) -> [Finding] {
        var findings: [Finding] = []
        func fail(_ kind: Finding.Kind, _ m: String, path: String? = nil) {
            findings.append(Finding(kind, .failure, path: path ?? indexPath, message: m))
        }
        let json: StrictJSON
        do throws(FormatError) {
            let f = try BoundedFile(path: join(root, indexPath))
            if f.size > UInt64(Limits.maxShardIndexBytes) {
                return [Finding(.formatLimitExceeded, .warning, path: indexPath, message: "index of \(f.size) bytes exceeds the limit of \(Limits.maxShardIndexBytes) bytes; not checked")]
            }
            json = try StrictJSON.parse(try f.readExactly(at: 0, count: Int(f.size), what: "the index"))
        } catch {
            return [error.finding(path: indexPath, format: "shard index")]
        }
        guard let top = json.objectMembers else { return [Finding(.formatInvalid, .failure, path: indexPath, message: "invalid shard index: not a JSON object")] }
        guard let wm = top.first(where: { $0.0 == "weight_map" })?.1.objectMembers else {
            return [Finding(.formatInvalid, .failure, path: indexPath, message: "invalid shard index: no weight_map object")]
        }
        tensorCount = wm.count
        var weightMap: [String: String] = [:]
        var shardOrder: [String] = []
        var byShard: [String: [String]] = [:]
        for (tensor, v) in wm {
            guard let shard = v.stringValue else { fail(.formatInvalid, "weight_map entry \(ModelPath.quoted(tensor)) is not a string"); continue }
            weightMap[tensor] = shard
            if byShard[shard] == nil { shardOrder.append(shard) }
            byShard[shard, default: []].append(tensor)
        }
        let dir: String = indexPath.lastIndex(of: "/").map { String(indexPath[..<$0]) } ?? ""
        let isSafetensors = baseName(indexPath).lowercased().hasSuffix(".safetensors.index.json")
        var budget = maxIndexFindings
        var claimed: [String: String] = [:]  // tensor -> shard whose header holds it
        var spanTotal: UInt64 = 0
        var allRead = true
        for shard in shardOrder {
            let tensors = byShard[shard] ?? []
            if let problem = ModelPath.problem(shard) {
                fail(.formatInvalid, "weight_map names shard \(ModelPath.quoted(shard)): \(problem)")
                allRead = false
                continue
            }
            let shardPath = dir.isEmpty ? shard : dir + "/" + shard
            if !paths.contains(shardPath) && !isRegularFile(join(root, shardPath)) {
                fail(.splitSetIncomplete, "shard \(ModelPath.quoted(shardPath)) listed in \(ModelPath.quoted(indexPath)) for \(tensors.count) tensors is missing", path: shardPath)
                allRead = false
                continue
            }
            guard isSafetensors else { continue }
            var header = headers[shardPath]
            if header == nil {
                if let f = try? BoundedFile(path: join(root, shardPath)), let parsed = try? SafetensorsFile.parse(file: f) {
                    header = parsed.header
                    headers[shardPath] = parsed.header
                }
            }
            guard let h = header else {
                fail(.shardIndexMismatch, "shard \(ModelPath.quoted(shardPath)) has no readable safetensors header; its \(tensors.count) tensors are unchecked", path: shardPath)
                allRead = false
                continue
            }
            let inHeader = Set(h.tensors.map(\.name))
            for t in h.tensors { spanTotal = spanTotal &+ (t.end >= t.begin ? t.end - t.begin : 0) }
            for t in tensors where !inHeader.contains(t) {
                if budget > 0 { fail(.shardIndexMismatch, "weight_map puts tensor \(ModelPath.quoted(t)) in \(ModelPath.quoted(shardPath)), whose header lacks it", path: shardPath) }
                budget -= 1
            }
            for t in h.tensors {
                if let other = claimed[t.name] {
                    if budget > 0 { fail(.shardIndexMismatch, "tensor \(ModelPath.quoted(t.name)) is in both \(ModelPath.quoted(other)) and \(ModelPath.quoted(shardPath))", path: shardPath) }
                    budget -= 1
                }
                claimed[t.name] = shardPath
                let mapped = weightMap[t.name]
                if mapped == nil {
                    if budget > 0 { fail(.shardIndexMismatch, "tensor \(ModelPath.quoted(t.name)) in \(ModelPath.quoted(shardPath)) is not in the weight_map", path: shardPath) }
                    budget -= 1
                } else if let m = mapped, m != shard {
                    if budget > 0 { fail(.shardIndexMismatch, "tensor \(ModelPath.quoted(t.name)) is in \(ModelPath.quoted(shardPath)) but the weight_map puts it in \(ModelPath.quoted(m))", path: shardPath) }
                    budget -= 1
                }
            }
        }
        if budget < 0 {
            fail(.shardIndexMismatch, "\(-budget) more tensor mismatches not listed")
        }
        if isSafetensors, allRead, let meta = top.first(where: { $0.0 == "metadata" })?.1.objectMembers,
           let ts = meta.first(where: { $0.0 == "total_size" })?.1.unsignedInteger, ts != spanTotal {
            findings.append(Finding(.formatNote, .note, path: indexPath,
                message: "metadata.total_size is \(ts) bytes but the shards' tensors span \(spanTotal) bytes",
                expected: String(ts), actual: String(spanTotal)))
        }
        return findings
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}
