import Foundation

/// Decodes a `Decodable` value from a ``StrictJSON`` tree.
///
/// A signed document is read once, by the strict reader (duplicates refused after unescaping, values counted), and
/// decoded from that reading: a second reader over the bytes would cost a second parse and the memory of a second
/// copy of every string (a 200,000-file Statement is about 45 MB). The rules are those of `JSONDecoder`'s defaults:
/// unknown members ignored, `decodeIfPresent` reads a missing member or `null` as `nil`, integers must be exact,
/// `Data` is base64, and errors are `DecodingError`s with the coding path.
enum StrictJSONDecoder {
    /// - Throws: `DecodingError` naming the coding path of the value that does not fit.
    static func decode<T: Decodable>(_ type: T.Type, from json: StrictJSON) throws -> T {
        try TreeDecoder(value: json, codingPath: []).decodeValue(T.self)
    }

    /// Decodes a value found at `path` of a larger document (an element handed over while streaming), so that errors
    /// name it as a decoding of the whole document would.
    /// - Throws: as ``decode(_:from:)``.
    static func decode<T: Decodable>(_ type: T.Type, from json: StrictJSON, at path: [Step]) throws -> T {
        try TreeDecoder(value: json, codingPath: path.map { step -> any CodingKey in
            switch step {
            case .member(let name): return NameKey(stringValue: name)
            case .index(let i): return IndexKey(i)
            }
        }).decodeValue(T.self)
    }

    /// A step of a path into a document.
    enum Step {
        case member(String)
        case index(Int)
    }
}

private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension Decoder {
    /// The tree value this decoder reads when it is the ``StrictJSONDecoder``'s: types read by the hundred thousand
    /// (manifest file entries) take it for a direct reading, and fall back to their `Codable` code for any value
    /// that reading does not accept, so that errors stay those of the generic path.
    var strictJSONValue: StrictJSON? { (self as? TreeDecoder)?.value }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct TreeDecoder: Decoder {
    let value: StrictJSON
    /// The path of the enclosing container, and this value's key in it: the full path is made only when asked for
    /// (a nested container, an error), not once per element of a 200,000-element array.
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?

    init(value: StrictJSON, codingPath: [any CodingKey]) {
        self.value = value
        parentPath = codingPath
        key = nil
    }

    init(value: StrictJSON, parentPath: [any CodingKey], key: any CodingKey) {
        self.value = value
        self.parentPath = parentPath
        self.key = key
    }

    var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: StrictJSON].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([StrictJSON].self, value, codingPath) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(value: value, codingPath: codingPath) }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Data.self {
            let text = try SingleValue(value: value, codingPath: codingPath).decode(String.self)
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Encountered Data is not valid Base64."))
            }
            return data as! T
        }
        if T.self == URL.self {
            let text = try SingleValue(value: value, codingPath: codingPath).decode(String.self)
            guard let url = URL(string: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Invalid URL string."))
            }
            return url as! T
        }
        return try T(from: self)
    }
}

private func mismatch(_ type: Any.Type, _ value: StrictJSON, _ path: [any CodingKey]) -> DecodingError {
    if case .null = value {
        return .valueNotFound(type, .init(codingPath: path, debugDescription: "Cannot get value of type \(type) -- found null value instead"))
    }
    return .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(value.typeNameWithArticle) instead."))
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(String, StrictJSON)]
    let codingPath: [any CodingKey]
    /// Member positions by name for large objects (maps decoded as dictionaries); small ones are scanned.
    private let index: [String: Int]?

    init(members: [(String, StrictJSON)], codingPath: [any CodingKey]) {
        self.members = members
        self.codingPath = codingPath
        index = members.count > 16
            ? Dictionary(members.enumerated().map { ($0.element.0, $0.offset) }, uniquingKeysWith: { first, _ in first }) : nil
    }

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.0) } }

    private func lookup(_ key: Key) -> StrictJSON? {
        if let index { return index[key.stringValue].map { members[$0].1 } }
        return members.first(where: { $0.0 == key.stringValue })?.1
    }

    private func value(_ key: Key) throws -> StrictJSON {
        guard let v = lookup(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return v
    }

    private func decoder(_ key: Key) throws -> TreeDecoder {
        TreeDecoder(value: try value(key), parentPath: codingPath, key: key)
    }

    func contains(_ key: Key) -> Bool { lookup(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder(key).decodeValue(T.self) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = lookup(key) else { return nil }
        if case .null = v { return nil }
        return try TreeDecoder(value: v, parentPath: codingPath, key: key).decodeValue(T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try decoder(key).unkeyedContainer() }

    func superDecoder() throws -> any Decoder {
        TreeDecoder(value: Key(stringValue: "super").flatMap(lookup) ?? .null, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(value: lookup(key) ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [StrictJSON]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [StrictJSON], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next(_ type: Any.Type) throws -> TreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(currentIndex)],
                                                          debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return TreeDecoder(value: elements[currentIndex], parentPath: codingPath, key: IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw DecodingError.valueNotFound(Never.self, .init(codingPath: codingPath, debugDescription: "Unkeyed container is at end.")) }
        if case .null = elements[currentIndex] {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(T.self).decodeValue(T.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next([String: StrictJSON].self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([StrictJSON].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(StrictJSON.self) }
}

private struct SingleValue: SingleValueDecodingContainer {
    let value: StrictJSON
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(type, value, codingPath) }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch(type, value, codingPath) }
        return s
    }

    private func number(_ type: Any.Type) throws -> String {
        guard case .number(let text) = value else { throw mismatch(type, value, codingPath) }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        let text = try number(type)
        guard let d = Double(text), d.isFinite else { throw notRepresentable(text, type) }
        return d
    }

    func decode(_ type: Float.Type) throws -> Float {
        let text = try number(type)
        guard let f = Float(text), f.isFinite else { throw notRepresentable(text, type) }
        return f
    }

    /// An integer is exact: `7`, or a number text whose value is that integer (`7.0`, `7e0`), as JSONDecoder reads.
    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let text = try number(type)
        if let i = I(text, radix: 10) { return i }
        if let d = Double(text), d.isFinite, let i = I(exactly: d) { return i }
        throw notRepresentable(text, type)
    }

    private func notRepresentable(_ text: String, _ type: Any.Type) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath, debugDescription: "Number \(text.prefix(40)) is not representable in Swift \(type)."))
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try TreeDecoder(value: value, codingPath: codingPath).decodeValue(T.self)
    }
}
