import Foundation
import Testing
@testable import WeightSeal

/// The signed documents are decoded from the strict reader's tree: the same values and the same kind of errors as
/// JSONDecoder gives for the same bytes, without a second reading.
@Suite("StrictJSONDecoder: Codable types decoded from the strict reader's tree")
struct StrictJSONDecoderTests {
    struct Sample: Codable, Equatable {
        var name: String
        var size: UInt64
        var ratio: Double
        var flag: Bool
        var tags: [String]
        var digest: [String: String]
        var note: String?
        var blob: Data
        var small: Int8?
    }

    static let json = #"""
    {"name":"w\u00e9ights","size":18446744073709551615,"ratio":0.5,"flag":true,"tags":["a","b"],
     "digest":{"sha256":"ab","blake3":"cd"},"note":null,"blob":"AAEC","extra":{"ignored":[1,2,3]}}
    """#

    func tree(_ text: String) throws -> StrictJSON { try StrictJSON.parse(Array(text.utf8)) }

    @Test("values equal JSONDecoder's for the same bytes, unknown members ignored, null optional as nil")
    func sameValuesAsJSONDecoder() throws {
        let ours = try StrictJSONDecoder.decode(Sample.self, from: tree(Self.json))
        let theirs = try JSONDecoder().decode(Sample.self, from: Data(Self.json.utf8))
        #expect(ours == theirs)
        #expect(ours.name == "wéights")
        #expect(ours.size == UInt64.max)
        #expect(ours.blob == Data([0, 1, 2]))
        #expect(ours.note == nil && ours.small == nil)
        #expect(ours.digest == ["sha256": "ab", "blake3": "cd"])
    }

    /// The coding path of the failing value, as `describe` prints it in messages.
    func failure<T: Decodable>(_ type: T.Type, _ text: String) throws -> DecodingError? {
        do {
            _ = try StrictJSONDecoder.decode(T.self, from: tree(text))
            return nil
        } catch let e as DecodingError {
            return e
        }
    }

    func path(_ e: DecodingError?) -> String {
        switch e {
        case .keyNotFound(let k, let c)?: return "missing " + (c.codingPath + [k]).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        case .typeMismatch(_, let c)?: return "type " + c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        case .valueNotFound(_, let c)?: return "null " + c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        case .dataCorrupted(let c)?: return "corrupt " + c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        default: return "none"
        }
    }

    @Test("errors name the coding path and kind: missing member, wrong type, null, inexact or out-of-range integer, bad base64")
    func errorsNameThePath() throws {
        let base = try #require(try tree(Self.json).objectMembers)
        func with(_ key: String, _ value: String?) throws -> String {
            var parts = [String]()
            for (k, _) in base where k != key { parts.append("\"\(k)\":\(k == "blob" ? "\"AAEC\"" : k == "digest" ? "{}" : k == "tags" ? "[]" : k == "name" ? "\"n\"" : k == "flag" ? "true" : k == "extra" ? "0" : k == "note" ? "null" : "1")") }
            if let value { parts.append("\"\(key)\":\(value)") }
            return "{" + parts.joined(separator: ",") + "}"
        }
        #expect(path(try failure(Sample.self, with("size", nil))) == "missing .size")
        #expect(path(try failure(Sample.self, with("size", "\"7\""))) == "type .size")
        #expect(path(try failure(Sample.self, with("size", "null"))) == "null .size")
        #expect(path(try failure(Sample.self, with("size", "1.5"))) == "corrupt .size")
        #expect(path(try failure(Sample.self, with("size", "-1"))) == "corrupt .size")
        #expect(path(try failure(Sample.self, with("size", "18446744073709551616"))) == "corrupt .size")
        #expect(path(try failure(Sample.self, with("small", "128"))) == "corrupt .small")
        #expect(path(try failure(Sample.self, with("tags", "[\"a\",2]"))) == "type .tags[1]")
        #expect(path(try failure(Sample.self, with("digest", "{\"sha256\":1}"))) == "type .digest.sha256")
        #expect(path(try failure(Sample.self, with("blob", "\"@@\""))) == "corrupt .blob")
        #expect(path(try failure(Sample.self, "[]")) == "type ")
        // Exact integers in another spelling are the integer, as JSONDecoder reads them.
        #expect(try StrictJSONDecoder.decode([UInt64].self, from: tree("[7.0, 7e0, 70e-1]")) == [7, 7, 7])
    }

    @Test("a large object (a map) is read through its index: every member, the first of none repeated")
    func largeObjects() throws {
        let members = (0..<500).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let map = try StrictJSONDecoder.decode([String: Int].self, from: tree("{" + members + "}"))
        #expect(map.count == 500)
        #expect(map["k0"] == 0 && map["k499"] == 499)
    }

    @Test("streamed arrays: elements handed over in order and equal to the tree's, left out of it; rules still apply")
    func streamedArrays() throws {
        let text = #"{"subject":[{"n":1},{"n":2}],"predicate":{"files":[[1],{"a":"x"},3],"other":[4]},"x":{"subject":[5]}}"#
        var handed = [(Int, Int, StrictJSON)]()
        let streamed = try StrictJSON.parse(Array(text.utf8), streaming: [["subject"], ["predicate", "files"]]) {
            handed.append(($0, $1, $2))
        }
        let whole = try tree(text)
        #expect(handed.map(\.0) == [0, 0, 1, 1, 1])
        #expect(handed.map(\.1) == [0, 1, 0, 1, 2])
        guard case .object(let top) = whole, case .array(let subjects)? = top.first(where: { $0.0 == "subject" })?.1,
              case .object(let predicate)? = top.first(where: { $0.0 == "predicate" })?.1,
              case .array(let files)? = predicate.first(where: { $0.0 == "files" })?.1 else {
            Issue.record("unexpected tree \(whole)")
            return
        }
        #expect(handed.map(\.2) == subjects + files)
        // Only the named arrays are left out: a `subject` deeper down and `predicate.other` stay.
        let expected = try tree(#"{"subject":[],"predicate":{"files":[],"other":[4]},"x":{"subject":[5]}}"#)
        #expect(streamed == expected)

        // A duplicate inside a streamed element and the value cap are refused as without streaming.
        let duplicate = Array(#"{"subject":[{"n":1,"n":2}]}"#.utf8)
        #expect(throws: FormatError.self) { try StrictJSON.parse(duplicate, streaming: [["subject"]]) { _, _, _ in } }
        let many = Array(("{\"subject\":[" + Array(repeating: "0", count: 100).joined(separator: ",") + "]}").utf8)
        #expect(throws: FormatError.self) { try StrictJSON.parse(many, maxValues: 50, streaming: [["subject"]]) { _, _, _ in } }
    }

    @Test("an element decoded on its own names its place in the whole document")
    func elementPaths() throws {
        struct Entry: Decodable { var size: UInt64 }
        let element = try tree(#"{"size":"6"}"#)
        do {
            _ = try StrictJSONDecoder.decode(Entry.self, from: element, at: [.member("predicate"), .member("files"), .index(3)])
            Issue.record("a string size was read")
        } catch {
            #expect(describe(error).contains("predicate.files[3].size"), "\(describe(error))")
        }
    }

    @Test("strings: a quote, backslash, control or non-ASCII byte at any place in a word is seen; values as JSONSerialization's")
    func stringScan() throws {
        // Every special byte at every offset of the first three words, in strings of many lengths.
        let specials: [(insert: String, decoded: String?)] = [
            (#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), (#"\u00e9"#, "\u{E9}"), ("\u{E9}", "\u{E9}"), ("\u{1F600}", "\u{1F600}"),
            ("\u{1}", nil), ("\u{1F}", nil), ("\"", nil),
        ]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 24, 31] {
            let plain = String(repeating: "a", count: length)
            #expect(try tree("\"\(plain)\"") == .string(plain))
            for offset in 0...min(length, 23) {
                for (insert, decoded) in specials {
                    let body = String(plain.prefix(offset)) + insert + String(plain.dropFirst(offset))
                    let bytes = Array("[\"\(body)\"]".utf8)
                    if let decoded {
                        let expected = String(plain.prefix(offset)) + decoded + String(plain.dropFirst(offset))
                        #expect(try StrictJSON.parse(bytes) == .array([.string(expected)]), "\(body)")
                        let oracle = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String]
                        #expect(oracle == [expected])
                    } else {
                        #expect(throws: FormatError.self, "\(body)") { try StrictJSON.parse(bytes) }
                    }
                }
            }
        }
        // Invalid UTF-8 in a run of ASCII words is refused wherever it is.
        for offset in [0, 5, 8, 13, 16] {
            var bytes = Array("\"".utf8) + Array(repeating: UInt8(ascii: "b"), count: 20) + Array("\"".utf8)
            bytes[1 + offset] = 0xFF
            #expect(throws: FormatError.self) { try StrictJSON.parse(bytes) }
        }
        // A string that ends the input without its quote.
        #expect(throws: FormatError.self) { try StrictJSON.parse(Array("\"abcdefghijklmnop".utf8)) }
    }
}
