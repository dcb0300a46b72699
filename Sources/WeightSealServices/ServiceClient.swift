import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import WeightSeal

/// HTTP for the services a signer or a trust update talks to (Fulcio, Rekor, a timestamp authority, an OIDC token
/// endpoint, a TUF repository): URLs checked before use, bodies bounded, per-request timeouts, retries with backoff on
/// connection errors, `429` and `5xx`. Redirects are not followed: a service that moved is a configuration error.
public struct ServiceClient: Sendable {
    /// Timeouts and retries.
    public struct Settings: Sendable {
        /// Longest wait for one whole request, in seconds.
        public var timeout: Double
        /// Further attempts after a retryable failure.
        public var retries: Int
        /// First wait between attempts, in seconds; doubled each time, at most 10 s.
        public var retryDelay: Double

        public init(timeout: Double = 30, retries: Int = 3, retryDelay: Double = 0.5) {
            self.timeout = timeout
            self.retries = retries
            self.retryDelay = retryDelay
        }
    }

    /// A final answer: status, headers and the whole body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]

        /// The body as text (lossy), shortened for a message.
        public var excerpt: String {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            return text.filter { !$0.isNewline }
        }
    }

    let client: HTTPClient
    public let settings: Settings

    /// Runs `body` with a client made for it and shut down afterwards.
    public static func with<T: Sendable>(settings: Settings = Settings(),
                                         _ body: (ServiceClient) async throws -> T) async throws -> T {
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.timeout.connect = .seconds(10)
        // One attempt per send: the retries and their backoff are this type's.
        config.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let result = try await body(ServiceClient(client: client, settings: settings))
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Sends one request and returns the final answer, whatever its status (the caller judges it).
    /// - Parameters:
    ///   - url: an `http://` or `https://` URL.
    ///   - limit: most body bytes accepted.
    ///   - what: the service, for messages (e.g. "Fulcio").
    /// - Throws: ``WeightSealError`` `.invalidArgument` for a URL the client cannot use, `.network` when no answer
    ///   came after the retries, `.limitExceeded` for a body over `limit`.
    public func send(_ method: HTTPMethod, _ url: String, body: [UInt8]? = nil, headers: [(String, String)] = [],
                     limit: Int, what: String) async throws(WeightSealError) -> Response {
        if let problem = HTTPURL.problem(with: url) {
            throw WeightSealError(.invalidArgument, "\(what) URL \(url.prefix(300)) \(problem)")
        }
        var attempt = 0
        while true {
            let outcome = await once(method, url, body: body, headers: headers, limit: limit, what: what)
            switch outcome {
            case .success(let response):
                let retryable = response.status == 429 || (500...599).contains(response.status)
                if !retryable || attempt >= settings.retries { return response }
            case .failure(let error):
                if error.code != .network || attempt >= settings.retries { throw error }
            }
            let delay = min(settings.retryDelay * Double(1 << min(attempt, 16)), 10)
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            attempt += 1
        }
    }

    private func once(_ method: HTTPMethod, _ url: String, body: [UInt8]?, headers: [(String, String)],
                      limit: Int, what: String) async -> Result<Response, WeightSealError> {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "weightseal/\(WeightSealVersion.current)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                return .failure(WeightSealError(.limitExceeded, "\(what) answered \(url.prefix(300)) with over \(limit) bytes"))
            }
            return .success(Response(status: Int(response.status.code), headers: response.headers,
                                     body: Array(buffer.readableBytesView)))
        } catch {
            return .failure(WeightSealError(.network, "\(what) at \(url.prefix(300)) did not answer: \(error)"))
        }
    }
}
