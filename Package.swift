// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "weightseal",
    products: [
        .library(name: "WeightSeal", targets: ["WeightSeal"]),
        .executable(name: "weightseal", targets: ["weightseal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Targets
        // BLAKE3 written for weightseal from the specification, with x86 SIMD chosen at run time (docs/performance.md).
        .target(name: "CWeightSealBLAKE3"),
        .target(
            name: "WeightSeal",
            dependencies: [
                "CPKCS11",
                "CWeightSealBLAKE3",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PKCS #11 v2.40 types and function list, for keys in tokens (the module is loaded at run time: no library
        // is linked).
        .target(name: "CPKCS11"),
        .target(
            name: "WeightSealMirror",
            dependencies: [
                "WeightSeal",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Decodes a gzip/deflate body a mirror sends despite `Accept-Encoding: identity` (field case G12).
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Clients of the Sigstore services (Fulcio, Rekor, TSA, OIDC) and of TUF repositories.
        .target(
            name: "WeightSealServices",
            dependencies: [
                "WeightSeal",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WeightSealCLI",
            dependencies: [
                "WeightSeal",
                "WeightSealMirror",
                "WeightSealServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "weightseal",
            dependencies: ["WeightSealCLI"],
            swiftSettings: swiftSettings
        ),
        // Fuzz targets (scripts/fuzz.sh); an ordinary build makes it a corpus replayer.
        .executableTarget(
            name: "Fuzz",
            dependencies: ["WeightSeal"],
            swiftSettings: swiftSettings
        ),
        // MARK: - Tests
        // Temp folders, loopback ports and servers shared by the test targets.
        .target(
            name: "WeightSealTestSupport",
            dependencies: ["WeightSeal"],
            path: "Tests/WeightSealTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeightSealTests",
            dependencies: [
                "WeightSealTestSupport",
                "WeightSeal",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeightSealMirrorTests",
            dependencies: [
                "WeightSealTestSupport",
                "WeightSeal",
                "WeightSealMirror",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeightSealServicesTests",
            dependencies: [
                "WeightSealTestSupport",
                "WeightSeal",
                "WeightSealServices",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "WeightSealTestSupport",
                "WeightSeal",
                "WeightSealCLI",
                // A test PKI made in memory (certificates for `sign --certificate` / `verify --certificate-roots`).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
