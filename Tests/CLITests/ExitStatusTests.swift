import ArgumentParser
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
