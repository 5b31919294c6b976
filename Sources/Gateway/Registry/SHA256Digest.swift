import COpenSSL

/// A SHA-256 digest held as four machine words: fixed size, no allocation, and
/// cheap to compare without branching on the contents.
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    // Big-endian words of the digest, so `w0` holds bytes 0–7.
    let w0: UInt64
    let w1: UInt64
    let w2: UInt64
    let w3: UInt64

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// The digest of `bytes`, computed by OpenSSL's libcrypto.
    public init(hashing bytes: UnsafeRawBufferPointer) {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { raw in
            let md = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // An empty buffer may have a nil base address; SHA256 needs a valid pointer
            // even for zero bytes.
            var empty: UInt8 = 0
            if let base = bytes.baseAddress, bytes.count > 0 {
                _ = SHA256(base.assumingMemoryBound(to: UInt8.self), bytes.count, md)
            } else {
                _ = SHA256(&empty, 0, md)
            }
        }
        w0 = UInt64(bigEndian: out.0)
        w1 = UInt64(bigEndian: out.1)
        w2 = UInt64(bigEndian: out.2)
        w3 = UInt64(bigEndian: out.3)
    }

    /// The digest of the UTF-8 bytes of `string`.
    public init(hashing string: String) {
        var string = string
        self = string.withUTF8 { SHA256Digest(hashing: UnsafeRawBufferPointer($0)) }
    }

    /// Parses exactly 64 hexadecimal digits, either case (tools differ: `sha256sum`
    /// prints lower case, PowerShell's `Get-FileHash` upper); anything else is `nil`.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in utf8.enumerated() {
            let nibble: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            words[index / 16] = words[index / 16] << 4 | nibble
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// 64 lower-case hexadecimal digits.
    public var hex: String {
        var out = ""
        out.reserveCapacity(64)
        for word in [w0, w1, w2, w3] {
            let digits = String(word, radix: 16)
            out += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return out
    }

    /// The hex digits: a digest is not secret (that is the point of storing it).
    public var description: String { hex }

    /// All ones when `self == other`, zero otherwise, computed from every bit of
    /// both digests without a data-dependent branch.
    @inline(__always)
    func equalityMask(_ other: SHA256Digest) -> UInt64 {
        let diff = (w0 ^ other.w0) | (w1 ^ other.w1) | (w2 ^ other.w2) | (w3 ^ other.w3)
        // (diff | -diff) has its top bit set exactly when diff != 0.
        let nonZero = (diff | (0 &- diff)) >> 63
        return nonZero &- 1
    }
}
