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
