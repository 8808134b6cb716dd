import Testing
import Twins
@testable import TrialProtocol

@Suite struct UnitConversionTests {
    @Test(arguments: [
        ("100 mg", 100.0, QuantityDimension.amount),
        ("0.5 g", 500, .amount),
        ("250 ug", 0.25, .amount),
        ("24 h", 24, .time),
        ("30 min", 0.5, .time),
        ("90 min", 1.5, .time),
        ("28 d", 672, .time),
        ("12 w", 2016, .time),
        ("1 y", 8766, .time),
        ("5 L/h", 5, .clearance),
        ("1.2 ng/mL", 1.2 / 1000, .concentration),
        ("0.1 1/h", 0.1, .rate),
        ("20 mg/h", 20, .amountPerTime),
        ("0.3 L/mg", 0.3, .inverseConcentration),
        ("1e-3 mg", 0.001, .amount),
        ("500 mL", 0.5, .volume),
        ("2 mg*h/L", 2, .exposure),
        ("1 ug/mL", 1, .concentration),
        ("6 L/d", 0.25, .clearance),
        ("100mg", 100, .amount),
    ])
    func convertsToCanonicalUnits(text: String, expected: Double, dimension: QuantityDimension) throws {
        let (value, found) = try UnitConversion.parse(text)
        #expect(value == expected)
        #expect(found == dimension)
        #expect(try UnitConversion.convert(text, to: dimension) == expected)
    }

    @Test func bareNumberIsCanonical() throws {
        #expect(try UnitConversion.convert("12.5", to: .clearance) == 12.5)
        #expect(try UnitConversion.convert("50", to: .fixed("mm")) == 50)
    }

    @Test func incompatibleUnitNamesTheExpectedUnit() {
        #expect(throws: UnitError("expected a quantity in L/h (a clearance); got '5 L', which is in L")) {
            try UnitConversion.convert("5 L", to: .clearance)
        }
        #expect(throws: UnitError("takes a bare number in mm; got '50 mm'")) {
            try UnitConversion.convert("50 mm", to: .fixed("mm"))
        }
        #expect(throws: UnitError("unknown unit 'hr' in 'L/hr'; units are built from mg, g, ug, ng, L, mL, h, min, d, w, y with / and *")) {
            try UnitConversion.convert("5 L/hr", to: .clearance)
        }
    }
}

@Suite struct AllocationTests {
    @Test func equalRatiosSplitEvenly() {
        #expect(allocate(subjects: 240, ratios: [1, 1, 1, 1]) == [60, 60, 60, 60])
    }

    @Test func largestRemainderGoesToTheLargerFraction() {
        // Quotas 10/3 = 3.33 and 20/3 = 6.67: the one left over goes to the larger remainder.
        #expect(allocate(subjects: 10, ratios: [1, 2]) == [3, 7])
    }

    @Test func equalRemaindersGoToTheEarlierArm() {
        // Quotas 3.33 each: one left over, to the first arm.
        #expect(allocate(subjects: 10, ratios: [1, 1, 1]) == [4, 3, 3])
        // Quotas 2.5 each: two left over of four arms, to the first two.
        #expect(allocate(subjects: 10, ratios: [1, 1, 1, 1]) == [3, 3, 2, 2])
    }

    @Test func unequalRatios() {
        // 7 × (1, 2, 3)/6 = 1.17, 2.33, 3.5 → floors 1, 2, 3; one left over to remainder 0.5.
        #expect(allocate(subjects: 7, ratios: [1, 2, 3]) == [1, 2, 4])
    }
}
