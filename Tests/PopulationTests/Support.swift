import Expressions
import Foundation
import Population

/// Reads a JSON fixture from this bundle's `Fixtures` folder (see Fixtures/make_fixtures.py).
func fixture(_ name: String) throws -> [String: Any] {
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
}

/// A fixture number (written as a shortest round-trip string).
func number(_ value: Any?) -> Double { Double(value as! String)! }

/// Compiles `source` against the register layout `names` (slot i = names[i]).
func compile(_ source: String, names: [String]) throws -> CompiledExpression {
    try ParsedExpression(source).compile(knownNames: names) { name in names.firstIndex(of: name).map { .slot($0) } }
}

/// A population spec with derived covariates and inclusion criteria written as text.
func makeSpec(_ covariates: [(String, CovariateDistribution)], correlations: [(String, String, Double)] = [],
              derived: [(String, String)] = [], inclusion: [String] = []) throws -> PopulationSpec {
    let names = covariates.map(\.0)
    var registers = names
    var compiledDerived: [DerivedCovariate] = []
    for (name, formula) in derived {
        compiledDerived.append(DerivedCovariate(name: name, formula: try compile(formula, names: registers)))
        registers.append(name)
    }
    return PopulationSpec(
        name: "test",
        covariates: covariates.map { CovariateSpec(name: $0.0, distribution: $0.1) },
        correlations: correlations.map { CovariateCorrelation(first: names.firstIndex(of: $0.0)!, second: names.firstIndex(of: $0.1)!, rho: $0.2) },
        derived: compiledDerived,
        inclusion: try inclusion.map { InclusionCriterion(text: $0, condition: try compile($0, names: registers)) })
}

/// Running mean and variance (Welford).
struct Moments {
    var n = 0.0, mean = 0.0, m2 = 0.0
    mutating func add(_ x: Double) { n += 1; let d = x - mean; mean += d / n; m2 += d * (x - mean) }
    var variance: Double { m2 / (n - 1) }
    var standardError: Double { (variance / n).squareRoot() }
}

/// Type-7 sample quantile of sorted values.
func quantile(_ sorted: [Double], _ p: Double) -> Double {
    let h = Double(sorted.count - 1) * p
    let lo = Int(h.rounded(.down))
    return sorted[lo] + (h - Double(lo)) * (sorted[min(lo + 1, sorted.count - 1)] - sorted[lo])
}

/// Spearman's rank correlation (no ties in continuous draws).
func spearman(_ x: [Double], _ y: [Double]) -> Double {
    func ranks(_ v: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: v.count)
        for (rank, i) in v.indices.sorted(by: { v[$0] < v[$1] }).enumerated() { r[i] = Double(rank) }
        return r
    }
    let rx = ranks(x), ry = ranks(y)
    let n = Double(x.count), mean = (n - 1) / 2
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in x.indices { sxy += (rx[i] - mean) * (ry[i] - mean); sxx += (rx[i] - mean) * (rx[i] - mean); syy += (ry[i] - mean) * (ry[i] - mean) }
    return sxy / (sxx * syy).squareRoot()
}
