// swift-tools-version: 6.1
import PackageDescription

// Numeric kernels are written with SIMD8<Float>; without a target CPU, Swift on
// Linux compiles for baseline SSE2 and splits every vector op in four. Haswell
// (AVX2 + FMA) runs on any x86-64 machine made since 2013. See README "Performance".
#if arch(x86_64)
let vectorFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let vectorFlags: [SwiftSetting] = []
#endif

var package = Package(
    name: "Quill",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quill", targets: ["quill"]),
        .executable(name: "quill-bench", targets: ["quill-bench"]),
        .library(name: "QuillTensor", targets: ["QuillTensor"]),
        .library(name: "QuillText", targets: ["QuillText"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries: the only places C libraries are named.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CICU", path: "Sources/CICU"),
        .systemLibrary(name: "CUtf8proc", path: "Sources/CUtf8proc"),
        .systemLibrary(name: "CEditLine", path: "Sources/CEditLine"),

        .target(name: "QuillTensor", dependencies: ["COpenBLAS"], swiftSettings: vectorFlags),
        // Wraps system ICU and utf8proc behind Swift types; must not import Foundation,
        // whose bundled ICU clashes with the system headers.
        .target(name: "QuillUnicode", dependencies: ["CICU", "CUtf8proc"]),
        .target(name: "QuillText", dependencies: ["QuillUnicode"]),
        .target(name: "QuillNN", dependencies: ["QuillTensor", "COpenBLAS"], swiftSettings: vectorFlags),
        .target(name: "QuillModels", dependencies: ["QuillNN", "QuillText"], swiftSettings: vectorFlags),
        .target(name: "QuillTraining", dependencies: ["QuillModels"], swiftSettings: vectorFlags),
        // The REPL's commands and session logic, apart from terminal I/O, so tests can drive it.
        .target(name: "QuillREPL", dependencies: ["QuillTraining"]),
        .executableTarget(
            name: "quill",
            dependencies: [
                "QuillTraining", "QuillREPL", "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Interposes malloc & co. to count heap allocations; linked only into quill-bench.
        .target(name: "CAllocationCounter", path: "Benchmarks/CAllocationCounter"),
        .executableTarget(
            name: "quill-bench", dependencies: ["QuillTraining", "QuillText", "COpenBLAS", "CAllocationCounter"],
            path: "Benchmarks/quill-bench", swiftSettings: vectorFlags),

        .target(name: "TestSupport", dependencies: ["QuillTensor"], path: "Tests/TestSupport"),
        .testTarget(name: "QuillTensorTests", dependencies: ["QuillTensor", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillREPLTests", dependencies: ["QuillREPL"]),
        // End to end through the built `quill` executable (it must be built first: `swift build`).
        .testTarget(name: "QuillCLITests", dependencies: ["TestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "QuillTextTests", dependencies: ["QuillText"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillNNTests", dependencies: ["QuillNN", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QuillModelsTests", dependencies: ["QuillModels", "QuillTraining", "TestSupport"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)

// The libFuzzer targets (Fuzz/run.sh sets QUILL_FUZZ=1 and builds with -sanitize=fuzzer,address).
// libFuzzer supplies `main`, so the executable cannot link in an ordinary build, which never sees it.
if Context.environment["QUILL_FUZZ"] == "1" {
    package.products.append(.executable(name: "quill-fuzz", targets: ["quill-fuzz"]))
    package.targets.append(.executableTarget(name: "quill-fuzz", dependencies: ["QuillTraining", "QuillREPL"],
                                             path: "Fuzz/Targets"))
}
