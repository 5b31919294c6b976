import Compression
import Testing

/// 50 MiB of zeros as one gzip member (about 50 KB): a decompression bomb.
private let bombSize = 50 << 20
private let bomb: [UInt8] = {
    let zeros = [UInt8](repeating: 0, count: bombSize)
    // Level 9 is the densest bomb; on zeros it is also fast.
    return (try? gzip(zeros, level: 9)) ?? []
}()

private let gatewayLimit = 8 << 20

@Suite("GzipInflater")
struct GzipInflaterTests {
    /// A short member, so every split point can be tried.
    let small = Array(#"{"id":"7","business_name":"Acme","email":"a@acme.example","notes":"acme acme acme"}"#.utf8)

    @Test("decodes what the system gzip tool writes, including a file name in the header")
    func decodesSystemGzip() throws {
        let member = try runSystemGzip(["-c", "-9"], input: sampleClientJSON, fileName: "client-512.json")
        #expect(member[3] & 0x08 != 0, "FNAME flag set, so the header has a name field to skip")
        #expect(try gunzip(member) == sampleClientJSON)
    }

    @Test("every split point of a member decodes to the same bytes")
    func everySplitPoint() throws {
        let member = try gzip(small)
        let inflater = try GzipInflater(limit: 1024)
        for split in 0...member.count {
            inflater.reset()
            let decoded = try gunzip([Array(member[..<split]), Array(member[split...])], with: inflater)
            #expect(decoded == small, "split at \(split)")
        }
        inflater.reset()
        #expect(try gunzip(member.map { [$0] }, with: inflater) == small, "one byte at a time")
    }

    @Test("concatenated members decode one after the other, at every split point")
    func concatenatedMembers() throws {
        let first = try gzip(small, level: 1)
        let second = try gzip(sampleClientJSON, level: 9)
        let body = first + second
        let inflater = try GzipInflater(limit: 4096)
        for split in 0...body.count {
            inflater.reset()
            let decoded = try gunzip([Array(body[..<split]), Array(body[split...])], with: inflater)
            #expect(decoded == small + sampleClientJSON, "split at \(split)")
        }
        #expect(inflater.decodedByteCount == small.count + sampleClientJSON.count)
    }

    @Test("every proper prefix of a body, except the end of its first member, is truncated")
    func truncatedPrefixes() throws {
        let member = try gzip(small)
        let body = member + member
        let inflater = try GzipInflater(limit: 1024)
        for length in 0..<body.count where length != member.count {
            inflater.reset()
            var out: [UInt8] = []
            try feed(body[..<length], to: inflater, into: &out)
            #expect(throws: CompressionError.truncated, "prefix of \(length) bytes") { try inflater.finish() }
        }
    }

    @Test("garbage and damaged members are corrupt")
    func corruptInput() throws {
        let member = try gzip(sampleClientJSON)
        var badCRC = member
        badCRC[badCRC.count - 8] ^= 0x01
        var badLength = member
        badLength[badLength.count - 1] ^= 0x01
        var badMethod = member
        badMethod[2] = 0x07
        var badData = member
        badData[member.count / 2] ^= 0xFF
        let cases: [(String, [UInt8])] = [
            ("plain text", Array("this is not gzip at all, just text".utf8)),
            ("json", sampleClientJSON),
            ("CRC-32 mismatch", badCRC),
            ("length mismatch", badLength),
            ("unknown method", badMethod),
            ("damaged deflate data", badData),
            ("garbage after a member", member + Array("<html>oops</html>".utf8)),
        ]
        for (name, body) in cases {
            #expect(throws: CompressionError.corrupt, "\(name)") { try gunzip(body) }
        }
    }

    @Test("an empty body is truncated")
    func emptyBody() throws {
        #expect(throws: CompressionError.truncated) { try gunzip([]) }
    }

    @Test("a bomb fed at once stops at the limit without allocating its size")
    func bombInOneChunk() throws {
        #expect(bomb.count > 0 && bomb.count < 1 << 20)
        let inflater = try GzipInflater(limit: gatewayLimit)
        var out: [UInt8] = []
        #expect(throws: CompressionError.tooLarge) {
            try feed(bomb[...], to: inflater, into: &out)
        }
        #expect(inflater.decodedByteCount == gatewayLimit + 1)
        #expect(out.capacity <= gatewayLimit + 64 * 1024, "capacity \(out.capacity)")
    }

    @Test("a bomb fed in chunks stops early, and the error sticks until reset")
    func bombInChunksThenReset() throws {
        let inflater = try GzipInflater(limit: gatewayLimit)
        var out: [UInt8] = []
        var fed = 0
        var caught: CompressionError?
        while fed < bomb.count, caught == nil {
            let end = min(fed + 4096, bomb.count)
            do throws(CompressionError) {
                try feed(bomb[fed..<end], to: inflater, into: &out)
            } catch {
                caught = error
            }
            fed = end
        }
        #expect(caught == .tooLarge)
        #expect(fed < bomb.count / 2, "stopped after \(fed) of \(bomb.count) compressed bytes")
        #expect(out.capacity <= gatewayLimit + 64 * 1024)
        #expect(throws: CompressionError.tooLarge) { try inflater.finish() }

        inflater.reset()
        #expect(inflater.decodedByteCount == 0)
        #expect(try gunzip([gzip(sampleClientJSON)], with: inflater) == sampleClientJSON)
    }

    @Test("a body exactly at the limit passes; one byte over is too large")
    func limitBoundary() throws {
        let member = try gzip(sampleClientJSON)
        #expect(try gunzip(member, limit: sampleClientJSON.count) == sampleClientJSON)
        #expect(throws: CompressionError.tooLarge) { try gunzip(member, limit: sampleClientJSON.count - 1) }
        #expect(throws: CompressionError.tooLarge) { try gunzip(member, limit: 0) }
    }

    @Test("after corrupt input every call fails until reset, then the inflater is reusable")
    func corruptIsStickyUntilReset() throws {
        let inflater = try GzipInflater(limit: 1 << 20)
        let member = try gzip(sampleClientJSON)
        var out: [UInt8] = []
        #expect(throws: CompressionError.corrupt) {
            try feed([0x1F, 0x8B, 0x08, 0xFF, 0xFF], to: inflater, into: &out)
        }
        #expect(throws: CompressionError.corrupt) { try gunzip([member], with: inflater) }

        for round in 0..<3 {
            inflater.reset()
            #expect(try gunzip([member], with: inflater) == sampleClientJSON, "round \(round)")
            #expect(inflater.decodedByteCount == sampleClientJSON.count)
        }
    }

    @Test("decoded bytes are appended after what the output already holds")
    func appendsToExistingOutput() throws {
        let inflater = try GzipInflater(limit: 1 << 20)
        var out: [UInt8] = [1, 2, 3]
        out.reserveCapacity(1 << 20)
        try feed(gzip(sampleClientJSON)[...], to: inflater, into: &out)
        try inflater.finish()
        #expect(out == [1, 2, 3] + sampleClientJSON)
    }

    @Test("a zlib-wrapped body labelled gzip is accepted, and its Adler-32 is checked")
    func zlibWrapperAccepted() throws {
        let payload = Array("hello, zlib".utf8)
        // RFC 1950 header (deflate, 32 KB window, no dictionary), one stored RFC 1951 block,
        // then the big-endian Adler-32 of the payload.
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in payload {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        let adler = b << 16 | a
        let length = UInt16(payload.count)
        let stored: [UInt8] = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8),
                               UInt8(~length & 0xFF), UInt8(~length >> 8)] + payload
        let body = stored + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: adler >> $0) }
        #expect(try gunzip(body) == payload)

        var damaged = body
        damaged[damaged.count - 1] ^= 0x01
        #expect(throws: CompressionError.corrupt) { try gunzip(damaged) }
    }
}
