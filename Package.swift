// swift-tools-version: 6.1
import PackageDescription

/// The executables, each a thin front end over a library target, with the libraries it needs
/// beyond the engine, the command-line support and the argument parser.
let tools: [(product: String, target: String, extra: [Target.Dependency])] = [
    ("redoxfs-dump", "RedoxFSDumpTool", []),
    ("redoxfs-extract", "RedoxFSExtractTool", []),
    ("redoxfs-fsck", "RedoxFSCheckTool", ["RedoxFSCheck"]),
    ("redoxfs-crashtest", "RedoxFSCrashTestTool", ["RedoxFSStress"]),
    ("redoxfs-mkfs", "RedoxFSMakeTool", ["RedoxFSTools"]),
    ("redoxfs-ar", "RedoxFSArchiveTool", ["RedoxFSTools"]),
    ("redoxfs-clone", "RedoxFSCloneTool", ["RedoxFSTools"]),
    ("redoxfs-resize", "RedoxFSResizeTool", ["RedoxFSTools"]),
    ("redoxfs-keys", "RedoxFSKeysTool", ["RedoxFSTools"]),
    ("redoxfs-bench", "RedoxFSBenchTool", ["RedoxFSTools"]),
    ("redoxfs", "RedoxFSMountTool", ["RedoxFSFuse"]),
]

// MARK: - Packages and the cookbook (pkgar, pkgar-keys, repo)

/// The package tools: thin front ends over the `Pkgar` and `Cookbook` libraries.
let packageTools: [(product: String, target: String, extra: [Target.Dependency])] = [
    ("pkgar", "PkgarTool", []),
    ("pkgar-keys", "PkgarKeysTool", []),
    ("repo", "RepoTool", ["Cookbook"]),
]

let packageTargets: [Target] = [
    .systemLibrary(name: "CLZMA", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
    // The pkgar archive format (format files without Foundation), BLAKE3, signing through
    // libsodium, LZMA2 through liblzma, transactions, key files and installed-system state.
    .target(name: "Pkgar", dependencies: ["CSodium", "CLZMA", .product(name: "TOMLKit", package: "TOMLKit")]),
    // The recipe builder: recipes, templates, sources, dependency order, sandboxed cached builds.
    .target(name: "Cookbook", dependencies: ["Pkgar", .product(name: "TOMLKit", package: "TOMLKit")]),
    .testTarget(name: "PkgarTests", dependencies: ["Pkgar", "CSodium", "RedoxFSTestSupport"]),  // + the shared malformed-TOML corpus
    .testTarget(name: "CookbookTests", dependencies: ["Cookbook", "Pkgar", "RedoxFSTestSupport"]),
] + packageTools.map {
    .executableTarget(
        name: $0.target,
        dependencies: ["Pkgar", .product(name: "ArgumentParser", package: "swift-argument-parser")] + $0.extra,
        path: "Sources/Tools/\($0.product)"
    )
}
// MARK: - end of packages and the cookbook

// --- installer (redox-installer): configuration, GPT, FAT, users, packages -> bootable image ---
let installerProducts: [Product] = [
    .library(name: "Installer", targets: ["Installer"]),
    .executable(name: "redox-installer", targets: ["RedoxInstallerTool"]),
]
let installerTargets: [Target] = [
    // The installer's library over the engine: configuration, disk layout (GPT, FAT), contents,
    // packages through Pkgar.
    .target(
        name: "Installer",
        dependencies: [
            "RedoxFS", "RedoxFSTools", "Pkgar", "CSodium", "CBlkid",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]
    ),
    .executableTarget(
        name: "RedoxInstallerTool",
        dependencies: [
            "Installer", "RedoxFS", "RedoxFSTools", "RedoxFSCommandSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Sources/Tools/redox-installer"
    ),
    .testTarget(
        name: "InstallerTests",
        dependencies: ["Installer", "Pkgar", "RedoxFS", "RedoxFSCheck", "RedoxFSTestSupport", "CSodium"]
    ),
]
// --- end installer ---

let package = Package(
    name: "RedoxFSKit",
    products: [
        .library(name: "RedoxFSFormat", targets: ["RedoxFSFormat"]),
        .library(name: "RedoxFS", targets: ["RedoxFS"]),
        .library(name: "Pkgar", targets: ["Pkgar"]),
        .library(name: "Cookbook", targets: ["Cookbook"]),
    ] + tools.map { .executable(name: $0.product, targets: [$0.target]) }
      + packageTools.map { .executable(name: $0.product, targets: [$0.target]) } + installerProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),  // packages and the cookbook
    ],
    targets: [
        // System libraries, found through pkg-config (Debian's -dev packages).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CBlkid", pkgConfig: "blkid", providers: [.apt(["libblkid-dev"])]),

        // The format core: pure Swift, no Foundation, typed throws; also compiled as Embedded Swift
        // by the bootloader (see bootloader/).
        .target(name: "RedoxFSFormat"),

        // The portable engine (the copy-on-write write path): pure Swift, no Foundation, typed
        // throws, generic over the device and the providers; also compiled as Embedded Swift
        // (scripts/embedded-check.sh).
        // Cross-module optimisation: the hosted layer and the front ends specialise the generic
        // engine for their concrete device and providers (no generic dispatch per block).
        .target(
            name: "RedoxFSEngine", dependencies: ["RedoxFSFormat"],
            swiftSettings: [
                .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
                // Issue 12 (branch smallfiles): no dynamic exclusivity checks in release builds of
                // the engine and the modules that specialise it (≈ 17% of the instructions of a
                // small-file create were swift_beginAccess and its bookkeeping); debug builds and
                // the tests keep them.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),

        // The hosted engine: file devices, the recording device, the hosted fast paths (OpenSSL,
        // libsodium, liblz4, vector SeaHash), the lock, the file-system API.
        .target(
            name: "RedoxFS",
            dependencies: ["RedoxFSEngine", "RedoxFSFormat", "CSodium", "CCrypto", "CLZ4", "CSeaHash"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]  // see RedoxFSEngine
        ),

        // SeaHash in vector code (AVX-512): the hosted engine's block hash, and the checker's
        // verification of node blocks.
        .target(name: "CSeaHash"),

        // The checker: passes over every structure, repair and scrub (front end over the engine).
        .target(name: "RedoxFSCheck", dependencies: ["RedoxFS", "CSeaHash"]),

        // Crash and stress testing: seeded workloads over the recording device.
        .target(name: "RedoxFSStress", dependencies: ["RedoxFS", "RedoxFSCheck"]),

        // Tool logic shared by the executables: archiving a host tree, cloning, progress bars,
        // size parsing, disk files.
        .target(name: "RedoxFSTools", dependencies: ["RedoxFS"]),

        // The FUSE mount: libfuse3's low-level API over the engine.
        .target(
            name: "RedoxFSFuse", dependencies: ["RedoxFS", "RedoxFSCommandSupport", "CFuse3"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]  // see RedoxFSEngine
        ),

        // Shared command-line plumbing: password input, opening images (partitions and uuids
        // found with libblkid), error reporting.
        .target(
            name: "RedoxFSCommandSupport",
            dependencies: ["RedoxFS", "CBlkid", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // What the test targets share: the upstream fixtures, running the built tools.
        .target(name: "RedoxFSTestSupport", dependencies: ["RedoxFS", "RedoxFSEngine", "RedoxFSFormat"]),

        .testTarget(name: "RedoxFSFormatTests", dependencies: ["RedoxFSFormat", "RedoxFSTestSupport"]),
        .testTarget(
            name: "RedoxFSFuseTests", dependencies: ["RedoxFS", "RedoxFSFuse", "RedoxFSCheck", "RedoxFSTestSupport"],
            exclude: ["Scripts"]),
        .testTarget(
            name: "RedoxFSCheckTests", dependencies: ["RedoxFSCheck", "RedoxFS", "RedoxFSEngine", "RedoxFSTestSupport", "CSeaHash"]),
        .testTarget(
            name: "RedoxFSTests",
            dependencies: ["RedoxFS", "RedoxFSEngine", "RedoxFSFormat", "RedoxFSCommandSupport", "RedoxFSStress", "RedoxFSTestSupport", "RedoxFSTools", "CSodium", "CCrypto", "CLZ4"]
        ),
    ] + tools.map {
        .executableTarget(
            name: $0.target,
            dependencies: [
                "RedoxFS", "RedoxFSCommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + $0.extra,
            path: "Sources/Tools/\($0.product)"
        )
    } + packageTargets + installerTargets
)

// ---- Kernel and initfs (issue 16): the RedoxFtw format (Embedded-clean, also compiled into
// bootstrap by recipes/core/kernel/build-system.sh), reading a host tree, redox-initfs-ar. ----
package.products += [
    .library(name: "RedoxInitfs", targets: ["RedoxInitfs"]),
    .executable(name: "redox-initfs-ar", targets: ["RedoxInitfsArchiveTool"]),
]
package.targets += [
    .target(name: "RedoxInitfs"),
    .target(name: "RedoxInitfsHost", dependencies: ["RedoxInitfs"]),
    .executableTarget(
        name: "RedoxInitfsArchiveTool",
        dependencies: ["RedoxInitfsHost", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Sources/Tools/redox-initfs-ar"),
    .testTarget(name: "RedoxInitfsTests", dependencies: ["RedoxInitfs", "RedoxInitfsHost", "RedoxFSTestSupport"]),
]
