// sync_file_range is Linux-only and hidden behind _GNU_SOURCE, so Swift's Glibc module does not
// expose it; this is the one call the output files need of it.
#define _GNU_SOURCE
#include "cwriteback.h"

#if defined(__linux__)
#include <fcntl.h>

int cwriteback_start(int descriptor, long long offset, long long length) {
    return sync_file_range(descriptor, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
}
#else
int cwriteback_start(int descriptor, long long offset, long long length) {
    (void)descriptor; (void)offset; (void)length;
    return 0;
}
#endif
