#if canImport(Glibc)
import Glibc
#endif
import HTTP1

// The gateway's side of scripts/differential.sh. Reads cases from stdin, each
// a 4-byte little-endian length and that many bytes; decodes each with
// HTTPRequestDecoder (default limits) as HTTPServerConnection does: the whole
// buffer at once, stopping after a request that does not keep the connection
// alive (the server parses nothing after it). Prints one line per case:
//   A <tab> messages                  every byte used, or ignored after a closing request
//   I <tab> messages                  valid so far, more bytes needed
//   R <tab> messages <tab> status <tab> reason
// where messages is `;`-separated `span,method,target,version,keepAlive,body`:
// span is the message's length on the wire (leading empty lines included),
// method and target are hex so no byte breaks the format, body is its length.

func readAll() -> [UInt8] {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data += chunk[0..<n]
    }
    return data
}

func hex(_ s: String) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in s.utf8 { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
    return String(decoding: out, as: UTF8.self)
}

/// Decodes one case; returns its output line.
func verdict(_ message: [UInt8]) -> String {
    var decoder = HTTPRequestDecoder()
    var messages: [String] = []
    var offset = 0
    var start = 0
    var head: HTTPRequestHead?
    var body = 0
    return message.withUnsafeBytes { bytes in
        while true {
            let step: (consumed: Int, event: HTTPRequestEvent?)
            do throws(HTTPParseError) {
                step = try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch {
                return "R\t\(messages.joined(separator: ";"))\t\(error.status)\t\(error.reason)"
            }
            offset += step.consumed
            switch step.event {
            case .head(let h)?:
                head = h
                body = 0
            case .body(let range)?:
                body += range.count
            case .end?:
                guard let h = head else { fatalError("end without head") }
                messages.append("\(offset - start),\(hex(h.method)),\(hex(h.target)),\(h.version),\(h.keepAlive ? 1 : 0),\(body)")
                start = offset
                head = nil
                if !h.keepAlive {
                    return "A\t\(messages.joined(separator: ";"))"
                }
            case nil:
                let complete = offset == bytes.count && head == nil && !messages.isEmpty
                return "\(complete ? "A" : "I")\t\(messages.joined(separator: ";"))"
            }
        }
    }
}

let input = readAll()
var offset = 0
var output = ""
while offset + 4 <= input.count {
    let length = Int(input[offset]) | Int(input[offset + 1]) << 8 | Int(input[offset + 2]) << 16 | Int(input[offset + 3]) << 24
    offset += 4
    guard offset + length <= input.count else { fatalError("truncated case") }
    output += verdict(Array(input[offset..<offset + length])) + "\n"
    offset += length
    if output.utf8.count > 1 << 16 {
        print(output, terminator: "")
        output = ""
    }
}
print(output, terminator: "")
