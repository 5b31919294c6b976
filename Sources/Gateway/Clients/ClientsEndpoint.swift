import Compression
import EventLoop
import HTTP1
import Logging
import Projection
import Upstream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    private let encoders: LoopBound<GzipEncoder?>
    /// The last `fields` value each loop parsed, with its selection. A consumer
    /// sends the same list with every call, and parsing it (percent-decoding,
    /// splitting, a `String` per name) was about 4 % of a `/clients` request's
    /// instructions; comparing the raw bytes with the last value costs a
    /// `memcmp`. One entry per loop: memory stays bounded by the longest
    /// request-target, and a caller alternating lists only parses as before.
    private let lastFields: LoopBound<ParsedFields?>
    private let metrics: GatewayMetrics
    private let registry: RegistryStore?
    private let logger: Logger
    static let userAgent = "daftra-gateway/\(GatewayVersion.current)"

    /// - Parameter registry: the tenant registry in registry mode; nil in pass-through mode.
    public init(settings: Settings, client: UpstreamClient, group: EventLoopGroup, metrics: GatewayMetrics,
                registry: RegistryStore? = nil, logger: Logger) {
        self.registry = registry
        self.logger = logger
        self.settings = settings
        self.client = client
        self.metrics = metrics
        self.encoders = LoopBound(group: group) { _ in nil }
        self.lastFields = LoopBound(group: group) { _ in nil }
    }

    /// Handles one request; `id` is the route's `{id}`.
    public func handle(_ exchange: RequestExchange, id: Substring) {
        guard PassThroughTenancy.isClientID(id) else {
            exchange.fail(vary(GatewayError(.invalidClientID, "the client id must be a positive integer of at most 18 digits")))
            return
        }
        let selection: FieldSelection?
        switch fields(exchange) {
        case .success(let s): selection = s
        case .failure(let e):
            exchange.fail(vary(e))
            return
        }
        // Negotiated once here, for the 406 and later for the answer's coding.
        let encoding = AcceptEncoding.negotiate(exchange.request.head.headers.values("accept-encoding"))
        guard encoding.choice != .notAcceptable else {
            // Refused before any upstream call: the answer could only be identity or gzip.
            exchange.fail(vary(GatewayError(.notAcceptable, "Accept-Encoding refuses both identity and gzip")))
            return
        }
        let access: TenantAccess
        switch tenantAccess(exchange) {
        case .success(let a): access = a
        case .failure(let e):
            exchange.fail(vary(e))
            return
        }
        exchange.tenant = access.label
        if let allowed = access.allowedFields, let selection {
            let refused = selection.disallowedFields(by: allowed)
            if !refused.isEmpty {
                exchange.fail(vary(GatewayError(.fieldNotAllowed, "not allowed for this tenant: \(refused.joined(separator: ", "))")))
                return
            }
        }
        var limitHeaders: [(String, String)] = []
        if let bucket = access.resolved?.rateLimiter {
            let decision = bucket.tryTake(now: MonotonicClock.now())
            limitHeaders = decision.headers.map { ($0.name, $0.value) }
            guard decision.allowed else {
                metrics.rateLimited(tenant: access.label)
                exchange.fail(vary(GatewayError(.rateLimited, "tenant \(access.label) is over its rate limit", headers: limitHeaders)))
                return
            }
        }
        guard let limiter = access.resolved?.concurrencyLimiter else {
            callUpstream(exchange, id: id, access: access, selection: selection, encoding: encoding,
                         extraHeaders: limitHeaders, release: nil)
            return
        }
        let deadline = MonotonicClock.now() &+ client.configuration.timeout
        limiter.acquire(on: exchange.loop, deadline: deadline) { [self] granted in
            // A caller that hung up while it waited is owed nothing: its permit
            // goes straight on to the next waiter, not to an upstream call whose
            // answer nobody reads (under overload, callers that time out and
            // retry would otherwise spend the tenant's upstream calls twice).
            if exchange.callerHasHungUp {
                if granted { limiter.release() }
                exchange.abandon()
                return
            }
            guard granted else {
                exchange.fail(vary(GatewayError(
                    .upstreamBusy, "tenant \(access.label) has too many upstream calls in flight", headers: limitHeaders)))
                return
            }
            callUpstream(exchange, id: id, access: access, selection: selection, encoding: encoding,
                         extraHeaders: limitHeaders) {
                limiter.release()
            }
        }
    }

    /// Who the request acts for: a registry tenant found by consumer key, or (in
    /// pass-through mode) the subdomain and credential the request names.
    private func tenantAccess(_ exchange: RequestExchange) -> Result<TenantAccess, GatewayError> {
        let headers = exchange.request.head.headers
        if let registry {
            let active = registry.current(on: exchange.loop)
            let bearer = headers.first("authorization").flatMap(PassThroughTenancy.bearerToken)
            if let bearer, !bearer.isEmpty, let resolved = active.lookup(consumerKey: String(bearer)) {
                let tenant = resolved.tenant
                let credential: UpstreamCredential = tenant.credential.kind == .bearer
                    ? .bearer(tenant.credential.headerValue) : .apikey(tenant.credential.headerValue)
                return .success(TenantAccess(
                    subdomain: tenant.subdomain, credential: credential, label: tenant.name,
                    allowedFields: tenant.fields, resolved: resolved))
            }
            guard active.allowPassthrough else {
                return .failure(bearer == nil || bearer!.isEmpty
                    ? GatewayError(.missingCredential, "send Authorization: Bearer <consumer key>")
                    : GatewayError(.unknownConsumerKey, "the consumer key is not known"))
            }
        }
        let subdomain: String
        switch PassThroughTenancy.subdomain(
            headers: headers, baseDomain: settings.baseDomain, target: exchange.request.head.target) {
        case .success(let s): subdomain = s
        case .failure(let e): return .failure(e)
        }
        switch PassThroughTenancy.credential(headers: headers) {
        case .success(let credential):
            return .success(TenantAccess(
                subdomain: subdomain, credential: credential, label: subdomain, allowedFields: nil, resolved: nil))
        case .failure(let e):
            return .failure(e)
        }
    }

    private func callUpstream(
        _ exchange: RequestExchange, id: Substring, access: TenantAccess, selection: FieldSelection?,
        encoding: Negotiation, extraHeaders: [(String, String)], release: (() -> Void)?
    ) {
        let origin = settings.upstream.resolve(subdomain: access.subdomain)
        var upstreamHeaders = [
            ("Accept", "application/json"),
            ("Accept-Encoding", "gzip"),
            access.credential.header,
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
            release?()
            let elapsed = MonotonicClock.now() &- started
            exchange.upstreamMilliseconds = Double(elapsed) / 1_000_000
            switch result {
            case .failure(let error):
                metrics.upstreamFinished(outcome: error.kind.rawValue, nanoseconds: elapsed)
                if error.kind == .tls {
                    // The caller sees the class; operators need OpenSSL's reason.
                    logger.warning("upstream TLS failed", metadata: [
                        "request_id": .string(exchange.requestID), "reason": .string(error.reason),
                    ])
                }
                exchange.fail(vary(UpstreamFailureMapping.error(for: error), extraHeaders))
            case .success(let response):
                exchange.upstreamStatus = response.status
                answer(exchange, response: response, selection: selection, allowed: access.allowedFields,
                       encoding: encoding, extraHeaders: extraHeaders, upstreamNanoseconds: elapsed)
            }
        }
    }

    /// Parses `?fields=`; absent means every member.
    private func fields(_ exchange: RequestExchange) -> Result<FieldSelection?, GatewayError> {
        // One scan of the query. Most requests name no fields: an empty array
        // has no storage, so they allocate nothing.
        let values = exchange.target.queryValues("fields")
        guard let first = values.first else { return .success(nil) }
        // `fields` given more than once names the union (`?fields=id&fields=email`),
        // as query lists usually read, rather than silently only the first.
        let raw = values.count == 1 ? first : Substring(values.joined(separator: ","))
        let loop = exchange.loop
        if let last = lastFields[loop], last.matches(raw) {
            return .success(last.selection)
        }
        do throws(FieldsError) {
            let selection = try FieldSelection.parse(raw)
            lastFields[loop] = ParsedFields(raw: Array(raw.utf8), selection: selection)
            return .success(selection)
        } catch {
            switch error {
            case .empty:
                return .failure(GatewayError(.invalidFields, "fields names no field"))
            case .malformed(let reason):
                return .failure(GatewayError(.invalidFields, "fields: \(reason)"))
            }
        }
    }

    /// Answers the caller from the upstream's answer, after recording the upstream
    /// outcome (before the answer leaves, so a caller's next scrape sees it): `ok`
    /// for a 200 carrying a client, `invalidResponse` for a 200 that does not,
    /// `http_Nxx` for any other status.
    private func answer(
        _ exchange: RequestExchange, response: UpstreamResponse, selection: FieldSelection?,
        allowed: Set<String>?, encoding: Negotiation, extraHeaders: [(String, String)], upstreamNanoseconds: UInt64
    ) {
        guard response.status == 200 else {
            metrics.upstreamFinished(outcome: "http_\(response.status / 100)xx", nanoseconds: upstreamNanoseconds)
            exchange.fail(vary(UpstreamFailureMapping.error(forStatus: response.status, headers: response.headers),
                               extraHeaders))
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
            ClientProjection.render(client, from: document, selecting: selection, allowed: allowed, into: &body)
            return .success(())
        }
        if case .failure(let error) = outcome {
            // Unknown fields are the caller's mistake; the upstream answered well.
            metrics.upstreamFinished(
                outcome: error.kind == .upstreamInvalidResponse ? UpstreamError.Kind.invalidResponse.rawValue : "ok",
                nanoseconds: upstreamNanoseconds)
            exchange.fail(vary(error, extraHeaders))
            return
        }
        metrics.upstreamFinished(outcome: "ok", nanoseconds: upstreamNanoseconds)
        // Room for these and the exchange's own three, so no field regrows the storage.
        var headers = HTTPHeaders()
        headers.reserveCapacity(2 + extraHeaders.count + RequestExchange.standardFieldCount)
        headers.add(name: "Vary", value: "Accept-Encoding")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if let compressed = gzipIfAccepted(exchange, body: body, encoding: encoding) {
            headers.add(name: "Content-Encoding", value: "gzip")
            exchange.gzip = true
            body = compressed
        }
        exchange.finish(status: 200, headers: consume headers, body: body, contentType: "application/json; charset=utf-8")
    }

    /// The gzip member of `body` when the caller accepts gzip and the body is big
    /// enough, or whatever its size when the caller refuses identity.
    private func gzipIfAccepted(_ exchange: RequestExchange, body: [UInt8], encoding: Negotiation) -> [UInt8]? {
        guard encoding.choice == .gzip, body.count >= settings.gzipMinBytes || encoding.refusesIdentity else {
            return nil
        }
        let loop = exchange.loop
        if encoders[loop] == nil {
            encoders[loop] = try? GzipEncoder(level: Int32(settings.gzipLevel))
        }
        guard let encoder = encoders[loop] else { return nil }
        var out: [UInt8] = []
        // zlib out of memory: the answer goes uncompressed rather than failing.
        let compressed = body.withUnsafeBytes { bytes in
            Result { () throws(CompressionError) in try encoder.compress(bytes, into: &out) }
        }
        guard case .success = compressed else { return nil }
        metrics.gzipped(inBytes: body.count, outBytes: out.count)
        return out
    }

    /// Every answer of the endpoint varies by Accept-Encoding; those that spent a
    /// rate-limit token also carry `extra`, the tenant's `RateLimit-*` fields.
    private func vary(_ error: GatewayError, _ extra: [(String, String)] = []) -> GatewayError {
        var e = error
        e.headers.append(("Vary", "Accept-Encoding"))
        e.headers.append(contentsOf: extra)
        return e
    }
}

/// A raw `fields` value (still percent-encoded) and what it parsed to.
struct ParsedFields {
    let raw: [UInt8]
    let selection: FieldSelection

    /// Whether `value` is byte for byte the value this was parsed from.
    func matches(_ value: Substring) -> Bool {
        withContiguousBytes(value.utf8) { bytes in
            raw.withUnsafeBufferPointer { kept in
                guard kept.count == bytes.count else { return false }
                guard let a = kept.baseAddress, let b = bytes.baseAddress else { return true }  // both empty
                return memcmp(a, b, kept.count) == 0
            }
        }
    }
}

/// What `Accept-Encoding` allows (``AcceptEncoding/negotiate(_:)``).
typealias Negotiation = (choice: ContentCodingChoice, refusesIdentity: Bool)

/// Who a request acts for, once resolved.
struct TenantAccess {
    var subdomain: String
    var credential: UpstreamCredential
    /// The log and metrics label: the registry name, or the subdomain.
    var label: String
    /// The registry tenant's allow-list of members.
    var allowedFields: Set<String>?
    /// The registry tenant with its limiters; nil in pass-through.
    var resolved: ResolvedTenant?
}

/// The version the gateway reports upstream and in its build info.
public enum GatewayVersion {
    public static let current = "0.1.0"
}
