#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of processors the kernel reports online, the default for `--loops`.
enum ProcessorCount {
    /// `sysconf(_SC_NPROCESSORS_ONLN)`, clamped to 1...256 (the range `--loops` accepts).
    static var online: Int {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return Int(min(max(count, 1), 256))
    }
}
