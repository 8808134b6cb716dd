#ifndef CLINEARALGEBRA_H
#define CLINEARALGEBRA_H

// OpenBLAS and LAPACKE, loaded at run time (dlopen) instead of by the dynamic loader at start-up.
//
// Linked in the usual way, the two libraries (and the LAPACK, BLAS and gfortran libraries they
// bring) cost every vtrial process ~8 ms before `main`: mapping them, ~14,000 symbol relocations,
// and OpenBLAS starting its thread pool. That is serial time in a 2-thread run and a third of a
// `vtrial check`. Opened here on a thread of their own while the Swift runtime starts and the
// command line and the protocol are read, they cost the process much less. See
// docs/performance.md (item 44).
//
// The headers are the libraries' own, so every wrapper below has exactly the library's signature
// (the pointers are declared with `__typeof__` of the header's prototypes). Do not call the
// header's `cblas_*` / `LAPACKE_*` functions directly: nothing links them. Call the `vt_` wrappers,
// after `vt_linalg_require()` (or `vt_linalg_ready()` returning 0).

#include <cblas.h>
#include <lapacke.h>

/// Starts loading the libraries on a thread of its own and returns at once (once per process;
/// later calls do nothing). vtrial calls it from a constructor, before `main` (CStartup).
void vt_linalg_start_loading(void);

/// Loads the libraries if that has not been done (or waits for the load started by
/// `vt_linalg_start_loading`). 0 when they are ready; -1 when they could not be loaded
/// (`vt_linalg_require` prints why). Thread-safe; after the first call it costs one atomic load.
int vt_linalg_ready(void);

/// `vt_linalg_ready()`, and when the libraries could not be loaded: the reason on stderr, then
/// exit(1).
void vt_linalg_require(void);

/// The threads OpenBLAS uses per call (`openblas_get_num_threads`) once loaded; -1 if unknown.
int vt_linalg_blas_threads(void);

// The routines VirtualTrial uses, with the libraries' signatures.
void vt_cblas_dtrsm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE transA, CBLAS_DIAG diag,
                    blasint m, blasint n, double alpha, const double *a, blasint lda, double *b, blasint ldb);
void vt_cblas_dtrmm(CBLAS_ORDER order, CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE transA, CBLAS_DIAG diag,
                    blasint m, blasint n, double alpha, const double *a, blasint lda, double *b, blasint ldb);
void vt_cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, blasint m, blasint n, blasint k,
                    double alpha, const double *a, blasint lda, const double *b, blasint ldb, double beta, double *c, blasint ldc);
void vt_cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, double alpha, const double *a, blasint lda,
                    const double *x, blasint incx, double beta, double *y, blasint incy);
lapack_int vt_LAPACKE_dpotrf(int layout, char uplo, lapack_int n, double *a, lapack_int lda);
lapack_int vt_LAPACKE_dpotri(int layout, char uplo, lapack_int n, double *a, lapack_int lda);
lapack_int vt_LAPACKE_dposv(int layout, char uplo, lapack_int n, lapack_int nrhs, double *a, lapack_int lda, double *b, lapack_int ldb);
lapack_int vt_LAPACKE_dgetrf(int layout, lapack_int m, lapack_int n, double *a, lapack_int lda, lapack_int *ipiv);
lapack_int vt_LAPACKE_dgetrs(int layout, char trans, lapack_int n, lapack_int nrhs, const double *a, lapack_int lda,
                             const lapack_int *ipiv, double *b, lapack_int ldb);
lapack_int vt_LAPACKE_dgels(int layout, char trans, lapack_int m, lapack_int n, lapack_int nrhs, double *a, lapack_int lda,
                            double *b, lapack_int ldb);
lapack_int vt_LAPACKE_dtrtri(int layout, char uplo, char diag, lapack_int n, double *a, lapack_int lda);
lapack_int vt_LAPACKE_dsyev(int layout, char jobz, char uplo, lapack_int n, double *a, lapack_int lda, double *w);

#endif
