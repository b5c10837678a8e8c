/*
 * AWS Signature V4 (src/storage/sigv4.c) against independent computations:
 * the example of the AWS S3 documentation ("GET Object" with a Range
 * header), and botocore's S3SigV4Auth run by testsuite/sigv4_ref.py for
 * several requests (PUT with a body, GET with none, query strings with
 * special characters, keys with spaces and non-ASCII characters, a session
 * token, headers with odd white space). Both sides get the raw inputs and
 * encode, hash and sign on their own; the test compares the encoded path,
 * the payload hash and the Authorization header.
 *
 * Without a python3 that has botocore ($PYTHON, python3, /usr/bin/python3;
 * Debian: apt-get install python3-botocore) the botocore part is skipped
 * with a reason; the documented example is checked anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "storage/sigv4.h"
#include "testsuite/lib/tap.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/* One request, described the way both sides take it. */
struct tcase {
    const char *name;
    const char *method;
    const char *endpoint;
    const char *raw_path;
    const char *timestamp;
    const char *region;
    const char *token;
    st_sigv4_param_t params[6];
    size_t nparams;
    st_sigv4_header_t headers[4]; /* beyond host, date, hash, token */
    size_t nheaders;
    const char *body;             /* NULL: empty */
    size_t body_len;
    const char *payload_hash;     /* given instead of hashing the body */
};

/* Append s to buf, single-quoted for the shell. */
static void shq(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);

    if (n + 2 < cap)
        buf[n++] = '\'';
    for (; *s && n + 6 < cap; s++) {
        if (*s == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *s;
        }
    }
    if (n + 2 < cap)
        buf[n++] = '\'';
    buf[n] = '\0';
}

static void arg(char *buf, size_t cap, const char *opt, const char *val)
{
    strncat(buf, " ", cap - strlen(buf) - 1);
    strncat(buf, opt, cap - strlen(buf) - 1);
    strncat(buf, " ", cap - strlen(buf) - 1);
    shq(buf, cap, val);
}

/* The first python3 that can import botocore, or NULL. */
static const char *find_python(void)
{
    static char found[512];
    const char *cands[] = {getenv("PYTHON"), "python3", "/usr/bin/python3"};
    char cmd[700];

    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        if (!cands[i] || !*cands[i])
            continue;
        snprintf(cmd, sizeof(cmd), "%s -c 'import botocore.auth' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) {
            snprintf(found, sizeof(found), "%s", cands[i]);
            return found;
        }
    }
    return NULL;
}

/* Our side: encode the path, hash the body, sign. */
static int ours(const struct tcase *t, char **path_p, char hash[65], char **auth_p)
{
    st_sigv4_header_t hs[8];
    char *host = NULL;
    size_t nh = 0;
    int rc;

    *path_p = st_uri_encode(t->raw_path, 1);
    if (t->payload_hash)
        snprintf(hash, 65, "%s", t->payload_hash);
    else
        st_sha256_hex(t->body ? t->body : "", t->body_len, hash);
    rc = st_sigv4_host(t->endpoint, &host);
    if (rc)
        return rc;
    hs[nh++] = (st_sigv4_header_t){"Host", host};
    hs[nh++] = (st_sigv4_header_t){"X-Amz-Content-SHA256", hash};
    hs[nh++] = (st_sigv4_header_t){"X-Amz-Date", t->timestamp};
    if (t->token)
        hs[nh++] = (st_sigv4_header_t){"X-Amz-Security-Token", t->token};
    for (size_t i = 0; i < t->nheaders; i++)
        hs[nh++] = t->headers[i];
    st_sigv4_req_t r = {
        .method = t->method, .path = *path_p, .params = t->params, .nparams = t->nparams,
        .headers = hs, .nheaders = nh, .payload_hash = hash, .timestamp = t->timestamp,
        .region = t->region, .service = "s3", .access_key = AK, .secret_key = SK,
    };
    rc = st_sigv4_authorization(&r, auth_p, NULL);
    free(host);
    return rc;
}

/* botocore's side: the three lines of sigv4_ref.py. */
static int theirs(const char *py, const struct tcase *t, char *path, char *hash, char *auth,
                  size_t cap)
{
    static char cmd[16384];
    char tmpl[] = "/tmp/praas-sigv4-XXXXXX", line[4096], kv[1024];
    int fd = -1, got = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "%s ", py);
    shq(cmd, sizeof(cmd), TOP_SRCDIR "/testsuite/sigv4_ref.py");
    arg(cmd, sizeof(cmd), "--method", t->method);
    arg(cmd, sizeof(cmd), "--endpoint", t->endpoint);
    arg(cmd, sizeof(cmd), "--raw-path", t->raw_path);
    arg(cmd, sizeof(cmd), "--timestamp", t->timestamp);
    arg(cmd, sizeof(cmd), "--region", t->region);
    arg(cmd, sizeof(cmd), "--access-key", AK);
    arg(cmd, sizeof(cmd), "--secret-key", SK);
    if (t->token)
        arg(cmd, sizeof(cmd), "--token", t->token);
    for (size_t i = 0; i < t->nparams; i++) {
        snprintf(kv, sizeof(kv), "%s=%s", t->params[i].name, t->params[i].value);
        arg(cmd, sizeof(cmd), "--param", kv);
    }
    for (size_t i = 0; i < t->nheaders; i++) {
        snprintf(kv, sizeof(kv), "%s:%s", t->headers[i].name, t->headers[i].value);
        arg(cmd, sizeof(cmd), "--header", kv);
    }
    if (t->payload_hash) {
        arg(cmd, sizeof(cmd), "--payload-hash", t->payload_hash);
    } else if (t->body_len) {
        fd = mkstemp(tmpl);
        if (fd < 0 || write(fd, t->body, t->body_len) != (ssize_t)t->body_len)
            return -1;
        close(fd);
        arg(cmd, sizeof(cmd), "--body-file", tmpl);
    }
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "Path: ", 6) == 0)
            got += snprintf(path, cap, "%s", line + 6) >= 0;
        else if (strncmp(line, "X-Amz-Content-SHA256: ", 22) == 0)
            got += snprintf(hash, cap, "%s", line + 22) >= 0;
        else if (strncmp(line, "Authorization: ", 15) == 0)
            got += snprintf(auth, cap, "%s", line + 15) >= 0;
    }
    if (pclose(p) != 0)
        got = 0;
    if (fd >= 0)
        unlink(tmpl);
    return got == 3 ? 0 : -1;
}

static void compare(const char *py, const struct tcase *t)
{
    char *path = NULL, *auth = NULL, hash[65];
    static char rpath[4096], rhash[4096], rauth[4096];
    int rc = ours(t, &path, hash, &auth);

    if (!tap_ok(rc == 0 && path && auth, "%s: our signature (%s)", t->name, praas_errmsg()))
        goto out;
    rc = theirs(py, t, rpath, rhash, rauth, sizeof(rpath));
    if (!tap_ok(rc == 0, "%s: botocore ran", t->name))
        goto out;
    tap_ok(strcmp(path, rpath) == 0, "%s: encoded path %s == botocore's %s", t->name, path,
           rpath);
    tap_ok(strcmp(hash, rhash) == 0, "%s: payload hash %s == botocore's %s", t->name, hash,
           rhash);
    if (!tap_ok(strcmp(auth, rauth) == 0, "%s: Authorization equals botocore's", t->name)) {
        tap_diag("ours:     %s", auth);
        tap_diag("botocore: %s", rauth);
    }
out:
    free(path);
    free(auth);
}

/* The worked example of the S3 documentation (Signature Calculations for
 * the Authorization Header, GET Object): fixed inputs, published answer. */
static void test_aws_example(void)
{
    st_sigv4_header_t hs[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", ST_SHA256_EMPTY},
        {"x-amz-date", "20130524T000000Z"},
    };
    st_sigv4_req_t r = {
        .method = "GET", .path = "/test.txt", .headers = hs, .nheaders = 4,
        .payload_hash = ST_SHA256_EMPTY, .timestamp = "20130524T000000Z",
        .region = "us-east-1", .service = "s3", .access_key = AK, .secret_key = SK,
    };
    char *auth = NULL, *cr = NULL, hash[65];
    int rc;

    st_sha256_hex("", 0, hash);
    tap_ok(strcmp(hash, ST_SHA256_EMPTY) == 0, "SHA-256 of nothing is %s", hash);
    rc = st_sigv4_canonical_request(&r, &cr);
    tap_ok(rc == 0 && strcmp(cr, "GET\n/test.txt\n\n"
                                 "host:examplebucket.s3.amazonaws.com\n"
                                 "range:bytes=0-9\n"
                                 "x-amz-content-sha256:" ST_SHA256_EMPTY "\n"
                                 "x-amz-date:20130524T000000Z\n\n"
                                 "host;range;x-amz-content-sha256;x-amz-date\n" ST_SHA256_EMPTY) ==
                          0,
           "AWS example: canonical request as documented");
    rc = st_sigv4_authorization(&r, &auth, NULL);
    tap_ok(rc == 0 && strcmp(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
                                   "us-east-1/s3/aws4_request, SignedHeaders=host;range;"
                                   "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c9644"
                                   "20e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == 0,
           "AWS example: signature as documented (%s)", auth ? auth : praas_errmsg());
    free(auth);
    free(cr);
}

static void host_is(const char *endpoint, const char *want, const char *what)
{
    char *h = NULL;
    int rc = st_sigv4_host(endpoint, &h);

    tap_ok(rc == 0 && strcmp(h, want) == 0, "host: %s: %s -> %s", what, endpoint,
           rc ? praas_errmsg() : h);
    free(h);
}

/* Pure helpers: encoding, the Host header, the timestamp. */
static void test_helpers(void)
{
    char *s, ts[17];

    s = st_uri_encode("a b/c~d_e.f-g+h*é", 1);
    tap_ok(s && strcmp(s, "a%20b/c~d_e.f-g%2Bh%2A%C3%A9") == 0, "path encoding: %s", s);
    free(s);
    s = st_uri_encode("a/b=c&d", 0);
    tap_ok(s && strcmp(s, "a%2Fb%3Dc%26d") == 0, "value encoding: %s", s);
    free(s);
    host_is("http://LocalHost:80/x", "localhost", "default http port left out, lower-cased");
    host_is("https://127.0.0.1:9000", "127.0.0.1:9000", "other port kept");
    host_is("https://[::1]:443/", "[::1]", "IPv6, default https port left out");
    s = NULL;
    tap_ok(st_sigv4_host("nourl", &s) == PRAAS_ERR_INVALID && s == NULL,
           "host: a non-URL endpoint is refused (%s)", praas_errmsg());
    st_sigv4_timestamp(1704164645, ts); /* 2024-01-02 03:04:05 UTC */
    tap_ok(strcmp(ts, "20240102T030405Z") == 0, "timestamp %s", ts);
}

int main(void)
{
    static char big[1 << 20];
    const char *py;

    test_helpers();
    test_aws_example();

    py = find_python();
    if (!py) {
        tap_diag("SKIP botocore comparison: no python3 with botocore ($PYTHON, python3, "
                 "/usr/bin/python3); on Debian: apt-get install python3-botocore");
        tap_no_plan_end();
        return tap_exit();
    }
    tap_diag("botocore through %s", py);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 2654435761u >> 13);

    struct tcase cases[] = {
        {.name = "PUT with a body", .method = "PUT", .endpoint = "http://127.0.0.1:9000",
         .raw_path = "/bucket/sessions/3/memory", .timestamp = "20240102T030405Z",
         .region = "us-east-1", .body = "hello, storage\n", .body_len = 15},
        {.name = "PUT of 1 MiB", .method = "PUT", .endpoint = "https://s3.eu-west-1.amazonaws.com",
         .raw_path = "/my-bucket/objects/big.bin", .timestamp = "20231231T235959Z",
         .region = "eu-west-1", .body = big, .body_len = sizeof(big)},
        {.name = "GET with an empty body", .method = "GET",
         .endpoint = "https://s3.us-east-1.amazonaws.com", .raw_path = "/bucket/a.bin",
         .timestamp = "20240229T120000Z", .region = "us-east-1",
         .headers = {{"Range", "bytes=0-1023"}}, .nheaders = 1},
        {.name = "query with special characters", .method = "GET",
         .endpoint = "http://localhost:4568", .raw_path = "/bucket", .timestamp =
         "20240102T030405Z", .region = "us-west-2",
         .params = {{"list-type", "2"}, {"prefix", "a b/c+d&e=f~*'()!"},
                    {"continuation-token", "1/2+3=="}, {"max-keys", "1000"},
                    {"uploads", ""}},
         .nparams = 5},
        {.name = "key with spaces and unicode", .method = "PUT",
         .endpoint = "http://127.0.0.1:4568",
         .raw_path = "/bucket/dir one/na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac+%.bin",
         .timestamp = "20240102T030405Z", .region = "us-east-1", .body = "x", .body_len = 1},
        {.name = "session token and odd headers", .method = "PUT",
         .endpoint = "https://s3.ap-southeast-2.amazonaws.com", .raw_path = "/b/k",
         .timestamp = "20240615T081500Z", .region = "ap-southeast-2",
         .token = "FwoGZXIvYXdzEBYaD+token/with=chars",
         .headers = {{"Content-Type", "  text/plain;   charset=utf-8  "},
                     {"X-Amz-Meta-Note", "a  b   c"}},
         .nheaders = 2,
         .payload_hash = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"},
        {.name = "multipart part upload", .method = "PUT", .endpoint = "http://127.0.0.1:4568",
         .raw_path = "/bucket/pfx/blob", .timestamp = "20240102T030405Z", .region = "us-east-1",
         .params = {{"partNumber", "2"}, {"uploadId", "abc/DEF+ghi=="}}, .nparams = 2,
         .body = "part two", .body_len = 8},
        {.name = "DELETE", .method = "DELETE", .endpoint = "http://127.0.0.1:4568",
         .raw_path = "/bucket/pfx/blob", .timestamp = "20240102T030405Z",
         .region = "us-east-1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        compare(py, &cases[i]);
    tap_no_plan_end();
    return tap_exit();
}
