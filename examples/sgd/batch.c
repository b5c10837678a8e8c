/*
 * Shuffling and splitting mini-batches (batch.h).
 */
#include "batch.h"

/* splitmix64: a small, well-mixed generator, so the shuffle is the same on
 * every machine and every worker (rand() would be neither). */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The modulo's bias is below n / 2^64: negligible. */
void batch_shuffle(uint32_t *perm, size_t n, uint64_t seed, int epoch)
{
    uint64_t state = seed ^ (0xd1b54a32d192ed03ull * (uint64_t)(epoch + 1));

    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--) {
        size_t j = next_random(&state) % (i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

size_t batch_part(size_t b, int rank, int size, size_t *first_p)
{
    size_t lo = b * (size_t)rank / (size_t)size, hi = b * (size_t)(rank + 1) / (size_t)size;

    *first_p = lo;
    return hi - lo;
}
