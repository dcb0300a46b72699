import Crypto
import Foundation
import NIOHTTP1
import SwiftASN1
import WeightSeal
import X509

/// Fulcio's certificate API, version 2 (`POST /api/v2/signingCert`, fulcio `fulcio.proto` `CreateSigningCertificate`):
/// an OIDC identity token and a public key with its proof of possession in, a short-lived code-signing certificate
/// chain with embedded SCTs out.
public struct FulcioClient: Sendable {
    /// The Fulcio base URL, e.g. `https://fulcio.sigstore.dev`.
    public var baseURL: String
    let client: ServiceClient

    /// Most bytes of an answer read (a chain of a few certificates).
    public static let maxResponseBytes = 256 * 1024

    public init(baseURL: String, client: ServiceClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
    }

    /// Asks for a certificate for `key`, proving possession by signing the token's ``IdentityToken/proofSubject``.
    /// - Returns: the chain, leaf first; the leaf certifies `key`.
    /// - Throws: ``WeightSealError``: `network` (no answer), `service` when Fulcio refuses the token or the
    ///   request (its message quoted), or answers with no chain for `key` or a detached SCT.
    public func signingCertificate(token: IdentityToken, key: P256.Signing.PrivateKey) async throws(WeightSealError) -> [Certificate] {
        let proof: [UInt8]
        do {
            proof = Array(try key.signature(for: Array(token.proofSubject.utf8)).derRepresentation)
        } catch {
            throw WeightSealError(.service, "cannot sign the proof of possession: \(error)")
        }
        let request: [String: Any] = [
            "credentials": ["oidcIdentityToken": token.raw],
            "publicKeyRequest": [
                "publicKey": ["algorithm": "ECDSA", "content": key.publicKey.pemRepresentation],
                "proofOfPossession": Data(proof).base64EncodedString(),
            ],
        ]
        let body = (try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])).map { Array($0) } ?? []
        let response = try await client.send(.POST, baseURL + "/api/v2/signingCert", body: body,
                                             headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                             limit: Self.maxResponseBytes, what: "Fulcio")
        switch response.status {
        case 200, 201: break
        case 401, 403:
            throw WeightSealError(.service,
                "Fulcio at \(baseURL) refused the identity token from \(token.issuer) (HTTP \(response.status)): \(Self.message(response))")
        default:
            throw WeightSealError(.service,
                "Fulcio at \(baseURL) refused the certificate request (HTTP \(response.status)): \(Self.message(response))")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parseDocument(response.body)
        } catch {
            throw WeightSealError(.service, "Fulcio's answer is not JSON: \(error.message)")
        }
        if json["signedCertificateDetachedSct"] != nil {
            throw WeightSealError(.service, "Fulcio at \(baseURL) answered with a detached SCT; only certificates with embedded SCTs are supported")
        }
        guard let pems = json["signedCertificateEmbeddedSct"]?["chain"]?["certificates"]?.array, !pems.isEmpty,
              pems.count <= Limits.maxCertificates else {
            throw WeightSealError(.service, "Fulcio's answer has no signedCertificateEmbeddedSct.chain.certificates")
        }
        var chain = [Certificate]()
        for (i, item) in pems.enumerated() {
            guard let pem = item.string, let cert = try? Certificate(pemEncoded: pem) else {
                throw WeightSealError(.service, "Fulcio's certificate \(i + 1) is not a PEM certificate")
            }
            chain.append(cert)
        }
        guard let leafKey = P256.Signing.PublicKey(chain[0].publicKey),
              leafKey.rawRepresentation == key.publicKey.rawRepresentation else {
            throw WeightSealError(.service, "Fulcio's certificate does not certify the signing key")
        }
        return chain
    }

    /// The `message` of a Fulcio (gRPC-gateway) error body, else the body's start.
    static func message(_ response: ServiceClient.Response) -> String {
        if let json = try? StrictJSON.parseDocument(response.body), let m = json["message"]?.string { return String(m.prefix(300)) }
        return response.excerpt
    }
}
