import Testing
@testable import Gateway

@Suite("Duration syntax of the command line")
struct DurationParsingTests {
    @Test("accepted durations", arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("0ms", .zero),
        ("0s", .zero),
        ("1ms", .milliseconds(1)),
        ("1500ms", .milliseconds(1_500)),
        ("2s", .seconds(2)),
        ("007s", .seconds(7)),
        ("1m", .seconds(60)),
        ("90m", .seconds(5_400)),
        ("1h", .seconds(3_600)),
        ("24h", .seconds(86_400)),
        ("1440m", .seconds(86_400)),
        ("86400000ms", .seconds(86_400)),
    ])
    func accepted(text: String, expected: Duration) throws {
        #expect(try GatewayDuration.parse(text) == expected)
    }

    @Test("refused durations say why", arguments: [
        ("", DurationSyntaxError.empty),
        ("10", .missingUnit),
        ("1.5s", .fraction),
        ("0.25s", .fraction),
        ("2 s", .unknownUnit),
        ("2S", .unknownUnit),
        ("2sec", .unknownUnit),
        ("2s ", .unknownUnit),
        ("1d", .unknownUnit),
        ("5us", .unknownUnit),
        ("2ms2", .unknownUnit),
        ("-1s", .notANumber),
        ("+1s", .notANumber),
        (" 2s", .notANumber),
        ("ms", .notANumber),
        ("s", .notANumber),
        ("٣s", .notANumber),
        ("25h", .tooLong),
        ("86400001ms", .tooLong),
        ("1441m", .tooLong),
        ("99999999999999999999s", .tooLong),
    ])
    func refused(text: String, expected: DurationSyntaxError) {
        #expect(throws: expected) { try GatewayDuration.parse(text) }
    }

    @Test("every refusal reads as one line that shows the grammar or the limit")
    func reasons() {
        let all: [DurationSyntaxError] = [.empty, .notANumber, .missingUnit, .unknownUnit, .fraction, .tooLong]
        for error in all {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("250ms") || error.description.contains("24h")
                || error.description.contains("1500ms"))
        }
        #expect(Set(all.map(\.description)).count == all.count)
    }

    @Test("format picks the largest exact unit", arguments: [
        (Duration.zero, "0s"),
        (.milliseconds(250), "250ms"),
        (.milliseconds(1_500), "1500ms"),
        (.seconds(2), "2s"),
        (.seconds(90), "90s"),
        (.seconds(120), "2m"),
        (.seconds(7_200), "2h"),
        (.seconds(5_400), "90m"),
    ])
    func format(duration: Duration, expected: String) {
        #expect(GatewayDuration.format(duration) == expected)
    }

    @Test("format of a sub-millisecond duration does not pretend to be exact")
    func formatSubMillisecond() {
        let text = GatewayDuration.format(.microseconds(1_500))
        #expect(text != "1ms" && text != "2ms")
        #expect(throws: (any Error).self) { try GatewayDuration.parse(text) }
    }

    @Test("format and parse round-trip")
    func roundTrip() throws {
        for milliseconds in [0, 1, 999, 1_000, 1_001, 59_999, 60_000, 61_000, 3_600_000, 3_660_000, 86_400_000] {
            let duration = Duration.milliseconds(milliseconds)
            #expect(try GatewayDuration.parse(GatewayDuration.format(duration)) == duration)
        }
    }
}
