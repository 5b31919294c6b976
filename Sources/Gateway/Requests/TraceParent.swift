/// A W3C Trace Context `traceparent` header (version 00):
/// `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`, every hex digit
/// lowercase (the spec's HEXDIGLC: a value with an uppercase digit is invalid
/// and "vendors MUST ignore" it). Version ff and all-zero ids are invalid too.
/// Only a valid one is passed upstream and logged; anything else is dropped,
/// as the spec asks.
///
/// A later version (01–fe) may append fields after the flags (§3.2.4): its first
/// four fields are read when the 56th character is `-`, and what goes upstream
/// is those fields as version 00, the version this gateway speaks.
public struct TraceParent: Sendable, Equatable {
    /// The header value to send on, as version 00.
    public let header: String
    /// The 32 hex digits of the trace id (the log's `trace_id`).
    public let traceID: String

    public init?(header value: String) {
        let bytes = Array(value.utf8)
        // version(2) - trace-id(32) - parent-id(16) - flags(2)
        guard bytes.count >= 55, bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D else { return nil }
        func hex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard hex(0..<2), hex(3..<35), hex(36..<52), hex(53..<55) else { return nil }
        // Version ff is invalid; the all-zero ids are invalid.
        guard !(bytes[0] == 0x66 && bytes[1] == 0x66) else { return nil }
        let version00 = bytes[0] == 0x30 && bytes[1] == 0x30
        // Version 00 is exactly 55 characters; a later one may go on after a dash.
        guard bytes.count == 55 || (!version00 && bytes[55] == 0x2D) else { return nil }
        guard bytes[3..<35].contains(where: { $0 != 0x30 }), bytes[36..<52].contains(where: { $0 != 0x30 }) else {
            return nil
        }
        header = "00" + String(decoding: bytes[2..<55], as: UTF8.self)
        traceID = String(decoding: bytes[3..<35], as: UTF8.self)
    }
}
