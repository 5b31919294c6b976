// swift-tools-version:6.0
// nio-floor: a benchmark peer, never part of the product (the gateway must not depend on
// SwiftNIO). The same minimal /livez server as Benchmarks/DispatchFloor, on SwiftNIO's
// epoll event loops instead of Dispatch sources, so that bench-livez.sh --nio-floor can
// tell what Dispatch sources cost against epoll driven directly, in the same language and
// with the same work per request.
import PackageDescription

let package = Package(
    name: "NIOFloor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "nio-floor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
