/*
 * AWS Signature Version 4 (see sigv4.h for the steps). SHA-256 and HMAC
 * come from OpenSSL's libcrypto; everything else is string building.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/error.h"
#include "storage/sigv4.h"

/* A growing string. On allocation failure it remembers the failure and
 * ignores further appends, so that builders check once at the end. */
typedef struct sv_buf {
    char *s;
    size_t len, cap;
    int oom;
} sv_buf_t;

static void sv_addn(sv_buf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sv_add(sv_buf_t *b, const char *s)
{
    sv_addn(b, s, strlen(s));
}

/* Hand the string out (an empty one when nothing was added). */
static int sv_take(sv_buf_t *b, char **s_p)
{
    if (!b->oom && !b->s)
        sv_addn(b, "", 0);
    if (b->oom) {
        free(b->s);
        return core_err(PRAAS_ERR_NOMEM, "no memory to sign a request");
    }
    *s_p = b->s;
    return 0;
}

static const char sv_hexdig[] = "0123456789abcdef";

static void sv_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = sv_hexdig[in[i] >> 4];
        out[2 * i + 1] = sv_hexdig[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void st_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    /* EVP_Digest takes a size_t length, so a blob of any size is hashed in
     * one call, without copies. */
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    sv_hex(md, 32, hex);
}

static void sv_hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int outlen = 32;

    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &outlen);
}

void st_sigv4_timestamp(time_t t, char ts[17])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(ts, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int sv_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static void sv_add_encoded(sv_buf_t *b, const char *s, int keep_slash)
{
    static const char up[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (sv_unreserved(*p) || (keep_slash && *p == '/')) {
            sv_addn(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', up[*p >> 4], up[*p & 15]};
            sv_addn(b, esc, 3);
        }
    }
}

char *st_uri_encode(const char *s, int keep_slash)
{
    sv_buf_t b = {0};

    sv_add_encoded(&b, s, keep_slash);
    sv_addn(&b, "", 0);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

typedef struct sv_pair {
    char *name;
    char *value;
} sv_pair_t;

static int sv_pair_cmp(const void *a, const void *b)
{
    const sv_pair_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

int st_sigv4_query(const st_sigv4_param_t *params, size_t nparams, char **query_p)
{
    sv_pair_t *pairs = calloc(nparams ? nparams : 1, sizeof(*pairs));
    sv_buf_t b = {0};
    size_t i;
    int rc;

    if (!pairs)
        return core_err(PRAAS_ERR_NOMEM, "no memory to sign a request");
    for (i = 0; i < nparams; i++) {
        pairs[i].name = st_uri_encode(params[i].name, 0);
        pairs[i].value = st_uri_encode(params[i].value ? params[i].value : "", 0);
        if (!pairs[i].name || !pairs[i].value)
            b.oom = 1;
    }
    if (!b.oom) {
        qsort(pairs, nparams, sizeof(*pairs), sv_pair_cmp);
        for (i = 0; i < nparams; i++) {
            if (i)
                sv_add(&b, "&");
            sv_add(&b, pairs[i].name);
            sv_add(&b, "=");
            sv_add(&b, pairs[i].value);
        }
    }
    for (i = 0; i < nparams; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    rc = sv_take(&b, query_p);
    return rc;
}

int st_sigv4_host(const char *endpoint, char **host_p)
{
    const char *p = strstr(endpoint, "://"), *h, *end, *colon = NULL;
    int https;
    sv_buf_t b = {0};

    if (!p)
        return core_err(PRAAS_ERR_INVALID, "endpoint '%s' is not a URL (http[s]://HOST[:PORT])",
                        endpoint);
    https = (size_t)(p - endpoint) == 5 && strncasecmp(endpoint, "https", 5) == 0;
    h = p + 3;
    end = h + strcspn(h, "/?#");
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb)
            return core_err(PRAAS_ERR_INVALID, "endpoint '%s' has no ']' after an IPv6 address",
                            endpoint);
        if (rb + 1 < end && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
    }
    if ((colon ? colon : end) == h)
        return core_err(PRAAS_ERR_INVALID, "endpoint '%s' has no host", endpoint);
    for (const char *c = h; c < (colon ? colon : end); c++) {
        char lc = (char)tolower((unsigned char)*c);
        sv_addn(&b, &lc, 1);
    }
    if (colon) {
        const char *port = colon + 1;
        size_t plen = (size_t)(end - port);
        if (!(plen == 0 || (https && plen == 3 && memcmp(port, "443", 3) == 0) ||
              (!https && plen == 2 && memcmp(port, "80", 2) == 0))) {
            sv_add(&b, ":");
            sv_addn(&b, port, plen);
        }
    }
    return sv_take(&b, host_p);
}

typedef struct sv_hdr {
    char *name;  /* lower-cased */
    char *value; /* trimmed */
    size_t order;
} sv_hdr_t;

static int sv_hdr_cmp(const void *a, const void *b)
{
    const sv_hdr_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    /* Repeated names keep the order they were given in. */
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* value with leading and trailing white space removed and every inner run
 * of white space made one space. */
static char *sv_trimall(const char *value)
{
    char *out = malloc(strlen(value) + 1), *o = out;
    const char *p = value;

    if (!out)
        return NULL;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (o != out)
            *o++ = ' ';
        while (*p && !isspace((unsigned char)*p))
            *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* The canonical headers block ("name:value\n"...) and the signed headers
 * list ("a;b;c"). */
static int sv_headers(const st_sigv4_req_t *r, char **canon_p, char **signed_p)
{
    sv_hdr_t *h = calloc(r->nheaders ? r->nheaders : 1, sizeof(*h));
    sv_buf_t canon = {0}, sig = {0};
    size_t i;
    int rc;

    if (!h)
        return core_err(PRAAS_ERR_NOMEM, "no memory to sign a request");
    for (i = 0; i < r->nheaders; i++) {
        h[i].name = strdup(r->headers[i].name);
        h[i].value = sv_trimall(r->headers[i].value ? r->headers[i].value : "");
        h[i].order = i;
        if (!h[i].name || !h[i].value)
            canon.oom = 1;
        else
            for (char *c = h[i].name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
    }
    if (!canon.oom) {
        qsort(h, r->nheaders, sizeof(*h), sv_hdr_cmp);
        for (i = 0; i < r->nheaders; i++) {
            int same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
            if (same) {
                /* Replace the previous line's '\n' with ",value\n". */
                canon.len--;
                sv_add(&canon, ",");
            } else {
                if (i)
                    sv_add(&sig, ";");
                sv_add(&sig, h[i].name);
                sv_add(&canon, h[i].name);
                sv_add(&canon, ":");
            }
            sv_add(&canon, h[i].value);
            sv_add(&canon, "\n");
        }
    }
    for (i = 0; i < r->nheaders; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
    rc = sv_take(&canon, canon_p);
    if (rc) {
        free(sig.s);
        return rc;
    }
    rc = sv_take(&sig, signed_p);
    if (rc)
        free(*canon_p);
    return rc;
}

static int sv_canonical(const st_sigv4_req_t *r, char **cr_p, char **signed_p)
{
    char *query = NULL, *canon = NULL, *sig = NULL;
    sv_buf_t b = {0};
    int rc;

    rc = st_sigv4_query(r->params, r->nparams, &query);
    if (rc)
        return rc;
    rc = sv_headers(r, &canon, &sig);
    if (rc)
        goto err_query;
    sv_add(&b, r->method);
    sv_add(&b, "\n");
    sv_add(&b, r->path);
    sv_add(&b, "\n");
    sv_add(&b, query);
    sv_add(&b, "\n");
    sv_add(&b, canon);
    sv_add(&b, "\n");
    sv_add(&b, sig);
    sv_add(&b, "\n");
    sv_add(&b, r->payload_hash);
    rc = sv_take(&b, cr_p);
    if (rc == 0 && signed_p)
        *signed_p = sig;
    else
        free(sig);
    free(canon);
err_query:
    free(query);
    return rc;
}

int st_sigv4_canonical_request(const st_sigv4_req_t *r, char **cr_p)
{
    return sv_canonical(r, cr_p, NULL);
}

int st_sigv4_authorization(const st_sigv4_req_t *r, char **auth_p, char **sts_p)
{
    unsigned char k[32], k2[32], sig[32];
    char date[9], crhash[65], sighex[65], *cr = NULL, *signed_hdrs = NULL, *secret;
    sv_buf_t scope = {0}, sts = {0}, auth = {0};
    size_t slen;
    int rc;

    if (strlen(r->timestamp) != 16 || r->timestamp[8] != 'T' || r->timestamp[15] != 'Z')
        return core_err(PRAAS_ERR_INVALID, "timestamp '%s' is not YYYYMMDDTHHMMSSZ",
                        r->timestamp);
    rc = sv_canonical(r, &cr, &signed_hdrs);
    if (rc)
        return rc;
    memcpy(date, r->timestamp, 8);
    date[8] = '\0';
    st_sha256_hex(cr, strlen(cr), crhash);
    free(cr);

    sv_add(&scope, date);
    sv_add(&scope, "/");
    sv_add(&scope, r->region);
    sv_add(&scope, "/");
    sv_add(&scope, r->service);
    sv_add(&scope, "/aws4_request");
    sv_add(&sts, "AWS4-HMAC-SHA256\n");
    sv_add(&sts, r->timestamp);
    sv_add(&sts, "\n");
    if (!scope.oom)
        sv_add(&sts, scope.s);
    sv_add(&sts, "\n");
    sv_add(&sts, crhash);
    if (scope.oom || sts.oom) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory to sign a request");
        goto out;
    }

    /* The signing key chain. */
    slen = strlen(r->secret_key);
    secret = malloc(slen + 5);
    if (!secret) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory to sign a request");
        goto out;
    }
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, r->secret_key, slen + 1);
    sv_hmac(secret, slen + 4, date, k);
    memset(secret, 0, slen + 4);
    free(secret);
    sv_hmac(k, 32, r->region, k2);
    sv_hmac(k2, 32, r->service, k);
    sv_hmac(k, 32, "aws4_request", k2);
    sv_hmac(k2, 32, sts.s, sig);
    memset(k, 0, sizeof(k));
    memset(k2, 0, sizeof(k2));
    sv_hex(sig, 32, sighex);

    sv_add(&auth, "AWS4-HMAC-SHA256 Credential=");
    sv_add(&auth, r->access_key);
    sv_add(&auth, "/");
    sv_add(&auth, scope.s);
    sv_add(&auth, ", SignedHeaders=");
    sv_add(&auth, signed_hdrs);
    sv_add(&auth, ", Signature=");
    sv_add(&auth, sighex);
    rc = sv_take(&auth, auth_p);
    if (rc == 0 && sts_p) {
        *sts_p = sts.s;
        sts.s = NULL;
    }
out:
    free(sts.s);
    free(scope.s);
    free(signed_hdrs);
    return rc;
}
