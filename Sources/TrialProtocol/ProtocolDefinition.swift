import Population
import Twins

/// A protocol file (SPEC §2) decoded and validated: every quantity in canonical units (mg, L, h),
/// every expression compiled, every name resolved to an index.
///
/// Two register layouts are used by the compiled expressions:
/// - over **covariates** (parameter values, dose amounts): `population.allNames` — covariates
///   (categorical ones as level index), then derived covariates;
/// - over **model outputs** (AE conditions, rule `when`/`hold`): slot `i` is
///   `model.outputs[i]`, i.e. `ModelLibrary.outputs(for: model.configuration)` order.
public struct ProtocolDefinition: Sendable {
    public enum Design: String, Sendable, CaseIterable { case parallel, matched }

    /// `protocol:` id, `[A-Za-z0-9._-]+`: names the results folder.
    public var id: String
    public var title: String?
    public var seed: UInt64
    public var replicates: Int
    /// Per replicate, all arms together (matched design: patients, each in every arm).
    public var subjects: Int
    public var population: PopulationSpec
    /// The population file's path as resolved from the protocol; `nil` when inline or CSV.
    public var populationPath: String?
    /// Simulated time of every subject (h).
    public var duration: Double
    /// Grid spacing (h).
    public var observe: Double
    public var design: Design
    public var model: ModelDefinition
    public var arms: [ArmDefinition]
    /// Probability that each scheduled dose is taken.
    public var adherence: Double
    /// Exponential dropout hazard per hour; `nil` without dropout.
    public var dropoutHazard: Double?
    public var endpoints: [EndpointDefinition]
    public var adverseEvents: [AdverseEventDefinition]
    /// `nil` without an `analysis:` block (comparisons.csv and power.csv hold their header only).
    public var analysis: AnalysisPlan?
    public var output: OutputOptions
    /// The protocol file's bytes as read (for its SHA-256 in manifest.json).
    public var sourceBytes: [UInt8]
    /// The protocol file's base name (e.g. `demo.yaml`).
    public var fileName: String
    /// The path as the user gave it.
    public var path: String

    /// Subjects per arm in one replicate (SPEC §2 largest-remainder rule); in a matched design
    /// every arm has all `subjects`.
    public var allocation: [Int] {
        design == .matched ? arms.map { _ in subjects } : allocate(subjects: subjects, ratios: arms.map(\.ratio))
    }

    /// Number of grid times: k = 0 … ⌊duration/observe + 1e-9⌋ (SPEC §4).
    public var gridCount: Int { Int((duration / observe + 1e-9).rounded(.down)) + 1 }
}
