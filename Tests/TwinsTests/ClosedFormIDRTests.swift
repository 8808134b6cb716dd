import Foundation
import Testing
import Solvers
@testable import Twins

/// `TwinDynamics.ClosedFormIDR` (integrated on the solver's scalar path) against `TwinDynamics`
/// itself (the general path) for the same subject and segments: the R trajectories, the states at
/// the segment ends and the solver's statistics must agree bit for bit, including runs with
/// rejected steps and one that switches to the stiff method.
@Suite struct ClosedFormIDRTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var type: PDType
        var compartments: Int
        var absorption: PKConfiguration.Absorption
        var kin = 10.0, kout = 0.1, imax = 0.9, ic50 = 1.0
        var testDescription: String { "\(type) \(compartments)-cpt \(absorption) kout \(kout)" }
    }

    static let cases: [Case] = [
        Case(type: .idr1, compartments: 2, absorption: .oral),
        Case(type: .idr2, compartments: 1, absorption: .oral, kin: 5, kout: 0.05, imax: 0.7, ic50: 0.5),
        Case(type: .idr3, compartments: 3, absorption: .oral, kin: 2, kout: 0.4, imax: 2, ic50: 0.3),
        Case(type: .idr4, compartments: 2, absorption: .infusion, kin: 8, kout: 0.2, imax: 1.5, ic50: 2),
        // Stability-limited steps after the transient: the stiffness test fires.
        Case(type: .idr1, compartments: 2, absorption: .oral, kin: 5000, kout: 50),
    ]

    struct Trajectory: Equatable {
        var rows: [UInt64] = []
        var ends: [UInt64] = []
        var statistics = SolverStatistics()
        var hints: [UInt64?] = []
    }

    /// Four daily doses (oral: into the depot; infusion: 2 h at 50 mg/h), R read hourly.
    static func simulate(_ c: Case, fast: Bool) throws -> Trajectory {
        let configuration = ModelConfiguration(pk: PKConfiguration(compartments: c.compartments, absorption: c.absorption),
                                               pd: c.type)
        let layout = ODELayout(configuration: configuration, quadratures: [], linearPK: true, effectInClosedForm: true)
        var parameters = SubjectParameters()
        parameters.clearance = 5; parameters.centralVolume = 50
        parameters.intercompartmentalClearance = [10, 2]; parameters.peripheralVolume = [100, 300]
        parameters.absorptionRate = 1.1
        parameters.pd = [c.kin, c.kout, c.imax, c.ic50]
        var modes = ConcentrationModes(compartments: c.compartments)
        modes.setRates(parameters.linearRates)
        let pk = LinearPKSystem(compartments: c.compartments, oral: c.absorption == .oral, effectCompartment: false,
                                integrateEffect: false)
        let propagator = LinearPKPropagator(system: pk)
        propagator.setRates(parameters.linearRates)

        var solver = ODESolver(dimension: 1, options: SolverOptions(rtol: 1e-6, atol: 1e-8))
        var linear = [Double](repeating: 0, count: pk.count)
        var r = [c.kin / c.kout]
        var hint: Double?
        var trajectory = Trajectory()
        // Segments between discontinuities: doses every 24 h, infusions stopping 2 h later.
        var boundaries: [(start: Double, end: Double, rate: Double)] = []
        for day in 0..<4 {
            let t = Double(day) * 24
            if c.absorption == .infusion {
                boundaries.append((t, t + 2, 50))
                boundaries.append((t + 2, t + 24, 0))
            } else {
                boundaries.append((t, t + 24, 0))
            }
        }
        for segment in boundaries {
            if c.absorption == .oral && segment.start.remainder(dividingBy: 24) == 0 { linear[pk.depot!] += 100 }
            modes.setSegment(depot: pk.depot.map { linear[$0] } ?? 0,
                             amounts: { i in linear[i == 0 ? pk.central : pk.peripherals[i - 1]] }, infusionRate: segment.rate)
            let times = Array(stride(from: segment.start, to: segment.end, by: 1))
            let onOutput = { (_: Double, y: UnsafeBufferPointer<Double>) in trajectory.rows.append(y[0].bitPattern) }
            if fast {
                let system = try #require(TwinDynamics.closedFormIDR(layout: layout, dynamics: .idr(c.type), parameters: parameters,
                                                                    modes: modes, segmentStart: segment.start, closedFormEffect: false))
                try solver.integrate(system, from: segment.start, to: segment.end, state: &r, outputTimes: times,
                                     initialStepSize: hint, onOutput: onOutput)
            } else {
                let system = TwinDynamics(layout: layout, dynamics: .idr(c.type), parameters: parameters, modes: modes,
                                          segmentStart: segment.start, infusionRate: 0, treatmentStart: 0, closedFormEffect: false)
                try solver.integrate(system, from: segment.start, to: segment.end, state: &r, outputTimes: times,
                                     initialStepSize: hint, onOutput: onOutput)
            }
            hint = solver.stepSizeHint
            trajectory.hints.append(hint?.bitPattern)
            trajectory.ends.append(r[0].bitPattern)
            #expect(propagator.advance(&linear, by: segment.end - segment.start, infusionRate: segment.rate))
        }
        trajectory.statistics = solver.statistics
        return trajectory
    }

    @Test(arguments: ClosedFormIDRTests.cases)
    func scalarPathMatchesGeneralPathBitForBit(_ c: Case) throws {
        let general = try Self.simulate(c, fast: false)
        let fast = try Self.simulate(c, fast: true)
        #expect(general.rows.count == 4 * 24)
        #expect(fast == general)
    }

    @Test func theCasesExerciseRejectionsAndTheStiffSwitch() throws {
        let statistics = try Self.cases.map { try Self.simulate($0, fast: true).statistics }
        #expect(statistics.contains { $0.rejectedSteps > 0 })
        #expect(statistics.contains { $0.stiffSwitches > 0 })
    }

    @Test func otherLayoutsKeepTheGeneralPath() {
        var parameters = SubjectParameters()
        parameters.pd = [10, 0.1, 0.9, 1]
        let modes = ConcentrationModes(compartments: 1)
        let pk = PKConfiguration(compartments: 1, absorption: .oral)
        let idr = ODELayout(configuration: ModelConfiguration(pk: pk, pd: .idr1), quadratures: [], linearPK: true,
                            effectInClosedForm: true)
        let withEffect = ODELayout(configuration: ModelConfiguration(pk: pk, pd: .idr1, effectCompartment: true), quadratures: [],
                                   linearPK: true, effectInClosedForm: false)
        let withQuadrature = ODELayout(configuration: ModelConfiguration(pk: pk, pd: .idr1), quadratures: [.response],
                                       linearPK: true, effectInClosedForm: true)
        let nonlinear = ODELayout(configuration: ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .oral,
                                                                                        elimination: .michaelisMenten), pd: .idr1),
                                  quadratures: [], linearPK: false, effectInClosedForm: true)
        #expect(TwinDynamics.closedFormIDR(layout: idr, dynamics: .idr(.idr1), parameters: parameters, modes: modes, segmentStart: 0,
                                           closedFormEffect: false) != nil)
        for layout in [withEffect, withQuadrature, nonlinear] {
            #expect(TwinDynamics.closedFormIDR(layout: layout, dynamics: .idr(.idr1), parameters: parameters,
                                               modes: layout == nonlinear ? nil : modes, segmentStart: 0, closedFormEffect: false) == nil)
        }
        // An effect compartment in closed form (no CE state in the layout): the driver is CE, not C.
        #expect(TwinDynamics.closedFormIDR(layout: idr, dynamics: .idr(.idr1), parameters: parameters, modes: modes, segmentStart: 0,
                                           closedFormEffect: true) == nil)
        #expect(TwinDynamics.closedFormIDR(layout: idr, dynamics: .none, parameters: parameters, modes: modes, segmentStart: 0,
                                           closedFormEffect: false) == nil)
    }
}
