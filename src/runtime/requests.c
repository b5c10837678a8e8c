/*
 * The requests of the data plane (doc/invoke.md), answered on the reader
 * thread of the connection they came on; an INVOKE's payload is read here
 * into a buffer of its session and handed to session.c (which may run it
 * here too). Function names are looked up once (rt_fn_lookup).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/rt.h"
#include "runtime/wire.h"

#define RT_MAX_DEPS 4096
#define RT_MAX_NARGS 1024

/* ---- names ---- */

int rt_sid_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > RT_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == ':' || *s == '-'))
            return 0;
    return 1;
}

int rt_fn_name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    if (strncmp(s, "praas_", 6) == 0)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return strlen(s) <= RT_NAME_MAX;
}

/* ---- meta fields ---- */

static int meta_int(json_t *meta, const char *key, json_int_t lo, json_int_t hi, json_int_t dflt,
                    json_int_t *v_p)
{
    json_t *j = meta ? json_object_get(meta, key) : NULL;

    if (!j) {
        *v_p = dflt;
        return 0;
    }
    if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
        return core_err(PRAAS_ERR_INVALID, "meta field \"%s\" is not an integer in %lld..%lld",
                        key, (long long)lo, (long long)hi);
    *v_p = json_integer_value(j);
    return 0;
}

static int meta_str(json_t *meta, const char *key, const char **v_p)
{
    json_t *j = meta ? json_object_get(meta, key) : NULL;

    if (!json_is_string(j))
        return core_err(PRAAS_ERR_INVALID, "meta field \"%s\" (a string) is missing", key);
    *v_p = json_string_value(j);
    return 0;
}

/* ---- requests ---- */

static void on_hello(struct rt_sconn *c, const struct rt_hdr *h, const char *name)
{
    struct rt_session *s = rt_sid_ok(name) ? rt_sess_find(c->srv, name) : NULL;

    if (!s) {
        rt_sconn_reply_err(c, RT_MSG_HELLO_REPLY, h->id,
                  core_err(PRAAS_ERR_NOT_FOUND, "no session '%.64s' in %s", name, c->srv->id));
        return;
    }
    snprintf(c->sid, sizeof(c->sid), "%s", name);
    json_t *m = json_pack("{sssssI}", "session", s->id, "state", rt_sess_state_name(s->state),
                          "memory", (json_int_t)s->memory);
    rt_sess_unref(s);
    rt_sconn_reply(c, RT_MSG_HELLO_REPLY, h->id, 0, NULL, m, NULL, 0);
    json_decref(m);
}

/* Returns 0 to go on with the connection, 1 when its reading went to
 * another thread, a negative code to close it. */
static int on_invoke(struct rt_sconn *c, const struct rt_hdr *h, const char *name, json_t *meta)
{
    struct rt_server *srv = c->srv;
    struct rt_session *s = NULL;
    struct rt_buf *buf = NULL;
    praas_function_t *fn = NULL;
    json_int_t nargs = 1, argi = -1, timeout = -1;
    uint64_t *deps = NULL;
    int ndeps = 0, rc;
    unsigned gone = 0; /* RT_FLAG_SESSION_GONE when the session is not here */

    if (h->payload_len > srv->o.max_payload) {
        rc = core_err(PRAAS_ERR_RANGE, "payload of %llu bytes is over the limit of %llu of %s",
                      (unsigned long long)h->payload_len,
                      (unsigned long long)srv->o.max_payload, srv->id);
        rt_sconn_reply_err(c, RT_MSG_ERROR, h->id, rc);
        return rc;
    }
    /* The function of the connection's last INVOKE, already checked? */
    int same_fn = c->fn && strcmp(c->fn_name, name) == 0;
    if (!same_fn && !rt_fn_name_ok(name)) {
        rc = core_err(PRAAS_ERR_INVALID,
                      "function name '%.64s' is not a C identifier (or starts with praas_)", name);
        goto refuse;
    }
    if (!c->sid[0]) {
        rc = core_err(PRAAS_ERR_STATE, "INVOKE of %s before HELLO named a session", name);
        goto refuse;
    }
    if (meta) { /* most invocations have none */
        rc = meta_int(meta, "nargs", 1, RT_MAX_NARGS, 1, &nargs);
        if (!rc)
            rc = meta_int(meta, "arg", 0, nargs - 1, -1, &argi);
        if (!rc)
            rc = meta_int(meta, "timeout_ms", 0, INT32_MAX, -1, &timeout);
        if (rc)
            goto refuse;
    }
    json_t *jd = meta ? json_object_get(meta, "deps") : NULL;
    if (jd) {
        size_t i;
        json_t *e;
        if (!json_is_array(jd) || json_array_size(jd) > RT_MAX_DEPS) {
            rc = core_err(PRAAS_ERR_INVALID, "meta field \"deps\" is not an array of at most %d ids",
                          RT_MAX_DEPS);
            goto refuse;
        }
        deps = malloc((json_array_size(jd) + 1) * sizeof(*deps));
        if (!deps) {
            rc = core_err(PRAAS_ERR_NOMEM, "out of memory");
            goto refuse;
        }
        json_array_foreach(jd, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < 0) {
                rc = core_err(PRAAS_ERR_INVALID, "dependency %zu is not a non-negative id", i);
                goto refuse;
            }
            deps[ndeps++] = (uint64_t)json_integer_value(e);
        }
    }
    s = rt_sess_find(srv, c->sid);
    if (!s) {
        rc = core_err(PRAAS_ERR_NOT_FOUND, "session %s is no longer in %s (swapped out or deleted)",
                      c->sid, srv->id);
        gone = RT_FLAG_SESSION_GONE;
        goto refuse;
    }
    if (same_fn) {
        fn = c->fn;
    } else if ((fn = rt_fn_lookup(srv, name))) {
        memcpy(c->fn_name, name, strlen(name) + 1);
        c->fn = fn;
    }
    if (!fn) {
        rc = core_err(PRAAS_ERR_NOT_FOUND, "no function %s in %s", name,
                      srv->o.library ? srv->o.library : "(no library)");
        goto refuse;
    }
    if (h->payload_len) {
        pthread_mutex_lock(&s->lock);
        rc = rt_buf_get(s, (size_t)h->payload_len, &buf);
        pthread_mutex_unlock(&s->lock);
        if (rc)
            goto refuse;
        rc = rt_sconn_read(c, buf->base, (size_t)h->payload_len);
        if (rc) {
            pthread_mutex_lock(&s->lock);
            rt_buf_put(s, buf);
            pthread_mutex_unlock(&s->lock);
            rt_sess_unref(s);
            free(deps);
            return rc;
        }
    }
    /* It may run right here if no byte of a next frame is buffered (one
     * that is gets read at once by this reader, so it never waits behind). */
    c->can_inline = c->threaded && c->rb.pos == c->rb.end;
    rc = rt_sess_submit(s, c, h->id, name, fn, (int)nargs, (int)argi, deps, ndeps, (int)timeout,
                        buf, (size_t)h->payload_len);
    rt_sess_unref(s);
    free(deps);
    return rc;

refuse:
    /* The frame is fine, the request is not: drop the payload, answer. */
    {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", praas_errmsg());
        if (s)
            rt_sess_unref(s);
        free(deps);
        int rrc = rt_sconn_skip(c, h->payload_len);
        rt_sconn_reply_flags(c, RT_MSG_RESULT, h->id, rc, gone, msg, NULL, NULL, 0);
        return rrc;
    }
}

static void on_alloc(struct rt_sconn *c, const struct rt_hdr *h, const char *name, json_t *meta)
{
    struct rt_session *s;
    json_int_t mem, maxf;
    int rc;

    rc = meta_int(meta, "memory", 1, INT64_MAX, 0, &mem);
    if (!rc && mem == 0)
        rc = core_err(PRAAS_ERR_INVALID, "ALLOC of session %.64s: meta field \"memory\" is missing",
                      name);
    if (!rc)
        rc = meta_int(meta, "max_functions", 1, INT32_MAX, c->srv->o.max_functions, &maxf);
    if (!rc && (s = rt_sess_find(c->srv, name))) {
        rt_sess_unref(s);
        rc = core_err(PRAAS_ERR_EXISTS, "session %s already exists in %s", name, c->srv->id);
    }
    if (!rc)
        rc = rt_sess_create(c->srv, name, (size_t)mem, (int)maxf, &s);
    if (!rc) {
        rc = rt_sess_publish(s);
        if (rc)
            rt_sess_unref(s);
    }
    if (rc) {
        rt_sconn_reply_err(c, RT_MSG_ALLOC_REPLY, h->id, rc);
        return;
    }
    json_t *m = json_pack("{sssIsi}", "session", name, "memory", (json_int_t)mem,
                          "max_functions", (int)maxf);
    rt_sconn_reply(c, RT_MSG_ALLOC_REPLY, h->id, 0, NULL, m, NULL, 0);
    json_decref(m);
}

static void on_delete(struct rt_sconn *c, const struct rt_hdr *h, const char *name)
{
    struct rt_server *srv = c->srv;
    struct rt_inv_list failed = {0};
    struct rt_session *s;
    char why[RT_NAME_MAX + 64];

    snprintf(why, sizeof(why), "session %s was deleted", name);
    pthread_mutex_lock(&srv->lock);
    for (s = srv->sessions; s; s = s->next)
        if (strcmp(s->id, name) == 0)
            break;
    if (s)
        rt_sess_unlist_locked(s, PRAAS_ERR_CANCELED, why, &failed);
    pthread_mutex_unlock(&srv->lock);
    if (!s) {
        rt_sconn_reply_err(c, RT_MSG_DELETE_REPLY, h->id,
                  core_err(PRAAS_ERR_NOT_FOUND, "no session '%.64s' in %s", name, srv->id));
        return;
    }
    rt_inv_fail_list(&failed);
    rt_sess_unref(s);
    rt_sconn_reply(c, RT_MSG_DELETE_REPLY, h->id, 0, NULL, NULL, NULL, 0);
}

static void on_metrics(struct rt_sconn *c, const struct rt_hdr *h, const char *name)
{
    struct rt_server *srv = c->srv;
    json_t *m;

    if (name[0]) {
        struct rt_session *s = rt_sess_find(srv, name);
        if (!s) {
            rt_sconn_reply_err(c, RT_MSG_METRICS_REPLY, h->id,
                      core_err(PRAAS_ERR_NOT_FOUND, "no session '%.64s' in %s", name, srv->id));
            return;
        }
        m = rt_sess_usage(s);
        rt_sess_unref(s);
    } else {
        /* An extension: every session's usage at once. */
        json_t *arr = json_array();
        pthread_mutex_lock(&srv->lock);
        for (struct rt_session *s = srv->sessions; s; s = s->next)
            json_array_append_new(arr, rt_sess_usage(s));
        pthread_mutex_unlock(&srv->lock);
        m = json_pack("{so}", "sessions", arr);
    }
    rt_sconn_reply(c, RT_MSG_METRICS_REPLY, h->id, 0, NULL, m, NULL, 0);
    json_decref(m);
}

static void on_ping(struct rt_sconn *c, const struct rt_hdr *h)
{
    struct rt_server *srv = c->srv;
    json_t *arr = json_array();

    pthread_mutex_lock(&srv->lock);
    for (struct rt_session *s = srv->sessions; s; s = s->next)
        json_array_append_new(arr, json_string(s->id));
    pthread_mutex_unlock(&srv->lock);
    json_t *m = json_pack("{sosIss}", "sessions", arr, "pid", (json_int_t)getpid(), "id",
                          srv->id);
    rt_sconn_reply(c, RT_MSG_PING_REPLY, h->id, 0, NULL, m, NULL, 0);
    json_decref(m);
}

static void on_swap(struct rt_sconn *c, const struct rt_hdr *h, const char *name, json_t *meta)
{
    const char *key = NULL;
    json_t *reply = NULL;
    json_int_t mem, maxf;
    int rc = meta_str(meta, "storage", &key);

    if (h->type == RT_MSG_SWAP_OUT) {
        if (!rc)
            rc = rt_swap_out(c->srv, name, key, &reply);
    } else {
        if (!rc)
            rc = meta_int(meta, "memory", 0, INT64_MAX, 0, &mem);
        if (!rc)
            rc = meta_int(meta, "max_functions", 1, INT32_MAX, c->srv->o.max_functions, &maxf);
        if (!rc)
            rc = rt_swap_in(c->srv, name, key, (size_t)mem, (int)maxf, &reply);
    }
    if (rc) {
        rt_sconn_reply_err(c, h->type + 1u, h->id, rc);
        return;
    }
    rt_sconn_reply(c, h->type + 1u, h->id, 0, NULL, reply, NULL, 0);
    json_decref(reply);
}

int rt_request(struct rt_sconn *c, const struct rt_hdr *h, const char *name, json_t *meta)
{
    int rc = 0;

    if (h->type != RT_MSG_INVOKE && h->type != RT_MSG_PING && h->type != RT_MSG_METRICS &&
        !rt_sid_ok(name)) {
        rc = core_err(PRAAS_ERR_INVALID,
                      "%s: session id '%.64s' is not 1 to %d characters of [A-Za-z0-9_.:-]",
                      rt_msg_name(h->type), name, RT_NAME_MAX);
        rt_sconn_reply_err(c, h->type + 1u, h->id, rc);
        return 0;
    }
    switch (h->type) {
    case RT_MSG_HELLO:
        on_hello(c, h, name);
        break;
    case RT_MSG_INVOKE:
        rc = on_invoke(c, h, name, meta);
        break;
    case RT_MSG_ALLOC:
        on_alloc(c, h, name, meta);
        break;
    case RT_MSG_SWAP_OUT:
    case RT_MSG_SWAP_IN:
        on_swap(c, h, name, meta);
        break;
    case RT_MSG_DELETE:
        on_delete(c, h, name);
        break;
    case RT_MSG_METRICS:
        on_metrics(c, h, name);
        break;
    case RT_MSG_PING:
        on_ping(c, h);
        break;
    }
    return rc;
}
