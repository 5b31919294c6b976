import Compression
import Testing

@Suite("GzipDeflater")
struct GzipDeflaterTests {
    @Test("levels outside 1–9 are refused", arguments: [0, 10, -1, Int32.min, Int32.max] as [Int32])
    func invalidLevel(level: Int32) {
        #expect(throws: CompressionError.invalidLevel) { try GzipDeflater(level: level) }
    }

    @Test("every level from 1 to 9 round-trips and writes a gzip header", arguments: 1...9 as ClosedRange<Int32>)
    func everyLevelRoundTrips(level: Int32) throws {
        let deflater = try GzipDeflater(level: level)
        #expect(deflater.level == level)
        let member = gzip(sampleClientJSON, with: deflater)
        #expect(Array(member.prefix(3)) == [0x1F, 0x8B, 0x08])
        #expect(member.count * 5 < sampleClientJSON.count * 3, "\(member.count) bytes is too little compression")
        #expect(try gunzip(member) == sampleClientJSON)
    }

    @Test("the system gzip tool decodes what we write", arguments: [1, 6, 9] as [Int32])
    func systemGzipDecodes(level: Int32) throws {
        let deflater = try GzipDeflater(level: level)
        let inputs: [[UInt8]] = [[], sampleClientJSON, randomBytes(20_000, seed: UInt64(level))]
        for input in inputs {
            let decoded = try runSystemGzip(["-dc"], input: gzip(input, with: deflater))
            #expect(decoded == input, "level \(level), \(input.count) bytes")
        }
    }

    @Test("the member is appended after bytes already in the output")
    func appendsToExistingOutput() throws {
        let deflater = try GzipDeflater(level: 1)
        let head: [UInt8] = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        var out = head
        sampleClientJSON.withUnsafeBytes { deflater.compress($0, into: &out) }
        #expect(Array(out.prefix(head.count)) == head)
        #expect(try gunzip(Array(out.dropFirst(head.count))) == sampleClientJSON)
    }

    @Test("1000 members from one reused stream are each complete and independent")
    func reusedStreamWritesIndependentMembers() throws {
        let deflater = try GzipDeflater(level: 6)
        let inflater = try GzipInflater(limit: 1 << 20)
        var generator = SplitMix64(state: 42)
        var inputs: [[UInt8]] = []
        var members: [[UInt8]] = []
        for index in 0..<1000 {
            // Mix compressible JSON slices, random bytes and empty bodies, so a stale
            // dictionary or leftover state from the previous member would show.
            let input: [UInt8] = switch index % 4 {
            case 0: Array(sampleClientJSON.prefix(Int.random(in: 0...sampleClientJSON.count, using: &generator)))
            case 1: randomBytes(Int.random(in: 0...3000, using: &generator), seed: UInt64(index))
            case 2: sampleClientJSON + Array(repeating: UInt8(index & 0xFF), count: index)
            default: index % 100 == 3 ? [] : Array(sampleClientJSON.suffix(index))
            }
            let member = gzip(input, with: deflater)
            // The trailer carries CRC-32 and length of this input alone.
            #expect(littleEndianUInt32(member.suffix(8).prefix(4)) == crc32(input))
            #expect(littleEndianUInt32(member.suffix(4)) == UInt32(input.count))
            inflater.reset()
            #expect(try gunzip([member], with: inflater) == input, "member \(index)")
            inputs.append(input)
            members.append(member)
        }
        // One run of the system tool checks every member's CRC independently of zlib's inflate.
        let decoded = try runSystemGzip(["-dc"], input: members.flatMap { $0 })
        #expect(decoded == inputs.flatMap { $0 })
    }

    @Test("incompressible and large inputs fit the deflateBound-sized output")
    func incompressibleAndLargeInputs() throws {
        let deflater = try GzipDeflater(level: 9)
        let noise = randomBytes(300_000, seed: 7)
        let noisy = gzip(noise, with: deflater)
        #expect(noisy.count > noise.count, "random bytes cannot shrink; stored blocks add a little")
        #expect(try gunzip(noisy) == noise)

        let large = Array((0..<400).map { _ in sampleClientJSON }.joined())
        #expect(try gunzip(gzip(large, with: deflater), limit: large.count) == large)
    }
}

@Suite("GzipEncoder")
struct GzipEncoderTests {
    @Test("the window follows nginx's rule: the smallest that holds the body and zlib's lookahead",
          arguments: [
              (0, 9), (1, 9), (249, 9), (250, 10), (264, 10), (761, 10), (762, 11), (1325, 11),
              (1785, 11), (1786, 12), (3833, 12), (3834, 13), (16121, 14), (16122, 15), (1 << 20, 15),
          ] as [(Int, Int32)])
    func windowFitsTheBody(length: Int, bits: Int32) {
        #expect(GzipEncoder.windowBits(forLength: length) == bits)
        #expect(GzipEncoder.memoryLevel(forWindowBits: bits) == max(1, bits - 7))
    }

    @Test("window and memory level outside zlib's ranges are refused")
    func badWindowsAreRefused() {
        #expect(throws: CompressionError.invalidWindow) { try GzipDeflater(level: 1, windowBits: 8) }
        #expect(throws: CompressionError.invalidWindow) { try GzipDeflater(level: 1, windowBits: 16) }
        #expect(throws: CompressionError.invalidWindow) { try GzipDeflater(level: 1, memoryLevel: 0) }
        #expect(throws: CompressionError.invalidWindow) { try GzipDeflater(level: 1, memoryLevel: 10) }
        #expect(throws: CompressionError.invalidLevel) { try GzipEncoder(level: 0) }
    }

    @Test("bodies of every window size, interleaved, each decode to themselves", arguments: [1, 6, 9] as [Int32])
    func interleavedSizesRoundTrip(level: Int32) throws {
        let encoder = try GzipEncoder(level: level)
        var generator = SystemRandomNumberGenerator()
        let words = ["\"id\":", "\"email\":\"a@b.example\",", "\"notes\":null,", "1.50,", "{\"Client\":", "عميل,"]
        var lengths = [0, 1, 100, 264, 900, 1325, 3000, 9000, 20000, 70000]
        lengths += lengths.reversed()
        for length in lengths {
            var body: [UInt8] = []
            while body.count < length {
                body += Array(words[Int.random(in: 0..<words.count, using: &generator)].utf8)
            }
            body = Array(body.prefix(length))
            var out: [UInt8] = []
            try body.withUnsafeBytes { try encoder.compress($0, into: &out) }
            #expect(out.prefix(2) == [0x1F, 0x8B])
            #expect(try gunzip(out) == body, "length \(length)")
        }
    }

    @Test("a small window compresses a small body as well as the full one does")
    func smallWindowsLoseNothingOnSmallBodies() throws {
        let body = Array(#"{"id":"1","email":"client@example.com","business_name":"Acme Trading","first_name":"Sara","last_name":"Haddad","address1":"12 Nile Street","city":"Cairo","notes":"VIP client, prefers email, VIP since 2019"}"#.utf8)
        var small: [UInt8] = []
        var full: [UInt8] = []
        try body.withUnsafeBytes { try GzipEncoder(level: 1).compress($0, into: &small) }
        body.withUnsafeBytes { try! GzipDeflater(level: 1).compress($0, into: &full) }
        #expect(try gunzip(small) == body)
        #expect(small.count <= full.count + 8)
    }
}
