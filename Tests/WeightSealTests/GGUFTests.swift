import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds GGUF files byte by byte (ggml docs/gguf.md layout).
struct GGUFBuilder {
    enum V {
        case string(String), u8(UInt8), u16(UInt16), i32(Int32), u32(UInt32), u64(UInt64), f32(Float), bool(Bool)
        case stringArray([String]), u32Array([UInt32]), nestedArray([[String]])
        case raw(type: UInt32, bytes: [UInt8])
    }
    var version: UInt32 = 3
    var kv: [(String, V)]
    var tensors: [(name: String, dims: [UInt64], type: UInt32, offset: UInt64)] = []
    var data: [UInt8] = []
    var tensorCountOverride: UInt64?
    var kvCountOverride: UInt64?

    static func str(_ s: String) -> [UInt8] { FormatFixture.le64(UInt64(s.utf8.count)) + Array(s.utf8) }

    static func value(_ v: V) -> (UInt32, [UInt8]) {
        switch v {
        case .string(let s): return (8, str(s))
        case .u8(let x): return (0, [x])
        case .u16(let x): return (2, FormatFixture.le16(x))
        case .i32(let x): return (5, FormatFixture.le32(UInt32(bitPattern: x)))
        case .u32(let x): return (4, FormatFixture.le32(x))
        case .u64(let x): return (10, FormatFixture.le64(x))
        case .f32(let x): return (6, FormatFixture.le32(x.bitPattern))
        case .bool(let b): return (7, [b ? 1 : 0])
        case .stringArray(let a): return (9, FormatFixture.le32(8) + FormatFixture.le64(UInt64(a.count)) + a.flatMap(str))
        case .u32Array(let a): return (9, FormatFixture.le32(4) + FormatFixture.le64(UInt64(a.count)) + a.flatMap(FormatFixture.le32))
        case .nestedArray(let a):
            return (9, FormatFixture.le32(9) + FormatFixture.le64(UInt64(a.count)) + a.flatMap { inner in
                FormatFixture.le32(8) + FormatFixture.le64(UInt64(inner.count)) + inner.flatMap(str)
            })
        case .raw(let t, let b): return (t, b)
        }
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8) + FormatFixture.le32(version)
        out += FormatFixture.le64(tensorCountOverride ?? UInt64(tensors.count)) + FormatFixture.le64(kvCountOverride ?? UInt64(kv.count))
        for (k, v) in kv {
            let (t, b) = Self.value(v)
            out += Self.str(k) + FormatFixture.le32(t) + b
        }
        for t in tensors {
            out += Self.str(t.name) + FormatFixture.le32(UInt32(t.dims.count)) + t.dims.flatMap(FormatFixture.le64)
                + FormatFixture.le32(t.type) + FormatFixture.le64(t.offset)
        }
        while out.count % 32 != 0 { out.append(0) }
        return out + data
    }

    /// A member of the FIELD-CASES F14 set `m-0000N-of-00003.gguf`.
    static func f14Member(_ n: Int, splitNo: UInt16? = nil) -> [UInt8] {
        var kv: [(String, V)] = []
        if n == 1 { kv.append(("general.architecture", .string("llama"))) }
        kv += [("split.no", .u16(splitNo ?? UInt16(n - 1))), ("split.count", .u16(3)), ("split.tensors.count", .i32(2))]
        var b = GGUFBuilder(kv: kv)
        if n > 1 {
            b.tensors = [(name: "blk.\(n - 2).w", dims: [8], type: 0, offset: 0)]
            b.data = [UInt8](repeating: 0, count: 32)
        }
        return b.bytes()
    }
}

@Suite struct GGUFTests {
    @Test("reads version, counts, string KVs (general.license), split keys and tensor infos")
    func readHeader() throws {
        let fx = FormatFixture()
        var b = GGUFBuilder(kv: [
            ("general.architecture", .string("llama")), ("general.license", .string("apache-2.0")),
            ("general.license.name", .string("Apache 2.0")), ("llama.block_count", .u32(30)),
            ("general.alignment", .u32(32)), ("tokenizer.ggml.tokens", .stringArray(["<s>", "</s>", "a"])),
            ("tokenizer.ggml.token_type", .u32Array([1, 2, 3])), ("x.bool", .bool(true)), ("x.f", .f32(0.5)),
            ("x.big", .u64(1 << 40)), ("x.nested", .nestedArray([["a"], ["b", "c"]])),
        ])
        b.tensors = [(name: "token_embd.weight", dims: [32, 2], type: 8, offset: 0),
                     (name: "output_norm.weight", dims: [4], type: 0, offset: 96)]
        b.data = [UInt8](repeating: 0, count: 112)
        let path = fx.write("m.gguf", b.bytes())
        let h = try GGUFFile.read(path: path)
        #expect(h.version == 3)
        #expect(h.tensorCount == 2)
        #expect(h.keyValueCount == 11)
        #expect(h.strings == ["general.architecture": "llama", "general.license": "apache-2.0", "general.license.name": "Apache 2.0"])
        #expect(h.metadata["llama.block_count"] == .unsigned(30))
        #expect(h.metadata["tokenizer.ggml.tokens"] == .array(elementType: 8, count: 3))
        #expect(h.metadata["x.nested"] == .array(elementType: 9, count: 2))
        #expect(h.metadata["x.bool"] == .bool(true))
        #expect(h.metadata["x.f"] == .float(0.5))
        #expect(h.tensors.map(\.name) == ["token_embd.weight", "output_norm.weight"])
        #expect(h.tensors[0].dimensions == [32, 2])
        #expect(h.dataOffset % 32 == 0)
        #expect(GGUFFile.checkTensors(h, fileSize: UInt64(b.bytes().count), path: "m.gguf").isEmpty)
        let f = fx.inspect("m.gguf")
        #expect(f.format == .gguf)
        #expect(f.findings.isEmpty)
        #expect(f.ggufVersion == 3)
        #expect(f.architecture == "llama")
    }

    @Test("version 2 and big-endian files are read; version 1, bad magic and unknown value types are rejected with codes")
    func versionsAndErrors() throws {
        let fx = FormatFixture()
        var v2 = GGUFBuilder(kv: [("general.architecture", .string("gpt2"))])
        v2.version = 2
        #expect(try GGUFFile.read(path: fx.write("v2.gguf", v2.bytes())).version == 2)
        var v1 = v2
        v1.version = 1
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try GGUFFile.read(path: fx.write("v1.gguf", v1.bytes())) }
        // Big-endian: every number byte-swapped (version 3, 0 tensors, 1 KV "general.architecture" = "gpt2").
        let be: [UInt8] = Array("GGUF".utf8) + [0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 0, 0, 0, 0, 20] + Array("general.architecture".utf8) + [0, 0, 0, 8] + [0, 0, 0, 0, 0, 0, 0, 4] + Array("gpt2".utf8)
        let beHeader = try GGUFFile.read(path: fx.write("be.gguf", be))
        #expect(beHeader.isBigEndian)
        #expect(beHeader.version == 3)
        #expect(beHeader.strings == ["general.architecture": "gpt2"])
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try GGUFFile.read(path: fx.write("magic.gguf", Array("GGML....".utf8))) }
        let badType = GGUFBuilder(kv: [("k", .raw(type: 13, bytes: [0, 0, 0, 0]))])
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try GGUFFile.read(path: fx.write("t.gguf", badType.bytes())) }
        // A repeated key is kept apart with both values (readers disagree on which counts) and reported by checkTensors.
        let dup = GGUFBuilder(kv: [("k", .u8(1)), ("k", .u8(2))])
        let dupHeader = try GGUFFile.read(path: fx.write("d.gguf", dup.bytes()))
        #expect(dupHeader.metadata["k"] == nil)
        #expect(dupHeader.repeatedKeys == ["k": [.unsigned(1), .unsigned(2)]])
        #expect(fx.inspect("d.gguf").findings.map(\.message) == ["metadata key \"k\" appears 2 times, and readers keep different values"])
        let badBool = GGUFBuilder(kv: [("k", .raw(type: 7, bytes: [2]))])
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try GGUFFile.read(path: fx.write("b.gguf", badBool.bytes())) }
    }

    @Test("huge counts, strings and arrays stop at Limits without allocating")
    func limits() throws {
        let fx = FormatFixture()
        var manyKV = GGUFBuilder(kv: [])
        manyKV.kvCountOverride = UInt64.max
        #expect(throws: WeightSealError(.limitExceeded, "")) { try GGUFFile.read(path: fx.write("kv.gguf", manyKV.bytes())) }
        var manyTensors = GGUFBuilder(kv: [])
        manyTensors.tensorCountOverride = 1 << 40
        #expect(throws: WeightSealError(.limitExceeded, "")) { try GGUFFile.read(path: fx.write("t.gguf", manyTensors.bytes())) }
        let longString = GGUFBuilder(kv: [("k", .raw(type: 8, bytes: FormatFixture.le64(UInt64.max)))])
        #expect(throws: WeightSealError(.limitExceeded, "")) { try GGUFFile.read(path: fx.write("s.gguf", longString.bytes())) }
        let longArray = GGUFBuilder(kv: [("k", .raw(type: 9, bytes: FormatFixture.le32(0) + FormatFixture.le64(1 << 62)))])
        #expect(throws: WeightSealError(.limitExceeded, "")) { try GGUFFile.read(path: fx.write("a.gguf", longArray.bytes())) }
        // A plausible count whose bytes are absent: the file ends inside the array.
        let shortArray = GGUFBuilder(kv: [("k", .raw(type: 9, bytes: FormatFixture.le32(12) + FormatFixture.le64(1000)))])
        #expect(throws: WeightSealError(.unsupportedFormat, "")) { try GGUFFile.read(path: fx.write("sa.gguf", shortArray.bytes())) }
        let f = fx.inspect("kv.gguf")
        #expect(f.findings.map(\.kind) == [.formatLimitExceeded])
    }

    // MARK: - FIELD-CASES-2 G09: general.alignment

    /// `mkgguf.py`: two F32 tensors a=[1,2,3,4] at 0 and b=[5,6,7,8] at `bOffset`; `general.name` padded so that the
    /// tensor-info block ends 16 bytes past a 32-byte boundary; data padded to the declared alignment (32 when absent
    /// or 0). `alignment` nil omits the key. Large padding is left as a hole (a sparse file).
    static func mkgguf(_ fx: FormatFixture, _ name: String, alignment: (GGUFBuilder.V, UInt64)?, license: String? = nil,
                       bOffset: UInt64 = 16) -> (path: String, dataStart: UInt64) {
        func head(_ n: Int) -> [UInt8] {
            var kv: [(String, GGUFBuilder.V)] = [("general.architecture", .string("llama")), ("general.name", .string(String(repeating: "t", count: n)))]
            if let license { kv.append(("general.license", .string(license))) }
            if let a = alignment { kv.append(("general.alignment", a.0)) }
            var out: [UInt8] = Array("GGUF".utf8) + FormatFixture.le32(3) + FormatFixture.le64(2) + FormatFixture.le64(UInt64(kv.count))
            for (k, v) in kv {
                let (t, b) = GGUFBuilder.value(v)
                out += GGUFBuilder.str(k) + FormatFixture.le32(t) + b
            }
            for (i, t) in ["a", "b"].enumerated() {
                out += GGUFBuilder.str(t) + FormatFixture.le32(1) + FormatFixture.le64(4) + FormatFixture.le32(0) + FormatFixture.le64(i == 0 ? 0 : bOffset)
            }
            return out
        }
        let h = (1..<64).lazy.map(head).first { $0.count % 32 == 16 } ?? head(1)
        let step = alignment.map { $0.1 > 0 ? $0.1 : 32 } ?? 32
        let pad = (step - UInt64(h.count) % step) % step
        let dataStart = UInt64(h.count) + pad
        func f32s(_ xs: [Float]) -> [UInt8] { xs.flatMap { FormatFixture.le32($0.bitPattern) } }
        let data = f32s([1, 2, 3, 4]) + [UInt8](repeating: 0, count: Int(bOffset) - 16) + f32s([5, 6, 7, 8])
        let path = fx.write(name, h)
        let fd = open(path, O_WRONLY)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, data.count, off_t(dataStart)) }
        close(fd)
        return (path, dataStart)
    }

    @Test("G09: a declared alignment of 16 places data at 208, not at the 224 a reader ignoring it would use")
    func g09Align16() throws {
        let fx = FormatFixture()
        let (path, start) = Self.mkgguf(fx, "align16.gguf", alignment: (.u32(16), 16))
        #expect(start == 208)
        let h = try GGUFFile.read(path: path)
        #expect(h.alignment == 16)
        #expect(h.alignmentIssue == nil)
        #expect(h.dataOffset == 208)
        #expect(h.tensors.map(\.offset) == [0, 16])  // a at [208, 224), b at [224, 240)
        #expect(fx.inspect("align16.gguf").findings.isEmpty)
        #expect((try? BoundedFile(path: path))?.size == 240)
    }

    @Test("G09: no general.alignment means 32: data at 192; b at 16 is then misaligned (the script's note)")
    func g09AlignNone() throws {
        let fx = FormatFixture()
        let valid = Self.mkgguf(fx, "align-none.gguf", alignment: nil, bOffset: 32)
        #expect(valid.dataStart == 192)
        #expect(try GGUFFile.read(path: valid.path).dataOffset == 192)
        #expect(fx.inspect("align-none.gguf").findings.isEmpty)
        _ = Self.mkgguf(fx, "align-none-b16.gguf", alignment: nil)
        #expect(fx.inspect("align-none-b16.gguf").findings.map(\.message) == ["tensor \"b\" offset 16 is not a multiple of the alignment 32"])
    }

    @Test("G09: alignment 0, 24, INT32, UINT64, repeated: one named finding each, tensors not placed with a guess")
    func g09BadAlignments() throws {
        let fx = FormatFixture()
        let cases: [(String, GGUFBuilder.V, UInt64, [String])] = [
            ("align0.gguf", .u32(0), 0, ["general.alignment 0 is invalid"]),
            ("align24.gguf", .u32(24), 24,
             ["general.alignment 24 is not a power of two (the GGUF spec asks for a multiple of 8, but llama.cpp and gguf-py refuse it)"]),
            ("align-i32.gguf", .i32(16), 16, ["general.alignment must be UINT32, found INT32"]),
            ("align-u64.gguf", .u64(16), 16, ["general.alignment must be UINT32, found UINT64"]),
            ("align-u8.gguf", .u8(16), 16, ["general.alignment must be UINT32, found UINT8"]),
            ("align-str.gguf", .string("16"), 16, ["general.alignment must be UINT32, found STRING"]),
        ]
        for (name, value, step, messages) in cases {
            _ = Self.mkgguf(fx, name, alignment: (value, step))
            let f = fx.inspect(name).findings
            #expect(f.map(\.message) == messages, "\(name)")
            #expect(f.map(\.kind) == [.formatInvalid], "\(name)")
            #expect(f.map(\.severity) == [.failure], "\(name)")
            #expect(f.map(\.path) == [name], "\(name)")
        }
        #expect(try GGUFFile.read(path: fx.root + "/align-i32.gguf").alignmentIssue == .wrongType("INT32"))
        #expect(try GGUFFile.read(path: fx.root + "/align0.gguf").alignmentIssue == .zero)
        // A repeated key: named, and general.alignment has no one value.
        var twice = GGUFBuilder(kv: [("general.alignment", .u32(32)), ("general.alignment", .u32(16))])
        twice.tensors = [(name: "a", dims: [8], type: 0, offset: 0)]
        twice.data = [UInt8](repeating: 0, count: 32)
        fx.write("twice.gguf", twice.bytes())
        #expect(fx.inspect("twice.gguf").findings.map(\.message) == [
            "metadata key \"general.alignment\" appears 2 times, and readers keep different values",
            "general.alignment appears 2 times",
        ])
    }

    @Test("G09: alignment 2^30 in a 1 GiB sparse file: the cap is named, within well under a second, nothing padded is read")
    func g09AlignHuge() throws {
        let fx = FormatFixture()
        let (path, start) = Self.mkgguf(fx, "align-huge.gguf", alignment: (.u32(1 << 30), 1 << 30), license: "mit")
        #expect(start == 1 << 30)
        var f: [Finding] = []
        var scan = LicenseScan()
        let counter = BoundedFile.ReadCounter()
        BoundedFile.$readCounter.withValue(counter) {
            f = fx.inspect("align-huge.gguf").findings
            scan = LicenseScanner.scan(root: fx.root, paths: ["align-huge.gguf"])
        }
        // Headers only: bytes counted, not seconds (the padding before 2^30 is never read).
        #expect(counter.bytes > 0 && counter.bytes < 1 << 20, "\(counter.bytes) bytes read")
        #expect(f.map(\.message) == ["general.alignment 1073741824 exceeds the cap of 1048576 bytes (Limits.maxGGUFAlignment); tensors not checked"])
        #expect(f.map(\.kind) == [.formatLimitExceeded])
        #expect(f.map(\.severity) == [.warning])
        #expect(try GGUFFile.read(path: path).alignmentIssue == .aboveCap(1 << 30))
        // The license path reads the key/values only, whatever the alignment.
        #expect(scan.declarations == [LicenseDeclaration(path: "align-huge.gguf", field: "general.license", value: "mit")])
        #expect(scan.notes.isEmpty)
    }

    @Test("tensor data outside the file, misaligned or overlapping is reported")
    func tensorChecks() {
        let fx = FormatFixture()
        var b = GGUFBuilder(kv: [])
        b.tensors = [(name: "a", dims: [8], type: 0, offset: 0), (name: "b", dims: [8], type: 0, offset: 0),
                     (name: "c", dims: [8], type: 0, offset: 4), (name: "d", dims: [1000], type: 0, offset: 32),
                     (name: "e", dims: [8], type: 99, offset: 0), (name: "q", dims: [33], type: 8, offset: 0)]
        b.data = [UInt8](repeating: 0, count: 64)
        fx.write("t.gguf", b.bytes())
        let f = fx.inspect("t.gguf")
        let messages = f.findings.map(\.message)
        #expect(messages.contains { $0.contains("\"b\" overlaps \"a\"") })
        #expect(messages.contains { $0.contains("\"c\" offset 4 is not a multiple of the alignment 32") })
        #expect(messages.contains { $0.contains("\"d\" data [32, 4032)") })
        #expect(messages.contains { $0.contains("unknown ggml type 99") })
        #expect(messages.contains { $0.contains("\"q\" shape [33] does not fit ggml type 8") })
    }

    @Test("F14: a clean 3-file split set has no findings")
    func f14Clean() {
        let fx = FormatFixture()
        let names = (1...3).map { "m-0000\($0)-of-00003.gguf" }
        for (i, n) in names.enumerated() { fx.write(n, GGUFBuilder.f14Member(i + 1)) }
        let r = fx.inspect(names)
        #expect(r.findings.isEmpty)
        #expect(r.files.map(\.split) == ["1 of 3", "2 of 3", "3 of 3"])
        #expect(r.files[0].architecture == "llama")
    }

    @Test("F14(a): a zero-byte shard makes the set incomplete")
    func f14aEmptyShard() {
        let fx = FormatFixture()
        let names = (1...3).map { "m-0000\($0)-of-00003.gguf" }
        for (i, n) in names.enumerated() { fx.write(n, i == 1 ? [] : GGUFBuilder.f14Member(i + 1)) }
        let r = fx.inspect(names)
        #expect(r.files[1].findings.map(\.kind) == [.placeholder])
        let set = r.setFindings.of(.splitSetIncomplete)
        #expect(set.count == 1)
        #expect(set.first?.path == "m-00002-of-00003.gguf")
        #expect(set.first?.message.contains("incomplete: member 2 of 3 is empty") == true)
    }

    @Test("F14(b): a duplicate split.no and the split.count mismatch are flagged")
    func f14bDuplicate() {
        let fx = FormatFixture()
        let names = (1...3).map { "m-0000\($0)-of-00003.gguf" }
        for (i, n) in names.enumerated() { fx.write(n, GGUFBuilder.f14Member(i + 1, splitNo: i == 2 ? 1 : nil)) }
        let r = fx.inspect(names)
        #expect(r.setFindings.of(.splitSetIncomplete).isEmpty)
        let messages = r.setFindings.of(.splitSetInconsistent).map(\.message)
        #expect(messages.contains("split.no 1 appears in 2 files: \"m-00002-of-00003.gguf\", \"m-00003-of-00003.gguf\""))
        #expect(messages.contains("split set \"m-*-of-00003.gguf\" has 2 distinct split.no values for split.count 3"))
        #expect(messages.contains { $0.hasPrefix("split.no is 1 but the file name says member 3") })
    }

    @Test("F14(c): a deleted shard is reported as a set of 2 of 3")
    func f14cMissing() {
        let fx = FormatFixture()
        let names = (1...2).map { "m-0000\($0)-of-00003.gguf" }
        for (i, n) in names.enumerated() { fx.write(n, GGUFBuilder.f14Member(i + 1)) }
        let r = fx.inspect(names)
        let f = r.setFindings.of(.splitSetIncomplete)
        #expect(f.count == 1)
        #expect(f.first?.path == "m-00003-of-00003.gguf")
        #expect(f.first?.message == "GGUF split set \"m-*-of-00003.gguf\" has 2 of 3 files: member 3 is missing")
        #expect(f.first?.expected == "3")
        #expect(f.first?.actual == "2")
    }

    @Test("F14(d): byte-split .gguf.partNofM files are recognised and not parsed as GGUF")
    func f14dParts() {
        let fx = FormatFixture()
        let whole = GGUFBuilder.f14Member(2)
        let cut = whole.count / 2
        fx.write("m.gguf.part1of2", Array(whole[..<cut]))
        fx.write("m.gguf.part2of2", Array(whole[cut...]))
        let r = fx.inspect(["m.gguf.part1of2", "m.gguf.part2of2"])
        #expect(r.files.map(\.format) == [.ggufPart, .ggufPart])
        #expect(r.files.map(\.split) == ["1 of 2", "2 of 2"])
        #expect(r.findings.allSatisfy { $0.severity == .note })
        #expect(r.findings.of(.formatInvalid).isEmpty)
        #expect(r.setFindings.first?.message.contains(".partNofM, join with cat") == true)
        #expect(!r.hasProblems)
        // One part alone: the set is incomplete.
        let lone = fx.inspect(["m.gguf.part1of2"])
        #expect(lone.setFindings.of(.splitSetIncomplete).first?.path == "m.gguf.part2of2")
    }

    @Test("split and part names are parsed exactly")
    func names() {
        #expect(GGUFFile.splitName("dir/Model-Q4-00002-of-00010.gguf").map { $0 == ("dir/Model-Q4", 2, 10) } == true)
        #expect(GGUFFile.splitName("model.gguf") == nil)
        #expect(GGUFFile.splitName("m-0001-of-0003.gguf") == nil)
        #expect(GGUFFile.partName("a/m.Q8.gguf.part3of12").map { $0 == ("a/m.Q8.gguf", 3, 12) } == true)
        #expect(GGUFFile.partName("m.GGUF.Part1Of2").map { $0 == ("m.GGUF", 1, 2) } == true)
        #expect(GGUFFile.partName("m.gguf.part1of") == nil)
        #expect(GGUFFile.partName("m.gguf") == nil)
    }
}

/// The repository's `manifests/testvectors/<area>` folder.
func formatVectors(_ area: String = "formats") -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("manifests/testvectors/\(area)").path
}

@Suite struct GGUFReferenceTests {
    struct Expected: Decodable {
        struct Tensor: Decodable { var name: String; var type: UInt32; var dims: [UInt64]; var offset: UInt64; var bytes: UInt64 }
        var tensors: [Tensor]
        var dataOffset: UInt64
        var keys: [String]
    }

    @Test("reference.gguf (written by gguf-py) reads as gguf.GGUFReader reads it")
    func matchesReferenceReader() throws {
        let dir = formatVectors()
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/reference.gguf.json")))
        let h = try GGUFFile.read(path: dir + "/reference.gguf")
        #expect(h.version == 3)
        #expect(!h.isBigEndian)
        #expect(h.dataOffset == expected.dataOffset)
        #expect(h.tensors.map(\.name) == expected.tensors.map(\.name))
        #expect(h.tensors.map(\.type) == expected.tensors.map(\.type))
        #expect(h.tensors.map(\.dimensions) == expected.tensors.map(\.dims))
        #expect(h.tensors.map(\.offset) == expected.tensors.map(\.offset))
        #expect(Set(h.metadata.keys) == Set(expected.keys))
        #expect(h.strings["general.architecture"] == "llama")
        #expect(h.strings["general.license"] == "apache-2.0")
        #expect(h.metadata["tokenizer.ggml.tokens"] == .array(elementType: 8, count: 4))
        for (t, e) in zip(h.tensors, expected.tensors) {
            let size = try #require(GGUFFile.typeSizes[t.type])
            #expect(t.dimensions.reduce(1, *) / size.block * size.bytes == e.bytes)
        }
        let f = FormatInspector.inspectFile(root: dir, path: "reference.gguf")
        #expect(f.format == .gguf)
        #expect(f.findings.isEmpty)
        #expect(f.architecture == "llama")
    }
}

@Suite struct GGUFSplitReferenceTests {
    static let names = (1...3).map { "split-0000\($0)-of-00003.gguf" }

    @Test("a split set written by gguf-py has no findings; without its last member it is 2 of 3")
    func referenceSplitSet() throws {
        let dir = formatVectors()
        let r = FormatInspector.inspect(root: dir, paths: Self.names)
        #expect(r.findings.isEmpty)
        #expect(r.files.map(\.split) == ["1 of 3", "2 of 3", "3 of 3"])
        let h = try GGUFFile.read(path: dir + "/" + Self.names[0])
        #expect(h.splitNumber == 0)
        #expect(h.splitCount == 3)
        #expect(h.splitTensorsCount == 3)
        #expect(h.strings["general.license"] == "mit")
        let partial = FormatInspector.inspect(root: dir, paths: Array(Self.names.prefix(2)))
        #expect(partial.setFindings.map(\.message) == ["GGUF split set \"split-*-of-00003.gguf\" has 2 of 3 files: member 3 is missing"])
    }
}
