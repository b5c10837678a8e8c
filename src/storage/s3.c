/*
 * The S3 backend: path-style REST requests over libcurl, signed with AWS
 * Signature Version 4 (sigv4.c).
 *
 * Environment, as the AWS tools read it:
 *   AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else
 *     https://s3.REGION.amazonaws.com         where requests go
 *   AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  required
 *   AWS_SESSION_TOKEN                          sent as x-amz-security-token
 * (~/.aws/config and ~/.aws/credentials are not read.) Every request
 * carries x-amz-date and x-amz-content-sha256, the hex SHA-256 of its body,
 * both signed.
 *
 * Blob KEY of s3://BUCKET/PREFIX is the object PREFIX/KEY of BUCKET, at
 * ENDPOINT/BUCKET/PREFIX/KEY. A PUT replaces an object atomically. A blob
 * larger than 64 MiB (PRAAS_STORAGE_S3_PART, in bytes, at least 5 MiB, sets
 * both the threshold and the part size) goes up as a multipart upload,
 * which S3 also makes visible at once when it completes. Bodies are sent
 * from and received into memory by libcurl callbacks, with one copy at
 * most; a download is preallocated from Content-Length.
 *
 * Each call uses its own curl easy handle, so calls from several threads
 * share nothing. Timeouts: connecting, and any stretch of the timeout's
 * length without a byte moving, end the request (PRAAS_ERR_TIMEOUT).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/common.h"
#include "core/error.h"
#include "storage/sigv4.h"
#include "storage/storage.h"

#define S3_PART_DEFAULT ((size_t)64 << 20)
#define S3_PART_MIN ((size_t)5 << 20)
/* The most of an error body kept for the message. */
#define S3_ERRBODY_MAX 4096

typedef struct st_s3 {
    st_t base;
    char *endpoint; /* scheme://host[:port][/path], without a trailing '/' */
    char *host;     /* the Host header */
    char *bucket;
    char *prefix;   /* "" or "PREFIX/" */
    char *region;
    char *access_key;
    char *secret_key;
    char *token;    /* NULL without a session token */
    size_t part;
    int loopback;
} st_s3_t;

/* One request. */
typedef struct s3_req {
    const char *method;
    const char *key;        /* a storage key, or NULL for the bucket itself */
    const st_sigv4_param_t *params;
    size_t nparams;
    const char *body;       /* with has_body: the bytes to send */
    size_t body_len;
    int has_body;
    const char *range;      /* a Range header value, or NULL */
    char *dst;              /* receive into this buffer of dst_len bytes ... */
    size_t dst_len;
    int collect;            /* ... or into a malloc'd one */
    const char *sha256;     /* the whole blob's hash, stored as metadata */
} s3_req_t;

/* What a request leaves behind. */
typedef struct s3_io {
    CURL *curl;
    const s3_req_t *q;
    size_t up_off;
    char *buf;              /* the received body (collect, or dst) */
    size_t len, cap;
    int overflow;
    int nomem;
    char err[S3_ERRBODY_MAX + 1];
    size_t err_len;
    long status;
    long long clen;         /* Content-Length of the answer, -1 if none */
    char sha256[65];        /* the blob's hash from its metadata, or "" */
    char etag[160];
} s3_io_t;

static pthread_once_t s3_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s3_curl_init_rc;

static void s3_curl_init(void)
{
    s3_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t s3_read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s3_io_t *io = arg;
    size_t n = PRAAS_MIN(size * nmemb, io->q->body_len - io->up_off);

    memcpy(ptr, io->q->body + io->up_off, n);
    io->up_off += n;
    return n;
}

static size_t s3_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s3_io_t *io = arg;
    size_t n = size * nmemb;
    long status = 0;

    curl_easy_getinfo(io->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        /* An error document: keep its start for the message. */
        size_t k = PRAAS_MIN(n, S3_ERRBODY_MAX - io->err_len);
        memcpy(io->err + io->err_len, ptr, k);
        io->err_len += k;
        io->err[io->err_len] = '\0';
        return n;
    }
    if (!io->q->collect) {
        if (n > io->q->dst_len - io->len) {
            io->overflow = 1;
            return 0;
        }
        memcpy(io->q->dst + io->len, ptr, n);
        io->len += n;
        return n;
    }
    if (io->len + n + 1 > io->cap) {
        curl_off_t cl = -1;
        size_t cap = PRAAS_MAX(io->cap * 2, io->len + n + 1);
        char *p;
        /* The first time, take the announced length: one allocation for
         * the whole body. */
        if (io->cap == 0 &&
            curl_easy_getinfo(io->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
            cl > 0 && (size_t)cl + 1 > cap)
            cap = (size_t)cl + 1;
        p = realloc(io->buf, cap);
        if (!p) {
            io->nomem = 1;
            return 0;
        }
        io->buf = p;
        io->cap = cap;
    }
    memcpy(io->buf + io->len, ptr, n);
    io->len += n;
    io->buf[io->len] = '\0';
    return n;
}

static size_t s3_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s3_io_t *io = arg;
    size_t n = size * nmemb;

    if (n > 15 && strncasecmp(ptr, "content-length:", 15) == 0) {
        char *end;
        long long v = strtoll(ptr + 15, &end, 10);
        if (end != ptr + 15 && v >= 0)
            io->clen = v;
    } else if (n > 24 && strncasecmp(ptr, "x-amz-meta-praas-sha256:", 24) == 0) {
        const char *v = ptr + 24;
        while (*v == ' ')
            v++;
        if (ptr + n - v >= 64) {
            memcpy(io->sha256, v, 64);
            io->sha256[64] = '\0';
        }
    } else if (n > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
        const char *v = ptr + 5, *end = ptr + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        if ((size_t)(end - v) < sizeof(io->etag)) {
            memcpy(io->etag, v, (size_t)(end - v));
            io->etag[end - v] = '\0';
        }
    }
    return n;
}

/* The text of <tag>...</tag> in xml (the first one at or after *from,
 * which is then moved past it), XML-unescaped and malloc'd; NULL if there
 * is none. */
static char *s3_xml_tag(const char *xml, const char *tag, const char **from)
{
    char open[64], close[64];
    const char *s, *e;
    char *out, *o;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    s = strstr(from ? *from : xml, open);
    if (!s)
        return NULL;
    s += strlen(open);
    e = strstr(s, close);
    if (!e)
        return NULL;
    if (from)
        *from = e + strlen(close);
    out = o = malloc((size_t)(e - s) + 1);
    if (!out)
        return NULL;
    while (s < e) {
        static const struct {
            const char *ent;
            char c;
        } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        size_t k;
        if (*s == '&') {
            for (k = 0; k < PRAAS_ARRAY_SIZE(ents); k++) {
                size_t l = strlen(ents[k].ent);
                if ((size_t)(e - s) >= l && strncmp(s, ents[k].ent, l) == 0) {
                    *o++ = ents[k].c;
                    s += l;
                    break;
                }
            }
            if (k < PRAAS_ARRAY_SIZE(ents))
                continue;
            if (s[1] == '#') {
                char *end;
                long c = s[2] == 'x' ? strtol(s + 3, &end, 16) : strtol(s + 2, &end, 10);
                if (*end == ';' && c > 0 && c < 128) {
                    *o++ = (char)c;
                    s = end + 1;
                    continue;
                }
            }
        }
        *o++ = *s++;
    }
    *o = '\0';
    return out;
}

/* The path of key (or of the bucket), URI-encoded. */
static char *s3_path(st_s3_t *s, const char *key)
{
    char *raw, *enc;

    if (asprintf(&raw, "/%s%s%s%s", s->bucket, key ? "/" : "", key ? s->prefix : "",
                 key ? key : "") < 0)
        return NULL;
    enc = st_uri_encode(raw, 1);
    free(raw);
    return enc;
}

/* The error of a finished request that S3 answered with status >= 300. */
static int s3_status_err(st_s3_t *s, const s3_req_t *q, s3_io_t *io)
{
    char *code = s3_xml_tag(io->err, "Code", NULL), *msg = s3_xml_tag(io->err, "Message", NULL);
    const char *what = q->key ? q->key : "";
    int rc;

    if (io->status == 404 && code && strcmp(code, "NoSuchBucket") == 0)
        rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: bucket '%s' does not exist at %s",
                      s->base.url, s->bucket, s->endpoint);
    else if (io->status == 404 && q->key)
        rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s'", s->base.url, what);
    else if (io->status == 404)
        rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: bucket '%s' does not exist at %s",
                      s->base.url, s->bucket, s->endpoint);
    else if (io->status == 416)
        rc = core_err(PRAAS_ERR_RANGE, "storage %s: range %s is past the end of blob '%s'",
                      s->base.url, q->range ? q->range : "?", what);
    else
        rc = core_err(PRAAS_ERR_IO, "storage %s: S3 at %s answered %ld to %s %s%s%s: %s%s%s",
                      s->base.url, s->endpoint, io->status, q->method,
                      q->key ? "blob '" : "bucket", q->key ? what : "", q->key ? "'" : "",
                      code ? code : "(no error code)", msg ? ": " : "", msg ? msg : "");
    free(code);
    free(msg);
    return rc;
}

/* Sign and send one request; on a 2xx answer return 0 with the body in
 * io (io->buf is the caller's to free when collecting). */
static int s3_perform(st_s3_t *s, const s3_req_t *q, s3_io_t *io)
{
    char ts[17], hash[65], *path = NULL, *query = NULL, *url = NULL, *auth = NULL;
    char *hdr = NULL;
    st_sigv4_header_t hs[5];
    struct curl_slist *list = NULL;
    size_t nh = 0;
    CURLcode crc;
    int rc;

    memset(io, 0, sizeof(*io));
    io->q = q;
    io->clen = -1;
    pthread_once(&s3_curl_once, s3_curl_init);
    if (s3_curl_init_rc != CURLE_OK)
        return core_err(PRAAS_ERR_IO, "libcurl failed to initialize: %s",
                        curl_easy_strerror(s3_curl_init_rc));
    if (q->has_body && q->body_len)
        st_sha256_hex(q->body, q->body_len, hash);
    else
        memcpy(hash, ST_SHA256_EMPTY, 65);
    st_sigv4_timestamp(time(NULL), ts);
    path = s3_path(s, q->key);
    if (!path) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for an S3 request");
        goto out;
    }
    rc = st_sigv4_query(q->params, q->nparams, &query);
    if (rc)
        goto out;
    hs[nh++] = (st_sigv4_header_t){"host", s->host};
    hs[nh++] = (st_sigv4_header_t){"x-amz-content-sha256", hash};
    hs[nh++] = (st_sigv4_header_t){"x-amz-date", ts};
    if (s->token)
        hs[nh++] = (st_sigv4_header_t){"x-amz-security-token", s->token};
    if (q->sha256)
        hs[nh++] = (st_sigv4_header_t){"x-amz-meta-praas-sha256", q->sha256};
    {
        st_sigv4_req_t r = {
            .method = q->method, .path = path, .params = q->params, .nparams = q->nparams,
            .headers = hs, .nheaders = nh, .payload_hash = hash, .timestamp = ts,
            .region = s->region, .service = "s3", .access_key = s->access_key,
            .secret_key = s->secret_key,
        };
        rc = st_sigv4_authorization(&r, &auth, NULL);
        if (rc)
            goto out;
    }
    if (asprintf(&url, "%s%s%s%s", s->endpoint, path, *query ? "?" : "", query) < 0) {
        url = NULL;
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for an S3 request");
        goto out;
    }
    for (size_t i = 0; i < nh; i++) {
        if (asprintf(&hdr, "%s: %s", hs[i].name, hs[i].value) < 0)
            break;
        list = curl_slist_append(list, hdr);
        free(hdr);
    }
    if (asprintf(&hdr, "Authorization: %s", auth) >= 0) {
        list = curl_slist_append(list, hdr);
        free(hdr);
    }
    if (q->range && asprintf(&hdr, "Range: %s", q->range) >= 0) {
        list = curl_slist_append(list, hdr);
        free(hdr);
    }
    /* An empty Expect: keeps curl from waiting for "100 Continue". */
    list = curl_slist_append(list, "Expect:");
    io->curl = curl_easy_init();
    if (!io->curl || !list) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for an S3 request");
        goto out;
    }
    curl_easy_setopt(io->curl, CURLOPT_URL, url);
    curl_easy_setopt(io->curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(io->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(io->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)s->base.timeout_ms);
    curl_easy_setopt(io->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(io->curl, CURLOPT_LOW_SPEED_TIME,
                     (long)PRAAS_MAX(1, (s->base.timeout_ms + 999) / 1000));
    curl_easy_setopt(io->curl, CURLOPT_WRITEFUNCTION, s3_write_cb);
    curl_easy_setopt(io->curl, CURLOPT_WRITEDATA, io);
    curl_easy_setopt(io->curl, CURLOPT_HEADERFUNCTION, s3_header_cb);
    curl_easy_setopt(io->curl, CURLOPT_HEADERDATA, io);
    if (s->loopback)
        curl_easy_setopt(io->curl, CURLOPT_NOPROXY, "*");
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(io->curl, CURLOPT_NOBODY, 1L);
    } else if (q->has_body) {
        curl_easy_setopt(io->curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(io->curl, CURLOPT_READFUNCTION, s3_read_cb);
        curl_easy_setopt(io->curl, CURLOPT_READDATA, io);
        curl_easy_setopt(io->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        if (strcmp(q->method, "PUT") != 0)
            curl_easy_setopt(io->curl, CURLOPT_CUSTOMREQUEST, q->method);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(io->curl, CURLOPT_CUSTOMREQUEST, q->method);
    }
    if (!q->collect)
        io->buf = q->dst;

    crc = curl_easy_perform(io->curl);
    curl_easy_getinfo(io->curl, CURLINFO_RESPONSE_CODE, &io->status);
    if (crc == CURLE_OPERATION_TIMEDOUT)
        rc = core_err(PRAAS_ERR_TIMEOUT, "storage %s: S3 at %s did not answer %s %s within "
                      "%d ms", s->base.url, s->endpoint, q->method, path, s->base.timeout_ms);
    else if (crc == CURLE_WRITE_ERROR && io->nomem)
        rc = core_err(PRAAS_ERR_NOMEM, "storage %s: no memory for the answer to %s %s",
                      s->base.url, q->method, path);
    else if (crc == CURLE_WRITE_ERROR && io->overflow)
        rc = core_err(PRAAS_ERR_IO, "storage %s: S3 at %s sent more than the %zu bytes asked "
                      "by %s %s", s->base.url, s->endpoint, q->dst_len, q->method, path);
    else if (crc != CURLE_OK)
        rc = core_err(PRAAS_ERR_IO, "storage %s: cannot reach S3 at %s (%s %s): %s",
                      s->base.url, s->endpoint, q->method, path, curl_easy_strerror(crc));
    else if (io->status < 200 || io->status >= 300)
        rc = s3_status_err(s, q, io);
    else
        rc = 0;
    if (rc && q->collect) {
        free(io->buf);
        io->buf = NULL;
    }

out:
    curl_slist_free_all(list);
    if (io->curl)
        curl_easy_cleanup(io->curl);
    io->curl = NULL;
    free(auth);
    free(url);
    free(query);
    free(path);
    return rc;
}

static int s3_put_multipart(st_s3_t *s, const char *key, const char *data, size_t len)
{
    size_t nparts = (len + s->part - 1) / s->part, i;
    char **etags = calloc(nparts, sizeof(*etags)), *upload_id = NULL, num[32], whole[65];
    FILE *xml = NULL;
    char *doc = NULL;
    size_t doclen = 0;
    s3_io_t io;
    int rc;

    if (!etags)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a multipart upload");
    st_sha256_hex(data, len, whole);
    {
        st_sigv4_param_t p[] = {{"uploads", ""}};
        s3_req_t q = {.method = "POST", .key = key, .params = p, .nparams = 1,
                      .has_body = 1, .body = "", .collect = 1, .sha256 = whole};
        rc = s3_perform(s, &q, &io);
        if (rc)
            goto out;
        upload_id = io.buf ? s3_xml_tag(io.buf, "UploadId", NULL) : NULL;
        free(io.buf);
        if (!upload_id) {
            rc = core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 at %s started a multipart upload "
                          "of '%s' without an UploadId", s->base.url, s->endpoint, key);
            goto out;
        }
    }
    for (i = 0; i < nparts; i++) {
        st_sigv4_param_t p[] = {{"partNumber", num}, {"uploadId", upload_id}};
        s3_req_t q = {.method = "PUT", .key = key, .params = p, .nparams = 2, .has_body = 1,
                      .body = data + i * s->part,
                      .body_len = PRAAS_MIN(s->part, len - i * s->part), .collect = 1};
        snprintf(num, sizeof(num), "%zu", i + 1);
        rc = s3_perform(s, &q, &io);
        free(io.buf);
        if (rc)
            goto err_abort;
        etags[i] = strdup(io.etag);
        if (!etags[i] || !*io.etag) {
            rc = core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 at %s answered part %zu of '%s' "
                          "without an ETag", s->base.url, s->endpoint, i + 1, key);
            goto err_abort;
        }
    }
    xml = open_memstream(&doc, &doclen);
    if (!xml) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for a multipart upload");
        goto err_abort;
    }
    fputs("<CompleteMultipartUpload>", xml);
    for (i = 0; i < nparts; i++)
        fprintf(xml, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1,
                etags[i]);
    fputs("</CompleteMultipartUpload>", xml);
    if (fclose(xml) != 0) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for a multipart upload");
        goto err_abort;
    }
    {
        st_sigv4_param_t p[] = {{"uploadId", upload_id}};
        s3_req_t q = {.method = "POST", .key = key, .params = p, .nparams = 1, .has_body = 1,
                      .body = doc, .body_len = doclen, .collect = 1};
        rc = s3_perform(s, &q, &io);
        if (rc)
            goto err_abort;
        /* S3 may answer 200 and still report an error in the body. */
        if (io.buf && strstr(io.buf, "<Error>")) {
            char *code = s3_xml_tag(io.buf, "Code", NULL);
            rc = core_err(PRAAS_ERR_IO, "storage %s: S3 at %s failed to complete the upload "
                          "of '%s': %s", s->base.url, s->endpoint, key, code ? code : "?");
            free(code);
        }
        free(io.buf);
        if (rc)
            goto err_abort;
    }
    goto out;

err_abort:
    {
        /* Best effort: an upload left open costs storage until the
         * bucket's lifecycle rules remove it. */
        st_sigv4_param_t p[] = {{"uploadId", upload_id}};
        s3_req_t q = {.method = "DELETE", .key = key, .params = p, .nparams = 1, .collect = 1};
        int keep = rc;
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", praas_errmsg());
        if (s3_perform(s, &q, &io) == 0)
            free(io.buf);
        rc = core_err(keep, "%s", msg);
    }
out:
    for (i = 0; i < nparts; i++)
        free(etags[i]);
    free(etags);
    free(upload_id);
    free(doc);
    return rc;
}

static int s3_put(st_t *st, const char *key, const void *data, size_t len)
{
    st_s3_t *s = (st_s3_t *)st;
    s3_req_t q = {.method = "PUT", .key = key, .has_body = 1, .body = len ? data : "",
                  .body_len = len, .collect = 1};
    char hash[65];
    s3_io_t io;
    int rc;

    if (len > s->part)
        return s3_put_multipart(s, key, data, len);
    /* Hashed twice (here and for x-amz-content-sha256): a few ms per
     * 64 MiB, to keep s3_perform's contract simple. */
    st_sha256_hex(data, len, hash);
    q.sha256 = hash;
    rc = s3_perform(s, &q, &io);
    free(io.buf);
    return rc;
}

/* How often get reads again a blob whose bytes do not match its hash. */
#define S3_GET_TRIES 5

static int s3_get(st_t *st, const char *key, void **data_p, size_t *len_p)
{
    s3_req_t q = {.method = "GET", .key = key, .collect = 1};
    char hash[65];
    s3_io_t io;
    int rc, tries = 0;

    /* End to end check: the blob's SHA-256, stored as metadata by put, is
     * checked against the bytes received. A server that is not atomic (a
     * test double replacing a file while it streams it) can hand out a
     * mixture of two versions; that is read again, never returned. */
    for (;;) {
        rc = s3_perform((st_s3_t *)st, &q, &io);
        if (rc)
            return rc;
        if (!io.sha256[0])
            break;
        st_sha256_hex(io.buf ? io.buf : "", io.len, hash);
        if (strcmp(hash, io.sha256) == 0)
            break;
        free(io.buf);
        if (++tries == S3_GET_TRIES)
            return core_err(PRAAS_ERR_IO, "storage %s: blob '%s' read %d times with a SHA-256 "
                            "other than its stored one (replaced during every read, or "
                            "damaged)", st->url, key, tries);
    }
    if (!io.buf) {
        io.buf = malloc(1);
        if (!io.buf)
            return core_err(PRAAS_ERR_NOMEM, "no memory for blob '%s'", key);
    }
    *data_p = io.buf;
    *len_p = io.len;
    return 0;
}

static int s3_stat(st_t *st, const char *key, size_t *len_p)
{
    s3_req_t q = {.method = "HEAD", .key = key, .collect = 1};
    s3_io_t io;
    int rc = s3_perform((st_s3_t *)st, &q, &io);

    free(io.buf);
    if (rc)
        return rc;
    if (io.clen < 0)
        return core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 answered HEAD of blob '%s' without "
                        "a Content-Length", st->url, key);
    *len_p = (size_t)io.clen;
    return 0;
}

static int s3_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len)
{
    char range[64];
    s3_req_t q = {.method = "GET", .key = key, .range = range, .dst = buf, .dst_len = len};
    size_t size;
    s3_io_t io;
    int rc;

    if (len == 0) {
        /* No byte range means "nothing": check only that off is inside. */
        rc = s3_stat(st, key, &size);
        if (rc == 0 && off > size)
            rc = core_err(PRAAS_ERR_RANGE, "storage %s: offset %zu is past the end of blob "
                          "'%s' (%zu bytes)", st->url, off, key, size);
        return rc;
    }
    snprintf(range, sizeof(range), "bytes=%zu-%zu", off, off + len - 1);
    rc = s3_perform((st_s3_t *)st, &q, &io);
    if ((rc && rc != PRAAS_ERR_NOT_FOUND && rc != PRAAS_ERR_TIMEOUT) ||
        (rc == 0 && io.len != len)) {
        /* 416, a shorter answer, or a failed transfer (some servers
         * answer a range past the end of an empty object with a body
         * shorter than announced): if the blob ends before off + len,
         * that is the error to report. */
        int keep = rc;
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", praas_errmsg());
        if (s3_stat(st, key, &size) == 0 && (off > size || len > size - off))
            return core_err(PRAAS_ERR_RANGE, "storage %s: bytes %zu..%zu are past the end of "
                            "blob '%s' (%zu bytes)", st->url, off, off + len, key, size);
        if (keep)
            return core_err(keep, "%s", msg);
        return core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 at %s sent %zu bytes of blob '%s' "
                        "for %zu asked", st->url, ((st_s3_t *)st)->endpoint, io.len, key, len);
    }
    if (rc == 0 && io.status != 206 && !(io.status == 200 && off == 0))
        rc = core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 answered %ld to a ranged GET of '%s'",
                      st->url, io.status, key);
    return rc;
}

static int s3_del(st_t *st, const char *key)
{
    s3_req_t q = {.method = "DELETE", .key = key, .collect = 1};
    size_t size;
    s3_io_t io;
    int rc;

    /* S3 answers 204 whether the object existed or not: ask first, so that
     * a missing blob reads as one in every backend. */
    rc = s3_stat(st, key, &size);
    if (rc)
        return rc;
    rc = s3_perform((st_s3_t *)st, &q, &io);
    free(io.buf);
    return rc;
}

static int s3_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg)
{
    st_s3_t *s = (st_s3_t *)st;
    size_t plen = strlen(s->prefix);
    char *full = NULL, *token = NULL;
    st_keyv_t v = {0};
    int rc = 0;

    if (asprintf(&full, "%s%s", s->prefix, prefix) < 0)
        return core_err(PRAAS_ERR_NOMEM, "no memory for an S3 listing");
    do {
        st_sigv4_param_t p[3] = {{"list-type", "2"}, {"prefix", full}, {"continuation-token", token}};
        s3_req_t q = {.method = "GET", .params = p, .nparams = token ? 3 : 2, .collect = 1};
        const char *from;
        char *k, *trunc;
        s3_io_t io;

        rc = s3_perform(s, &q, &io);
        if (rc)
            break;
        free(token);
        token = NULL;
        if (!io.buf)
            break;
        from = io.buf;
        while (rc == 0 && (k = s3_xml_tag(io.buf, "Key", &from)) != NULL) {
            /* Objects that are not blobs of this storage (other names under
             * the bucket) are left out. */
            if (strncmp(k, s->prefix, plen) == 0 && st_key_check(st, k + plen, 0) == 0)
                rc = st_keyv_add(&v, k + plen, strlen(k + plen));
            free(k);
        }
        core_err_clear();
        trunc = s3_xml_tag(io.buf, "IsTruncated", NULL);
        if (rc == 0 && trunc && strcmp(trunc, "true") == 0) {
            token = s3_xml_tag(io.buf, "NextContinuationToken", NULL);
            if (!token)
                rc = core_err(PRAAS_ERR_PROTOCOL, "storage %s: S3 at %s cut a listing short "
                              "without a continuation token", st->url, s->endpoint);
        }
        free(trunc);
        free(io.buf);
    } while (rc == 0 && token);
    free(token);
    free(full);
    if (rc) {
        st_keyv_free(&v);
        return rc;
    }
    return st_keyv_emit(&v, cb, arg);
}

static void s3_close(st_t *st)
{
    st_s3_t *s = (st_s3_t *)st;

    free(s->endpoint);
    free(s->host);
    free(s->bucket);
    free(s->prefix);
    free(s->region);
    free(s->access_key);
    if (s->secret_key)
        memset(s->secret_key, 0, strlen(s->secret_key));
    free(s->secret_key);
    free(s->token);
    st_fini(st);
    free(s);
}

static const st_ops_t s3_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .get_range = s3_get_range,
    .del = s3_del,
    .stat = s3_stat,
    .list = s3_list,
    .close = s3_close,
};

static const char *s3_env(const char *a, const char *b)
{
    const char *v = getenv(a);

    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : NULL;
}

/* Fill s from the URL's BUCKET[/PREFIX] and the environment. */
static int s3_configure(st_s3_t *s, const char *url, const char *rest)
{
    const char *slash = strchr(rest, '/'), *ep, *region, *ak, *sk, *tok, *part;
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest), i;
    int rc;

    if (blen < 1 || blen > 255)
        return core_err(PRAAS_ERR_INVALID, "storage URL '%s' names no bucket "
                        "(expected s3://BUCKET[/PREFIX])", url);
    for (i = 0; i < blen; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", rest[i]))
            return core_err(PRAAS_ERR_INVALID, "storage URL '%s': character '%c' is not allowed "
                            "in a bucket name", url, rest[i]);
    s->bucket = strndup(rest, blen);
    if (slash && slash[1]) {
        char *pfx = strdup(slash + 1);
        size_t l;
        if (!pfx)
            return core_err(PRAAS_ERR_NOMEM, "no memory for S3 storage");
        l = strlen(pfx);
        if (l && pfx[l - 1] == '/')
            pfx[--l] = '\0';
        rc = st_key_check(&s->base, pfx, 0);
        if (rc) {
            free(pfx);
            return core_err(PRAAS_ERR_INVALID, "storage URL '%s' has a bad prefix: %s", url,
                            praas_errmsg());
        }
        if (asprintf(&s->prefix, "%s/", pfx) < 0)
            s->prefix = NULL;
        free(pfx);
    } else {
        s->prefix = strdup("");
    }
    region = s3_env("AWS_REGION", "AWS_DEFAULT_REGION");
    s->region = strdup(region ? region : "us-east-1");
    ep = s3_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    if (ep) {
        s->endpoint = strdup(ep);
    } else if (asprintf(&s->endpoint, "https://s3.%s.amazonaws.com", s->region) < 0) {
        s->endpoint = NULL;
    }
    if (!s->bucket || !s->prefix || !s->region || !s->endpoint)
        return core_err(PRAAS_ERR_NOMEM, "no memory for S3 storage");
    for (i = strlen(s->endpoint); i > 0 && s->endpoint[i - 1] == '/'; i--)
        s->endpoint[i - 1] = '\0';
    if (strncasecmp(s->endpoint, "http://", 7) != 0 && strncasecmp(s->endpoint, "https://", 8))
        return core_err(PRAAS_ERR_INVALID, "storage %s: S3 endpoint '%s' (AWS_ENDPOINT_URL_S3 or "
                        "AWS_ENDPOINT_URL) is not an http:// or https:// URL", url, s->endpoint);
    rc = st_sigv4_host(s->endpoint, &s->host);
    if (rc)
        return rc;
    s->loopback = strncmp(s->host, "127.", 4) == 0 || strncmp(s->host, "localhost", 9) == 0 ||
                  strncmp(s->host, "[::1]", 5) == 0;
    ak = s3_env("AWS_ACCESS_KEY_ID", NULL);
    sk = s3_env("AWS_SECRET_ACCESS_KEY", NULL);
    tok = s3_env("AWS_SESSION_TOKEN", NULL);
    if (!ak || !sk)
        return core_err(PRAAS_ERR_INVALID, "storage %s: S3 needs credentials in "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", url);
    s->access_key = strdup(ak);
    s->secret_key = strdup(sk);
    s->token = tok ? strdup(tok) : NULL;
    if (!s->access_key || !s->secret_key || (tok && !s->token))
        return core_err(PRAAS_ERR_NOMEM, "no memory for S3 storage");
    s->part = S3_PART_DEFAULT;
    part = getenv("PRAAS_STORAGE_S3_PART");
    if (part && *part) {
        char *end;
        unsigned long long v = strtoull(part, &end, 10);
        if (*end || v < S3_PART_MIN || v > ((size_t)5 << 30))
            return core_err(PRAAS_ERR_INVALID, "PRAAS_STORAGE_S3_PART='%s' is not a number of "
                            "bytes in 5 MiB..5 GiB", part);
        s->part = (size_t)v;
    }
    return 0;
}

int st_s3_open(const char *url, const char *rest, int timeout_ms, st_t **st_p)
{
    st_s3_t *s = calloc(1, sizeof(*s));
    s3_req_t q = {.method = "HEAD", .collect = 1};
    s3_io_t io;
    int rc;

    if (!s)
        return core_err(PRAAS_ERR_NOMEM, "no memory for S3 storage");
    rc = st_init(&s->base, &s3_ops, url, timeout_ms);
    if (rc) {
        free(s);
        return rc;
    }
    rc = s3_configure(s, url, rest);
    if (rc)
        goto err_close;
    /* Check the bucket now, so that a wrong endpoint or bucket fails here
     * rather than at the first swap. A 403 is let through: credentials
     * may allow objects but not the bucket itself. */
    rc = s3_perform(s, &q, &io);
    free(io.buf);
    if (rc && !(rc == PRAAS_ERR_IO && io.status == 403))
        goto err_close;
    core_err_clear();
    *st_p = &s->base;
    return 0;

err_close:
    s3_close(&s->base);
    return rc;
}
