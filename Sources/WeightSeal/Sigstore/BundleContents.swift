import Foundation
import SwiftASN1
import X509

extension SigstoreBundle {
    /// Everything a Sigstore bundle carries, as read for offline verification (protobuf-specs
    /// `dev.sigstore.bundle.v1.Bundle`, versions 0.1–0.3): the verification material, the signed content (a message
    /// signature or a DSSE envelope), transparency-log entries and RFC 3161 timestamps.
    ///
    /// Parsing checks shape and bounds only; nothing here is trusted until ``SigstoreVerifier`` has checked it.
    public struct Contents: Sendable {
        /// The signer's verification material.
        public enum Material: Sendable {
            /// A managed key, identified out of band (`publicKey.hint`); the verifier supplies the key.
            case publicKey(hint: String?)
            /// A leaf certificate (`certificate`), or a chain leaf first (`x509CertificateChain`).
            case certificates([Certificate])
        }

        /// The signed content.
        public enum Content: Sendable {
            /// `messageSignature`: a signature over the artifact's bytes, and the artifact digest as an unsigned hint
            /// (`messageDigest`, may be absent).
            case messageSignature(digestAlgorithm: String?, digest: [UInt8]?, signature: [UInt8])
            /// `dsseEnvelope` with exactly one signature.
            case dsse(DSSEEnvelope)

            /// The signature bytes that timestamps and log entries are over.
            public var signature: [UInt8] {
                switch self {
                case .messageSignature(_, _, let s): return s
                case .dsse(let e): return e.signatures.first?.sig ?? []
                }
            }
        }

        /// `mediaType` as written.
        public var mediaType: String
        /// The bundle's minor version: 1, 2 or 3 (v0.1 may lack inclusion proofs; v0.2 and later must have them).
        public var minorVersion: Int
        /// The verification material.
        public var material: Material
        /// The signed content.
        public var content: Content
        /// `verificationMaterial.tlogEntries`.
        public var transparencyLogEntries: [TransparencyLogEntry]
        /// `verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, DER each.
        public var signedTimestamps: [[UInt8]]

        /// Most timestamps read from one bundle.
        public static let maxTimestamps = 32

        /// Parses a bundle.
        ///
        /// - Parameter label: names the input in messages (a file path).
        /// - Throws: ``WeightSealError/Code/malformedBundle`` naming the field (invalid JSON, duplicate member, unknown
        ///   media type, no or several kinds of material, an empty certificate chain, a DSSE envelope without exactly
        ///   one signature, bad base64); ``WeightSealError/Code/limitExceeded`` past ``Limits/maxJSONBytes`` or a
        ///   count limit.
        public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> Contents {
            do {
                return try parseUnlabelled(data)
            } catch {
                throw WeightSealError(error.code, "\(label): \(error.message)")
            }
        }

        private static func parseUnlabelled(_ data: [UInt8]) throws(WeightSealError) -> Contents {
            if data.count > Limits.maxJSONBytes {
                throw WeightSealError(.limitExceeded, "bundle is larger than \(Limits.maxJSONBytes) bytes")
            }
            let json = try StrictJSON.parseDocument(data)
            guard json.object != nil else { throw WeightSealError(.malformedBundle, "not a Sigstore bundle: not a JSON object") }
            guard let mediaType = json["mediaType"]?.string else {
                throw WeightSealError(.malformedBundle, "not a Sigstore bundle: no \"mediaType\"")
            }
            let minor: Int
            switch mediaType {
            case "application/vnd.dev.sigstore.bundle+json;version=0.1": minor = 1
            case "application/vnd.dev.sigstore.bundle+json;version=0.2": minor = 2
            case "application/vnd.dev.sigstore.bundle+json;version=0.3", SigstoreBundle.mediaTypeV03: minor = 3
            default:
                throw WeightSealError(.malformedBundle, "unsupported bundle mediaType \"\(mediaType.prefix(100))\" (v0.1, v0.2 and v0.3 are read)")
            }
            guard let vm = json["verificationMaterial"], vm.object != nil else {
                throw WeightSealError(.malformedBundle, "bundle has no \"verificationMaterial\"")
            }
            let material = try parseMaterial(vm)

            let content: Content
            switch (json["messageSignature"], json["dsseEnvelope"]) {
            case (let m?, nil):
                let signature = try m.bytes("signature", field: "messageSignature")
                var algorithm: String? = nil
                var digest: [UInt8]? = nil
                if let md = m["messageDigest"] {
                    algorithm = md["algorithm"]?.string
                    digest = try md.bytes("digest", field: "messageSignature.messageDigest")
                    // The artifact is compared by SHA-256: a hint in another algorithm cannot be checked.
                    guard algorithm == "SHA2_256", digest?.count == 32 else {
                        throw WeightSealError(.malformedBundle, "messageSignature.messageDigest must be a SHA2_256 digest of 32 bytes (algorithm \"\(algorithm ?? "missing")\", \(digest?.count ?? 0) bytes)")
                    }
                }
                content = .messageSignature(digestAlgorithm: algorithm, digest: digest, signature: signature)
            case (nil, let e?):
                content = .dsse(try parseEnvelope(e))
            case (nil, nil):
                throw WeightSealError(.malformedBundle, "bundle has neither \"messageSignature\" nor \"dsseEnvelope\"")
            default:
                throw WeightSealError(.malformedBundle, "bundle has both \"messageSignature\" and \"dsseEnvelope\"")
            }

            var entries = [TransparencyLogEntry]()
            if let list = vm["tlogEntries"] {
                guard let items = list.array else { throw WeightSealError(.malformedBundle, "verificationMaterial.tlogEntries is not a list") }
                if items.count > TransparencyLogEntry.maxEntries {
                    throw WeightSealError(.limitExceeded, "verificationMaterial.tlogEntries has \(items.count) entries (at most \(TransparencyLogEntry.maxEntries))")
                }
                for (i, item) in items.enumerated() {
                    entries.append(try TransparencyLogEntry.parse(item, field: "verificationMaterial.tlogEntries[\(i)]"))
                }
            }
            var timestamps = [[UInt8]]()
            if let tvd = vm["timestampVerificationData"], let list = tvd["rfc3161Timestamps"] {
                guard let items = list.array else {
                    throw WeightSealError(.malformedBundle, "timestampVerificationData.rfc3161Timestamps is not a list")
                }
                if items.count > maxTimestamps {
                    throw WeightSealError(.limitExceeded, "timestampVerificationData.rfc3161Timestamps has \(items.count) entries (at most \(maxTimestamps))")
                }
                for (i, item) in items.enumerated() {
                    timestamps.append(try item.bytes("signedTimestamp", field: "timestampVerificationData.rfc3161Timestamps[\(i)]"))
                }
            }
            return Contents(mediaType: mediaType, minorVersion: minor, material: material, content: content,
                            transparencyLogEntries: entries, signedTimestamps: timestamps)
        }

        private static func parseMaterial(_ vm: StrictJSON) throws(WeightSealError) -> Material {
            let present = ["publicKey", "x509CertificateChain", "certificate"].filter { vm[$0] != nil }
            guard present.count == 1 else {
                throw WeightSealError(.malformedBundle, present.isEmpty
                    ? "verificationMaterial has no publicKey, x509CertificateChain or certificate"
                    : "verificationMaterial has more than one of publicKey, x509CertificateChain, certificate")
            }
            var ders = [[UInt8]]()
            switch present[0] {
            case "publicKey":
                return .publicKey(hint: vm["publicKey"]?["hint"]?.string)
            case "certificate":
                ders = [try vm["certificate"]!.bytes("rawBytes", field: "verificationMaterial.certificate")]
            default:
                guard let items = vm["x509CertificateChain"]?["certificates"]?.array, !items.isEmpty else {
                    throw WeightSealError(.malformedBundle, "verificationMaterial.x509CertificateChain has no certificate")
                }
                if items.count > Limits.maxCertificates {
                    throw WeightSealError(.limitExceeded, "x509CertificateChain has \(items.count) certificates (at most \(Limits.maxCertificates))")
                }
                for (i, item) in items.enumerated() {
                    ders.append(try item.bytes("rawBytes", field: "verificationMaterial.x509CertificateChain.certificates[\(i)]"))
                }
            }
            var certificates = [Certificate]()
            for (i, der) in ders.enumerated() {
                guard let c = try? Certificate(derEncoded: der) else {
                    throw WeightSealError(.malformedBundle, "certificate \(i + 1) of the verification material is not an X.509 DER certificate")
                }
                certificates.append(c)
            }
            return .certificates(certificates)
        }

        private static func parseEnvelope(_ e: StrictJSON) throws(WeightSealError) -> DSSEEnvelope {
            guard e.object != nil else { throw WeightSealError(.malformedBundle, "dsseEnvelope is not an object") }
            let payload = try e.bytes("payload", field: "dsseEnvelope")
            guard let type = e["payloadType"]?.string else {
                throw WeightSealError(.malformedBundle, "dsseEnvelope has no \"payloadType\" string")
            }
            guard let items = e["signatures"]?.array else {
                throw WeightSealError(.malformedBundle, "dsseEnvelope has no \"signatures\" list")
            }
            // A bundle's envelope carries exactly one signature (protobuf-specs): extra ones would be unverified.
            guard items.count == 1 else {
                throw WeightSealError(.malformedBundle, "dsseEnvelope has \(items.count) signatures; a Sigstore bundle carries exactly one")
            }
            let sig = try items[0].bytes("sig", field: "dsseEnvelope.signatures[0]")
            return DSSEEnvelope(payload: payload, payloadType: type,
                                signatures: [.init(sig: sig, keyid: items[0]["keyid"]?.string)])
        }
    }
}
