import Expressions

/// An adverse event term (SPEC §2). Its grade at a time is the highest grade whose condition
/// holds (grades are nested).
public struct AdverseEventDefinition: Sendable {
    public var term: String
    /// Output index of `variable` for graded terms; `nil` for a `when` term.
    public var variable: Int?
    /// Grades in increasing order; each condition is compiled over the model outputs (slot =
    /// output index in `ModelDefinition.outputs`). A `when` term has one grade, 1.
    public var grades: [AdverseEventGrade]
    /// `nil`: every grid time.
    public var assessment: AssessmentSchedule?

    public init(term: String, variable: Int?, grades: [AdverseEventGrade], assessment: AssessmentSchedule? = nil) {
        self.term = term
        self.variable = variable
        self.grades = grades
        self.assessment = assessment
    }

    /// The grade at one time given the model outputs there (0: no event).
    public func grade(outputs: [Double]) -> Int {
        var worst = 0
        for g in grades where g.condition.evaluate(outputs) != 0 { worst = Swift.max(worst, g.grade) }
        return worst
    }

    public var maximumGrade: Int { grades.map(\.grade).max() ?? 0 }
}

public struct AdverseEventGrade: Sendable {
    public var grade: Int
    public var condition: CompiledExpression
    public init(grade: Int, condition: CompiledExpression) {
        self.grade = grade
        self.condition = condition
    }
}
