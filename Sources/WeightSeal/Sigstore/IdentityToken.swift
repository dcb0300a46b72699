import Foundation

/// An OIDC identity token (a JWT, RFC 7519) as a keyless signer hands it to Fulcio.
///
/// The claims are read without checking the token's signature: Fulcio verifies the token, and the signer only needs
/// them to fail early with a clear message (expired, wrong audience) and to sign the proof of possession.
public struct IdentityToken: Sendable {
    /// The compact JWT text.
    public var raw: String
    /// `iss`.
    public var issuer: String
    /// `sub`.
    public var subject: String
    /// `email`, when the token has one.
    public var email: String?
    /// `aud` (a string or a list in the token).
    public var audiences: [String]
    /// `exp`, when present.
    public var expiry: Date?

    /// The audience Sigstore's Fulcio expects.
    public static let sigstoreAudience = "sigstore"
    /// Most bytes of a token read.
    public static let maxBytes = 64 * 1024

    /// What Fulcio's proof of possession signs: the `email` claim when present, else `sub` (as sigstore-go does).
    public var proofSubject: String { email ?? subject }

    /// Reads the claims of a compact JWT (`header.payload.signature`, base64url).
    /// - Throws: ``WeightSealError/Code/invalidArgument`` for text that is not a JWT with `iss` and `sub`.
    public init(_ text: String) throws(WeightSealError) {
        let raw = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard raw.utf8.count <= Self.maxBytes else {
            throw WeightSealError(.invalidArgument, "the identity token is larger than \(Self.maxBytes) bytes")
        }
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = base64Bytes(String(parts[1])) else {
            throw WeightSealError(.invalidArgument, "the identity token is not a JWT (header.payload.signature)")
        }
        let claims: StrictJSON
        do {
            claims = try StrictJSON.parseDocument(payload)
        } catch {
            throw WeightSealError(.invalidArgument, "the identity token's claims are not JSON: \(error.message)")
        }
        guard let iss = claims["iss"]?.string, !iss.isEmpty else {
            throw WeightSealError(.invalidArgument, "the identity token has no \"iss\" claim")
        }
        guard let sub = claims["sub"]?.string, !sub.isEmpty else {
            throw WeightSealError(.invalidArgument, "the identity token has no \"sub\" claim")
        }
        self.raw = raw
        issuer = iss
        subject = sub
        email = claims["email"]?.string
        if let one = claims["aud"]?.string {
            audiences = [one]
        } else {
            audiences = (claims["aud"]?.array ?? []).compactMap(\.string)
        }
        if case .number(let n)? = claims["exp"], let seconds = Double(n) {
            expiry = Date(timeIntervalSince1970: seconds)
        }
    }

    /// Refuses a token Fulcio would refuse for its claims: expired at `time`, or not for the `sigstore` audience.
    /// - Throws: ``WeightSealError/Code/invalidArgument`` saying which and how to get a new token.
    public func checkUsable(at time: Date = Date()) throws(WeightSealError) {
        if let expiry, expiry <= time {
            throw WeightSealError(.invalidArgument,
                "the identity token from \(issuer) expired at \(rfc3339(expiry)); get a new one (tokens live minutes)")
        }
        guard audiences.contains(Self.sigstoreAudience) else {
            throw WeightSealError(.invalidArgument,
                "the identity token's audience is \(audiences.isEmpty ? "empty" : audiences.joined(separator: ", ")), not \"sigstore\"; request it with audience sigstore")
        }
    }
}
