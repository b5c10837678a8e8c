/*
 * Storage: URL dispatch, the timeout from the environment, key checks, and
 * small helpers the backends share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "storage/storage.h"

/* PRAAS_STORAGE_TIMEOUT in ms: a whole positive number up to a day. */
static int st_timeout_from_env(int *timeout_p)
{
    const char *s = getenv("PRAAS_STORAGE_TIMEOUT");
    char *end;
    long v;

    if (!s || !*s) {
        *timeout_p = ST_DEFAULT_TIMEOUT_MS;
        return 0;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v <= 0 || v > 86400000L)
        return core_err(PRAAS_ERR_INVALID,
                        "PRAAS_STORAGE_TIMEOUT='%s' is not a number of milliseconds in "
                        "1..86400000",
                        s);
    *timeout_p = (int)v;
    return 0;
}

int st_open(const char *url, st_t **st_p)
{
    char *dflt = NULL;
    int timeout_ms = 0, rc;

    rc = st_timeout_from_env(&timeout_ms);
    if (rc)
        return rc;
    if (!url || !*url)
        url = getenv("PRAAS_STORAGE");
    if (!url || !*url) {
        const char *tmp = getenv("TMPDIR");
        if (asprintf(&dflt, "file://%s/praas-storage", tmp && *tmp ? tmp : "/tmp") < 0)
            return core_err(PRAAS_ERR_NOMEM, "no memory for the storage URL");
        url = dflt;
    }
    if (strncmp(url, "file://", 7) == 0)
        rc = st_file_open(url, url + 7, timeout_ms, st_p);
    else if (strncmp(url, "s3://", 5) == 0)
        rc = st_s3_open(url, url + 5, timeout_ms, st_p);
    else if (strncmp(url, "redis://", 8) == 0)
        rc = st_redis_open(url, url + 8, timeout_ms, st_p);
    else
        rc = core_err(PRAAS_ERR_INVALID,
                      "storage URL '%s' has an unknown scheme (expected file://DIR, "
                      "s3://BUCKET[/PREFIX] or redis://HOST:PORT[/DB])",
                      url);
    free(dflt);
    return rc;
}

int st_init(st_t *st, const st_ops_t *ops, const char *url, int timeout_ms)
{
    st->ops = ops;
    st->timeout_ms = timeout_ms;
    st->url = strdup(url);
    if (!st->url)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the storage URL");
    return 0;
}

void st_fini(st_t *st)
{
    free(st->url);
    st->url = NULL;
}

static int st_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '_' || c == '.' || c == '-';
}

static int st_bad_key(const st_t *st, const char *what, const char *key, const char *why)
{
    size_t len = strlen(key), i;
    char shown[81];

    /* Show at most 80 characters of a long key, control and non-ASCII
     * bytes as '?': the message must stay one readable line, and the
     * length and the reason tell the rest. */
    for (i = 0; i < len && i < 80; i++)
        shown[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
    shown[i] = '\0';
    return core_err(PRAAS_ERR_INVALID, "storage %s '%s%s' (%zu chars) for %s is invalid: %s",
                    what, shown, len > 80 ? "..." : "", len, st->url, why);
}

int st_key_check(const st_t *st, const char *key, int prefix_ok)
{
    const char *what = prefix_ok ? "prefix" : "key";
    char why[96];
    size_t len, i;

    if (!key)
        return core_err(PRAAS_ERR_INVALID, "storage %s for %s is NULL", what, st->url);
    len = strlen(key);
    if (len == 0 && !prefix_ok)
        return st_bad_key(st, what, key, "it is empty");
    if (len > ST_KEY_MAX) {
        snprintf(why, sizeof(why), "it is longer than %d characters", ST_KEY_MAX);
        return st_bad_key(st, what, key, why);
    }
    for (i = 0; i < len; i++) {
        if (!st_key_char(key[i])) {
            unsigned char c = (unsigned char)key[i];
            if (c >= 0x20 && c < 0x7f)
                snprintf(why, sizeof(why),
                         "character '%c' at offset %zu is not one of [A-Za-z0-9/_.-]", c, i);
            else
                snprintf(why, sizeof(why),
                         "byte 0x%02x at offset %zu is not one of [A-Za-z0-9/_.-]", c, i);
            return st_bad_key(st, what, key, why);
        }
    }
    if (key[0] == '/')
        return st_bad_key(st, what, key, "it starts with '/'");
    if (strstr(key, ".."))
        return st_bad_key(st, what, key, "it contains \"..\"");
    if (strstr(key, "//"))
        return st_bad_key(st, what, key, "it contains \"//\"");
    if (!prefix_ok && key[len - 1] == '/')
        return st_bad_key(st, what, key, "it ends with '/'");
    /* "." as a whole path component would name the directory itself in the
     * file backend. */
    for (i = 0; i < len; i++)
        if (key[i] == '.' && (i == 0 || key[i - 1] == '/') &&
            (i + 1 == len ? !prefix_ok : key[i + 1] == '/'))
            return st_bad_key(st, what, key, "it has a \".\" path component");
    return 0;
}

int st_nosup_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len)
{
    return core_err(PRAAS_ERR_NOT_SUPPORTED, "storage backend %s (%s) has no ranged get",
                    st->ops->name, st->url);
}

int st_nosup_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg)
{
    return core_err(PRAAS_ERR_NOT_SUPPORTED, "storage backend %s (%s) cannot list keys",
                    st->ops->name, st->url);
}

int st_keyv_add(st_keyv_t *v, const char *key, size_t len)
{
    char *k;

    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char **keys = realloc(v->keys, cap * sizeof(*keys));
        if (!keys)
            return core_err(PRAAS_ERR_NOMEM, "no memory for a key list");
        v->keys = keys;
        v->cap = cap;
    }
    k = strndup(key, len);
    if (!k)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a key list");
    v->keys[v->n++] = k;
    return 0;
}

static int st_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int st_keyv_emit(st_keyv_t *v, st_list_cb_t cb, void *arg)
{
    int rc = 0;

    if (v->n)
        qsort(v->keys, v->n, sizeof(*v->keys), st_strcmp_p);
    for (size_t i = 0; i < v->n && rc == 0; i++)
        if (i == 0 || strcmp(v->keys[i], v->keys[i - 1]) != 0)
            rc = cb(v->keys[i], arg);
    st_keyv_free(v);
    return rc;
}

void st_keyv_free(st_keyv_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->keys[i]);
    free(v->keys);
    v->keys = NULL;
    v->n = v->cap = 0;
}
