import CPKCS11
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An ECDSA P-256 or P-384 private key held in a PKCS #11 token (an HSM, a smart card, SoftHSM), named by an
/// RFC 7512 URI, that signs through the token's module.
///
/// ``open(uri:environment:)`` loads the module the URI names (`module-path`, or `module-name` through p11-kit's module
/// configuration) at run time, finds the one initialised token that matches the URI's token and slot attributes, opens a
/// read-only session, logs in as the user (CKU_USER) and finds the one private key (CKO_PRIVATE_KEY) with the URI's
/// `object` (CKA_LABEL) and/or `id` (CKA_ID), and the public key object (CKO_PUBLIC_KEY) of the pair, whose
/// CKA_EC_PARAMS and CKA_EC_POINT give ``publicKey``.
///
/// ``signature(for:)`` hashes the message here (SHA-256 for P-256, SHA-384 for P-384, as ``SigningKey`` does), has the
/// token sign the digest with `CKM_ECDSA`, converts the raw `r‖s` to an ASN.1 DER `Ecdsa-Sig-Value`, and checks the
/// signature under ``publicKey`` before handing it out. Calls into the session are serialised by a lock.
///
/// The PIN comes from the URI's `pin-value`, or the file of its `pin-source=file:…` (one trailing newline removed), or
/// else the environment variable `WEIGHTSEAL_PKCS11_PIN`. A token that needs no login is used without one.
///
/// When the key goes away its session is closed (closing a token's last session logs the user out, PKCS #11 v2.40
/// §5.6; no `C_Logout` is sent, as the login is shared with any other session of the process on that token), and the
/// last key of a module finalises it (`C_Finalize`).
public final class PKCS11Key: MessageSigner, @unchecked Sendable {
    /// The environment variable read for the PIN when the URI gives none.
    public static let pinEnvironmentVariable = "WEIGHTSEAL_PKCS11_PIN"

    /// The key's public half, read from the token's public key object.
    public let publicKey: PublicKey
    /// The label of the token holding the key.
    public let tokenLabel: String
    /// The key's CKA_LABEL (may be empty).
    public let label: String
    /// The key's CKA_ID (may be empty).
    public let id: [UInt8]

    private let module: PKCS11Module
    private let session: CK_SESSION_HANDLE
    private let privateKey: CK_OBJECT_HANDLE
    /// Kept only for keys with CKA_ALWAYS_AUTHENTICATE, which need a context-specific login before each signature.
    private let contextPIN: [UInt8]?
    private let lock = NSLock()

    private init(publicKey: PublicKey, tokenLabel: String, label: String, id: [UInt8], module: PKCS11Module,
                 session: CK_SESSION_HANDLE, privateKey: CK_OBJECT_HANDLE, contextPIN: [UInt8]?) {
        self.publicKey = publicKey
        self.tokenLabel = tokenLabel
        self.label = label
        self.id = id
        self.module = module
        self.session = session
        self.privateKey = privateKey
        self.contextPIN = contextPIN
    }

    deinit {
        _ = module.call { $0.C_CloseSession?(session) }
        module.release()
    }

    /// Parses `uri` (RFC 7512) and opens the key it names; as ``open(uri:environment:)``.
    /// - Throws: ``WeightSealError/Code/malformedKey`` for a malformed URI, else as ``open(uri:environment:)``.
    public static func open(uri: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(WeightSealError) -> PKCS11Key
    {
        try open(uri: PKCS11URI(parsing: uri), environment: environment)
    }

    /// Opens the private key `uri` names: loads the module, finds the token, logs in, finds the key pair.
    /// - Parameters:
    ///   - uri: the key's URI. Vendor-specific attributes are refused; `type` may only be `private`.
    ///   - environment: where `WEIGHTSEAL_PKCS11_PIN` is looked up (default: the process environment).
    /// - Throws: ``WeightSealError/Code/pkcs11`` with the reason (module not loadable, no or several matching tokens,
    ///   PIN missing or refused with its CK_RV name, no or several matching private keys, no public key object, a
    ///   module call failing with its CK_RV name); ``WeightSealError/Code/unsupportedAlgorithm`` for a key that is not
    ///   EC on P-256 or P-384; ``WeightSealError/Code/io`` when the PIN file cannot be read;
    ///   ``WeightSealError/Code/malformedKey`` for URI attributes weightseal does not use.
    public static func open(uri: PKCS11URI, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(WeightSealError) -> PKCS11Key
    {
        try checkUsable(uri)
        let pin = try pin(for: uri, environment: environment)
        let path = try modulePath(for: uri)
        let module = try PKCS11Module.acquire(path: path)
        var session: CK_SESSION_HANDLE = CK_INVALID_HANDLE
        var keepSession = false
        defer {
            if !keepSession {
                if session != CK_INVALID_HANDLE { _ = module.call { $0.C_CloseSession?(session) } }
                module.release()
            }
        }
        let token = try TokenSearch(module: module, uri: uri).find()
        var rv = module.call { $0.C_OpenSession?(token.slot, CKF_SERIAL_SESSION, nil, nil, &session) }
        guard rv == CKR_OK else {
            throw WeightSealError(.pkcs11, "cannot open a session on token \(quoted(token.label)): \(pkcs11Name(rv))")
        }
        let objects = ObjectReader(module: module, session: session)

        if let pin {
            rv = login(module, session, CKU_USER, pin.bytes)
            guard rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN else {
                var reason = "token \(quoted(token.label)) refused the PIN from \(pin.source): \(pkcs11Name(rv))"
                if rv == CKR_PIN_LOCKED { reason += " (the user PIN is locked; the security officer must unlock it)" }
                throw WeightSealError(.pkcs11, reason)
            }
        } else if token.flags & CKF_LOGIN_REQUIRED != 0 {
            guard token.flags & CKF_PROTECTED_AUTHENTICATION_PATH != 0 else {
                throw WeightSealError(.pkcs11, "token \(quoted(token.label)) needs a PIN: add pin-source=file:PATH (or "
                    + "pin-value=PIN) to the URI, or set \(pinEnvironmentVariable)")
            }
            // A PIN pad on the reader: the module asks for the PIN itself.
            rv = module.call { $0.C_Login?(session, CKU_USER, nil, 0) }
            guard rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN else {
                throw WeightSealError(.pkcs11, "login on token \(quoted(token.label)) (PIN pad) failed: \(pkcs11Name(rv))")
            }
        }

        // The private key.
        var template: [(CK_ATTRIBUTE_TYPE, [UInt8])] = [(CKA_CLASS, ulongBytes(CKO_PRIVATE_KEY))]
        if let object = uri.object { template.append((CKA_LABEL, Array(object.utf8))) }
        if let id = uri.id { template.append((CKA_ID, id)) }
        let what = selection(uri)
        let keys = try objects.find(template)
        guard !keys.isEmpty else {
            throw WeightSealError(.pkcs11, "no private key matches \(what) in token \(quoted(token.label))"
                + (pin == nil && token.flags & CKF_LOGIN_REQUIRED == 0 ? " (no PIN was given; private keys may show only after login)" : ""))
        }
        guard keys.count == 1 else {
            let ids = keys.compactMap { try? objects.bytes($0, CKA_ID) }.map { "id=" + percentEncoded($0) }
            throw WeightSealError(.pkcs11, "\(keys.count) private keys match \(what) in token \(quoted(token.label)); "
                + "name one with object= and id= (\(ids.joined(separator: ", ")))")
        }
        let key = keys[0]
        let keyLabel = String(decoding: try objects.bytes(key, CKA_LABEL) ?? [], as: UTF8.self)
        let keyID = try objects.bytes(key, CKA_ID) ?? []
        let keyType = try objects.ulong(key, CKA_KEY_TYPE)
        guard keyType == CKK_EC else {
            let name = keyType == CKK_RSA ? "an RSA key" : keyType.map { "a key of type 0x\(String($0, radix: 16))" } ?? "a key of unknown type"
            throw WeightSealError(.unsupportedAlgorithm,
                "the private key \(what) in token \(quoted(token.label)) is \(name); weightseal signs with ECDSA P-256 or P-384")
        }
        let alwaysAuthenticate = (try objects.bytes(key, CKA_ALWAYS_AUTHENTICATE)).map { $0.contains { $0 != 0 } } ?? false

        // Its public key object: same CKA_ID if the key has one, else same CKA_LABEL.
        var publicTemplate: [(CK_ATTRIBUTE_TYPE, [UInt8])] = [(CKA_CLASS, ulongBytes(CKO_PUBLIC_KEY))]
        if !keyID.isEmpty {
            publicTemplate.append((CKA_ID, keyID))
        } else if !keyLabel.isEmpty {
            publicTemplate.append((CKA_LABEL, Array(keyLabel.utf8)))
        } else {
            throw WeightSealError(.pkcs11, "the private key \(what) in token \(quoted(token.label)) has neither CKA_ID nor "
                + "CKA_LABEL, so its public key object cannot be found")
        }
        var publicKeys = try objects.find(publicTemplate)
        if publicKeys.count > 1, !keyID.isEmpty, !keyLabel.isEmpty {
            publicKeys = try objects.find(publicTemplate + [(CKA_LABEL, Array(keyLabel.utf8))])
        }
        let pairName = keyID.isEmpty ? "object=\(quoted(keyLabel))" : "id=\(percentEncoded(keyID))"
        guard !publicKeys.isEmpty else {
            throw WeightSealError(.pkcs11, "token \(quoted(token.label)) has no public key object (CKO_PUBLIC_KEY) with "
                + "\(pairName) for the private key \(what); weightseal reads the public key from it (import it with "
                + "the same id and label, e.g. pkcs11-tool --write-object PUB.der --type pubkey)")
        }
        guard publicKeys.count == 1 else {
            throw WeightSealError(.pkcs11, "\(publicKeys.count) public key objects in token \(quoted(token.label)) have "
                + "\(pairName); give the pair a unique id")
        }
        let params = try objects.bytes(publicKeys[0], CKA_EC_PARAMS)
        let point = try objects.bytes(publicKeys[0], CKA_EC_POINT)
        guard let params, let point else {
            throw WeightSealError(.pkcs11, "the public key object \(pairName) in token \(quoted(token.label)) has no "
                + "CKA_EC_PARAMS or CKA_EC_POINT")
        }
        if let privateParams = try objects.bytes(key, CKA_EC_PARAMS), privateParams != params {
            throw WeightSealError(.pkcs11, "the private and public key objects \(pairName) in token \(quoted(token.label)) "
                + "are on different curves")
        }
        let publicKey = try ecPublicKey(params: params, point: point, name: "the public key object \(pairName)")

        keepSession = true
        return PKCS11Key(publicKey: publicKey, tokenLabel: token.label, label: keyLabel, id: keyID, module: module,
                         session: session, privateKey: key, contextPIN: alwaysAuthenticate ? pin?.bytes : nil)
    }

    /// Signs `message`: SHA-256 (P-256) or SHA-384 (P-384) here, `CKM_ECDSA` over the digest in the token; returns the
    /// ASN.1 DER `Ecdsa-Sig-Value`, the encoding ``SigningKey/signature(for:)`` returns.
    /// - Throws: ``WeightSealError/Code/pkcs11`` naming the CK_RV when the token refuses, or when its signature does
    ///   not verify under ``publicKey`` (the public key object belongs to another key).
    public func signature(for message: [UInt8]) throws(WeightSealError) -> [UInt8] {
        var digest: [UInt8]
        let size: Int
        switch publicKey.backing {
        case .p256: digest = Array(SHA256.hash(data: message)); size = 32
        case .p384: digest = Array(SHA384.hash(data: message)); size = 48
        case .ed25519: throw WeightSealError(.unsupportedAlgorithm, "PKCS #11 keys are EC keys") // not constructed
        }
        var signature = [UInt8](repeating: 0, count: 2 * size + 64)
        var length = CK_ULONG(signature.count)
        let rv: CK_RV = lock.withLock {
            var mechanism = CK_MECHANISM(mechanism: CKM_ECDSA, pParameter: nil, ulParameterLen: 0)
            var rv = module.call { $0.C_SignInit?(session, &mechanism, privateKey) }
            guard rv == CKR_OK else { return rv }
            if let contextPIN {
                rv = Self.login(module, session, CKU_CONTEXT_SPECIFIC, contextPIN)
                guard rv == CKR_OK else { return rv }
            }
            return digest.withUnsafeMutableBufferPointer { d in
                signature.withUnsafeMutableBufferPointer { s in
                    module.call { $0.C_Sign?(session, d.baseAddress, CK_ULONG(d.count), s.baseAddress, &length) }
                }
            }
        }
        guard rv == CKR_OK else {
            throw WeightSealError(.pkcs11, "token \(quoted(tokenLabel)) did not sign with key \(keyName): \(pkcs11Name(rv))")
        }
        guard Int(length) == 2 * size else {
            throw WeightSealError(.pkcs11, "token \(quoted(tokenLabel)) returned a \(length)-byte ECDSA signature; "
                + "expected \(2 * size) bytes (r‖s)")
        }
        let raw = signature[..<(2 * size)]
        let der: [UInt8]
        do {
            switch publicKey.backing {
            case .p256: der = Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            default: der = Array(try P384.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            }
        } catch {
            throw WeightSealError(.pkcs11, "token \(quoted(tokenLabel)) returned a malformed ECDSA signature: \(error)")
        }
        guard publicKey.isValidSignature(der, for: message) else {
            throw WeightSealError(.pkcs11, "the signature made by key \(keyName) in token \(quoted(tokenLabel)) does not "
                + "verify under its public key object: the public key object with the same id belongs to another key")
        }
        return der
    }

    private var keyName: String {
        id.isEmpty ? "object=\(quoted(label))" : "id=\(percentEncoded(id))"
    }

    // MARK: - Opening

    /// `C_Login` with `pin`; never a NULL pointer, which a module takes as "ask the PIN pad", even for an empty PIN.
    private static func login(_ module: PKCS11Module, _ session: CK_SESSION_HANDLE, _ user: CK_USER_TYPE,
                              _ pin: [UInt8]) -> CK_RV {
        var buffer = pin + [0]
        defer { for i in buffer.indices { buffer[i] = 0 } }
        return buffer.withUnsafeMutableBufferPointer { p in
            module.call { $0.C_Login?(session, user, p.baseAddress, CK_ULONG(pin.count)) }
        }
    }

    /// Attributes weightseal does not act on would be silently dropped; RFC 7512 §3.3 has an unknown path attribute
    /// match nothing, so they are refused with their name.
    private static func checkUsable(_ uri: PKCS11URI) throws(WeightSealError) {
        if let v = uri.vendorPathAttributes.first {
            throw WeightSealError(.malformedKey, "PKCS #11 URI attribute \"\(v.name)\" is not one weightseal knows "
                + "(path attributes: token, manufacturer, serial, model, library-manufacturer, library-description, "
                + "library-version, slot-description, slot-manufacturer, slot-id, object, id, type)")
        }
        if let v = uri.vendorQueryAttributes.first {
            throw WeightSealError(.malformedKey, "PKCS #11 URI query attribute \"\(v.name)\" is not one weightseal knows "
                + "(query attributes: module-path, module-name, pin-value, pin-source)")
        }
        if let type = uri.type, type != .privateKey {
            throw WeightSealError(.malformedKey, "the PKCS #11 URI has type=\(type.rawValue); signing needs the private "
                + "key (type=private, or no type)")
        }
    }

    private struct PIN {
        var bytes: [UInt8]
        var source: String
    }

    private static func pin(for uri: PKCS11URI, environment: [String: String]) throws(WeightSealError) -> PIN? {
        if let value = uri.pinValue { return PIN(bytes: Array(value.utf8), source: "pin-value") }
        if let source = uri.pinSource {
            guard source.hasPrefix("file:") else {
                throw WeightSealError(.malformedKey, "pin-source must be a file: URI (pin-source=file:/path/to/pin); "
                    + "weightseal reads no other PIN source")
            }
            var path = String(source.dropFirst(5))
            if path.hasPrefix("//") {  // file://host/path: only an empty host or localhost is this machine (RFC 8089)
                let rest = path.dropFirst(2)
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                guard rest[..<slash].isEmpty || rest[..<slash] == "localhost" else {
                    throw WeightSealError(.malformedKey, "pin-source \(source) names another host")
                }
                path = String(rest[slash...])
            }
            guard !path.isEmpty else { throw WeightSealError(.malformedKey, "pin-source file: names no file") }
            var bytes = try AtomicFile.read(path, limit: Limits.maxPINFileBytes, what: "PIN file", allowPipe: true)
            if bytes.last == 0x0A { bytes.removeLast() }
            if bytes.last == 0x0D { bytes.removeLast() }
            return PIN(bytes: bytes, source: "pin-source \(path)")
        }
        if let value = environment[pinEnvironmentVariable], !value.isEmpty {
            return PIN(bytes: Array(value.utf8), source: pinEnvironmentVariable)
        }
        return nil
    }

    /// `module-path`, else `module-name` resolved as p11-kit does: `NAME.module` in p11-kit's configuration folders
    /// (its `module:` line, relative to the system's PKCS #11 module folder), else `NAME.so` in that folder.
    static func modulePath(for uri: PKCS11URI) throws(WeightSealError) -> String {
        if let path = uri.modulePath {
            guard path.contains("/") else {
                throw WeightSealError(.pkcs11, "module-path \(quoted(path)) is not a path; give the module's file "
                    + "(/usr/lib/…/module.so) or its module-name")
            }
            return path
        }
        guard let name = uri.moduleName else {
            throw WeightSealError(.pkcs11, "the PKCS #11 URI names no module: add ?module-path=/path/to/module.so "
                + "(or module-name=NAME)")
        }
        guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
            throw WeightSealError(.pkcs11, "module-name \(quoted(name)) is not a module name")
        }
        let moduleFolders = systemModuleFolders.filter { FileManager.default.fileExists(atPath: $0) }
        for config in ["/etc/pkcs11/modules", "/usr/share/p11-kit/modules"] {
            let file = config + "/" + name + ".module"
            guard FileManager.default.fileExists(atPath: file),
                  let bytes = try? AtomicFile.read(file, limit: 64 * 1024, what: "p11-kit module file") else { continue }
            for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "module" else { continue }
                let module = parts[1].trimmingCharacters(in: .whitespaces)
                if module.hasPrefix("/") { return module }
                for folder in moduleFolders where FileManager.default.fileExists(atPath: folder + "/" + module) {
                    return folder + "/" + module
                }
                throw WeightSealError(.pkcs11, "module-name \(name): \(file) names \(module), which is not in "
                    + "\(moduleFolders.isEmpty ? "any PKCS #11 module folder" : moduleFolders.joined(separator: " or "))")
            }
        }
        for folder in moduleFolders where FileManager.default.fileExists(atPath: folder + "/" + name + ".so") {
            return folder + "/" + name + ".so"
        }
        throw WeightSealError(.pkcs11, "module-name \(name): no \(name).module in /etc/pkcs11/modules or "
            + "/usr/share/p11-kit/modules and no \(name).so in \(systemModuleFolders.joined(separator: ", ")); "
            + "give module-path instead")
    }

    private static var systemModuleFolders: [String] {
        #if arch(x86_64)
        let triple = "x86_64-linux-gnu"
        #elseif arch(arm64)
        let triple = "aarch64-linux-gnu"
        #else
        let triple = "unknown"
        #endif
        return ["/usr/lib/\(triple)/pkcs11", "/usr/lib64/pkcs11", "/usr/lib/pkcs11", "/usr/local/lib/pkcs11"]
    }

    /// What the URI asks for, for messages: `object="sealkey" id=%01`, or `any label and id`.
    private static func selection(_ uri: PKCS11URI) -> String {
        var parts: [String] = []
        if let object = uri.object { parts.append("object=\(quoted(object))") }
        if let id = uri.id { parts.append("id=\(percentEncoded(id))") }
        return parts.isEmpty ? "(any label and id)" : parts.joined(separator: " ")
    }
}

// MARK: - Token search

/// Finds the one initialised token that matches the URI's library, slot and token attributes.
private struct TokenSearch {
    struct Found {
        var slot: CK_SLOT_ID
        var label: String
        var flags: CK_FLAGS
    }

    let module: PKCS11Module
    let uri: PKCS11URI

    func find() throws(WeightSealError) -> Found {
        try checkLibrary()
        let slots = try slotList()
        var matches: [Found] = []
        var seen: [String] = []
        var emptySlots: [CK_SLOT_ID] = []
        for slot in slots {
            if let wanted = uri.slotID, wanted != slot { continue }
            var slotInfo = CK_SLOT_INFO()
            var rv = module.call { $0.C_GetSlotInfo?(slot, &slotInfo) }
            guard rv == CKR_OK else { continue }
            if let d = uri.slotDescription, d != field(&slotInfo.slotDescription) { continue }
            if let m = uri.slotManufacturer, m != field(&slotInfo.manufacturerID) { continue }
            guard slotInfo.flags & CKF_TOKEN_PRESENT != 0 else { emptySlots.append(slot); continue }
            var info = CK_TOKEN_INFO()
            rv = module.call { $0.C_GetTokenInfo?(slot, &info) }
            if rv == CKR_TOKEN_NOT_PRESENT { emptySlots.append(slot); continue }
            guard rv == CKR_OK else {
                throw WeightSealError(.pkcs11, "\(module.path): C_GetTokenInfo for slot \(slot) failed: \(pkcs11Name(rv))")
            }
            guard info.flags & CKF_TOKEN_INITIALIZED != 0 else { continue }
            let label = field(&info.label)
            let serial = field(&info.serialNumber)
            seen.append("\(quoted(label)) (slot-id=\(slot), serial=\(serial))")
            if let t = uri.token, t != label { continue }
            if let m = uri.manufacturer, m != field(&info.manufacturerID) { continue }
            if let m = uri.model, m != field(&info.model) { continue }
            if let s = uri.serial, s != serial { continue }
            matches.append(Found(slot: slot, label: label, flags: info.flags))
        }
        let wanted = criteria
        guard !matches.isEmpty else {
            if let slot = uri.slotID, emptySlots.contains(slot) {
                throw WeightSealError(.pkcs11, "slot \(slot) of \(module.path) has no token (CKR_TOKEN_NOT_PRESENT)")
            }
            let present = seen.isEmpty ? "it has no initialised token" : "its tokens: " + seen.joined(separator: ", ")
            throw WeightSealError(.pkcs11, "no token of \(module.path) matches \(wanted) (CKR_TOKEN_NOT_PRESENT); \(present)")
        }
        guard matches.count == 1 else {
            throw WeightSealError(.pkcs11, "\(matches.count) tokens of \(module.path) match \(wanted): "
                + "\(matches.map { "\(quoted($0.label)) (slot-id=\($0.slot))" }.joined(separator: ", ")); "
                + "add token=, serial= or slot-id= to the URI")
        }
        return matches[0]
    }

    private var criteria: String {
        var parts: [String] = []
        if let v = uri.token { parts.append("token=\(quoted(v))") }
        if let v = uri.manufacturer { parts.append("manufacturer=\(quoted(v))") }
        if let v = uri.model { parts.append("model=\(quoted(v))") }
        if let v = uri.serial { parts.append("serial=\(quoted(v))") }
        if let v = uri.slotID { parts.append("slot-id=\(v)") }
        if let v = uri.slotDescription { parts.append("slot-description=\(quoted(v))") }
        if let v = uri.slotManufacturer { parts.append("slot-manufacturer=\(quoted(v))") }
        return parts.isEmpty ? "(any token)" : parts.joined(separator: " ")
    }

    private func checkLibrary() throws(WeightSealError) {
        guard uri.libraryManufacturer != nil || uri.libraryDescription != nil || uri.libraryVersion != nil else { return }
        var info = CK_INFO()
        let rv = module.call { $0.C_GetInfo?(&info) }
        guard rv == CKR_OK else { throw WeightSealError(.pkcs11, "\(module.path): C_GetInfo failed: \(pkcs11Name(rv))") }
        let manufacturer = field(&info.manufacturerID)
        let description = field(&info.libraryDescription)
        let version = PKCS11URI.Version(major: info.libraryVersion.major, minor: info.libraryVersion.minor)
        if let m = uri.libraryManufacturer, m != manufacturer {
            throw WeightSealError(.pkcs11, "\(module.path) is made by \(quoted(manufacturer)), not library-manufacturer=\(quoted(m))")
        }
        if let d = uri.libraryDescription, d != description {
            throw WeightSealError(.pkcs11, "\(module.path) is \(quoted(description)), not library-description=\(quoted(d))")
        }
        if let v = uri.libraryVersion, v != version {
            throw WeightSealError(.pkcs11, "\(module.path) is version \(version.major).\(version.minor), not library-version=\(v.major).\(v.minor)")
        }
    }

    private func slotList() throws(WeightSealError) -> [CK_SLOT_ID] {
        for _ in 0..<3 {  // the list can grow between the two calls (a token inserted)
            var count: CK_ULONG = 0
            var rv = module.call { $0.C_GetSlotList?(0, nil, &count) }
            guard rv == CKR_OK else {
                throw WeightSealError(.pkcs11, "\(module.path): C_GetSlotList failed: \(pkcs11Name(rv))")
            }
            guard count <= 4096 else { throw WeightSealError(.pkcs11, "\(module.path) reports \(count) slots") }
            var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
            rv = slots.withUnsafeMutableBufferPointer { p in module.call { $0.C_GetSlotList?(0, p.baseAddress, &count) } }
            if rv == CKR_BUFFER_TOO_SMALL { continue }
            guard rv == CKR_OK else {
                throw WeightSealError(.pkcs11, "\(module.path): C_GetSlotList failed: \(pkcs11Name(rv))")
            }
            return Array(slots.prefix(Int(min(count, CK_ULONG(slots.count)))))
        }
        throw WeightSealError(.pkcs11, "\(module.path): the slot list kept changing")
    }
}

// MARK: - Objects

/// Finds objects and reads their attributes in one session.
private struct ObjectReader {
    let module: PKCS11Module
    let session: CK_SESSION_HANDLE
    /// Labels, ids, EC parameters and points are small; a larger answer is a broken module.
    static let maxAttributeBytes = 64 * 1024
    static let maxMatches = 16

    /// The handles of the objects matching `template` (at most ``maxMatches``: enough to tell one from several).
    func find(_ template: [(CK_ATTRIBUTE_TYPE, [UInt8])]) throws(WeightSealError) -> [CK_OBJECT_HANDLE] {
        let storage = template.map { $0.1.isEmpty ? [0] : $0.1 }  // a non-null pointer even for empty values
        var handles = [CK_OBJECT_HANDLE](repeating: CK_INVALID_HANDLE, count: Self.maxMatches)
        var found: CK_ULONG = 0
        let (initRV, findRV) = withAttributes(template.map(\.0), storage, lengths: template.map { $0.1.count }) { attributes in
            let initRV = module.call { $0.C_FindObjectsInit?(session, attributes.baseAddress, CK_ULONG(attributes.count)) }
            guard initRV == CKR_OK else { return (initRV, CKR_OK) }
            let findRV = handles.withUnsafeMutableBufferPointer { h in
                module.call { $0.C_FindObjects?(session, h.baseAddress, CK_ULONG(h.count), &found) }
            }
            _ = module.call { $0.C_FindObjectsFinal?(session) }
            return (initRV, findRV)
        }
        guard initRV == CKR_OK, findRV == CKR_OK else {
            throw WeightSealError(.pkcs11, "searching the token failed: \(pkcs11Name(initRV == CKR_OK ? findRV : initRV))")
        }
        return Array(handles.prefix(Int(min(found, CK_ULONG(Self.maxMatches)))))
    }

    /// The value of attribute `type`, or nil when the object has none (invalid type, sensitive, unavailable).
    func bytes(_ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) throws(WeightSealError) -> [UInt8]? {
        var attribute = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        var rv = module.call { $0.C_GetAttributeValue?(session, object, &attribute, 1) }
        if rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE || attribute.ulValueLen == CK_ULONG.max {
            return nil
        }
        guard rv == CKR_OK else {
            throw WeightSealError(.pkcs11, "reading attribute 0x\(String(type, radix: 16)) failed: \(pkcs11Name(rv))")
        }
        guard attribute.ulValueLen <= CK_ULONG(Self.maxAttributeBytes) else {
            throw WeightSealError(.pkcs11, "attribute 0x\(String(type, radix: 16)) is \(attribute.ulValueLen) bytes long")
        }
        var value = [UInt8](repeating: 0, count: max(Int(attribute.ulValueLen), 1))
        rv = value.withUnsafeMutableBytes { p in
            attribute.pValue = p.baseAddress
            return module.call { $0.C_GetAttributeValue?(session, object, &attribute, 1) }
        }
        guard rv == CKR_OK else {
            throw WeightSealError(.pkcs11, "reading attribute 0x\(String(type, radix: 16)) failed: \(pkcs11Name(rv))")
        }
        return Array(value.prefix(Int(min(attribute.ulValueLen, CK_ULONG(value.count)))))
    }

    /// A CK_ULONG attribute (CKA_KEY_TYPE, CKA_CLASS).
    func ulong(_ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) throws(WeightSealError) -> CK_ULONG? {
        guard let b = try bytes(object, type), b.count == MemoryLayout<CK_ULONG>.size else { return nil }
        return b.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) }
    }

    /// Builds a CK_ATTRIBUTE template whose values point into `storage` for the duration of `body`.
    private func withAttributes<R>(_ types: [CK_ATTRIBUTE_TYPE], _ storage: [[UInt8]], lengths: [Int],
                                   _ body: (UnsafeMutableBufferPointer<CK_ATTRIBUTE>) -> R) -> R {
        let buffers = storage.map { bytes -> UnsafeMutableRawBufferPointer in
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            b.copyBytes(from: bytes)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        var attributes = zip(types, zip(buffers, lengths)).map { type, value in
            CK_ATTRIBUTE(type: type, pValue: value.0.baseAddress, ulValueLen: CK_ULONG(value.1))
        }
        return attributes.withUnsafeMutableBufferPointer { body($0) }
    }
}

// MARK: - EC keys

/// DER of the named-curve OIDs in CKA_EC_PARAMS (an `ECParameters` CHOICE, RFC 5480 §2.1.1).
private let p256Parameters: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]  // 1.2.840.10045.3.1.7
private let p384Parameters: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]  // 1.3.132.0.34
private let p521Parameters: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23]  // 1.3.132.0.35

/// The public key from CKA_EC_PARAMS and CKA_EC_POINT: the point is a DER OCTET STRING holding the uncompressed
/// point `04‖X‖Y` (PKCS #11 v2.40 §2.3.3); some modules give the bare point, which is accepted too.
func ecPublicKey(params: [UInt8], point: [UInt8], name: String) throws(WeightSealError) -> PublicKey {
    let size: Int
    switch params {
    case p256Parameters: size = 32
    case p384Parameters: size = 48
    case p521Parameters:
        throw WeightSealError(.unsupportedAlgorithm, "\(name) is on P-521; weightseal signs with P-256 or P-384")
    default:
        throw WeightSealError(.unsupportedAlgorithm, "\(name) is on a curve other than P-256 or P-384 "
            + "(CKA_EC_PARAMS \(params.prefix(32).hexString))")
    }
    let pointLength = 1 + 2 * size
    var uncompressed = point
    if point.count == pointLength + 2, point[0] == 0x04, point[1] == UInt8(pointLength) {
        uncompressed = Array(point[2...])
    }
    guard uncompressed.count == pointLength, uncompressed[0] == 0x04 else {
        throw WeightSealError(.malformedKey, "\(name) has a CKA_EC_POINT that is not an uncompressed \(size * 8)-bit point")
    }
    do {
        if size == 32 {
            return PublicKey(backing: .p256(try P256.Signing.PublicKey(x963Representation: uncompressed)))
        }
        return PublicKey(backing: .p384(try P384.Signing.PublicKey(x963Representation: uncompressed)))
    } catch {
        throw WeightSealError(.malformedKey, "\(name) has a CKA_EC_POINT that is not on its curve")
    }
}

/// A blank- or NUL-padded fixed-size field of a CK_*_INFO structure, as text.
private func field<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in
        var bytes = Array(raw)
        while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private func ulongBytes(_ value: CK_ULONG) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
}

private func quoted(_ s: String) -> String { "\"" + s + "\"" }

private func percentEncoded(_ bytes: [UInt8]) -> String {
    bytes.map { "%" + [$0].hexString }.joined()
}
