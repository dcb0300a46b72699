import Crypto
import WeightSealTestSupport
import Testing
@testable import WeightSeal

/// The RFC 7512 URI parser (`sign --key pkcs11:…`): the RFC's examples with their exact values, and what it refuses.
@Suite("PKCS #11 URI (RFC 7512)")
struct PKCS11URITests {
    /// Every example URI of RFC 7512 §3.3, in the RFC's order, with what it must parse to.
    static let rfcExamples: [(String, @Sendable (PKCS11URI) -> Bool)] = [
        ("pkcs11:", { $0 == PKCS11URI() }),
        ("pkcs11:object=my-pubkey;type=public", { u in
            var e = PKCS11URI(); e.object = "my-pubkey"; e.type = .publicKey; return u == e
        }),
        ("pkcs11:object=my-key;type=private?pin-source=file:/etc/token", { u in
            var e = PKCS11URI(); e.object = "my-key"; e.type = .privateKey; e.pinSource = "file:/etc/token"; return u == e
        }),
        ("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;"
            + "object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin", { u in
            var e = PKCS11URI()
            e.token = "The Software PKCS#11 Softtoken"
            e.manufacturer = "Snake Oil, Inc."
            e.model = "1.0"
            e.object = "my-certificate"
            e.type = .certificate
            e.id = [0x69, 0x95, 0x3E, 0x5C, 0xF4, 0xBD, 0xEC, 0x91]
            e.serial = ""
            e.pinSource = "file:/etc/token_pin"
            return u == e
        }),
        ("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11", { u in
            var e = PKCS11URI(); e.object = "my-sign-key"; e.type = .privateKey; e.moduleName = "mypkcs11"; return u == e
        }),
        ("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1", { u in
            var e = PKCS11URI(); e.object = "my-sign-key"; e.type = .privateKey; e.modulePath = "/mnt/libmypkcs11.so.1"
            return u == e
        }),
        ("pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin", { u in
            var e = PKCS11URI()
            e.token = "Software PKCS#11 softtoken"; e.manufacturer = "Snake Oil, Inc."; e.pinValue = "the-pin"
            return u == e
        }),
        ("pkcs11:slot-description=Sun%20Metaslot", { u in
            var e = PKCS11URI(); e.slotDescription = "Sun Metaslot"; return u == e
        }),
        ("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23", { u in
            var e = PKCS11URI()
            e.libraryManufacturer = "Snake Oil, Inc."
            e.libraryDescription = "Soft Token Library"
            e.libraryVersion = .init(major: 1, minor: 23)
            return u == e
        }),
        ("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06", { u in
            var e = PKCS11URI()
            e.token = "My token% created by Joe"
            e.libraryVersion = .init(major: 3, minor: 0)
            e.id = [0x01, 0x02, 0x03, 0xBA, 0xDD, 0xCA, 0xFE, 0x04, 0x05, 0x06]
            return u == e
        }),
        ("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert", { u in
            var e = PKCS11URI(); e.token = "A name with a substring %;"; e.object = "my-certificate"; e.type = .certificate
            return u == e
        }),
        ("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert", { u in
            var e = PKCS11URI()
            e.token = "Name with a small A with acute: \u{E1}"; e.object = "my-certificate"; e.type = .certificate
            return u == e
        }),
        ("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"
            + "?pin-source=file:/etc/token_pin&vendor-bbb=value-b", { u in
            var e = PKCS11URI()
            e.token = "my-token"; e.object = "my-certificate"; e.type = .certificate
            e.vendorPathAttributes = [.init(name: "vendor-aaa", value: "value-a")]
            e.pinSource = "file:/etc/token_pin"
            e.vendorQueryAttributes = [.init(name: "vendor-bbb", value: "value-b")]
            return u == e
        }),
    ]

    @Test("the RFC 7512 §3.3 examples parse to their exact values, and print back to URIs that parse to the same",
          arguments: 0..<13)
    func rfcExample(index: Int) throws {
        let (text, check) = Self.rfcExamples[index]
        let uri = try PKCS11URI(parsing: text)
        #expect(check(uri), "\(text) parsed to \(uri.text(revealingPIN: true))")
        #expect(try PKCS11URI(parsing: uri.text(revealingPIN: true)) == uri)
    }

    @Test("the key URI the docs use: slot-id, object, id, module and PIN")
    func keyURI() throws {
        let uri = try PKCS11URI(parsing: "pkcs11:token=weightseal;slot-id=1234567;object=sealkey;id=%01"
            + "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2634")
        #expect(uri.token == "weightseal")
        #expect(uri.slotID == 1_234_567)
        #expect(uri.object == "sealkey")
        #expect(uri.id == [1])
        #expect(uri.modulePath == "/usr/lib/softhsm/libsofthsm2.so")
        #expect(uri.pinValue == "12&34")
        // The PIN stays out of the printed form.
        #expect(uri.description == "pkcs11:token=weightseal;slot-id=1234567;object=sealkey;id=%01"
            + "?pin-value=***&module-path=/usr/lib/softhsm/libsofthsm2.so")
        #expect(!uri.description.contains("12"+"&34") && !uri.description.contains("12%2634"))
        #expect(uri.text(revealingPIN: true).contains("pin-value=12%2634"))
        #expect(PKCS11URI.isURI("PKCS11:object=x"))
        #expect(!PKCS11URI.isURI("pkcs11"))
        #expect(!PKCS11URI.isURI("./pkcs11:x.pem"))
    }

    @Test("malformed URIs are refused with a message naming what is wrong", arguments: [
        ("pkcs12:object=x", "does not start with \"pkcs11:\""),
        ("pkcs11:object=a;object=b", "path attribute \"object\" appears twice"),
        ("pkcs11:object=a;;type=private", "empty path attribute"),
        ("pkcs11:object=a;", "empty path attribute"),
        ("pkcs11:object", "has no \"=\""),
        ("pkcs11:=x", "has no valid name"),
        ("pkcs11:ob.ject=x", "has no valid name"),
        ("pkcs11:object=my key", "has a space, which must be percent-encoded (%20)"),
        ("pkcs11:object=a/b", "has \"/\", which must be percent-encoded (%2F)"),
        ("pkcs11:object=a#b", "has \"#\", which must be percent-encoded (%23)"),
        ("pkcs11:object=a%2", "\"%\" not followed by two hex digits"),
        ("pkcs11:object=a%zz", "\"%\" not followed by two hex digits"),
        ("pkcs11:object=%FF", "not UTF-8"),
        ("pkcs11:type=key", "type must be one of"),
        ("pkcs11:slot-id=-1", "slot-id must be a decimal number"),
        ("pkcs11:slot-id=99999999999999999999999", "slot-id must be a decimal number"),
        ("pkcs11:library-version=1.256", "library-version must be"),
        ("pkcs11:library-version=1.2.3", "library-version must be"),
        ("pkcs11:?module-path=/a&module-path=/b", "query attribute \"module-path\" appears twice"),
        ("pkcs11:?pin-value=1&pin-source=file:/p", "has both pin-value and pin-source"),
        ("pkcs11:?pin-value=a%20b&&x=1", "empty query attribute"),
        ("pkcs11:?module-path=/a;b", "has \";\", which must be percent-encoded (%3B)"),
    ])
    func refused(text: String, message: String) {
        let error = #expect(throws: WeightSealError.self) { try PKCS11URI(parsing: text) }
        #expect(error?.code == .malformedKey)
        #expect(error?.message.contains(message) == true, "\(text): \(error?.message ?? "")")
    }

    @Test("a bad character in pin-value is named without quoting it; an over-long URI is refused before parsing")
    func pinAndLength() {
        let pin = #expect(throws: WeightSealError.self) { try PKCS11URI(parsing: "pkcs11:?pin-value=se^cret") }
        #expect(pin?.message.contains("^") == false && pin?.message.contains("%5E") == false)
        #expect(pin?.message.contains("pin-value has a character") == true)
        let long = "pkcs11:object=" + String(repeating: "a", count: Limits.maxPKCS11URIBytes)
        let error = #expect(throws: WeightSealError.self) { try PKCS11URI(parsing: long) }
        #expect(error?.message.contains("longer than \(Limits.maxPKCS11URIBytes) bytes") == true)
    }

    @Test("values print back percent-encoded where the grammar needs it; id is always fully encoded")
    func printing() throws {
        var uri = PKCS11URI()
        uri.token = "a;b c%"
        uri.id = [0x41, 0x00]
        uri.modulePath = "/x/y z.so"
        uri.pinSource = "file:/run/pin&x"
        #expect(uri.description == "pkcs11:token=a%3Bb%20c%25;id=%41%00?pin-source=file:/run/pin%26x&module-path=/x/y%20z.so")
        #expect(try PKCS11URI(parsing: uri.description) == uri)
    }

    @Test("a module that cannot load: missing file, not a library, no path")
    func moduleErrors() throws {
        let missing = #expect(throws: WeightSealError.self) {
            try PKCS11Key.open(uri: "pkcs11:object=k?module-path=/nonexistent/libnothing.so&pin-value=1")
        }
        #expect(missing?.code == .pkcs11)
        #expect(missing?.message == "cannot load the PKCS #11 module /nonexistent/libnothing.so: No such file or directory")
        let dir = TempDir()
        let text = dir.write("notalibrary.so", "not an ELF file\n")
        let notLibrary = #expect(throws: WeightSealError.self) {
            try PKCS11Key.open(uri: "pkcs11:object=k?module-path=\(text)&pin-value=1")
        }
        #expect(notLibrary?.code == .pkcs11)
        #expect(notLibrary?.message.hasPrefix("cannot load the PKCS #11 module \(text): ") == true, "\(notLibrary?.message ?? "")")
        let noModule = #expect(throws: WeightSealError.self) { try PKCS11Key.open(uri: "pkcs11:object=k") }
        #expect(noModule?.message.contains("names no module") == true)
        let bareName = #expect(throws: WeightSealError.self) { try PKCS11Key.open(uri: "pkcs11:object=k?module-path=libsofthsm2.so") }
        #expect(bareName?.message.contains("is not a path") == true)
        let unknownName = #expect(throws: WeightSealError.self) { try PKCS11Key.open(uri: "pkcs11:object=k?module-name=no-such-module-x") }
        #expect(unknownName?.message.contains("module-name no-such-module-x: no no-such-module-x.module") == true)
    }

    @Test("attributes weightseal does not act on are refused before anything is loaded")
    func unusableAttributes() {
        for (text, message) in [
            ("pkcs11:object=k;vendor-aaa=1?module-path=/nonexistent.so", "attribute \"vendor-aaa\" is not one weightseal knows"),
            ("pkcs11:object=k?module-path=/nonexistent.so&x-opt=1", "query attribute \"x-opt\" is not one weightseal knows"),
            ("pkcs11:object=k;type=cert?module-path=/nonexistent.so", "type=cert; signing needs the private key"),
            ("pkcs11:object=k?module-path=/nonexistent.so&pin-source=%7C/bin/cat", "pin-source must be a file: URI"),
            ("pkcs11:object=k?module-path=/nonexistent.so&pin-source=file://otherhost/pin", "names another host"),
        ] {
            let error = #expect(throws: WeightSealError.self) { try PKCS11Key.open(uri: text) }
            #expect(error?.code == .malformedKey, "\(text)")
            #expect(error?.message.contains(message) == true, "\(text): \(error?.message ?? "")")
        }
    }

    @Test("return values are named as the specification names them")
    func returnValueNames() {
        #expect(pkcs11Name(0xA0) == "CKR_PIN_INCORRECT")
        #expect(pkcs11Name(0xE0) == "CKR_TOKEN_NOT_PRESENT")
        #expect(pkcs11Name(0x191) == "CKR_CRYPTOKI_ALREADY_INITIALIZED")
        #expect(pkcs11Name(0x8000_0012) == "CKR_VENDOR_DEFINED+0x12")
        #expect(pkcs11Name(0x4242) == "CK_RV 0x4242")
    }

    @Test("CKA_EC_POINT in DER or bare form gives the key; other curves and off-curve points are refused")
    func ecPoints() throws {
        let key = SigningKey.generate(.p256)
        guard case .p256(let k) = key.publicKey.backing else { Issue.record("not P-256"); return }
        let point = Array(k.x963Representation)
        let p256: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        #expect(try ecPublicKey(params: p256, point: [0x04, 65] + point, name: "k") == key.publicKey)
        #expect(try ecPublicKey(params: p256, point: point, name: "k") == key.publicKey)
        let p521: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23]
        #expect(throws: WeightSealError(.unsupportedAlgorithm, "")) { try ecPublicKey(params: p521, point: point, name: "k") }
        var off = point
        off[64] ^= 1
        #expect(throws: WeightSealError(.malformedKey, "")) { try ecPublicKey(params: p256, point: off, name: "k") }
        #expect(throws: WeightSealError(.malformedKey, "")) { try ecPublicKey(params: p256, point: Array(point.prefix(33)), name: "k") }
    }
}
