/// Why a gzip stream could not be created, or a gzip body could not be decoded.
///
/// A struct wrapping a private enum, so cases can be added later without breaking
/// callers that `switch` over it; compare with `==` against the static members.
public struct CompressionError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidLevel
        case invalidWindow
        case tooLarge
        case corrupt
        case truncated
        case outOfMemory
        case libraryMismatch
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The compression level was outside 1–9.
    public static let invalidLevel = CompressionError(.invalidLevel)

    /// The window size (9–15 bits) or memory level (1–9) was out of range.
    public static let invalidWindow = CompressionError(.invalidWindow)

    /// The decoded body grew past the inflater's output limit (a likely decompression bomb).
    public static let tooLarge = CompressionError(.tooLarge)

    /// The bytes are not a valid gzip stream: bad header, bad deflate data, a CRC or
    /// length mismatch in a trailer, or data after the last member that is not a member.
    public static let corrupt = CompressionError(.corrupt)

    /// The input ended before the gzip member did (for example, the upstream closed early).
    public static let truncated = CompressionError(.truncated)

    /// zlib could not allocate its state.
    public static let outOfMemory = CompressionError(.outOfMemory)

    /// The zlib library loaded at run time is incompatible with the headers compiled against.
    public static let libraryMismatch = CompressionError(.libraryMismatch)

    /// A short English reason, safe to log (it never includes body bytes).
    public var description: String {
        switch code {
        case .invalidLevel: "gzip level must be between 1 and 9"
        case .invalidWindow: "gzip window bits must be 9-15 and memory level 1-9"
        case .tooLarge: "decoded body exceeds the size limit"
        case .corrupt: "invalid gzip data"
        case .truncated: "gzip data ended early"
        case .outOfMemory: "zlib could not allocate memory"
        case .libraryMismatch: "incompatible zlib library version"
        }
    }
}
