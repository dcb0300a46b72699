import NIOHTTP1
import Testing
import WeightSeal
@testable import WeightSealServices

@Suite struct ServiceClientTests {
    @Test func refusesAPortTheClientWouldTrapOn() async throws {
        await #expect(throws: WeightSealError(.invalidArgument, "")) {
            try await ServiceClient.with { client in
                try await client.send(.GET, "http://127.0.0.1:99999/x", limit: 10, what: "Fulcio")
            }
        }
    }

    @Test func noAnswerIsANetworkError() async throws {
        // Port 9 (discard) is closed on loopback: connection refused on every attempt.
        await #expect(throws: WeightSealError(.network, "")) {
            try await ServiceClient.with(settings: .init(timeout: 2, retries: 1, retryDelay: 0.01)) { client in
                try await client.send(.GET, "http://127.0.0.1:9/x", limit: 10, what: "Rekor")
            }
        }
    }
}
