/*
 * The functions bench/invoke_bench deploys (praas/session.h): a shared
 * object for praas-process --library, self-contained so that the benchmark
 * measures exactly what it names.
 *
 *   echo      result = payload, sent from the payload's own buffer (no copy)
 *   stage     one stage of a pipeline through session memory
 *   fill      write the whole session memory (a pattern from a seed)
 *   checksum  a 64-bit hash of the whole session memory
 */
#include <stdint.h>
#include <string.h>

#include <praas/errors.h>
#include <praas/session.h>

PRAAS_EXPORT int echo(praas_invocation_t *inv);
PRAAS_EXPORT int stage(praas_invocation_t *inv);
PRAAS_EXPORT int fill(praas_invocation_t *inv);
PRAAS_EXPORT int checksum(praas_invocation_t *inv);

PRAAS_EXPORT int echo(praas_invocation_t *inv)
{
    const void *p;
    size_t n;

    praas_inv_payload(inv, &p, &n);
    return n ? praas_inv_result_set(inv, p, n) : 0;
}

/* The stage's payload: read len bytes (a multiple of 8) of session memory
 * at src, write them at dst with add added to every 64-bit word (the work a
 * stage does on its input, the same as the benchmark's stages through
 * Redis and S3). Result: the first word written (8 bytes), so the caller
 * can check the pipeline. */
struct stage_arg {
    uint64_t src, dst, len, add;
};

PRAAS_EXPORT int stage(praas_invocation_t *inv)
{
    const void *p;
    size_t n, size;
    void *base;
    struct stage_arg a;

    praas_inv_payload(inv, &p, &n);
    if (n != sizeof(a))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "stage takes %zu bytes, got %zu",
                              sizeof(a), n);
    memcpy(&a, p, sizeof(a));
    praas_inv_memory(inv, &base, &size);
    if (a.len % 8 || a.src > size || a.len > size - a.src || a.dst > size ||
        a.len > size - a.dst || (a.src < a.dst + a.len && a.dst < a.src + a.len))
        return praas_inv_fail(inv, PRAAS_ERR_RANGE,
                              "stage range src %llu dst %llu len %llu in a memory of %zu",
                              (unsigned long long)a.src, (unsigned long long)a.dst,
                              (unsigned long long)a.len, size);
    const uint64_t *s = (const uint64_t *)((char *)base + a.src);
    uint64_t *d = (uint64_t *)((char *)base + a.dst);
    for (uint64_t i = 0; i < a.len / 8; i++)
        d[i] = s[i] + a.add;
    return a.len ? praas_inv_result_copy(inv, d, 8) : 0;
}

/* payload: uint64 seed; writes one word of xorshift64* per 8 bytes of the
 * whole memory (so that every page is touched and a swap moves real
 * bytes). */
PRAAS_EXPORT int fill(praas_invocation_t *inv)
{
    const void *p;
    size_t n, size;
    void *base;
    uint64_t x = 88172645463325252ull;

    praas_inv_payload(inv, &p, &n);
    if (n == 8)
        memcpy(&x, p, 8);
    x |= 1;
    praas_inv_memory(inv, &base, &size);
    uint64_t *w = base;
    for (size_t i = 0; i < size / 8; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        w[i] = x * 2685821657736338717ull;
    }
    return 0;
}

/* result: FNV-1a over the 64-bit words of the whole memory (uint64). */
PRAAS_EXPORT int checksum(praas_invocation_t *inv)
{
    size_t size;
    void *base;
    uint64_t h = 14695981039346656037ull;

    praas_inv_memory(inv, &base, &size);
    const uint64_t *w = base;
    for (size_t i = 0; i < size / 8; i++)
        h = (h ^ w[i]) * 1099511628211ull;
    return praas_inv_result_copy(inv, &h, 8);
}
