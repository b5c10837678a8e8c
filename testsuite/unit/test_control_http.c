/*
 * The control-plane API over HTTP: the server embedded with
 * praas_control_start on an ephemeral port, driven with libcurl through
 * every route and every error of doc/control-api.md, asserting statuses and
 * JSON fields. The whole suite runs on the memory store and, when
 * PRAAS_TEST_REDIS is set (testsuite/with-redis.sh), on Redis.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <praas/control.h>
#include <praas/errors.h>
#include <praas/version.h>

#include "core/base64.h"
#include "core/common.h"
#include "testsuite/lib/tap.h"

#define MANY_WAITERS 200

struct resp {
    long status;
    json_t *json; /* NULL if the body is not JSON */
    char *raw;
    size_t len;
    char allow[64];
    int curl_rc;
};

struct upload {
    const char *data;
    size_t len, off;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    char *grown = realloc(r->raw, r->len + size * n + 1);

    if (grown == NULL)
        return 0;
    r->raw = grown;
    memcpy(r->raw + r->len, p, size * n);
    r->len += size * n;
    r->raw[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;

    if (size * n > 6 && strncasecmp(p, "Allow:", 6) == 0) {
        size_t len = PRAAS_MIN(size * n - 6, sizeof(r->allow) - 1);
        memcpy(r->allow, p + 6, len);
        r->allow[len] = '\0';
        /* Trim the blanks and the CRLF. */
        while (len && strchr(" \r\n", r->allow[len - 1]))
            r->allow[--len] = '\0';
        memmove(r->allow, r->allow + strspn(r->allow, " "), strlen(r->allow) + 1);
    }
    return size * n;
}

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t k = PRAAS_MIN(size * n, u->len - u->off);

    memcpy(p, u->data + u->off, k);
    u->off += k;
    return k;
}

/* One request. body NULL: none; len (size_t)-1: strlen(body). chunked:
 * send the body with Transfer-Encoding: chunked (no Content-Length). */
static void http_ex(const char *base, const char *method, const char *path, const char *body,
                    size_t len, int chunked, struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    struct upload up = {0};
    char url[512];

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (body) {
        if (len == (size_t)-1)
            len = strlen(body);
        if (chunked) {
            up = (struct upload){.data = body, .len = len};
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &up);
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    r->curl_rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->len)
        r->json = json_loadb(r->raw, r->len, 0, NULL);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

static void http(const char *base, const char *method, const char *path, const char *body,
                 struct resp *r)
{
    http_ex(base, method, path, body, (size_t)-1, 0, r);
}

static void resp_free(struct resp *r)
{
    json_decref(r->json);
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

static const char *jstr(json_t *j, const char *path1, const char *path2)
{
    json_t *v = json_object_get(j, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_string_value(v) ? json_string_value(v) : "";
}

static json_int_t jint(json_t *j, const char *path1, const char *path2)
{
    json_t *v = json_object_get(j, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_is_integer(v) ? json_integer_value(v) : -999;
}

/* The response is the error object of doc/control-api.md with status and
 * code, and its message contains `needle` (NULL: any). */
static int is_error(const struct resp *r, long status, const char *code, const char *needle)
{
    const char *msg = jstr(r->json, "error", "message");

    return r->status == status && jint(r->json, "error", "status") == status &&
           strcmp(jstr(r->json, "error", "code"), code) == 0 && msg[0] != '\0' &&
           (needle == NULL || strstr(msg, needle) != NULL);
}

/* Check one error answer and print it for the log. */
static void expect_error(const char *base, const char *method, const char *path,
                         const char *body, long status, const char *code, const char *needle,
                         const char *what)
{
    struct resp r;

    http(base, method, path, body, &r);
    tap_ok(is_error(&r, status, code, needle), "%s -> %ld %s naming '%s' (got %ld: %s)", what,
           status, code, needle ? needle : "", r.status, r.raw ? r.raw : "(no body)");
    resp_free(&r);
}

static int id_ok(const char *id, char prefix)
{
    if (strlen(id) != 18 || id[0] != prefix || id[1] != '-')
        return 0;
    for (int i = 2; i < 18; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return 0;
    return 1;
}

/* Create a process; returns its id (malloc'd) or NULL. */
static char *create_process(const char *base, int size, const char *name)
{
    char body[256];
    struct resp r;
    char *id = NULL;

    snprintf(body, sizeof(body), "{\"size\": %d, \"name\": \"%s\"}", size, name);
    http(base, "POST", "/v1/processes", body, &r);
    if (r.status == 201)
        id = strdup(jstr(r.json, "id", NULL));
    resp_free(&r);
    return id;
}

/* Register rank r of process id with the address "addr-<r>" and metadata
 * {"host": "h<r>"}; returns the HTTP status. */
static long register_rank(const char *base, const char *id, int rank)
{
    char path[256], body[256], raw[32], *b64;
    struct resp r;
    long status;

    snprintf(raw, sizeof(raw), "addr-%d", rank);
    core_b64_encode(raw, strlen(raw), &b64);
    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", id);
    snprintf(body, sizeof(body), "{\"rank\": %d, \"address\": \"%s\", \"metadata\": "
             "{\"host\": \"h%d\"}}", rank, b64, rank);
    free(b64);
    http(base, "POST", path, body, &r);
    status = r.status;
    resp_free(&r);
    return status;
}

/* The table of a completed fence (or of GET sessions): n rows sorted by
 * rank, each with the address and metadata register_rank gave it. */
static int table_ok(json_t *table, int n, int with_ids)
{
    if (!json_is_array(table) || json_array_size(table) != (size_t)n)
        return 0;
    for (int i = 0; i < n; i++) {
        json_t *row = json_array_get(table, (size_t)i);
        char raw[32], *b64;
        int ok;
        snprintf(raw, sizeof(raw), "addr-%d", i);
        core_b64_encode(raw, strlen(raw), &b64);
        ok = jint(row, "rank", NULL) == i && strcmp(jstr(row, "address", NULL), b64) == 0 &&
             json_is_object(json_object_get(row, "metadata")) &&
             strncmp(jstr(row, "metadata", "host"), "h", 1) == 0 &&
             atoi(jstr(row, "metadata", "host") + 1) == i &&
             (!with_ids || id_ok(jstr(row, "id", NULL), 's')) &&
             (with_ids || json_object_get(row, "id") == NULL);
        free(b64);
        if (!ok)
            return 0;
    }
    return 1;
}

struct fencer {
    const char *base;
    const char *id;
    const char *name;
    int rank;
    int timeout_ms;
    struct resp r;
    uint64_t took_ns;
};

static void *fence_thread(void *p)
{
    struct fencer *f = p;
    char path[256], body[256];
    uint64_t t0 = core_now_ns();

    snprintf(path, sizeof(path), "/v1/processes/%s/fence", f->id);
    snprintf(body, sizeof(body), "{\"name\": \"%s\", \"rank\": %d, \"timeout_ms\": %d}",
             f->name, f->rank, f->timeout_ms);
    http(f->base, "POST", path, body, &f->r);
    f->took_ns = core_now_ns() - t0;
    return NULL;
}

static void test_health(const char *base, const char *store)
{
    struct resp r;

    http(base, "GET", "/v1/health", NULL, &r);
    tap_ok(r.status == 200 && strcmp(jstr(r.json, "status", NULL), "ok") == 0 &&
               strcmp(jstr(r.json, "version", NULL), PRAAS_VERSION_STRING) == 0 &&
               jint(r.json, "api", NULL) == 1 && strcmp(jstr(r.json, "store", NULL), store) == 0,
           "%s: GET /v1/health -> 200 ok, version, api 1, store (%s)", store, r.raw);
    resp_free(&r);
}

static void test_processes(const char *base, const char *store)
{
    char path[256], explicit_id[64], body[512], *id;
    struct resp r;
    int found;

    http(base, "POST", "/v1/processes", "{\"size\": 4, \"name\": \"job\"}", &r);
    tap_ok(r.status == 201 && id_ok(jstr(r.json, "id", NULL), 'p') &&
               strcmp(jstr(r.json, "name", NULL), "job") == 0 && jint(r.json, "size", NULL) == 4,
           "%s: POST /v1/processes -> 201 with a p- id, name and size (%s)", store, r.raw);
    id = strdup(jstr(r.json, "id", NULL));
    resp_free(&r);

    http(base, "POST", "/v1/processes", "{\"size\": 1}", &r);
    tap_ok(r.status == 201 && strcmp(jstr(r.json, "name", NULL), "") == 0 &&
               strcmp(jstr(r.json, "id", NULL), id) != 0,
           "%s: a process without a name, and a different id", store);
    snprintf(path, sizeof(path), "/v1/processes/%s", jstr(r.json, "id", NULL));
    resp_free(&r);
    http(base, "DELETE", path, NULL, &r);
    resp_free(&r);

    snprintf(explicit_id, sizeof(explicit_id), "cp-test_%ld.%s", (long)getpid(), store);
    snprintf(body, sizeof(body), "{\"size\": 2, \"id\": \"%s\"}", explicit_id);
    http(base, "POST", "/v1/processes", body, &r);
    tap_ok(r.status == 201 && strcmp(jstr(r.json, "id", NULL), explicit_id) == 0,
           "%s: POST /v1/processes with an id -> 201 with that id", store);
    resp_free(&r);
    expect_error(base, "POST", "/v1/processes", body, 409, "conflict", explicit_id,
                 "an existing process id");

    snprintf(path, sizeof(path), "/v1/processes/%s", id);
    http(base, "GET", path, NULL, &r);
    tap_ok(r.status == 200 && strcmp(jstr(r.json, "id", NULL), id) == 0 &&
               strcmp(jstr(r.json, "name", NULL), "job") == 0 &&
               jint(r.json, "size", NULL) == 4 && jint(r.json, "sessions", NULL) == 0,
           "%s: GET /v1/processes/{id} -> 200 with 0 sessions (%s)", store, r.raw);
    resp_free(&r);

    http(base, "GET", "/v1/processes", NULL, &r);
    found = 0;
    for (size_t i = 0; i < json_array_size(json_object_get(r.json, "processes")); i++) {
        json_t *p = json_array_get(json_object_get(r.json, "processes"), i);
        if (strcmp(jstr(p, "id", NULL), id) == 0 && jint(p, "size", NULL) == 4 &&
            jint(p, "sessions", NULL) == 0 && strcmp(jstr(p, "name", NULL), "job") == 0)
            found |= 1;
        if (strcmp(jstr(p, "id", NULL), explicit_id) == 0)
            found |= 2;
    }
    tap_ok(r.status == 200 && found == 3, "%s: GET /v1/processes lists both", store);
    resp_free(&r);

    /* Bad bodies. */
    expect_error(base, "POST", "/v1/processes", "{\"size\": 0}", 400, "bad_request", "size",
                 "size 0");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 1048577}", 400, "bad_request",
                 "size", "size 1048577");
    expect_error(base, "POST", "/v1/processes", "{\"size\": \"4\"}", 400, "bad_request",
                 "'size' must be an integer", "size as a string");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 4.5}", 400, "bad_request", "size",
                 "size as a real");
    expect_error(base, "POST", "/v1/processes", "{\"name\": \"x\"}", 400, "bad_request",
                 "'size' is missing", "a missing size");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 2, \"name\": 5}", 400,
                 "bad_request", "'name'", "a name that is a number");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 2, \"id\": \"a b\"}", 400,
                 "bad_request", "'id'", "an id with a space");
    expect_error(base, "POST", "/v1/processes",
                 "{\"size\": 2, \"id\": \"0123456789012345678901234567890123456789"
                 "01234567890123456789012345\"}",
                 400, "bad_request", "'id'", "an id of 66 characters");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 2,", 400, "bad_request", "line 1",
                 "malformed JSON (names jansson's line)");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 2 x}", 400, "bad_request",
                 "column", "malformed JSON (names jansson's column)");
    expect_error(base, "POST", "/v1/processes", "[1, 2]", 400, "bad_request",
                 "not a JSON object", "a body that is an array");
    expect_error(base, "POST", "/v1/processes", "42", 400, "bad_request", "not a JSON object",
                 "a body that is a number");
    expect_error(base, "POST", "/v1/processes", "", 400, "bad_request", "malformed JSON",
                 "an empty body");
    expect_error(base, "POST", "/v1/processes", "{\"size\": 2, \"size\": 3}", 400,
                 "bad_request", "size", "a duplicated key");

    /* Unknown ids. */
    expect_error(base, "GET", "/v1/processes/p-0000000000000000", NULL, 404, "not_found",
                 "p-0000000000000000", "GET an unknown process");
    expect_error(base, "DELETE", "/v1/processes/p-0000000000000000", NULL, 404, "not_found",
                 "p-0000000000000000", "DELETE an unknown process");
    expect_error(base, "GET", "/v1/processes/p-0000000000000000/sessions", NULL, 404,
                 "not_found", "p-0000000000000000", "sessions of an unknown process");
    expect_error(base, "GET", "/v1/processes/no:such", NULL, 404, "not_found", "no:such",
                 "an id no process can have");

    /* Delete the explicit one. */
    snprintf(path, sizeof(path), "/v1/processes/%s", explicit_id);
    http(base, "DELETE", path, NULL, &r);
    tap_ok(r.status == 200 && strcmp(jstr(r.json, "deleted", NULL), explicit_id) == 0,
           "%s: DELETE /v1/processes/{id} -> 200 deleted (%s)", store, r.raw);
    resp_free(&r);
    expect_error(base, "GET", path, NULL, 404, "not_found", explicit_id,
                 "GET a deleted process");
    expect_error(base, "DELETE", path, NULL, 404, "not_found", explicit_id,
                 "DELETE a deleted process");
    http(base, "POST", "/v1/processes", body, &r);
    tap_ok(r.status == 201, "%s: a deleted id can be created again", store);
    resp_free(&r);
    http(base, "DELETE", path, NULL, &r);
    resp_free(&r);

    snprintf(path, sizeof(path), "/v1/processes/%s", id);
    http(base, "DELETE", path, NULL, &r);
    resp_free(&r);
    free(id);
}

static void test_sessions(const char *base, const char *store)
{
    char path[256], body[256], *id = create_process(base, 4, "sessions");
    struct resp r;
    int ok;

    tap_ok(id != NULL, "%s: create a process of 4", store);
    if (id == NULL)
        return;
    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", id);
    /* Out of order, to see the table sorted. */
    ok = 1;
    for (int rank = 3; rank >= 0; rank--)
        ok &= register_rank(base, id, rank) == 201;
    tap_ok(ok, "%s: POST sessions for ranks 3..0 -> 201", store);

    snprintf(body, sizeof(body), "{\"rank\": 1, \"address\": \"YQ==\"}");
    http(base, "POST", path, body, &r);
    tap_ok(is_error(&r, 409, "conflict", "rank 1") && strstr(r.raw, id),
           "%s: a duplicate rank -> 409 naming the rank and the process (%s)", store, r.raw);
    resp_free(&r);
    /* A registration returns its session id. */
    {
        char *id2 = create_process(base, 1, "one");
        char p2[256];
        snprintf(p2, sizeof(p2), "/v1/processes/%s/sessions", id2);
        http(base, "POST", p2, "{\"rank\": 0, \"address\": \"\"}", &r);
        tap_ok(r.status == 201 && id_ok(jstr(r.json, "id", NULL), 's') &&
                   jint(r.json, "rank", NULL) == 0,
               "%s: POST sessions -> 201 with an s- id and the rank (%s)", store, r.raw);
        resp_free(&r);
        snprintf(p2, sizeof(p2), "/v1/processes/%s", id2);
        http(base, "DELETE", p2, NULL, &r);
        resp_free(&r);
        free(id2);
    }
    expect_error(base, "POST", path, "{\"rank\": 4, \"address\": \"YQ==\"}", 400, "bad_request",
                 "rank 4 is out of range [0, 4)", "rank 4 of 4");
    expect_error(base, "POST", path, "{\"rank\": -1, \"address\": \"YQ==\"}", 400,
                 "bad_request", "'rank'", "rank -1");
    expect_error(base, "POST", path, "{\"rank\": \"1\", \"address\": \"YQ==\"}", 400,
                 "bad_request", "'rank' must be an integer", "rank as a string");
    expect_error(base, "POST", path, "{\"address\": \"YQ==\"}", 400, "bad_request",
                 "'rank' is missing", "a missing rank");
    expect_error(base, "POST", path, "{\"rank\": 0}", 400, "bad_request",
                 "'address' is missing", "a missing address");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": \"abc\"}", 400, "bad_request",
                 "'address' is not standard base64", "an address of 3 characters");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": \"Zm9v!mFy\"}", 400,
                 "bad_request", "'!'", "an address with a bad character");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": \"Zm9v_-Fy\"}", 400,
                 "bad_request", "'address'", "an address in the URL-safe alphabet");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": 12}", 400, "bad_request",
                 "'address' must be a string", "an address that is a number");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": \"YQ==\", \"metadata\": 1}",
                 400, "bad_request", "'metadata' must be an object", "metadata not an object");
    expect_error(base, "POST", path, "{\"rank\": 0, \"address\": \"YQ==\"", 400, "bad_request",
                 "malformed JSON", "malformed JSON on sessions");
    expect_error(base, "POST", path, "\"text\"", 400, "bad_request", "not a JSON object",
                 "a body that is a string");
    expect_error(base, "POST", "/v1/processes/p-0000000000000000/sessions",
                 "{\"rank\": 0, \"address\": \"YQ==\"}", 404, "not_found", "p-0000000000000000",
                 "register with an unknown process");

    /* The address limit: 64 KiB decoded is accepted, one byte more is not. */
    {
        char *big = calloc(1, 65537), *b64, *req, *id2 = create_process(base, 2, "big");
        char p2[256];
        size_t n;
        snprintf(p2, sizeof(p2), "/v1/processes/%s/sessions", id2);
        for (int k = 0; k < 2; k++) {
            core_b64_encode(big, 65536 + (size_t)k, &b64);
            n = strlen(b64) + 64;
            req = malloc(n);
            snprintf(req, n, "{\"rank\": %d, \"address\": \"%s\"}", k, b64);
            http(base, "POST", p2, req, &r);
            if (k == 0)
                tap_ok(r.status == 201, "%s: an address of 65536 bytes -> 201 (%ld)", store,
                       r.status);
            else
                tap_ok(is_error(&r, 400, "bad_request", "'address'"),
                       "%s: an address of 65537 bytes -> 400 (%s)", store, r.raw);
            resp_free(&r);
            free(req);
            free(b64);
        }
        snprintf(p2, sizeof(p2), "/v1/processes/%s", id2);
        http(base, "DELETE", p2, NULL, &r);
        resp_free(&r);
        free(id2);
        free(big);
    }

    http(base, "GET", path, NULL, &r);
    tap_ok(r.status == 200 && table_ok(json_object_get(r.json, "sessions"), 4, 1),
           "%s: GET sessions -> 4 rows sorted by rank with id, address, metadata (%s)", store,
           r.raw);
    resp_free(&r);
    snprintf(path, sizeof(path), "/v1/processes/%s", id);
    http(base, "GET", path, NULL, &r);
    tap_ok(r.status == 200 && jint(r.json, "sessions", NULL) == 4,
           "%s: the process counts 4 sessions", store);
    resp_free(&r);

    /* Deleting removes the sessions with the process. */
    http(base, "DELETE", path, NULL, &r);
    resp_free(&r);
    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", id);
    expect_error(base, "GET", path, NULL, 404, "not_found", id,
                 "sessions of a deleted process");
    free(id);
}

static void test_fence(const char *base, const char *store)
{
    char path[256], *id = create_process(base, 4, "fence");
    struct fencer f[4];
    pthread_t t[4];
    struct resp r;
    int ok;

    if (id == NULL) {
        tap_ok(0, "%s: create a process for the fence", store);
        return;
    }
    snprintf(path, sizeof(path), "/v1/processes/%s/fence", id);
    expect_error(base, "POST", path, "{\"name\": \"init.0\", \"rank\": 2}", 409, "conflict",
                 "rank 2", "a fence by an unregistered rank");
    for (int rank = 0; rank < 4; rank++)
        register_rank(base, id, rank);

    /* Three ranks wait; the server must keep answering meanwhile. */
    for (int i = 0; i < 4; i++)
        f[i] = (struct fencer){.base = base, .id = id, .name = "init.0", .rank = 3 - i,
                               .timeout_ms = 30000};
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, fence_thread, &f[i]);
    usleep(300 * 1000);
    {
        uint64_t t0 = core_now_ns();
        http(base, "GET", "/v1/health", NULL, &r);
        tap_ok(r.status == 200 && core_now_ns() - t0 < 2000000000u,
               "%s: health answers while 3 ranks wait at a fence", store);
        resp_free(&r);
    }
    pthread_create(&t[3], NULL, fence_thread, &f[3]);
    ok = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ok &= f[i].r.status == 200 && strcmp(jstr(f[i].r.json, "name", NULL), "init.0") == 0 &&
              jint(f[i].r.json, "size", NULL) == 4 &&
              table_ok(json_object_get(f[i].r.json, "sessions"), 4, 0);
        if (!ok)
            tap_diag("rank %d: %ld %s", f[i].rank, f[i].r.status, f[i].r.raw);
        resp_free(&f[i].r);
    }
    tap_ok(ok, "%s: the fence completes for 4 ranks from 4 threads, with the sorted table",
           store);

    /* Arriving again at a completed fence answers at once. */
    f[0] = (struct fencer){.base = base, .id = id, .name = "init.0", .rank = 1,
                           .timeout_ms = 0};
    fence_thread(&f[0]);
    tap_ok(f[0].r.status == 200 && table_ok(json_object_get(f[0].r.json, "sessions"), 4, 0),
           "%s: arriving twice is the same as once (%ld)", store, f[0].r.status);
    resp_free(&f[0].r);

    /* A fence that does not complete. */
    f[0] = (struct fencer){.base = base, .id = id, .name = "lonely", .rank = 2,
                           .timeout_ms = 300};
    fence_thread(&f[0]);
    tap_ok(is_error(&f[0].r, 504, "timeout", "lonely") &&
               jint(f[0].r.json, "error", "arrived") == 1 &&
               jint(f[0].r.json, "error", "expected") == 4 && f[0].took_ns >= 290000000u,
           "%s: a fence that times out -> 504 with arrived 1, expected 4 (%s)", store,
           f[0].r.raw);
    resp_free(&f[0].r);
    f[0] = (struct fencer){.base = base, .id = id, .name = "lonely", .rank = 3,
                           .timeout_ms = 0};
    fence_thread(&f[0]);
    tap_ok(is_error(&f[0].r, 504, "timeout", NULL) && jint(f[0].r.json, "error", "arrived") == 2,
           "%s: timeout 0 checks once; arrivals persist (arrived 2: %s)", store, f[0].r.raw);
    resp_free(&f[0].r);

    expect_error(base, "POST", path, "{\"name\": \"bad name\", \"rank\": 0}", 400,
                 "bad_request", "'name'", "a fence name with a space");
    expect_error(base, "POST", path, "{\"name\": \"\", \"rank\": 0}", 400, "bad_request",
                 "'name'", "an empty fence name");
    expect_error(base, "POST", path, "{\"rank\": 0}", 400, "bad_request", "'name' is missing",
                 "a fence without a name");
    expect_error(base, "POST", path, "{\"name\": \"x\"}", 400, "bad_request",
                 "'rank' is missing", "a fence without a rank");
    expect_error(base, "POST", path, "{\"name\": \"x\", \"rank\": 4}", 400, "bad_request",
                 "rank 4 is out of range", "a fence by rank 4 of 4");
    expect_error(base, "POST", path, "{\"name\": \"x\", \"rank\": 0, \"timeout_ms\": 3600001}",
                 400, "bad_request", "'timeout_ms'", "a timeout over an hour");
    expect_error(base, "POST", path, "{\"name\": \"x\", \"rank\": 0, \"timeout_ms\": -1}", 400,
                 "bad_request", "'timeout_ms'", "a negative timeout");
    expect_error(base, "POST", path, "{\"name\": \"x\", \"rank\": 0, \"timeout_ms\": \"1\"}",
                 400, "bad_request", "'timeout_ms' must be an integer", "a timeout as a string");
    expect_error(base, "POST", path, "{\"name\": x}", 400, "bad_request", "malformed JSON",
                 "malformed JSON on the fence");
    expect_error(base, "POST", "/v1/processes/p-0000000000000000/fence",
                 "{\"name\": \"x\", \"rank\": 0}", 404, "not_found", "p-0000000000000000",
                 "a fence of an unknown process");

    /* Deleting the process ends its waiting fences with 404. */
    f[0] = (struct fencer){.base = base, .id = id, .name = "doomed", .rank = 0,
                           .timeout_ms = 20000};
    pthread_create(&t[0], NULL, fence_thread, &f[0]);
    usleep(300 * 1000);
    snprintf(path, sizeof(path), "/v1/processes/%s", id);
    http(base, "DELETE", path, NULL, &r);
    resp_free(&r);
    pthread_join(t[0], NULL);
    tap_ok(is_error(&f[0].r, 404, "not_found", id) && f[0].took_ns < 10000000000u,
           "%s: deleting the process ends a waiting fence with 404 (%s)", store, f[0].r.raw);
    resp_free(&f[0].r);
    free(id);
}

/* Hundreds of ranks waiting at once, each holding a connection. */
static void test_many_waiters(const char *base, const char *store)
{
    char *id = create_process(base, MANY_WAITERS, "many");
    struct fencer *f = calloc(MANY_WAITERS, sizeof(*f));
    pthread_t *t = calloc(MANY_WAITERS, sizeof(*t));
    int ok = id != NULL, done = 0;

    for (int i = 0; ok && i < MANY_WAITERS; i++)
        ok = register_rank(base, id, i) == 201;
    tap_ok(ok, "%s: register %d ranks", store, MANY_WAITERS);
    for (int i = 0; ok && i < MANY_WAITERS; i++) {
        f[i] = (struct fencer){.base = base, .id = id, .name = "wide", .rank = i,
                               .timeout_ms = 60000};
        pthread_create(&t[i], NULL, fence_thread, &f[i]);
    }
    for (int i = 0; ok && i < MANY_WAITERS; i++) {
        pthread_join(t[i], NULL);
        done += f[i].r.status == 200 &&
                table_ok(json_object_get(f[i].r.json, "sessions"), MANY_WAITERS, 0);
        resp_free(&f[i].r);
    }
    tap_ok(done == MANY_WAITERS, "%s: %d concurrent waiters all complete (%d)", store,
           MANY_WAITERS, done);
    if (id) {
        char path[128];
        struct resp r;
        snprintf(path, sizeof(path), "/v1/processes/%s", id);
        http(base, "DELETE", path, NULL, &r);
        resp_free(&r);
    }
    free(id);
    free(f);
    free(t);
}

static void test_routes_and_limits(const char *base, const char *store, size_t max_body)
{
    struct resp r;
    char *big;

    expect_error(base, "GET", "/v1/nope", NULL, 404, "not_found", "/v1/nope", "unknown route");
    expect_error(base, "GET", "/v2/health", NULL, 404, "not_found", "/v2/health",
                 "another API version");
    expect_error(base, "GET", "/", NULL, 404, "not_found", NULL, "the root");
    expect_error(base, "GET", "/v1/processes/p-1/nope", NULL, 404, "not_found", NULL,
                 "an unknown subroute of a process");
    expect_error(base, "GET", "/v1/processes/", NULL, 404, "not_found", NULL,
                 "an empty process id");
    expect_error(base, "GET", "/v1/health/", NULL, 404, "not_found", NULL,
                 "a trailing slash");

    http(base, "DELETE", "/v1/processes", NULL, &r);
    tap_ok(is_error(&r, 405, "method_not_allowed", "DELETE") && strcmp(r.allow, "GET, POST") == 0,
           "%s: DELETE /v1/processes -> 405 with Allow: GET, POST (%s)", store, r.allow);
    resp_free(&r);
    http(base, "POST", "/v1/health", "{}", &r);
    tap_ok(is_error(&r, 405, "method_not_allowed", "POST") && strcmp(r.allow, "GET") == 0,
           "%s: POST /v1/health -> 405 with Allow: GET", store);
    resp_free(&r);
    expect_error(base, "PUT", "/v1/processes/p-1", "{}", 405, "method_not_allowed", "PUT",
                 "PUT on a process");
    expect_error(base, "GET", "/v1/processes/p-1/fence", NULL, 405, "method_not_allowed",
                 "GET", "GET on a fence");
    /* DELETE on sessions ends a run (doc/control-api.md, "Runs"). */
    expect_error(base, "PUT", "/v1/processes/p-1/sessions", NULL, 405,
                 "method_not_allowed", "PUT", "PUT on sessions");

    /* Over max_body: refused from Content-Length, and, sent in chunks,
     * refused after the fact. */
    big = malloc(max_body + 2);
    memset(big, ' ', max_body + 1);
    big[0] = '{';
    big[max_body] = '}';
    big[max_body + 1] = '\0';
    http_ex(base, "POST", "/v1/processes", big, max_body + 1, 0, &r);
    tap_ok(is_error(&r, 413, "too_large", NULL),
           "%s: a body of max_body + 1 bytes -> 413 (%ld %s, curl %d)", store, r.status, r.raw,
           r.curl_rc);
    resp_free(&r);
    http_ex(base, "POST", "/v1/processes", big, max_body + 1, 1, &r);
    tap_ok(is_error(&r, 413, "too_large", NULL),
           "%s: a chunked body of max_body + 1 bytes -> 413 (%ld %s)", store, r.status, r.raw);
    resp_free(&r);
    /* Exactly max_body is accepted (as far as the size goes). */
    memcpy(big, "{\"size\": 1", 10);
    big[max_body - 1] = '}';
    http_ex(base, "POST", "/v1/processes", big, max_body, 0, &r);
    tap_ok(r.status == 201, "%s: a body of exactly max_body bytes is accepted (%ld)", store,
           r.status);
    if (r.status == 201) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/processes/%s", jstr(r.json, "id", NULL));
        resp_free(&r);
        http(base, "DELETE", path, NULL, &r);
    }
    resp_free(&r);
    free(big);
}

/* The whole API on one store. */
static void run_suite(const char *store_url, const char *store)
{
    praas_control_opts_t opts = {.port = 0, .store = store_url, .max_body = 0};
    praas_control_t *ctl;
    char base[160];
    int rc;

    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == 0 && praas_control_port(ctl) > 0,
           "%s: praas_control_start on an ephemeral port (%s)", store,
           rc ? praas_errmsg() : "ok");
    if (rc)
        return;
    snprintf(base, sizeof(base), "%s", praas_control_url(ctl));
    tap_ok(strncmp(base, "http://127.0.0.1:", 17) == 0 &&
               atoi(base + 17) == praas_control_port(ctl),
           "%s: the URL is http://127.0.0.1:PORT (%s)", store, base);
    test_health(base, store);
    test_processes(base, store);
    test_sessions(base, store);
    test_fence(base, store);
    test_many_waiters(base, store);
    test_routes_and_limits(base, store, 1024 * 1024);
    test_health(base, store);
    praas_control_stop(ctl);
}

/* Stopping the server answers a waiting fence with 503 and returns. */
static void test_stop(void)
{
    praas_control_t *ctl;
    struct fencer f;
    pthread_t t;
    char base[160], *id;
    uint64_t t0;

    praas_control_start(NULL, &ctl);
    snprintf(base, sizeof(base), "%s", praas_control_url(ctl));
    id = create_process(base, 2, "stop");
    register_rank(base, id, 0);
    f = (struct fencer){.base = base, .id = id, .name = "init", .rank = 0, .timeout_ms = 60000};
    pthread_create(&t, NULL, fence_thread, &f);
    usleep(300 * 1000);
    t0 = core_now_ns();
    praas_control_stop(ctl);
    pthread_join(t, NULL);
    tap_ok(is_error(&f.r, 503, "unavailable", "stopping") && core_now_ns() - t0 < 5000000000u,
           "stop answers a waiting fence with 503 and returns (%s)", f.r.raw);
    resp_free(&f.r);
    free(id);
}

/* Options praas_control_start refuses, each naming the cause. */
static void test_start_errors(void)
{
    praas_control_opts_t opts = {0};
    praas_control_t *ctl, *ctl2;
    int rc;

    opts.store = "redis://127.0.0.1:1";
    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == PRAAS_ERR_CONTROL && strstr(praas_errmsg(), "127.0.0.1:1"),
           "start with an unreachable Redis -> PRAAS_ERR_CONTROL (%s)", praas_errmsg());
    opts.store = "redis://nowhere";
    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "redis://nowhere"),
           "start with a malformed store URL -> PRAAS_ERR_INVALID (%s)", praas_errmsg());
    opts.store = "mongodb://x:1";
    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "mongodb://x:1"),
           "start with an unknown store -> PRAAS_ERR_INVALID (%s)", praas_errmsg());
    opts.store = NULL;
    opts.port = 70000;
    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "70000"),
           "start on port 70000 -> PRAAS_ERR_INVALID (%s)", praas_errmsg());
    opts.port = 0;
    opts.bind = "not an address";
    rc = praas_control_start(&opts, &ctl);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "not an address"),
           "start on a bad bind address -> PRAAS_ERR_INVALID (%s)", praas_errmsg());
    opts.bind = NULL;
    rc = praas_control_start(&opts, &ctl);
    if (rc == 0) {
        opts.port = praas_control_port(ctl);
        rc = praas_control_start(&opts, &ctl2);
        tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "in use"),
               "start on a port in use -> PRAAS_ERR_IO (%s)", praas_errmsg());
        if (rc == 0)
            praas_control_stop(ctl2);
        praas_control_stop(ctl);
    } else {
        tap_ok(0, "start a server to take a port (%s)", praas_errmsg());
    }
}

int main(void)
{
    const char *redis = getenv("PRAAS_TEST_REDIS");

    curl_global_init(CURL_GLOBAL_DEFAULT);
    run_suite(NULL, "memory");
    if (redis && *redis)
        run_suite(redis, "redis");
    else
        tap_diag("PRAAS_TEST_REDIS is not set: the Redis store is not tested");
    test_stop();
    test_start_errors();
    curl_global_cleanup();
    tap_no_plan_end();
    return tap_exit();
}
