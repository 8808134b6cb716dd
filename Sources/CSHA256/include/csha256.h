#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can run `csha256_compress_hardware` (x86-64 with the SHA extensions, SSSE3
/// and SSE4.1), else 0. Decided once from CPUID.
int csha256_hardware_available(void);

/// Runs the SHA-256 compression function (FIPS 180-4 §6.2.2) over `count` consecutive 64-byte
/// blocks at `blocks`, updating the eight working hash words in `state` (H0…H7, native order).
/// Only call it when `csha256_hardware_available()` is 1; elsewhere it does nothing.
void csha256_compress_hardware(uint32_t state[8], const void *blocks, size_t count);

#endif
