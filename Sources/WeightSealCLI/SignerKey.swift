import WeightSeal

/// What `sign --key` names: a PEM private key file, or a PKCS #11 URI (`pkcs11:…`, RFC 7512) of a key in a token.
func loadSigner(key: String) throws(WeightSealError) -> any MessageSigner {
    if PKCS11URI.isURI(key) { return try PKCS11Key.open(uri: key) }
    return try SigningKey.load(file: key)
}

/// The input files `--key` names for the output checks: none for a URI.
func keyFiles(_ key: String) -> [(option: String, path: String)] {
    PKCS11URI.isURI(key) ? [] : [("--key", key)]
}

/// `--key` as shown in messages: a URI without its `pin-value`.
func keyDisplayName(_ key: String) -> String {
    guard PKCS11URI.isURI(key) else { return key }
    return (try? PKCS11URI(parsing: key))?.description ?? "the PKCS #11 key"
}
