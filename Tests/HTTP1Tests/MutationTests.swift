import HTTP1
import Testing

/// Hostile input the hand-written cases did not think of: valid messages
/// with random bytes changed, inserted or removed. Whatever the verdict, the
/// decoders must not crash or read out of bounds (debug builds check every
/// buffer access) and must reach the same verdict however the bytes arrive.
@Suite struct MutationTests {
    /// SplitMix64: deterministic, so a failure reproduces.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let requests = RequestDecoderTests.validMessages.map(\.message.bytes)
    static let responses = [
        ResponseDecoderTests.contentLength, ResponseDecoderTests.chunked, ResponseDecoderTests.interim,
        "HTTP/1.1 200 OK\r\n\r\nuntil close",
    ].map(\.bytes)

    /// Bytes that matter to the grammar, so mutations hit interesting paths.
    static let alphabet: [UInt8] = Array("\r\n \t:;=\",/?%*#0123456789aAfFzZ\u{7f}".utf8) + [0, 0x80, 0xC3, 0xFF]

    static func mutate(_ message: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = message
        for _ in 0...Int.random(in: 0...2, using: &rng) {
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            let byte = Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            default: if bytes.count > 1 { bytes.remove(at: position) }
            }
        }
        return bytes
    }

    /// Three pieces at random cut points, besides whole and byte by byte.
    static func randomPieces(_ bytes: [UInt8], using rng: inout SeededGenerator) -> [[UInt8]] {
        let a = Int.random(in: 0...bytes.count, using: &rng)
        let b = Int.random(in: a...bytes.count, using: &rng)
        return [Array(bytes[..<a]), Array(bytes[a..<b]), Array(bytes[b...])]
    }

    @Test func mutatedRequestsGetOneVerdict() {
        var rng = SeededGenerator(state: 0x5EED_0001)
        for _ in 0..<600 {
            let bytes = Self.mutate(Self.requests.randomElement(using: &rng)!, using: &rng)
            let whole = decodeRequests([bytes])
            #expect(decodeRequests(bytes.map { [$0] }) == whole, "\(bytes)")
            #expect(decodeRequests(Self.randomPieces(bytes, using: &rng)) == whole, "\(bytes)")
            if let status = whole.error?.status {
                #expect([400, 413, 414, 431, 501, 505].contains(status))
            }
        }
    }

    @Test func mutatedResponsesGetOneVerdict() {
        var rng = SeededGenerator(state: 0x5EED_0002)
        for _ in 0..<400 {
            let bytes = Self.mutate(Self.responses.randomElement(using: &rng)!, using: &rng)
            let whole = decodeResponses([bytes], headRequests: [false, false], eof: true)
            #expect(decodeResponses(bytes.map { [$0] }, headRequests: [false, false], eof: true) == whole, "\(bytes)")
            #expect(decodeResponses(Self.randomPieces(bytes, using: &rng), headRequests: [false, false], eof: true) == whole)
            if let error = whole.error {
                #expect(error.status == 502)
            }
        }
    }
}
