/// Bounds on what a decoder buffers or accepts from one peer.
///
/// Every limit is enforced while bytes arrive, so a hostile peer can never
/// make a decoder look at, or a caller buffer, more than these many bytes of
/// an incomplete head, chunk line or trailer section.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request-target, in bytes (longer → 414). The request line as a
    /// whole may be ``requestLineSlack`` bytes longer to fit the method and version.
    public var maxTargetBytes: Int
    /// Largest head (start line, field lines and the blank line) in bytes
    /// (larger → 431). When smaller than the longest request line allowed,
    /// it is what a long request line runs into first.
    public var maxHeadBytes: Int
    /// Most field lines in a head or trailer section (more → 431).
    public var maxHeaderFields: Int
    /// Largest body, summed over all chunks when chunked (larger → 413).
    public var maxBodyBytes: Int
    /// Longest chunk-size line including its extensions, in bytes (longer → 400).
    public var maxChunkLineBytes: Int
    /// Largest trailer section in bytes (larger → 431).
    public var maxTrailerBytes: Int

    /// Room for the method, two spaces and the version around the target.
    public static let requestLineSlack = 64

    /// Creates limits; every parameter has the gateway's default.
    public init(
        maxTargetBytes: Int = 8192,
        maxHeadBytes: Int = 16384,
        maxHeaderFields: Int = 100,
        maxBodyBytes: Int = 1 << 20,
        maxChunkLineBytes: Int = 4096,
        maxTrailerBytes: Int = 16384
    ) {
        self.maxTargetBytes = maxTargetBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }
}
