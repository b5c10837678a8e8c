/*
 * The strict base64 codec: round trips of every length 0..64 with random
 * bytes, the RFC 4648 test vectors, and rejection of everything that is
 * not canonical base64.
 */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/common.h"
#include "core/error.h"
#include "testsuite/lib/tap.h"

/* Decode s and report whether it failed with PRAAS_ERR_INVALID and a
 * message. */
static int rejects(const char *s)
{
    void *out = NULL;
    size_t len;
    int rc = core_b64_decode(s, strlen(s), &out, &len);

    if (rc == 0)
        free(out);
    return rc == PRAAS_ERR_INVALID && praas_errmsg()[0] != '\0';
}

int main(void)
{
    static const char *const vec[][2] = {
        {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    static const char *const bad[] = {
        "Z",        "Zg",       "Zg=",       "Zm9vY",    /* lengths not a multiple of 4 */
        "Zg=\n",    " Zg=",     "Zm9v\n",    "Zm 9",     /* whitespace */
        "Zm9-",     "Zm9_",     "Zm9*",      "Zm9\x80",  /* characters outside the alphabet */
        "====",     "Z===",     "=Zg=",      "Zg==Zg==", /* padding in the wrong place */
        "Zm=v",                                         /* padding inside */
        "Zh==",     "Zm9=",                              /* non-zero padding bits */
    };
    unsigned char buf[64];
    int all_ok;

    srand(12345);
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(vec); i++) {
        char *enc = NULL;
        void *dec = NULL;
        size_t len = 0;
        int rc = core_b64_encode(vec[i][0], strlen(vec[i][0]), &enc);
        tap_ok(rc == 0 && strcmp(enc, vec[i][1]) == 0, "encode \"%s\" -> \"%s\" (got \"%s\")",
               vec[i][0], vec[i][1], enc ? enc : "(error)");
        rc = core_b64_decode(vec[i][1], strlen(vec[i][1]), &dec, &len);
        tap_ok(rc == 0 && len == strlen(vec[i][0]) && memcmp(dec, vec[i][0], len) == 0,
               "decode \"%s\" -> \"%s\"", vec[i][1], vec[i][0]);
        free(enc);
        free(dec);
    }

    /* Every length 0..64, a few random fillings each, plus all-zero and
     * all-0xff bytes (the extremes of the alphabet). */
    all_ok = 1;
    for (size_t n = 0; n <= 64; n++) {
        for (int fill = 0; fill < 6; fill++) {
            char *enc = NULL;
            void *dec = NULL;
            size_t len = 0;
            for (size_t k = 0; k < n; k++)
                buf[k] = fill == 0 ? 0 : fill == 1 ? 0xff : (unsigned char)rand();
            if (core_b64_encode(buf, n, &enc) != 0 || strlen(enc) != core_b64_encoded_len(n) ||
                core_b64_decode(enc, strlen(enc), &dec, &len) != 0 || len != n ||
                memcmp(dec, buf, n) != 0 || len > core_b64_decoded_max(strlen(enc))) {
                tap_diag("round trip of %zu bytes (fill %d) failed: %s", n, fill,
                         praas_errmsg());
                all_ok = 0;
            }
            free(enc);
            free(dec);
        }
    }
    tap_ok(all_ok, "round trips of 0..64 bytes, zero, 0xff and random");

    {
        void *dec = NULL;
        size_t len = 99;
        int rc = core_b64_decode("", 0, &dec, &len);
        tap_ok(rc == 0 && dec != NULL && len == 0, "empty input decodes to a 0-byte buffer");
        free(dec);
    }

    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(bad); i++)
        tap_ok(rejects(bad[i]), "reject %zu: '%s' -> PRAAS_ERR_INVALID (%s)", i,
               bad[i][0] == ' ' || strchr(bad[i], '\n') || strchr(bad[i], '\x80')
                   ? "(non-printable)" : bad[i],
               praas_errmsg());

    /* An embedded NUL is a character like any other outside the alphabet. */
    {
        void *dec = NULL;
        size_t len;
        tap_ok(core_b64_decode("Zm\0v", 4, &dec, &len) == PRAAS_ERR_INVALID &&
                   strstr(praas_errmsg(), "0x00") != NULL,
               "reject an embedded NUL, naming it (%s)", praas_errmsg());
    }
    /* The message names the offset of the offending character. */
    tap_ok(rejects("Zm9vYm!y") && strstr(praas_errmsg(), "'!'") &&
               strstr(praas_errmsg(), "offset 6"),
           "the message names the character and its offset (%s)", praas_errmsg());
    tap_ok(rejects("Zm9vY") && strstr(praas_errmsg(), "length 5"),
           "the message names a bad length (%s)", praas_errmsg());

    tap_no_plan_end();
    return tap_exit();
}
