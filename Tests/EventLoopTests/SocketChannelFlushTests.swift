import Glibc
import Testing

@testable import EventLoop

/// A channel closing after its output has left, and a queue that never quite
/// empties: both must end or stay bounded whatever the peer does.
extension SocketChannelTests {
    @Test func aClosingChannelWhosePeerTakesNothingIsResetAfterTheFlushTimeout() throws {
        let (loop, channel, delegate, theirs, queued) = try startedChannel { channel in
            channel.flushTimeout = 200_000_000
            channel.write([UInt8](repeating: 7, count: 4 << 20))
            let queued = channel.pendingWriteBytes
            channel.close(.afterFlush)
            return queued
        }
        defer { close(theirs) }
        #expect(queued > 0, "the socket buffers took all 4 MiB: nothing to flush")
        #expect(onLoop(loop) { !delegate.closed }, "still flushing")
        // The peer reads nothing; the channel gives up within the timeout and a sweep
        // (waited for up to 5 s: a loaded machine, under a sanitizer, sweeps late).
        var closed = false
        for _ in 0..<500 where !closed {
            usleep(10_000)
            closed = onLoop(loop) { delegate.closed }
        }
        #expect(closed)
        #expect(onLoop(loop) { loop.watcherCount } == 0)
        #expect(onLoop(loop) { channel.pendingWriteBytes } == 0)
    }

    @Test func aPeerThatKeepsReadingGetsEverythingHoweverLongItTakes() throws {
        let total = 2 << 20
        let (loop, _, delegate, theirs, _) = try startedChannel { channel in
            channel.flushTimeout = 500_000_000
            channel.write([UInt8](repeating: 7, count: total))
            channel.close(.afterFlush)
        }
        defer { close(theirs) }
        // 16 KiB every 10 ms: about 1.3 s in all, more than two flush timeouts,
        // each read letting the channel make progress.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = read(theirs, &buffer, buffer.count)
            if n <= 0 { break }
            received += n
            usleep(10_000)
        }
        #expect(received == total)
        #expect(eventually { onLoop(loop) { delegate.closed } })
    }

    @Test func sentOutputIsDroppedFromTheQueueBeforeItGrows() throws {
        let (loop, channel, _, theirs, _) = try startedChannel { channel in
            channel.write([UInt8](repeating: 7, count: 1 << 20))
        }
        defer { close(theirs) }
        let storageBefore = onLoop(loop) { channel.pendingStorageBytes }
        // The peer takes a good part, so that most of the queue is sent.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var taken = 0
        while taken < 768 * 1024 {
            let n = read(theirs, &buffer, buffer.count)
            guard n > 0 else { break }
            taken += n
        }
        #expect(eventually {
            onLoop(loop) { channel.pendingWriteBytes <= storageBefore / 2 }
        })
        let (storage, pending) = onLoop(loop) { () -> (Int, Int) in
            channel.write([1])
            return (channel.pendingStorageBytes, channel.pendingWriteBytes)
        }
        #expect(storage == pending, "the sent prefix (\(storage - pending) bytes) was kept")
        onLoop(loop) { channel.close(.immediately) }
    }
}
