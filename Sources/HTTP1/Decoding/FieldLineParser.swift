/// Parses the field lines of a head or trailer section (RFC 9112 §5,
/// RFC 9110 §5.5).
enum FieldLineParser {
    /// Parses a head's field lines into `headers`, collecting in the same pass
    /// the fields that decide framing and persistence. `section` holds
    /// complete field lines, each ending in CRLF, and nothing else.
    static func parse(
        _ section: UnsafeRawBufferPointer,
        into headers: inout HTTPHeaders,
        framing: inout FramingFields
    ) throws(HTTPParseError) {
        try forEachField(in: section) { (name, value, valueRange, sawNonASCII) throws(HTTPParseError) in
            try framing.note(name: name, value: value, valueRange: valueRange)
            let valueString: String
            if sawNonASCII {
                // obs-text is opaque; only UTF-8 can be carried as a String
                // without changing the bytes that may be forwarded later.
                guard let decoded = String(validating: value, as: UTF8.self) else {
                    throw .badRequest("field value is not valid UTF-8")
                }
                valueString = decoded
            } else {
                valueString = String(decoding: value, as: UTF8.self)
            }
            let nameString = CommonStrings.fieldName(name) ?? String(decoding: name, as: UTF8.self)
            headers.add(name: nameString, value: valueString)
        }
    }

    /// Checks the syntax of field lines that are then dropped: trailers and
    /// interim responses. Nothing in them can change framing (RFC 9110 §6.5.1).
    static func validate(_ section: UnsafeRawBufferPointer) throws(HTTPParseError) {
        try forEachField(in: section) { _, _, _, _ in }
    }

    /// ``validate(_:)`` for a trailer section, which also refuses
    /// Content-Length and Transfer-Encoding: RFC 9110 §6.5.1 forbids sending
    /// framing fields as trailers, so one there can only be a smuggling
    /// attempt aimed at a parser that merges trailers into the header section
    /// (llhttp rejects them too).
    static func validateTrailers(_ section: UnsafeRawBufferPointer) throws(HTTPParseError) {
        try forEachField(in: section) { (name, _, _, _) throws(HTTPParseError) in
            if ASCII.equalsCaseInsensitive(name, "content-length") || ASCII.equalsCaseInsensitive(name, "transfer-encoding") {
                throw .badRequest("framing field in trailer section")
            }
        }
    }

    /// Calls `body` with each field's name, trimmed value, the value's range
    /// in `section`, and whether the value has non-ASCII bytes.
    @inline(__always)
    private static func forEachField(
        in section: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Range<Int>, Bool) throws(HTTPParseError) -> Void
    ) throws(HTTPParseError) {
        let end = section.count
        var i = 0
        while i < end {
            let nameStart = i
            // Every line ends in CRLF and CR is not a tchar, so this stops in bounds.
            while ASCII.isTchar(section[i]) { i &+= 1 }
            let nameEnd = i
            guard section[i] == ASCII.colon else {
                throw nameError(section[i], atLineStart: i == nameStart)
            }
            guard nameEnd > nameStart else {
                throw .badRequest("empty field name")
            }
            i &+= 1
            while ASCII.isWhitespace(section[i]) { i &+= 1 }
            let valueStart = i
            var sawNonASCII = false
            // The line's CR stops the loop; a CR inside the value is caught below.
            while true {
                i = ASCII.skipPlainFieldBytes(section, from: i)
                let b = section[i]
                if b == ASCII.cr { break }
                guard ASCII.isFieldValueByte(b) else {
                    throw .badRequest("invalid character in field value")
                }
                sawNonASCII = sawNonASCII || b >= 0x80
                i &+= 1
            }
            var valueEnd = i
            while valueEnd > valueStart, ASCII.isWhitespace(section[valueEnd &- 1]) { valueEnd &-= 1 }
            guard i &+ 1 < end, section[i &+ 1] == ASCII.lf else {
                throw .badRequest("bare CR in field line")
            }
            i &+= 2
            try body(
                section.slice(nameStart..<nameEnd),
                section.slice(valueStart..<valueEnd),
                valueStart..<valueEnd,
                sawNonASCII
            )
        }
    }

    private static func nameError(_ b: UInt8, atLineStart: Bool) -> HTTPParseError {
        if ASCII.isWhitespace(b) {
            // RFC 9112 §5.2 lets a server reject obs-fold with 400; §5.1
            // requires rejecting whitespace between name and colon.
            return .badRequest(atLineStart ? "obsolete line folding" : "whitespace before colon in field line")
        }
        if b == ASCII.cr {
            return .badRequest(atLineStart ? "bare CR in field line" : "field line without colon")
        }
        return .badRequest("invalid character in field name")
    }
}
