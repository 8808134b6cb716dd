// The one CPU feature check of the vector kernels.
#include "ccpufeatures.h"

#if defined(__x86_64__)

#include <cpuid.h>

int ccpufeatures_avx2_available(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
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
    __atomic_store_n(&cached, result, __ATOMIC_RELAXED);
    return result;
}

#else

int ccpufeatures_avx2_available(void) { return 0; }

#endif
