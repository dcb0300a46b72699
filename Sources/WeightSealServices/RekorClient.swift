import Crypto
import Foundation
import NIOHTTP1
import SwiftASN1
import WeightSeal
import X509

/// Rekor, the Sigstore transparency log: logs a DSSE envelope signed under a Fulcio certificate and returns the entry
/// as a bundle carries it.
///
/// - API version 1 (rekor `openapi.yaml`, `POST /api/v1/log/entries`): a `dsse` 0.0.1 proposed entry; the answer
///   holds the canonicalized body, the signed entry timestamp and, from current Rekor, the inclusion proof with its
///   checkpoint. Proof hashes and the root are hex there, base64 in a bundle.
/// - API version 2 (rekor-tiles, `POST /api/v2/log/entries`): a `hashedRekordRequestV002` over the envelope's PAE
///   (rekor-v2 spec §6.1.4); the answer is the bundle's `TransparencyLogEntry` itself (no signed entry timestamp:
///   pair it with an RFC 3161 timestamp).
public struct RekorClient: Sendable {
    /// The log's base URL, e.g. `https://rekor.sigstore.dev`.
    public var baseURL: String
    /// 1 or 2.
    public var majorAPIVersion: Int
    let client: ServiceClient

    /// The API versions this client speaks.
    public static let supportedVersions: Set<Int> = [1, 2]
    /// Most bytes of an answer read (the entry repeats the envelope's signature and certificate, not the payload).
    public static let maxResponseBytes = 1 << 20

    public init(baseURL: String, majorAPIVersion: Int, client: ServiceClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.majorAPIVersion = majorAPIVersion
        self.client = client
    }

    /// Logs `envelope`, signed by the key of `certificate`.
    /// - Throws: ``WeightSealError``: `network`, `service` when the log refuses the entry (its message
    ///   quoted) or answers with no entry or no inclusion proof.
    public func submit(_ envelope: DSSEEnvelope, certificate: Certificate) async throws(WeightSealError) -> TransparencyLogEntry {
        let der = Self.der(certificate)
        let signatures: [[String: Any]] = envelope.signatures.map {
            ["sig": Data($0.sig).base64EncodedString(), "keyid": $0.keyid ?? ""]
        }
        let envelopeJSON: [String: Any] = [
            "payload": Data(envelope.payload).base64EncodedString(), "payloadType": envelope.payloadType,
            "signatures": signatures,
        ]
        let url: String
        let request: [String: Any]
        if majorAPIVersion == 2 {
            // Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE (rekor-v2 spec §6.1.4), which is also the
            // only DSSE entry sigstore-python and model-signing verify.
            guard let signature = envelope.signatures.first else {
                throw WeightSealError(.service, "the envelope has no signature to log")
            }
            url = baseURL + "/api/v2/log/entries"
            let pae = DSSE.pae(payloadType: envelope.payloadType, payload: envelope.payload)
            request = ["hashedRekordRequestV002": [
                "digest": Data(SHA256.hash(data: pae)).base64EncodedString(),
                "signature": [
                    "content": Data(signature.sig).base64EncodedString(),
                    "verifier": ["x509Certificate": ["rawBytes": Data(der).base64EncodedString()],
                                 "keyDetails": "PKIX_ECDSA_P256_SHA_256"],
                ],
            ]]
        } else {
            url = baseURL + "/api/v1/log/entries"
            let envelopeText = String(decoding: Self.json(envelopeJSON), as: UTF8.self)
            let pem = (try? certificate.serializeAsPEM().pemString) ?? ""
            request = ["apiVersion": "0.0.1", "kind": "dsse", "spec": ["proposedContent": [
                "envelope": envelopeText, "verifiers": [Data(pem.utf8).base64EncodedString()],
            ]]]
        }
        let response = try await client.send(.POST, url, body: Self.json(request),
                                             headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                             limit: Self.maxResponseBytes, what: "Rekor")
        guard response.status == 200 || response.status == 201 else {
            throw WeightSealError(.service,
                "Rekor at \(baseURL) refused the entry (HTTP \(response.status)): \(FulcioClient.message(response))")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parseDocument(response.body)
        } catch {
            throw WeightSealError(.service, "Rekor's answer is not JSON: \(error.message)")
        }
        let entry = majorAPIVersion == 2 ? try TransparencyLogEntry.parse(json, field: "Rekor's entry") : try Self.v1Entry(json)
        guard entry.inclusionProof != nil else {
            throw WeightSealError(.service, "Rekor at \(baseURL) did not return an inclusion proof for log index \(entry.logIndex)")
        }
        return entry
    }

    /// Reads a v1 `LogEntry` answer: `{UUID: {body, integratedTime, logID, logIndex, verification}}`.
    static func v1Entry(_ json: StrictJSON) throws(WeightSealError) -> TransparencyLogEntry {
        guard let members = json.object, members.count == 1, let (uuid, e) = members.first else {
            throw WeightSealError(.service, "Rekor's answer is not one log entry")
        }
        let f = "Rekor entry \(uuid.prefix(80))"
        guard let index = try e.int64("logIndex", field: f), let integrated = try e.int64("integratedTime", field: f) else {
            throw WeightSealError(.service, "\(f) has no logIndex or integratedTime")
        }
        guard let logIDHex = e["logID"]?.string, let logID = [UInt8](hexString: logIDHex) else {
            throw WeightSealError(.service, "\(f).logID is not hex")
        }
        let body = try e.bytes("body", field: f)
        let bodyJSON: StrictJSON
        do { bodyJSON = try StrictJSON.parseDocument(body) } catch {
            throw WeightSealError(.service, "\(f).body is not JSON: \(error.message)")
        }
        guard let kind = bodyJSON["kind"]?.string, let version = bodyJSON["apiVersion"]?.string else {
            throw WeightSealError(.service, "\(f).body has no kind and apiVersion")
        }
        let verification = e["verification"]
        let set = try verification?.optionalBytes("signedEntryTimestamp", field: "\(f).verification")
        var proof: TransparencyLogEntry.InclusionProof?
        if let p = verification?["inclusionProof"] {
            let pf = "\(f).verification.inclusionProof"
            guard let pIndex = try p.int64("logIndex", field: pf), let size = try p.int64("treeSize", field: pf),
                  let rootHex = p["rootHash"]?.string, let root = [UInt8](hexString: rootHex) else {
                throw WeightSealError(.service, "\(pf) lacks logIndex, treeSize or a hex rootHash")
            }
            let items = p["hashes"]?.array ?? []
            guard items.count <= 64 else { throw WeightSealError(.limitExceeded, "\(pf).hashes has \(items.count) hashes") }
            var hashes = [[UInt8]]()
            for (i, h) in items.enumerated() {
                guard let s = h.string, let b = [UInt8](hexString: s) else {
                    throw WeightSealError(.service, "\(pf).hashes[\(i)] is not hex")
                }
                hashes.append(b)
            }
            proof = .init(logIndex: pIndex, rootHash: root, treeSize: size, hashes: hashes,
                          checkpoint: p["checkpoint"]?.string ?? "")
        }
        return TransparencyLogEntry(logIndex: index, logID: logID, kind: kind, version: version, integratedTime: integrated,
                                    signedEntryTimestamp: set, inclusionProof: proof, canonicalizedBody: body)
    }

    static func der(_ certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])).map { Array($0) } ?? []
    }
}
