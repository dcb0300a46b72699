import Foundation
import WeightSealTestSupport
import Testing
@testable import WeightSeal

@Suite("DSSE")
struct DSSETests {
    @Test("PAE of the DSSE protocol.md example")
    func paeVector() {
        let pae = DSSE.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test("PAE counts bytes, not characters, and allows an empty payload")
    func paeBytes() {
        #expect(String(decoding: DSSE.pae(payloadType: "t", payload: []), as: UTF8.self) == "DSSEv1 1 t 0 ")
        let pae = DSSE.pae(payloadType: "é", payload: Array("ü".utf8))
        #expect(pae == Array("DSSEv1 2 é 2 ü".utf8))
    }

    @Test("model-signing 0.2's faulty PAE: Python bytes repr, as its pae_compat rebuilds it")
    func paeCompat() {
        let payload: [UInt8] = Array(#"{"a":"it's"}"#.utf8) + [0x0a, 0x09, 0x00, 0xff, 0x5c]
        let pae = DSSE.paeModelSigningV02(payloadType: "type", payload: payload)
        #expect(String(decoding: pae, as: UTF8.self) == #"DSSEV1 4 type 17 b'{"a":"it\'s"}\n\t\x00\xff\\'"#)
        #expect(String(decoding: DSSE.paeModelSigningV02(payloadType: "t", payload: Array("x'y".utf8)), as: UTF8.self)
            == #"DSSEV1 1 t 3 b"x'y""#)
    }

    @Test("envelope JSON round trip: base64 payload and sig, keyid omitted when nil")
    func envelopeJSON() throws {
        let env = DSSEEnvelope(payload: [0, 1, 2, 255], payloadType: "application/vnd.in-toto+json",
                               signatures: [.init(sig: [9, 8, 7])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(env), as: UTF8.self)
        #expect(json == #"{"payload":"AAEC\/w==","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"CQgH"}]}"#
            || json == #"{"payload":"AAEC/w==","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"CQgH"}]}"#)
        let back = try JSONDecoder().decode(DSSEEnvelope.self, from: Data(json.utf8))
        #expect(back == env)
    }

    @Test("reads URL-safe unpadded base64, empty and null keyid")
    func envelopeLenient() throws {
        let json = #"{"payload":"AAEC_w","payloadType":"x","signatures":[{"sig":"CQgH","keyid":""},{"sig":"CQgH","keyid":null}]}"#
        let env = try JSONDecoder().decode(DSSEEnvelope.self, from: Data(json.utf8))
        #expect(env.payload == [0, 1, 2, 255])
        #expect(env.signatures.map(\.keyid) == ["", nil])
    }

    @Test("bad base64 is a decoding error")
    func badBase64() {
        let json = #"{"payload":"!!!","payloadType":"x","signatures":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DSSEEnvelope.self, from: Data(json.utf8)) }
    }
}
