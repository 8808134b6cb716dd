#ifndef CCPUFEATURES_H
#define CCPUFEATURES_H

/// 1 when this CPU has AVX2 and the OS saves the YMM registers (CPUID and XCR0), else 0 (and
/// always 0 off x86-64). Decided once. The vector kernels (CPKWalk, CSummaries) run their AVX2
/// build only then; their portable build gives the same bits.
int ccpufeatures_avx2_available(void);

/// 1 when this CPU has the SHA extensions with SSSE3 and SSE4.1 (what CSHA256's compression
/// uses), else 0 (always 0 off x86-64). Decided once.
int ccpufeatures_sha_available(void);

#endif
