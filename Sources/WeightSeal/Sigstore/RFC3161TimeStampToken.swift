import Foundation
import SwiftASN1
import X509

/// An RFC 3161 time-stamp token as a Sigstore bundle carries it (`rfc3161Timestamps[].signedTimestamp`), parsed
/// but not verified: the CMS `SignedData` (RFC 5652 §5) with its one `SignerInfo` and the `TSTInfo` (RFC 3161
/// §2.4.2) it signs.
///
/// The input is the DER `TimeStampResp` (RFC 3161 §2.4.2, what protobuf-specs defines `signedTimestamp` to be and
/// what TSAs return) or, also accepted, the bare `TimeStampToken` (a CMS `ContentInfo`). Nothing here is trusted:
/// ``RFC3161TimestampVerifier`` checks the signature, the certificate chain and the times.
struct RFC3161TimeStampToken: Sendable {
    /// `TSTInfo` (RFC 3161 §2.4.2): what the TSA vouches for.
    struct Info: Sendable {
        /// `version`; only 1 is defined.
        var version: Int
        /// `messageImprint.hashAlgorithm`.
        var hashAlgorithm: DigestAlgorithm
        /// `messageImprint.hashedMessage`: the digest of the timestamped data (here: the bundle's signature bytes).
        var hashedMessage: [UInt8]
        /// `genTime` (GeneralizedTime, UTC, fraction kept).
        var genTime: Date
        /// `nonce`: the content octets of the INTEGER, as the request sent it; `nil` when absent.
        var nonce: [UInt8]? = nil
    }

    /// The signer identifier `sid` of a `SignerInfo` (RFC 5652 §5.3).
    enum SignerIdentifier: Sendable {
        /// `issuerAndSerialNumber`.
        case issuerAndSerialNumber(issuer: DistinguishedName, serialNumber: Certificate.SerialNumber)
        /// `subjectKeyIdentifier` (`[0] IMPLICIT OCTET STRING`).
        case subjectKeyIdentifier([UInt8])

        /// Whether `certificate` is the one this identifier names.
        func matches(_ certificate: Certificate) -> Bool {
            switch self {
            case .issuerAndSerialNumber(let issuer, let serialNumber):
                return certificate.issuer == issuer && certificate.serialNumber == serialNumber
            case .subjectKeyIdentifier(let keyID):
                guard let ski = try? certificate.extensions.subjectKeyIdentifier else { return false }
                return Array(ski.keyIdentifier) == keyID
            }
        }
    }

    /// The hash algorithms accepted for message imprints and CMS digests.
    enum DigestAlgorithm: String, Sendable, Hashable {
        case sha256 = "SHA-256", sha384 = "SHA-384", sha512 = "SHA-512"

        init?(oid: ASN1ObjectIdentifier) {
            switch oid {
            case OID.sha256: self = .sha256
            case OID.sha384: self = .sha384
            case OID.sha512: self = .sha512
            default: return nil
            }
        }
    }

    /// `TSTInfo`, decoded from ``encapsulatedContent``.
    var info: Info
    /// `encapContentInfo.eContent`: the DER `TSTInfo` octets that `messageDigest` covers.
    var encapsulatedContent: [UInt8]
    /// `encapContentInfo.eContentType`.
    var contentType: ASN1ObjectIdentifier
    /// `SignedData.certificates`, in token order (X.509 certificates only; other choices are skipped).
    var certificates: [Certificate]
    /// The one `SignerInfo`'s `sid`.
    var signerIdentifier: SignerIdentifier
    /// The `SignerInfo`'s `digestAlgorithm`, which `messageDigest` uses.
    var digestAlgorithm: DigestAlgorithm
    /// The `content-type` signed attribute (RFC 5652 §11.1).
    var contentTypeAttribute: ASN1ObjectIdentifier
    /// The `message-digest` signed attribute (RFC 5652 §11.2).
    var messageDigestAttribute: [UInt8]
    /// What the signature is over: the DER of `signedAttrs` with its tag changed to SET OF (0x31), RFC 5652 §5.4.
    var signedAttributes: [UInt8]
    /// `signatureAlgorithm`, with its parameters' DER when present.
    var signatureAlgorithm: ASN1ObjectIdentifier
    var signatureAlgorithmParameters: [UInt8]?
    /// `signature`.
    var signature: [UInt8]

    /// Largest token accepted, in bytes (public-good tokens are under 2 KiB, FreeTSA's with its chain about 5 KiB).
    static let maxBytes = 64 * 1024
    /// Most `SignedData.certificates` entries accepted.
    static let maxCertificates = 16
    /// Most signed attributes accepted in the one `SignerInfo`.
    static let maxSignedAttributes = 64

    /// Parses a DER `TimeStampResp` or `TimeStampToken`.
    ///
    /// Structure only: checks shapes, the content types (id-signedData, id-ct-TSTInfo), exactly one `SignerInfo`,
    /// the presence of the `content-type` and `message-digest` signed attributes, and the bounds above.
    /// - Throws: ``WeightSealError/Code/limitExceeded`` past ``maxBytes`` or ``maxCertificates``;
    ///   ``WeightSealError/Code/malformedBundle`` naming the field for any other problem, including a TSA
    ///   status other than granted.
    static func parse(_ der: [UInt8]) throws(WeightSealError) -> RFC3161TimeStampToken {
        guard der.count <= maxBytes else {
            throw WeightSealError(.limitExceeded, "timestamp is \(der.count) bytes, more than the limit of \(maxBytes)")
        }
        do {
            // swift-asn1 bounds nesting depth (50) and lengths, so hostile DER fails here with an error, not a trap.
            let root = try DER.parse(der)
            return try Parser.token(root)
        } catch let error as WeightSealError {
            throw error
        } catch let error as ParseProblem {
            throw WeightSealError(error.code, "timestamp is malformed: \(error.message)")
        } catch {
            throw WeightSealError(.malformedBundle, "timestamp is malformed: not DER (\(error))", cause: error)
        }
    }

    /// A parse failure raised by this file's own checks (swift-asn1's errors are wrapped by ``parse(_:)``).
    private struct ParseProblem: Error {
        var code: WeightSealError.Code = .malformedBundle
        var message: String
        init(_ message: String, code: WeightSealError.Code = .malformedBundle) {
            self.message = message
            self.code = code
        }
    }

    /// Object identifiers this file compares with.
    enum OID {
        static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
        static let tstInfo: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 1, 4]
        static let contentTypeAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
        static let messageDigestAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
        static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
        static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
        static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
        static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
        static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
        static let rsaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
        static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
        static let sha384WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
        static let sha512WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
    }

    /// The ASN.1 walk. Each function takes one node and either returns its value or throws.
    private enum Parser {
        static func context(_ number: UInt) -> ASN1Identifier {
            ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
        }

        /// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }`, or a
        /// bare `ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }`.
        static func token(_ root: ASN1Node) throws -> RFC3161TimeStampToken {
            guard root.identifier == .sequence, case .constructed(let children) = root.content else {
                throw ParseProblem("not a TimeStampResp or ContentInfo SEQUENCE")
            }
            var iterator = children.makeIterator()
            guard let first = iterator.next() else { throw ParseProblem("empty SEQUENCE") }
            if first.identifier == .objectIdentifier {
                return try contentInfo(root)
            }
            try status(first)
            guard let content = iterator.next() else {
                throw ParseProblem("TimeStampResp has no timeStampToken")
            }
            guard iterator.next() == nil else { throw ParseProblem("TimeStampResp has trailing fields") }
            return try contentInfo(content)
        }

        /// `PKIStatusInfo ::= SEQUENCE { status INTEGER, statusString PKIFreeText OPTIONAL, failInfo BIT STRING OPTIONAL }`:
        /// only granted (0) and grantedWithMods (1) carry a token (RFC 3161 §2.4.2).
        static func status(_ node: ASN1Node) throws {
            let value = try DER.sequence(node, identifier: .sequence) { nodes in
                let status = try Int(derEncoded: &nodes)
                while nodes.next() != nil {}
                return status
            }
            guard value == 0 || value == 1 else {
                throw ParseProblem("the TSA refused the request (PKIStatus \(value))")
            }
        }

        static func contentInfo(_ node: ASN1Node) throws -> RFC3161TimeStampToken {
            try DER.sequence(node, identifier: .sequence) { nodes in
                let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
                guard type == OID.signedData else {
                    throw ParseProblem("ContentInfo contentType is \(type), not id-signedData")
                }
                return try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { content in
                    try signedData(content)
                }
            }
        }

        /// RFC 5652 §5.1 `SignedData`.
        static func signedData(_ node: ASN1Node) throws -> RFC3161TimeStampToken {
            try DER.sequence(node, identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)  // version: 3 for TSTInfo content; not relied on
                guard let algorithms = nodes.next(), algorithms.identifier == .set else {
                    throw ParseProblem("SignedData has no digestAlgorithms SET")
                }
                let (contentType, content) = try encapsulatedContentInfo(nodes.next())
                var certificates: [Certificate] = []
                if let set = DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific, { $0 }) {
                    certificates = try certificateSet(set)
                }
                _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { $0 }  // crls
                guard let signerInfos = nodes.next(), signerInfos.identifier == .set,
                      case .constructed(let infos) = signerInfos.content else {
                    throw ParseProblem("SignedData has no signerInfos SET")
                }
                guard nodes.next() == nil else { throw ParseProblem("SignedData has trailing fields") }
                var signers = Array(infos.prefix(2))
                // sigstore-go (digitorus/timestamp) also takes exactly one signer: a second would be ambiguous.
                guard signers.count == 1, let signer = signers.popLast() else {
                    throw ParseProblem("SignedData must have exactly one SignerInfo, found \(signers.count == 0 ? "none" : "several")")
                }
                guard contentType == OID.tstInfo else {
                    throw ParseProblem("eContentType is \(contentType), not id-ct-TSTInfo")
                }
                let info = try tstInfo(DER.parse(content))
                return try signerInfo(signer, info: info, content: content, contentType: contentType,
                                      certificates: certificates)
            }
        }

        /// `EncapsulatedContentInfo ::= SEQUENCE { eContentType OBJECT IDENTIFIER, eContent [0] EXPLICIT OCTET STRING OPTIONAL }`.
        static func encapsulatedContentInfo(_ node: ASN1Node?) throws -> (ASN1ObjectIdentifier, [UInt8]) {
            guard let node else { throw ParseProblem("SignedData has no encapContentInfo") }
            return try DER.sequence(node, identifier: .sequence) { nodes in
                let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
                let content = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { n in
                    try ASN1OctetString(derEncoded: n)
                }
                guard let content else { throw ParseProblem("encapContentInfo has no eContent (detached TSTInfo)") }
                return (type, Array(content.bytes))
            }
        }

        /// `CertificateSet ::= SET OF CertificateChoices`; only the plain `Certificate` choice is read.
        static func certificateSet(_ node: ASN1Node) throws -> [Certificate] {
            guard case .constructed(let children) = node.content else {
                throw ParseProblem("SignedData certificates is not a SET")
            }
            var certificates: [Certificate] = []
            var count = 0
            for child in children {
                count += 1
                guard count <= maxCertificates else {
                    throw ParseProblem("timestamp embeds more than \(maxCertificates) certificates", code: .limitExceeded)
                }
                guard child.identifier == .sequence else { continue }  // attribute certificates, other formats
                do {
                    certificates.append(try Certificate(derEncoded: child))
                } catch {
                    throw ParseProblem("embedded certificate \(count) is not an X.509 certificate (\(error))")
                }
            }
            return certificates
        }

        /// RFC 3161 §2.4.2 `TSTInfo`.
        static func tstInfo(_ node: ASN1Node) throws -> Info {
            try DER.sequence(node, identifier: .sequence) { nodes in
                let version = try Int(derEncoded: &nodes)
                _ = try ASN1ObjectIdentifier(derEncoded: &nodes)  // policy
                guard let imprintNode = nodes.next() else { throw ParseProblem("TSTInfo has no messageImprint") }
                let (algorithm, hashed) = try DER.sequence(imprintNode, identifier: .sequence) { imprint in
                    let algorithm = try digestAlgorithm(imprint.next(), field: "messageImprint.hashAlgorithm")
                    let hashed = try ASN1OctetString(derEncoded: &imprint)
                    guard imprint.next() == nil else { throw ParseProblem("messageImprint has trailing fields") }
                    return (algorithm, Array(hashed.bytes))
                }
                _ = try rawInteger(nodes.next(), field: "TSTInfo.serialNumber")
                let genTime = try GeneralizedTime(derEncoded: &nodes)
                // accuracy SEQUENCE, ordering BOOLEAN and the tsa/extensions [0]/[1] are not used; the nonce is the one INTEGER.
                var nonce: [UInt8]?
                while let node = nodes.next() {
                    if node.identifier == .integer { nonce = Array(try rawInteger(node, field: "TSTInfo.nonce")) }
                }
                return Info(version: version, hashAlgorithm: algorithm, hashedMessage: hashed,
                            genTime: date(genTime), nonce: nonce)
            }
        }

        /// The content octets of an INTEGER, read without interpreting them: some TSAs (and the certificates they
        /// name) use serial numbers with the top bit set, which swift-asn1 refuses as unsigned integers.
        static func rawInteger(_ node: ASN1Node?, field: String) throws -> ArraySlice<UInt8> {
            guard let node, node.identifier == .integer, case .primitive(let bytes) = node.content, !bytes.isEmpty else {
                throw ParseProblem("\(field) is not an INTEGER")
            }
            return bytes
        }

        /// `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }`.
        static func algorithmIdentifier(_ node: ASN1Node?, field: String) throws -> (ASN1ObjectIdentifier, [UInt8]?) {
            guard let node else { throw ParseProblem("\(field) is missing") }
            return try DER.sequence(node, identifier: .sequence) { nodes in
                let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
                let parameters = nodes.next().map { Array($0.encodedBytes) }
                guard nodes.next() == nil else { throw ParseProblem("\(field) has trailing fields") }
                return (oid, parameters)
            }
        }

        static func digestAlgorithm(_ node: ASN1Node?, field: String) throws -> DigestAlgorithm {
            let (oid, parameters) = try algorithmIdentifier(node, field: field)
            // Parameters are absent or NULL for the SHA-2 family (RFC 5754 §2).
            guard parameters == nil || parameters == [0x05, 0x00] else {
                throw ParseProblem("\(field) has unexpected parameters")
            }
            guard let algorithm = DigestAlgorithm(oid: oid) else {
                throw ParseProblem("\(field) \(oid) is not SHA-256, SHA-384 or SHA-512")
            }
            return algorithm
        }

        /// RFC 5652 §5.3 `SignerInfo`.
        static func signerInfo(_ node: ASN1Node, info: Info, content: [UInt8], contentType: ASN1ObjectIdentifier,
                               certificates: [Certificate]) throws -> RFC3161TimeStampToken {
            try DER.sequence(node, identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)  // version: 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier
                let sid = try signerIdentifier(nodes.next())
                let digest = try digestAlgorithm(nodes.next(), field: "SignerInfo.digestAlgorithm")
                guard let attributes = nodes.next(), attributes.identifier == context(0) else {
                    // RFC 3161 §2.4.1: the token carries signed attributes (content-type, message-digest, ESS).
                    throw ParseProblem("SignerInfo has no signedAttrs")
                }
                let (attributeContentType, attributeDigest) = try signedAttributes(attributes)
                let (signatureOID, signatureParameters) = try algorithmIdentifier(
                    nodes.next(), field: "SignerInfo.signatureAlgorithm")
                let signature = try ASN1OctetString(derEncoded: &nodes)
                _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { $0 }
                guard nodes.next() == nil else { throw ParseProblem("SignerInfo has trailing fields") }

                // RFC 5652 §5.4: the signature covers the DER of signedAttrs with an explicit SET OF tag.
                var signed = Array(attributes.encodedBytes)
                guard !signed.isEmpty else { throw ParseProblem("signedAttrs is empty") }
                signed[0] = 0x31
                return RFC3161TimeStampToken(
                    info: info, encapsulatedContent: content, contentType: contentType, certificates: certificates,
                    signerIdentifier: sid, digestAlgorithm: digest, contentTypeAttribute: attributeContentType,
                    messageDigestAttribute: attributeDigest, signedAttributes: signed,
                    signatureAlgorithm: signatureOID, signatureAlgorithmParameters: signatureParameters,
                    signature: Array(signature.bytes))
            }
        }

        /// `SignerIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber, subjectKeyIdentifier [0] SubjectKeyIdentifier }`.
        static func signerIdentifier(_ node: ASN1Node?) throws -> SignerIdentifier {
            guard let node else { throw ParseProblem("SignerInfo has no sid") }
            if node.identifier == context(0) {
                guard case .primitive(let bytes) = node.content else {
                    throw ParseProblem("SignerInfo sid subjectKeyIdentifier is not an OCTET STRING")
                }
                return .subjectKeyIdentifier(Array(bytes))
            }
            return try DER.sequence(node, identifier: .sequence) { nodes in
                guard let issuerNode = nodes.next() else { throw ParseProblem("issuerAndSerialNumber has no issuer") }
                let issuer = try DistinguishedName(derEncoded: issuerNode)
                let serial = try rawInteger(nodes.next(), field: "SignerInfo sid serialNumber")
                guard nodes.next() == nil else { throw ParseProblem("issuerAndSerialNumber has trailing fields") }
                return .issuerAndSerialNumber(issuer: issuer, serialNumber: Certificate.SerialNumber(bytes: serial))
            }
        }

        /// `SignedAttributes ::= SET SIZE (1..MAX) OF Attribute`; returns the single-valued `content-type` and
        /// `message-digest` attributes, which RFC 5652 §5.3 requires when signedAttrs is present.
        static func signedAttributes(_ node: ASN1Node) throws -> (ASN1ObjectIdentifier, [UInt8]) {
            guard case .constructed(let children) = node.content else {
                throw ParseProblem("signedAttrs is not a SET")
            }
            var contentType: ASN1ObjectIdentifier?
            var messageDigest: [UInt8]?
            var count = 0
            for child in children {
                count += 1
                guard count <= maxSignedAttributes else {
                    throw ParseProblem("signedAttrs has more than \(maxSignedAttributes) attributes", code: .limitExceeded)
                }
                let (type, values) = try DER.sequence(child, identifier: .sequence) { nodes in
                    let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
                    guard let set = nodes.next(), set.identifier == .set, case .constructed(let values) = set.content else {
                        throw ParseProblem("signed attribute \(type) has no value SET")
                    }
                    guard nodes.next() == nil else { throw ParseProblem("signed attribute \(type) has trailing fields") }
                    return (type, Array(values.prefix(2)))
                }
                switch type {
                case OID.contentTypeAttribute:
                    guard contentType == nil, values.count == 1 else {
                        throw ParseProblem("content-type attribute must appear once with one value")
                    }
                    contentType = try ASN1ObjectIdentifier(derEncoded: values[0])
                case OID.messageDigestAttribute:
                    guard messageDigest == nil, values.count == 1 else {
                        throw ParseProblem("message-digest attribute must appear once with one value")
                    }
                    messageDigest = Array(try ASN1OctetString(derEncoded: values[0]).bytes)
                default:
                    continue  // signingTime, ESS signingCertificate(V2): not needed for the checks made
                }
            }
            guard let contentType else { throw ParseProblem("signedAttrs has no content-type attribute") }
            guard let messageDigest else { throw ParseProblem("signedAttrs has no message-digest attribute") }
            return (contentType, messageDigest)
        }

        /// `GeneralizedTime` (always UTC in DER) as a `Date`, computed without a calendar.
        static func date(_ time: GeneralizedTime) -> Date {
            // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm); years are 0...9999 here, so
            // nothing overflows.
            let y = time.month <= 2 ? time.year - 1 : time.year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let monthIndex = (time.month + 9) % 12
            let dayOfYear = (153 * monthIndex + 2) / 5 + time.day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            let seconds = days * 86_400 + time.hours * 3600 + time.minutes * 60 + time.seconds
            return Date(timeIntervalSince1970: Double(seconds) + time.fractionalSeconds)
        }
    }
}
