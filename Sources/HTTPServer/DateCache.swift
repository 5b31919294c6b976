import Glibc
import HTTP1

/// The `Date` header's value, rendered at most once a second per loop.
// Loop-confined: each loop owns one instance and uses it only on its queue.
final class DateCache {
    private var second: Int = -1
    private var rendered: [UInt8] = []

    /// The IMF-fixdate of the current second.
    @inline(__always)
    func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            rendered = HTTPDate.format(epochSeconds: Int64(now))
        }
        return rendered
    }
}
