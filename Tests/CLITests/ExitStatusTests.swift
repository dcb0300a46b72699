import ArgumentParser
import WeightSealTestSupport
import Foundation
import Testing
import WeightSeal
@testable import WeightSealCLI

/// Exit statuses are mapped in one place (WeightSealMain.status(for:)): an error nobody foresaw exits 2, never 1.
@Suite("CLI: exit statuses")
struct ExitStatusTests {
    struct Unforeseen: Error {}

    @Test("WeightSealError 2, ExitCode as thrown, usage 64, help 0, anything else 2")
    func mapping() throws {
        #expect(WeightSealMain.status(for: WeightSealError(.io, "x")) == 2)
        #expect(WeightSealMain.status(for: ExitCode(1)) == 1)
        #expect(WeightSealMain.status(for: ValidationError("bad")) == 64)
        #expect(WeightSealMain.status(for: CleanExit.helpRequest()) == 0)
        #expect(WeightSealMain.status(for: Unforeseen()) == 2)
        #expect(WeightSealMain.status(for: CocoaError(.fileWriteUnknown)) == 2)
        let parse = #expect(throws: (any Error).self) { try WeightSealCommand.parseAsRoot(["verify", "--no-such-option"]) }
        #expect(parse.map(WeightSealMain.status(for:)) == 64)
    }

    @Test("the binary: usage 64, a missing folder 2")
    func binary() throws {
        #expect(try run(["verify", "--no-such-option"]).status == 64)
        let missing = try run(["verify", "/nonexistent/model", "--key", "/nonexistent/k.pub"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("weightseal: error:"))
    }
}

extension ExitStatusTests {
    @Test("--at is parsed strictly: no rolled-over dates, only years X.509 can hold; a bad --chunk-size is usage (64)")
    func strictOptionValues() throws {
        let oms = repositoryRoot.appendingPathComponent("manifests/testvectors/oms").path
        func at(_ time: String) throws -> Int32 {
            try run(["verify", oms + "/model", "--signature", oms + "/sigs/cert-files.sig",
                     "--certificate-roots", oms + "/pki/root-ca.pem", "--at", time]).status
        }
        #expect(try at("2027-01-01T00:00:00+01:00") == 0)
        #expect(try at("2027-01-01T00:00:00.25Z") == 0)
        for bad in ["2025-12-31T24:00:00Z", "2026-02-30T00:00:00Z", "10000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00",
                    "2027-01-01 00:00:00Z", "2027-01-01T00:00:00", "2027-13-01T00:00:00Z", "1949-12-31T23:59:59Z"] {
            #expect(try at(bad) == 64, "\(bad)")
        }
        #expect(try run(["hash", oms + "/model", "--chunk-size", "0"]).status == 64)
        #expect(try run(["sign", oms + "/model", "--key", oms + "/keys/key.priv", "--format", "oms", "--shard-size", "1",
                         "-o", "/tmp/never.sig"]).status == 64)
    }
}
