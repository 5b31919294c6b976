import FuzzKit
import HTTP1

/// Limits small enough that fuzz inputs of a few hundred bytes reach every
/// limit check (414, 431, 413, chunk line, trailer size).
public let tightLimits = HTTPLimits(
    maxTargetBytes: 32,
    maxHeadBytes: 256,
    maxHeaderFields: 6,
    maxBodyBytes: 64,
    maxChunkLineBytes: 16,
    maxTrailerBytes: 64
)

/// The feedings every input is decoded with besides `.whole`: a split at a
/// point chosen from the input, random pieces, and one byte at a time for
/// short inputs.
public func alternativeFeedings(count: Int, _ choices: inout FuzzChoices) -> [Feeding] {
    var feedings: [Feeding] = [.split(choices.upTo(count))]
    feedings.append(Feeding.random(count: count, pieces: 2 + choices.upTo(6), &choices))
    if count <= 256 { feedings.append(.bytewise) }
    return feedings
}
