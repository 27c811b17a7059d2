// swift-tools-version:6.2
import PackageDescription

// A stand-alone package so the Argon2id benchmark builds in release without the server's
// dependencies. Its KeywardCrypto target is made of symbolic links to the Argon2id, BLAKE2b,
// PHC string and constant-time sources of the root package (which need nothing but the
// standard library); Benchmarks/argon2-compare.sh builds and runs it.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "argon2-benchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "Argon2Bench", targets: ["Argon2Bench"]),
    ],
    targets: [
        .target(name: "KeywardCrypto", swiftSettings: swiftSettings),
        .executableTarget(name: "Argon2Bench", dependencies: ["KeywardCrypto"], swiftSettings: swiftSettings),
    ]
)
