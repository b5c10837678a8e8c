/*
 * Standard base64 (RFC 4648 section 4, with '=' padding), strict.
 *
 * The control plane carries transport address blobs in JSON as base64; the
 * server decodes them to check them and the bootstrap client encodes them.
 * Decoding is strict so that one blob has exactly one spelling: no
 * whitespace, no missing or extra padding, no non-zero bits in the unused
 * part of the last character, no URL-safe alphabet.
 */
#ifndef PRAAS_CORE_BASE64_H
#define PRAAS_CORE_BASE64_H

#include <stddef.h>

/* The number of characters encoding len bytes takes, without the
 * terminating NUL: 4 * ceil(len / 3). */
static inline size_t core_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

/* An upper bound of the bytes that len characters decode to. */
static inline size_t core_b64_decoded_max(size_t len)
{
    return len / 4 * 3;
}

/* Encode len bytes of src as a malloc'd, NUL-terminated string in *out_p
 * (the caller frees it). Returns 0 or PRAAS_ERR_NOMEM. Thread-safe. */
int core_b64_encode(const void *src, size_t len, char **out_p);

/* Decode the len characters of src into a malloc'd buffer in *out_p (the
 * caller frees it; never NULL on success, even for zero bytes) and its
 * length in *len_p. Returns 0, PRAAS_ERR_INVALID with a message naming the
 * offending character or length if src is not canonical base64, or
 * PRAAS_ERR_NOMEM. Thread-safe. */
int core_b64_decode(const char *src, size_t len, void **out_p, size_t *len_p);

#endif /* PRAAS_CORE_BASE64_H */
