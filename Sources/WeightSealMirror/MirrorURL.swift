#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1
import WeightSeal

/// Builds file URLs and reads the evidence in response heads.
enum MirrorURL {
    /// Checks a base URL: `http://` or `https://`, a host, no query or fragment; returns it without trailing `/`.
    static func base(_ url: String) throws(WeightSealError) -> String {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw WeightSealError(.invalidArgument, "mirror URL \(display(url)) must start with http:// or https://")
        }
        guard !url.contains("?"), !url.contains("#"), !url.contains(where: { $0 == " " || $0.isNewline }) else {
            throw WeightSealError(.invalidArgument, "mirror URL \(display(url)) must not have a query, fragment or spaces")
        }
        let afterScheme = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard afterScheme.count >= 3, !afterScheme[2].isEmpty else {
            throw WeightSealError(.invalidArgument, "mirror URL \(display(url)) has no host")
        }
        if let problem = HTTPURL.problem(with: url) { throw WeightSealError(.invalidArgument, "mirror URL \(display(url)) \(problem)") }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Splits the user information off `url`: the URL without it, and the `Authorization: Basic` value it stands for
    /// (RFC 7617; user and password percent-decoded), if any.
    static func credentials(_ url: String) -> (url: String, authorization: String?) {
        guard let p = HTTPURL.authorityParts(url), let at = p.at else { return (url, nil) }
        let stripped = String(url[..<p.start]) + String(url[url.index(after: at)...])
        return (stripped, "Basic " + Data(percentDecoded(url[p.start..<at])).base64EncodedString())
    }

    /// The bytes of `text` with `%XX` escapes decoded; a `%` not followed by two hex digits is kept.
    static func percentDecoded(_ text: some StringProtocol) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let b = [UInt8](hexString: String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self)) {
                out += b
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// `text` with every UTF-8 byte that `keep` rejects written as `%XX` (upper-case hex, RFC 3986 §2.1).
    static func percentEncoded(_ text: some StringProtocol, keeping keep: (UInt8) -> Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keep(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + [byte].hexString.uppercased()
            }
        }
        return out
    }

    /// Scheme, host and port of `url`, lower-cased, for same-origin checks (RFC 6454).
    static func origin(_ url: String) -> String? {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), let host = u.host?.lowercased() else { return nil }
        return "\(scheme)://\(host):\(u.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// The absolute URL a redirect's `Location` points to, resolved against the URL that answered (RFC 9110 §10.2.2).
    /// Bytes a URL may not hold (non-ASCII, spaces, controls) are percent-encoded first; existing escapes are kept.
    /// - Throws: ``RedirectProblem/unusableLocation(_:_:)`` for a `Location` that is not a usable http(s) URL.
    static func redirectTarget(_ location: String, from current: String) throws(RedirectProblem) -> String {
        let loc = location.trimmed
        guard !loc.isEmpty else { throw .unusableLocation("", "is empty") }
        let escaped = percentEncoded(loc) { $0 > 0x20 && $0 < 0x7F }
        guard escaped.utf8.count <= 8192, let base = URL(string: current),
              let target = URL(string: escaped, relativeTo: base)?.absoluteURL else {
            throw .unusableLocation(String(loc.prefix(300)), "is not a valid URL")
        }
        let absolute = target.absoluteString
        if let problem = HTTPURL.problem(with: absolute) { throw .unusableLocation(String(loc.prefix(300)), problem) }
        return absolute
    }

    /// `url` with its user information (a password, or a token in the user name) replaced by `***`, for reports.
    static func display(_ url: String) -> String {
        guard let p = HTTPURL.authorityParts(url), let at = p.at else { return url }
        return String(url[..<p.start]) + "***" + String(url[at...])
    }

    /// The URL of `path` on a mirror with this base and layout; every path segment is percent-encoded.
    static func file(base: String, path: String, layout: MirrorLayout) -> String {
        let encodedPath = encodeSegments(path)
        switch layout {
        case .plain:
            return base + "/" + encodedPath
        case .huggingFace(let repo, let revision):
            return base + "/" + encodeSegments(repo) + "/resolve/" + encodeSegment(revision) + "/" + encodedPath
        }
    }

    static func encodeSegments(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encodeSegment(String($0)) }.joined(separator: "/")
    }

    /// RFC 3986 §2.3 unreserved characters stay; every other UTF-8 byte becomes `%XX`.
    static func encodeSegment(_ segment: String) -> String {
        percentEncoded(segment) { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                true
            default:
                false
            }
        }
    }

    /// Reads the evidence: Hub headers from the first response that has them (the Hub sets them on its `302`),
    /// `Content-Length`, `Content-Range` and `ETag` from the final one.
    static func evidence(heads: [HTTPHeaders], finalStatus: Int, finalURL: String?, requestedURL: String) -> MirrorEvidence {
        var e = MirrorEvidence()
        e.status = finalStatus
        e.redirects = max(0, heads.count - 1)
        if let finalURL, finalURL != requestedURL { e.finalURL = display(finalURL) }
        for h in heads {
            if e.linkedSize == nil, let v = h.first(name: "X-Linked-Size") { e.linkedSize = UInt64(v.trimmed) }
            if e.linkedEtag == nil, let v = h.first(name: "X-Linked-Etag") { e.linkedEtag = stripETag(v) }
            if e.repoCommit == nil, let v = h.first(name: "X-Repo-Commit") { e.repoCommit = String(v.trimmed.prefix(128)) }
        }
        if let last = heads.last {
            if let v = last.first(name: "Content-Length") { e.contentLength = UInt64(v.trimmed) }
            if let v = last.first(name: "ETag") { e.etag = stripETag(v) }
            if let v = last.first(name: "Content-Encoding"), v.trimmed.lowercased() != "identity", !v.trimmed.isEmpty {
                e.contentEncoding = String(v.trimmed.prefix(64))
            }
            if finalStatus == 206 || finalStatus == 200, let v = last.first(name: "Content-Range") { e.contentRangeTotal = contentRange(v)?.total }
        }
        return e
    }

    /// `W/"abc"` → `abc`, bounded to 256 characters.
    static func stripETag(_ value: String) -> String {
        var v = value.trimmed
        if v.hasPrefix("W/") { v.removeFirst(2) }
        if v.hasPrefix("\"") { v.removeFirst() }
        if v.hasSuffix("\"") { v.removeLast() }
        return String(v.prefix(256))
    }

    /// Parses `bytes FIRST-LAST/TOTAL` (RFC 9110 §14.4); `TOTAL` may be `*`; `bytes */TOTAL` (a 416 answer) gives no range.
    static func contentRange(_ value: String) -> (first: UInt64?, last: UInt64?, total: UInt64?)? {
        let v = value.trimmed
        guard v.lowercased().hasPrefix("bytes ") else { return nil }
        let rest = v.dropFirst(6).trimmingPrefixSpaces
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let total = parts[1] == "*" ? nil : UInt64(parts[1])
        if parts[0] == "*" { return (nil, nil, total) }
        let range = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard range.count == 2, let first = UInt64(range[0]), let last = UInt64(range[1]), first <= last else { return nil }
        return (first, last, total)
    }

    /// A 64-hex-digit value as bytes (an advertised SHA-256), else `nil`.
    static func sha256Hex(_ value: String?) -> [UInt8]? {
        guard let value, value.utf8.count == 64 else { return nil }
        return [UInt8](hexString: value.lowercased())
    }

    /// A 40-hex-digit value as bytes (a git blob SHA-1 in the Hub's `ETag` for non-LFS files), else `nil`.
    static func sha1Hex(_ value: String?) -> [UInt8]? {
        guard let value, value.utf8.count == 40 else { return nil }
        return [UInt8](hexString: value.lowercased())
    }
}

extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
    var trimmingPrefixSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        return s
    }
}

