import Projection

/// The UTF-8 bytes of a test string.
func utf8(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// Extracts the client from `document` and renders it, as the gateway does.
func project(
    _ document: [UInt8],
    fields: String? = nil,
    allowed: Set<String>? = nil
) throws -> String {
    let selection = try fields.map { try FieldSelection.parse(Substring($0)) }
    return try document.withUnsafeBytes { bytes in
        let client = try ClientExtractor.extract(bytes)
        var out: [UInt8] = []
        ClientProjection.render(client, from: bytes, selecting: selection, allowed: allowed, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

func project(_ document: String, fields: String? = nil, allowed: Set<String>? = nil) throws -> String {
    try project(utf8(document), fields: fields, allowed: allowed)
}

/// The result of `ClientExtractor.extract` on `document`.
func extract(_ document: [UInt8]) -> Result<ClientObject, ProjectionError> {
    document.withUnsafeBytes { bytes in
        Result { () throws(ProjectionError) in try ClientExtractor.extract(bytes) }
    }
}

func extract(_ document: String) -> Result<ClientObject, ProjectionError> {
    extract(utf8(document))
}

/// The result of `JSONScanner.validate` on `document`.
func validate(_ document: [UInt8]) -> Result<Range<Int>, ProjectionError> {
    document.withUnsafeBytes { bytes in
        Result { () throws(ProjectionError) in try JSONScanner.validate(bytes) }
    }
}

/// Wraps a client object's text in the usual Daftra envelope.
func envelope(_ client: String) -> String {
    #"{"code":200,"result":"successful","data":{"Client":"# + client + "}}"
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension ProjectionError {
    /// The reason of an `invalidJSON` error, nil otherwise.
    var reason: String? {
        if case .invalidJSON(_, let reason) = self { return reason }
        return nil
    }

    var offset: Int? {
        if case .invalidJSON(let offset, _) = self { return offset }
        return nil
    }
}
