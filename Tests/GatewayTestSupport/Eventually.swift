import Foundation

/// Waits until `condition` holds or `seconds` pass, checking every 10 ms;
/// returns whether it held. For state that settles on another thread or loop.
public func eventually(seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
