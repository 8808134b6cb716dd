/// One subject's parameter values, unpacked from the parameter vector (in
/// `ModelLibrary.parameters(for:)` order) into named fields once per subject, so the right-hand
/// sides read fields rather than look names up. Fields a configuration does not use stay at
/// their neutral values.
struct SubjectParameters: Sendable {
    // PK
    var clearance = 0.0, centralVolume = 1.0
    var intercompartmentalClearance: SIMD2<Double> = [0, 0]
    var peripheralVolume: SIMD2<Double> = [1, 1]
    var absorptionRate = 0.0, bioavailability = 1.0, lagTime = 0.0
    var maximumEliminationRate = 0.0, michaelisConstant = 1.0
    var effectRate = 0.0
    /// The PD or twin parameters in their catalogue order (PD first when both are present).
    var pd: [Double] = []
    var twin: [Double] = []

    var linearRates: LinearPKSystem.Rates {
        LinearPKSystem.Rates(clearance: clearance, centralVolume: centralVolume,
                             intercompartmentalClearance: intercompartmentalClearance,
                             peripheralVolume: peripheralVolume, absorptionRate: absorptionRate,
                             effectRate: effectRate)
    }
}

/// Where each named parameter sits in the parameter vector of one configuration: resolved once
/// per protocol from `ModelLibrary.parameters(for:)`.
struct ParameterSlots: Sendable {
    var clearance: Int?, centralVolume: Int?
    var intercompartmentalClearance: [Int?] = [nil, nil]
    var peripheralVolume: [Int?] = [nil, nil]
    var absorptionRate: Int?, bioavailability: Int?, lagTime: Int?
    var maximumEliminationRate: Int?, michaelisConstant: Int?
    var effectRate: Int?
    var pdRange: Range<Int> = 0..<0
    var twinRange: Range<Int> = 0..<0

    init(configuration: ModelConfiguration) {
        var index = 0
        if let pk = configuration.pk {
            for name in ModelLibrary.pkParameterNames(pk) {
                switch name {
                case "CL": clearance = index
                case "V1": centralVolume = index
                case "Q": intercompartmentalClearance[0] = index
                case "V2": peripheralVolume[0] = index
                case "Q3": intercompartmentalClearance[1] = index
                case "V3": peripheralVolume[1] = index
                case "KA": absorptionRate = index
                case "F": bioavailability = index
                case "TLAG": lagTime = index
                case "VMAX": maximumEliminationRate = index
                case "KM": michaelisConstant = index
                default: break
                }
                index += 1
            }
        }
        if configuration.effectCompartment { effectRate = index; index += 1 }
        if let pd = configuration.pd {
            let count = ModelLibrary.pdParameters[pd]!.count
            pdRange = index..<(index + count)
            index += count
        }
        if let id = configuration.twin, let twin = ModelLibrary.twins.first(where: { $0.id == id }) {
            twinRange = index..<(index + twin.parameters.count)
            index += twin.parameters.count
        }
    }

    /// Fills `p` from the vector (whose length the caller has checked).
    func unpack(_ v: [Double], into p: inout SubjectParameters) {
        if let i = clearance { p.clearance = v[i] }
        if let i = centralVolume { p.centralVolume = v[i] }
        for k in 0..<2 {
            if let i = intercompartmentalClearance[k] { p.intercompartmentalClearance[k] = v[i] }
            if let i = peripheralVolume[k] { p.peripheralVolume[k] = v[i] }
        }
        if let i = absorptionRate { p.absorptionRate = v[i] }
        if let i = bioavailability { p.bioavailability = v[i] }
        if let i = lagTime { p.lagTime = v[i] }
        if let i = maximumEliminationRate { p.maximumEliminationRate = v[i] }
        if let i = michaelisConstant { p.michaelisConstant = v[i] }
        if let i = effectRate { p.effectRate = v[i] }
        for (k, i) in pdRange.enumerated() { p.pd[k] = v[i] }
        for (k, i) in twinRange.enumerated() { p.twin[k] = v[i] }
    }
}
