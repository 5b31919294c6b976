import CFuzzerDriver

/// The process entry point of a fuzz target: hands argv to libFuzzer's driver.
///
/// SwiftPM links every executable with `main` aliased to `<Module>_main`, so
/// libFuzzer's own `main` is never pulled in; each target defines that symbol
/// with `@_cdecl` and calls this.
public func runFuzzer(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}
