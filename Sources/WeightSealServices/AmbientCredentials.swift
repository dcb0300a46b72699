import Foundation
import NIOHTTP1
import WeightSeal

/// Where a keyless signer finds its OIDC identity token when none is given: `SIGSTORE_ID_TOKEN` (GitLab CI's
/// `id_tokens`, or any CI that sets it), else GitHub Actions' token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL` and
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present with `permissions: id-token: write`), asked for audience `sigstore`.
public enum AmbientCredentials {
    /// The token from the environment, or `nil` when there is none.
    /// - Throws: ``WeightSealError``: `network` when GitHub's endpoint does not answer, `service` when it
    ///   refuses, `invalidArgument` when the token is not a JWT.
    public static func identityToken(environment: [String: String] = ProcessInfo.processInfo.environment,
                                      client: ServiceClient) async throws(WeightSealError) -> IdentityToken? {
        if let text = environment["SIGSTORE_ID_TOKEN"], !text.isEmpty {
            return try IdentityToken(text)
        }
        guard let url = environment["ACTIONS_ID_TOKEN_REQUEST_URL"], !url.isEmpty,
              let bearer = environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], !bearer.isEmpty else { return nil }
        let request = url + (url.contains("?") ? "&" : "?") + "audience=" + IdentityToken.sigstoreAudience
        let response = try await client.send(.GET, request, headers: [("Authorization", "bearer " + bearer),
                                                                      ("Accept", "application/json")],
                                             limit: IdentityToken.maxBytes * 2, what: "GitHub Actions' token endpoint")
        guard response.status == 200 else {
            throw WeightSealError(.service,
                "GitHub Actions' token endpoint refused (HTTP \(response.status)); does the job have `permissions: id-token: write`? \(response.excerpt)")
        }
        guard let json = try? StrictJSON.parseDocument(response.body), let value = json["value"]?.string else {
            throw WeightSealError(.service, "GitHub Actions' token endpoint answered without a \"value\"")
        }
        return try IdentityToken(value)
    }
}
