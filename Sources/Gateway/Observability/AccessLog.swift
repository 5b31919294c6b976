import Logging

/// Where the one access line per request goes: an `info` event with the
/// message `request` and an ``AccessLogRecord``.
///
/// When the logger's handler is a ``JSONLogHandler`` that adds nothing of its
/// own to a line (``JSONLogHandler/writesRecordsAlone``, the gateway's set-up)
/// the line is written straight into that handler's sink: the bytes the handler
/// would write for the event, without building the `LogEvent`, copying the
/// handler out of the logger's existential box and casting the record back out
/// of the metadata, which cost about 1 700 of a `/livez` request's 23 000
/// instructions (callgrind). Any other handler gets the event through the
/// logger, the record carried as metadata (``JSONLogRecord/withMetadata(_:)``).
///
/// The handler is taken when the access log is made: a `Logger` is a value, so
/// later changes to the caller's copy never reached this one anyway. A class,
/// so that every request holds one reference rather than a copy of the logger
/// (a copy retains and releases each of its fields, twice per request).
public final class AccessLog: Sendable {
    /// The message of every access line.
    static let message = "request"

    /// The logger the lines are for.
    public let logger: Logger
    /// The handler's sink and level, when lines bypass the logger.
    private let direct: (sink: LogSink, level: Logger.Level)?

    /// The access log of `logger`.
    public init(logger: Logger) {
        self.logger = logger
        if let handler = logger.handler as? JSONLogHandler, handler.writesRecordsAlone {
            direct = (handler.sink, handler.logLevel)
        } else {
            direct = nil
        }
    }

    /// Whether lines bypass the logger (tests check both ways).
    var writesDirectly: Bool { direct != nil }

    /// Writes `record`'s line, if the logger's level lets `info` through.
    public func write(_ record: AccessLogRecord) {
        if let direct {
            guard direct.level <= .info else { return }
            JSONLogHandler.writeRecordLine(record, level: .info, message: Self.message, to: direct.sink)
        } else {
            record.withMetadata { logger.info("\(Self.message)", metadata: $0) }
        }
    }
}
