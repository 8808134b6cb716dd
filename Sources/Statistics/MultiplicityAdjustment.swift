/// Adjusted p-values for a family of comparisons (SPEC §2/§5 `multiplicity`), identical to R's
/// `p.adjust` and statsmodels' `multipletests`.
public enum MultiplicityAdjustment: String, Sendable, CaseIterable {
    case none
    /// m·p (Bonferroni).
    case bonferroni
    /// Step-down: p̃₍ᵢ₎ = max_{j ≤ i} (m − j + 1)·p₍ⱼ₎ (Holm 1979, Scand J Stat 6:65).
    case holm
    /// Step-up: p̃₍ᵢ₎ = min_{j ≥ i} (m − j + 1)·p₍ⱼ₎ (Hochberg 1988, Biometrika 75:800).
    case hochberg

    /// Adjusts the defined p-values; nil entries stay nil and do not count in m. Results are
    /// capped at 1 and returned in the input order. Ties are ordered by position (a stable sort),
    /// which cannot change the result because the adjusted values of tied p-values coincide.
    public func adjust(_ pValues: [Double?]) -> [Double?] {
        var indices: [Int] = []
        indices.reserveCapacity(pValues.count)
        for (i, p) in pValues.enumerated() where p != nil { indices.append(i) }
        let m = indices.count
        var adjusted = pValues
        guard m > 0, self != .none else { return adjusted }
        if self == .bonferroni {
            for i in indices { adjusted[i] = min(1, Double(m) * pValues[i]!) }
            return adjusted
        }
        indices.sort { (pValues[$0]!, $0) < (pValues[$1]!, $1) }
        if self == .holm {
            var running = 0.0
            for (rank, i) in indices.enumerated() {
                running = max(running, min(1, Double(m - rank) * pValues[i]!))
                adjusted[i] = running
            }
        } else {
            var running = 1.0
            for rank in stride(from: m - 1, through: 0, by: -1) {
                let i = indices[rank]
                running = min(running, Double(m - rank) * pValues[i]!)
                adjusted[i] = min(1, running)
            }
        }
        return adjusted
    }
}
