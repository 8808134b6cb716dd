import Foundation

/// The direct (algebraic) drug effects, functions of the driving concentration `c` (C, or CE with
/// an effect compartment).
enum AlgebraicEffects {
    /// Sigmoid Emax model (Hill 1910; Holford & Sheiner 1981, Clin Pharmacokinet 6:429):
    /// E = E0 + EMAX·c^HILL / (EC50^HILL + c^HILL). Parameters in catalogue order
    /// [E0, EMAX, EC50, HILL]. For c ≤ 0 (placebo) E = E0.
    @inline(__always)
    static func emax(_ c: Double, _ p: [Double]) -> Double {
        if c <= 0 { return p[0] }
        let hill = p[3]
        if hill == 1 { return p[0] + p[1] * c / (p[2] + c) }
        let ch = pow(c, hill)
        return p[0] + p[1] * ch / (pow(p[2], hill) + ch)
    }

    /// Linear concentration–QTc model (Garnett et al. 2008; ICH E14): QTC = QTC0 + SLOPE·c.
    /// Parameters [QTC0, SLOPE].
    @inline(__always)
    static func correctedQT(_ c: Double, _ p: [Double]) -> Double { p[0] + p[1] * c }
}
