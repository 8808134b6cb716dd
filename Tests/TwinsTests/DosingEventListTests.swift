import Testing
@testable import Twins

// A list built from the same doses, F, TLAG and depot as last time keeps its events; anything
// else rebuilds them. The reference is always a fresh list built from the same inputs, compared
// bit for bit.

@Suite struct DosingEventListTests {
    /// Each event as bits: time, kind, amount or rate.
    private func bits(_ list: DosingEventList) -> [[UInt64]] {
        list.events.map { event in
            switch event.kind {
            case let .depot(amount): [event.time.bitPattern, 0, amount.bitPattern]
            case let .central(amount): [event.time.bitPattern, 1, amount.bitPattern]
            case let .infusionRate(change): [event.time.bitPattern, 2, change.bitPattern]
            }
        }
    }

    private func fresh(_ doses: [Dose], f: Double = 1, lag: Double = 0) throws -> [[UInt64]] {
        var list = DosingEventList()
        try list.build(doses: doses, bioavailability: f, lagTime: lag, hasDepot: true)
        return bits(list)
    }

    @Test func aRebuildFromOtherInputsGivesTheirEvents() throws {
        let doses = [Dose(time: 0, amount: 100, route: .oral), Dose(time: 12, amount: 50, route: .infusion(duration: 2)),
                     Dose(time: 24, amount: 100, route: .bolus)]
        var zeroed = doses
        zeroed[2].amount = 0
        var negativeZero = doses
        negativeZero[2].amount = -0.0
        var list = DosingEventList()
        // Each step against a fresh build of the same inputs: the same doses again; another F, then
        // TLAG; +0 after −0 (equal under ==, not in bits); after an insert; fewer doses.
        let steps: [([Dose], Double, Double)] = [(doses, 1, 0), (doses, 1, 0), (doses, 0.5, 0), (doses, 0.5, 1.5),
                                                 (negativeZero, 1, 0), (zeroed, 1, 0), (zeroed, 1, 0), (Array(doses.prefix(1)), 1, 0)]
        for (k, (d, f, lag)) in steps.enumerated() {
            try list.build(doses: d, bioavailability: f, lagTime: lag, hasDepot: true)
            #expect(bits(list) == (try fresh(d, f: f, lag: lag)), "step \(k)")
            if k == 5 { list.insert(DosingEvent(time: 6, kind: .central(amount: 1))) }
        }
        #expect(bits(list).count == 1)
    }
}
