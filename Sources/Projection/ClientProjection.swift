/// Writes the answer body: the client's members, byte-exact, in upstream order.
public enum ClientProjection {
    /// Appends `{"key":value,...}` to `out`: each member's key token and value
    /// bytes copied exactly as upstream wrote them, in upstream order, with no
    /// whitespace between members.
    ///
    /// A member is written when `selecting` is nil or names it, and `allowed`
    /// (a tenant's allow-list) is nil or names it; names match byte-exactly. A
    /// key upstream repeats is written each time it appears, so the answer
    /// reads as upstream would to any parser.
    ///
    /// - Parameters:
    ///   - client: the result of ``ClientExtractor/extract(_:)`` on `document`.
    ///   - document: the same bytes `client` was extracted from.
    public static func render(
        _ client: ClientObject,
        from document: UnsafeRawBufferPointer,
        selecting: FieldSelection?,
        allowed: Set<String>? = nil,
        into out: inout [UInt8]
    ) {
        precondition(client.range.upperBound <= document.count, "client was extracted from another document")
        // The answer is never longer than the upstream object (it only drops
        // whitespace and members): make that much room at once, copy members
        // straight into it, and cut off the unused tail — no growth check or
        // generic append per member.
        let start = out.count
        let room = client.range.count
        out.append(contentsOf: repeatElement(0, count: room))
        let written = out.withUnsafeMutableBytes { buffer in
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[start...])
            var at = 0
            func write(_ range: Range<Int>) {
                target.baseAddress!.advanced(by: at)
                    .copyMemory(from: document.baseAddress!.advanced(by: range.lowerBound), byteCount: range.count)
                at += range.count
            }
            target[at] = UInt8(ascii: "{")
            at += 1
            for member in client.members {
                if let selecting, !selecting.contains(member, in: document) { continue }
                if let allowed, !allowed.containsExactly(member.name) { continue }
                if at > 1 {  // a member is already written after the `{`
                    target[at] = UInt8(ascii: ",")
                    at += 1
                }
                write(member.nameRange)
                target[at] = UInt8(ascii: ":")
                at += 1
                write(member.valueRange)
            }
            target[at] = UInt8(ascii: "}")
            return at + 1
        }
        out.removeLast(room - written)
    }
}
