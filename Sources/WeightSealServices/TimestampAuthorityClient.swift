import Foundation
import NIOHTTP1
import WeightSeal

/// An RFC 3161 timestamp authority over HTTP (RFC 3161 §3.4: `application/timestamp-query` in,
/// `application/timestamp-reply` out), as Sigstore's timestamp-authority serves it.
public struct TimestampAuthorityClient: Sendable {
    /// The full endpoint, e.g. `https://timestamp.sigstore.dev/api/v1/timestamp`.
    public var url: String
    let client: ServiceClient

    /// The API versions this client speaks.
    public static let supportedVersions: Set<Int> = [1]
    /// Most bytes of an answer read (the same bound as a timestamp in a bundle).
    public static let maxResponseBytes = 64 * 1024

    public init(url: String, client: ServiceClient) {
        self.url = url
        self.client = client
    }

    /// Timestamps `signature`: the DER `TimeStampResp`, checked against the request (imprint, nonce), and its time.
    /// - Throws: ``WeightSealError``: `network`, `service` when the TSA refuses or its
    ///   answer is not a granted timestamp of this request.
    public func timestamp(signature: [UInt8]) async throws(WeightSealError) -> (response: [UInt8], time: Date) {
        let request = RFC3161TimeStampRequest(timestamping: signature)
        let response = try await client.send(.POST, url, body: request.derEncoded,
                                             headers: [("Content-Type", "application/timestamp-query"),
                                                       ("Accept", "application/timestamp-reply")],
                                             limit: Self.maxResponseBytes, what: "the timestamp authority")
        guard response.status == 200 || response.status == 201 else {
            throw WeightSealError(.service,
                "the timestamp authority at \(url) refused the request (HTTP \(response.status)): \(response.excerpt)")
        }
        do {
            return (response.body, try request.check(response: response.body))
        } catch {
            throw WeightSealError(.service, "the timestamp authority at \(url): \(error.message)")
        }
    }
}
