import Logging

// Not a symlink: stand-ins for what the linked files use from the rest of
// Gateway, where the real thing would pull in much more (JSONLogValue.swift
// needs the JSON log writer). Nothing the fuzz targets check depends on them.

extension Logger.MetadataValue {
    /// Stands in for `jsonNull` of Sources/Gateway/Observability/JSONLogValue.swift
    /// (used by GatewayConfiguration.effectiveMetadata).
    static var jsonNull: Logger.MetadataValue { .string("null") }
}
