import ArgumentParser
import Foundation
import WeightSeal

/// Who the caller trusts: a public key, X.509 roots, or a Sigstore keyless identity (trust always comes from the
/// caller, never the artifact).
struct TrustOptions: ParsableArguments {
    @Option(help: "Trusted public key (PEM, SPKI): P-256, P-384 or Ed25519.", completion: .file())
    var key: String?

    @Option(help: "Trusted X.509 root certificates (PEM); the signer's chain must lead to one.", completion: .file())
    var certificateRoots: String?

    @Option(help: "With --certificate-roots: an email or URI SAN the signing certificate must carry.")
    var identity: String?

    @Option(help: "With --certificate-roots: validate the chain at this RFC 3339 time instead of now (for audits).")
    var at: String?

    @OptionGroup var sigstore: SigstoreOptions

    var isGiven: Bool { key != nil || certificateRoots != nil || sigstore.isKeyless }

    /// The trust options, for messages.
    static let names = "--key, --certificate-roots, or --certificate-identity with --certificate-oidc-issuer"

    func validate() throws {
        if key != nil && certificateRoots != nil { throw ValidationError("give --key or --certificate-roots, not both") }
        if sigstore.isKeyless && (key != nil || certificateRoots != nil) {
            throw ValidationError("--certificate-identity (keyless) goes without --key and --certificate-roots")
        }
        if !sigstore.isKeyless && (sigstore.trustedRoot != nil || sigstore.trustConfig != nil) {
            throw ValidationError("--trusted-root and --trust-config go with --certificate-identity and --certificate-oidc-issuer")
        }
        if identity != nil && certificateRoots == nil { throw ValidationError("--identity goes with --certificate-roots") }
        if at != nil && certificateRoots == nil { throw ValidationError("--at goes with --certificate-roots") }
        if let at, parseRFC3339(at) == nil { throw ValidationError("--at: \(at) is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)") }
    }

    /// The trusted material. - Throws: ``WeightSealError`` when a key or root file cannot be read.
    func load() throws(WeightSealError) -> SignatureTrust? {
        if let key { return .publicKey(try PublicKey.load(file: key)) }
        if let identity = try sigstore.identity() {
            return .sigstore(SigstorePolicy(signer: .certificateIdentity(identity), trustedRoot: try sigstore.loadTrustedRoot()))
        }
        if let certificateRoots {
            return .certificates(try CertificateTrust.load(rootsFile: certificateRoots, identity: identity,
                                                          validationTime: at.flatMap(parseRFC3339)))
        }
        return nil
    }
}

func parseRFC3339(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: text)
}
