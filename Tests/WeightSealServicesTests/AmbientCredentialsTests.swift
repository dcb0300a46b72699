import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeightSeal
@testable import WeightSealServices

/// GitHub Actions' OIDC token endpoint, played by a loopback server that answers as GitHub documents it
/// ("Configuring OpenID Connect in cloud providers": `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with
/// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answer `{"count": …, "value": JWT}`).
@Suite("Ambient OIDC credentials")
struct AmbientCredentialsTests {
    static let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzpvL3I6cmVmOnJlZnMvdGFncy92MSIsImF1ZCI6InNpZ3N0b3JlIn0.c2ln"

    static let server = #"""
    import http.server, json, sys, urllib.parse
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            ok = self.headers.get("Authorization") == "bearer runner-secret" and q.get("audience") == ["sigstore"] and q.get("api-version") == ["2.0"]
            body = json.dumps({"count": 1, "value": sys.argv[1]} if ok else {"message": "no"}).encode()
            self.send_response(200 if ok else 403); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        def log_message(self, *a): pass
    s = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """#

    /// Starts the server; returns its process and port.
    static func start() throws -> (Process, Int)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", server, jwt]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        var line = [UInt8]()
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != 10 { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(p.processIdentifier, SIGKILL)
            return nil
        }
        return (p, port)
    }

    @Test("GitHub Actions: the token is fetched for audience sigstore with the runner's bearer token")
    func gitHubActions() async throws {
        guard let (p, port) = try Self.start() else { print("skipped: no python3"); return }
        // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/token?api-version=2.0"
        let token = try await ServiceClient.with { client in
            try await AmbientCredentials.identityToken(
                environment: ["ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-secret"], client: client)
        }
        #expect(token?.issuer == "https://token.actions.githubusercontent.com")
        #expect(token?.subject == "repo:o/r:ref:refs/tags/v1")

        // A wrong runner token: the endpoint's 403 becomes a service error naming the permission to grant.
        await #expect(throws: WeightSealError(.service, "")) {
            try await ServiceClient.with(settings: .init(retries: 0)) { client in
                try await AmbientCredentials.identityToken(
                    environment: ["ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "stolen"], client: client)
            }
        }
    }

    @Test("SIGSTORE_ID_TOKEN wins over GitHub's endpoint; no credentials at all is nil, not an error")
    func precedence() async throws {
        let token = try await ServiceClient.with { client in
            try await AmbientCredentials.identityToken(
                environment: ["SIGSTORE_ID_TOKEN": Self.jwt, "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/x",
                              "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"], client: client)
        }
        #expect(token?.subject == "repo:o/r:ref:refs/tags/v1")
        let none = try await ServiceClient.with { client in
            try await AmbientCredentials.identityToken(environment: [:], client: client)
        }
        #expect(none == nil)
    }
}
