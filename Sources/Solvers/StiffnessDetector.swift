/// Hairer's stiffness test for Dormand–Prince (`dopri5.f`; Hairer, Nørsett & Wanner, *Solving
/// ODEs I*, 2nd ed., §IV.2 of vol. II and §II.10 of vol. I):
///
/// `h·|λ| ≈ h·‖k₇ − k₆‖ / ‖y₁ − y₆‖`, both stages taken at `t + h`, estimates the product of
/// the step size and the dominant eigenvalue of the Jacobian. When it exceeds 3.25 (the border
/// of DOPRI5's stability region on the negative real axis, about −3.3), the step size is being
/// limited by stability, not accuracy. Stiffness is declared after 15 such accepted steps, with
/// the count reset after 6 consecutive non-stiff ones, exactly as in `dopri5.f`. Unlike
/// `dopri5.f` (which tests every 1000th step until the first positive) we test every accepted
/// step: the test costs two norms and the runner's intervals are short.
@usableFromInline struct StiffnessDetector {
    @usableFromInline var stiffCount = 0
    @usableFromInline var nonStiffCount = 0
    @usableFromInline var hLambda = 0.0

    @inlinable init() {}

    /// Records one accepted Dormand–Prince step; returns `true` once the problem is judged stiff.
    @inlinable mutating func recordAcceptedStep(_ w: StepWorkspace, h: Double) -> Bool {
        var numerator = 0.0, denominator = 0.0
        for i in 0..<w.n {
            let dk = w.k7[i] - w.k6[i]
            let dy = w.yNew[i] - w.stage[i]
            numerator += dk * dk
            denominator += dy * dy
        }
        return recordAcceptedStep(numerator: numerator, denominator: denominator, h: h)
    }

    /// Records one accepted step from the squared norms `‖k₇ − k₆‖²` and `‖y₁ − y₆‖²` (the
    /// scalar path computes them without a workspace).
    @inlinable mutating func recordAcceptedStep(numerator: Double, denominator: Double, h: Double) -> Bool {
        if denominator > 0 { hLambda = abs(h) * (numerator / denominator).squareRoot() }
        if hLambda > 3.25 {
            nonStiffCount = 0
            stiffCount += 1
            return stiffCount >= 15
        }
        nonStiffCount += 1
        if nonStiffCount == 6 { stiffCount = 0 }
        return false
    }
}
