import HTTP1
import Testing

@testable import HTTPServer

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    let header: UInt64 = 1_000
    let idle: UInt64 = 5_000

    func machine(at now: UInt64 = 0) -> ConnectionStateMachine {
        ConnectionStateMachine(now: now, headerTimeout: header, idleTimeout: idle)
    }

    @Test func newConnectionThatSaysNothingGetsTheHeaderTimeout() {
        var m = machine()
        #expect(m.deadline == header)
        // An empty connection has nothing owed: it is closed, not answered.
        #expect(m.deadlinePassed(now: header) == .close)
    }

    @Test func partialRequestPastTheHeaderTimeoutIs408() {
        var m = machine()
        m.bytesArrived(now: 10)
        #expect(m.deadline == 10 + header)
        #expect(m.deadlinePassed(now: 10 + header - 1) == .none)
        let action = m.deadlinePassed(now: 10 + header)
        guard case .fail(let status, _) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(status == 408)
        #expect(m.phase == .closing)
        #expect(m.owed == 1)
        #expect(m.responseSent(now: 20 + header) == .close)
    }

    @Test func keepAliveRequestWaitsForTheAnswerWithoutATimeout() {
        var m = machine()
        m.bytesArrived(now: 1)
        #expect(m.requestParsed(keepAlive: true, now: 2) == .none)
        #expect(m.deadline == .max)
        #expect(m.deadlinePassed(now: 1_000_000) == .none)
        #expect(m.responseSent(now: 100) == .none)
        #expect(m.deadline == 100 + idle)
        #expect(m.deadlinePassed(now: 100 + idle) == .close)
    }

    @Test func idleTimerDoesNotRunWhileAnswersAreOwed() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        _ = m.requestParsed(keepAlive: true, now: 2)
        #expect(m.owed == 2)
        #expect(m.responseSent(now: 3) == .none)
        #expect(m.deadline == .max)
        #expect(m.responseSent(now: 4) == .none)
        #expect(m.deadline == 4 + idle)
    }

    @Test func connectionCloseRequestEndsAfterItsAnswer() {
        var m = machine()
        #expect(m.requestParsed(keepAlive: false, now: 1) == .closeAfterPending)
        #expect(m.isReading == false)
        #expect(m.closingAfterPending)
        #expect(m.responseSent(now: 2) == .close)
    }

    @Test func parseFailureIsAnsweredAfterWhatIsOwed() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        let action = m.parseFailed(HTTPParseError(status: 400, reason: "bad"))
        #expect(action == .fail(status: 400, reason: "bad"))
        #expect(m.owed == 2)
        #expect(m.responseSent(now: 2) == .none)
        #expect(m.responseSent(now: 3) == .close)
    }

    @Test func secondParseFailureIsIgnored() {
        var m = machine()
        _ = m.parseFailed(HTTPParseError(status: 400, reason: "a"))
        #expect(m.parseFailed(HTTPParseError(status: 431, reason: "b")) == .none)
        #expect(m.owed == 1)
    }

    @Test func peerHalfCloseStillGetsItsAnswers() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        #expect(m.peerClosed() == .closeAfterPending)
        #expect(m.responseSent(now: 2) == .close)
    }

    @Test func peerHasClosedRecordsOnlyThePeersEnd() {
        var m = machine()
        _ = m.requestParsed(keepAlive: false, now: 1)
        // Closing for our own reasons (Connection: close, shutdown, a parse
        // error) is not the peer hanging up.
        #expect(m.phase == .closing)
        _ = m.shutdownBegan()
        #expect(!m.peerHasClosed)
        _ = m.peerClosed()
        #expect(m.peerHasClosed)
    }

    @Test func peerCloseWithNothingOwedClosesNow() {
        var m = machine()
        #expect(m.peerClosed() == .close)
    }

    @Test func shutdownClosesIdleConnectionsAtOnce() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        _ = m.responseSent(now: 2)
        #expect(m.shutdownBegan() == .close)
    }

    @Test func shutdownLetsTheOwedAnswerGoOutThenCloses() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        #expect(m.shutdownBegan() == .closeAfterPending)
        #expect(m.closingAfterPending)
        #expect(m.responseSent(now: 2) == .close)
    }

    @Test func shutdownDuringARequestMakesThatRequestTheLast() {
        var m = machine()
        m.bytesArrived(now: 1)
        #expect(m.shutdownBegan() == .none)
        #expect(m.requestParsed(keepAlive: true, now: 2) == .closeAfterPending)
        #expect(m.responseSent(now: 3) == .close)
    }

    @Test func pipelinedRequestInProgressKeepsTheHeaderTimeout() {
        var m = machine()
        _ = m.requestParsed(keepAlive: true, now: 1)
        m.bytesArrived(now: 1)
        #expect(m.phase == .receiving)
        #expect(m.deadline == 1 + header)
        // The first answer leaves; the second request is still arriving.
        #expect(m.responseSent(now: 2) == .none)
        #expect(m.deadline == 1 + header)
    }
}
