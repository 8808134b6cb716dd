/// The physical dimension of a model parameter or output, as powers of the canonical units
/// mg (mass), L (volume) and h (time) — SPEC's canonical units — or a fixed unit that is not built
/// from them (mm, mmol/L, %, ms, 10⁹/L, dimensionless), which takes bare numbers only.
public enum QuantityDimension: Sendable, Equatable, CustomStringConvertible {
    case physical(mass: Int, volume: Int, time: Int)
    case fixed(String)

    public static let dimensionless = QuantityDimension.fixed("–")
    public static let amount = QuantityDimension.physical(mass: 1, volume: 0, time: 0)
    public static let volume = QuantityDimension.physical(mass: 0, volume: 1, time: 0)
    public static let time = QuantityDimension.physical(mass: 0, volume: 0, time: 1)
    public static let rate = QuantityDimension.physical(mass: 0, volume: 0, time: -1)
    public static let clearance = QuantityDimension.physical(mass: 0, volume: 1, time: -1)
    public static let concentration = QuantityDimension.physical(mass: 1, volume: -1, time: 0)
    public static let amountPerTime = QuantityDimension.physical(mass: 1, volume: 0, time: -1)
    public static let inverseConcentration = QuantityDimension.physical(mass: -1, volume: 1, time: 0)
    public static let inverseConcentrationPerTime = QuantityDimension.physical(mass: -1, volume: 1, time: -1)
    public static let exposure = QuantityDimension.physical(mass: 1, volume: -1, time: 1)

    /// The canonical unit text, e.g. "L/h", "1/h", "mg/L", "L/mg", "mg·h/L".
    public var description: String {
        switch self {
        case let .fixed(unit): return unit
        case let .physical(m, v, t):
            var numerator: [String] = []
            var denominator: [String] = []
            func add(_ symbol: String, _ power: Int) {
                if power > 0 { numerator.append(power == 1 ? symbol : "\(symbol)^\(power)") }
                if power < 0 { denominator.append(power == -1 ? symbol : "\(symbol)^\(-power)") }
            }
            add("mg", m); add("L", v); add("h", t)
            let top = numerator.isEmpty ? "1" : numerator.joined(separator: "·")
            if denominator.isEmpty { return numerator.isEmpty ? "–" : top }
            return top + "/" + denominator.joined(separator: "/")
        }
    }

    /// True when values take unit strings (built from mass, volume and time).
    public var acceptsUnits: Bool { if case .physical = self { return true } else { return false } }
}
