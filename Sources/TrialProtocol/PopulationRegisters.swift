import Expressions
import Population

extension PopulationSpec {
    /// The levels of register `slot` when it holds a categorical covariate, else `nil`.
    func categoricalLevels(slot: Int) -> [String]? {
        if let table {
            return slot < table.levels.count ? table.levels[slot] : nil
        }
        guard slot < covariates.count, case let .categorical(levels, _) = covariates[slot].distribution else { return nil }
        return levels
    }

    /// How an expression over covariates sees `name` in the register layout documented on
    /// `PopulationSpec` (categorical covariates by level index).
    func binding(for name: String) -> NameBinding? {
        guard let slot = allNames.firstIndex(of: name) else { return nil }
        if let levels = categoricalLevels(slot: slot) { return .categorical(slot: slot, levels: levels) }
        return .slot(slot)
    }
}

/// A valid covariate, parameter or state name: it must be usable as a name in an expression.
func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
    return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
}
