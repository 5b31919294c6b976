import HTTP1
import HTTPServer

/// Renders a ``GatewayError`` as an RFC 9457 `application/problem+json` answer.
public enum ProblemResponse {
    /// The answer for `error`, carrying `requestID` in the body and the header.
    public static func make(_ error: GatewayError, requestID: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(160 + error.detail.utf8.count)
        body.append(contentsOf: #"{"type":"#.utf8)
        JSONString.append(error.kind.typeURI, to: &body)
        body.append(contentsOf: #","title":"#.utf8)
        JSONString.append(error.kind.row.title, to: &body)
        body.append(contentsOf: #","status":"#.utf8)
        body.append(contentsOf: String(error.status).utf8)
        body.append(contentsOf: #","detail":"#.utf8)
        JSONString.append(error.detail, to: &body)
        body.append(contentsOf: #","request_id":"#.utf8)
        JSONString.append(requestID, to: &body)
        body.append(UInt8(ascii: "}"))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/problem+json")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Request-Id", value: requestID)
        if error.status == 401 {
            headers.add(name: "WWW-Authenticate", value: "Bearer")
        }
        for (name, value) in error.headers {
            headers.add(name: name, value: value)
        }
        return HTTPResponse(status: error.status, headers: headers, body: body)
    }
}

/// JSON string literal rendering for the few strings the gateway itself writes.
public enum JSONString {
    /// Appends `s` as a quoted JSON string, escaping quotes, backslashes and
    /// control characters.
    public static func append(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
