// The CPU feature checks of the C kernels, each decided once from CPUID.
#include "ccpufeatures.h"

#if defined(__x86_64__)

#include <cpuid.h>

/// `detect()` once; later calls read the cached answer.
static int cached_once(int *cached, int (*detect)(void)) {
    int known = __atomic_load_n(cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    const int result = detect();
    __atomic_store_n(cached, result, __ATOMIC_RELAXED);
    return result;
}

static int detect_avx2(void) {
    unsigned int eax, ebx, ecx, edx;
    int result = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
        if (osxsave && avx) {
            // XCR0 bits 1 and 2: the OS saves the SSE and AVX (YMM) state.
            unsigned int xcr0, xcr0_high;
            __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
            if ((xcr0 & 6) == 6 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
                result = (ebx >> 5) & 1;  // CPUID.(EAX=7, ECX=0):EBX.AVX2[bit 5]
            }
        }
    }
    return result;
}

static int detect_sha(void) {
    unsigned int eax, ebx, ecx, edx;
    int result = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
        if (ssse3 && sse41 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
            result = (ebx >> 29) & 1;  // CPUID.(EAX=7, ECX=0):EBX.SHA[bit 29]
        }
    }
    return result;
}

int ccpufeatures_avx2_available(void) {
    static int cached = -1;
    return cached_once(&cached, detect_avx2);
}

int ccpufeatures_sha_available(void) {
    static int cached = -1;
    return cached_once(&cached, detect_sha);
}

#else

int ccpufeatures_avx2_available(void) { return 0; }
int ccpufeatures_sha_available(void) { return 0; }

#endif
