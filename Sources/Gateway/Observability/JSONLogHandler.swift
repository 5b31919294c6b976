import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to a ``LogSink``.
///
/// Each line is `{"ts":…,"level":…,"msg":…,…}`: `ts` is RFC 3339 UTC with
/// milliseconds, `level` swift-log's level name, `msg` the message; then the
/// metadata, keys sorted byte-wise (nested dictionaries too), so lines of one
/// kind always read the same. Metadata is the handler's, then the metadata
/// provider's, then the call's; a later source wins on equal keys. An error
/// attached to the event becomes `error` (unless metadata has that key); with
/// `includeLabel`, the logger's label becomes `label` (likewise). Metadata keys
/// `ts`, `level` and `msg` are written as `_ts`, `_level`, `_msg` so a line
/// never has duplicate keys.
///
/// Value types: `.string` → string; `.stringConvertible` holding an integer,
/// `Double`, `Float` or `Bool` → number or boolean (non-finite → null),
/// holding ``LogNull`` → `null`, anything else → string of its description;
/// `.array` / `.dictionary` → array / object.
public struct JSONLogHandler: LogHandler {
    /// The metadata key that carries a ``JSONLogRecord``.
    public static let recordKey = "_record"

    /// The logger's label.
    public let label: String
    /// Whether lines carry the label as `label`.
    public let includeLabel: Bool
    /// Where lines go.
    public let sink: LogSink
    /// Least severe level written; `Logger` filters before calling the handler.
    public var logLevel: Logger.Level
    /// Metadata on every line of this handler.
    public var metadata: Logger.Metadata
    /// Contextual metadata (task-locals, say), read at every line.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label` writing to `sink` at `logLevel` and above.
    public init(
        label: String,
        sink: LogSink,
        logLevel: Logger.Level = .info,
        includeLabel: Bool = false,
        metadata: Logger.Metadata = [:],
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.sink = sink
        self.logLevel = logLevel
        self.includeLabel = includeLabel
        self.metadata = metadata
        self.metadataProvider = metadataProvider
    }

    /// One handler metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Renders the event as one line and hands it to the sink, which never blocks on I/O.
    public func log(event: LogEvent) {
        let now = RFC3339Timestamp.now()
        withLine(event, seconds: now.seconds, milliseconds: now.milliseconds) { _ = sink.append($0) }
    }

    /// Whether this handler adds nothing of its own to a line: no metadata, no
    /// metadata provider, no label. A record's line is then the record alone,
    /// which ``AccessLog`` may write without going through a `Logger`.
    public var writesRecordsAlone: Bool {
        metadata.isEmpty && metadataProvider == nil && !includeLabel
    }

    /// Writes `record`'s line at `level` with `message` to `sink`, as
    /// ``log(event:)`` of a handler that ``writesRecordsAlone`` writes an event
    /// that carries only the record (no level check: the caller made it).
    static func writeRecordLine(_ record: AccessLogRecord, level: Logger.Level, message: String, to sink: LogSink) {
        let now = RFC3339Timestamp.now()
        withRecordLine(record, level: level, message: message, seconds: now.seconds,
                       milliseconds: now.milliseconds) { _ = sink.append($0) }
    }

    /// The line for `event` at the given instant, newline included.
    func render(_ event: LogEvent, seconds: Int64, milliseconds: Int) -> [UInt8] {
        withLine(event, seconds: seconds, milliseconds: milliseconds) { Array($0) }
    }

    /// Lends `use` the line for `event` at the given instant, newline included;
    /// the bytes are valid only during the call.
    func withLine<Result>(_ event: LogEvent, seconds: Int64, milliseconds: Int,
                          use: (UnsafeRawBufferPointer) -> Result) -> Result {
        // The access line, thousands a second: a record and nothing to merge
        // with it, so no dictionary is copied, merged or sorted, nor even hashed
        // (the one member is read at the start index), and the line is built in
        // temporary memory, not an array. The cast is to the concrete type: a
        // cast to a protocol looks the conformance up, which was a third of this
        // function's cost when profiled.
        if writesRecordsAlone, event.error == nil,
           let explicit = event.metadata, explicit.count == 1,
           explicit.keys[explicit.startIndex] == Self.recordKey,
           case .stringConvertible(let value) = explicit.values[explicit.startIndex],
           let access = value as? AccessLogRecord {
            return Self.withRecordLine(
                access, level: event.level, message: event.message.description,
                seconds: seconds, milliseconds: milliseconds, use: use)
        }
        return generalLine(event, seconds: seconds, milliseconds: milliseconds).withUnsafeBytes(use)
    }

    /// Lends `use` the line of `record` alone at `level` with `message`.
    static func withRecordLine<Result>(_ record: AccessLogRecord, level: Logger.Level, message: String,
                                       seconds: Int64, milliseconds: Int,
                                       use: (UnsafeRawBufferPointer) -> Result) -> Result {
        // Room of a size known beforehand, which no write outgrows.
        let bound = lineStartBytes(level, message: message) + 1 + record.maxJSONBytes + 2
        return JSONLineWriter.withLine(maxBytes: bound, { out in
            writeLineStart(level, message: message, seconds: seconds, milliseconds: milliseconds, to: &out)
            out.byte(UInt8(ascii: ","))
            record.writeJSONMembers(to: &out)
            out.raw("}\n")
        }, use: use)
    }

    /// The line for any event: the metadata sources merged, a record's members
    /// first, then the other keys sorted.
    private func generalLine(_ event: LogEvent, seconds: Int64, milliseconds: Int) -> [UInt8] {
        var fields = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            fields.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            if fields.isEmpty { fields = explicit } else { fields.merge(explicit) { _, new in new } }
        }
        if let error = event.error, fields["error"] == nil {
            fields["error"] = .string(String(describing: error))
        }
        if includeLabel, fields["label"] == nil {
            fields["label"] = .string(label)
        }

        var out = Self.lineStart(event, seconds: seconds, milliseconds: milliseconds)
        if case .stringConvertible(let value)? = fields[Self.recordKey], let record = value as? any JSONLogRecord {
            // A record writes its own members, in its own order (see JSONLogRecord).
            fields[Self.recordKey] = nil
            out.append(UInt8(ascii: ","))
            record.appendJSONMembers(to: &out)
        }
        for key in fields.keys.sorted() {
            out.append(UInt8(ascii: ","))
            switch key {
            case "ts", "level", "msg": JSONLogEncoding.appendString("_" + key, to: &out)
            default: JSONLogEncoding.appendString(key, to: &out)
            }
            out.append(UInt8(ascii: ":"))
            // The key comes from the dictionary's own keys.
            JSONLogEncoding.appendValue(fields[key] ?? .jsonNull, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}

extension JSONLogHandler {
    /// `{"ts":…,"level":…,"msg":…` of every line.
    static func lineStart(_ event: LogEvent, seconds: Int64, milliseconds: Int) -> [UInt8] {
        let message = event.message.description
        // 320 bytes more capacity than the start needs: room for the members
        // that follow, so appending them rarely reallocates.
        return JSONLineWriter.line(maxBytes: lineStartBytes(event.level, message: message) + 320) {
            writeLineStart(event.level, message: message, seconds: seconds, milliseconds: milliseconds, to: &$0)
        }
    }

    /// The most bytes ``writeLineStart(_:message:seconds:milliseconds:to:)`` writes.
    static func lineStartBytes(_ level: Logger.Level, message: String) -> Int {
        #"{"ts":""#.utf8.count + RFC3339Timestamp.byteCount + #"","level":"#.utf8.count
            + JSONLineWriter.maxStringBytes(level.rawValue.utf8.count)
            + #","msg":"#.utf8.count + JSONLineWriter.maxStringBytes(message.utf8.count)
    }

    static func writeLineStart(_ level: Logger.Level, message: String, seconds: Int64, milliseconds: Int,
                               to out: inout JSONLineWriter) {
        out.raw(#"{"ts":""#)
        RFC3339Timestamp.write(seconds: seconds, milliseconds: milliseconds, to: &out)
        out.raw(levelMember(level))
        out.raw(#","msg":"#)
        out.string(message)
    }

    /// The level member with the timestamp's closing quote before it, as known
    /// bytes: a level is one of seven names that need no escaping, so no line
    /// (the access line thousands of times a second) tests one for escapes.
    private static func levelMember(_ level: Logger.Level) -> StaticString {
        switch level {
        case .trace: #"","level":"trace""#
        case .debug: #"","level":"debug""#
        case .info: #"","level":"info""#
        case .notice: #"","level":"notice""#
        case .warning: #"","level":"warning""#
        case .error: #"","level":"error""#
        case .critical: #"","level":"critical""#
        }
    }

    private static let bootstrapped = Atomic<Bool>(false)

    /// Makes every `Logger` write JSON lines to `sink` at `level` and above.
    /// `LoggingSystem.bootstrap` may run only once per process; this helper
    /// runs it on the first call and ignores later ones.
    /// - Returns: whether this call installed the handler.
    @discardableResult
    public static func bootstrap(
        level: Logger.Level,
        sink: LogSink,
        includeLabel: Bool = false,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> Bool {
        guard bootstrapped.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return false }
        LoggingSystem.bootstrap({ label, provider in
            JSONLogHandler(
                label: label, sink: sink, logLevel: level, includeLabel: includeLabel, metadataProvider: provider
            )
        }, metadataProvider: metadataProvider)
        return true
    }
}
