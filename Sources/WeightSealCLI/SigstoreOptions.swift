import ArgumentParser
import Foundation
import WeightSeal

/// Keyless (Sigstore) trust: the expected signer identity and OIDC issuer, and the trusted root to check against.
struct SigstoreOptions: ParsableArguments {
    @Option(help: "Keyless: the signer identity the Fulcio certificate must carry as a SAN (exact), e.g. a workflow URI or an email.")
    var certificateIdentity: String?

    @Option(help: "Keyless: a regular expression that must match a whole SAN of the certificate.")
    var certificateIdentityRegexp: String?

    @Option(help: "Keyless: the OIDC issuer the certificate must name, e.g. https://token.actions.githubusercontent.com.")
    var certificateOidcIssuer: String?

    @Option(help: "Sigstore trusted_root.json to verify against (default: the public-good root, as `weightseal trust update` last fetched it or embedded).", completion: .file())
    var trustedRoot: String?

    @Option(help: "Sigstore ClientTrustConfig (as sigstore-python and model-signing take); its trustedRoot is used.", completion: .file())
    var trustConfig: String?

    var isKeyless: Bool { certificateIdentity != nil || certificateIdentityRegexp != nil }
    var isGiven: Bool { isKeyless || certificateOidcIssuer != nil || trustedRoot != nil || trustConfig != nil }

    func validate() throws {
        if certificateIdentity != nil && certificateIdentityRegexp != nil {
            throw ValidationError("give --certificate-identity or --certificate-identity-regexp, not both")
        }
        if isKeyless != (certificateOidcIssuer != nil) {
            throw ValidationError("--certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer go together")
        }
        if certificateIdentityRegexp == "" { throw ValidationError("--certificate-identity-regexp is empty") }
        if certificateIdentity == "" { throw ValidationError("--certificate-identity is empty") }
        if certificateOidcIssuer == "" { throw ValidationError("--certificate-oidc-issuer is empty") }
        if trustedRoot != nil && trustConfig != nil {
            throw ValidationError("give --trusted-root or --trust-config, not both")
        }
    }

    /// The trusted root: the given file, else the public-good root (the one `weightseal trust update` fetched when
    /// it is not older than the embedded one).
    func loadTrustedRoot() throws(WeightSealError) -> TrustedRoot {
        if let path = trustedRoot ?? trustConfig { return try TrustedRoot.load(file: path) }
        return try TrustedRoot.publicGoodPreferringCache()
    }

    /// The expected keyless signer, when given.
    func identity() throws(WeightSealError) -> CertificateIdentity? {
        guard let issuer = certificateOidcIssuer else { return nil }
        if let exact = certificateIdentity { return try CertificateIdentity(subjectAlternativeName: .exact(exact), issuer: issuer) }
        if let pattern = certificateIdentityRegexp {
            return try CertificateIdentity(subjectAlternativeName: .regularExpression(pattern), issuer: issuer)
        }
        return nil
    }
}
