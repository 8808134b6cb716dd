/// What one simulated subject (or, in a matched design, one patient in one arm) contributes to a
/// replicate, in flat per-chunk arrays: the statistics read these, the CSV rows are encoded by
/// the worker that simulated the subject.
struct EndpointOutcome {
    /// BASE, AVAL, CHG, PCHG as written (nil: empty field).
    var base: Double?
    var value: Double?
    var change: Double?
    var percentChange: Double?
    /// The analysed value (the `measure` column, natural scale; the analysis takes its log under
    /// `scale: log`), nil when missing.
    var analysed: Double?
    var responder: Int?
    /// Time-to-event: time and censoring (1 censored, 0 event).
    var censored: Int?
}

struct AdverseEventOutcome {
    /// Worst grade reached above the baseline grade (0: no treatment-emergent event).
    var grade: Int
    var onset: Double
}
