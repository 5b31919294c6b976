import Glibc
import Testing

@testable import EventLoop

@Suite("syscall wrapper")
struct SyscallTests {
    @Test func successPassesTheValueThrough() throws {
        let r = try syscall("test") { Int32(7) }
        guard case .value(let v) = r else {
            Issue.record("expected a value")
            return
        }
        #expect(v == 7)
    }

    @Test func eintrIsRetried() throws {
        var calls = 0
        let r = try syscall("test") { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 1
        }
        #expect(calls == 3)
        guard case .value(1) = r else {
            Issue.record("expected the third call's value")
            return
        }
    }

    @Test(arguments: [EAGAIN, EWOULDBLOCK, EINPROGRESS])
    func notReadyBecomesWouldBlock(code: Int32) throws {
        let r = try syscall("test") { () -> Int32 in
            errno = code
            return -1
        }
        guard case .wouldBlock = r else {
            Issue.record("expected wouldBlock")
            return
        }
    }

    @Test func otherErrorsAreTypedWithTheCallName() {
        #expect(throws: SystemError(call: "bind", errno: EADDRINUSE)) {
            _ = try syscall("bind") { () -> Int32 in
                errno = EADDRINUSE
                return -1
            }
        }
    }

    @Test func blockingSyscallTreatsEagainAsAnError() {
        #expect(throws: SystemError(call: "setup", errno: EAGAIN)) {
            try blockingSyscall("setup") { () -> Int32 in
                errno = EAGAIN
                return -1
            }
        }
    }

    @Test func classification() {
        #expect(SystemError(call: "read", errno: ECONNRESET).isConnectionReset)
        #expect(SystemError(call: "send", errno: EPIPE).isConnectionReset)
        #expect(!SystemError(call: "read", errno: EBADF).isConnectionReset)
        #expect(SystemError(call: "accept", errno: EMFILE).isOutOfDescriptors)
        #expect(SystemError(call: "accept", errno: ENFILE).isOutOfDescriptors)
        #expect(SystemError(call: "accept", errno: EMFILE).description.contains("accept"))
    }
}

@Suite("socket addresses")
struct SocketAddressTests {
    @Test(arguments: [("127.0.0.1", AF_INET, "127.0.0.1:8080"), ("::1", AF_INET6, "[::1]:8080"),
                      ("[::1]", AF_INET6, "[::1]:8080"), ("0.0.0.0", AF_INET, "0.0.0.0:8080"),
                      ("2001:db8:0:0:0:0:0:1", AF_INET6, "[2001:db8::1]:8080"),
                      // The longest text inet_ntop writes for IPv6: the buffer's bound.
                      ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", AF_INET6,
                       "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:8080"),
                      ("::ffff:255.255.255.255", AF_INET6, "[::ffff:255.255.255.255]:8080")])
    func literalsParse(text: String, family: Int32, rendered: String) throws {
        let a = try #require(SocketAddress(ip: text, port: 8080))
        #expect(a.family == family)
        #expect(a.port == 8080)
        #expect(a.description == rendered)
    }

    @Test(arguments: ["localhost", "1.2.3", "::g", "", "256.1.1.1"])
    func nonLiteralsAreRefused(text: String) {
        #expect(SocketAddress(ip: text, port: 1) == nil)
    }
}

@Suite("durations and clocks")
struct ClockTests {
    @Test func durationNanoseconds() {
        #expect(Duration.milliseconds(250).nanoseconds == 250_000_000)
        #expect(Duration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(Duration.seconds(-1).nanoseconds == 0)
    }

    @Test func monotonicClockDoesNotGoBack() {
        let a = MonotonicClock.now()
        let b = MonotonicClock.now()
        #expect(b >= a)
    }
}
