import HTTP1

/// Where upstream requests go: scheme, host and port. The connection pool's key.
public struct UpstreamEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: UInt16

    public init(secure: Bool, host: String, port: UInt16) {
        self.secure = secure
        self.host = host
        self.port = port
    }

    public var description: String { "\(secure ? "https" : "http")://\(host):\(port)" }
}

/// A GET to an upstream.
public struct UpstreamRequest: Sendable {
    public var endpoint: UpstreamEndpoint
    /// The request-target (origin form), e.g. `/api2/clients/1.json`.
    public var target: String
    /// The `Host` header's value.
    public var hostHeader: String
    /// Further fields, in order; the client adds nothing but `Host`.
    public var headers: [(String, String)]

    public init(endpoint: UpstreamEndpoint, target: String, hostHeader: String, headers: [(String, String)]) {
        self.endpoint = endpoint
        self.target = target
        self.hostHeader = hostHeader
        self.headers = headers
    }

    /// The request's bytes on the wire.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "GET ".utf8)
        out.append(contentsOf: target.utf8)
        out.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        out.append(contentsOf: hostHeader.utf8)
        for (name, value) in headers {
            out.append(contentsOf: "\r\n".utf8)
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
        }
        out.append(contentsOf: "\r\n\r\n".utf8)
        return out
    }
}

/// An upstream's answer, with the body already decoded from any gzip coding.
public struct UpstreamResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the exchange ran on a pooled connection that served before.
    public var reusedConnection: Bool

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], reusedConnection: Bool) {
        self.status = status
        self.headers = headers
        self.body = body
        self.reusedConnection = reusedConnection
    }
}
