// The first and second pass of the time-course summaries (see csummaries.h) with four values in
// the lanes of one vector.
//
// The fold puts four columns in the lanes: lane l does column c + l's scalar operations on its
// next value, so each column's results are bit for bit those of the scalar code (lane-wise IEEE
// arithmetic rounds each lane as the scalar operation would; the branches become selects between
// the values the scalar code chooses from). The take puts four adjacent values of one column in
// the lanes for their bins, then looks up and copies them one by one, in order. The histogram
// increments and the copies stay scalar. Both loops were bound by their instructions: about 24 and
// 17 per value in the Swift code with two lanes, here about 8 and 7 (callgrind, W1 with 20,000
// subjects); what remains is mostly waiting for memory, hence the prefetches of the next tile.

#include "csummaries.h"
#include "ccpufeatures.h"

#include <string.h>

// Every product must be rounded before it is added, as in the Swift code this replaces (Swift
// never fuses): no contraction into fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

// The helpers that take or return vectors are all inlined (always_inline) into the entry points
// below, so no vector crosses a call and the calling convention (which differs with and
// without AVX, hence the warning for the baseline build) never applies.
#pragma clang diagnostic ignored "-Wpsabi"

#define LANES 4

/// One double per lane.
typedef double v4d __attribute__((vector_size(8 * LANES)));
/// One 64-bit integer per lane; also what comparisons of v4d give (−1 where true, else 0).
typedef long long v4i __attribute__((vector_size(8 * LANES)));
/// Two doubles: half a vector.
typedef double v2d __attribute__((vector_size(16)));

__attribute__((always_inline)) static inline v4d splat(double x) { return (v4d){x, x, x, x}; }

/// `mask ? a : b` lane by lane (C has no vector `?:`).
__attribute__((always_inline)) static inline v4d select_lanes(v4i mask, v4d a, v4d b) {
    return (v4d)(((v4i)a & mask) | ((v4i)b & ~mask));
}

/// BinMap.bin of each lane: x = (v − low)·scale; x < 0 ? 0 : (x < upper ? x : upper) (NaN →
/// upper); rounded to the nearest integer by adding 2⁵², whose low bits are then the bin.
///
/// The clamp is `x < upper ? x : upper`, then `> 0 ? · : 0`, a minimum and a maximum (one
/// instruction each): it differs from the scalar order only for x = −0, which becomes +0 instead
/// of staying −0, and both add to exactly 2⁵² (bin 0).
__attribute__((always_inline)) static inline v4i bins_of(v4d v, v4d low, v4d scale, v4d upper) {
    const v4d zero = {0}, magic = splat(0x1p52);
    const v4d x = (v - low) * scale;
    const v4d below_upper = select_lanes((v4i)(x < upper), x, upper);
    const v4d clamped = select_lanes((v4i)(below_upper > zero), below_upper, zero);
    return (v4i)(clamped + magic) - (v4i)magic;
}

/// Doubles per 64-byte cache line.
#define LINE_DOUBLES 8

/// Asks for the run at `values` (a column's run in the next tile) to be brought into the
/// cache. The runs of one tile lie together, but tiles are `tile_stride` apart (hundreds of KB for
/// many columns): the hardware prefetchers, which follow sequences within a page, do not see the
/// next tile coming, and without this each tile's runs arrive from memory as the loop waits. (W1
/// with 100,000 subjects, one thread: the fold's profile samples fell by 13%, the second pass's by
/// 27%; prefetching two or three tiles ahead did worse in a micro-benchmark.)
__attribute__((always_inline)) static inline void prefetch_run(const double *values) {
    for (long j = 0; j < CSUMMARIES_RUN; j += LINE_DOUBLES) __builtin_prefetch(values + j);
}

/// The running results of four columns, one per lane.
typedef struct {
    v4d sum, compensation, minimum, maximum;
} fold_state;

/// Where the capture of one group of four columns puts its next value, per lane (the column's
/// candidates at their count so far).
typedef struct {
    double *next[LANES];
} capture_state;

/// One value per lane: CompensatedSum.add, the minimum and maximum, the histogram increment (lane
/// l's histogram at `counts + histograms[l]`: one base register for the four lanes) and, when
/// `capture` (a constant after inlining), the value appended to the lane's candidates — always
/// stored, the count advanced only when its bin is kept (no branch to mispredict).
__attribute__((always_inline)) static inline void fold_value(fold_state *s, v4d v, v4d low, v4d scale, v4d upper,
                                                             uint16_t *counts, v4i histograms, const int capture,
                                                             const uint8_t *keeps, capture_state *k) {
    const v4i magnitude = {~(1ll << 63), ~(1ll << 63), ~(1ll << 63), ~(1ll << 63)};
    const v4d t = s->sum + v;
    // (s − t) + v where |s| ≥ |v|, else (v − t) + s: the operands chosen first (one select fewer).
    const v4i sum_bigger = (v4i)((v4d)((v4i)s->sum & magnitude) >= (v4d)((v4i)v & magnitude));
    const v4d big = select_lanes(sum_bigger, s->sum, v), small = select_lanes(sum_bigger, v, s->sum);
    s->compensation += (big - t) + small;
    s->sum = t;
    s->minimum = select_lanes((v4i)(v < s->minimum), v, s->minimum);
    s->maximum = select_lanes((v4i)(v > s->maximum), v, s->maximum);
    const v4i index = histograms + bins_of(v, low, scale, upper);
    for (int l = 0; l < LANES; l++) {
        const long i = index[l];
        counts[i]++;
        if (capture) {
            *k->next[l] = v[l];
            k->next[l] += keeps[i];
        }
    }
}

/// The fold of csummaries_fold (`capture` a constant after inlining). Columns c…c + 3 go through
/// all `count` values before the next four, so their histograms stay in the cache. In the last
/// group, spare lanes repeat column c (into the last histogram, discarded, their captures into
/// `spare`, and their results are not stored).
///
/// The lanes' values are loaded two values of each column at a time and transposed (two loads,
/// two inserts and two shuffles for two vectors, against five instructions per vector loaded
/// lane by lane), which keeps few vectors live: the sixteen registers hold the four columns'
/// state and bin maps without spilling.
__attribute__((always_inline)) static inline void fold_columns(const csummaries_first_pass *pass, const double *tile,
                                                               long tile_stride, long count, const int capture) {
    const long columns = pass->columns;
    const uint8_t *const keeps = pass->keeps;
    uint16_t *const counts = pass->counts;
    const v4d upper = splat((double)(pass->bins - 1));
    for (long c = 0; c < columns; c += LANES) {
        fold_state s;
        v4d low, scale;
        const double *runs[LANES];
        v4i histograms;
        capture_state kept;
        for (int l = 0; l < LANES; l++) {
            const int real = c + l < columns;
            const long k = real ? c + l : c;
            s.sum[l] = pass->sums[k], s.compensation[l] = pass->compensations[k];
            s.minimum[l] = pass->minima[k], s.maximum[l] = pass->maxima[k];
            low[l] = pass->lows[k], scale[l] = pass->scales[k];
            runs[l] = tile + k * CSUMMARIES_RUN;
            // While capturing, a column without a guess counts into its own histogram (never
            // read), so that one index serves its histogram and its keep flags.
            histograms[l] = (real && (capture || pass->has_guess[k]) ? k : columns) * pass->bins;
            if (capture) kept.next[l] = real ? pass->candidates[k] + pass->candidate_counts[k] : pass->spare;
        }
        for (long offset = 0; offset < count; offset += CSUMMARIES_RUN) {
            const long width = count - offset < CSUMMARIES_RUN ? count - offset : CSUMMARIES_RUN;
            if (offset + CSUMMARIES_RUN < count) {
                for (int l = 0; l < LANES; l++) prefetch_run(runs[l] + tile_stride);
            }
            const long pairs_end = width & ~1l;
            long i = 0;
            for (; i < pairs_end; i += 2) {
                v2d pair[LANES];
                for (int l = 0; l < LANES; l++) memcpy(&pair[l], runs[l] + i, sizeof pair[l]);
                const v4d lanes02 = __builtin_shufflevector(pair[0], pair[2], 0, 1, 2, 3);
                const v4d lanes13 = __builtin_shufflevector(pair[1], pair[3], 0, 1, 2, 3);
                fold_value(&s, __builtin_shufflevector(lanes02, lanes13, 0, 4, 2, 6), low, scale, upper, counts, histograms,
                           capture, keeps, &kept);
                fold_value(&s, __builtin_shufflevector(lanes02, lanes13, 1, 5, 3, 7), low, scale, upper, counts, histograms,
                           capture, keeps, &kept);
            }
            if (i < width) {
                fold_value(&s, (v4d){runs[0][i], runs[1][i], runs[2][i], runs[3][i]}, low, scale, upper, counts, histograms,
                           capture, keeps, &kept);
            }
            for (int l = 0; l < LANES; l++) runs[l] += tile_stride;
        }
        for (int l = 0; l < LANES && c + l < columns; l++) {
            pass->sums[c + l] = s.sum[l], pass->compensations[c + l] = s.compensation[l];
            pass->minima[c + l] = s.minimum[l], pass->maxima[c + l] = s.maximum[l];
            if (capture) pass->candidate_counts[c + l] = kept.next[l] - pass->candidates[c + l];
        }
    }
}

/// csummaries_fold, compiled once per instruction set by inlining it into the entry points below
/// (and within each, once without capture and once with).
__attribute__((always_inline)) static inline void fold(const csummaries_first_pass *pass, const double *tile, long tile_stride,
                                                       long count) {
    if (pass->keeps) {
        fold_columns(pass, tile, tile_stride, count, 1);
    } else {
        fold_columns(pass, tile, tile_stride, count, 0);
    }
}

/// Copies each of the first `lanes` values whose bin has a slot to the end of that slot, in lane
/// order. Most values are in no slot: one test covers the four lanes (CSUMMARIES_NO_SLOT has
/// every bit set, so the four slots' AND is CSUMMARIES_NO_SLOT only when all are). Lanes from
/// `lanes` on repeat a lane before them, so they change nothing in that test.
__attribute__((always_inline)) static inline void take_values(const uint8_t *slot_of_bin, long *fill, double *scratch, v4d v,
                                                              v4i bins, int lanes) {
    _Static_assert(CSUMMARIES_NO_SLOT == UINT8_MAX, "the test of four lanes at once ANDs the slots");
    if ((slot_of_bin[bins[0]] & slot_of_bin[bins[1]] & slot_of_bin[bins[2]] & slot_of_bin[bins[3]]) == CSUMMARIES_NO_SLOT) return;
    for (int l = 0; l < lanes; l++) {
        const uint8_t slot = slot_of_bin[bins[l]];
        if (slot != CSUMMARIES_NO_SLOT) scratch[fill[slot]++] = v[l];
    }
}

/// csummaries_take, compiled once per instruction set like `fold`. A run of a width that is not
/// a multiple of four ends with a vector whose spare lanes repeat its last value and are not
/// taken.
__attribute__((always_inline)) static inline void take(const csummaries_selection *selections, long selection_count,
                                                       long tile_stride, long count) {
    for (long offset = 0, tile = 0; offset < count; offset += CSUMMARIES_RUN, tile++) {
        const long width = count - offset < CSUMMARIES_RUN ? count - offset : CSUMMARIES_RUN;
        for (long k = 0; k < selection_count; k++) {
            const csummaries_selection *s = &selections[k];
            const double *values = s->column + tile * tile_stride;
            if (offset + CSUMMARIES_RUN < count) prefetch_run(values + tile_stride);
            const uint8_t *const slot_of_bin = s->slot_of_bin;
            long *const fill = s->fill;
            double *const scratch = s->scratch;
            const v4d low = splat(s->low), scale = splat(s->scale), upper = splat((double)(s->bins - 1));
            const long vectors_end = width & ~(long)(LANES - 1);
            long i = 0;
            for (; i < vectors_end; i += LANES) {
                v4d v;
                memcpy(&v, values + i, sizeof v);
                take_values(slot_of_bin, fill, scratch, v, bins_of(v, low, scale, upper), LANES);
            }
            if (i < width) {
                v4d v;
                for (int l = 0; l < LANES; l++) v[l] = values[i + l < width ? i + l : width - 1];
                take_values(slot_of_bin, fill, scratch, v, bins_of(v, low, scale, upper), (int)(width - i));
            }
        }
    }
}

/// The baseline build: SSE2 on x86-64 (each vector operation is two), NEON on AArch64.
static void fold_portable(const csummaries_first_pass *pass, const double *tile, long tile_stride, long count) {
    fold(pass, tile, tile_stride, count);
}

static void take_portable(const csummaries_selection *selections, long selection_count, long tile_stride, long count) {
    take(selections, selection_count, tile_stride, count);
}

#if defined(__x86_64__)

/// One instruction per vector operation. Not "fma": the products must be rounded on their own.
__attribute__((target("avx2"))) static void fold_avx2(const csummaries_first_pass *pass, const double *tile, long tile_stride,
                                                      long count) {
    fold(pass, tile, tile_stride, count);
}

__attribute__((target("avx2"))) static void take_avx2(const csummaries_selection *selections, long selection_count,
                                                      long tile_stride, long count) {
    take(selections, selection_count, tile_stride, count);
}

void csummaries_fold(const csummaries_first_pass *pass, const double *tile, long tile_stride, long count,
                     int portable) {
    if (!portable && ccpufeatures_avx2_available()) {
        fold_avx2(pass, tile, tile_stride, count);
    } else {
        fold_portable(pass, tile, tile_stride, count);
    }
}

void csummaries_take(const csummaries_selection *selections, long selection_count, long tile_stride, long count,
                     int portable) {
    if (!portable && ccpufeatures_avx2_available()) {
        take_avx2(selections, selection_count, tile_stride, count);
    } else {
        take_portable(selections, selection_count, tile_stride, count);
    }
}

#else

void csummaries_fold(const csummaries_first_pass *pass, const double *tile, long tile_stride, long count,
                     int portable) {
    (void)portable;
    fold_portable(pass, tile, tile_stride, count);
}

void csummaries_take(const csummaries_selection *selections, long selection_count, long tile_stride, long count,
                     int portable) {
    (void)portable;
    take_portable(selections, selection_count, tile_stride, count);
}

#endif
