import ArgumentParser
import Foundation
import WeightSeal
import WeightSealServices

/// `sign --sigstore`: Sigstore keyless signing (Fulcio certificate for an OIDC identity, Rekor entry, RFC 3161 timestamp).
struct KeylessSigningOptions: ParsableArguments {
    @Flag(help: "Sign keyless with Sigstore: a short-lived Fulcio certificate for your OIDC identity, logged in Rekor.")
    var sigstore = false

    @Option(help: "--sigstore: the OIDC identity token (default: $SIGSTORE_ID_TOKEN, else GitHub Actions' ambient token).")
    var identityToken: String?

    @Option(name: .customLong("trust-config"),
            help: "--sigstore: a ClientTrustConfig (trusted root and signing config) naming the Sigstore instance to use.",
            completion: .file())
    var signingTrustConfig: String?

    @Flag(help: "--sigstore: use Sigstore's staging instance (for trying things out; its signatures verify only with its root).")
    var staging = false

    func validate() throws {
        if !sigstore && (identityToken != nil || signingTrustConfig != nil || staging) {
            throw ValidationError("--identity-token, --trust-config and --staging go with --sigstore")
        }
        if staging && signingTrustConfig != nil { throw ValidationError("give --staging or --trust-config, not both") }
        if identityToken == "" { throw ValidationError("--identity-token is empty") }
    }

    /// The Sigstore instance: its signing config and trusted root. For the public-good and staging instances, the
    /// copies `weightseal trust update` fetched (TUF) win over the embedded ones.
    func instance() throws(WeightSealError) -> (SigningConfig, TrustedRoot) {
        if let path = signingTrustConfig {
            let data = try AtomicFile.read(path, limit: TrustedRoot.maxBytes, what: "trust config", allowPipe: true)
            return (try SigningConfig.parse(data, label: path), try TrustedRoot.parse(data, label: path))
        }
        let repository = staging ? SigstoreTUF.staging : SigstoreTUF.production
        var config = staging ? SigningConfig.staging : SigningConfig.publicGood
        if let cached = SigstoreTUF.cachedSigningConfig(for: repository) {
            let label = "the signing config `weightseal trust update` fetched from \(repository.url)"
            do {
                config = try SigningConfig.parse(cached, label: label)
            } catch {
                throw WeightSealError(error.code, "\(error.message); run `weightseal trust update` again or give --trust-config")
            }
        }
        var root = staging ? TrustedRoot.staging : try TrustedRoot.publicGoodPreferringCache()
        if staging, let path = SigstoreTUF.cachedTrustedRootPath(for: repository), FileManager.default.fileExists(atPath: path) {
            root = try TrustedRoot.load(file: path)
        }
        return (config, root)
    }

    /// The identity token: `--identity-token`, else the environment's (``AmbientCredentials``), checked usable.
    /// - Throws: ``WeightSealError`` `invalidArgument` when there is none or it is expired or not for `sigstore`.
    func token() async throws(WeightSealError) -> IdentityToken {
        let token: IdentityToken
        if let identityToken {
            token = try IdentityToken(identityToken)
        } else {
            let ambient: IdentityToken?
            do {
                ambient = try await ServiceClient.with { client async throws(WeightSealError) in
                    try await AmbientCredentials.identityToken(client: client)
                }
            } catch let error as WeightSealError {
                throw error
            } catch {
                throw WeightSealError(.network, "\(error)")
            }
            guard let ambient else {
                throw WeightSealError(.invalidArgument,
                    "--sigstore needs an OIDC identity token: give --identity-token, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`")
            }
            token = ambient
        }
        try token.checkUsable()
        return token
    }

    /// Signs `statement` keyless with `token`, first asking the environment again for a token that expired while the
    /// model was hashed (GitHub Actions hands out a fresh one; a given token cannot be renewed).
    func sign(_ statement: ModelSigner.Statement, token: IdentityToken) async throws(WeightSealError) -> KeylessSigner.Signature {
        let (config, root) = try instance()
        var token = token
        if let expiry = token.expiry, expiry <= Date().addingTimeInterval(30) {
            guard identityToken == nil else {
                throw WeightSealError(.invalidArgument,
                    "the identity token expired at \(rfc3339(expiry)), while the model was hashed; give a fresh one, or let weightseal fetch it in CI")
            }
            token = try await self.token()
        }
        return try await KeylessSigner(signingConfig: config, trustedRoot: root)
            .sign(payload: statement.payload, payloadType: statement.payloadType, token: token)
    }
}
