#ifndef CSUMMARIES_H
#define CSUMMARIES_H

// The two loops of the time-course summaries (Trial's TimecourseCollector) that go through every
// stored value: the first pass (compensated sums, ranges, histograms) and the second pass of
// histogram selection (copying out the values of the bins that hold the requested ranks).
//
// Both read a column of `TimecourseStore`: runs of CSUMMARIES_RUN adjacent values (one run per
// tile of CSUMMARIES_RUN subjects, in subject order), `tile_stride` values apart; every run is
// whole except perhaps the last. Bins are those of Trial's `OrderStatistics.BinMap`: the integer
// nearest to clamp((v − low)·scale, 0, bins − 1), NaN in the last bin.

#include <stdbool.h>
#include <stdint.h>

/// Subjects per tile of Trial's `TimecourseStore` (its `lanes`, defined by this): the values of a
/// column's run. A constant, so that the kernels' loops over a run have a known length (the
/// prefetch of a run is then four instructions, not a loop).
#define CSUMMARIES_RUN 32

/// The first pass's running results for `columns` columns (TimecourseFirstPass): each array has
/// one entry per column.
typedef struct csummaries_first_pass {
    long columns;
    /// Bins per histogram.
    long bins;
    /// The running sum and compensation of Trial's CompensatedSum.
    double *sums, *compensations;
    /// +∞ and −∞ before the first value.
    double *minima, *maxima;
    /// The bin map of column c's histogram when `has_guess[c]`.
    const double *lows, *scales;
    const bool *has_guess;
    /// Column c's histogram at `counts + c · bins` (16-bit counts, wrapping), then one more that
    /// takes the increments of the columns without a guess.
    uint16_t *counts;
    /// Capture (NULL: none). Column c's values whose bin b has `keeps[c · bins + b]` set are
    /// appended, in subject order, to `candidates[c]` (at `candidate_counts[c]`, which advances);
    /// while capturing, a column without a guess counts its values into its own histogram (never
    /// read, its bin map whatever `lows[c]` and `scales[c]` hold) and is looked up at its own
    /// flags. The caller makes room for every value of the fold in each column's candidates
    /// beforehand. `keeps` has `(columns + 1) · bins` flags, the last `bins` all clear (the spare
    /// lanes of the last group of four use them, and `spare`, one double, as their candidates).
    const uint8_t *keeps;
    double *const *candidates;
    long *candidate_counts;
    double *spare;
} csummaries_first_pass;

/// Folds the next `count` values of every column, in subject order, into `pass`: column c's
/// first run at `tile + c · CSUMMARIES_RUN`. Per column and value exactly Trial's scalar operations:
/// `CompensatedSum.add`; `if v < min { min = v }` and `if v > max { max = v }`; the histogram
/// count of `BinMap.bin(v)` incremented when the column has a guess; with `keeps`, the value
/// appended to the column's candidates when its bin is kept. `portable` 1 runs the
/// baseline code even where AVX2 is available (for tests: both must give the same bits).
void csummaries_fold(const csummaries_first_pass *pass, const double *tile, long tile_stride, long count, int portable);

/// `slot_of_bin` value of a bin that holds no requested rank.
#define CSUMMARIES_NO_SLOT 255

/// One column's second pass of histogram selection (Trial's `OrderStatistics.BinSelection`).
typedef struct csummaries_selection {
    /// The column's first run.
    const double *column;
    /// The bin map its histogram was counted with.
    double low, scale;
    long bins;
    /// Per bin, the slot its values are copied to, or CSUMMARIES_NO_SLOT.
    const uint8_t *slot_of_bin;
    /// Per slot, where in `scratch` its next value goes (advanced by each copy).
    long *fill;
    double *scratch;
} csummaries_selection;

/// Copies each value of the `selection_count` columns that falls in a slot's bin to that slot,
/// in subject order; `count` values per column. The sweep goes tile after tile, each column's
/// run in turn, so columns that share the tiles' pages read them together.
void csummaries_take(const csummaries_selection *selections, long selection_count, long tile_stride, long count,
                     int portable);

#endif
