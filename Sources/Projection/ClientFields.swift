#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Client fields Daftra documents (see `shared/daftra-api.md`).
///
/// `?fields=` may name any of them even when an upstream record lacks it (the
/// member is then simply omitted); any other name must be present upstream.
public enum ClientFields {
    /// The documented keys, in documented order.
    public static let documented: [String] = [
        "id", "is_offline", "client_number", "staff_id", "business_name", "first_name",
        "last_name", "email", "address1", "address2", "city", "state", "postal_code",
        "phone1", "phone2", "country_code", "notes", "active_secondary_address",
        "secondary_name", "secondary_address1", "secondary_address2", "secondary_city",
        "secondary_state", "secondary_postal_code", "secondary_country_code",
        "default_currency_code", "last_login", "suspend", "last_ip", "created", "modified",
        "follow_up_status", "category", "group_price_id", "timezone", "bn1", "bn1_label",
        "bn2_label", "bn2", "starting_balance", "type", "birth_date", "gender",
        "map_location", "credit_limit", "credit_period", "branch_id",
    ]

    /// The documented keys' bytes, for comparing with raw key tokens.
    static let documentedUTF8 = documented.map { Array($0.utf8) }

    /// Looked up by bytes: cheaper than hashing for 47 short names (see ``PackedNames``).
    private static let documentedNames = PackedNames(documented)

    /// Whether `name` is a documented Client field (byte-exact comparison).
    public static func isDocumented(_ name: String) -> Bool {
        documentedNames.contains(name)
    }
}

/// A name compared and hashed by its UTF-8 bytes.
///
/// `String` equality follows Unicode canonical equivalence, so `"é"` written
/// precomposed and decomposed compare equal; JSON keys are distinct whenever
/// their bytes differ, and field matching must agree with that.
struct ExactName: Hashable, Sendable {
    let string: String

    init(_ string: String) {
        self.string = string
    }

    static func == (lhs: ExactName, rhs: ExactName) -> Bool {
        exactlyEqual(lhs.string, rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension Set<String> {
    /// `contains` without Unicode canonical equivalence: the stored element
    /// must have the same bytes as `name`.
    func containsExactly(_ name: String) -> Bool {
        guard let index = firstIndex(of: name) else { return false }
        return exactlyEqual(self[index], name)
    }
}

/// Whether two strings have the same UTF-8 bytes.
///
/// Not `==`: that follows canonical equivalence, and its fast path is only for
/// ASCII; JSON keys and query names are distinct whenever their bytes are.
/// `withUTF8` on native (and small) strings hands out their storage without copying.
@inline(__always)
func exactlyEqual(_ lhs: String, _ rhs: String) -> Bool {
    guard lhs.utf8.count == rhs.utf8.count else { return false }
    var lhs = lhs
    var rhs = rhs
    return lhs.withUTF8 { left in
        rhs.withUTF8 { right in
            guard let a = left.baseAddress, let b = right.baseAddress else { return true }
            return memcmp(a, b, left.count) == 0
        }
    }
}
