import HTTP1
import Testing

@testable import Gateway

/// What an upstream 429's `Retry-After` becomes on the gateway's 429.
@Suite struct RetryAfterTests {
    static let cases: [(String?, String)] = [
        (nil, "1"),
        ("7", "7"),
        ("120", "120"),
        ("0", "1"),
        ("000", "1"),
        ("0042", "0042"),
        ("9999999999", "9999999999"),
        ("99999999999", "1"),
        ("", "1"),
        ("-5", "1"),
        ("1.5", "1"),
        (" 7", "1"),
        ("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("Mon, 30 Nov 2026 23:59:60 GMT", "Mon, 30 Nov 2026 23:59:60 GMT"),
        ("xxxxxxxxxxxxxxxxxxxxxxxxx GMT", "1"),
        ("Sun, 06 Nov 1994 08:49:37 UTC", "1"),
        ("Sunday, 06-Nov-94 08:49:37 GMT", "1"),
        ("Sun, 32 Nov 1994 08:49:37 GMT", "1"),
        ("Sun, 06 Nox 1994 08:49:37 GMT", "1"),
        ("Sun, 06 Nov 1994 24:49:37 GMT", "1"),
        ("Sun, 06 Nov 1994 08:60:37 GMT", "1"),
        ("Sun, 06 Nov 19a4 08:49:37 GMT", "1"),
        ("Sun,  6 Nov 1994 08:49:37 GMT", "1"),
        ("Sun Nov  6 08:49:37 1994", "1"),
        ("7\r\nX-Evil: 1", "1"),
        ("-1000000000000000000000000 GMT", "1"),
        ("Sun, 00 Nov 1994 08:49:37 GMT", "1"),
        ("Sun,_06 Nov 1994 08:49:37 GMT", "1"),
        ("Sun, 06 Foo 1994 08:49:37 GMT", "1"),
    ]

    @Test(arguments: cases)
    func upstreamValuesArePassedOnOnlyWhenPlausible(upstream: String?, expected: String) {
        var headers = HTTPHeaders()
        if let upstream { headers.add(name: "Retry-After", value: upstream) }
        #expect(UpstreamFailureMapping.retryAfter(headers) == expected)
    }

    @Test func a429WithoutRetryAfterSaysOneSecond() {
        let error = UpstreamFailureMapping.error(forStatus: 429, headers: HTTPHeaders())
        #expect(error.headers.map(\.0) == ["Retry-After"] && error.headers.map(\.1) == ["1"])
    }
}
