import Compression
import EventLoop
import HTTP1
import Projection
import Upstream

/// `GET /clients/{id}`: validates everything first (nothing invalid reaches the
/// upstream), calls the tenant's upstream on the request's own loop, unwraps
/// `data.Client` byte-exactly, narrows it by `?fields=`, and gzips it when the
/// caller accepts that.
public final class ClientsEndpoint: Sendable {
    /// What the endpoint needs from the configuration.
    public struct Settings: Sendable {
        public var upstream: UpstreamTemplate
        public var baseDomain: String?
        public var gzipLevel: Int
        public var gzipMinBytes: Int

        public init(upstream: UpstreamTemplate, baseDomain: String?, gzipLevel: Int, gzipMinBytes: Int) {
            self.upstream = upstream
            self.baseDomain = baseDomain
            self.gzipLevel = gzipLevel
            self.gzipMinBytes = gzipMinBytes
        }
    }

    private let settings: Settings
    private let client: UpstreamClient
    private let deflaters: LoopBound<GzipDeflater?>
    private let metrics: GatewayMetrics
    static let userAgent = "daftra-gateway/\(GatewayVersion.current)"

    public init(settings: Settings, client: UpstreamClient, group: EventLoopGroup, metrics: GatewayMetrics) {
        self.settings = settings
        self.client = client
        self.metrics = metrics
        self.deflaters = LoopBound(group: group) { _ in nil }
    }

    /// Handles one request; `id` is the route's `{id}`.
    public func handle(_ exchange: RequestExchange, id: Substring) {
        let headers = exchange.request.head.headers
        guard PassThroughTenancy.isClientID(id) else {
            exchange.fail(vary(GatewayError(.invalidClientID, "the client id must be a positive integer of at most 18 digits")))
            return
        }
        let subdomain: String
        switch PassThroughTenancy.subdomain(headers: headers, baseDomain: settings.baseDomain) {
        case .success(let s): subdomain = s
        case .failure(let e):
            exchange.fail(vary(e))
            return
        }
        exchange.tenant = subdomain
        let selection: FieldSelection?
        switch Self.fields(exchange) {
        case .success(let s): selection = s
        case .failure(let e):
            exchange.fail(vary(e))
            return
        }
        let credential: UpstreamCredential
        switch PassThroughTenancy.credential(headers: headers) {
        case .success(let c): credential = c
        case .failure(let e):
            exchange.fail(vary(e))
            return
        }

        let origin = settings.upstream.resolve(subdomain: subdomain)
        var upstreamHeaders = [
            ("Accept", "application/json"),
            ("Accept-Encoding", "gzip"),
            credential.header,
            ("User-Agent", Self.userAgent),
            ("X-Request-Id", exchange.requestID),
        ]
        if let traceparent = exchange.traceparent {
            upstreamHeaders.append(("traceparent", traceparent.header))
        }
        let request = UpstreamRequest(
            endpoint: origin.endpoint,
            target: origin.clientPath(id: String(id)),
            hostHeader: origin.hostHeader,
            headers: upstreamHeaders)
        let started = MonotonicClock.now()
        client.execute(request, on: exchange.loop) { [self] result in
            let elapsed = MonotonicClock.now() &- started
            exchange.upstreamMilliseconds = Double(elapsed) / 1_000_000
            switch result {
            case .failure(let error):
                metrics.upstreamFinished(outcome: error.kind.rawValue, nanoseconds: elapsed)
                exchange.fail(vary(UpstreamFailureMapping.error(for: error)))
            case .success(let response):
                metrics.upstreamFinished(outcome: response.status == 200 ? "ok" : "http_\(response.status / 100)xx",
                                         nanoseconds: elapsed)
                exchange.upstreamStatus = response.status
                answer(exchange, response: response, selection: selection)
            }
        }
    }

    /// Parses `?fields=`; absent means every member.
    static func fields(_ exchange: RequestExchange) -> Result<FieldSelection?, GatewayError> {
        guard let raw = exchange.target.queryValue("fields") else { return .success(nil) }
        do throws(FieldsError) {
            return .success(try FieldSelection.parse(raw))
        } catch {
            switch error {
            case .empty:
                return .failure(GatewayError(.invalidFields, "fields names no field"))
            case .malformed(let reason):
                return .failure(GatewayError(.invalidFields, "fields: \(reason)"))
            }
        }
    }

    private func answer(_ exchange: RequestExchange, response: UpstreamResponse, selection: FieldSelection?) {
        guard response.status == 200 else {
            exchange.fail(vary(UpstreamFailureMapping.error(forStatus: response.status, headers: response.headers)))
            return
        }
        var body: [UInt8] = []
        let outcome: Result<Void, GatewayError> = response.body.withUnsafeBytes { document in
            let client: ClientObject
            do throws(ProjectionError) {
                client = try ClientExtractor.extract(document)
            } catch .invalidJSON(let offset, let reason) {
                return .failure(GatewayError(.upstreamInvalidResponse, "upstream body is not valid JSON (\(reason) at byte \(offset))"))
            } catch {
                return .failure(GatewayError(.upstreamInvalidResponse, "upstream body has no data.Client object"))
            }
            if let selection {
                let unknown = selection.unknownFields(in: client)
                if !unknown.isEmpty {
                    return .failure(GatewayError(.invalidFields, "unknown fields: \(unknown.joined(separator: ", "))"))
                }
            }
            ClientProjection.render(client, from: document, selecting: selection, into: &body)
            return .success(())
        }
        if case .failure(let error) = outcome {
            exchange.fail(vary(error))
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Vary", value: "Accept-Encoding")
        if let compressed = gzipIfAccepted(exchange, body: body) {
            headers.add(name: "Content-Encoding", value: "gzip")
            exchange.gzip = true
            body = compressed
        }
        exchange.finish(status: 200, headers: headers, body: body, contentType: "application/json; charset=utf-8")
    }

    /// The gzip member of `body` when the caller accepts gzip and the body is big enough.
    private func gzipIfAccepted(_ exchange: RequestExchange, body: [UInt8]) -> [UInt8]? {
        guard body.count >= settings.gzipMinBytes else { return nil }
        let values = exchange.request.head.headers.values("accept-encoding")
        guard !values.isEmpty, AcceptEncoding.choose(values) == .gzip else { return nil }
        let loop = exchange.loop
        if deflaters[loop] == nil {
            deflaters[loop] = try? GzipDeflater(level: Int32(settings.gzipLevel))
        }
        guard let deflater = deflaters[loop] else { return nil }
        var out: [UInt8] = []
        body.withUnsafeBytes { deflater.compress($0, into: &out) }
        metrics.gzipped(inBytes: body.count, outBytes: out.count)
        return out
    }

    private func vary(_ error: GatewayError) -> GatewayError {
        var e = error
        e.headers.append(("Vary", "Accept-Encoding"))
        return e
    }
}

/// The version the gateway reports upstream and in its build info.
public enum GatewayVersion {
    public static let current = "0.1.0"
}
