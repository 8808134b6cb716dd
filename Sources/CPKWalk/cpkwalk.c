// The oral 2-compartment walk of ModelSimulator.simulate for up to CPKWALK_LANES (four) subjects
// at once.
//
// Each grid step is x ← Φ·x with Φ's structural zeros left out, row by row in the order
// LinearPKPropagator.step sums them (γ·R is 0 without infusions):
//   y0 = 0 + φ0·x0
//   y1 = ((0 + φ4·x0) + φ5·x1) + φ6·x2
//   y2 = ((0 + φ8·x0) + φ9·x1) + φ10·x2
//   y3 = (((0 + φ12·x0) + φ13·x1) + φ14·x2) + x3
// A partial sum that starts from +0 is never −0 under round-to-nearest (a sum is −0 only when
// both terms are), and adding a zero to a value that is not −0 returns it unchanged; a term with
// a coefficient that is exactly 0 is a zero as long as the state is finite, so leaving it out
// changes no bit; 1·x3 is x3. The `0 +` stays: it turns a product of −0 into +0, as the general
// walk's sum does. A non-finite state stays non-finite (every row keeps its diagonal term and
// doses only add), so one check at the end catches the case where the dropped terms would have
// made NaNs.
//
// The lanes are independent: lane-wise IEEE arithmetic rounds each lane as the scalar operation
// would. Subjects are walked together because one subject's walk is bound by the latency of the
// multiplies and adds each step waits for from the previous one; the lanes share that wait. (On
// a Zen 3 core four lanes of AVX2 take about 70% of the time per subject and step of two lanes;
// eight lanes, two vectors of four, gain nothing more.) In a walk of fewer subjects than lanes
// the spare lanes repeat the last subject (the same numbers written to the same places), so
// there is one code path.

#include "cpkwalk.h"
#include "ccpufeatures.h"

#include <math.h>
#include <string.h>

// Every product must be rounded before it is added, as in the Swift code this replaces (Swift
// never fuses): no contraction into fused multiply-adds (which clang otherwise does where the
// target has them, e.g. on AArch64).
#pragma STDC FP_CONTRACT OFF

_Static_assert(CPKWALK_LANES % 2 == 0, "the lanes are stored in pairs (store_lanes)");

/// One double per lane.
typedef double vec __attribute__((vector_size(8 * CPKWALK_LANES)));
typedef double v2d __attribute__((vector_size(16)));

/// The state of every lane: depot, central, peripheral, AUC.
typedef struct {
    vec x0, x1, x2, x3;
} walk_state;

/// What the steps read, each with every lane's value: Φ's entries that are not structural zeros,
/// and the central volumes.
typedef struct {
    vec p0, p4, p5, p6, p8, p9, p10, p12, p13, p14;
    vec volume;
} walk_coefficients;

/// Φ(length) of every lane into `m` (a spare lane gets the last subject's). 0 when a subject has
/// none. Out of line: it runs only when the step length changes.
__attribute__((noinline, cold)) static int load_matrix(const cpkwalk_course *course, const cpkwalk_lane *lanes, int lane_count,
                                                       double length, walk_coefficients *m) {
    const double *phi = NULL;
    for (int l = 0; l < CPKWALK_LANES; l++) {
        if (l < lane_count) {
            phi = course->transition(lanes[l].source, length);
            if (!phi) return 0;
        }
        m->p0[l] = phi[0];
        m->p4[l] = phi[4], m->p5[l] = phi[5], m->p6[l] = phi[6];
        m->p8[l] = phi[8], m->p9[l] = phi[9], m->p10[l] = phi[10];
        m->p12[l] = phi[12], m->p13[l] = phi[13], m->p14[l] = phi[14];
    }
    return 1;
}

/// `m`, as a pointer the compiler cannot see through. The coefficients read through it are then
/// read from memory at every step (as operands of the multiplies, which costs no instruction):
/// the compiler must assume that the stores of the outputs may change them. Sixteen vector
/// registers do not hold the state, eleven coefficients and the temporaries, and the compiler
/// would otherwise keep the coefficients and spill the state, putting a store and a load on the
/// loop-carried chain.
__attribute__((always_inline)) static inline walk_coefficients *in_memory(walk_coefficients *m) {
    __asm__("" : "+r"(m));
    return m;
}

/// x ← Φ·x, each row summed as LinearPKPropagator.step does (see the top of the file).
__attribute__((always_inline)) static inline void step(walk_state *x, const walk_coefficients *m) {
    const vec zero = {0};
    const vec x0 = x->x0, x1 = x->x1, x2 = x->x2;
    x->x0 = zero + m->p0 * x0;
    x->x1 = ((zero + m->p4 * x0) + m->p5 * x1) + m->p6 * x2;
    x->x2 = ((zero + m->p8 * x0) + m->p9 * x1) + m->p10 * x2;
    x->x3 = (((zero + m->p12 * x0) + m->p13 * x1) + m->p14 * x2) + x->x3;
}

/// Advances by `length` (ModelSimulator's `advance`: nothing for a length ≤ 0), with Φ looked
/// up only when the length differs from the previous step's (`*current`, −1 before the first).
/// 0 when a subject has no Φ.
__attribute__((always_inline)) static inline int advance(walk_state *x, walk_coefficients *m, double *current, double length,
                                                         const cpkwalk_course *course, const cpkwalk_lane *lanes, int lane_count) {
    if (__builtin_expect(!(length > 0), 0)) return 1;
    if (__builtin_expect(length != *current, 0)) {
        if (!load_matrix(course, lanes, lane_count, length, m)) return 0;
        *current = length;
    }
    step(x, m);
    return 1;
}

#if defined(__x86_64__)
#define VECTOR_REGISTER "x"
#elif defined(__aarch64__)
#define VECTOR_REGISTER "w"
#endif

/// rows[l][k] = (*v)[l] for every lane (`v` by pointer: vectors are passed differently with and
/// without AVX). The lanes go out in pairs pinned in vector registers: seeing only lanes stored
/// one by one, the compiler would otherwise split the division that makes the concentrations
/// into scalar ones, at a fraction of the throughput.
__attribute__((always_inline)) static inline void store_lanes(double *const rows[CPKWALK_LANES], long k, const vec *v) {
    for (int l = 0; l < CPKWALK_LANES; l += 2) {
        v2d pair = {(*v)[l], (*v)[l + 1]};
#ifdef VECTOR_REGISTER
        __asm__("" : "+" VECTOR_REGISTER(pair));
#endif
        rows[l][k] = pair[0];
        rows[l + 1][k] = pair[1];
    }
}

/// The walk (ModelSimulator.simulate's event and segment loop), compiled once per instruction
/// set by inlining it into the entry points below.
__attribute__((always_inline)) static inline int walk(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count) {
    int subject[CPKWALK_LANES];
    for (int l = 0; l < CPKWALK_LANES; l++) subject[l] = l < lane_count ? l : lane_count - 1;
    walk_state x;
    walk_coefficients coefficients;  // only through `m`; every field is set before it is read
    walk_coefficients *const m = in_memory(&coefficients);
    double *outputs[CPKWALK_LANES];
    for (int l = 0; l < CPKWALK_LANES; l++) {
        const cpkwalk_lane *lane = &lanes[subject[l]];
        x.x0[l] = lane->state[0];
        x.x1[l] = lane->state[1];
        x.x2[l] = lane->state[2];
        x.x3[l] = lane->state[3];
        m->volume[l] = lane->volume;
        outputs[l] = lane->outputs;
    }
    const double *t = course->times;
    const long count = course->time_count, event_count = course->event_count;
    const cpkwalk_event *events = course->events;

    double time = 0, length = -1;
    long event = 0, k = 0;
    while (k < count) {
        // Discontinuities at the current time act before anything is read at it.
        for (; event < event_count && events[event].time <= time; event++) {
            const cpkwalk_event *e = &events[event];
            vec amount;
            for (int l = 0; l < CPKWALK_LANES; l++) amount[l] = e->amount[subject[l]];
            if (e->central) {
                x.x1 += amount;
            } else {
                x.x0 += amount;
            }
        }
        const double end = event < event_count ? events[event].time : INFINITY;
        for (; k < count && t[k] < end; k++) {
            if (!advance(&x, m, &length, t[k] - time, course, lanes, lane_count)) return 0;
            time = t[k];
            // A division, as in the general walk: x/V and x·(1/V) can differ in the last bit.
            const vec c = x.x1 / m->volume;
            store_lanes(outputs, k, &c);
            store_lanes(outputs, count + k, &x.x3);
        }
        if (isfinite(end) && !advance(&x, m, &length, end - time, course, lanes, lane_count)) return 0;
        time = end;
    }

    for (int l = 0; l < lane_count; l++) {
        const double final[4] = {x.x0[l], x.x1[l], x.x2[l], x.x3[l]};
        for (int i = 0; i < 4; i++) {
            if (!isfinite(final[i])) return 0;
        }
    }
    for (int l = 0; l < lane_count; l++) {
        memcpy(lanes[l].state, (const double[4]){x.x0[l], x.x1[l], x.x2[l], x.x3[l]}, sizeof lanes[l].state);
        // Every integral is the AUC (ModelSimulator.oralTwoCompartment): its row is the AUC row,
        // copied once rather than stored lane by lane at every step — only where it is read, when
        // the course says where.
        for (long j = 0; count > 0 && j < course->integral_count; j++) {
            double *row = lanes[l].integrals + j * count;
            const double *auc = lanes[l].outputs + count;
            if (course->integral_times) {
                for (long i = 0; i < course->integral_time_count; i++) row[course->integral_times[i]] = auc[course->integral_times[i]];
            } else {
                memcpy(row, auc, (size_t)count * sizeof(double));
            }
        }
    }
    return 1;
}

/// The baseline build: SSE2 on x86-64 (each vector operation is two), NEON on AArch64.
static int walk_portable(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count) {
    return walk(course, lanes, lane_count);
}

#if defined(__x86_64__)

/// One instruction per vector operation. Not "fma": the products must be rounded on their own.
__attribute__((target("avx2"))) static int walk_avx2(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count) {
    return walk(course, lanes, lane_count);
}

int cpkwalk_walk(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count, int portable) {
    if (!portable && ccpufeatures_avx2_available()) return walk_avx2(course, lanes, lane_count);
    return walk_portable(course, lanes, lane_count);
}

#else

int cpkwalk_walk(const cpkwalk_course *course, cpkwalk_lane *lanes, int lane_count, int portable) {
    (void)portable;
    return walk_portable(course, lanes, lane_count);
}

#endif
