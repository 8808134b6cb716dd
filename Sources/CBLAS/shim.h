#include <cblas.h>

// OpenBLAS starts a pool of worker threads when it is loaded; they spin (sched_yield) for about
// 2^28 cycles waiting for work before they sleep. VirtualTrial parallelises over subjects and
// wants BLAS single-threaded: one thread per call, and the idle pool shut down at once instead
// of spinning on a core the simulation needs. `blas_thread_shutdown_` is OpenBLAS's own (used
// around fork); declared weak, so a BLAS without it is simply left alone.
extern int blas_thread_shutdown_(void) __attribute__((weak));

static inline void vt_openblas_single_thread(void) {
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
