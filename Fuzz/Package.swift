// swift-tools-version:6.2
// The fuzz build of daftra-gateway's parsers: a package of its own so the main
// package never sees it. The product modules (HTTP1, Projection, Compression,
// CZlib, COpenSSL, EventLoop, Upstream, and chosen files of Gateway) are
// symlinks into ../Sources, compiled here with the fuzzer's coverage
// instrumentation.
// Build and run with scripts/fuzz.sh (see Fuzz/README.md).
import PackageDescription

/// One libFuzzer executable per parser. They have no `main`: libFuzzer's
/// runtime supplies it and calls `LLVMFuzzerTestOneInput`.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzHTTP1Request", ["HTTP1", "HTTP1Drivers", "FuzzKit"]),
    ("FuzzHTTP1Response", ["HTTP1", "HTTP1Drivers", "FuzzKit"]),
    ("FuzzChunked", ["HTTP1", "HTTP1Drivers", "FuzzKit"]),
    ("FuzzJSONScanner", ["Projection", "FuzzKit"]),
    ("FuzzProjection", ["Projection", "FuzzKit"]),
    ("FuzzFieldSelection", ["Projection", "FuzzKit"]),
    ("FuzzAcceptEncoding", ["Compression", "FuzzKit"]),
    ("FuzzGzip", ["Compression", "FuzzKit"]),
    ("FuzzRegistry", ["Registry", "Projection", "FuzzKit"]),
    ("FuzzGatewayRequest", ["GatewayParsers", "HTTP1", "FuzzKit"]),
    ("FuzzUpstreamAnswer", ["GatewayParsers", "HTTP1", "Upstream", "FuzzKit"]),
    ("FuzzConfiguration", [
        "GatewayParsers", "EventLoop", "FuzzKit", .product(name: "Logging", package: "swift-log"),
    ]),
]

let package = Package(
    name: "daftra-gateway-fuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0.name, targets: [$0.name]) } + [
        .executable(name: "HTTP1Differential", targets: ["HTTP1Differential"]),
    ],
    // Only for GatewayParsers: GatewayOptions is an ArgumentParser type and the
    // log level a swift-log one. Same versions as the main package.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.12.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // -enable-testing lets FuzzChunked reach the internal ChunkedDecoder
        // with @testable import in a release build.
        .target(name: "HTTP1", swiftSettings: [.unsafeFlags(["-enable-testing"])]),
        .target(name: "Projection"),
        .target(name: "Compression", dependencies: ["CZlib"]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // The tenants-file loader of Sources/Gateway/Registry, without the rest of
        // Gateway: Fuzz/Sources/Registry holds symlinks to just the files it needs.
        .target(name: "Registry", dependencies: ["COpenSSL"]),
        .target(name: "EventLoop"),
        .target(name: "Upstream", dependencies: ["EventLoop", "HTTP1", "Compression"]),
        // The request-side, upstream-answer and command-line parsers of
        // Sources/Gateway, without the rest of Gateway: Fuzz/Sources/GatewayParsers
        // holds symlinks to just the files they need. -enable-testing lets the
        // targets reach internal helpers (retryAfter, AddressSyntax, the option
        // checkers) with @testable import.
        .target(
            name: "GatewayParsers",
            dependencies: [
                "HTTP1", "Upstream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(["-enable-testing"])]
        ),
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzKit"),
        // libFuzzer's driver entry, only for the fuzzer-instrumented builds.
        .target(name: "FuzzMain", dependencies: ["CFuzzerDriver"]),
        .target(name: "HTTP1Drivers", dependencies: ["HTTP1", "FuzzKit"]),
        // Reads length-prefixed requests on stdin for scripts/differential.sh;
        // built without the fuzzer, it has an ordinary main.
        .executableTarget(name: "HTTP1Differential", dependencies: ["HTTP1", "HTTP1Drivers", "FuzzKit"]),
    ] + fuzzTargets.map { .executableTarget(name: $0.name, dependencies: $0.dependencies + ["FuzzMain"]) },
    swiftLanguageModes: [.v6]
)
