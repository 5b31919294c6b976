// swift-tools-version:6.0
// nio-floor: a benchmark peer, never part of the product (the gateway must not depend on
// SwiftNIO). The same minimal /livez server as Benchmarks/DispatchFloor, on SwiftNIO's
// epoll event loops instead of Dispatch sources, so that bench-livez.sh --nio-floor can
// tell what Dispatch sources cost against epoll driven directly, in the same language and
// with the same work per request; nio-proxy-floor is the same to Benchmarks/DispatchProxyFloor
// for bench-clients.sh --nio-floor.
import PackageDescription

let package = Package(
    name: "NIOFloor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Sources/CZlib links to the gateway's own zlib module map (zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        // Sources/FloorShared links to Benchmarks/FloorShared, which the Dispatch floors
        // compile with: the bytes every floor answers and sends, and its head counter.
        .target(name: "FloorShared"),
        .executableTarget(
            name: "nio-floor",
            dependencies: [
                "FloorShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "nio-proxy-floor",
            dependencies: [
                "CZlib",
                "FloorShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
