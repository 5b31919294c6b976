// swift-tools-version:6.2
import PackageDescription

/// Settings every first-party target shares. Swift 6 language mode comes from
/// `swiftLanguageModes`; warnings are errors in every build, so `swift test` on a
/// laptop is as strict as CI (dependencies keep their own settings).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "daftra-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "daftra-gateway", targets: ["daftra-gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.12.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
    ],
    targets: [
        // C libraries from the system, wrapped so Swift can import their macros.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // The event loop: serial dispatch queues, Dispatch sources, non-blocking sockets.
        .target(name: "EventLoop", swiftSettings: strict),
        // The HTTP/1.1 codec: pure parsers and serialisers, no I/O.
        .target(name: "HTTP1", swiftSettings: strict),
        // The HTTP/1.1 server: connections on the event loop driven by pure state machines.
        .target(name: "HTTPServer", dependencies: ["EventLoop", "HTTP1"], swiftSettings: strict),
        // gzip and Accept-Encoding negotiation over zlib.
        .target(name: "Compression", dependencies: ["CZlib"], swiftSettings: strict),
        // The single-pass JSON scanner and the byte-exact client projection.
        .target(name: "Projection", swiftSettings: strict),
        // The upstream HTTP/1.1 client: pools, resolution, connects on the loops.
        .target(name: "Upstream", dependencies: ["EventLoop", "HTTP1", "Compression"], swiftSettings: strict),
        // TLS through OpenSSL: memory-BIO sessions over the loops' sockets.
        .target(name: "TLS", dependencies: ["COpenSSL", "EventLoop", "Upstream"], swiftSettings: strict),
        // The gateway's domain: configuration, routes, tenants, errors, observability, demo.
        .target(
            name: "Gateway",
            dependencies: [
                "EventLoop", "HTTP1", "HTTPServer", "Compression", "Projection", "Upstream", "COpenSSL", "TLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The thin executable.
        // Linked by lld with packed relative relocations (DT_RELR, glibc 2.36+, as in
        // the bookworm runtime image), for memory: a PIE with the Swift runtime linked
        // in carries about 1 MB of R_X86_64_RELATIVE entries that the loader reads once
        // and that then stay resident; packed they take 8 KB. lld's layout also leaves
        // fewer code pages resident after start-up (4.6 instead of 6.0 MiB of .text).
        // Idle RSS 19.4 -> 16.7 MiB. gold, the default linker here, cannot pack them.
        .executableTarget(
            name: "daftra-gateway", dependencies: ["Gateway"], swiftSettings: strict,
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux]))]),

        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], swiftSettings: strict),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection"], swiftSettings: strict),
        .testTarget(name: "CompressionTests", dependencies: ["Compression"], swiftSettings: strict),
        .testTarget(
            name: "TLSTests",
            dependencies: [
                "TLS", "COpenSSL", "EventLoop", "HTTP1", "HTTPServer", "Upstream", "Compression", "GatewayTestSupport",
                "Gateway", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"], swiftSettings: strict),
        .testTarget(
            name: "UpstreamTests", dependencies: ["Upstream", "EventLoop", "HTTP1", "GatewayTestSupport"],
            swiftSettings: strict),
        .target(
            name: "GatewayTestSupport", dependencies: ["EventLoop", "HTTP1"],
            path: "Tests/GatewayTestSupport", swiftSettings: strict),
        .testTarget(
            name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP1", "EventLoop", "GatewayTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "EventLoop", "HTTP1", "HTTPServer", "Upstream", "GatewayTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
