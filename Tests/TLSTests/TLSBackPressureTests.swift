import COpenSSL
import EventLoop
import Foundation
import Testing
import Upstream
@testable import TLS

/// A stream user that pauses after every read and resumes a little later, and
/// records what it got: the plaintext held inside OpenSSL while paused must
/// all arrive, in order, and the EOF only after it.
// @unchecked Sendable: confined to the stream's loop (the continuation is Sendable).
final class PausingReader: ByteStreamDelegate, @unchecked Sendable {
    let stream: any ByteStream
    private var received: [UInt8] = []
    private var pauses = 0
    private var readWhilePaused = false
    private var paused = false
    private var eofAfter = -1
    typealias Outcome = (bytes: [UInt8], pauses: Int, eofAt: Int, readWhilePaused: Bool)
    private var done: CheckedContinuation<Outcome, Never>?

    init(stream: any ByteStream, done: CheckedContinuation<Outcome, Never>) {
        self.stream = stream
        self.done = done
        // A stall (plaintext held and never delivered) ends the test instead of hanging it.
        stream.loop.queue.asyncAfter(deadline: .now() + .seconds(10)) { [self] in
            finish()
            self.stream.close(.immediately)
        }
    }

    private func finish() {
        guard let done else { return }
        self.done = nil
        done.resume(returning: (received, pauses, eofAfter, readWhilePaused))
    }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        if paused { readWhilePaused = true }
        received.append(contentsOf: bytes)
        paused = true
        pauses += 1
        stream.pauseReading()
        stream.loop.queue.asyncAfter(deadline: .now() + .milliseconds(2)) { [self] in
            paused = false
            stream.resumeReading()
        }
    }

    func streamDidReadEOF() {
        if paused { readWhilePaused = true }
        eofAfter = received.count
        stream.close(.afterFlush)
    }

    func streamDidDrain() {}

    func streamDidClose(error: (any Error)?) {
        finish()
    }
}

extension TLSTests {
    @Test(arguments: [ScriptedTLSServer.Ending.closeNotify, .abrupt])
    func pausedReadingHoldsPlaintextUntilResumedAndTheEOFComesLast(ending: ScriptedTLSServer.Ending) async throws {
        let (server, body, transport, group) = try bigAnswerExchange(ending: ending)
        defer { server.stop() }
        let loop = group.loops[0]
        let outcome: PausingReader.Outcome = await withCheckedContinuation { continuation in
            loop.execute {
                Self.openClientStream(port: server.port, on: loop, transport: transport) { stream in
                    guard let stream else {
                        continuation.resume(returning: (bytes: [], pauses: 0, eofAt: -1, readWhilePaused: false))
                        return
                    }
                    let reader = PausingReader(stream: stream, done: continuation)
                    stream.delegate = reader
                    stream.start()
                    stream.write(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
                }
            }
        }
        #expect(outcome.bytes.count == body.count)
        #expect(outcome.bytes == body)
        #expect(outcome.eofAt == body.count)
        #expect(outcome.pauses > 1)
        #expect(!outcome.readWhilePaused)
    }
}

/// Records the largest the stream's memory BIOs ever grew while it read.
// @unchecked Sendable: confined to the stream's loop (the continuation is Sendable).
final class BIOWatchingReader: ByteStreamDelegate, @unchecked Sendable {
    let stream: TLSStream
    private var received = 0
    private(set) var largestInput = 0
    private var done: CheckedContinuation<(received: Int, largestInput: Int), Never>?

    init(stream: TLSStream, done: CheckedContinuation<(received: Int, largestInput: Int), Never>) {
        self.stream = stream
        self.done = done
    }

    private func finish() {
        guard let done else { return }
        self.done = nil
        done.resume(returning: (received, largestInput))
    }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        received += bytes.count
        // Checked on the next turn, once the read that brought these bytes is done.
        stream.loop.execute { [self] in
            if let rbio = stream.rbio { largestInput = max(largestInput, copenssl_bio_mem_capacity(rbio)) }
        }
    }

    func streamDidReadEOF() {
        // Not sampled here: this runs inside the read event that brought the EOF,
        // before the stream trims its buffers at the end of it, and the close
        // frees them anyway.
        stream.close(.afterFlush)
    }

    func streamDidDrain() {}
    func streamDidClose(error: (any Error)?) { finish() }
}

extension TLSTests {
    /// OpenSSL's memory BIOs keep the largest buffer they ever needed; between
    /// bursts a connection must not go on holding what a burst needed.
    @Test func memoryBIOsGiveBackWhatABurstNeeded() async throws {
        let (server, body, transport, group) = try bigAnswerExchange(ending: .closeNotify)
        defer { server.stop() }
        let loop = group.loops[0]
        let largestOutput = Locked(0)
        let outcome: (received: Int, largestInput: Int) = await withCheckedContinuation { continuation in
            loop.execute {
                Self.openClientStream(port: server.port, on: loop, transport: transport) { stream in
                    guard let stream else {
                        continuation.resume(returning: (0, 0))
                        return
                    }
                    let reader = BIOWatchingReader(stream: stream, done: continuation)
                    stream.delegate = reader
                    stream.start()
                    // A request head followed by 300 KB the server never reads: it is
                    // encrypted all the same, through the output BIO.
                    stream.write(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8) + [UInt8](repeating: 0x20, count: 300_000))
                    if let wbio = stream.wbio { largestOutput.withLock { $0 = copenssl_bio_mem_capacity(wbio) } }
                }
            }
        }
        #expect(outcome.received == body.count)
        #expect(outcome.largestInput <= TLSStream.keptBIOCapacity, "the input BIO kept \(outcome.largestInput) bytes")
        let output = largestOutput.withLock { $0 }
        #expect(output <= TLSStream.keptBIOCapacity, "the output BIO kept \(output) bytes")
    }
}

extension TLSTests {
    /// A scripted server answering 600 KB and ending as told, a client transport
    /// trusting it, and a one-loop group for the client.
    func bigAnswerExchange(ending: ScriptedTLSServer.Ending) throws
        -> (server: ScriptedTLSServer, body: [UInt8], transport: TLSClientTransport, group: EventLoopGroup)
    {
        let context = try TLSServerContext(
            certificateChainPath: certs.localhost.certificate, privateKeyPath: certs.localhost.key)
        let body = TLSTestHandler.bigBody(size: 600_000)
        let server = try ScriptedTLSServer(context: context) { _ in (body, ending) }
        let clientContext = try TLSClientContext(caFile: certs.ca.certificate)
        let transport = TLSClientTransport(context: clientContext, handshakeTimeout: .seconds(2))
        return (server, body, transport, EventLoopGroup(loopCount: 1))
    }

    /// A client TLS stream to `localhost:port`, given to `ready` once its handshake
    /// is done; nil if the connect or the handshake failed. Call on `loop`.
    static func openClientStream(
        port: UInt16, on loop: EventLoop, transport: TLSClientTransport, ready: @escaping (TLSStream?) -> Void
    ) {
        ConnectAttempt.start(to: SocketAddress(ip: "127.0.0.1", port: port)!, on: loop) { connected in
            guard case .success(let channel) = connected else {
                ready(nil)
                return
            }
            transport.makeStream(over: channel, endpoint: .init(secure: true, host: "localhost", port: port)) { result in
                guard case .success(let stream) = result else {
                    ready(nil)
                    return
                }
                ready(stream as? TLSStream)
            }
        }
    }
}
