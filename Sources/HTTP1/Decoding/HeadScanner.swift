/// Finds the end of a head or trailer section (the empty line) in a buffer
/// that grows between calls, without ever looking at a byte twice.
///
/// Offsets are relative to the first unconsumed byte: the caller passes the
/// same bytes again, plus new ones, until the section is complete. Only bytes
/// inside the limits are examined, so the outcome never depends on how the
/// input was split into reads.
struct HeadScanner: Sendable {
    /// Bytes examined so far.
    private var scanned = 0
    /// Where the current, unfinished line starts.
    private var lineStart = 0
    /// Complete, non-empty lines seen so far.
    private var lines = 0

    /// Limits and the errors that enforce them.
    struct Bounds {
        /// Largest section, blank line included.
        var maxBytes: Int
        var tooLarge: HTTPParseError
        /// Most non-empty lines.
        var maxLines: Int
        var tooManyLines: HTTPParseError
        /// Longest first line without its CRLF, if it has a cap of its own.
        var firstLineMaxBytes: Int?
        /// The error when the first line exceeds `firstLineMaxBytes`.
        var firstLineTooLong: HTTPParseError?
    }

    /// Whether nothing has been examined yet.
    var isAtStart: Bool { scanned == 0 }

    /// Returns the length of the section (through its blank line's LF) once
    /// complete, or nil when more bytes are needed.
    ///
    /// Every LF must follow a CR: RFC 9112 §2.2 lets a recipient accept a
    /// bare LF, but treating it as a line end where another parser would not
    /// is how request smuggling starts, so it is rejected.
    mutating func scan(_ buffer: UnsafeRawBufferPointer, bounds: Bounds) throws(HTTPParseError) -> Int? {
        var i = scanned
        while true {
            // Only bytes that could still belong to a section within limits
            // are examined. The first line gets a tighter cap so an endless
            // request line fails as 414 rather than 431.
            // The error is picked only when thrown: copying it on every line
            // cost a retain and a release of its reason.
            var cap = bounds.maxBytes
            var firstLineCapped = false
            if lines == 0, let firstMax = bounds.firstLineMaxBytes, lineStart &+ firstMax &+ 2 < cap {
                cap = lineStart &+ firstMax &+ 2
                firstLineCapped = true
            }
            let window = min(buffer.count, cap)
            guard let lf = ASCII.firstLF(in: buffer, from: i, to: window) else {
                // Every byte up to the cap examined and still no end: the
                // section cannot end within its limit.
                guard buffer.count < cap else {
                    if firstLineCapped, let error = bounds.firstLineTooLong { throw error }
                    throw bounds.tooLarge
                }
                scanned = window
                return nil
            }
            guard lf > lineStart, buffer[lf &- 1] == ASCII.cr else {
                throw .badRequest("line ends in a bare LF")
            }
            if lf &- 1 == lineStart {
                return lf &+ 1
            }
            lines &+= 1
            if lines > bounds.maxLines {
                throw bounds.tooManyLines
            }
            lineStart = lf &+ 1
            i = lineStart
        }
    }
}

extension HeadScanner {
    /// Skips the empty lines a peer may send before a start line
    /// (RFC 9112 §2.2) and returns how many bytes they took, or nil when the
    /// input ends inside one (a lone CR), so scanning must wait; `count`
    /// carries the number skipped so far for this message across calls.
    static func skipEmptyLines(_ input: UnsafeRawBufferPointer, count: inout Int, max: Int) throws(HTTPParseError) -> Int? {
        var skipped = 0
        while skipped < input.count, input[skipped] == ASCII.cr || input[skipped] == ASCII.lf {
            guard input[skipped] == ASCII.cr else { throw .badRequest("line ends in a bare LF") }
            guard skipped &+ 1 < input.count else { return nil }
            guard input[skipped &+ 1] == ASCII.lf else { throw .badRequest("bare CR before start line") }
            count &+= 1
            guard count <= max else { throw .badRequest("too many empty lines before start line") }
            skipped &+= 2
        }
        return skipped
    }
}
