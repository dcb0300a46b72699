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

/// Parses an RFC 3339 time strictly: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, every field in range for its month
/// (no 24:00:00, no February 30: the formatter would silently roll them over), and a UTC result X.509 can hold
/// (years 1950–9999; RFC 5280 §4.1.2.5).
func parseRFC3339(_ text: String) -> Date? {
    let pattern = #"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?([Zz]|([+-])([0-9]{2}):([0-9]{2}))$"#
    guard let regex = try? NSRegularExpression(pattern: pattern),
          let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
    func int(_ i: Int) -> Int? {
        guard let r = Range(m.range(at: i), in: text) else { return nil }
        return Int(text[r])
    }
    guard let year = int(1), let month = int(2), let day = int(3), let hour = int(4), let minute = int(5),
          let second = int(6) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    guard (1...12).contains(month), hour < 24, minute < 60, second < 60,
          let days = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: month))!),
          days.contains(day) else { return nil }
    var offset = 0
    if Range(m.range(at: 9), in: text) != nil, let oh = int(10), let om = int(11) {
        guard oh < 24, om < 60 else { return nil }
        offset = (oh * 3600 + om * 60) * (text[Range(m.range(at: 9), in: text)!] == "-" ? -1 : 1)
    }
    guard let local = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else {
        return nil
    }
    var date = local.addingTimeInterval(-Double(offset))
    if let r = Range(m.range(at: 7), in: text), let fraction = Double("0" + text[r]) { date.addTimeInterval(fraction) }
    let utcYear = calendar.component(.year, from: date)
    guard (1950...9999).contains(utcYear) else { return nil }
    return date
}
