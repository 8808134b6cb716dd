#ifndef CPKWALK_H
#define CPKWALK_H

// The oral 2-compartment course (states depot, central, peripheral, AUC) of up to four subjects
// in the lanes of one walk, with the state and the transition matrix in vector registers.
// The caller (Twins' ModelSimulator) checks that the subjects fit: the same event times and
// kinds, no infusion, and transition matrices with the structure the walk relies on.

/// How many subjects one walk advances together: one in each lane of its vectors.
#define CPKWALK_LANES 4

/// A dosing event at the same time for every subject of a walk: each subject's amount enters
/// the depot, or the central compartment when `central` is 1.
typedef struct cpkwalk_event {
    double time;
    double amount[CPKWALK_LANES];
    int central;
} cpkwalk_event;

/// One subject of a walk.
typedef struct cpkwalk_lane {
    /// Depot, central, peripheral, AUC: in, the state at t = 0; out, the state after the last
    /// step (written only when the walk succeeds).
    double state[4];
    /// The central volume C = x₁ / V divides by.
    double volume;
    /// Handed to `cpkwalk_course.transition` to look up this subject's transition matrices.
    const void *source;
    /// C at the observation times (`time_count` values), then AUC (as many).
    double *outputs;
    /// `integral_count` rows of `time_count` values, each the AUC (at `integral_times` only, when
    /// the course has them); NULL when there are none.
    double *integrals;
} cpkwalk_lane;

/// Φ(length) of a subject (row-major 4×4), or NULL when it is not finite or lacks the structure
/// (depot row (φ₀₀, 0, 0, 0), φ₁₃ = φ₂₃ = 0, φ₃₃ = 1). The walk copies it before the next call.
typedef const double *(*cpkwalk_transition)(const void *source, double length);

/// What the subjects of a walk share.
typedef struct cpkwalk_course {
    /// Observation times, ascending.
    const double *times;
    long time_count;
    /// Events in time order.
    const cpkwalk_event *events;
    long event_count;
    long integral_count;
    /// The observation-time indices at which the integral rows are written (ascending), or NULL
    /// for every one; entries elsewhere are left as they were.
    const long *integral_times;
    long integral_time_count;
    cpkwalk_transition transition;
} cpkwalk_course;

/// Walks `lane_count` (1…CPKWALK_LANES) subjects through `course`: the events and steps of
/// ModelSimulator.simulate, with each subject's numbers exactly as its general walk computes
/// them. Returns 1 on success; 0 when a transition matrix is missing or a final state is not
/// finite, and then the output rows may hold anything. `portable` 1 runs the baseline code even
/// where AVX2 is available (for tests: both must give the same bits).
int cpkwalk_walk(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count, int portable);

#endif
