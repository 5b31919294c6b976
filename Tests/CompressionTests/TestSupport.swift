import Compression
import Foundation
import Testing

/// A Daftra-shaped client object (about 1.4 KB), escaped the way PHP's json_encode does.
let sampleClientJSON: [UInt8] = Array(#"""
{"id":"512","is_offline":"0","client_number":"0000715","staff_id":"3","business_name":"Nile Delta Trading Co.","first_name":"\u0623\u062d\u0645\u062f","last_name":"\u0645\u0646\u0635\u0648\u0631","email":"ahmed.mansour@niledelta.example","address1":"14 El Tahrir St.","address2":"Floor 3, Office 12","city":"Cairo","state":"Cairo Governorate","postal_code":"11511","phone1":"+20 2 2795 1234","phone2":"","country_code":"EG","notes":"Prefers invoices in Arabic. Net 30. Contact before 2pm.","active_secondary_address":"0","secondary_name":"","secondary_address1":"","secondary_address2":"","secondary_city":"","secondary_state":"","secondary_postal_code":"","secondary_country_code":"","default_currency_code":"EGP","last_login":"2024-03-18 09:41:27","suspend":"0","last_ip":"197.45.12.201","created":"2019-11-04 13:22:05","modified":"2024-03-18 09:41:27","follow_up_status":null,"category":"Wholesale","group_price_id":"2","timezone":"Africa\/Cairo","bn1":"312-456-789","bn1_label":"Tax ID","bn2_label":"Commercial Register","bn2":"CR-88213","starting_balance":"1500.50","type":"3","birth_date":null,"gender":null,"map_location":"30.0444,31.2357,15","credit_limit":"25000.00","credit_period":"30","branch_id":"1","language_code":"ara","photo":"https:\/\/cdn.daftra.example\/files\/clients\/512\/logo.png","national_id":""}
"""#.utf8)

/// A deterministic pseudo-random generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(state: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// One gzip member of `input`, from the given deflater.
func gzip(_ input: [UInt8], with deflater: GzipDeflater) -> [UInt8] {
    var out: [UInt8] = []
    input.withUnsafeBytes { deflater.compress($0, into: &out) }
    return out
}

/// One gzip member of `input` from a fresh deflater at `level`.
func gzip(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
    try gzip(input, with: GzipDeflater(level: level))
}

/// Feeds one chunk; `withUnsafeBytes` only rethrows untyped errors, so the typed error
/// is carried out through a `Result`.
func feed(_ chunk: ArraySlice<UInt8>, to inflater: GzipInflater, into out: inout [UInt8]) throws(CompressionError) {
    try chunk.withUnsafeBytes { bytes in
        Result { () throws(CompressionError) in try inflater.feed(bytes, into: &out) }
    }.get()
}

/// Feeds `chunks` in order and finishes, returning everything decoded.
func gunzip(_ chunks: [[UInt8]], with inflater: GzipInflater) throws(CompressionError) -> [UInt8] {
    var out: [UInt8] = []
    for chunk in chunks {
        try feed(chunk[...], to: inflater, into: &out)
    }
    try inflater.finish()
    return out
}

/// Decodes a whole body with a fresh inflater.
func gunzip(_ body: [UInt8], limit: Int = 8 << 20) throws(CompressionError) -> [UInt8] {
    try gunzip([body], with: GzipInflater(limit: limit))
}

/// The CRC-32 (IEEE, reflected) that a gzip trailer carries; written out to check zlib's.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
    }
    return ~crc
}

func littleEndianUInt32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
}

/// Runs the system's `gzip` on a temporary file holding `input` and returns its stdout.
///
/// This is an implementation independent of our Swift code, proving that what we write
/// is real gzip and that we read what the standard tool writes.
func runSystemGzip(_ arguments: [String], input: [UInt8], fileName: String = "body") throws -> [UInt8] {
    let tool = try #require(
        ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) },
        "the gzip tool is needed to cross-check the codec"
    )
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("compression-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent(fileName)
    try Data(input).write(to: file)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments + [file.path]
    let stdout = Pipe()
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "gzip \(arguments) exited with \(process.terminationStatus)")
    return Array(output)
}
