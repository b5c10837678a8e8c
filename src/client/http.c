/*
 * The control-plane client: one JSON request per call over libcurl.
 *
 * Each call uses its own easy handle, so calls from several threads never
 * share state; bootstrap traffic is a handful of requests per worker, so
 * connection reuse is not worth a shared handle and its lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client/http.h"
#include "core/base64.h"
#include "core/common.h"
#include "core/error.h"

/* Replies larger than this are refused: the control plane never sends one
 * (a table of 1 Mi sessions with small addresses stays well below it). */
#define CL_MAX_REPLY (256u << 20)

typedef struct cl_buf {
    char *data;
    size_t len;
    size_t cap;
    int too_large;
} cl_buf_t;

static pthread_once_t cl_curl_once = PTHREAD_ONCE_INIT;
static CURLcode cl_curl_init_rc;

static void cl_curl_init(void)
{
    cl_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t cl_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    cl_buf_t *buf = arg;
    size_t n = size * nmemb;

    if (buf->len + n + 1 > CL_MAX_REPLY) {
        buf->too_large = 1;
        return 0; /* makes curl fail the transfer */
    }
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = PRAAS_MAX(buf->cap * 2, buf->len + n + 1);
        char *data = realloc(buf->data, cap);
        if (!data)
            return 0;
        buf->data = data;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, ptr, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return n;
}

/* Map a non-2xx status to an error code, and record the server's message. */
static int cl_status_error(const char *method, const char *url, long status, json_t *reply)
{
    const char *msg = NULL;
    json_t *err = reply ? json_object_get(reply, "error") : NULL;
    int code;

    if (err)
        msg = json_string_value(json_object_get(err, "message"));
    switch (status) {
    case 404:
        code = PRAAS_ERR_NOT_FOUND;
        break;
    case 409:
        code = PRAAS_ERR_EXISTS;
        break;
    case 410: /* a serverless session lost with its subprocess */
        code = PRAAS_ERR_PEER;
        break;
    case 504:
        code = PRAAS_ERR_TIMEOUT;
        break;
    default:
        code = PRAAS_ERR_CONTROL;
        break;
    }
    return core_err(code, "control plane answered %ld to %s %s: %s", status, method, url,
                    msg ? msg : "(no error message)");
}

/* A new easy handle for method on base_url + path (*url_p, malloc'd),
 * writing the reply into buf, never through a proxy: the control plane is
 * on loopback or a private network, whatever proxy the environment names.
 * On failure nothing is left to free. */
static int cl_easy_new(const char *base_url, const char *method, const char *path,
                       cl_buf_t *buf, char **url_p, CURL **curl_p)
{
    CURL *curl;
    char *url;

    pthread_once(&cl_curl_once, cl_curl_init);
    if (cl_curl_init_rc != CURLE_OK)
        return core_err(PRAAS_ERR_CONTROL, "libcurl failed to initialize: %s",
                        curl_easy_strerror(cl_curl_init_rc));
    if (asprintf(&url, "%s%s", base_url, path) < 0)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a URL");
    curl = curl_easy_init();
    if (!curl) {
        free(url);
        return core_err(PRAAS_ERR_NOMEM, "curl_easy_init failed");
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, cl_write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    *url_p = url;
    *curl_p = curl;
    return 0;
}

/* The error of a transfer that failed (crc): PRAAS_ERR_TIMEOUT,
 * PRAAS_ERR_CANCELED when a progress callback stopped it, else
 * PRAAS_ERR_CONTROL naming curl's reason. */
static int cl_transfer_error(CURLcode crc, const char *method, const char *url, int timeout_ms,
                             const cl_buf_t *buf)
{
    if (crc == CURLE_OPERATION_TIMEDOUT)
        return core_err(PRAAS_ERR_TIMEOUT, "%s %s: no answer within %d ms", method, url,
                        timeout_ms);
    return core_err(crc == CURLE_ABORTED_BY_CALLBACK ? PRAAS_ERR_CANCELED : PRAAS_ERR_CONTROL,
                    "%s %s failed: %s", method, url,
                    buf->too_large ? "reply too large" : curl_easy_strerror(crc));
}

int cl_http_request(const char *base_url, const char *method, const char *path,
                    json_t *body, int timeout_ms, long *status_p, json_t **resp_p)
{
    struct curl_slist *headers = NULL;
    cl_buf_t buf = {0};
    json_t *reply = NULL;
    char *url = NULL, *text = NULL;
    long status = 0;
    CURLcode crc;
    CURL *curl;
    int rc;

    rc = cl_easy_new(base_url, method, path, &buf, &url, &curl);
    if (rc < 0)
        return rc;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            rc = core_err(PRAAS_ERR_NOMEM, "cannot encode the request body");
            goto err_curl;
        }
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
        headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    /* An empty Expect: keeps curl from waiting for "100 Continue". */
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)PRAAS_MIN(timeout_ms, 10000));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);

    crc = curl_easy_perform(curl);
    if (crc != CURLE_OK) {
        rc = cl_transfer_error(crc, method, url, timeout_ms, &buf);
        goto err_headers;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (buf.len) {
        json_error_t jerr;
        reply = json_loadb(buf.data, buf.len, 0, &jerr);
        if (!reply && status >= 200 && status < 300) {
            rc = core_err(PRAAS_ERR_PROTOCOL, "%s %s: reply is not JSON: %s", method, url,
                          jerr.text);
            goto err_headers;
        }
    }
    if (status_p)
        *status_p = status;
    if (status < 200 || status >= 300) {
        rc = cl_status_error(method, url, status, reply);
        json_decref(reply);
        goto err_headers;
    }
    if (resp_p)
        *resp_p = reply ? reply : json_null();
    else
        json_decref(reply);
    rc = 0;

err_headers:
    curl_slist_free_all(headers);
    free(text);
    free(buf.data);
err_curl:
    curl_easy_cleanup(curl);
    free(url);
    return rc;
}

/* The timeout of short requests (everything but a fence). */
#define CL_SHORT_TIMEOUT_MS 30000

int cl_process_create(const char *base_url, const char *name, int size, char **id_p)
{
    json_t *body, *reply = NULL;
    const char *id;
    int rc;

    body = json_pack("{s:i, s:s}", "size", size, "name", name ? name : "");
    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    rc = cl_http_request(base_url, "POST", "/v1/processes", body, CL_SHORT_TIMEOUT_MS, NULL,
                         &reply);
    json_decref(body);
    if (rc)
        return rc;
    id = json_string_value(json_object_get(reply, "id"));
    if (!id) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "process creation answered without an id");
    }
    *id_p = strdup(id);
    json_decref(reply);
    return *id_p ? 0 : PRAAS_ERR_NOMEM;
}

int cl_process_delete(const char *base_url, const char *id)
{
    char path[256];

    snprintf(path, sizeof(path), "/v1/processes/%s", id);
    return cl_http_request(base_url, "DELETE", path, NULL, CL_SHORT_TIMEOUT_MS, NULL, NULL);
}

int cl_session_register(const char *base_url, const char *id, int rank, const void *addr,
                        size_t addr_len, json_t *metadata)
{
    char path[256], *b64;
    json_t *body;
    int rc;

    rc = core_b64_encode(addr, addr_len, &b64);
    if (rc)
        return rc;
    body = json_pack("{s:i, s:s, s:O}", "rank", rank, "address", b64, "metadata",
                     metadata ? metadata : json_object());
    free(b64);
    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", id);
    rc = cl_http_request(base_url, "POST", path, body, CL_SHORT_TIMEOUT_MS, NULL, NULL);
    json_decref(body);
    return rc;
}

int cl_fence(const char *base_url, const char *id, const char *name, int rank,
             int timeout_ms, json_t **table_p)
{
    json_t *body, *reply = NULL, *table;
    char path[256];
    int rc;

    body = json_pack("{s:s, s:i, s:i}", "name", name, "rank", rank, "timeout_ms", timeout_ms);
    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    snprintf(path, sizeof(path), "/v1/processes/%s/fence", id);
    /* Give the server time to answer 504 itself before curl gives up. */
    rc = cl_http_request(base_url, "POST", path, body, timeout_ms + 5000, NULL, &reply);
    json_decref(body);
    if (rc)
        return rc;
    table = json_object_get(reply, "sessions");
    if (!json_is_array(table)) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "fence %s answered without a session table", name);
    }
    *table_p = json_incref(table);
    json_decref(reply);
    return 0;
}

int cl_process_create_id(const char *base_url, const char *id, const char *name, int size)
{
    json_t *body;
    int rc;

    body = json_pack("{s:i, s:s, s:s}", "size", size, "name", name ? name : "", "id", id);
    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    rc = cl_http_request(base_url, "POST", "/v1/processes", body, CL_SHORT_TIMEOUT_MS, NULL,
                         NULL);
    json_decref(body);
    return rc;
}

int cl_process_run(const char *base_url, const char *id, int size, long *run_p)
{
    json_t *body, *reply = NULL;
    char path[256];
    int rc;

    body = json_pack("{s:i}", "size", size);
    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    snprintf(path, sizeof(path), "/v1/processes/%s/runs", id);
    rc = cl_http_request(base_url, "POST", path, body, CL_SHORT_TIMEOUT_MS, NULL, &reply);
    json_decref(body);
    if (rc)
        return rc;
    if (run_p)
        *run_p = (long)json_integer_value(json_object_get(reply, "run"));
    json_decref(reply);
    return 0;
}

int cl_process_end_run(const char *base_url, const char *id)
{
    char path[256];

    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", id);
    return cl_http_request(base_url, "DELETE", path, NULL, CL_SHORT_TIMEOUT_MS, NULL, NULL);
}

/* Paths of the object routes: ids are at most 64 and names 200 characters. */
#define CL_OBJ_PATH 512

int cl_obj_create(const char *base_url, const char *id, json_t *entry)
{
    char path[CL_OBJ_PATH];

    snprintf(path, sizeof(path), "/v1/processes/%s/objects", id);
    return cl_http_request(base_url, "POST", path, entry, CL_SHORT_TIMEOUT_MS, NULL, NULL);
}

int cl_obj_get(const char *base_url, const char *id, const char *name, json_t **rec_p)
{
    char path[CL_OBJ_PATH];

    snprintf(path, sizeof(path), "/v1/processes/%s/objects/%s", id, name);
    return cl_http_request(base_url, "GET", path, NULL, CL_SHORT_TIMEOUT_MS, NULL, rec_p);
}

int cl_obj_list(const char *base_url, const char *id, const char *prefix, json_t **list_p)
{
    char path[CL_OBJ_PATH];
    json_t *reply = NULL, *list;
    int rc;

    snprintf(path, sizeof(path), "/v1/processes/%s/objects?prefix=%s", id, prefix);
    rc = cl_http_request(base_url, "GET", path, NULL, CL_SHORT_TIMEOUT_MS, NULL, &reply);
    if (rc)
        return rc;
    list = json_object_get(reply, "objects");
    if (!json_is_array(list)) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "the object listing came without an array");
    }
    *list_p = json_incref(list);
    json_decref(reply);
    return 0;
}

int cl_obj_delete(const char *base_url, const char *id, const char *name)
{
    char path[CL_OBJ_PATH];

    snprintf(path, sizeof(path), "/v1/processes/%s/objects/%s", id, name);
    return cl_http_request(base_url, "DELETE", path, NULL, CL_SHORT_TIMEOUT_MS, NULL, NULL);
}

int cl_obj_state(const char *base_url, const char *id, const char *name, json_t *body,
                 json_t **rec_p)
{
    char path[CL_OBJ_PATH];

    snprintf(path, sizeof(path), "/v1/processes/%s/objects/%s/state", id, name);
    return cl_http_request(base_url, "PUT", path, body, CL_SHORT_TIMEOUT_MS, NULL, rec_p);
}

/* ---- raw requests (invocations) ---- */

static size_t cl_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
    struct cl_raw *r = arg;
    size_t n = size * nitems, klen;
    static const struct {
        const char *name;
        int kind; /* 0 session, 1 endpoint, 2 invocation, 3 cpu, 4 wall */
    } known[] = {{"x-praas-session:", 0}, {"x-praas-endpoint:", 1},
                 {"x-praas-invocation:", 2}, {"x-praas-cpu-ns:", 3}, {"x-praas-wall-ns:", 4}};
    char val[96];

    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(known); i++) {
        klen = strlen(known[i].name);
        if (n <= klen || strncasecmp(line, known[i].name, klen) != 0)
            continue;
        size_t b = klen, e = n;
        while (b < e && (line[b] == ' ' || line[b] == '\t'))
            b++;
        while (e > b && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' '))
            e--;
        snprintf(val, sizeof(val), "%.*s", (int)PRAAS_MIN(e - b, sizeof(val) - 1), line + b);
        switch (known[i].kind) {
        case 0:
            snprintf(r->session, sizeof(r->session), "%.*s", (int)sizeof(r->session) - 1, val);
            break;
        case 1:
            snprintf(r->endpoint, sizeof(r->endpoint), "%.*s", (int)sizeof(r->endpoint) - 1, val);
            break;
        case 2:
            r->invocation = strtoull(val, NULL, 10);
            break;
        case 3:
            r->cpu_ns = strtoull(val, NULL, 10);
            break;
        default:
            r->wall_ns = strtoull(val, NULL, 10);
            break;
        }
    }
    return n;
}

static int cl_progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct cl_raw *r = arg;
    return r->progress(r->progress_arg, (uint64_t)dt, (uint64_t)dn, (uint64_t)ut, (uint64_t)un);
}

/* The code of a failed invocation's answer: a function's failure names its
 * code in the message ("... (PRAAS_ERR_RANGE)"). */
static int cl_raw_code(long status, const char *msg)
{
    switch (status) {
    case 400:
        return PRAAS_ERR_INVALID;
    case 404:
        return PRAAS_ERR_NOT_FOUND;
    case 409:
        return PRAAS_ERR_STATE;
    case 410:
    case 502:
        return PRAAS_ERR_PEER;
    case 413:
        return PRAAS_ERR_RANGE;
    case 504:
        return PRAAS_ERR_TIMEOUT;
    }
    if (status == 500 && msg) {
        for (int c = 1; c < 64; c++) {
            const char *name = praas_err_name(-c);
            if (strcmp(name, "PRAAS_ERR_UNKNOWN") != 0 && strstr(msg, name))
                return -c;
        }
    }
    return PRAAS_ERR_CONTROL;
}

int cl_http_raw(const char *base_url, const char *method, const char *path, struct cl_raw *r,
                long *status_p, void **resp_p, size_t *len_p)
{
    struct curl_slist *headers = NULL;
    cl_buf_t buf = {0};
    char *url = NULL;
    long status = 0;
    CURLcode crc;
    CURL *curl;
    int rc;

    r->session[0] = r->endpoint[0] = '\0';
    r->invocation = r->cpu_ns = r->wall_ns = 0;
    if (status_p)
        *status_p = 0;
    rc = cl_easy_new(base_url, method, path, &buf, &url, &curl);
    if (rc < 0)
        return rc;
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->len ? r->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
    }
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, cl_header_cb);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    if (r->progress) {
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, cl_progress_cb);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, r);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (r->timeout_ms > 0)
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);

    crc = curl_easy_perform(curl);
    if (crc != CURLE_OK) {
        rc = cl_transfer_error(crc, method, url, r->timeout_ms, &buf);
        goto err_headers;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status_p)
        *status_p = status;
    if (status < 200 || status >= 300) {
        json_t *reply = buf.len ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
        const char *msg = json_string_value(
            json_object_get(json_object_get(reply, "error"), "message"));
        rc = core_err(cl_raw_code(status, msg), "control plane answered %ld to %s %s: %s",
                      status, method, url, msg ? msg : "(no error message)");
        json_decref(reply);
        goto err_headers;
    }
    *len_p = buf.len;
    *resp_p = buf.len ? buf.data : NULL;
    if (buf.len)
        buf.data = NULL;
    rc = 0;

err_headers:
    curl_slist_free_all(headers);
    free(buf.data);
    curl_easy_cleanup(curl);
    free(url);
    return rc;
}
