import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SafetensorsTests {
    static func tensor(_ name: String, _ dtype: String = "F32", _ shape: [Int], _ b: Int, _ e: Int) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(b),\#(e)]}"#
    }

    static func file(_ tensors: [String], metadata: String? = nil, data: Int, extra: Int = 0) -> [UInt8] {
        let entries = (metadata.map { [#""__metadata__":\#($0)"#] } ?? []) + tensors
        return FormatFixture.safetensors("{" + entries.joined(separator: ",") + "}", data: [UInt8](repeating: 7, count: data + extra))
    }

    func findings(_ bytes: [UInt8], name: String = "t.safetensors") -> [Finding] {
        let fx = FormatFixture()
        fx.write(name, bytes)
        return fx.inspect(name).findings
    }

    @Test("a valid file parses: header length, tensors, __metadata__; layout has no findings")
    func valid() throws {
        let fx = FormatFixture()
        let bytes = Self.file([Self.tensor("a", "BF16", [2, 3], 0, 12), Self.tensor("b", "U8", [4], 12, 16)],
                              metadata: #"{"format":"pt","license":"mit"}"#, data: 16)
        let path = fx.write("m.safetensors", bytes)
        let h = try SafetensorsFile.readHeader(path: path)
        #expect(h.headerLength == UInt64(bytes.count - 8 - 16))
        #expect(h.metadata == ["format": "pt", "license": "mit"])
        #expect(h.tensors == [SafetensorsTensor(name: "a", dtype: "BF16", shape: [2, 3], begin: 0, end: 12),
                              SafetensorsTensor(name: "b", dtype: "U8", shape: [4], begin: 12, end: 16)])
        #expect(SafetensorsFile.checkLayout(h, fileSize: UInt64(bytes.count), path: "m").isEmpty)
        #expect(fx.inspect("m.safetensors").findings.isEmpty)
    }

    @Test("F13(a): two tensors sharing one byte range are reported as aliased")
    func f13aAliased() {
        let f = findings(Self.file([Self.tensor("k_proj.weight", "F32", [2, 2], 0, 16), Self.tensor("v_proj.weight", "F32", [2, 2], 0, 16)], data: 16))
        #expect(f.count == 1)
        #expect(f.first?.kind == .formatInvalid)
        #expect(f.first?.message == "tensors \"k_proj.weight\" and \"v_proj.weight\" share the byte range [0, 16] (aliased)")
    }

    @Test("F13(b): a span shorter than shape × dtype size")
    func f13bShort() {
        let f = findings(Self.file([Self.tensor("t", "F32", [1000, 1000], 0, 4)], data: 4))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.expected == "4000000")
        #expect(f.first?.actual == "4")
    }

    @Test("F13(c): a hole between tensors")
    func f13cHole() {
        let f = findings(Self.file([Self.tensor("a", "F32", [4], 0, 16), Self.tensor("b", "F32", [4], 32, 48)], data: 48))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message == "bytes [16, 32) of the data section belong to no tensor (hole)")
    }

    @Test("F13(d): reversed offsets")
    func f13dReversed() {
        let f = findings(Self.file([Self.tensor("t", "F32", [4], 16, 0)], data: 16))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message == "tensor \"t\" has reversed data_offsets [16, 0]")
    }

    @Test("F13(e): bytes after the last tensor")
    func f13eTrailing() {
        let f = findings(Self.file([Self.tensor("t", "F32", [4], 0, 16)], data: 16, extra: 1024))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message.hasPrefix("1024 bytes after the last tensor") == true)
    }

    @Test("F13(f): a zero-size tensor (shape [0], equal offsets) is valid")
    func f13fZeroSize() {
        #expect(findings(Self.file([Self.tensor("t", "F32", [4], 0, 16), Self.tensor("empty", "F8_E4M3", [0], 16, 16)], data: 16)).isEmpty)
        #expect(findings(Self.file([Self.tensor("empty", "F32", [0, 5], 0, 0), Self.tensor("t", "F32", [4], 0, 16)], data: 16)).isEmpty)
        #expect(findings(Self.file([Self.tensor("empty", "F32", [0], 0, 0)], data: 0)).isEmpty)
    }

    @Test("partial overlaps, out-of-range offsets, unknown dtypes, sub-byte dtypes")
    func otherLayouts() {
        let overlap = findings(Self.file([Self.tensor("a", "F32", [4], 0, 16), Self.tensor("b", "F32", [4], 8, 24)], data: 24))
        #expect(overlap.map(\.message).contains("tensor \"b\" [8, 24] overlaps \"a\" [0, 16]"))
        let outside = findings(Self.file([Self.tensor("a", "F32", [4], 0, 16)], data: 8))
        #expect(outside.map(\.kind) == [.formatInvalid])
        #expect(outside.first?.message.contains("outside the 8-byte data section") == true)
        let unknown = findings(Self.file([Self.tensor("a", "Q9", [4], 0, 16)], data: 16))
        #expect(unknown.map(\.kind) == [.formatInvalid])
        #expect(unknown.map(\.severity) == [.warning])
        #expect(findings(Self.file([Self.tensor("a", "F4", [6], 0, 3)], data: 3)).isEmpty)
        let odd = findings(Self.file([Self.tensor("a", "F4", [3], 0, 2)], data: 2))
        #expect(odd.first?.message.contains("do not fill whole bytes") == true)
        let overflow = findings(Self.file([Self.tensor("a", "F64", [4294967296, 4294967296], 0, 8)], data: 8))
        #expect(overflow.first?.message.contains("overflows 64 bits") == true)
    }

    @Test("F12(a): header length FF×8 is invalid, without allocating")
    func f12aNegative() {
        let f = findings([UInt8](repeating: 0xFF, count: 8))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message == "invalid safetensors: header length 18446744073709551615 is larger than the rest of the file (0 bytes) and than the 100000000-byte limit")
    }

    @Test("F12(b): a length of 104,857,608 followed by {} (10 bytes) is invalid")
    func f12bClaims100MiB() {
        let f = findings(FormatFixture.le64(104_857_608) + Array("{}".utf8))
        #expect(f.map(\.kind) == [.formatInvalid])
        #expect(f.first?.message.contains("header length 104857608 is larger than the rest of the file (2 bytes)") == true)
    }

    @Test("a header above the 100,000,000-byte cap that fits the file is 'exceeds limit', not corrupt")
    func overCap() throws {
        let fx = FormatFixture()
        let path = fx.write("big.safetensors", FormatFixture.le64(100_000_001) + Array("{}".utf8))
        #expect(truncate(path, 200_000_000) == 0)  // sparse
        let f = fx.inspect("big.safetensors").findings
        #expect(f.map(\.kind) == [.formatLimitExceeded])
        #expect(f.first?.severity == .warning)
        #expect(throws: WeightSealError(.limitExceeded, "")) { try SafetensorsFile.readHeader(path: path) }
    }

    @Test("F12(c): an 8 GiB sparse file with a bad header is inspected in well under a second")
    func f12cSparse() throws {
        let fx = FormatFixture()
        let path = fx.write("sparse.safetensors", [])
        #expect(truncate(path, 8 << 30) == 0)
        let fd = open(path, O_WRONLY)
        let header: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(header.withUnsafeBytes { pwrite(fd, $0.baseAddress, 8, 0) } == 8)
        close(fd)
        var report: InspectionReport?
        let counter = BoundedFile.ReadCounter()
        BoundedFile.$readCounter.withValue(counter) { report = fx.inspect(["sparse.safetensors"]) }
        // The 8 GiB are never read: bytes counted, not seconds.
        #expect(counter.bytes > 0 && counter.bytes < 1 << 16, "\(counter.bytes) bytes read")
        #expect(report?.files.first?.size == 8 << 30)
        #expect(report?.findings.map(\.kind) == [.formatInvalid])
        #expect(report?.findings.first?.message.contains("header length 9223372036854775807 is larger than the rest of the file (8589934584 bytes)") == true)
    }

    @Test("malformed headers: not '{', not JSON, duplicate keys, bad entries, non-string metadata")
    func malformed() throws {
        // Leading whitespace is accepted, as by the reference library (safetensors 0.8.0); a non-object is not.
        #expect(findings(FormatFixture.safetensors(" {}", data: [])).isEmpty)
        #expect(findings(FormatFixture.safetensors("[]", data: [])).first?.message == "invalid safetensors: header is not a JSON object")
        #expect(findings(FormatFixture.safetensors("{\"a\":", data: [])).first?.kind == .formatInvalid)
        let dup = findings(FormatFixture.safetensors("{" + Self.tensor("a", "F32", [1], 0, 4) + "," + Self.tensor("a", "F32", [1], 0, 4) + "}", data: [0, 0, 0, 0]))
        #expect(dup.first?.message.contains("duplicate tensor name \"a\"") == true)
        let bad = findings(FormatFixture.safetensors(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1]},"__metadata__":{"n":1}}"#, data: [0, 0, 0, 0]))
        let messages = bad.map(\.message)
        #expect(messages.contains("tensor \"a\": shape has a non-integer or negative dimension"))
        #expect(messages.contains("tensor \"b\" lacks data_offsets"))
        #expect(messages.contains("__metadata__ value \"n\" is a number, not a string"))
        let fx = FormatFixture()
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try SafetensorsFile.readHeader(path: fx.write("x.safetensors", [1, 2, 3])) }
        #expect(throws: WeightSealError(.io, "")) { try SafetensorsFile.readHeader(path: fx.root + "/absent.safetensors") }
    }

    // MARK: - FIELD-CASES-2 G07: repeated names and a misused __metadata__

    /// `mkst.py NAME 'HEADER' N`: the header text byte for byte, padded with spaces, then N pattern bytes.
    static func mkst(_ header: String, _ n: Int = 16) -> [UInt8] {
        FormatFixture.safetensors(header, data: (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) })
    }

    static let w2 = #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    static let w4 = #""w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#

    @Test("G07(a–c): a repeated tensor name is one finding naming it (decoded), not a coverage symptom")
    func g07RepeatedTensorName() throws {
        let dupMessage = "duplicate tensor name \"w\": the header has 2 entries for it, and readers keep different ones"
        let a = findings(Self.mkst("{" + Self.w2 + "," + Self.w4 + "}"), name: "dup.safetensors")
        #expect(a.map(\.message) == [dupMessage])
        #expect(a.map(\.kind) == [.formatInvalid])
        #expect(a.map(\.severity) == [.failure])
        #expect(a.map(\.path) == ["dup.safetensors"])
        let escaped = Self.w4.replacingOccurrences(of: #""w""#, with: #""\u0077""#)
        let b = findings(Self.mkst("{" + Self.w2 + "," + escaped + "}"))
        #expect(b.map(\.message) == [dupMessage])
        let c = findings(Self.mkst("{" + Self.w4 + "," + Self.w2 + "}"))
        #expect(c.map(\.message) == [dupMessage])
        // The header keeps the first entry per name and names the repeat.
        let fx = FormatFixture()
        let h = try SafetensorsFile.readHeader(path: fx.write("c.safetensors", Self.mkst("{" + Self.w4 + "," + Self.w2 + "}")))
        #expect(h.tensors == [SafetensorsTensor(name: "w", dtype: "F32", shape: [4], begin: 0, end: 16)])
        #expect(h.repeatedTensorNames == ["w"])
        // A field repeated inside one entry is named too.
        let field = findings(Self.mkst(#"{"w":{"dtype":"F32","dtype":"I8","shape":[4],"data_offsets":[0,16]}}"#))
        #expect(field.map(\.message) == ["tensor \"w\" repeats the field dtype"])
    }

    @Test("G07(d, e): an empty or absent __metadata__ is valid and declares no license")
    func g07EmptyOrAbsentMetadata() throws {
        let fx = FormatFixture()
        fx.write("meta-empty.safetensors", Self.mkst(#"{"__metadata__":{},"# + Self.w4 + "}"))
        fx.write("meta-none.safetensors", Self.mkst("{" + Self.w4 + "}"))
        let r = fx.inspect(["meta-empty.safetensors", "meta-none.safetensors"])
        #expect(r.findings.isEmpty)
        let scan = LicenseScanner.scan(root: fx.root, paths: ["meta-empty.safetensors", "meta-none.safetensors"])
        #expect(scan.declarations.isEmpty)
        #expect(scan.notes.isEmpty)
        #expect(scan.ambiguities.isEmpty)
    }

    @Test("G07(f): a __metadata__ value that is a list is a finding, and the license reader does not pick from it")
    func g07MetadataList() throws {
        let fx = FormatFixture()
        fx.write("meta-list.safetensors", Self.mkst(#"{"__metadata__":{"license":["mit"]},"# + Self.w4 + "}"))
        let f = fx.inspect("meta-list.safetensors").findings
        #expect(f.map(\.message) == ["__metadata__ value \"license\" is an array, not a string"])
        #expect(f.map(\.severity) == [.failure])
        let scan = LicenseScanner.scan(root: fx.root, paths: ["meta-list.safetensors"])
        #expect(scan.declarations.isEmpty)
        #expect(scan.notes.map(\.kind) == [.licenseUnreadable])
        #expect(scan.notes.map(\.message) == ["\"meta-list.safetensors\": __metadata__.license holds a JSON array, not a string"])
    }

    @Test("G07(g): the reserved name used as a tensor entry is named; its bytes are not called a hole")
    func g07MetadataAsTensor() {
        let f = findings(Self.mkst(#"{"__metadata__":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#))
        #expect(f.map(\.message) == ["__metadata__ is reserved for a string-to-string map but holds a tensor entry (dtype, shape, data_offsets)"])
        #expect(f.map(\.kind) == [.formatInvalid])
    }

    @Test("G07(h): two __metadata__ objects: inspect names both values, the license is ambiguous, sign refuses, verify fails")
    func g07DuplicateMetadata() throws {
        let header = #"{"__metadata__":{"license":"mit"},"# + Self.w4 + #","__metadata__":{"license":"llama3"}}"#
        let fx = FormatFixture()
        fx.write("model.safetensors", Self.mkst(header))
        let f = fx.inspect("model.safetensors").findings
        #expect(f.map(\.message) == ["duplicate __metadata__: the header has 2 __metadata__ objects, and readers keep different ones (__metadata__.license = \"mit\", \"llama3\")"])
        #expect(f.map(\.kind) == [.formatInvalid])
        let h = try SafetensorsFile.readHeader(path: fx.root + "/model.safetensors")
        #expect(h.metadata.isEmpty)
        #expect(h.repeatedMetadata == ["license": ["mit", "llama3"]])
        #expect(h.metadataObjectCount == 2)

        // The license reader uses the same parse: no declaration, one ambiguity naming file and field.
        let scan = LicenseScanner.scan(root: fx.root, paths: ["model.safetensors"])
        #expect(scan.declarations.isEmpty)
        let ambiguity = LicenseAmbiguity(path: "model.safetensors", field: "__metadata__.license", values: ["\"mit\"", "\"llama3\""],
                                         reason: "the header has 2 __metadata__ objects")
        #expect(scan.ambiguities == [ambiguity])
        #expect(ambiguity.message == "\"model.safetensors\": __metadata__.license is stated 2 times (\"mit\", \"llama3\"): the header has 2 __metadata__ objects; readers keep different ones, so the file declares no single license")

        // (i) sign: exit 2 (a thrown error) naming file and field, with or without --license.
        for choice in [nil, "mit"] as [String?] {
            do {
                _ = try LicenseResolver.resolve(scan: scan, publisherChoice: choice)
                Issue.record("signing an ambiguous declaration must fail")
            } catch {
                #expect(error.code == .licenseAmbiguous)
                #expect(error.message.hasPrefix("\"model.safetensors\": __metadata__.license is stated 2 times"))
            }
        }

        // inspect's and verify's license check: a failure naming file and field, showing both values.
        let signed = LicenseRecord(expression: "MIT", declarations: [.init(path: "model.safetensors", field: "__metadata__.license", value: "mit")], files: [])
        let checked = LicenseCheck.check(signed: signed, scan: scan, signedPaths: ["model.safetensors"], policy: nil)
        #expect(checked.map(\.kind) == [.licenseAmbiguous, .licenseMismatch])
        #expect(checked.first?.severity == .failure)
        #expect(checked.first?.path == "model.safetensors")
        #expect(checked.first?.actual == "\"mit\", \"llama3\"")
        #expect(LicenseCheck.check(signed: nil, scan: scan, signedPaths: ["model.safetensors"], policy: nil).map(\.kind) == [.licenseAmbiguous])

        // A key repeated inside one __metadata__ is the same ambiguity.
        fx.write("k.safetensors", Self.mkst(#"{"__metadata__":{"license":"mit","license":"mit"},"# + Self.w4 + "}"))
        #expect(fx.inspect("k.safetensors").findings.map(\.message) == ["__metadata__ repeats a key, and readers keep different values: __metadata__.license = \"mit\", \"mit\""])
        let k = LicenseScanner.scan(root: fx.root, paths: ["k.safetensors"])
        #expect(k.ambiguities.map(\.reason) == ["__metadata__ repeats the key"])
    }

    @Test("the strict JSON reader keeps 64-bit integers exact and caps nesting")
    func json() throws {
        #expect(try StrictJSON.parse(Array("[18446744073709551615]".utf8)) == .array([.number("18446744073709551615")]))
        #expect(StrictJSON.number("18446744073709551616").unsignedInteger == nil)
        #expect(StrictJSON.number("1.0").unsignedInteger == nil)
        #expect(try StrictJSON.parse(Array(#""\u00e9\ud83d\ude00""#.utf8)) == .string("é😀"))
        #expect(throws: FormatError.self) { try StrictJSON.parse(Array(String(repeating: "[", count: 100).utf8)) }
        #expect(throws: FormatError.self) { try StrictJSON.parse(Array(#""\ud800""#.utf8)) }
        #expect(throws: FormatError.self) { try StrictJSON.parse(Array("{} x".utf8)) }
    }
}

@Suite struct SafetensorsReferenceTests {
    @Test("reference.safetensors (written by safetensors 0.8.0) parses exactly and has no findings")
    func reference() throws {
        let dir = formatVectors()
        let h = try SafetensorsFile.readHeader(path: dir + "/reference.safetensors")
        #expect(h.headerLength == 432)
        #expect(h.metadata == ["format": "pt", "license": "apache-2.0"])
        #expect(h.tensors == [
            SafetensorsTensor(name: "ids", dtype: "I64", shape: [3], begin: 0, end: 24),
            SafetensorsTensor(name: "embed.weight", dtype: "F32", shape: [4, 8], begin: 24, end: 152),
            SafetensorsTensor(name: "empty", dtype: "F32", shape: [0], begin: 152, end: 152),
            SafetensorsTensor(name: "norm.weight", dtype: "F16", shape: [8], begin: 152, end: 168),
            SafetensorsTensor(name: "bytes", dtype: "U8", shape: [5], begin: 168, end: 173),
            SafetensorsTensor(name: "mask", dtype: "BOOL", shape: [3], begin: 173, end: 176),
        ])
        #expect(FormatInspector.inspectFile(root: dir, path: "reference.safetensors").findings.isEmpty)
    }

    /// The OMS interop model (Python-written shards and index), where it exists (main's manifests/testvectors/oms).
    @Test("the OMS test model's shards and index have no findings",
          .enabled(if: FileManager.default.fileExists(atPath: formatVectors("oms") + "/model/model.safetensors.index.json")))
    func omsModel() {
        let dir = formatVectors("oms") + "/model"
        let paths = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"]
        let r = FormatInspector.inspect(root: dir, paths: paths)
        #expect(r.findings.isEmpty)
        #expect(r.files.map(\.format) == [.other, .safetensors, .safetensors, .shardIndex])
    }
}
