/*
 * Strict standard base64; see base64.h for what "strict" rejects.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/base64.h"
#include "core/error.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet character, or -1. A switch on ranges
 * rather than a 256-entry table keeps the file free of magic numbers. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int core_b64_encode(const void *src, size_t len, char **out_p)
{
    const unsigned char *in = src;
    size_t i, o = 0;
    char *dst;

    if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
        return core_err(PRAAS_ERR_NOMEM, "base64: %zu bytes are too many to encode", len);
    dst = malloc(core_b64_encoded_len(len) + 1);
    if (dst == NULL)
        return core_err(PRAAS_ERR_NOMEM, "base64: no memory to encode %zu bytes", len);
    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        dst[o++] = b64_alphabet[v >> 18 & 63];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = b64_alphabet[v >> 6 & 63];
        dst[o++] = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        dst[o++] = b64_alphabet[v >> 18 & 63];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = '=';
        dst[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        dst[o++] = b64_alphabet[v >> 18 & 63];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = b64_alphabet[v >> 6 & 63];
        dst[o++] = '=';
    }
    dst[o] = '\0';
    *out_p = dst;
    return 0;
}

/* Name a character for an error message: printable ones as 'c', the rest
 * by their code, so a NUL or a newline in the input reads clearly. */
static int b64_bad_char(const char *src, size_t pos)
{
    unsigned char c = (unsigned char)src[pos];

    if (c >= 0x20 && c < 0x7f)
        return core_err(PRAAS_ERR_INVALID,
                        "base64: character '%c' at offset %zu is not in the alphabet", c, pos);
    return core_err(PRAAS_ERR_INVALID,
                    "base64: byte 0x%02x at offset %zu is not in the alphabet", c, pos);
}

int core_b64_decode(const char *src, size_t len, void **out_p, size_t *len_p)
{
    size_t pad = 0, i, o = 0;
    unsigned char *out;

    if (len % 4 != 0)
        return core_err(PRAAS_ERR_INVALID, "base64: length %zu is not a multiple of 4", len);
    if (len > 0 && src[len - 1] == '=')
        pad = (len > 1 && src[len - 2] == '=') ? 2 : 1;
    /* One byte more than needed, so that zero bytes still allocate. */
    out = malloc(core_b64_decoded_max(len) + 1);
    if (out == NULL)
        return core_err(PRAAS_ERR_NOMEM, "base64: no memory to decode %zu characters", len);

    for (i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        /* Padding is allowed only in the last group; its characters
         * count as zero bits and are checked below. */
        int used = last ? 4 - (int)pad : 4;
        uint32_t v = 0;

        for (int k = 0; k < 4; k++) {
            int d = 0;
            if (k < used) {
                d = b64_value((unsigned char)src[i + k]);
                if (d < 0) {
                    free(out);
                    return b64_bad_char(src, i + k);
                }
            }
            v = v << 6 | (uint32_t)d;
        }
        /* A canonical encoding leaves the unused low bits of the last
         * character before the padding at zero. */
        if ((pad == 1 && last && (v & 0xff)) || (pad == 2 && last && (v & 0xffff))) {
            free(out);
            return core_err(PRAAS_ERR_INVALID,
                            "base64: character '%c' at offset %zu has non-zero padding bits",
                            src[i + used - 1], i + used - 1);
        }
        out[o++] = (unsigned char)(v >> 16);
        if (used > 2)
            out[o++] = (unsigned char)(v >> 8);
        if (used > 3)
            out[o++] = (unsigned char)v;
    }
    *out_p = out;
    *len_p = o;
    return 0;
}
