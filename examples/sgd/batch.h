/*
 * The order in which SGD visits the training images and how a global
 * mini-batch is shared among workers: what every variant of the training
 * (examples/sgd/sgd over praas, bench/sgd_redis over Redis) must do the same
 * way for their models and timings to compare.
 */
#ifndef SGD_BATCH_H
#define SGD_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* perm[0..n) becomes a permutation of 0..n-1 that depends on seed and
 * epoch only (Fisher-Yates over splitmix64), the same on every machine and
 * every worker. */
void batch_shuffle(uint32_t *perm, size_t n, uint64_t seed, int epoch);

/* Worker rank's part of b items shared among size workers: an even split,
 * the first ranks one item shorter if b is not a multiple of size. Returns
 * the count and writes the first item's index to *first_p. */
size_t batch_part(size_t b, int rank, int size, size_t *first_p);

#endif /* SGD_BATCH_H */
