// OpenBLAS and LAPACKE loaded at run time; see include/clinearalgebra.h for why.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "clinearalgebra.h"

#include <dlfcn.h>
#include <pthread.h>
#ifdef __linux__
#include <sched.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The libraries by soname (what the -dev packages' `-lopenblas -llapacke` would have recorded),
// then the development names as a fallback.
#if defined(__APPLE__)
static const char *const openblasNames[] = {"libopenblas.0.dylib", "libopenblas.dylib", NULL};
static const char *const lapackeNames[] = {"liblapacke.3.dylib", "liblapacke.dylib", NULL};
#else
static const char *const openblasNames[] = {"libopenblas.so.0", "libopenblas.so", NULL};
static const char *const lapackeNames[] = {"liblapacke.so.3", "liblapacke.so", NULL};
#endif

// The routines VirtualTrial calls, each once: the library it comes from and its name. Each gets
// a pointer `p_NAME` typed by the header's prototype, resolved by `load`.
#define VT_ROUTINES(X)                                                                            \
    X(openblas, cblas_dtrsm) X(openblas, cblas_dtrmm) X(openblas, cblas_dgemm) X(openblas, cblas_dgemv) \
    X(lapacke, LAPACKE_dpotrf) X(lapacke, LAPACKE_dpotri) X(lapacke, LAPACKE_dposv)                \
    X(lapacke, LAPACKE_dgetrf) X(lapacke, LAPACKE_dgetrs) X(lapacke, LAPACKE_dgels)                \
    X(lapacke, LAPACKE_dtrtri) X(lapacke, LAPACKE_dsyev)

#define VT_DECLARE(library, name) static __typeof__(name) *p_##name;
VT_ROUTINES(VT_DECLARE)

static int (*p_getThreads)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int status = -1;
static char error[512];

// OpenBLAS is opened with RTLD_GLOBAL, as the dynamic loader would have linked it: LAPACKE's
// Fortran LAPACK and BLAS calls (dpotrf_, dgemm_, …) then bind to OpenBLAS's own, not to
// whatever liblapack.so.3 and libblas.so.3 the system's alternatives name. The libraries' own
// calls are bound on first use (RTLD_LAZY, in the same scope as at load time, so to the same
// functions): binding all of them at load (thousands of calls in LAPACK) put ~0.6 ms more on the
// start of every run (docs/performance.md, item 50). The routines VirtualTrial calls are all
// looked up here (VT_RESOLVE), so a library without one is still refused at once.
static void *openFirst(const char *const *names, int scope) {
    for (const char *const *name = names; *name; name++) {
        void *handle = dlopen(*name, RTLD_LAZY | scope);
        if (handle) return handle;
        if (name == names) snprintf(error, sizeof error, "%s", dlerror());
    }
    return NULL;
}

#define VT_RESOLVE(library, name)                                                                 \
    *(void **)(&p_##name) = dlsym(library, #name);                                                \
    if (!p_##name) {                                                                              \
        snprintf(error, sizeof error, "%s has no %s", (library) == openblas ? "OpenBLAS" : "LAPACKE", #name); \
        return;                                                                                   \
    }

static void load(void) {
    void *openblas = openFirst(openblasNames, RTLD_GLOBAL);
    if (!openblas) return;
    // VirtualTrial parallelises over subjects: one BLAS thread per call. OpenBLAS started a pool
    // of threads when it was opened (they spin for ~0.1 s waiting for work); it is shut down at
    // once. `blas_thread_shutdown_` is OpenBLAS's own (used around fork); optional. (Setting
    // OPENBLAS_NUM_THREADS=1 before opening it would avoid the pool, but the environment cannot
    // be changed this early: the statically linked Swift runtime finds the command line from it.)
    void (*setThreads)(int) = (void (*)(int))dlsym(openblas, "openblas_set_num_threads");
    if (setThreads) setThreads(1);
    int (*shutdown)(void) = (int (*)(void))dlsym(openblas, "blas_thread_shutdown_");
    if (shutdown) shutdown();
    *(void **)(&p_getThreads) = dlsym(openblas, "openblas_get_num_threads");
    // Builds of OpenBLAS that include LAPACKE (conda, spack) need no separate library.
    void *lapacke = dlsym(openblas, "LAPACKE_dpotrf") ? openblas : openFirst(lapackeNames, RTLD_LOCAL);
    if (!lapacke) return;
    VT_ROUTINES(VT_RESOLVE)
    error[0] = 0;
    status = 0;
}

#ifdef __linux__
// The CPUs the process may use, as the loader thread is started (`vt_linalg_start_loading`).
static cpu_set_t allowedCPUs;
static int allowedCPUsKnown = 0;
#endif

static void *loadOnItsOwnThread(void *unused) {
    (void)unused;
#ifdef __linux__
    // Started on the CPUs other than the starting thread's (see `vt_linalg_start_loading`); from
    // now on the scheduler is free to move it anywhere again.
    if (allowedCPUsKnown) (void)sched_setaffinity(0, sizeof allowedCPUs, &allowedCPUs);
#endif
    pthread_once(&once, load);
    return NULL;
}

// At exit, a load still under way is waited for: exit's own unloading (OpenBLAS's destructor shuts
// its threads down) must not run while the loader thread calls into OpenBLAS.
static void waitForTheLoad(void) { pthread_once(&once, load); }

void vt_linalg_start_loading(void) {
    static int started = 0;
    if (started) return;
    started = 1;
    atexit(waitForTheLoad);
    pthread_t thread;
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return;
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int narrowed = 0;
#ifdef __linux__
    // The loader is started on a CPU other than this thread's, which goes on with the command
    // line and the protocol: Linux often queued a new thread on its creator's CPU although the
    // other was idle, and the two then shared one CPU (vtrial's marks: the protocol read and the
    // libraries opened ~2.5 ms later, in half of W1's runs; docs/performance.md, item 52). The
    // thread widens its mask back as it starts (`loadOnItsOwnThread`).
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof allowedCPUs, &allowedCPUs) == 0) {
        allowedCPUsKnown = 1;
        cpu_set_t others = allowedCPUs;
        CPU_CLR(here, &others);
        if (CPU_COUNT(&others) > 0) narrowed = pthread_attr_setaffinity_np(&attributes, sizeof others, &others) == 0;
    }
#endif
    // Without a thread, the first vt_linalg_ready() loads the libraries itself. (A mask the
    // thread could not be given is no reason not to start it.)
    if (pthread_create(&thread, &attributes, loadOnItsOwnThread, NULL) != 0 && narrowed) {
        pthread_attr_destroy(&attributes);
        if (pthread_attr_init(&attributes) != 0) return;
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        (void)pthread_create(&thread, &attributes, loadOnItsOwnThread, NULL);
    }
    pthread_attr_destroy(&attributes);
}

int vt_linalg_ready(void) {
    pthread_once(&once, load);
    return status;
}

void vt_linalg_require(void) {
    if (vt_linalg_ready() == 0) return;
    fprintf(stderr, "vtrial: error: cannot open OpenBLAS/LAPACKE: %s\n"
                    "  (install them; Debian: apt-get install libopenblas0 liblapacke)\n", error);
    exit(1);
}

int vt_linalg_blas_threads(void) { return p_getThreads ? p_getThreads() : -1; }

void vt_cblas_dtrsm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE transA, CBLAS_DIAG diag,
                    blasint m, blasint n, double alpha, const double *a, blasint lda, double *b, blasint ldb) {
    p_cblas_dtrsm(order, side, uplo, transA, diag, m, n, alpha, a, lda, b, ldb);
}

void vt_cblas_dtrmm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE transA, CBLAS_DIAG diag,
                    blasint m, blasint n, double alpha, const double *a, blasint lda, double *b, blasint ldb) {
    p_cblas_dtrmm(order, side, uplo, transA, diag, m, n, alpha, a, lda, b, ldb);
}

void vt_cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, blasint m, blasint n, blasint k,
                    double alpha, const double *a, blasint lda, const double *b, blasint ldb, double beta, double *c, blasint ldc) {
    p_cblas_dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void vt_cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, double alpha, const double *a, blasint lda,
                    const double *x, blasint incx, double beta, double *y, blasint incy) {
    p_cblas_dgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

lapack_int vt_LAPACKE_dpotrf(int layout, char uplo, lapack_int n, double *a, lapack_int lda) {
    return p_LAPACKE_dpotrf(layout, uplo, n, a, lda);
}

lapack_int vt_LAPACKE_dpotri(int layout, char uplo, lapack_int n, double *a, lapack_int lda) {
    return p_LAPACKE_dpotri(layout, uplo, n, a, lda);
}

lapack_int vt_LAPACKE_dposv(int layout, char uplo, lapack_int n, lapack_int nrhs, double *a, lapack_int lda, double *b, lapack_int ldb) {
    return p_LAPACKE_dposv(layout, uplo, n, nrhs, a, lda, b, ldb);
}

lapack_int vt_LAPACKE_dgetrf(int layout, lapack_int m, lapack_int n, double *a, lapack_int lda, lapack_int *ipiv) {
    return p_LAPACKE_dgetrf(layout, m, n, a, lda, ipiv);
}

lapack_int vt_LAPACKE_dgetrs(int layout, char trans, lapack_int n, lapack_int nrhs, const double *a, lapack_int lda,
                             const lapack_int *ipiv, double *b, lapack_int ldb) {
    return p_LAPACKE_dgetrs(layout, trans, n, nrhs, a, lda, ipiv, b, ldb);
}

lapack_int vt_LAPACKE_dgels(int layout, char trans, lapack_int m, lapack_int n, lapack_int nrhs, double *a, lapack_int lda,
                            double *b, lapack_int ldb) {
    return p_LAPACKE_dgels(layout, trans, m, n, nrhs, a, lda, b, ldb);
}

lapack_int vt_LAPACKE_dtrtri(int layout, char uplo, char diag, lapack_int n, double *a, lapack_int lda) {
    return p_LAPACKE_dtrtri(layout, uplo, diag, n, a, lda);
}

lapack_int vt_LAPACKE_dsyev(int layout, char jobz, char uplo, lapack_int n, double *a, lapack_int lda, double *w) {
    return p_LAPACKE_dsyev(layout, jobz, uplo, n, a, lda, w);
}
