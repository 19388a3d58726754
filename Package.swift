// swift-tools-version:6.0
import PackageDescription

// What `swiftrun` links is what every command loads before main. Swift
// imports _StringProcessing (Regex) and _Concurrency into every file
// unasked; with Foundation, they made the static binary 11.5 MB larger and
// every command about 0.8 ms slower, for nothing the CLI uses. The API
// server's targets keep them.
let startUpSettings: [SwiftSetting] = [
    .unsafeFlags([
        "-Xfrontend", "-disable-implicit-string-processing-module-import",
        "-Xfrontend", "-disable-implicit-concurrency-module-import",
    ])
]

let package = Package(
    name: "swiftrun",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftrun", targets: ["swiftrun"]),
        .executable(name: "swiftrun-api", targets: ["swiftrun-api"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Everything between clone and execve: raw syscalls, no malloc, no Swift.
        .target(name: "CShims", path: "CShims"),
        // System libraries, linked statically so start-up pays no dynamic-loader cost for them.
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Sources/CCap"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        // libcurl for registries, loaded with dlopen only when a pull needs it.
        .target(name: "CCurl", path: "Sources/CCurl"),
        .target(
            name: "SwiftrunCore",
            dependencies: [
                "CShims", "CSeccomp", "CCap", "CZlib", "CZstd", "CCurl",
            ],
            swiftSettings: startUpSettings
        ),
        .executableTarget(
            name: "swiftrun",
            dependencies: ["SwiftrunCore"],
            swiftSettings: startUpSettings
        ),
        // The Docker Engine API: routes and Docker's documents over
        // SwiftrunCore, with no HTTP. Server code: only swiftrun-api links it,
        // so none of it is in the binary `swiftrun run` loads.
        .target(name: "SwiftrunAPI", dependencies: ["SwiftrunCore", "CShims"]),
        // The API on a unix socket, over HTTP (`swiftrun system service`
        // execs it): its own binary, so SwiftNIO never loads on run's path.
        .executableTarget(
            name: "swiftrun-api",
            dependencies: [
                "SwiftrunAPI", "SwiftrunCore", "CShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Sources/swiftrun-monitor (C) is built by the Makefile with gcc:
        // as a SwiftPM product it would carry the Swift runtime, and a
        // detached container's monitor is meant to cost less than conmon.
        .testTarget(name: "SwiftrunTests", dependencies: ["SwiftrunCore", "CShims"]),
    ]
)
