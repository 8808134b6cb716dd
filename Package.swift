// swift-tools-version:6.1
import PackageDescription

// Module graph (data moves one way; see docs/architecture.md):
//   LinearAlgebra → CLinearAlgebra              – OpenBLAS and LAPACKE, loaded at run time (C, dlopen)
//   Sampling, Expressions                       – leaf modules
//   Solvers → LinearAlgebra
//   Statistics → LinearAlgebra, Sampling (one StandardNormal for the whole project)
//   Population → Sampling, LinearAlgebra, Expressions
//   Twins → Solvers, LinearAlgebra, Expressions, CPKWalk
//   CPKWalk → CCPUFeatures                      – the oral 2-compartment walk, four subjects in vector lanes (C)
//   CCPUFeatures                                – the CPU feature checks of the C kernels (C, CPUID)
//   Output → CSHA256, CWriteback                – CSV, number formatting, manifest, results folder
//   CSHA256 → CCPUFeatures                      – SHA-256 compression with the x86 SHA extensions (C)
//   CWriteback                                  – starts the disk writeback of written blocks (C, Linux sync_file_range)
//   Report → Output                             – report.html from a results folder's CSVs
//   TrialProtocol → Twins, Population, Expressions, LinearAlgebra, Yams  (YAML → validated, typed protocol)
//   Trial → TrialProtocol, Twins, Population, Statistics, Sampling, Output, Report, CSummaries, CThreadPlacement (the runner)
//   CSummaries → CCPUFeatures                   – the time-course summaries' two passes, four values in vector lanes (C)
//   CThreadPlacement                            – the workers' CPU placement (C, Linux sched_setaffinity)
//   VirtualTrial → everything (umbrella);  vtrial → VirtualTrial, CStartup, ArgumentParser
//   CStartup → CLinearAlgebra                   – vtrial only: starts opening the libraries before main (C constructor)
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
        // OpenBLAS and LAPACKE (apt: libopenblas-dev, liblapacke-dev): their headers at build time,
        // the libraries opened at run time (see Sources/CLinearAlgebra/include/clinearalgebra.h).
        .target(name: "CLinearAlgebra", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "LinearAlgebra", dependencies: ["CLinearAlgebra"]),
        .target(name: "Sampling"),
        .target(name: "Expressions"),
        .target(name: "Solvers", dependencies: ["LinearAlgebra"]),
        .target(name: "Statistics", dependencies: ["LinearAlgebra", "Sampling"]),
        .target(name: "Population", dependencies: ["Sampling", "LinearAlgebra", "Expressions"]),
        .target(name: "CCPUFeatures"),
        .target(name: "CPKWalk", dependencies: ["CCPUFeatures"]),
        .target(name: "Twins", dependencies: ["Solvers", "LinearAlgebra", "Expressions", "CPKWalk"]),
        .target(name: "CSHA256", dependencies: ["CCPUFeatures"]),
        .target(name: "CWriteback"),
        .target(name: "Output", dependencies: ["CSHA256", "CWriteback"]),
        .target(name: "Report", dependencies: ["Output"]),
        .target(name: "TrialProtocol", dependencies: ["Twins", "Population", "Expressions", "LinearAlgebra", .product(name: "Yams", package: "Yams")]),
        .target(name: "CSummaries", dependencies: ["CCPUFeatures"]),
        .target(name: "CThreadPlacement"),
        .target(name: "Trial", dependencies: ["TrialProtocol", "Twins", "Population", "Statistics", "Sampling", "Expressions", "Output", "LinearAlgebra", "Report", "CSummaries", "CThreadPlacement"]),
        .target(name: "VirtualTrial", dependencies: ["LinearAlgebra", "Sampling", "Expressions", "Solvers", "Statistics", "Population", "Twins", "Output", "Trial", "TrialProtocol", "Report"]),
        .target(name: "CStartup", dependencies: ["CLinearAlgebra"]),
        .executableTarget(name: "vtrial", dependencies: ["VirtualTrial", "CStartup", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions"]),
        .testTarget(name: "SolversTests", dependencies: ["Solvers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PopulationTests", dependencies: ["Population"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TwinsTests", dependencies: ["Twins", "Sampling"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OutputTests", dependencies: ["Output"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrialTests", dependencies: ["Trial"]),
        .testTarget(name: "ReportTests", dependencies: ["Report"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrialProtocolTests", dependencies: ["TrialProtocol"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EndToEndTests", dependencies: ["VirtualTrial"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
