/// A PKCS #11 URI (RFC 7512): which module, token and object to use, and where the PIN comes from.
///
/// `pkcs11:token=weightseal;object=sealkey?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`
///
/// Parsing follows the grammar of RFC 7512 §2.3: path attributes are separated by `;`, query attributes by `&`; values
/// are percent-decoded (`%20`); a character outside the grammar's set must be percent-encoded. The parser refuses, with
/// a message naming the attribute: a path attribute given twice (RFC 7512 §2.3 "MUST NOT"), a standard query attribute
/// given twice, both `pin-value` and `pin-source` (§2.3: "SHOULD be refused as invalid"), a `type` other than the five
/// the RFC names, a `slot-id` or `library-version` that is not a number, a text value that is not UTF-8, and input
/// longer than ``Limits/maxPKCS11URIBytes``. Vendor-specific attributes (any other name of letters, digits, `-`, `_`)
/// are kept in ``vendorPathAttributes`` / ``vendorQueryAttributes``; ``PKCS11Key`` refuses them (§3.3: an unknown
/// path attribute matches nothing).
///
/// Values that were not given are `nil`; a value given empty (`serial=`) is `""`.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// The `type` attribute: the object class (RFC 7512 §2.3).
    public enum ObjectType: String, Sendable, Hashable, CaseIterable {
        case publicKey = "public", privateKey = "private", certificate = "cert", secretKey = "secret-key", data
    }

    /// `library-version`: `major[.minor]`, each 0–255 (a CK_VERSION).
    public struct Version: Sendable, Hashable {
        public var major: UInt8
        public var minor: UInt8
        /// A version `major.minor`.
        public init(major: UInt8, minor: UInt8) { self.major = major; self.minor = minor }
    }

    /// A vendor-specific attribute: its name and percent-decoded value.
    public struct VendorAttribute: Sendable, Hashable {
        public var name: String
        public var value: String
        /// An attribute `name=value` (`value` percent-decoded).
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    // Path attributes (what to match).
    /// `token`: the token label (CK_TOKEN_INFO `label`).
    public var token: String?
    /// `manufacturer`: the token's `manufacturerID`.
    public var manufacturer: String?
    /// `serial`: the token's `serialNumber`.
    public var serial: String?
    /// `model`: the token's `model`.
    public var model: String?
    /// `library-manufacturer`: CK_INFO `manufacturerID` of the module.
    public var libraryManufacturer: String?
    /// `library-description`: CK_INFO `libraryDescription`.
    public var libraryDescription: String?
    /// `library-version`: CK_INFO `libraryVersion`.
    public var libraryVersion: Version?
    /// `slot-description`: CK_SLOT_INFO `slotDescription`.
    public var slotDescription: String?
    /// `slot-manufacturer`: CK_SLOT_INFO `manufacturerID`.
    public var slotManufacturer: String?
    /// `slot-id`: the CK_SLOT_ID, decimal.
    public var slotID: UInt?
    /// `object`: the object's CKA_LABEL.
    public var object: String?
    /// `id`: the object's CKA_ID, as bytes (usually written fully percent-encoded, `%01%a2`).
    public var id: [UInt8]?
    /// `type`: the object class.
    public var type: ObjectType?
    /// Path attributes of other names, in URI order.
    public var vendorPathAttributes: [VendorAttribute] = []

    // Query attributes (how to reach it).
    /// `pin-value`: the PIN itself.
    public var pinValue: String?
    /// `pin-source`: where to read the PIN (weightseal reads `file:` sources only).
    public var pinSource: String?
    /// `module-name`: the module's name without path or suffix (`softhsm2`), found through p11-kit's module
    /// configuration or the system's PKCS #11 module folder.
    public var moduleName: String?
    /// `module-path`: the module's file.
    public var modulePath: String?
    /// Query attributes of other names, in URI order (they may repeat).
    public var vendorQueryAttributes: [VendorAttribute] = []

    /// An empty URI (`pkcs11:`): matches every object.
    public init() {}

    /// Whether `text` is meant as a PKCS #11 URI: it starts with `pkcs11:` (any case, as URI schemes are).
    public static func isURI(_ text: String) -> Bool {
        text.utf8.count >= 7 && String(decoding: text.utf8.prefix(7), as: UTF8.self).lowercased() == "pkcs11:"
    }

    /// Parses an RFC 7512 URI.
    /// - Throws: ``WeightSealError/Code/malformedKey`` naming the attribute or offset that breaks the grammar (see the
    ///   type's documentation); the PIN is never quoted.
    public init(parsing text: String) throws(WeightSealError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Limits.maxPKCS11URIBytes else {
            throw Self.error("longer than \(Limits.maxPKCS11URIBytes) bytes")
        }
        guard Self.isURI(text) else { throw Self.error("does not start with \"pkcs11:\"") }
        let rest = bytes[7...]
        let path: ArraySlice<UInt8>
        let query: ArraySlice<UInt8>?
        if let mark = rest.firstIndex(of: UInt8(ascii: "?")) {
            path = rest[..<mark]
            query = rest[(mark + 1)...]
        } else {
            path = rest
            query = nil
        }
        var seen = Set<String>()
        if !path.isEmpty {
            for part in path.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
                let (name, raw) = try Self.attribute(part, in: "path", offset: part.startIndex)
                guard seen.insert(name).inserted else {
                    throw Self.error("path attribute \"\(name)\" appears twice (RFC 7512 §2.3 allows each once)")
                }
                try Self.checkCharacters(raw, allowed: Self.pathChar, name: name)
                try assignPath(name: name, raw: raw)
            }
        }
        if let query, !query.isEmpty {
            var seenQuery = Set<String>()
            for part in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
                let (name, raw) = try Self.attribute(part, in: "query", offset: part.startIndex)
                try Self.checkCharacters(raw, allowed: Self.queryChar, name: name)
                try assignQuery(name: name, raw: raw, seen: &seenQuery)
            }
        }
        if pinValue != nil && pinSource != nil {
            throw Self.error("has both pin-value and pin-source; give one (RFC 7512 §2.3)")
        }
    }

    private mutating func assignPath(name: String, raw: ArraySlice<UInt8>) throws(WeightSealError) {
        switch name {
        case "token": token = try Self.text(raw, name)
        case "manufacturer": manufacturer = try Self.text(raw, name)
        case "serial": serial = try Self.text(raw, name)
        case "model": model = try Self.text(raw, name)
        case "library-manufacturer": libraryManufacturer = try Self.text(raw, name)
        case "library-description": libraryDescription = try Self.text(raw, name)
        case "library-version":
            let value = try Self.text(raw, name)
            let parts = value.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, let major = Self.decimal(parts[0], max: 255),
                  let minor = parts.count == 2 ? Self.decimal(parts[1], max: 255) : 0 else {
                throw Self.error("library-version must be MAJOR or MAJOR.MINOR, each 0–255")
            }
            libraryVersion = Version(major: UInt8(major), minor: UInt8(minor))
        case "slot-description": slotDescription = try Self.text(raw, name)
        case "slot-manufacturer": slotManufacturer = try Self.text(raw, name)
        case "slot-id":
            guard let n = Self.decimal(Substring(try Self.text(raw, name)), max: UInt64(UInt.max)) else {
                throw Self.error("slot-id must be a decimal number (a CK_SLOT_ID)")
            }
            slotID = UInt(n)
        case "object": object = try Self.text(raw, name)
        case "id": id = try Self.decode(raw, name)
        case "type":
            guard let t = ObjectType(rawValue: try Self.text(raw, name)) else {
                throw Self.error("type must be one of public, private, cert, secret-key, data")
            }
            type = t
        default: vendorPathAttributes.append(VendorAttribute(name: name, value: try Self.text(raw, name)))
        }
    }

    private mutating func assignQuery(name: String, raw: ArraySlice<UInt8>, seen: inout Set<String>) throws(WeightSealError) {
        let standard = ["pin-value", "pin-source", "module-name", "module-path"]
        if standard.contains(name) {
            guard seen.insert(name).inserted else { throw Self.error("query attribute \"\(name)\" appears twice") }
        }
        switch name {
        case "pin-value": pinValue = try Self.text(raw, name)
        case "pin-source": pinSource = try Self.text(raw, name)
        case "module-name": moduleName = try Self.text(raw, name)
        case "module-path": modulePath = try Self.text(raw, name)
        default: vendorQueryAttributes.append(VendorAttribute(name: name, value: try Self.text(raw, name)))
        }
    }

    /// The URI in RFC 7512 form, with `pin-value` shown as `***` so the text can be printed or logged.
    public var description: String { text(revealingPIN: false) }

    /// The URI in RFC 7512 form: attributes in the RFC's order, vendor attributes after, values percent-encoded where
    /// the grammar needs it (`id` fully). Parsing it gives back an equal value. `revealingPIN: false` writes
    /// `pin-value=***`.
    public func text(revealingPIN: Bool) -> String {
        var path: [String] = []
        func add(_ name: String, _ value: String?) {
            if let value { path.append(name + "=" + Self.encode(Array(value.utf8), allowed: Self.pathChar)) }
        }
        add("token", token)
        add("manufacturer", manufacturer)
        add("serial", serial)
        add("model", model)
        add("library-manufacturer", libraryManufacturer)
        add("library-description", libraryDescription)
        if let libraryVersion { path.append("library-version=\(libraryVersion.major).\(libraryVersion.minor)") }
        add("slot-description", slotDescription)
        add("slot-manufacturer", slotManufacturer)
        if let slotID { path.append("slot-id=\(slotID)") }
        add("object", object)
        if let id { path.append("id=" + Self.encode(id, allowed: { _ in false })) }
        add("type", type?.rawValue)
        for v in vendorPathAttributes { add(v.name, v.value) }
        var query: [String] = []
        func addQuery(_ name: String, _ value: String?) {
            if let value { query.append(name + "=" + Self.encode(Array(value.utf8), allowed: Self.queryChar)) }
        }
        if pinValue != nil && !revealingPIN { query.append("pin-value=***") } else { addQuery("pin-value", pinValue) }
        addQuery("pin-source", pinSource)
        addQuery("module-name", moduleName)
        addQuery("module-path", modulePath)
        for v in vendorQueryAttributes { addQuery(v.name, v.value) }
        return "pkcs11:" + path.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    // MARK: - Grammar (RFC 7512 §2.3, with RFC 3986 §2.3 `unreserved`)

    private static func unreserved(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("-._~".utf8).contains(c)
        }
    }

    /// `pk11-pchar` without `pct-encoded`: unreserved / `:[]@!$'()*+,=`.
    static func pathChar(_ c: UInt8) -> Bool { unreserved(c) || Array(":[]@!$'()*+,=".utf8).contains(c) }

    /// `pk11-qchar` without `pct-encoded`: also `/`, `?`, `|`.
    static func queryChar(_ c: UInt8) -> Bool { pathChar(c) || Array("/?|".utf8).contains(c) }

    /// `pk11-v-attr-nm-char`: the characters of any attribute name.
    private static func nameChar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): return true
        default: return false
        }
    }

    private static func attribute(_ part: ArraySlice<UInt8>, in component: String, offset: Int) throws(WeightSealError)
        -> (String, ArraySlice<UInt8>)
    {
        guard !part.isEmpty else { throw error("has an empty \(component) attribute at offset \(offset) (a doubled or trailing separator)") }
        guard let eq = part.firstIndex(of: UInt8(ascii: "=")) else {
            throw error("\(component) attribute at offset \(offset) has no \"=\" (attributes are NAME=VALUE)")
        }
        let nameBytes = part[..<eq]
        guard !nameBytes.isEmpty, nameBytes.allSatisfy(nameChar) else {
            throw error("\(component) attribute at offset \(offset) has no valid name (letters, digits, \"-\", \"_\")")
        }
        return (String(decoding: nameBytes, as: UTF8.self), part[(eq + 1)...])
    }

    private static func checkCharacters(_ raw: ArraySlice<UInt8>, allowed: (UInt8) -> Bool, name: String) throws(WeightSealError) {
        for c in raw where c != UInt8(ascii: "%") && !allowed(c) {
            let code = encode([c], allowed: { _ in false })
            if name == "pin-value" { throw error("the value of pin-value has a character that must be percent-encoded") }
            let shown = (0x21...0x7e).contains(c) ? "\"\(Character(Unicode.Scalar(c)))\"" : c == 0x20 ? "a space" : "byte \(code)"
            throw error("the value of \(name) has \(shown), which must be percent-encoded (\(code))")
        }
    }

    private static func decode(_ raw: ArraySlice<UInt8>, _ name: String) throws(WeightSealError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            if raw[i] == UInt8(ascii: "%") {
                guard i + 2 < raw.endIndex, let hi = hexValue(raw[i + 1]), let lo = hexValue(raw[i + 2]) else {
                    throw error("the value of \(name) has a \"%\" not followed by two hex digits")
                }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(raw[i])
                i += 1
            }
        }
        return out
    }

    private static func text(_ raw: ArraySlice<UInt8>, _ name: String) throws(WeightSealError) -> String {
        let bytes = try decode(raw, name)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw error("the value of \(name) is not UTF-8 once percent-decoded")
        }
        return s
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func decimal(_ s: Substring, max: UInt64) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let n = UInt64(s), n <= max else { return nil }
        return n
    }

    private static func encode(_ bytes: [UInt8], allowed: (UInt8) -> Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in bytes {
            if allowed(b) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func error(_ what: String) -> WeightSealError {
        WeightSealError(.malformedKey, "PKCS #11 URI \(what)")
    }
}
