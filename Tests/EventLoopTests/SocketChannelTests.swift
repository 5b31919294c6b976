import Dispatch
import Glibc
import Testing

@testable import EventLoop

/// Records a stream's events for assertions, on the loop.
final class RecordingDelegate: ByteStreamDelegate, @unchecked Sendable {
    // @unchecked Sendable: written only on the channel's loop, read by the test
    // after a barrier on that loop.
    var received: [UInt8] = []
    var eof = false
    var closed = false
    var closeError: (any Error)?

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) { received.append(contentsOf: bytes) }
    func streamDidReadEOF() { eof = true }
    func streamDidDrain() {}
    func streamDidClose(error: (any Error)?) {
        closed = true
        closeError = error
    }
}

@Suite("socket channel", .serialized)
struct SocketChannelTests {
    /// A connected pair of non-blocking stream sockets.
    func pair() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        try Socket.setNonBlocking(fds[0])
        return (fds[0], fds[1])
    }

    func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @Sendable () -> T) -> T {
        loop.queue.sync(execute: body)
    }

    /// Whether the peer of `fd`'s socket sees the end of the stream within a
    /// second: the evidence that the other end was closed. (Checking the other
    /// end's fd number would not do: suites run in parallel, and a closed number
    /// is soon handed out again.)
    func peerSeesEnd(_ fd: Int32) -> Bool {
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, 1_000) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0
    }

    @Test func readsWritesAndClosesTheFdExactlyOnce() throws {
        let loop = EventLoop(index: 0)
        let (mine, theirs) = try pair()
        defer { close(theirs) }
        let channel = SocketChannel(fd: mine, loop: loop, peer: nil)
        let delegate = RecordingDelegate()
        onLoop(loop) {
            channel.delegate = delegate
            channel.start()
            channel.write(Array("ping".utf8))
        }
        var buf = [UInt8](repeating: 0, count: 16)
        let n = read(theirs, &buf, 16)
        #expect(String(decoding: buf[..<max(n, 0)], as: UTF8.self) == "ping")
        _ = "pong".withCString { write(theirs, $0, 4) }
        var got = false
        for _ in 0..<200 where !got {
            usleep(5_000)
            got = onLoop(loop) { String(decoding: delegate.received, as: UTF8.self) == "pong" }
        }
        #expect(got)
        onLoop(loop) { channel.close(.immediately) }
        #expect(peerSeesEnd(theirs), "the fd is closed once the sources' cancel handlers ran")
        #expect(onLoop(loop) { delegate.closed })
        // A second close is a no-op (no double close of a reused fd number).
        onLoop(loop) { channel.close(.immediately) }
    }

    @Test func eofIsReportedOnceAndReadingStops() throws {
        let loop = EventLoop(index: 0)
        let (mine, theirs) = try pair()
        let channel = SocketChannel(fd: mine, loop: loop, peer: nil)
        let delegate = RecordingDelegate()
        onLoop(loop) {
            channel.delegate = delegate
            channel.start()
        }
        close(theirs)
        var eof = false
        for _ in 0..<200 where !eof {
            usleep(5_000)
            eof = onLoop(loop) { delegate.eof }
        }
        #expect(eof)
        onLoop(loop) { channel.close(.immediately) }
    }

    @Test func aGracefulCloseLingersAndCountsUntilThePeerCloses() throws {
        let loop = EventLoop(index: 0)
        let (mine, theirs) = try pair()
        let channel = SocketChannel(fd: mine, loop: loop, peer: nil)
        let delegate = RecordingDelegate()
        onLoop(loop) {
            channel.delegate = delegate
            channel.start()
            channel.write(Array("bye".utf8))
            channel.close(.afterFlush)
        }
        // The answer arrives, then the end of stream; the socket stays open,
        // discarding what the peer still sends, and is counted as lingering.
        var buf = [UInt8](repeating: 0, count: 16)
        #expect(read(theirs, &buf, 16) == 3)
        #expect(read(theirs, &buf, 16) == 0)
        _ = "late request".withCString { write(theirs, $0, 12) }
        usleep(20_000)
        #expect(loop.lingeringChannels == 1)
        #expect(onLoop(loop) { delegate.closed }, "the delegate is let go once the answer left")
        close(theirs)
        var done = false
        for _ in 0..<200 where !done {
            usleep(5_000)
            done = loop.lingeringChannels == 0
        }
        #expect(done, "the peer's close ends the linger")
    }

    @Test func largeWritesQueueUntilThePeerReads() throws {
        let loop = EventLoop(index: 0)
        let (mine, theirs) = try pair()
        defer { close(theirs) }
        let channel = SocketChannel(fd: mine, loop: loop, peer: nil)
        let delegate = RecordingDelegate()
        let payload = [UInt8](repeating: 0x61, count: 4 << 20)
        let pendingAfterWrite = onLoop(loop) { () -> Int in
            channel.delegate = delegate
            channel.start()
            channel.write(payload)
            return channel.pendingWriteBytes
        }
        #expect(pendingAfterWrite > 0, "a socket buffer cannot take 4 MiB at once")
        var total = 0
        var buf = [UInt8](repeating: 0, count: 65_536)
        while total < payload.count {
            let n = read(theirs, &buf, buf.count)
            if n <= 0 { break }
            total += n
        }
        #expect(total == payload.count)
        #expect(onLoop(loop) { channel.pendingWriteBytes } == 0)
        onLoop(loop) { channel.close(.immediately) }
    }
}
