#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks of an `http://` or `https://` URL before any HTTP client sees it (RFC 3986 §3).
public enum HTTPURL {
    /// Why an HTTP client cannot be given `url`, or `nil` when it can: not http(s), no host, or a port outside
    /// 1–65535 (NIO traps on one).
    public static func problem(with url: String) -> String? {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased() else { return "is not a valid URL" }
        guard scheme == "http" || scheme == "https" else { return "is not http or https" }
        guard let host = u.host, !host.isEmpty else { return "has no host" }
        // The port as written: URL drops one too long to parse, and the client would then use the default port.
        if let port = portText(url) {
            guard !port.isEmpty else { return nil }
            guard port.utf8.count <= 5, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(port),
                  (1...65535).contains(n) else { return "has port \(port.prefix(30)), outside 1-65535" }
        }
        return nil
    }

    /// Where the authority of `scheme://userinfo@host:port/path` sits in `url`: just after `://`, the `@` ending
    /// the user information if any, and the end (the first `/`, `?` or `#`).
    public static func authorityParts(_ url: String) -> (start: String.Index, at: String.Index?, end: String.Index)? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return (schemeEnd.upperBound, rest[..<end].lastIndex(of: "@"), end)
    }

    /// The authority of `url` (between `://` and the path), without user information.
    public static func authority(_ url: String) -> Substring? {
        guard let p = authorityParts(url) else { return nil }
        return url[(p.at.map { url.index(after: $0) } ?? p.start)..<p.end]
    }

    /// The text after the host's `:`, if the authority has one (`[v6]:port` handled).
    public static func portText(_ url: String) -> Substring? {
        guard let auth = authority(url) else { return nil }
        let afterHost: Substring
        if auth.hasPrefix("[") {
            guard let close = auth.firstIndex(of: "]") else { return nil }
            afterHost = auth[auth.index(after: close)...]
        } else {
            guard let colon = auth.firstIndex(of: ":") else { return nil }
            afterHost = auth[colon...]
        }
        guard afterHost.first == ":" else { return nil }
        return afterHost.dropFirst()
    }
}
