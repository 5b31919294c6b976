/// One member of the upstream `data.Client` object, located in the document.
public struct ClientMember: Equatable, Sendable {
    /// The decoded key, used to match `?fields=` and allow-lists (byte-exact, no
    /// Unicode normalisation).
    public let name: String
    /// The key's string token, quotes and escapes included, exactly as upstream.
    public let nameRange: Range<Int>
    /// The member's value bytes exactly as upstream (nested whitespace included).
    public let valueRange: Range<Int>
    /// Whether the key token holds escapes; without them, the bytes between its
    /// quotes are `name`'s bytes, and lookups compare those instead of the string.
    public let nameHasEscapes: Bool
}

/// The upstream `data.Client` object: where it lies and its members.
public struct ClientObject: Equatable, Sendable {
    /// The members of `data.Client` in upstream order. A key upstream repeats
    /// appears as many times as upstream wrote it.
    public let members: [ClientMember]
    /// The bytes of the whole `data.Client` object, braces included.
    public let range: Range<Int>
}

/// Finds `data.Client` in an upstream body while validating the whole body.
public enum ClientExtractor {
    /// The most members `data.Client` may have. A Daftra client has about fifty;
    /// the bound keeps a hostile upstream's `{"":0,"":0,…}` (one member per five
    /// bytes, 56 bytes of ``ClientMember`` each) from turning an 8 MiB body into
    /// about 100 MB of member list.
    public static let maxClientMembers = 4_096

    /// Validates `document` as one JSON text and locates its `data.Client` object
    /// in the same pass.
    ///
    /// Validation covers the whole document, so a broken byte after the client
    /// still fails. Keys are matched after unescaping (`"d\u0061ta"` is `data`).
    /// A second `data` key at the top level, or a second `Client` key inside
    /// `data`, is rejected as ambiguous: parsers disagree on which copy wins, and
    /// the gateway must not guess which client it is showing. Repeated keys
    /// elsewhere, including inside `Client`, are left alone.
    ///
    /// - Throws: ``ProjectionError/invalidJSON(offset:reason:)`` for a body that
    ///   is not valid JSON (checked first), ``ProjectionError/missingClient`` for
    ///   a valid body without a `data.Client` object.
    public static func extract(_ document: UnsafeRawBufferPointer) throws(ProjectionError) -> ClientObject {
        var scanner = JSONScanner(document)
        scanner.skipDocumentStart()
        let client: ClientObject?
        if scanner.peek == UInt8(ascii: "{") {
            client = try scanEnvelope(&scanner)
        } else {
            _ = try scanner.scanValue()
            client = nil
        }
        try scanner.finishDocument()
        guard let client else { throw .missingClient }
        return client
    }

    /// Walks the top-level object, descending into `data` when it is an object.
    private static func scanEnvelope(_ scanner: inout JSONScanner) throws(ProjectionError) -> ClientObject? {
        var client: ClientObject?
        var sawData = false
        guard try scanner.enterObject() else { return nil }
        repeat {
            let key = try scanner.scanKey()
            if scanner.string(key.token, hasEscapes: key.hasEscapes, equals: "data") {
                if sawData {
                    throw .invalidJSON(offset: key.token.lowerBound, reason: "duplicate \"data\" key")
                }
                sawData = true
                if scanner.peek == UInt8(ascii: "{") {
                    client = try scanData(&scanner)
                    continue
                }
            }
            _ = try scanner.scanValue()
        } while try scanner.nextMember()
        return client
    }

    /// Walks the `data` object, collecting `Client` when it is an object.
    private static func scanData(_ scanner: inout JSONScanner) throws(ProjectionError) -> ClientObject? {
        var client: ClientObject?
        var sawClient = false
        guard try scanner.enterObject() else { return nil }
        repeat {
            let key = try scanner.scanKey()
            if scanner.string(key.token, hasEscapes: key.hasEscapes, equals: "Client") {
                if sawClient {
                    throw .invalidJSON(offset: key.token.lowerBound, reason: "duplicate \"Client\" key")
                }
                sawClient = true
                if scanner.peek == UInt8(ascii: "{") {
                    client = try scanClient(&scanner)
                    continue
                }
            }
            _ = try scanner.scanValue()
        } while try scanner.nextMember()
        return client
    }

    private static func scanClient(_ scanner: inout JSONScanner) throws(ProjectionError) -> ClientObject {
        let start = scanner.position
        var members: [ClientMember] = []
        if try scanner.enterObject() {
            // Daftra clients carry about fifty members; one allocation covers them.
            members.reserveCapacity(64)
            // Upstream sends the documented members in documented order, extras
            // in between: the next key is usually the documented name after the
            // last one matched, and reusing that string saves building one.
            let documented = ClientFields.documented
            let documentedUTF8 = ClientFields.documentedUTF8
            var next = 0
            repeat {
                guard members.count < maxClientMembers else {
                    throw .invalidJSON(offset: scanner.position, reason: "more than \(maxClientMembers) members in data.Client")
                }
                let key = try scanner.scanKey()
                let value = try scanner.scanValue()
                let name: String
                if next < documented.count, !key.hasEscapes,
                   scanner.string(key.token, equals: documentedUTF8[next]) {
                    name = documented[next]
                    next += 1
                } else {
                    name = scanner.decodedString(of: key.token, hasEscapes: key.hasEscapes)
                }
                members.append(ClientMember(name: name, nameRange: key.token, valueRange: value, nameHasEscapes: key.hasEscapes))
            } while try scanner.nextMember()
        }
        return ClientObject(members: members, range: start..<scanner.position)
    }
}
