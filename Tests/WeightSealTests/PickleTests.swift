import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite struct PickleTests {
    static func hex(_ s: String) -> [UInt8] { [UInt8](hexString: s) ?? [] }

    @Test("F17: the 50-byte protocol-2 pickle is scanned exactly; builtins.print is flagged")
    func f17Scan() {
        let p = FormatFixture.f17Pickle
        #expect(p.count == 50)
        let scan = PickleScanner.scan(bytes: p)
        #expect(scan.problems.isEmpty)
        #expect(scan.protocols == [2])
        #expect(scan.pickleCount == 1)
        #expect(scan.bytesScanned == 50)
        #expect(scan.imports == [PickleImport(module: "builtins", name: "print", opcode: "GLOBAL", offset: 2)])
        #expect(scan.disallowedImports.map(\.qualifiedName) == ["builtins.print"])
    }

    @Test("F17: raw pytorch_model.bin is pickle-based and imports builtins.print")
    func f17Raw() {
        let fx = FormatFixture()
        fx.write("pytorch_model.bin", FormatFixture.f17Pickle)
        let f = fx.inspect("pytorch_model.bin")
        #expect(f.format == .pickle)
        #expect(f.findings.map(\.kind) == [.picklePresent, .pickleImport])
        #expect(f.findings[0].severity == .warning)
        #expect(f.findings[0].message.hasPrefix("pickle-based: code runs on load"))
        #expect(f.findings[1].severity == .failure)
        #expect(f.findings[1].actual == "builtins.print")
        #expect(f.pickleImports == ["builtins.print"])
    }

    @Test("F17: the same bytes as archive/data.pkl in a zip named model.pt")
    func f17Zip() {
        let fx = FormatFixture()
        fx.write("model.pt", FormatFixture.zip([("archive/data.pkl", FormatFixture.f17Pickle), ("archive/version", Array("3\n".utf8))]))
        let f = fx.inspect("model.pt")
        #expect(f.format == .pytorchZip)
        #expect(f.findings.map(\.kind) == [.picklePresent, .pickleImport])
        #expect(f.findings[1].message.contains("zip entry \"archive/data.pkl\""))
        #expect(f.pickleImports == ["builtins.print"])
    }

    @Test("a ZIP64 archive (end record through the ZIP64 locator) is read the same way")
    func zip64() {
        let fx = FormatFixture()
        fx.write("model.pth", FormatFixture.zip([("archive/version", [0x33]), ("archive/data.pkl", FormatFixture.f17Pickle)], zip64: true))
        let f = fx.inspect("model.pth")
        #expect(f.format == .pytorchZip)
        #expect(f.findings.map(\.kind) == [.picklePresent, .pickleImport])
        #expect(f.pickleImports == ["builtins.print"])
    }

    @Test("F17: the same bytes named weights.safetensors are a content/extension mismatch")
    func f17Mismatch() {
        let fx = FormatFixture()
        fx.write("weights.safetensors", FormatFixture.f17Pickle)
        let f = fx.inspect("weights.safetensors")
        #expect(f.format == .pickle)
        #expect(f.findings.map(\.kind) == [.extensionMismatch, .picklePresent, .pickleImport])
        #expect(f.findings[0].severity == .failure)
        #expect(f.findings[0].message == "content is pickle but the name says safetensors")
    }

    @Test("allowed imports are not flagged, but the file is still pickle-based (Python pickle.dumps output)")
    func allowed() {
        // pickle.dumps(collections.OrderedDict(a=1), protocol=2) and protocol=4 (STACK_GLOBAL with MEMOIZE).
        for bytes in [Self.hex("800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006171024b01732e"),
                      Self.hex("80049529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0161944b01732e")] {
            let scan = PickleScanner.scan(bytes: bytes)
            #expect(scan.problems.isEmpty)
            #expect(scan.imports.map(\.qualifiedName) == ["collections.OrderedDict"])
            #expect(scan.disallowedImports.isEmpty)
        }
        let fx = FormatFixture()
        fx.write("m.pth", Self.hex("80049529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0161944b01732e"))
        #expect(fx.inspect("m.pth").findings.map(\.kind) == [.picklePresent])
    }

    @Test("protocol 5 opcodes (FRAME, BYTEARRAY8, SHORT_BINBYTES, BINFLOAT, LONG1) are skipped by their exact lengths")
    func protocol5() {
        // pickle.dumps([collections.OrderedDict, bytearray(b'xyz'), b'c\n', 3.5, 10**30], protocol=5)
        let scan = PickleScanner.scan(bytes: Self.hex("8005954d000000000000005d94288c0b636f6c6c656374696f6e73948c0b4f7264657265644469637494939496030000000000000078797a944302630a9447400c0000000000008a0d00000040eaed7446d09c2c9f0c652e"))
        #expect(scan.problems.isEmpty)
        #expect(scan.protocols == [5])
        #expect(scan.imports.map(\.qualifiedName) == ["collections.OrderedDict"])
    }

    @Test("protocol 0 GLOBAL and PUT lines; STACK_GLOBAL resolved through the memo (BINGET)")
    func protocol0AndMemo() {
        // pickle.dumps(collections.OrderedDict, protocol=0)
        #expect(PickleScanner.scan(bytes: Self.hex("63636f6c6c656374696f6e730a4f726465726564446963740a70300a2e")).imports.map(\.qualifiedName) == ["collections.OrderedDict"])
        // PROTO 4, 'os' MEMOIZE POP, BINGET 0, 'system', STACK_GLOBAL, STOP
        let p: [UInt8] = [0x80, 4, 0x8C, 2] + Array("os".utf8) + [0x94, 0x30, 0x68, 0, 0x8C, 6] + Array("system".utf8) + [0x93, 0x2E]
        let scan = PickleScanner.scan(bytes: p)
        #expect(scan.problems.isEmpty)
        #expect(scan.disallowedImports.map(\.qualifiedName) == ["os.system"])
        // A name the scan cannot resolve (a tuple) is reported as unresolved, never assumed safe.
        let q: [UInt8] = [0x80, 4, 0x29, 0x29, 0x93, 0x2E]
        #expect(PickleScanner.scan(bytes: q).disallowedImports.map(\.qualifiedName) == ["unresolved STACK_GLOBAL import"])
    }

    @Test("a numpy callable outside the allow-list is flagged (allow-lists match module and name exactly)")
    func numpyNotAllowed() {
        let p: [UInt8] = [0x80, 2] + Array("cnumpy.testing._private.utils\nrunstring\n".utf8) + [0x2E]
        #expect(PickleScanner.scan(bytes: p).disallowedImports.map(\.qualifiedName) == ["numpy.testing._private.utils.runstring"])
        let q: [UInt8] = [0x80, 2] + Array("cnumpy.core.multiarray\n_reconstruct\n".utf8) + [0x2E]
        #expect(PickleScanner.scan(bytes: q).disallowedImports.isEmpty)
    }

    @Test("bytes inside a BINBYTES argument that look like GLOBAL are not opcodes")
    func argumentsSkipped() {
        let payload = Array("cos\nsystem\n".utf8)
        let p: [UInt8] = [0x80, 3, 0x42] + FormatFixture.le32(UInt32(payload.count)) + payload + [0x2E]
        let scan = PickleScanner.scan(bytes: p)
        #expect(scan.problems.isEmpty)
        #expect(scan.imports.isEmpty)
    }

    @Test("truncated, unknown-opcode and empty-stack pickles are malformed, not crashes")
    func malformed() {
        #expect(PickleScanner.scan(bytes: Array(FormatFixture.f17Pickle.prefix(30))).problems.first?.contains("ends inside") == true)
        #expect(PickleScanner.scan(bytes: [0x80, 2, 0xFF]).problems == ["unknown opcode 0xff at offset 2"])
        #expect(PickleScanner.scan(bytes: [0x80, 2, 0x52, 0x2E]).problems == ["REDUCE on an empty stack"])
        #expect(PickleScanner.scan(bytes: [0x80, 2, 0x54, 0xFF, 0xFF, 0xFF, 0xFF]).problems.first?.contains("negative") == true)
        #expect(PickleScanner.scan(bytes: [0x80, 4, 0x8D] + FormatFixture.le64(UInt64.max)).problems.first?.contains("ends inside") == true)
        let fx = FormatFixture()
        fx.write("t.pt", Array(FormatFixture.f17Pickle.prefix(30)))
        let f = fx.inspect("t.pt")
        #expect(f.findings.map(\.kind) == [.picklePresent, .pickleImport, .formatInvalid])
    }

    @Test("legacy torch.save files hold several pickles followed by raw data: all pickles are scanned")
    func legacyMultiplePickles() {
        let first: [UInt8] = [0x80, 2, 0x8A, 0x0A] + [UInt8](repeating: 1, count: 10) + [0x2E]  // magic number (LONG1)
        let second = FormatFixture.f17Pickle
        let scan = PickleScanner.scan(bytes: first + second + [0x00, 0x01, 0x02])
        #expect(scan.pickleCount == 2)
        #expect(scan.disallowedImports.map(\.qualifiedName) == ["builtins.print"])
        #expect(scan.problems.isEmpty)
    }

    @Test("a deflated data.pkl is reported as not scanned; a zip without pickles is a note")
    func zipVariants() {
        let fx = FormatFixture()
        fx.write("c.pt", FormatFixture.zip([("archive/data.pkl", FormatFixture.f17Pickle)], deflatedNames: ["archive/data.pkl"]))
        let c = fx.inspect("c.pt")
        #expect(c.findings.map(\.kind) == [.picklePresent, .formatNote])
        #expect(c.findings[1].message == "compressed pickle entry \"archive/data.pkl\" (zip method 8), not scanned")
        fx.write("ts.pt", FormatFixture.zip([("archive/data.pkl", [0x80, 2, 0x4E, 0x2E]), ("archive/code/__torch__.py", Array("def f(): pass\n".utf8))]))
        let ts = fx.inspect("ts.pt")
        #expect(ts.findings.map(\.kind) == [.picklePresent, .formatNote])
        #expect(ts.findings[1].message == "TorchScript archive: 1 code entries (e.g. \"archive/code/__torch__.py\") are compiled and run by torch.jit.load")
        fx.write("n.bin", FormatFixture.zip([("weights.npy", [1, 2, 3])]))
        let n = fx.inspect("n.bin")
        #expect(n.format == .zip)
        #expect(n.findings.map(\.severity) == [.note])
        fx.write("r.bin", (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        #expect(fx.inspect("r.bin").findings.map(\.severity).allSatisfy { $0 == .note })
        fx.write("broken.pt", [0x50, 0x4B, 0x03, 0x04, 0, 0, 0])
        #expect(fx.inspect("broken.pt").findings.map(\.kind) == [.formatInvalid])
    }
}
