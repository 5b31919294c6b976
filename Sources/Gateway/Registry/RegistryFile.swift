#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the registry file with plain POSIX calls (no Foundation), refusing
/// anything larger than a limit before it is all in memory.
enum RegistryFile {
    static func contents(path: String, maxBytes: Int) throws(RegistryError) -> [UInt8] {
        var fd: Int32
        repeat {
            // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            throw failure("cannot open \(path)", errno: errno)
        }
        defer { close(fd) }

        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw failure("cannot stat \(path)", errno: errno)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw RegistryError(path: "", message: "\(path) is not a regular file", line: nil)
        }

        // Read up to one byte past the limit so an oversized file is detected
        // without trusting st_size (the file may grow while being read).
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + count, buffer.count - count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(path)", errno: errno)
            }
            if n == 0 { break }
            count += n
        }
        guard count <= maxBytes else {
            throw RegistryError(path: "", message: "\(path) is larger than \(maxBytes) bytes", line: nil)
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    private static func failure(_ what: String, errno code: Int32) -> RegistryError {
        let reason = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return RegistryError(path: "", message: "\(what): \(reason)", line: nil)
    }
}
