/// What one model output is, resolved once per protocol from its name in
/// `ModelLibrary.outputs(for:)`.
enum OutputKind: Sendable, Equatable {
    case concentration, areaUnderCurve, effectConcentration
    /// `emax` PD: E.
    case effect
    /// IDR PD: R.
    case response
    case tumourSize, neutrophils, glucose, glycatedHaemoglobin
    case correctedQT, correctedQTChange

    /// The kinds of a configuration's outputs, in output order.
    static func kinds(for configuration: ModelConfiguration) -> [OutputKind] {
        var kinds: [OutputKind] = []
        if configuration.pk != nil { kinds += [.concentration, .areaUnderCurve] }
        if configuration.effectCompartment { kinds.append(.effectConcentration) }
        if let pd = configuration.pd { kinds.append(pd == .emax ? .effect : .response) }
        switch configuration.twin {
        case "oncology.tgi": kinds.append(.tumourSize)
        case "oncology.myelosuppression": kinds.append(.neutrophils)
        case "diabetes.t2d": kinds += [.glucose, .glycatedHaemoglobin]
        case "cardio.qtc": kinds += [.correctedQT, .correctedQTChange]
        default: break
        }
        return kinds
    }

    /// True when the output is read from states the solver integrates (not from the linear PK
    /// system and algebraic functions of it).
    var needsSolver: Bool {
        switch self {
        case .response, .tumourSize, .neutrophils, .glucose, .glycatedHaemoglobin: return true
        default: return false
        }
    }
}
