import FuzzKit
import FuzzMain
@testable import GatewayParsers
import HTTP1
import Upstream

// What the gateway takes from an upstream's failed answer: the status and
// Retry-After (UpstreamFailureMapping.retryAfter, error(forStatus:headers:),
// error(for:)). The input is cut at LF: line 0 is the first Retry-After value,
// line 1 (if any) a second one, line 2 a status; the whole input is tried as a
// value too.

func bytes(_ s: some StringProtocol) -> [UInt8] { Array(s.utf8) }

/// A short run of digits as a number.
func digits(_ b: ArraySlice<UInt8>) -> Int? {
    guard !b.isEmpty, b.count <= 9, b.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return b.reduce(0) { $0 * 10 + Int($1 - 0x30) }
}

/// RFC 9110 §5.6.7 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`: day-name ","
/// SP 2DIGIT day SP month SP 4DIGIT year SP hh ":" mm ":" ss SP "GMT", with day
/// 01–31, hour 00–23, minute 00–59, second 00–60 (leap second).
func isIMFFixdate(_ v: [UInt8]) -> Bool {
    guard v.count == 29 else { return false }
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(bytes)
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map(bytes)
    func at(_ i: Int, _ s: String) -> Bool { Array(v[i..<(i + s.utf8.count)]) == bytes(s) }
    guard days.contains(Array(v[0..<3])), at(3, ", "), let day = digits(v[5..<7]), (1...31).contains(day), at(7, " "),
          months.contains(Array(v[8..<11])), at(11, " "), digits(v[12..<16]) != nil, at(16, " "),
          let hour = digits(v[17..<19]), hour <= 23, at(19, ":"), let minute = digits(v[20..<22]), minute <= 59,
          at(22, ":"), let second = digits(v[23..<25]), second <= 60, at(25, " GMT")
    else { return false }
    return true
}

/// The documented rule: the upstream's first Retry-After when it is
/// delta-seconds (1–10 digits, not all zeros: never "now") or an HTTP-date
/// (IMF-fixdate), else "1".
func referenceRetryAfter(_ first: [UInt8]?) -> [UInt8] {
    guard let first, !first.isEmpty else { return bytes("1") }
    if first.count <= 10, first.allSatisfy({ (0x30...0x39).contains($0) }), first.contains(where: { $0 != 0x30 }) {
        return first
    }
    return isIMFFixdate(first) ? first : bytes("1")
}

func checkRetryAfter(_ values: [String], nameCase: Int) {
    let name = ["Retry-After", "retry-after", "RETRY-AFTER"][nameCase % 3]
    var fields: [(String, String)] = [("Content-Type", "application/json")]
    for value in values { fields.append((name, value)) }
    let headers = HTTPHeaders(fields)
    let got = bytes(UpstreamFailureMapping.retryAfter(headers))
    let expected = referenceRetryAfter(values.first.map(bytes))
    fuzzCheck(got == expected, "Retry-After \(values.map(bytes)): \(got), expected \(expected)")
    // Whatever is sent on: 1–29 visible ASCII bytes, never negative or zero,
    // either delta-seconds or a date.
    fuzzCheck((1...29).contains(got.count) && got.allSatisfy { (0x20...0x7E).contains($0) }, "unsafe value \(got)")
    fuzzCheck(got.contains { $0 != 0x30 }, "Retry-After of zero \(got)")
    fuzzCheck(got.first != UInt8(ascii: "-"), "negative Retry-After \(got)")
    fuzzCheck(got.allSatisfy { (0x30...0x39).contains($0) } || isIMFFixdate(got),
              "Retry-After \(got) is neither delta-seconds nor an HTTP-date")

    // A 429 always carries it, and nothing else does.
    let limited = UpstreamFailureMapping.error(forStatus: 429, headers: headers)
    fuzzCheck(limited.kind == .upstreamRateLimited && limited.headers.count == 1 && limited.headers[0].0 == "Retry-After"
                  && bytes(limited.headers[0].1) == got, "429 headers \(limited.headers)")
}

/// Every status maps to the row the contract names; no upstream byte reaches the detail.
func checkStatus(_ status: Int, headers: HTTPHeaders) {
    let error = UpstreamFailureMapping.error(forStatus: status, headers: headers)
    let expected: GatewayError.Kind = switch status {
    case 401: .upstreamUnauthorized
    case 403: .upstreamForbidden
    case 404: .clientNotFound
    case 429: .upstreamRateLimited
    case 500...599: .upstreamFailed
    default: .upstreamInvalidResponse
    }
    fuzzCheck(error.kind == expected, "status \(status) gives \(error.kind)")
    fuzzCheck((400...599).contains(error.status), "status \(status) answered \(error.status)")
    fuzzCheck(status == 429 || error.headers.isEmpty, "status \(status) adds headers \(error.headers)")
    let bare = UpstreamFailureMapping.error(forStatus: status, headers: HTTPHeaders())
    fuzzCheck(error.detail == bare.detail, "an upstream field changed the detail")
}

let kinds: [UpstreamError.Kind] = [.resolution, .connectTimeout, .unreachable, .tls, .timeout, .invalidResponse, .tooLarge]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpstreamAnswer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let (whole, lines) = fuzzText(input)

    checkRetryAfter([], nameCase: 0)
    checkRetryAfter([whole], nameCase: choices.upTo(2))
    checkRetryAfter(Array(lines.prefix(2)), nameCase: choices.upTo(2))
    // Every date the gateway itself would write, and every whole number of 1-10 digits, is kept.
    let seconds = Int64(truncatingIfNeeded: choices.next() % 400_000_000_000) - 60_000_000_000
    let date = String(decoding: HTTPDate.format(epochSeconds: seconds), as: UTF8.self)
    if (0...9999).contains(HTTPDate.civil(fromDays: seconds / 86_400).year) {
        checkRetryAfter([date], nameCase: 0)
        fuzzCheck(UpstreamFailureMapping.retryAfter(HTTPHeaders([("Retry-After", date)])) == date, "date \(date) dropped")
    }
    let delta = String(choices.next() % 9_999_999_999 + 1)
    fuzzCheck(UpstreamFailureMapping.retryAfter(HTTPHeaders([("Retry-After", delta)])) == delta, "delta \(delta) dropped")

    let status = lines.count > 2 ? Int(lines[2]) ?? choices.upTo(999) : choices.upTo(999)
    checkStatus(status, headers: HTTPHeaders([("Retry-After", lines[0])]))
    for kind in kinds {
        // The reason is for logs only: it never changes what the caller sees.
        let tlsClass = choices.flip() ? "untrusted certificate" : nil
        let error = UpstreamFailureMapping.error(for: UpstreamError(kind, whole, tlsClass: tlsClass))
        fuzzCheck([502, 504].contains(error.status), "\(kind) answered \(error.status)")
        fuzzCheck((error.status == 504) == (kind == .timeout || kind == .connectTimeout), "\(kind) answered \(error.status)")
        let other = UpstreamFailureMapping.error(for: UpstreamError(kind, "-", tlsClass: tlsClass))
        fuzzCheck(error == other, "the upstream reason reached the caller's error")
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzUpstreamAnswer_main")
public func fuzzUpstreamAnswerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzUpstreamAnswer)
}
