import EventLoop

/// A stream over a socket channel that holds what it reads until the end of
/// stream, then hands the server all of it and the end in one go: what a TLS
/// stream does when the last record and `close_notify` arrive together. Lets a
/// test see that bytes delivered right before the end are still answered.
// @unchecked Sendable: used only on its channel's loop, like the channel.
final class EndTogetherStream: ByteStream, ByteStreamDelegate, @unchecked Sendable {
    private let channel: SocketChannel
    private var held: [UInt8] = []
    var delegate: (any ByteStreamDelegate)?

    init(_ channel: SocketChannel) {
        self.channel = channel
    }

    var loop: EventLoop { channel.loop }
    var pendingWriteBytes: Int { channel.pendingWriteBytes }
    var isOpen: Bool { channel.isOpen }

    func start() {
        channel.delegate = self
        channel.start()
    }

    func write(_ bytes: UnsafeRawBufferPointer) { channel.write(bytes) }
    func pauseReading() { channel.pauseReading() }
    func resumeReading() { channel.resumeReading() }
    func close(_ mode: CloseMode) { channel.close(mode) }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        held.append(contentsOf: bytes)
    }

    func streamDidReadEOF() {
        let bytes = held
        held = []
        bytes.withUnsafeBytes { delegate?.streamDidRead($0) }
        delegate?.streamDidReadEOF()
    }

    func streamDidDrain() { delegate?.streamDidDrain() }

    func streamDidClose(error: (any Error)?) {
        let d = delegate
        delegate = nil
        d?.streamDidClose(error: error)
    }
}
