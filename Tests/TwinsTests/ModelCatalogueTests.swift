import Foundation
import Testing
@testable import Twins

/// The registry and docs/models.md (generated from it) agree; every parameter the simulator
/// takes is documented.
@Suite struct ModelCatalogueTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/models.md").standardized

    @Test func docsModelsMatchesTheRegistry() throws {
        let generated = ModelLibrary.markdownReference
        if ProcessInfo.processInfo.environment["VTRIAL_REGENERATE_MODELS_DOC"] != nil {
            try generated.write(to: Self.documentURL, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.documentURL, encoding: .utf8)
        #expect(committed == generated, "docs/models.md is out of date with ModelLibrary.components")
        for component in ModelLibrary.components {
            for parameter in component.parameters {
                #expect(committed.contains("| \(parameter.name) |"), "\(component.id): \(parameter.name) missing from docs/models.md")
            }
        }
    }

    /// Every parameter the model needs positive is marked "> 0" in `vtrial models` and in
    /// docs/models.md, with or without a default (CIRC0 and MTT have one), and no other is; the
    /// expected set is the one docs/spec-extensions.md lists.
    @Test func positiveParametersAreMarked() throws {
        var marked: [String] = []
        let listing = ModelLibrary.textListing.split(separator: "\n")
        let document = ModelLibrary.markdownReference.split(separator: "\n")
        for component in ModelLibrary.components {
            for parameter in component.parameters {
                let line = try #require(listing.first { $0.hasPrefix("    \(parameter.name) ") && $0.contains(parameter.meaning) })
                let row = try #require(document.first { $0.hasPrefix("| \(parameter.name) |") && $0.contains(parameter.meaning) })
                #expect(line.contains(", > 0") == parameter.positive, "\(component.id) \(parameter.name): \(line)")
                #expect(row.contains(", > 0") == parameter.positive, "\(component.id) \(parameter.name): \(row)")
                if parameter.positive { marked.append("\(component.id).\(parameter.name)") }
            }
        }
        #expect(marked.sorted() == ["diabetes.t2d.EC50", "idr1.IC50", "idr1.KOUT", "idr2.IC50", "idr2.KOUT", "idr3.EC50", "idr3.KOUT",
                                    "idr4.EC50", "idr4.KOUT", "oncology.myelosuppression.CIRC0", "oncology.myelosuppression.MTT",
                                    "pk.KM", "pk.V1", "pk.V2", "pk.V3"])
    }

    @Test func registryCoversEverySimulatorParameterAndOutput() throws {
        let documented = Set(ModelLibrary.components.flatMap { $0.parameters.map(\.name) })
        let outputs = Set(ModelLibrary.components.flatMap { $0.outputs.map(\.name) })
        for pd in [nil] + PDType.allCases.map(Optional.some) {
            for twin in [nil] + ModelLibrary.twins.map(\.id) where pd == nil || twin == nil {
                let configuration = ModelConfiguration(pk: PKConfiguration(compartments: 3, absorption: .oral), pd: pd, twin: twin,
                                                       effectCompartment: true)
                for name in ModelLibrary.parameters(for: configuration).map(\.name) { #expect(documented.contains(name)) }
                for name in ModelLibrary.outputs(for: configuration).map(\.name) { #expect(outputs.contains(name)) }
                _ = try CompiledModel(configuration: configuration)
            }
        }
        #expect(ModelLibrary.components.map(\.id) == ["pk", "emax", "idr1", "idr2", "idr3", "idr4",
                                                       "oncology.tgi", "oncology.myelosuppression", "diabetes.t2d", "cardio.qtc"])
    }
}
