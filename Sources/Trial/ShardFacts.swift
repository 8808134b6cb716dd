import Foundation
import Output
import TrialProtocol

/// What `vtrial merge` needs from the protocol besides the shards' CSV files, written into every
/// shard's manifest.json (key `shard_merge`) so that the merge needs no protocol file: the arms
/// (comparisons.csv names them), the analysis facts power.csv is built from (alpha, control,
/// success criteria) and which comparison ENDPOINTs have ratio estimates (log scale, hazard
/// ratios: power.csv averages them geometrically).
///
/// Every shard of one run holds the same facts; the merge checks that, and that every shard
/// has the same protocol_sha256, so facts and protocol cannot disagree.
public struct ShardFacts: Equatable, Sendable, Decodable {
    public struct Criterion: Equatable, Sendable, Decodable {
        public var id: String
        /// "ALL" or "ANY".
        public var method: String
        public var comparisons: [Reference]
    }
    public struct Reference: Equatable, Sendable, Decodable {
        /// The ENDPOINT column of comparisons.csv.
        public var endpoint: String
        /// An arm name; nil: every non-control arm.
        public var arm: String?
    }

    public var protocolID: String
    public var arms: [String]
    /// The control arm's name; nil when the protocol has no `analysis` (power.csv is then
    /// header-only).
    public var control: String?
    /// alpha as Swift's shortest round-trip text (`Double(alpha)` gives the same double back).
    public var alpha: String?
    public var ratioEndpoints: [String]
    public var success: [Criterion]
    /// SHA-256 of the population file the protocol names (nil: inline population), so shards
    /// run with an edited population file are told apart although the protocol is the same.
    public var populationSHA256: String?

    enum CodingKeys: String, CodingKey {
        case protocolID = "protocol_id"
        case arms, control, alpha
        case ratioEndpoints = "ratio_endpoints"
        case success
        case populationSHA256 = "population_sha256"
    }

    /// The manifest key under which the facts are stored.
    public static let manifestKey = "shard_merge"

    public init(plan: TrialPlan) {
        protocolID = plan.protocolID
        arms = plan.arms.map(\.name)
        control = plan.analysis.map { plan.arms[$0.control].name }
        alpha = plan.analysis.map { "\($0.alpha)" }
        // As ReplicateAnalysis marks its rows: Cox hazard ratios and log-scale estimates.
        ratioEndpoints = plan.endpoints.filter { $0.definition.kind == .timeToEvent || $0.logScale }.map(\.id)
        populationSHA256 = plan.definition.populationPath
            .flatMap { FileManager.default.contents(atPath: $0) }
            .map { SHA256.hash([UInt8]($0)) }
        let armNames = arms
        success = (plan.analysis?.success ?? []).map { criterion in
            Criterion(id: criterion.id, method: criterion.method.rawValue,
                      comparisons: criterion.comparisons.map { Reference(endpoint: $0.endpoint, arm: $0.arm.map { armNames[$0] }) })
        }
    }

    /// The facts as the manifest member's value (keys as `CodingKeys`).
    public var jsonValue: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            JSONMember("protocol_id", .string(protocolID)),
            JSONMember("arms", .array(arms.map { .string($0) })),
            JSONMember("control", text(control)),
            JSONMember("alpha", text(alpha)),
            JSONMember("ratio_endpoints", .array(ratioEndpoints.map { .string($0) })),
            JSONMember("success", .array(success.map { criterion in
                .object([
                    JSONMember("id", .string(criterion.id)),
                    JSONMember("method", .string(criterion.method)),
                    JSONMember("comparisons", .array(criterion.comparisons.map { reference in
                        .object([JSONMember("endpoint", .string(reference.endpoint)), JSONMember("arm", text(reference.arm))])
                    })),
                ])
            })),
            JSONMember("population_sha256", text(populationSHA256)),
        ])
    }

    /// The success criteria with arm indices, as PowerAccumulator takes them; nil when an arm
    /// name or method is unknown.
    var successCriteria: [SuccessCriterion]? {
        var result: [SuccessCriterion] = []
        for criterion in success {
            guard let method = SuccessCriterion.Method(rawValue: criterion.method) else { return nil }
            var references: [ComparisonReference] = []
            for reference in criterion.comparisons {
                var arm: Int?
                if let name = reference.arm {
                    guard let index = arms.firstIndex(of: name) else { return nil }
                    arm = index
                }
                references.append(ComparisonReference(endpoint: reference.endpoint, arm: arm))
            }
            result.append(SuccessCriterion(id: criterion.id, method: method, comparisons: references))
        }
        return result
    }
}
