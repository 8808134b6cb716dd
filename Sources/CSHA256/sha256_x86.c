// SHA-256 compression with the x86 SHA extensions (SHA256RNDS2, SHA256MSG1, SHA256MSG2).
//
// The instructions keep the eight working variables in two registers, lanes from high to low:
//   abef = (A, B, E, F)   cdgh = (C, D, G, H)
// SHA256RNDS2 runs two rounds: it reads cdgh, abef and W[t] + K[t], W[t+1] + K[t+1] from the
// low two lanes of its third operand, and returns the new (A, B, E, F); the new (C, D, G, H) are
// the old (A, B, E, F), so the two registers swap roles every call.
// The message schedule W[16…63] (FIPS 180-4 §6.2.2 step 1) is built four words at a time:
//   SHA256MSG1(W[t-16..t-13], W[t-12..])      = W[t-16+i] + σ0(W[t-15+i])      (i = 0…3)
//   + W[t-7..t-4]                               (from the two previous quads, ALIGNR by 4 bytes)
//   SHA256MSG2(that, W[t-4..t-1])               adds σ1(W[t-2+i]), using its own results for i ≥ 2.

#include "csha256.h"
#include "ccpufeatures.h"

#if defined(__x86_64__)

#include <immintrin.h>

int csha256_hardware_available(void) { return ccpufeatures_sha_available(); }

// K, FIPS 180-4 §4.2.2.
static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// Four rounds 4q…4q+3 with the message quad `w` (W[4q] in the low lane).
#define FOUR_ROUNDS(w, q)                                                                          \
    do {                                                                                           \
        __m128i wk = _mm_add_epi32((w), _mm_load_si128((const __m128i *)&round_constants[4 * (q)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);        /* rounds 4q, 4q+1: new abef in cdgh */ \
        wk = _mm_shuffle_epi32(wk, 0x0E);                    /* W+K of rounds 4q+2, 4q+3 to the low lanes */ \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);                                              \
    } while (0)

// The next message quad from the last four: W[t…t+3] from W[t-16…t-1] (m0 oldest, m3 newest).
#define NEXT_QUAD(m0, m1, m2, m3)                                                                   \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

SHA_TARGET
void csha256_compress_hardware(uint32_t state[8], const void *blocks, size_t count) {
    // Big-endian words (FIPS 180-4 §3.1) to lanes: reverse the bytes of each 32-bit lane.
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    // state lanes (low→high): A B C D and E F G H; reversed: D C B A and H G F E.
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0x1B);
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    __m128i abef = _mm_unpackhi_epi64(hgfe, dcba);  // lanes low→high: F E B A
    __m128i cdgh = _mm_unpacklo_epi64(hgfe, dcba);  // lanes low→high: H G D C

    const uint8_t *bytes = blocks;
    for (size_t block = 0; block < count; block++, bytes += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 0)), byteswap);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 16)), byteswap);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 32)), byteswap);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 48)), byteswap);
        FOUR_ROUNDS(m0, 0);
        FOUR_ROUNDS(m1, 1);
        FOUR_ROUNDS(m2, 2);
        FOUR_ROUNDS(m3, 3);
        // Rounds 16…63: each new quad replaces the oldest of the four.
        for (int q = 4; q < 16; q += 4) {
            m0 = NEXT_QUAD(m0, m1, m2, m3); FOUR_ROUNDS(m0, q);
            m1 = NEXT_QUAD(m1, m2, m3, m0); FOUR_ROUNDS(m1, q + 1);
            m2 = NEXT_QUAD(m2, m3, m0, m1); FOUR_ROUNDS(m2, q + 2);
            m3 = NEXT_QUAD(m3, m0, m1, m2); FOUR_ROUNDS(m3, q + 3);
        }
        // H(i) = H(i-1) + the working variables (FIPS 180-4 §6.2.2 step 4).
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    // Back to A…D, E…H: abef reversed is A B E F, cdgh reversed is C D G H.
    __m128i abef_r = _mm_shuffle_epi32(abef, 0x1B);
    __m128i cdgh_r = _mm_shuffle_epi32(cdgh, 0x1B);
    _mm_storeu_si128((__m128i *)&state[0], _mm_unpacklo_epi64(abef_r, cdgh_r));
    _mm_storeu_si128((__m128i *)&state[4], _mm_unpackhi_epi64(abef_r, cdgh_r));
}

#else

int csha256_hardware_available(void) { return 0; }

void csha256_compress_hardware(uint32_t state[8], const void *blocks, size_t count) {
    (void)state; (void)blocks; (void)count;
}

#endif
