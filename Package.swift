// swift-tools-version:6.1
import PackageDescription

// Module graph (data moves one way; see docs/architecture.md):
//   LinearAlgebra (only importer of CBLAS/CLAPACKE)
//   Sampling, Expressions                       – leaf modules
//   Solvers → LinearAlgebra
//   Statistics → LinearAlgebra
//   Population → Sampling, LinearAlgebra, Expressions
//   Twins → Solvers, LinearAlgebra, Expressions
//   Output                                      – CSV, number formatting, manifest, results folder
//   Trial → Twins, Population, Statistics, Sampling, Expressions, Output
//   TrialProtocol → Trial, Twins, Population, Expressions, Yams  (YAML → validated plan)
//   VirtualTrial → everything (umbrella);  vtrial → VirtualTrial, ArgumentParser
let package = Package(
    name: "VirtualTrial",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "VirtualTrial", targets: ["VirtualTrial"]),
        .executable(name: "vtrial", targets: ["vtrial"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "CLAPACKE"]),
        .target(name: "Sampling"),
        .target(name: "Expressions"),
        .target(name: "Solvers", dependencies: ["LinearAlgebra"]),
        .target(name: "Statistics", dependencies: ["LinearAlgebra"]),
        .target(name: "Population", dependencies: ["Sampling", "LinearAlgebra", "Expressions"]),
        .target(name: "Twins", dependencies: ["Solvers", "LinearAlgebra", "Expressions"]),
        .target(name: "Output"),
        .target(name: "Trial", dependencies: ["Twins", "Population", "Statistics", "Sampling", "Expressions", "Output"]),
        .target(name: "TrialProtocol", dependencies: ["Trial", "Twins", "Population", "Expressions", "Sampling", .product(name: "Yams", package: "Yams")]),
        .target(name: "VirtualTrial", dependencies: ["LinearAlgebra", "Sampling", "Expressions", "Solvers", "Statistics", "Population", "Twins", "Output", "Trial", "TrialProtocol"]),
        .executableTarget(name: "vtrial", dependencies: ["VirtualTrial", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions"]),
        .testTarget(name: "SolversTests", dependencies: ["Solvers"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PopulationTests", dependencies: ["Population"]),
        .testTarget(name: "TwinsTests", dependencies: ["Twins"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OutputTests", dependencies: ["Output"]),
        .testTarget(name: "TrialTests", dependencies: ["Trial"]),
        .testTarget(name: "TrialProtocolTests", dependencies: ["TrialProtocol"]),
        .testTarget(name: "EndToEndTests", dependencies: ["VirtualTrial"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
