/// Lends `body` the bytes of `text`: in place when they are contiguous, as they
/// are for every native string and its substrings, else copied into an array.
/// For matching paths and queries on bytes without a String in between.
func withContiguousBytes<Text: Collection<UInt8>, Result>(
    _ text: Text, _ body: (UnsafeBufferPointer<UInt8>) -> Result
) -> Result {
    text.withContiguousStorageIfAvailable(body) ?? Array(text).withUnsafeBufferPointer(body)
}
