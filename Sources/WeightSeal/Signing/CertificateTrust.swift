import Foundation
import X509

// PLACEHOLDER API owned by the certificates work: the real implementation replaces this file.

/// Trust anchored in X.509 roots: chain building and RFC 5280 validation with swift-certificates.
public struct CertificateTrust: Sendable {
    /// Trusted root certificates.
    public var roots: [Certificate]
    /// An email or URI SAN the leaf must carry, if any.
    public var identity: String?
    /// Validation time; `nil` means now.
    public var validationTime: Date?

    public init(roots: [Certificate], identity: String? = nil, validationTime: Date? = nil) {
        self.roots = roots
        self.identity = identity
        self.validationTime = validationTime
    }

    /// Reads roots from a PEM file. - Throws: ``WeightSealError/Code/malformedKey`` naming the file.
    public static func load(rootsFile: String, identity: String? = nil, validationTime: Date? = nil) throws(WeightSealError) -> CertificateTrust {
        throw WeightSealError(.unsupportedFormat, "certificate trust is not implemented yet")
    }

    /// Validates `leaf` through `intermediates` to one of ``roots``.
    public func validate(leaf: Certificate, intermediates: [Certificate]) async -> CertificateVerdict {
        .rejected(Finding(.certificateInvalid, message: "certificate trust is not implemented yet"))
    }
}

/// Outcome of a certificate chain validation: a value, never thrown.
public enum CertificateVerdict: Sendable {
    /// The chain is valid; `identities` are the leaf's email and URI SANs, `subject` its subject name.
    case trusted(identities: [String], subject: String)
    /// Rejected, with the reason.
    case rejected(Finding)
}
